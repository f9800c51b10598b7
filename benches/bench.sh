#!/usr/bin/env bash
# bench.sh — end-to-end throughput benchmark of the modelseal CLI.
#
# Usage:
#   bash benches/bench.sh [--dir DIR] [--only hash|sign|formats|status|policy|layouts|all]
#                         [--keep] [--clean]
#                         [--runs N] [--no-build] [--prepare]
#
#   --dir DIR       where the synthetic data, keys and helper tools live
#                   (default: ${TMPDIR:-/tmp}/modelseal-bench). Needs ~8.1 GiB
#                   free (~12.1 GiB with the formats cases), and ideally as much
#                   free RAM so it stays in page cache (+4 GiB for case g).
#   --only WHAT     hash: cases a-d; sign: case e; formats: cases f-g;
#                   status: cases h-j; policy: case k; layouts: case l; all
#                   (default): every case.
#   --keep          keep the signatures, per-run logs (DIR/run.*) and the digest
#                   cache of cases h-j (DIR/status-cache) it made; by default
#                   only those are removed at exit.
#   --clean         also delete the synthetic data and keys at exit (default:
#                   keep them for reuse; DIR/tools and DIR/venv are always kept).
#   --runs N        runs per measurement, best (minimum wall) is reported
#                   (default 3). Millisecond cases always use 10.
#   --no-build      skip `cargo build` and use the existing release binaries.
#   --prepare       build, create the data and tools, then exit.
#
# What it does:
#   1. `cargo build --release -p modelseal-cli --locked`, then benchmarks
#      target/release/modelseal (or $CARGO_TARGET_DIR/release/modelseal); for
#      case g also `cargo build --release --example load_verified -p modelseal
#      --locked` (target/release/examples/load_verified).
#   2. Creates, once, under DIR (reused while DIR/.modelseal-bench-data
#      matches this script's layout):
#        model/        4 x 1 GiB weights-0000{1..4}-of-00004.bin, 50 config and
#                      tokenizer files (100 B - 2 MB, some in subfolders) and
#                      small/ with 2,000 x 4 KiB files;
#        small-only/   a copy of model/small as a model of its own;
#        big.bin       one 4 GiB file;
#        one-file/     a model of one 1 KiB file (start-up + verify case).
#      Bytes are an AES-128-CTR keystream from `openssl enc` (incompressible,
#      and far faster than /dev/urandom on VMs). For cases f-g also:
#        weights-4g.safetensors  one U8 tensor "weights" holding big.bin's
#                      4 GiB (8-byte header length, JSON header padded with
#                      spaces to a multiple of 8, then the bytes);
#        st-model/     a model of that file alone (a hard link) and its
#                      model.sig, signed with ed.key (`modelseal keygen`).
#   3. Warms the page cache, runs every case under /usr/bin/time -v and prints
#      one table: case | tool | wall s | GB/s | peak RSS MiB | ratio, where
#      ratio = baseline wall / tool wall (> 1 means faster than the baseline),
#      then sanity checks and a PASS/FAIL "Targets" block.
#
# Cases (baseline marked *):
#   a. model/, SHA-256: modelseal hash vs *openssl dgst as two parallel
#      processes over two halves of the files of ~equal bytes. Target >= 1.0x.
#   b. big.bin, SHA-256: modelseal --method shards vs *one openssl dgst.
#      Target >= 1.8x. Also modelseal's default (files) method, for information.
#   c. BLAKE3 on model/ and on big.bin: modelseal vs *b3sum (from PATH, or
#      `cargo install b3sum --locked --root DIR/tools`). Target >= 0.9x.
#   d. small-only/ (2,000 x 4 KiB): modelseal hash, wall ms. Target <= 50 ms.
#   e. sign and verify model/ with a P-256 key: modelseal vs *the reference
#      Python tool (model-signing 1.1.1 in DIR/venv, or
#      $MODELSEAL_REFERENCE_VENV, installed by scripts/reference-tool.sh).
#      Target >= 1.5x each. Plus start-up + verify of one-file/: < 20 ms.
#      Skipped, with a line saying so, while `modelseal sign --help` fails.
#   f. `modelseal inspect weights-4g.safetensors --format json` reads only
#      the header: wall ms, best of 10. Target < 20 ms. Skipped while
#      `modelseal inspect --help` fails.
#   g. verify-on-load: the load_verified example on st-model/ (checks the
#      signature, reads and hashes the file once, yields the tensor) vs
#      *`modelseal hash` of the same file (sequential SHA-256, the same
#      work). Targets: load wall <= 1.1 x hash wall, and load peak RSS <=
#      file size + 64 MiB. A note gives the slowest load run too: the first
#      run usually lands on fresh memory, which a VM host may have to back
#      again. Skipped if the example does not build.
#   h-j. the digest cache, on model/ signed with ed.key (Ed25519) into
#      DIR/status.sig by `sign --incremental`, with a private cache
#      (MODELSEAL_CACHE_DIR=DIR/status-cache, emptied first); then 2.5 s
#      waits around one `status` run, since entries written less than 2 s
#      after a file changed are not trusted (git's "racy" rule). Skipped
#      while `modelseal status --help` or `sign --help` fails.
#   h. `modelseal status` of the unchanged model, warm cache: best of 10.
#      Target <= 50 ms. Checks: its `--format json` says cache.hits = every
#      file of model/.
#   i. `sign --incremental --force` after model/config.json was rewritten
#      (a counter) before each run: best of 5, 2.5 s apart. Target <= 100
#      ms. Check: the signature then verifies. config.json gets its original
#      bytes back at the end of the group, or at exit if it fails (from
#      DIR/.modelseal-bench-config.json.orig, also restored at the next
#      start if the script was killed).
#   j. `modelseal hook verify --model model/ --signature DIR/status.sig`
#      (the pre-commit hook), unchanged model, from DIR: best of 10. Target
#      <= 300 ms. Skipped while `modelseal hook --help` fails.
#   k. trust policy evaluation: one-file/ copied to DIR/policy/model, signed
#      by an Ed25519 developer key, with 100 attestations (1 lineage, 99
#      passing security tests by an Ed25519 tester key) and a policy with
#      every rule: `verify --policy` vs *`verify --key` of the same model,
#      best of 10 each. Target: the difference (policy evaluation, reading
#      and checking the 100 signed statements) < 10 ms.
#   l. model/ as a Hugging Face hub cache snapshot: DIR/hub/models--bench--
#      model/{blobs/, snapshots/REV/, refs/main}, each blob a hard link to a
#      file of model/ (the same bytes and page cache; blob names are stand-
#      ins for the hub's content hashes), each snapshot file a relative link
#      ../../blobs/NAME as huggingface_hub writes it. `modelseal verify` of
#      the snapshot vs *`modelseal verify` of model/, both with the P-256
#      signature of model/ (DIR/hub.sig). Target: snapshot wall within 5%
#      of the plain directory (ratio >= 0.95x).
#
# Timing: single processes use the "Elapsed (wall clock)" of time -v (10 ms
# resolution; under 1 s, $EPOCHREALTIME around it instead); two-process cases use $EPOCHREALTIME around both and `wait`
# (RSS = the larger of the two); millisecond cases (d, one-file verify) are
# the best of 10 bare runs timed with $EPOCHREALTIME, RSS from one extra
# time -v run. Cases f, h, i and j use the millisecond method (i: best of 5);
# g the single-process one.
#
# Needs: bash >= 5, cargo, openssl, GNU time (/usr/bin/time; Debian: `time`),
# GNU coreutils/findutils, awk; python3 with venv for case e.
# MODELSEAL_BENCH_UNIT=BYTES shrinks the "1 GiB" files (only to test this
# script quickly; use a separate --dir).
set -euo pipefail
export LC_ALL=C

readonly GIB=1073741824
# Size of each "1 GiB" file; only shrink it to test this script itself.
readonly UNIT=${MODELSEAL_BENCH_UNIT:-$GIB}
readonly LAYOUT="modelseal-bench data layout v1, unit ${UNIT}"
readonly FAST_RUNS=10
readonly RSS_NOTE_MIB=64

# ---------------------------------------------------------------- options --

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "${script_dir}/.." && pwd)

DIR="${TMPDIR:-/tmp}/modelseal-bench"
ONLY=all
KEEP=0
CLEAN=0
RUNS=3
BUILD=1
PREPARE_ONLY=0

usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
}

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
say() { printf '[bench] %s\n' "$*" >&2; }

