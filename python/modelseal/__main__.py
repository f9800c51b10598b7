"""`python -m modelseal` and the `modelseal` console command: the same CLI
as the Rust binary, run in this process."""

import sys

from modelseal import _native


def main() -> None:
    """Runs `modelseal` with this process's arguments and exits with its code."""
    sys.exit(_native.main(["modelseal", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
