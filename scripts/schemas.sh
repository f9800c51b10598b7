#!/usr/bin/env bash
# Regenerates docs/schemas/*.schema.json from the report types, through
# `modelseal schema DOCUMENT`. The tests fail when a committed schema differs
# from what the code derives (tests/it/schemas.rs).
#
#   bash scripts/schemas.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet --locked -p modelseal-cli
bin=${CARGO_TARGET_DIR:-target}/debug/modelseal
for document in hash sign verify status inspect inventory store-add store-list store-verify store-gc restore repair attest attestations log report verify-report; do
    "$bin" schema "$document" >"docs/schemas/${document}.schema.json"
done
echo "schemas: docs/schemas/ regenerated"