while (($# > 0)); do
    case $1 in
        --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR=$2; shift 2 ;;
        --dir=*) DIR=${1#*=}; shift ;;
        --only) [[ $# -ge 2 ]] || die "--only needs a value"; ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        --clean) CLEAN=1; shift ;;
        --runs) [[ $# -ge 2 ]] || die "--runs needs a value"; RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --no-build) BUILD=0; shift ;;
        --prepare) PREPARE_ONLY=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

case $ONLY in
    hash | sign | formats | status | policy | layouts | all) ;;
    *) die "--only must be hash, sign, formats, status, policy, layouts or all (got '${ONLY}')" ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ -n ${EPOCHREALTIME:-} ]] || die "bash >= 5 is required (EPOCHREALTIME)"

want_hash() { [[ $ONLY == hash || $ONLY == all ]]; }
want_sign() { [[ $ONLY == sign || $ONLY == all ]]; }
want_formats() { [[ $ONLY == formats || $ONLY == all ]]; }
want_status() { [[ $ONLY == status || $ONLY == all ]]; }
want_policy() { [[ $ONLY == policy || $ONLY == all ]]; }
want_layouts() { [[ $ONLY == layouts || $ONLY == all ]]; }

for tool in openssl awk find sort split stat; do
    command -v "$tool" >/dev/null 2>&1 || die "'${tool}' not found"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found; on Debian: apt-get install time"

mkdir -p -- "$DIR"
DIR=$(cd "$DIR" && pwd)
readonly MODEL="$DIR/model" SMALL_ONLY="$DIR/small-only" BIG="$DIR/big.bin" ONE="$DIR/one-file"
readonly MARKER="$DIR/.modelseal-bench-data" INCOMPLETE="$DIR/.modelseal-bench-incomplete"
# Cases f-g: a safetensors file made from big.bin, and a model of it alone.
readonly ST="$DIR/weights-4g.safetensors" ST_MODEL="$DIR/st-model" ST_NAME=weights-4g.safetensors
readonly ST_MARKER="$DIR/.modelseal-bench-st" ED_KEY="$DIR/ed.key"
# Cases h-j: their signature, digest cache, and the saved model/config.json.
readonly STATUS_SIG="$DIR/status.sig" STATUS_CACHE="$DIR/status-cache"
readonly CONFIG_JSON="$MODEL/config.json" CONFIG_ORIG="$DIR/.modelseal-bench-config.json.orig"

# ---------------------------------------------------------------- cleanup --

SCRATCH=""
declare -a SIGS_MADE=() BG_PIDS=()

# Case i rewrites model/config.json: put its original bytes (and mtime) back
# from CONFIG_ORIG, then drop the copy.
restore_config() {
    [[ -f $CONFIG_ORIG ]] || return 0
    if [[ -d $MODEL ]]; then
        cp -p -- "$CONFIG_ORIG" "$CONFIG_JSON" || { say "could not restore ${CONFIG_JSON} from ${CONFIG_ORIG}"; return 1; }
    fi
    rm -f -- "$CONFIG_ORIG"
}

