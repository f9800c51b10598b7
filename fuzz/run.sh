#!/usr/bin/env bash
# Runs every fuzz target (all parsers of untrusted input) for a bounded time.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target, default 60; TARGETs default to all of them:
#   safetensors_header gguf_header pickle_walker npy_header  (modelseal-formats)
#   bundle_parser                                           (modelseal-oms)
#   attestation_parser                                      (modelseal-attest)
#
# Needs cargo-fuzz (installed with `cargo install cargo-fuzz --locked` if
# missing) and a C++ toolchain; runs on a stable Rust via RUSTC_BOOTSTRAP=1,
# since libFuzzer needs -Zsanitizer flags. Each corpus (fuzz/corpus/TARGET)
# is seeded from the crates' committed test data and kept between runs.
# Prints one result line per target on stdout, libFuzzer's log on stderr
# (also in fuzz/logs/TARGET.log). Exits 1 if the build fails or any target
# finds a crash, leak, timeout or out-of-memory input (in fuzz/artifacts/TARGET;
# replay one with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`).
# Memory: a single allocation over 64 MB is a crash (-malloc_limit_mb), and
# bundle_parser and attestation_parser assert a per-input cap on what the
# parsers of untrusted input hold at their peak (fuzz/common/peak.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
readonly ALL_TARGETS=(safetensors_header gguf_header pickle_walker npy_header bundle_parser attestation_parser)

secs=${1:-60}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: SECONDS must be a positive integer (got '$secs')" >&2; exit 2; }
shift || true
targets=("$@")
((${#targets[@]} > 0)) || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1

formats=../crates/modelseal-formats/tests/data
oms=../crates/modelseal-oms/tests/data

# seed TARGET: copy the committed fixtures into corpus/TARGET.
seed() {
    local t=$1 f
    mkdir -p "corpus/$t"
    case $t in
        safetensors_header) cp "$formats"/*.safetensors "corpus/$t/" ;;
        gguf_header) cp "$formats"/*.gguf "corpus/$t/" ;;
        pickle_walker) cp "$formats"/*.pkl "$formats"/*.joblib "$formats"/legacy_torch.pt "corpus/$t/" ;;
        npy_header) cp "$formats"/*.npy "corpus/$t/" ;;
        bundle_parser)
            # Bundles (*.json, model.sig) and the statement payload; named
            # after their path, as several share a base name.
            while IFS= read -r -d '' f; do
                f=${f#"$oms"/}
                cp "$oms/$f" "corpus/$t/seed-${f//\//-}"
            done < <(find "$oms" -type f \( -name '*.json' -o -name '*.sig' \) -print0)
            ;;
        attestation_parser)
            cp ../docs/attestations/examples/*.json ../docs/policy.example.toml "corpus/$t/"
            ;;
    esac
}

echo "fuzz: cargo fuzz build" >&2
if ! cargo fuzz build >&2; then
    for t in "${targets[@]}"; do
        printf '%-20s BUILD FAILED\n' "$t:"
    done
    exit 1
fi

mkdir -p logs
status=0
for t in "${targets[@]}"; do
    seed "$t"
    mkdir -p "artifacts/$t"
    stamp=$(mktemp)
    log=logs/$t.log
    echo "fuzz: $t for ${secs}s" >&2
    rc=0
    cargo fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=30 \
        -print_final_stats=1 \
        2>&1 | tee "$log" >&2 || rc=$?
    found=()
    while IFS= read -r -d '' f; do found+=("$f"); done \
        < <(find "artifacts/$t" -type f -newer "$stamp" \
            \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -print0)
    rm -f -- "$stamp"
    runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -n 1)
    rss=$(awk '/stat::peak_rss_mb/ { print $NF }' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d ' ' -f 2)
    corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -n 1 | cut -d ' ' -f 2)
    inputs="none saved"
    ((${#found[@]} == 0)) || inputs="${found[*]/#/fuzz/}"
    if ((rc == 0 && ${#found[@]} == 0)); then
        printf '%-20s ok      %ss, %s runs, cov %s, corpus %s, peak RSS %s MiB\n' \
            "$t:" "$secs" "${runs:-?}" "${cov:-?}" "${corp:-?}" "${rss:-?}"
    else
        status=1
        printf '%-20s FAILED  exit %s after %s runs; input: %s; log: fuzz/%s\n' \
            "$t:" "$rc" "${runs:-?}" "$inputs" "$log"
    fi
done
exit "$status"
