#!/usr/bin/env bash
# README's Quick start: sign the example model in fixtures/, verify it, then
# show what verification reports for a tampered copy; then, on a copy, record
# who vouches for what (dataset provenance, lineage, a security test) and
# verify it against a trust policy. Prints each modelseal command before
# running it. Leaves nothing behind (all output goes to a temporary folder),
# and exits 0 only if the real model verifies, the tampered one is caught and
# the copy passes the policy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release --locked --quiet -p modelseal-cli
modelseal=$PWD/target/release/modelseal
work=$(mktemp -d)
trap 'rm -rf -- "${work}"' EXIT

step() {
    local shown=() arg
    for arg in "$@"; do
        if [[ $arg == *' '* ]]; then shown+=("\"${arg}\""); else shown+=("${arg}"); fi
    done
    printf '\n$ modelseal %s\n' "${shown[*]}" | sed "s|${work}|\$TMP|g"
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

printf '\n# attestations and a trust policy (docs/policy.md), on a copy of the model\n'
cp -R fixtures/example-model "${work}/my-model"
step keygen --out "${work}/custodian.key"
step keygen --out "${work}/tester.key"
step sign "${work}/my-model" --key "${work}/publisher.key"
printf 'public text the model was fine-tuned on\n' > "${work}/demo-data.txt"
step attest dataset "${work}/my-model" --key "${work}/custodian.key" --name demo-data \
    --source https://example.org/demo-data.txt --path "${work}/demo-data.txt" \
    --license CC-BY-4.0 --retrieved-at 2026-11-30T09:00:00Z
data_digest=$(sha256sum "${work}/demo-data.txt" | cut -d ' ' -f 1)
step attest lineage "${work}/my-model" --key "${work}/publisher.key" --model-version 1.0 \
    --change "fine-tuned on demo-data" --dataset "demo-data=sha256:${data_digest}"
printf '<p>no findings</p>\n' > "${work}/report.html"
step attest test "${work}/my-model" --key "${work}/tester.key" --name "prompt-injection suite" \
    --result pass --report "${work}/report.html" --tester "demo tester"
cat > "${work}/policy.toml" <<'TOML'
version = 1
[[signers]]
name = "publisher"
key = "publisher.key.pub"
roles = ["developer"]
[[signers]]
name = "custodian"
key = "custodian.key.pub"
roles = ["data-custodian"]
[[signers]]
name = "tester"
key = "tester.key.pub"
roles = ["tester"]
[rules.model_signature]
roles = ["developer"]
[rules.lineage]
roles = ["developer"]
[rules.datasets]
roles = ["data-custodian"]
[rules.tests]
[rules.retraining]
[rules.unsafe_formats]
roles = ["developer"]
TOML
step verify "${work}/my-model" --policy "${work}/policy.toml"
printf '\nthe copy passes every rule of the policy\n'
step report "${work}/my-model" --policy "${work}/policy.toml"