cleanup() {
    local pid sig
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    restore_config || true
    if ((KEEP == 0)); then
        for sig in "${SIGS_MADE[@]}"; do
            rm -f -- "$sig"
        done
        [[ -n $SCRATCH ]] && rm -rf -- "$SCRATCH"
        [[ $ONLY == status || $ONLY == all ]] && rm -rf -- "$STATUS_CACHE"
    elif [[ -n $SCRATCH ]]; then
        say "kept signatures and logs: ${SIGS_MADE[*]} ${SCRATCH}"
    fi
    if ((CLEAN == 1)) && [[ -f $MARKER || -f $INCOMPLETE ]]; then
        say "removing synthetic data under ${DIR}"
        rm -rf -- "$MODEL" "$SMALL_ONLY" "$BIG" "$ONE" "$MARKER" "$INCOMPLETE"
        rm -rf -- "$ST" "$ST.tmp" "$ST_MODEL" "$ST_MARKER"
        rm -f -- "$DIR/p256.key" "$DIR/p256.pub" "$DIR/p256-pkcs8.key" "$ED_KEY" "$ED_KEY.pub"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SCRATCH=$(mktemp -d "$DIR/run.XXXXXX")
# A run killed during case i left config.json rewritten: restore it before
# the data are checked and reused.
if [[ -f $CONFIG_ORIG ]]; then
    say "restoring ${CONFIG_JSON} left rewritten by an interrupted run"
    restore_config || die "could not restore ${CONFIG_JSON}"
fi

# ------------------------------------------------------------------ maths --

# awk helpers: decimal arithmetic and comparisons.
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
fmt() { awk -v v="$2" "BEGIN { printf \"$1\", v }"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# Total bytes of the regular files under the given paths.
bytes_of() { find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }'; }

# ---------------------------------------------------------------- binary --

if ((BUILD == 1)); then
    say "cargo build --release -p modelseal-cli --locked"
    (cd "$repo_root" && cargo build --release -p modelseal-cli --locked) \
        || die "cargo build failed"
fi
target_dir=${CARGO_TARGET_DIR:-$repo_root/target}
[[ $target_dir == /* ]] || target_dir=$repo_root/$target_dir
BUILT_BIN=$target_dir/release/modelseal
[[ -x $BUILT_BIN ]] || die "$BUILT_BIN not found (build it, or drop --no-build)"
# Benchmark a private copy: a concurrent `cargo build` may replace the original.
BIN=$SCRATCH/modelseal
cp -- "$BUILT_BIN" "$BIN"

# Case g: the verify-on-load example of crates/modelseal.
LOADER="" loader_note=""
BUILT_LOADER=$target_dir/release/examples/load_verified
if want_formats; then
    if ((BUILD == 1)); then
        say "cargo build --release --example load_verified -p modelseal --locked"
        (cd "$repo_root" && cargo build --release --example load_verified -p modelseal --locked) >&2 \
            || loader_note="cargo build --release --example load_verified -p modelseal --locked failed"
    fi
    if [[ -n $loader_note ]]; then
        say "$loader_note"
    elif [[ -x $BUILT_LOADER ]]; then
        LOADER=$SCRATCH/load_verified
        cp -- "$BUILT_LOADER" "$LOADER"
    else
        loader_note="$BUILT_LOADER not found"
    fi
fi

# ------------------------------------------------------------------- data --

# gen_random FILE BYTES SEED: BYTES of AES-128-CTR keystream (key = SEED).
gen_random() {
    local file=$1 bytes=$2 key
    key=$(printf '%032x' "$3")
    head -c "$bytes" /dev/zero \
        | openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000001 -out "$file"
    [[ $(stat -c %s "$file") == "$bytes" ]] || die "short write: $file"
}

# Config/tokenizer files in model/: path:bytes. 33 named + 17 generated = 50.
readonly -a CONFIG_FILES=(
    config.json:1096 generation_config.json:184 tokenizer.json:2000000
    tokenizer_config.json:51234 special_tokens_map.json:551 added_tokens.json:100
    vocab.txt:231508 vocab.json:798156 merges.txt:456318 tokenizer.model:499723
    spiece.model:791656 sentencepiece.bpe.model:1000000
    model.safetensors.index.json:23950 pytorch_model.bin.index.json:24110
    preprocessor_config.json:402 processor_config.json:128 chat_template.jinja:4163
    README.md:9421 LICENSE:11357 USE_POLICY.md:4691 NOTICE:1204 params.json:211
    original/params.json:211 original/tokenizer.model:2000000
    onnx/config.json:1096 onnx/ort_config.json:1517
    tokenizer/tokenizer_config.json:2650 tokenizer/special_tokens_map.json:472
    tokenizer/vocab.json:1061616 scheduler/scheduler_config.json:579
    text_encoder/config.json:613 vae/config.json:774 unet/config.json:1848
)
readonly N_VARIANTS=17

make_data() {
    local p existing=()
    for p in "$MODEL" "$SMALL_ONLY" "$BIG" "$ONE"; do
        [[ -e $p ]] && existing+=("$p")
    done
    if ((${#existing[@]} > 0)); then
        [[ -f $MARKER || -f $INCOMPLETE ]] \
            || die "${existing[*]} exist(s) but was not made by this script; use another --dir"
        say "removing stale synthetic data in ${DIR}"
        rm -rf -- "$MODEL" "$SMALL_ONLY" "$BIG" "$ONE"
    fi
    # Made from big.bin: stale with it.
    [[ -f $ST_MARKER ]] && rm -rf -- "$ST" "$ST.tmp" "$ST_MODEL" "$ST_MARKER"
    rm -f -- "$MARKER"
    : >"$INCOMPLETE"

    local avail_kb need_kb=$((8 * UNIT / 1024 + 65536))
    avail_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
    ((avail_kb > need_kb)) || die "need $((need_kb / 1048576 + 1)) GiB free in ${DIR}, have $((avail_kb / 1048576)) GiB"

    say "creating synthetic data in ${DIR} (~8 GiB; disk-bound, a minute or two)"
    mkdir -p -- "$MODEL/small" "$ONE"

    # Two writers of 4 GiB each, in parallel.
    local pid_w pid_b i
    (for i in 1 2 3 4; do gen_random "$MODEL/weights-0000${i}-of-00004.bin" "$UNIT" "$i"; done) &
    pid_w=$!
    BG_PIDS+=("$pid_w")
    gen_random "$BIG" $((4 * UNIT)) 99 &
    pid_b=$!
    BG_PIDS+=("$pid_b")

    local entry path size seed=100
    for entry in "${CONFIG_FILES[@]}"; do
        path=${entry%:*} size=${entry##*:}
        mkdir -p -- "$(dirname -- "$MODEL/$path")"
        gen_random "$MODEL/$path" "$size" $((seed++))
    done
    mkdir -p -- "$MODEL/configs"
    for ((i = 0; i < N_VARIANTS; i++)); do
        # Log-spaced sizes from 100 B to 2 MB.
        size=$(calc "int(100 * 20000 ^ ($i / ($N_VARIANTS - 1)))")
        gen_random "$MODEL/configs/variant-$(printf '%02d' "$i").json" "$size" $((seed++))
    done

    gen_random "$SCRATCH/small.bin" $((2000 * 4096)) 7
    split -b 4096 -a 4 -d --additional-suffix=.bin "$SCRATCH/small.bin" "$MODEL/small/shard-"
    rm -f -- "$SCRATCH/small.bin"
    cp -r -- "$MODEL/small" "$SMALL_ONLY"
    gen_random "$ONE/model.bin" 1024 8

    wait "$pid_w" || die "writing the weights failed"
    wait "$pid_b" || die "writing big.bin failed"
    BG_PIDS=()

    local n
    n=$(find "$MODEL" -type f | wc -l)
    ((n == 4 + ${#CONFIG_FILES[@]} + N_VARIANTS + 2000)) || die "unexpected file count in model/: $n"
    sync
    printf '%s\n' "$LAYOUT" >"$MARKER"
    rm -f -- "$INCOMPLETE"
    say "synthetic data ready"
}

if [[ -f $MARKER && $(cat "$MARKER") == "$LAYOUT" && -f $BIG && -d $MODEL && -d $SMALL_ONLY && -d $ONE ]]; then
    say "reusing synthetic data in ${DIR}"
else
    make_data
fi

BIG_BYTES=$(stat -c %s "$BIG")

# Cases f-g. The header as the brief for these cases gives it, for a 4 GiB
# big.bin; its length, 8 bytes little-endian, first; spaces pad 8 + header
# length to a multiple of 8 (safetensors requires 8-byte alignment of the
# data, and allows trailing spaces in the header).
st_header() {
    local h
    h=$(printf '{"weights":{"dtype":"U8","shape":[%s],"data_offsets":[0,%s]},"__metadata__":{"format":"pt"}}' \
        "$BIG_BYTES" "$BIG_BYTES")
    while (((8 + ${#h}) % 8 != 0)); do h+=" "; done
    printf '%s' "$h"
}
ST_LAYOUT="weights-4g.safetensors v1: ${LAYOUT}, header $(st_header | wc -c) B"

make_st_data() {
    local header len i le=""
    if [[ -e $ST || -e $ST_MODEL ]] && [[ ! -f $ST_MARKER ]]; then
        die "${ST} or ${ST_MODEL} exists but was not made by this script; use another --dir"
    fi
    header=$(st_header)
    len=${#header}
    if [[ -f $ST_MARKER && $(cat "$ST_MARKER") == "$ST_LAYOUT" && -f $ST \
        && $(stat -c %s "$ST") == $((8 + len + BIG_BYTES)) ]]; then
        say "reusing ${ST}"
    else
        local avail_kb need_kb=$((BIG_BYTES / 1024 + 65536))
        avail_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
        ((avail_kb > need_kb)) || die "need $((need_kb / 1048576 + 1)) GiB free in ${DIR} for ${ST}, have $((avail_kb / 1048576)) GiB"
        say "creating ${ST} from big.bin (header ${len} B)"
        echo incomplete >"$ST_MARKER"
        rm -rf -- "$ST" "$ST_MODEL"
        for ((i = 0; i < 8; i++)); do le+=$(printf '\\0%03o' $(((len >> (8 * i)) & 255))); done
        { printf '%b' "$le"; printf '%s' "$header"; cat -- "$BIG"; } >"$ST.tmp"
        [[ $(stat -c %s "$ST.tmp") == $((8 + len + BIG_BYTES)) ]] || die "short write: $ST.tmp"
        mv -f -- "$ST.tmp" "$ST"
        printf '%s\n' "$ST_LAYOUT" >"$ST_MARKER"
    fi
    # The model directory of case g: the file alone (its signature is made
    # at each run). A hard link, or a copy where links are not possible.
    mkdir -p -- "$ST_MODEL"
    if [[ ! $ST_MODEL/$ST_NAME -ef $ST ]]; then
        rm -f -- "$ST_MODEL/$ST_NAME"
        ln -- "$ST" "$ST_MODEL/$ST_NAME" 2>/dev/null || cp -- "$ST" "$ST_MODEL/$ST_NAME"
    fi
}

if want_formats; then make_st_data; fi

MODEL_BYTES=$(bytes_of "$MODEL")
SMALL_BYTES=$(bytes_of "$SMALL_ONLY")
ONE_BYTES=$(bytes_of "$ONE")
MODEL_FILES=$(find "$MODEL" -type f | wc -l)

# ------------------------------------------------------------------ tools --

HAVE_HASH=0
"$BIN" hash --help >/dev/null 2>&1 && HAVE_HASH=1
HAVE_SIGN=0
"$BIN" sign --help >/dev/null 2>&1 && HAVE_SIGN=1
HAVE_INSPECT=0
"$BIN" inspect --help >/dev/null 2>&1 && HAVE_INSPECT=1
HAVE_STATUS=0
"$BIN" status --help >/dev/null 2>&1 && HAVE_STATUS=1
HAVE_HOOK=0
"$BIN" hook --help >/dev/null 2>&1 && HAVE_HOOK=1

B3SUM=""
b3sum_note=""
if want_hash && ((HAVE_HASH == 1 || PREPARE_ONLY == 1)); then
    if command -v b3sum >/dev/null 2>&1; then
        B3SUM=$(command -v b3sum)
    elif [[ -x $DIR/tools/bin/b3sum ]]; then
        B3SUM=$DIR/tools/bin/b3sum
    else
        say "b3sum not on PATH: cargo install b3sum --locked --root ${DIR}/tools"
        if cargo install b3sum --locked --root "$DIR/tools" >&2; then
            B3SUM=$DIR/tools/bin/b3sum
        else
            b3sum_note="cargo install b3sum failed"
        fi
    fi
fi

VENV=""
ref_note=""
((HAVE_SIGN == 1)) || ref_note="not installed: modelseal sign not available"
if want_sign && ((HAVE_SIGN == 1 || PREPARE_ONLY == 1)); then
    venv_dir=${MODELSEAL_REFERENCE_VENV:-$DIR/venv}
    say "reference tool: scripts/reference-tool.sh (venv ${venv_dir})"
    if VENV=$(MODELSEAL_REFERENCE_VENV=$venv_dir bash "$repo_root/scripts/reference-tool.sh"); then
        :
    else
        VENV=""
        ref_note="scripts/reference-tool.sh failed"
    fi
fi

if ((PREPARE_ONLY == 1)); then
    say "prepared: ${DIR}"
    exit 0
fi

# ------------------------------------------------------------ measurement --

# Results of the last measurement.
M_WALL="" M_RSS_KB="" M_RC=0
T_WALL="" T_RSS_KB=""
PRE_HOOK=:
declare -a FAIL_NOTES=()

# parse_time FILE: T_WALL (s) and T_RSS_KB from a `time -v` report.
parse_time() {
    T_WALL=$(awk -F': ' '/Elapsed \(wall clock\) time/ {
        n = split($NF, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]
        printf "%.3f", s }' "$1")
    T_RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $NF }' "$1")
    [[ -n $T_WALL && -n $T_RSS_KB ]] || die "could not parse $1"
}

record_failure() { # TAG RC ERRFILE
    FAIL_NOTES+=("$1: exit $2: $(tail -n 3 "$3" | tr '\n' ' ')")
    say "$1 FAILED (exit $2): $(tail -n 3 "$3" | tr '\n' ' ')"
}

# measure TAG CMD...: best of $RUNS runs of one process under time -v.
# The best run's stdout is kept in $SCRATCH/TAG.out.
measure() {
    local tag=$1 i rc t0 t1
    shift
    local tf=$SCRATCH/$tag.time out=$SCRATCH/$tag.out err=$SCRATCH/$tag.err
    M_WALL="" M_RSS_KB="" M_RC=0 M_WORST="" M_WORST_RUN=""
    for ((i = 1; i <= RUNS; i++)); do
        "$PRE_HOOK"
        rc=0
        t0=$EPOCHREALTIME
        /usr/bin/time -v -o "$tf" "$@" >"$out.run" 2>"$err" || rc=$?
        t1=$EPOCHREALTIME
        if ((rc != 0)); then
            M_RC=$rc
            record_failure "$tag" "$rc" "$err"
            return 0
        fi
        parse_time "$tf"
        # Below 1 s the 10 ms resolution of time -v is too coarse.
        if lt "$T_WALL" 1; then T_WALL=$(elapsed "$t0" "$t1"); fi
        say "$tag run $i/$RUNS: $(fmt '%.3f' "$T_WALL") s, $((T_RSS_KB / 1024)) MiB"
        if [[ -z $M_WORST ]] || lt "$M_WORST" "$T_WALL"; then M_WORST=$T_WALL M_WORST_RUN=$i; fi
        if [[ -z $M_WALL ]] || lt "$T_WALL" "$M_WALL"; then
            M_WALL=$T_WALL M_RSS_KB=$T_RSS_KB
            mv -f -- "$out.run" "$out"
        fi
    done
    rm -f -- "$out.run"
}

# measure_pair TAG: best of $RUNS runs of PAIR_A and PAIR_B in parallel.
declare -a PAIR_A=() PAIR_B=()
measure_pair() {
    local tag=$1 i rca rcb pa pb t0 t1 wall rss
    local base=$SCRATCH/$tag
    M_WALL="" M_RSS_KB="" M_RC=0
    for ((i = 1; i <= RUNS; i++)); do
        rca=0 rcb=0
        t0=$EPOCHREALTIME
        /usr/bin/time -v -o "$base.a.time" "${PAIR_A[@]}" >"$base.a.out" 2>"$base.a.err" &
        pa=$!
        /usr/bin/time -v -o "$base.b.time" "${PAIR_B[@]}" >"$base.b.out" 2>"$base.b.err" &
        pb=$!
        BG_PIDS=("$pa" "$pb")
        wait "$pa" || rca=$?
        wait "$pb" || rcb=$?
        t1=$EPOCHREALTIME
        BG_PIDS=()
        if ((rca != 0 || rcb != 0)); then
            M_RC=$((rca != 0 ? rca : rcb))
            record_failure "$tag" "$M_RC" "$([[ $rca != 0 ]] && echo "$base.a.err" || echo "$base.b.err")"
            return 0
        fi
        wall=$(elapsed "$t0" "$t1")
        parse_time "$base.a.time"
        rss=$T_RSS_KB
        parse_time "$base.b.time"
        ((T_RSS_KB > rss)) && rss=$T_RSS_KB
        say "$tag run $i/$RUNS: $(fmt '%.3f' "$wall") s, $((rss / 1024)) MiB"
        if [[ -z $M_WALL ]] || lt "$wall" "$M_WALL"; then
            M_WALL=$wall M_RSS_KB=$rss
            cat "$base.a.out" "$base.b.out" >"$base.out"
        fi
    done
}

# measure_fast TAG CMD...: one time -v run (exit status, RSS), then the best
# of $FAST_COUNT (default $FAST_RUNS) bare runs timed with EPOCHREALTIME (ms
# resolution matters). $PRE_HOOK runs, untimed, before each of them.
FAST_COUNT=$FAST_RUNS
measure_fast() {
    local tag=$1 i rc t0 t1 wall
    shift
    local tf=$SCRATCH/$tag.time out=$SCRATCH/$tag.out err=$SCRATCH/$tag.err
    M_WALL="" M_RSS_KB="" M_RC=0
    rc=0
    "$PRE_HOOK"
    /usr/bin/time -v -o "$tf" "$@" >"$out" 2>"$err" || rc=$?
    if ((rc != 0)); then
        M_RC=$rc
        record_failure "$tag" "$rc" "$err"
        return 0
    fi
    parse_time "$tf"
    M_RSS_KB=$T_RSS_KB
    for ((i = 1; i <= FAST_COUNT; i++)); do
        "$PRE_HOOK"
        rc=0
        t0=$EPOCHREALTIME
        "$@" >/dev/null 2>&1 || rc=$?
        t1=$EPOCHREALTIME
        if ((rc != 0)); then
            M_RC=$rc
            printf 'bare run %d exited %d\n' "$i" "$rc" >"$err"
            record_failure "$tag" "$rc" "$err"
            return 0
        fi
        wall=$(elapsed "$t0" "$t1")
        if [[ -z $M_WALL ]] || lt "$wall" "$M_WALL"; then M_WALL=$wall; fi
    done
    say "$tag best of $FAST_COUNT: $(fmt '%.1f' "$(calc "$M_WALL * 1000")") ms, $((M_RSS_KB / 1024)) MiB"
}

# --------------------------------------------------------------- results --

declare -a ROWS=() TARGETS=() NOTES=()
ROW_SEP=$'\x1f'

# add_row CASE TOOL BYTES BASE_WALL: from the last measurement. BYTES "" for
# no GB/s. BASE_WALL is a number, "base" for the baseline itself, or "" for
# no ratio.
add_row() {
    local case=$1 tool=$2 bytes=$3 base=$4 wall gbs rss ratio
    if ((M_RC != 0)); then
        ROWS+=("$case$ROW_SEP$tool${ROW_SEP}FAILED (exit $M_RC)$ROW_SEP-$ROW_SEP-$ROW_SEP-")
        return 0
    fi
    if lt "$M_WALL" 1; then wall=$(fmt '%.4f' "$M_WALL"); else wall=$(fmt '%.3f' "$M_WALL"); fi
    if [[ -n $bytes ]]; then
        gbs=$(calc "$bytes / ($M_WALL > 0 ? $M_WALL : 1e-9) / 1e9")
        gbs=$(fmt '%.2f' "$gbs")
    else
        gbs="-"
    fi
    rss=$(calc "$M_RSS_KB / 1024")
    rss=$(fmt '%.1f' "$rss")
    case $base in
        base) ratio="1.00x (base)" ;;
        "") ratio="-" ;;
        *) ratio="$(fmt '%.2f' "$(calc "$base / $M_WALL")")x" ;;
    esac
    ROWS+=("$case$ROW_SEP$tool$ROW_SEP$wall$ROW_SEP$gbs$ROW_SEP$rss$ROW_SEP$ratio")
    if [[ $tool == modelseal* ]] && ge "$rss" "$RSS_NOTE_MIB"; then
        NOTES+=("$case: '$tool' peak RSS ${rss} MiB (> ${RSS_NOTE_MIB} MiB)")
    fi
}

add_skip() { ROWS+=("$1$ROW_SEP$2${ROW_SEP}-$ROW_SEP-$ROW_SEP-$ROW_SEP-"); say "$1: $2"; }

# target_ratio NAME MIN OK BASE_WALL TOOL_WALL
target_ratio() {
    local name=$1 min=$2 ok=$3 base=$4 wall=$5 r
    if [[ $ok != 1 ]]; then
        TARGETS+=("FAIL  $name: ratio >= ${min}x (a run failed or was skipped)")
        return 0
    fi
    r=$(fmt '%.2f' "$(calc "$base / $wall")")
    if ge "$r" "$min"; then
        TARGETS+=("PASS  $name: ${r}x (target >= ${min}x)")
    else
        TARGETS+=("FAIL  $name: ${r}x (target >= ${min}x)")
    fi
}

# target_ms NAME MAX_MS OK WALL_S
target_ms() {
    local name=$1 max=$2 ok=$3 ms
    if [[ $ok != 1 ]]; then
        TARGETS+=("FAIL  $name: <= ${max} ms (a run failed or was skipped)")
        return 0
    fi
    ms=$(fmt '%.1f' "$(calc "$4 * 1000")")
    if ge "$max" "$ms"; then
        TARGETS+=("PASS  $name: ${ms} ms (target <= ${max} ms)")
    else
        TARGETS+=("FAIL  $name: ${ms} ms (target <= ${max} ms)")
    fi
}

declare -a CHECKS=()
# check_digest WHAT HEX FILE: is HEX in the modelseal output FILE?
check_digest() {
    if [[ -z $2 ]]; then
        CHECKS+=("?     $1: no reference digest")
    elif [[ -f $3 ]] && grep -qi -- "$2" "$3"; then
        CHECKS+=("ok    $1: ${2:0:16}... found in modelseal output")
    else
        CHECKS+=("FAIL  $1: ${2:0:16}... not found in modelseal output")
    fi
}

# ok: 1 if the last measurement succeeded, else 0.
ok() { if ((M_RC == 0)); then echo 1; else echo 0; fi; }
# both A B: 1 if A and B are both 1, else 0.
both() { if [[ $1 == 1 && $2 == 1 ]]; then echo 1; else echo 0; fi; }

# -------------------------------------------------------------- warm-up --

LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)
say "warming the page cache"
if want_hash || want_sign || want_status || want_layouts; then
    find "$MODEL" "$SMALL_ONLY" "$ONE" -type f -print0 | xargs -0 cat >/dev/null
fi
if want_hash; then cat "$BIG" >/dev/null; fi
if want_formats; then cat "$ST" >/dev/null; fi

# ------------------------------------------------------------ hash cases --

run_hash_cases() {
    local base ok_base wall ok_ms
    if ((HAVE_HASH == 0)); then
        add_skip "a-d. hash" "skipped: modelseal hash not available"
        TARGETS+=("SKIP  a-d: modelseal hash not available")
        return 0
    fi

    # Split model/ into two halves of ~equal bytes (largest first, greedy).
    local size path sum_a=0 sum_b=0
    local -a half_a=() half_b=()
    while IFS=$'\t' read -r -d '' size path; do
        if ((sum_a <= sum_b)); then
            half_a+=("$path") sum_a=$((sum_a + size))
        else
            half_b+=("$path") sum_b=$((sum_b + size))
        fi
    done < <(find "$MODEL" -type f -printf '%s\t%p\0' | sort -z -t $'\t' -k1,1nr -k2,2)
    NOTES+=("a: openssl halves: ${#half_a[@]} files / ${sum_a} B and ${#half_b[@]} files / ${sum_b} B")

    local -a all_files=()
    mapfile -d '' all_files < <(find "$MODEL" -type f -print0 | sort -z)

    local c_a="a. model/ sha256 (${MODEL_FILES} files)"
    PAIR_A=(openssl dgst -sha256 "${half_a[@]}")
    PAIR_B=(openssl dgst -sha256 "${half_b[@]}")
    measure_pair a-openssl
    base=$M_WALL ok_base=$(ok)
    add_row "$c_a" "openssl dgst -sha256, 2 processes" "$MODEL_BYTES" base
    measure a-modelseal "$BIN" hash "$MODEL" --hash sha256 --format json
    add_row "$c_a" "modelseal hash --hash sha256 --format json" "$MODEL_BYTES" "$base"
    target_ratio "a. sha256 model/ vs 2x openssl" 1.0 "$(both "$ok_base" "$(ok)")" "$base" "$M_WALL"
    local w1_hex=""
    [[ -f $SCRATCH/a-openssl.out ]] \
        && w1_hex=$(awk -v f="$MODEL/weights-00001-of-00004.bin" 'index($0, "(" f ")=") { print $NF }' "$SCRATCH/a-openssl.out")
    check_digest "a. sha256 weights-00001 (openssl)" "$w1_hex" "$SCRATCH/a-modelseal.out"

    local c_b="b. big.bin sha256 (4 GiB)"
    measure b-openssl openssl dgst -sha256 "$BIG"
    base=$M_WALL ok_base=$(ok)
    add_row "$c_b" "openssl dgst -sha256" "$BIG_BYTES" base
    measure b-shards "$BIN" hash "$BIG" --hash sha256 --method shards
    add_row "$c_b" "modelseal hash --hash sha256 --method shards" "$BIG_BYTES" "$base"
    target_ratio "b. sha256 big.bin shards vs openssl" 1.8 "$(both "$ok_base" "$(ok)")" "$base" "$M_WALL"
    measure b-files "$BIN" hash "$BIG" --hash sha256
    add_row "$c_b" "modelseal hash --hash sha256 (files, info)" "$BIG_BYTES" "$base"
    local big_hex=""
    [[ -f $SCRATCH/b-openssl.out ]] && big_hex=$(awk '{ print $NF; exit }' "$SCRATCH/b-openssl.out")
    check_digest "b. sha256 big.bin, files method (openssl)" "$big_hex" "$SCRATCH/b-files.out"

    local c_c1="c. model/ blake3" c_c2="c. big.bin blake3"
    if [[ -z $B3SUM ]]; then
        add_skip "$c_c1" "skipped: b3sum not available${b3sum_note:+ ($b3sum_note)}"
        add_skip "$c_c2" "skipped: b3sum not available${b3sum_note:+ ($b3sum_note)}"
        TARGETS+=("SKIP  c. blake3: b3sum not available")
    else
        measure c1-b3sum "$B3SUM" "${all_files[@]}"
        base=$M_WALL ok_base=$(ok)
        add_row "$c_c1" "b3sum <all files>" "$MODEL_BYTES" base
        measure c1-modelseal "$BIN" hash "$MODEL" --hash blake3
        add_row "$c_c1" "modelseal hash --hash blake3" "$MODEL_BYTES" "$base"
        target_ratio "c. blake3 model/ vs b3sum" 0.9 "$(both "$ok_base" "$(ok)")" "$base" "$M_WALL"

        measure c2-b3sum "$B3SUM" "$BIG"
        base=$M_WALL ok_base=$(ok)
        add_row "$c_c2" "b3sum big.bin" "$BIG_BYTES" base
        measure c2-modelseal "$BIN" hash "$BIG" --hash blake3
        add_row "$c_c2" "modelseal hash --hash blake3" "$BIG_BYTES" "$base"
        target_ratio "c. blake3 big.bin vs b3sum" 0.9 "$(both "$ok_base" "$(ok)")" "$base" "$M_WALL"
        local b3_hex=""
        [[ -f $SCRATCH/c2-b3sum.out ]] && b3_hex=$(awk '{ print $1; exit }' "$SCRATCH/c2-b3sum.out")
        check_digest "c. blake3 big.bin (b3sum)" "$b3_hex" "$SCRATCH/c2-modelseal.out"
    fi

    local c_d="d. small-only/ 2000 x 4 KiB"
    measure_fast d-modelseal "$BIN" hash "$SMALL_ONLY"
    add_row "$c_d" "modelseal hash (best of ${FAST_RUNS})" "$SMALL_BYTES" ""
    wall=$M_WALL ok_ms=$(ok)
    target_ms "d. hash 2000 x 4 KiB" 50 "$ok_ms" "$wall"
}

# ------------------------------------------------------------ sign cases --

rm_ref_sig() { rm -f -- "$DIR/ref.sig"; }

run_sign_cases() {
    local c_s="e. sign model/" c_v="e. verify model/" c_o="e. verify one-file/ (1 KiB)"
    if ((HAVE_SIGN == 0)); then
        add_skip "e. sign/verify" "skipped: modelseal sign not available"
        TARGETS+=("SKIP  e. sign/verify: modelseal sign not available")
        return 0
    fi

    local key=$DIR/p256.key pub=$DIR/p256.pub pk8=$DIR/p256-pkcs8.key
    if [[ ! -f $key || ! -f $pub || ! -f $pk8 ]]; then
        say "creating P-256 key pair in ${DIR}"
        openssl ecparam -name prime256v1 -genkey -noout -out "$key"
        openssl ec -in "$key" -pubout -out "$pub" 2>/dev/null
        openssl pkcs8 -topk8 -nocrypt -in "$key" -out "$pk8"
    fi
    local ms_sig=$DIR/ms.sig ref_sig=$DIR/ref.sig ms_one=$DIR/ms-one.sig ref_one=$DIR/ref-one.sig
    SIGS_MADE+=("$ms_sig" "$ref_sig" "$ms_one" "$ref_one")
    local ref=""
    [[ -n $VENV && -x $VENV/bin/model_signing ]] && ref=$VENV/bin/model_signing

    local base_s="" base_v="" ok_s=0 ok_v=0 ms_s_ok ms_v_ok ms_s_wall ms_v_wall
    if [[ -n $ref ]]; then
        PRE_HOOK=rm_ref_sig
        measure e-ref-sign "$ref" sign key "$MODEL" --private_key "$key" --signature "$ref_sig"
        PRE_HOOK=:
        base_s=$M_WALL ok_s=$(ok)
        add_row "$c_s" "model_signing sign key (1.1.1)" "$MODEL_BYTES" base
    else
        add_skip "$c_s" "skipped: reference tool not available${ref_note:+ ($ref_note)}"
    fi
    measure e-ms-sign "$BIN" sign "$MODEL" --key "$pk8" --signature "$ms_sig" --force
    ms_s_ok=$(ok) ms_s_wall=$M_WALL
    add_row "$c_s" "modelseal sign" "$MODEL_BYTES" "$base_s"

    if [[ -n $ref && $ok_s == 1 ]]; then
        measure e-ref-verify "$ref" verify key "$MODEL" --signature "$ref_sig" --public_key "$pub"
        base_v=$M_WALL ok_v=$(ok)
        add_row "$c_v" "model_signing verify key (1.1.1)" "$MODEL_BYTES" base
    else
        add_skip "$c_v" "skipped: no reference signature"
    fi
    if [[ $ms_s_ok == 1 ]]; then
        measure e-ms-verify "$BIN" verify "$MODEL" --signature "$ms_sig" --key "$pub"
        ms_v_ok=$(ok) ms_v_wall=$M_WALL
        add_row "$c_v" "modelseal verify" "$MODEL_BYTES" "$base_v"
    else
        ms_v_ok=0 ms_v_wall=""
        add_skip "$c_v" "skipped: modelseal sign failed"
    fi
    target_ratio "e. sign model/ vs model_signing" 1.5 "$(both "$ok_s" "$ms_s_ok")" "$base_s" "$ms_s_wall"
    target_ratio "e. verify model/ vs model_signing" 1.5 "$(both "$ok_v" "$ms_v_ok")" "$base_v" "$ms_v_wall"

    # Interoperability, untimed: each tool verifies the other's signature.
    if [[ -n $ref && $ok_s == 1 && $ms_s_ok == 1 ]]; then
        if "$BIN" verify "$MODEL" --signature "$ref_sig" --key "$pub" >/dev/null 2>&1; then
            CHECKS+=("ok    e. modelseal verifies model_signing's signature")
        else
            CHECKS+=("FAIL  e. modelseal does not verify model_signing's signature")
        fi
        if "$ref" verify key "$MODEL" --signature "$ms_sig" --public_key "$pub" >/dev/null 2>&1; then
            CHECKS+=("ok    e. model_signing verifies modelseal's signature")
        else
            CHECKS+=("FAIL  e. model_signing does not verify modelseal's signature")
        fi
    fi

    # Start-up + verification of a one-file model.
    local base_o="" one_ok=0
    if ! "$BIN" sign "$ONE" --key "$pk8" --signature "$ms_one" --force >/dev/null 2>"$SCRATCH/one.err"; then
        add_skip "$c_o" "skipped: modelseal sign of one-file/ failed"
        TARGETS+=("FAIL  e. verify one-file/: signing it failed")
        return 0
    fi
    if [[ -n $ref ]] && "$ref" sign key "$ONE" --private_key "$key" --signature "$ref_one" >/dev/null 2>&1; then
        measure e-ref-one "$ref" verify key "$ONE" --signature "$ref_one" --public_key "$pub"
        ((M_RC == 0)) && base_o=$M_WALL
        add_row "$c_o" "model_signing verify key (info)" "$ONE_BYTES" base
    fi
    measure_fast e-ms-one "$BIN" verify "$ONE" --signature "$ms_one" --key "$pub"
    one_ok=$(ok)
    add_row "$c_o" "modelseal verify (best of ${FAST_RUNS})" "$ONE_BYTES" "$base_o"
    target_ms "e. start-up + verify one-file/" 20 "$one_ok" "$M_WALL"
}

# --------------------------------------------------------- formats cases --

run_formats_cases() {
    local st_bytes c_f c_g
    st_bytes=$(stat -c %s "$ST")
    c_f="f. inspect weights-4g.safetensors ($(fmt '%.1f' "$(calc "$st_bytes / $GIB")") GiB)"
    c_g="g. verify-on-load weights-4g.safetensors"

    if ((HAVE_INSPECT == 0)); then
        add_skip "$c_f" "skipped: modelseal inspect not available (inspect --help fails)"
        TARGETS+=("SKIP  f. inspect 4 GiB safetensors: modelseal inspect not available")
    else
        measure_fast f-inspect "$BIN" inspect "$ST" --format json
        add_row "$c_f" "modelseal inspect --format json (best of ${FAST_RUNS})" "" ""
        target_ms "f. inspect 4 GiB safetensors (header only)" 20 "$(ok)" "$M_WALL"
        if ((M_RC == 0)); then
            if grep -q '"weights"' "$SCRATCH/f-inspect.out" && grep -q "$BIG_BYTES" "$SCRATCH/f-inspect.out"; then
                CHECKS+=("ok    f. inspect output names tensor 'weights' and ${BIG_BYTES}")
            else
                CHECKS+=("FAIL  f. inspect output lacks tensor 'weights' or ${BIG_BYTES}")
            fi
        fi
    fi

    if [[ -z $LOADER ]]; then
        add_skip "$c_g" "skipped: load_verified example not available (${loader_note})"
        TARGETS+=("SKIP  g. verify-on-load: load_verified example not available (${loader_note})")
        return 0
    fi
    if ((HAVE_SIGN == 0)); then
        add_skip "$c_g" "skipped: modelseal sign not available"
        TARGETS+=("SKIP  g. verify-on-load: modelseal sign not available")
        return 0
    fi
    if [[ ! -f $ED_KEY || ! -f $ED_KEY.pub ]] \
        && ! "$BIN" keygen --algorithm ed25519 --out "$ED_KEY" --force >/dev/null 2>"$SCRATCH/g-keygen.err"; then
        add_skip "$c_g" "skipped: modelseal keygen failed: $(tail -n 1 "$SCRATCH/g-keygen.err")"
        TARGETS+=("FAIL  g. verify-on-load: modelseal keygen failed")
        return 0
    fi
    SIGS_MADE+=("$ST_MODEL/model.sig")
    say "signing ${ST_MODEL}"
    if ! "$BIN" sign "$ST_MODEL" --key "$ED_KEY" --force >/dev/null 2>"$SCRATCH/g-sign.err"; then
        add_skip "$c_g" "skipped: modelseal sign st-model/ failed: $(tail -n 1 "$SCRATCH/g-sign.err")"
        TARGETS+=("FAIL  g. verify-on-load: signing st-model/ failed")
        return 0
    fi

    local base ok_base load_wall load_rss_kb ok_load
    measure g-hash "$BIN" hash "$ST_MODEL/$ST_NAME" --hash sha256
    base=$M_WALL ok_base=$(ok)
    add_row "$c_g" "modelseal hash --hash sha256 (same work)" "$st_bytes" base
    measure g-load "$LOADER" "$ST_MODEL" "$ST_NAME" "$ED_KEY.pub"
    load_wall=$M_WALL load_rss_kb=$M_RSS_KB ok_load=$(ok)
    local load_worst=$M_WORST load_worst_run=$M_WORST_RUN
    add_row "$c_g" "load_verified example (verify + read once)" "$st_bytes" "$base"
    # Fresh memory is the load's main cost, and on a VM whose host takes
    # freed memory back (free page reporting) its price swings widely from
    # run to run: the slowest run is shown beside the best.
    if [[ $ok_load == 1 ]] && ((RUNS > 1)); then
        NOTES+=("g: load_verified slowest run: $(fmt '%.3f' "$load_worst") s (run ${load_worst_run} of ${RUNS}; best $(fmt '%.3f' "$load_wall") s)")
    fi

    if [[ $ok_load == 1 ]]; then
        if grep -q "loaded 1 verified tensors (${BIG_BYTES} bytes)" "$SCRATCH/g-load.out"; then
            CHECKS+=("ok    g. load_verified loaded 1 verified tensor of ${BIG_BYTES} bytes")
        else
            CHECKS+=("FAIL  g. load_verified output: $(tail -n 1 "$SCRATCH/g-load.out")")
        fi
    fi
    local name_w="g. verify-on-load wall <= 1.1 x hash wall"
    local name_r="g. verify-on-load peak RSS <= file size + 64 MiB"
    if [[ $(both "$ok_base" "$ok_load") != 1 ]]; then
        TARGETS+=("FAIL  $name_w (a run failed)")
    else
        local r verdict=FAIL
        r=$(fmt '%.2f' "$(calc "$load_wall / $base")")
        ge 1.1 "$r" && verdict=PASS
        TARGETS+=("$verdict  $name_w: $(fmt '%.3f' "$load_wall") s vs $(fmt '%.3f' "$base") s = ${r}x")
    fi
    if [[ $ok_load != 1 ]]; then
        TARGETS+=("FAIL  $name_r (the run failed)")
    else
        local limit_kb=$((st_bytes / 1024 + 65536)) verdict=FAIL
        ((load_rss_kb <= limit_kb)) && verdict=PASS
        local rss_mib limit_mib
        rss_mib=$(fmt '%.1f' "$(calc "$load_rss_kb / 1024")")
        limit_mib=$(fmt '%.1f' "$(calc "$limit_kb / 1024")")
        TARGETS+=("$verdict  $name_r: ${rss_mib} MiB (limit ${limit_mib} MiB)")
    fi
}

# ---------------------------------------------------------- status cases --

# json_cache_hits FILE: cache.hits of a `--format json` document, or "".
json_cache_hits() {
    tr -d ' \t\r\n' <"$1" | grep -o '"cache":{[^}]*}' | grep -o '"hits":[0-9]*' | head -n 1 | cut -d : -f 2 || true
}

# Case i's PRE_HOOK: keep the other entries out of the racy window, then
# give config.json new content (so it, and only it, is hashed again).
STATUS_COUNTER=0
rewrite_config() {
    sleep 2.5
    STATUS_COUNTER=$((STATUS_COUNTER + 1))
    printf '{"modelseal_bench_counter": %d, "at": "%s"}\n' "$STATUS_COUNTER" "$EPOCHREALTIME" >"$CONFIG_JSON"
}

run_status_cases() {
    local c_h="h. status model/ (${MODEL_FILES} files, warm cache)"
    local c_i="i. sign --incremental, config.json changed"
    local c_j="j. hook verify model/ (unchanged)"
    if ((HAVE_STATUS == 0 || HAVE_SIGN == 0)); then
        add_skip "h-j. status" "skipped: modelseal status or sign not available"
        TARGETS+=("SKIP  h-j: modelseal status or sign not available")
        return 0
    fi
    if [[ ! -f $ED_KEY || ! -f $ED_KEY.pub ]] \
        && ! "$BIN" keygen --algorithm ed25519 --out "$ED_KEY" --force >/dev/null 2>"$SCRATCH/h-keygen.err"; then
        add_skip "h-j. status" "skipped: modelseal keygen failed: $(tail -n 1 "$SCRATCH/h-keygen.err")"
        TARGETS+=("FAIL  h-j: modelseal keygen failed")
        return 0
    fi

    # Save config.json first (atomically: a partial copy must never be
    # taken for the original); cleanup restores it on any exit.
    cp -p -- "$CONFIG_JSON" "$CONFIG_ORIG.tmp"
    mv -f -- "$CONFIG_ORIG.tmp" "$CONFIG_ORIG"
    SIGS_MADE+=("$STATUS_SIG")
    rm -rf -- "$STATUS_CACHE"
    mkdir -p -- "$STATUS_CACHE"
    export MODELSEAL_CACHE_DIR=$STATUS_CACHE

    say "h-j: signing ${MODEL} into ${STATUS_SIG} (--incremental fills ${STATUS_CACHE})"
    if ! "$BIN" sign "$MODEL" --key "$ED_KEY" --signature "$STATUS_SIG" --force --incremental \
        >/dev/null 2>"$SCRATCH/h-sign.err"; then
        add_skip "h-j. status" "skipped: modelseal sign --incremental failed: $(tail -n 1 "$SCRATCH/h-sign.err")"
        TARGETS+=("FAIL  h-j: modelseal sign --incremental failed")
        unset MODELSEAL_CACHE_DIR
        restore_config
        return 0
    fi
    sleep 2.5
    "$BIN" status "$MODEL" --signature "$STATUS_SIG" >/dev/null 2>&1 || true
    sleep 2.5

    # h. status, unchanged model, warm cache.
    measure_fast h-status "$BIN" status "$MODEL" --signature "$STATUS_SIG"
    add_row "$c_h" "modelseal status (best of ${FAST_RUNS})" "" ""
    target_ms "h. status model/, warm cache" 50 "$(ok)" "$M_WALL"
    local rc=0 hits
    "$BIN" status "$MODEL" --signature "$STATUS_SIG" --format json >"$SCRATCH/h-status.json" 2>"$SCRATCH/h-status-json.err" || rc=$?
    hits=$(json_cache_hits "$SCRATCH/h-status.json")
    if ((rc == 0)) && [[ $hits == "$MODEL_FILES" ]]; then
        CHECKS+=("ok    h. status --format json: exit 0, cache.hits = ${hits} of ${MODEL_FILES} files")
    else
        CHECKS+=("FAIL  h. status --format json: exit ${rc}, cache.hits = '${hits}' (want ${MODEL_FILES})")
    fi

    # j. the pre-commit hook, unchanged model: measured before i changes
    # config.json, its rows and targets moved after i's.
    local n_rows=${#ROWS[@]} n_targets=${#TARGETS[@]}
    local -a j_rows=() j_targets=()
    if ((HAVE_HOOK == 0)); then
        add_skip "$c_j" "skipped: modelseal hook not available (hook --help fails)"
        TARGETS+=("SKIP  j. hook verify model/: modelseal hook not available")
    else
        local prev=$PWD
        cd -- "$DIR"
        measure_fast j-hook "$BIN" hook verify --model "$MODEL" --signature "$STATUS_SIG"
        cd -- "$prev"
        add_row "$c_j" "modelseal hook verify (best of ${FAST_RUNS})" "" ""
        target_ms "j. hook verify model/, unchanged" 300 "$(ok)" "$M_WALL"
    fi
    j_rows=("${ROWS[@]:n_rows}") j_targets=("${TARGETS[@]:n_targets}")
    ROWS=("${ROWS[@]:0:n_rows}") TARGETS=("${TARGETS[@]:0:n_targets}")

    # i. sign --incremental after one small file changed.
    FAST_COUNT=5 PRE_HOOK=rewrite_config
    measure_fast i-sign "$BIN" sign "$MODEL" --key "$ED_KEY" --signature "$STATUS_SIG" --force --incremental
    FAST_COUNT=$FAST_RUNS PRE_HOOK=:
    local ok_i
    ok_i=$(ok)
    add_row "$c_i" "modelseal sign --incremental --force (best of 5)" "" ""
    target_ms "i. sign --incremental, 1 file changed" 100 "$ok_i" "$M_WALL"
    if [[ $ok_i == 1 ]]; then
        rc=0
        "$BIN" verify "$MODEL" --signature "$STATUS_SIG" --key "$ED_KEY.pub" >/dev/null 2>"$SCRATCH/i-verify.err" || rc=$?
        if ((rc == 0)); then
            CHECKS+=("ok    i. the incremental signature verifies (modelseal verify, exit 0)")
        else
            CHECKS+=("FAIL  i. the incremental signature does not verify: exit ${rc}: $(tail -n 1 "$SCRATCH/i-verify.err")")
        fi
    fi

    ROWS+=("${j_rows[@]}") TARGETS+=("${j_targets[@]}")

    unset MODELSEAL_CACHE_DIR
    restore_config
}

if want_hash; then run_hash_cases; fi
if want_sign; then run_sign_cases; fi
if want_formats; then run_formats_cases; fi
if want_status; then run_status_cases; fi

# ---------------------------------------------------------------- report --

run_policy_cases() {
    local c_k="k. verify --policy one-file/, 100 attestations"
    local pdir=$DIR/policy i
    if ! "$BIN" attest --help >/dev/null 2>&1; then
        add_skip "$c_k" "skipped: modelseal attest not available"
        TARGETS+=("SKIP  k: modelseal attest not available")
        return 0
    fi
    rm -rf -- "$pdir"
    mkdir -p -- "$pdir"
    cp -r -- "$ONE" "$pdir/model"
    local setup_ok=1
    {
        "$BIN" keygen --algorithm ed25519 --out "$pdir/dev" &&
            "$BIN" keygen --algorithm ed25519 --out "$pdir/tess" &&
            "$BIN" sign "$pdir/model" --key "$pdir/dev" &&
            "$BIN" attest lineage "$pdir/model" --key "$pdir/dev" --model-version 1 \
                --change "benchmark" &&
            printf 'report\n' >"$pdir/report.txt" &&
            for ((i = 1; i <= 99; i++)); do
                "$BIN" attest test "$pdir/model" --key "$pdir/tess" --name "suite $i" \
                    --result pass --report "$pdir/report.txt" --tester tess || exit 1
            done
    } >/dev/null 2>"$SCRATCH/k-setup.err" || setup_ok=0
    cat >"$pdir/policy.toml" <<'TOML'
version = 1
[[signers]]
name = "dev"
key = "dev.pub"
roles = ["developer"]
[[signers]]
name = "tess"
key = "tess.pub"
roles = ["tester"]
[rules.model_signature]
roles = ["developer"]
[rules.lineage]
roles = ["developer"]
[rules.datasets]
roles = ["developer"]
[rules.tests]
[rules.retraining]
[rules.unsafe_formats]
roles = ["developer"]
TOML
    if ((setup_ok == 0)); then
        add_skip "$c_k" "skipped: setup failed: $(tail -n 1 "$SCRATCH/k-setup.err")"
        TARGETS+=("FAIL  k: setup failed")
        return 0
    fi
    local lines base ok_base
    lines=$(grep -c . "$pdir/model/model.att.jsonl")
    measure_fast k-key "$BIN" verify "$pdir/model" --key "$pdir/dev.pub"
    base=$M_WALL ok_base=$(ok)
    add_row "$c_k" "modelseal verify --key (best of 10)" "" base
    measure_fast k-policy "$BIN" verify "$pdir/model" --policy "$pdir/policy.toml"
    add_row "$c_k" "modelseal verify --policy (best of 10)" "" "$base"
    if [[ $(both "$ok_base" "$(ok)") == 1 ]]; then
        CHECKS+=("ok    k. ${lines} attestations; verify --policy passed every rule")
        local ms
        ms=$(fmt '%.1f' "$(calc "($M_WALL - $base) * 1000")")
        if lt "$ms" 10; then
            TARGETS+=("PASS  k. policy evaluation with ${lines} attestations adds ${ms} ms (target < 10 ms)")
        else
            TARGETS+=("FAIL  k. policy evaluation with ${lines} attestations adds ${ms} ms (target < 10 ms)")
        fi
    else
        TARGETS+=("FAIL  k. policy evaluation: a run failed ($(tail -n 1 "$SCRATCH/k-policy.err" 2>/dev/null))")
    fi
}

if want_policy; then run_policy_cases; fi

# --------------------------------------------------------- layout cases --

# make_hub_snapshot: DIR/hub laid out as a hub cache repository of model/.
readonly HUB_REPO="$DIR/hub/models--bench--model"
readonly HUB_REV=0123456789abcdef0123456789abcdef01234567
make_hub_snapshot() {
    local snapshot=$HUB_REPO/snapshots/$HUB_REV rel n=0 blob up
    rm -rf -- "$DIR/hub"
    mkdir -p -- "$HUB_REPO/blobs" "$HUB_REPO/refs" "$snapshot"
    printf '%s' "$HUB_REV" >"$HUB_REPO/refs/main"
    while IFS= read -r -d '' rel; do
        rel=${rel#./}
        blob=$(printf '%064x' "$n")
        n=$((n + 1))
        ln -- "$MODEL/$rel" "$HUB_REPO/blobs/$blob"
        mkdir -p -- "$(dirname -- "$snapshot/$rel")"
        # One `../` per folder of the name, plus two for snapshots/REV.
        up=$(printf '%s' "$rel" | awk -F/ '{ for (i = 1; i <= NF + 1; i++) printf "../" }')
        ln -s -- "${up}blobs/$blob" "$snapshot/$rel"
    done < <(cd "$MODEL" && find . -type f -print0)
    say "hub snapshot of model/ ready: $n links in ${snapshot}"
}

run_layout_cases() {
    local c_l="l. verify model/ as a hub snapshot"
    if ((HAVE_SIGN == 0)); then
        add_skip "$c_l" "skipped: modelseal sign not available"
        TARGETS+=("SKIP  l. hub snapshot: modelseal sign not available")
        return 0
    fi
    local key=$DIR/p256.key pub=$DIR/p256.pub pk8=$DIR/p256-pkcs8.key sig=$DIR/hub.sig
    if [[ ! -f $key || ! -f $pub || ! -f $pk8 ]]; then
        openssl ecparam -name prime256v1 -genkey -noout -out "$key"
        openssl ec -in "$key" -pubout -out "$pub" 2>/dev/null
        openssl pkcs8 -topk8 -nocrypt -in "$key" -out "$pk8"
    fi
    SIGS_MADE+=("$sig")
    make_hub_snapshot
    local snapshot=$HUB_REPO/snapshots/$HUB_REV
    "$BIN" sign "$MODEL" --key "$pk8" --signature "$sig" --force >/dev/null
    measure l-plain "$BIN" verify "$MODEL" --signature "$sig" --key "$pub"
    local base=$M_WALL ok_p
    ok_p=$(ok)
    add_row "$c_l" "modelseal verify model/" "$MODEL_BYTES" base
    measure l-hub "$BIN" verify "$snapshot" --signature "$sig" --key "$pub" --format json
    add_row "$c_l" "modelseal verify snapshot" "$MODEL_BYTES" "$base"
    target_ratio "l. verify of a hub snapshot vs the plain directory" 0.95 "$(both "$ok_p" "$(ok)")" \
        "$base" "$M_WALL"
    if grep -q '"followed": *'"$MODEL_FILES" "$SCRATCH/l-hub.out" 2>/dev/null \
        || grep -q "\"followed\":$MODEL_FILES" "$SCRATCH/l-hub.out" 2>/dev/null; then
        CHECKS+=("ok    l. the snapshot's ${MODEL_FILES} files were reached through links")
    else
        CHECKS+=("FAIL  l. the report does not say ${MODEL_FILES} links were followed")
    fi
}

if want_layouts; then run_layout_cases; fi

version_of() { # CMD...: first line of its version output, or "unavailable"
    local v
    v=$("$@" 2>/dev/null | head -n 1) || true
    printf '%s' "${v:-unavailable}"
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_flags=$(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -e sha_ni -e avx2 -e avx512f -e vaes | tr '\n' ' ' || true)
mem_gib=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
git_rev=$(git -C "$repo_root" describe --always --dirty 2>/dev/null || echo "no commit")

echo
echo "modelseal benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:   $(nproc) CPUs, ${cpu_model:-unknown CPU} (${cpu_flags% }), ${mem_gib} GiB RAM, Linux $(uname -r)"
echo "load avg:  ${LOAD_BEFORE} before the runs, $(cut -d ' ' -f 1-3 /proc/loadavg) after (other work on the machine skews results)"
echo "modelseal: $(version_of "$BIN" --version) (${BUILT_BIN}, tree ${git_rev})"
echo "openssl:   $(version_of openssl version)"
if want_hash; then
    if [[ -n $B3SUM ]]; then
        echo "b3sum:     $(version_of "$B3SUM" --version) (${B3SUM})"
    else
        echo "b3sum:     unavailable${b3sum_note:+ ($b3sum_note)}"
    fi
fi
if want_formats; then
    if [[ -n $LOADER ]]; then
        echo "loader:    load_verified example (${BUILT_LOADER})"
    else
        echo "loader:    unavailable${loader_note:+ ($loader_note)}"
    fi
fi
if want_sign; then
    if [[ -n $VENV ]]; then
        echo "reference: $(version_of "$VENV/bin/model_signing" --version) (${VENV})"
    else
        echo "reference: unavailable${ref_note:+ ($ref_note)}"
    fi
fi
echo "data:      ${DIR}: model/ $(fmt '%.3f' "$(calc "$MODEL_BYTES / 1e9")") GB in ${MODEL_FILES} files;" \
    "big.bin $(fmt '%.3f' "$(calc "$BIG_BYTES / 1e9")") GB; small-only/ ${SMALL_BYTES} B; page cache warm"
if want_formats; then
    echo "           weights-4g.safetensors $(stat -c %s "$ST") B (st-model/ holds a hard link to it)"
fi
echo "method:    best (minimum wall) of ${RUNS} runs per row (ms rows: best of ${FAST_RUNS});" \
    "GB/s = bytes / wall / 1e9; ratio = baseline wall / tool wall (> 1 = faster)"
echo

{
    printf 'case\ttool\twall s\tGB/s\tpeak RSS MiB\tratio vs baseline\n'
    for row in "${ROWS[@]}"; do
        printf '%s\n' "${row//$ROW_SEP/$'\t'}"
    done
} | awk -F '\t' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf[NR] = NF }
    END {
        for (r = 1; r <= n; r++) {
            line = ""
            for (i = 1; i <= nf[r]; i++) {
                pad = (i >= 3) ? "%" w[i] "s" : "%-" w[i] "s"
                line = line (i > 1 ? " | " : "") sprintf(pad, cell[r, i])
            }
            print line
            if (r == 1) { gsub(/[^|]/, "-", line); gsub(/\|/, "+", line); print line }
        }
    }'

if ((${#CHECKS[@]} > 0)); then
    echo
    echo "Checks"
    printf '  %s\n' "${CHECKS[@]}"
fi
if ((${#NOTES[@]} + ${#FAIL_NOTES[@]} > 0)); then
    echo
    echo "Notes"
    for n in "${NOTES[@]}" "${FAIL_NOTES[@]}"; do printf '  %s\n' "$n"; done
fi
echo
echo "Targets"
printf '  %s\n' "${TARGETS[@]}"
