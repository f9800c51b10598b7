#!/usr/bin/env bash
# Runs every fuzz target of modelseal-formats for a bounded time.
#   bash crates/modelseal-formats/fuzz/run.sh [seconds-per-target] [target...]
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); runs on stable via
# RUSTC_BOOTSTRAP=1, since libFuzzer needs -Zsanitizer flags.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(safetensors_header gguf_header pickle_walker npy_header)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    # Seed each corpus from the committed fixtures.
    case "$t" in
        safetensors_header) cp ../tests/data/*.safetensors "corpus/$t/" ;;
        gguf_header) cp ../tests/data/*.gguf "corpus/$t/" ;;
        pickle_walker) cp ../tests/data/*.pkl ../tests/data/*.joblib ../tests/data/legacy_torch.pt "corpus/$t/" ;;
        npy_header) cp ../tests/data/*.npy "corpus/$t/" ;;
    esac
    echo "fuzz: $t for ${secs}s" >&2
    if ! cargo +stable fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048; then
        echo "fuzz: $t found a failure (see fuzz/artifacts/$t)" >&2
        status=1
    fi
done
exit "$status"
