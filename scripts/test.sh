#!/usr/bin/env bash
# The test suite, as README's Quick start gives it and CI runs it.
#
#   bash scripts/test.sh
#
# 1. Creates (once) a Python virtualenv with the reference OMS tool
#    (model-signing 1.1.1) and the libraries that made the fixtures
#    (safetensors, numpy, blake3): see scripts/reference-tool.sh.
# 2. Checks that regenerating the fixtures changes nothing.
# 3. Runs every Rust test (unit, integration, interop with the reference
#    tool, doctests), then the hashing tests again on one thread.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=$(bash scripts/reference-tool.sh)
export MODELSEAL_REFERENCE_VENV="${venv}"
if ! "${venv}/bin/python" -c 'import safetensors, numpy, blake3' 2>/dev/null; then
    echo "test.sh: installing fixture libraries (safetensors, numpy, blake3)" >&2
    "${venv}/bin/pip" install --quiet --disable-pip-version-check safetensors numpy blake3
fi
"${venv}/bin/python" fixtures/generate.py --check

cargo test --workspace --locked
# Once more on one thread: the engine must not depend on parallelism.
RAYON_NUM_THREADS=1 cargo test --locked -p modelseal-hash
