"""Typing stub of the Rust extension behind `modelseal` (crates/modelseal-py)."""

import os
from typing import List, Optional, Sequence, Tuple, Union

_Path = Union[str, "os.PathLike[str]"]

__version__: str

class Error(Exception):
    """An error that stopped modelseal before a verdict (I/O, a bad key file)."""

def main(argv: Sequence[str]) -> int:
    """Runs the command line `argv` (program name first), printing as the binary does."""

def run(argv: Sequence[str]) -> Tuple[int, bytes]:
    """Runs the command line `argv` with stdout collected: (exit code, stdout)."""

def load_safetensors(
    model: _Path,
    file: str,
    *,
    signature: Optional[_Path] = None,
    key: Optional[_Path] = None,
    cert_chain: Sequence[_Path] = ...,
    max_size: int = ...,
) -> Tuple[bytearray, List[Tuple[str, str, List[int], int, int]]]:
    """Reads `file` of `model` into a bytearray, verified; the tensors as
    (name, dtype, shape, start, end) byte ranges of it."""
