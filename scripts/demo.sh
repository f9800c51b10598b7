#!/usr/bin/env bash
# README's Quick start: sign the example model in fixtures/, verify it, then
# show what verification reports for a tampered copy. Prints each modelseal
# command before running it. Leaves nothing behind (all output goes to a
# temporary folder), and exits 0 only if the real model verifies and the
# tampered one is caught.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release --locked --quiet -p modelseal-cli
modelseal=$PWD/target/release/modelseal
work=$(mktemp -d)
trap 'rm -rf -- "${work}"' EXIT

step() {
    printf '\n$ modelseal %s\n' "$*" | sed "s|${work}|\$TMP|g"
    "${modelseal}" "$@"
}

step keygen --out "${work}/publisher.key"
step sign fixtures/example-model --key "${work}/publisher.key" --signature "${work}/example-model.sig"
step verify fixtures/example-model --signature "${work}/example-model.sig" --key "${work}/publisher.key.pub"

cp -R fixtures/example-model "${work}/tampered"
printf '{"architectures": ["Backdoored"]}\n' > "${work}/tampered/config.json"
status=0
step verify "${work}/tampered" --signature "${work}/example-model.sig" --key "${work}/publisher.key.pub" || status=$?
if [[ ${status} -ne 1 ]]; then
    echo "demo: the tampered copy was not caught (exit ${status})" >&2
    exit 1
fi
printf '\nthe example model verifies; the tampered copy fails with exit code 1, as it should\n'
