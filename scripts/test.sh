#!/usr/bin/env bash
# The test suite, as README's Quick start gives it and CI runs it.
#
#   bash scripts/test.sh
#
# 1. Creates (once) a Python virtualenv with the reference OMS tool
#    (model-signing 1.1.1, see scripts/reference-tool.sh) and the libraries
#    that made the fixtures (safetensors, numpy, blake3, pinned), and the
#    pre-commit framework for the hook tests, jsonschema to check the
#    attestation predicates against their published schemas, and the
#    CycloneDX Python library, whose validator (the official CycloneDX 1.6
#    JSON schema) checks every BOM `inventory` writes; then the
#    Python package itself (`pip install .`: maturin builds the extension)
#    and pytest.
# 2. Checks that regenerating the fixtures changes nothing.
# 3. Runs every Rust test (unit, integration, interop with the reference
#    tool, doctests), then the hashing tests again on one thread, then the
#    Python package's tests (python/tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=$(bash scripts/reference-tool.sh)
export MODELSEAL_REFERENCE_VENV="${venv}"
# Pinned: the fixtures must regenerate byte for byte.
"${venv}/bin/pip" install --quiet --disable-pip-version-check \
    safetensors==0.8.0 numpy==2.4.6 blake3==1.0.11 pre-commit==4.7.0 jsonschema==4.26.0 \
    pytest==9.0.1 "cyclonedx-python-lib[json-validation]==11.12.0"
"${venv}/bin/python" fixtures/generate.py --check
"${venv}/bin/python" crates/modelseal-formats/tests/data/make.py --check

cargo test --workspace --locked
# Once more on one thread: the engine must not depend on parallelism.
RAYON_NUM_THREADS=1 cargo test --locked -p modelseal-hash
# The Python package, built and installed as a user would (`pip install .`),
# then its tests against the installed package and console command.
"${venv}/bin/pip" install --quiet --disable-pip-version-check .
(cd python/tests && "${venv}/bin/python" -m pytest -q -p no:cacheprovider .)
