#!/usr/bin/env python3
"""bench.py: end-to-end benchmark of the modelseal CLI against baseline tools.

Usage:
  python3 benches/bench.py [--dir DIR] [--only GROUP] [--runs N] [--no-build]
                           [--prepare] [--keep] [--clean] [--markdown]
                           [--against REV]

  --dir DIR     synthetic data, keys and helper tools (default
                ${TMPDIR:-/tmp}/modelseal-bench). Needs ~8.1 GiB free (~12.1 GiB
                with the formats cases), and as much free RAM to stay in page
                cache (+4 GiB for case g).
  --only GROUP  hash (a-d), sign (e), formats (f-g), status (h-j), policy (k),
                layouts (l), keyless (n), memory (m), python (p), inventory
                (q), store (r) or all (default).
  --runs N      runs of each side of a seconds case (default 3). Millisecond
                cases always make 10 (case i: 5), after one warm-up run.
  --no-build    use the existing release binaries (no `cargo build`).
  --prepare     build, make the data and tools, then exit.
  --keep        keep signatures, per-run logs (DIR/run.*) and the digest cache
                of h-j (DIR/status-cache); by default they go at exit.
  --clean       also delete the synthetic data and keys at exit.
  --markdown    print README-ready Markdown (stamp and tables) on stdout; the
                plain report then goes to stderr.
  --against REV compare with an earlier modelseal instead of the baseline tools:
                REV (any git revision) is built in a worktree under DIR, and
                every selected case's baseline becomes the same command run by
                that build, interleaved as usual. The target of each case is
                then "at most 3% slower than REV" (ratio >= 0.97 on the minima):
                what "unchanged within noise" means in an issue. Cases whose
                checks need the baseline tools keep only the timing.

Needs: Python 3.9+ (standard library only), cargo, openssl, GNU coreutils (dd,
head), GNU time (/usr/bin/time; Debian: `time`); b3sum for case c
(from PATH, DIR/tools/bin, or `cargo install b3sum --locked --root DIR/tools`);
the reference tool model-signing 1.1.1 for case e, in $MODELSEAL_REFERENCE_VENV
or target/oms-reference-venv, installed by scripts/reference-tool.sh.
MODELSEAL_BENCH_UNIT=BYTES shrinks each "1 GiB" file, only to test this harness
(use a separate --dir; the stamp then says the figures mean nothing).

How to read the output
  The stamp first: date (UTC), revision of the tree (+dirty when it has
  uncommitted changes), machine (cores, CPU, RAM, kernel, load average before
  and after), tool versions and data sizes. Every figure below it comes from
  this one run; a README table is this run's --markdown output, pasted whole.
  Then two tables, one row per command: "throughput" (seconds cases) and
  "latency" (millisecond cases). Each case is one definition in CASES: a tool
  command, optionally a baseline command, the bytes it reads, its targets.
  - baseline rows say "(baseline, ...)" and which kind: one sequential
    process, or parallel (N processes or pipelines: the N-core case);
  - the two sides of a case run interleaved (baseline, tool, then tool,
    baseline, ...), the same number of times, timed the same way: wall time
    from spawning the process(es) to the last exit (time.perf_counter). Peak
    RSS is GNU time's %M, the largest over runs and over the processes of a
    parallel side: seconds cases run every time under /usr/bin/time (~1 ms
    more, both sides); millisecond cases take it from the warm-up run and
    time bare runs;
  - "min" and "median" are over those runs; GB/s = bytes / min / 1e9;
  - ratio = baseline time / tool time, from the minima and from the medians:
    > 1 means modelseal is faster. It is the only ratio convention used,
    targets included (g's "load <= 1.1 x hash" reads "ratio >= 0.91x");
  - target: PASS (yes) or FAIL (no) on the minima; the "Targets" block
    spells each one out. "Checks" are untimed sanity checks (digests agree,
    signatures cross-verify, reports say what they should). "Notes" flag peak
    RSS over 64 MiB, the slowest load run of g and failed runs.

Data (made once, reused while DIR/.modelseal-bench-data matches):
  model/       4 x 1 GiB weights-0000{1..4}-of-00004.bin, 50 config/tokenizer
               files (100 B - 2 MB, some in subfolders), small/ with 2,000 x
               4 KiB files; small-only/ a copy of model/small; big.bin one
               4 GiB file; one-file/ a 1 KiB model. Bytes are an AES-128-CTR
               keystream of `openssl enc` (incompressible, fast).
  weights-4g.safetensors  big.bin behind a safetensors header (one U8 tensor
               "weights"); st-model/ holds a hard link to it (cases f-g).
  h-j sign model/ with an Ed25519 key into DIR/status.sig with a private digest
  cache (MODELSEAL_CACHE_DIR=DIR/status-cache) and wait 2.5 s around runs that
  need trusted cache entries (entries younger than 2 s are not: git's racy
  rule); i rewrites model/config.json before each run and restores it after
  (at the next start too, if killed). k: one-file/ with 100 attestations and a
  policy with every rule. l: model/ as a hub cache snapshot (DIR/hub). q:
  DIR/inventory, 100,000 small files (MODELSEAL_BENCH_INV_FILES) and 20 models
  of every layout the inventory knows, the 4.3 GB one hard links to model/;
  aisbom-cli in DIR/tools/aisbom-venv (pip, once). m: five
  small signed models with hostile 16 MiB inputs (made in the run's scratch
  folder, removed with it).

The cases themselves, their commands, baselines and targets: see CASES below.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import struct
import zipfile
import subprocess
import sys
import tempfile
import time
from typing import Callable, Optional

GIB = 1 << 30
UNIT = int(os.environ.get("MODELSEAL_BENCH_UNIT", GIB))
LAYOUT = f"modelseal-bench data layout v1, unit {UNIT}"
FAST_RUNS = 10
RSS_NOTE_MIB = 64
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Config/tokenizer files of model/ (path, bytes): 33 named + 17 variants = 50.
CONFIG_FILES = [
    ("config.json", 1096), ("generation_config.json", 184), ("tokenizer.json", 2000000),
    ("tokenizer_config.json", 51234), ("special_tokens_map.json", 551), ("added_tokens.json", 100),
    ("vocab.txt", 231508), ("vocab.json", 798156), ("merges.txt", 456318),
    ("tokenizer.model", 499723), ("spiece.model", 791656), ("sentencepiece.bpe.model", 1000000),
    ("model.safetensors.index.json", 23950), ("pytorch_model.bin.index.json", 24110),
    ("preprocessor_config.json", 402), ("processor_config.json", 128),
    ("chat_template.jinja", 4163), ("README.md", 9421), ("LICENSE", 11357),
    ("USE_POLICY.md", 4691), ("NOTICE", 1204), ("params.json", 211),
    ("original/params.json", 211), ("original/tokenizer.model", 2000000),
    ("onnx/config.json", 1096), ("onnx/ort_config.json", 1517),
    ("tokenizer/tokenizer_config.json", 2650), ("tokenizer/special_tokens_map.json", 472),
    ("tokenizer/vocab.json", 1061616), ("scheduler/scheduler_config.json", 579),
    ("text_encoder/config.json", 613), ("vae/config.json", 774), ("unet/config.json", 1848),
]
N_VARIANTS = 17
SMALL_FILES = 2000

POLICY_TOML = """version = 1
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
"""
HUB_REV = "0123456789abcdef0123456789abcdef01234567"


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class Die(Exception):
    pass


# -------------------------------------------------------------- baselines --

def sha256_ranges(c) -> list:
    """The parallel SHA-256 baseline of case b2: big.bin in one equal byte
    range per core, each piped by `dd` into its own `openssl dgst -sha256`."""
    bounds = [c.big_bytes * k // c.cores for k in range(c.cores + 1)]
    return [["bash", "-o", "pipefail", "-c", 'dd if="$0" bs=1M skip="$1" count="$2" iflag=skip_bytes,count_bytes status=none'
             " | openssl dgst -sha256", c.big, str(a), str(b - a)] for a, b in zip(bounds, bounds[1:])]


# ------------------------------------------------------------ measurement --

@dataclasses.dataclass
class Stats:
    walls: list = dataclasses.field(default_factory=list)
    rss_kb: list = dataclasses.field(default_factory=list)
    rc: int = 0
    err: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and bool(self.walls)

    @property
    def min(self) -> float:
        return min(self.walls)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def max(self) -> float:
        return max(self.walls)

    @property
    def rss_mib(self) -> float:
        return max(self.rss_kb) / 1024


RUNNING: list = []  # processes of the run in progress, killed on interrupt


def run_once(argvs: list, tag: str, cwd: Optional[str], env: dict, rss: bool):
    """Spawn every argv at once, wait for all. Returns (wall s, peak RSS KiB
    or None, exit code of the first failure or 0, path of its stderr).

    With rss, each process runs under `/usr/bin/time -f %M` (about 1 ms more),
    whose report is the peak RSS. Not os.wait4's ru_maxrss: a child spawned
    by this process starts with its high-water mark (exec keeps the larger of
    the old and new one), so every command would show Python's 15-35 MiB."""
    files = [(open(f"{tag}.{k}.out", "wb"), open(f"{tag}.{k}.err", "wb")) for k in range(len(argvs))]
    if rss:
        argvs = [["/usr/bin/time", "-f", "%M", "-o", f"{tag}.{k}.rss"] + a for k, a in enumerate(argvs)]
    rc, err_path = 0, f"{tag}.0.err"
    try:
        t0 = time.perf_counter()
        for argv, (out, err) in zip(argvs, files):
            RUNNING.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=err, cwd=cwd, env=env))
        for k, p in enumerate(list(RUNNING)):
            _, status, _ = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0 and rc == 0:
                rc, err_path = p.returncode, f"{tag}.{k}.err"
        wall = time.perf_counter() - t0
    finally:
        RUNNING.clear()
        for out, err in files:
            out.close()
            err.close()
    peak = None
    if rss and rc == 0:
        try:
            peak = max(int(read_text(f"{tag}.{k}.rss").split()[-1]) for k in range(len(argvs)))
        except (ValueError, IndexError):
            raise Die(f"could not read the peak RSS from {tag}.*.rss")
    return wall, peak, rc, err_path


def tail(path: str, n: int = 3) -> str:
    try:
        with open(path, errors="replace") as f:
            return " ".join(f.read().strip().splitlines()[-n:])
    except OSError:
        return ""


# ---------------------------------------------------------------- targets --

class Ratio:
    """baseline time / tool time >= at_least, on the minima; `vs` takes the
    baseline of another case."""

    def __init__(self, at_least: float, vs: Optional[str] = None, shown: Optional[str] = None):
        self.at_least, self.vs, self.shown = at_least, vs, shown

    def short(self) -> str:
        return self.shown or f"≥ {num(self.at_least)}×"

    def judge(self, r, results):
        base = (results[self.vs].base if self.vs in results else None) if self.vs else r.base
        if base is None or r.tool is None or not base.ok or not r.tool.ok:
            return False, f"{self.short()}: a run failed or was skipped"
        rmin, rmed = base.min / r.tool.min, base.median / r.tool.median
        return rmin >= self.at_least, f"{rmin:.2f}× (median {rmed:.2f}×), target {self.short()}"


class MaxMs:
    def __init__(self, at_most: float):
        self.at_most = at_most

    def short(self) -> str:
        return f"≤ {self.at_most:g} ms"

    def judge(self, r, results):
        if r.tool is None or not r.tool.ok:
            return False, f"{self.short()}: a run failed or was skipped"
        return (r.tool.min * 1000 <= self.at_most,
                f"{r.tool.min * 1000:.1f} ms (median {r.tool.median * 1000:.1f} ms), target {self.short()}")


class DeltaMs:
    """tool time - baseline time < below (ms), on the minima."""

    def __init__(self, below: float):
        self.below = below

    def short(self) -> str:
        return f"< +{self.below:g} ms"

    def judge(self, r, results):
        if r.base is None or r.tool is None or not r.base.ok or not r.tool.ok:
            return False, f"{self.short()}: a run failed or was skipped"
        dmin = (r.tool.min - r.base.min) * 1000
        dmed = (r.tool.median - r.base.median) * 1000
        return dmin < self.below, f"+{dmin:.1f} ms (median +{dmed:.1f} ms), target {self.short()}"


class RssWithin:
    """tool peak RSS <= the case's bytes + extra MiB."""

    def __init__(self, extra_mib: int):
        self.extra_mib = extra_mib

    def short(self) -> str:
        return f"RSS ≤ size + {self.extra_mib} MiB"

    def judge(self, r, results):
        if r.tool is None or not r.tool.ok:
            return False, f"{self.short()}: the run failed"
        limit = r.bytes / 2**20 + self.extra_mib
        return r.tool.rss_mib <= limit, f"{r.tool.rss_mib:.1f} MiB (limit {limit:.1f} MiB)"


class BoundedBy:
    """tool time <= (baseline time + the tool time of case `plus`) x
    (1 + slack), on the minima: a cold run costs the baseline's work (the
    hashing) plus what a warm run of the same command costs, no more."""

    def __init__(self, plus: str, slack: float):
        self.plus, self.slack = plus, slack

    def short(self) -> str:
        return f"≤ (hashing + {self.plus}) × {1 + self.slack:g}"

    def judge(self, r, results):
        other = results[self.plus].tool if self.plus in results else None
        if r.base is None or r.tool is None or other is None or not (r.base.ok and r.tool.ok and other.ok):
            return False, f"{self.short()}: a run failed or was skipped"
        bound = r.base.min + other.min
        return (r.tool.min <= bound * (1 + self.slack),
                f"{r.tool.min:.3f} s vs hashing {r.base.min:.3f} s + {self.plus} {other.min:.3f} s = "
                f"{bound:.3f} s ({r.tool.min / bound:.2f}×), target {self.short()}")


class MaxRss:
    """tool peak RSS < below MiB (the largest over runs and processes)."""

    def __init__(self, below_mib: int):
        self.below_mib = below_mib

    def short(self) -> str:
        return f"peak RSS < {self.below_mib} MiB"

    def judge(self, r, results):
        if r.tool is None or not r.tool.ok:
            return False, f"{self.short()}: the run failed"
        return r.tool.rss_mib < self.below_mib, f"{r.tool.rss_mib:.1f} MiB, target {self.short()}"


# ------------------------------------------------------------------ cases --

@dataclasses.dataclass
class Side:
    label: str                      # str.format()ed with Ctx.names()
    argv: Callable                  # ctx -> one argv, or a list of argvs run in parallel
    pre: Optional[Callable] = None  # ctx -> None, untimed, before each run


@dataclasses.dataclass
class Case:
    id: str
    group: str
    title: str
    tool: Side
    baseline: Optional[Side] = None
    bytes: Optional[Callable] = None   # ctx -> bytes read, for GB/s
    targets: tuple = ()
    ms: bool = False                   # millisecond case: fixed run count, warm-up run
    runs: int = FAST_RUNS              # run count of a millisecond case
    needs: tuple = ()                  # for the case: subcommands, "b3sum", "loader", files in DIR
    base_needs: tuple = ()             # for the baseline only
    setup: Optional[Callable] = None   # ctx -> None, or why it failed
    after: Optional[Callable] = None   # (ctx, result) -> None: checks, notes, clean-up
    cwd: Optional[Callable] = None
    env: Optional[dict] = None         # values str.format()ed with Ctx.names()


def ms_cmd(*args):
    """A modelseal command line; "{x}" arguments are Ctx attributes."""
    return lambda c: [c.bin] + [getattr(c, a[1:-1]) if a.startswith("{") else a for a in args]


CACHE_ENV = {"MODELSEAL_CACHE_DIR": "{status_cache}"}
INV_ENV = {"MODELSEAL_CACHE_DIR": "{inv_cache}", "AISBOM_OFFLINE": "1", "AISBOM_NO_TELEMETRY": "1"}
INV_NOISE = int(os.environ.get("MODELSEAL_BENCH_INV_FILES", 100_000))

CASES = [
    # hash: a-d
    Case("a", "hash", "a. model/, SHA-256 ({files} files)",
         baseline=Side("`openssl dgst -sha256`, {cores} processes, one stream per file"
                       " (baseline, parallel: the {cores}-core case)",
                       lambda c: [["openssl", "dgst", "-sha256"] + part for part in c.parts]),
         tool=Side("`modelseal hash --hash sha256 --format json` (files method: one stream per file)",
                   ms_cmd("hash", "{model}", "--hash", "sha256", "--format", "json")),
         bytes=lambda c: c.model_bytes, targets=(Ratio(1.0),), needs=("hash",),
         setup=lambda c: c.split_model(), after=lambda c, r: c.check_a(r)),
    Case("b1", "hash", "b. big.bin, SHA-256, one stream ({big_size})",
         baseline=Side("`openssl dgst -sha256`, 1 process (baseline, sequential)",
                       lambda c: ["openssl", "dgst", "-sha256", c.big]),
         tool=Side("`modelseal hash --hash sha256` (files method: 1 stream, sequential)",
                   ms_cmd("hash", "{big}", "--hash", "sha256")),
         bytes=lambda c: c.big_bytes, needs=("hash",), after=lambda c, r: c.check_b1(r)),
    Case("b2", "hash", "b. big.bin, SHA-256, in parallel ({big_size})",
         baseline=Side("`dd | openssl dgst -sha256`, {cores} pipelines, one range each"
                       " (baseline, parallel: the {cores}-core case)", sha256_ranges),
         tool=Side("`modelseal hash --hash sha256 --method shards`",
                   ms_cmd("hash", "{big}", "--hash", "sha256", "--method", "shards")),
         bytes=lambda c: c.big_bytes, needs=("hash",),
         targets=(Ratio(1.8, vs="b1", shown="≥ 1.8× vs b1's 1-process openssl"),)),
    Case("c1", "hash", "c. model/, BLAKE3",
         baseline=Side("`b3sum` of every file (baseline: multi-threaded per file, mmap)",
                       lambda c: [c.b3sum] + c.all_files),  # one process: argv holds 2,054 paths
         tool=Side("`modelseal hash --hash blake3`", ms_cmd("hash", "{model}", "--hash", "blake3")),
         bytes=lambda c: c.model_bytes, targets=(Ratio(0.9),), needs=("hash", "b3sum")),
    Case("c2", "hash", "c. big.bin, BLAKE3",
         baseline=Side("`b3sum big.bin` (baseline: multi-threaded, mmap)", lambda c: [c.b3sum, c.big]),
         tool=Side("`modelseal hash --hash blake3`", ms_cmd("hash", "{big}", "--hash", "blake3")),
         bytes=lambda c: c.big_bytes, targets=(Ratio(0.9),), needs=("hash", "b3sum"),
         after=lambda c, r: c.check_c2(r)),
    Case("d", "hash", "d. small-only/, 2,000 × 4 KiB files",
         tool=Side("`modelseal hash`", ms_cmd("hash", "{small_only}")),
         bytes=lambda c: c.small_bytes, targets=(MaxMs(50),), ms=True, needs=("hash",)),
    # sign: e
    Case("e1", "sign", "e. sign model/ (P-256)",
         baseline=Side("`model_signing sign key` (baseline: reference tool 1.1.1)",
                       lambda c: [c.ref, "sign", "key", c.model, "--private_key", c.p256_key,
                                  "--signature", c.ref_sig],
                       pre=lambda c: c.remove(c.ref_sig)),
         tool=Side("`modelseal sign`",
                   ms_cmd("sign", "{model}", "--key", "{p256_pk8}", "--signature", "{ms_sig}", "--force")),
         bytes=lambda c: c.model_bytes, targets=(Ratio(1.5),), needs=("sign",), base_needs=("ref",),
         setup=lambda c: c.setup_sign()),
    Case("e2", "sign", "e. verify model/ (P-256)",
         baseline=Side("`model_signing verify key` (baseline: reference tool 1.1.1)",
                       lambda c: [c.ref, "verify", "key", c.model, "--signature", c.ref_sig,
                                  "--public_key", c.p256_pub]),
         tool=Side("`modelseal verify`",
                   ms_cmd("verify", "{model}", "--signature", "{ms_sig}", "--key", "{p256_pub}")),
         bytes=lambda c: c.model_bytes, targets=(Ratio(1.5),), needs=("sign", "ms.sig"),
         base_needs=("ref", "ref.sig"), after=lambda c, r: c.check_e2(r)),
    Case("e3", "sign", "e. verify one-file/ (1 KiB; start-up included)",
         baseline=Side("`model_signing verify key` (baseline, for information)",
                       lambda c: [c.ref, "verify", "key", c.one, "--signature", c.ref_one,
                                  "--public_key", c.p256_pub]),
         tool=Side("`modelseal verify`",
                   ms_cmd("verify", "{one}", "--signature", "{ms_one}", "--key", "{p256_pub}")),
         bytes=lambda c: c.one_bytes, targets=(MaxMs(20),), ms=True, needs=("sign",),
         base_needs=("ref", "ref-one.sig"), setup=lambda c: c.setup_one()),
    # formats: f-g
    Case("f", "formats", "f. inspect weights-4g.safetensors ({st_size}; reads the header only)",
         tool=Side("`modelseal inspect --format json`", ms_cmd("inspect", "{st}", "--format", "json")),
         targets=(MaxMs(20),), ms=True, needs=("inspect",), after=lambda c, r: c.check_f(r)),
    Case("g", "formats", "g. verify-on-load, weights-4g.safetensors",
         baseline=Side("`modelseal hash --hash sha256` of the file (baseline: the same work, sequential)",
                       lambda c: [c.bin, "hash", c.st_linked, "--hash", "sha256"]),
         tool=Side("`load_verified` example (checks the signature, reads and hashes once)",
                   lambda c: [c.loader, c.st_model, "weights-4g.safetensors", c.ed_key + ".pub"]),
         bytes=lambda c: c.st_bytes, needs=("sign", "keygen", "loader"),
         targets=(Ratio(1 / 1.1, shown="≥ 0.91× (load ≤ 1.1 × hash)"), RssWithin(64)),
         setup=lambda c: c.setup_g(), after=lambda c, r: c.check_g(r)),
    # python: p1-p2, the Python package in the test virtualenv
    Case("p1", "python", "p. `modelseal.verify` of model/ (P-256) from Python",
         baseline=Side("`modelseal verify` (baseline: the CLI, same work)",
                       ms_cmd("verify", "{model}", "--signature", "{ms_sig}", "--key", "{p256_pub}")),
         tool=Side("`python -c 'modelseal.verify(...)'` (in-process, GIL released)",
                   lambda c: [c.python, "-c", "import modelseal, sys; modelseal.verify(sys.argv[1], "
                              "signature=sys.argv[2], key=sys.argv[3])", c.model, c.ms_sig, c.p256_pub]),
         bytes=lambda c: c.model_bytes, needs=("python",),
         targets=(Ratio(0.95, shown="≥ 0.95× (within 5% of the CLI)"),),
         setup=lambda c: c.setup_p1()),
    Case("p2", "python", "p. verified load of weights-4g.safetensors into NumPy",
         baseline=Side("`modelseal verify` then `safetensors.numpy.load_file` (baseline: two passes)",
                       lambda c: ["sh", "-c", '"$0" verify "$1" --key "$2" >/dev/null && "$3" -c '
                                  '"import sys; from safetensors.numpy import load_file; load_file(sys.argv[1])" '
                                  '"$4"', c.bin, c.st_model, c.ed_key + ".pub", c.python, c.st_linked]),
         tool=Side("`modelseal.load_safetensors` (reads and hashes once; arrays view that buffer)",
                   lambda c: [c.python, "-c", "import modelseal, sys; t = modelseal.load_safetensors("
                              "sys.argv[1], signature=sys.argv[2], key=sys.argv[3]); "
                              "print(sum(a.nbytes for a in t.values()))",
                              c.st_linked, f"{c.st_model}/model.sig", c.ed_key + ".pub"]),
         bytes=lambda c: c.st_bytes, needs=("python", "sign", "keygen"),
         targets=(Ratio(1.0, shown="≥ 1× (faster than verify + load_file)"), RssWithin(64)),
         setup=lambda c: c.setup_g(), after=lambda c, r: c.check_p2(r)),
    # status: h, j, i (j runs before i: i changes config.json)
    Case("h", "status", "h. status model/ ({files} files), unchanged, warm cache",
         tool=Side("`modelseal status`", ms_cmd("status", "{model}", "--signature", "{status_sig}")),
         targets=(MaxMs(50),), ms=True, needs=("status", "sign", "keygen"), env=CACHE_ENV,
         setup=lambda c: c.setup_status(), after=lambda c, r: c.check_h(r)),
    Case("j", "status", "j. the pre-commit hook on model/, unchanged",
         tool=Side("`modelseal hook verify`",
                   ms_cmd("hook", "verify", "--model", "{model}", "--signature", "{status_sig}")),
         targets=(MaxMs(300),), ms=True, needs=("status", "hook", "status.sig"), env=CACHE_ENV,
         cwd=lambda c: c.dir),
    Case("i", "status", "i. sign --incremental after config.json changed",
         tool=Side("`modelseal sign --incremental --force`",
                   ms_cmd("sign", "{model}", "--key", "{ed_key}", "--signature", "{status_sig}",
                          "--force", "--incremental"),
                   pre=lambda c: c.rewrite_config()),
         targets=(MaxMs(100),), ms=True, runs=5, needs=("status", "sign", "status.sig"), env=CACHE_ENV,
         after=lambda c, r: c.check_i(r)),
    # policy: k
    Case("k", "policy", "k. verify one-file/ with 100 attestations",
         baseline=Side("`modelseal verify --key` (baseline: no policy)",
                       lambda c: [c.bin, "verify", c.policy_model, "--key", c.policy_dir + "/dev.pub"]),
         tool=Side("`modelseal verify --policy` (every rule)",
                   lambda c: [c.bin, "verify", c.policy_model, "--policy", c.policy_dir + "/policy.toml"]),
         targets=(DeltaMs(10),), ms=True, needs=("attest", "sign", "keygen"),
         setup=lambda c: c.setup_policy(), after=lambda c, r: c.check_k(r)),
    # layouts: l
    Case("l", "layouts", "l. verify model/ as a hub cache snapshot",
         baseline=Side("`modelseal verify --format json` of model/ (baseline: the plain directory)",
                       ms_cmd("verify", "{model}", "--signature", "{hub_sig}", "--key", "{p256_pub}",
                              "--format", "json")),
         tool=Side("`modelseal verify --format json` of the snapshot",
                   ms_cmd("verify", "{hub_snapshot}", "--signature", "{hub_sig}", "--key", "{p256_pub}",
                          "--format", "json")),
         bytes=lambda c: c.model_bytes, targets=(Ratio(0.95),), needs=("sign",),
         setup=lambda c: c.setup_hub(), after=lambda c, r: c.check_l(r)),
    # keyless: n
    Case("n", "keyless", "n. keyless verify of a two-file model (fixtures/keyless/v1.1.0)",
         baseline=Side("`modelseal verify --key` of the same files signed with a P-256 key",
                       lambda c: [c.bin, "verify", c.keyless_copy, "--key", c.p256_pub]),
         tool=Side("`modelseal verify --identity --issuer` (Fulcio chain, SCT, Rekor SET and proof, RFC 3161)",
                   lambda c: [c.bin, "verify", f"{KEYLESS}/model", "--signature", f"{KEYLESS}/model.sig",
                              "--identity", "stefanb@us.ibm.com",
                              "--issuer", "https://sigstore.verify.ibm.com/oauth2"]),
         targets=(DeltaMs(10),), ms=True, needs=("sign",),
         setup=lambda c: c.setup_keyless()),
    # inventory: q1-q3, a tree of 100,000 other files and 20 models
    Case("q1", "inventory", "q. inventory of {inv_files} files, 20 models ({inv_size}), digest cache cold",
         baseline=Side("`modelseal hash` of the 4.3 GB model (baseline: hashing its bytes, nothing else)",
                       ms_cmd("hash", "{inv_big}")),
         tool=Side("`modelseal inventory --format json` (scan, hash, status of each signature)",
                   ms_cmd("inventory", "{inv_dir}", "--format", "json"),
                   pre=lambda c: shutil.rmtree(c.inv_cache, ignore_errors=True)),
         bytes=lambda c: c.inv_bytes, needs=("inventory", "sign", "keygen"), env=INV_ENV,
         targets=(BoundedBy("q2", 0.10),),
         setup=lambda c: setup_inventory(c), after=lambda c, r: check_inventory(c, r, "q1")),
    Case("q2", "inventory", "q. the same inventory, digest cache warm",
         tool=Side("`modelseal inventory --format json`", ms_cmd("inventory", "{inv_dir}", "--format", "json")),
         targets=(MaxMs(2000), MaxRss(100)), ms=True, runs=5, needs=("inventory",), env=INV_ENV,
         setup=lambda c: (None if c.inv_bytes else setup_inventory(c)) or warm_inventory(c), after=lambda c, r: check_inventory(c, r, "q2")),
    Case("q3", "inventory", "q. side by side with aisbom-cli 1.7.0 on the same tree (for information)",
         baseline=Side("`aisbom scan --offline` (baseline: aisbom-cli from PyPI, CycloneDX 1.6)",
                       lambda c: [c.aisbom, "scan", c.inv_dir, "--offline", "--no-fail-on-risk",
                                  "--schema-version", "1.6", "--output", f"{c.scratch}/aisbom.cdx.json"]),
         tool=Side("`modelseal inventory --format cyclonedx`, digest cache cold",
                   ms_cmd("inventory", "{inv_dir}", "--format", "cyclonedx"),
                   pre=lambda c: shutil.rmtree(c.inv_cache, ignore_errors=True)),
         bytes=lambda c: c.inv_bytes, needs=("inventory",), base_needs=("aisbom",), env=INV_ENV,
         setup=lambda c: None if c.inv_bytes else setup_inventory(c), after=lambda c, r: compare_aisbom(c, r)),
    # store: r1-r3, the known-good store (issue 19)
    Case("r1", "store", "r. store add model/ (P-256; {files} files)",
         baseline=Side("`modelseal hash` + `cp -r` + `sync` (baseline: hashing plus one durable copy)",
                       lambda c: ["sh", "-c", '"$0" hash "$1" >/dev/null && cp -r "$1" "$2" && sync',
                                  c.bin, c.model, f"{c.scratch}/cp-copy"],
                       pre=lambda c: shutil.rmtree(f"{c.scratch}/cp-copy", ignore_errors=True)),
         tool=Side("`modelseal store add` (verify, then copy + hash in parallel, one syncfs)",
                   lambda c: [c.bin, "store", "add", c.model, "--store", c.store_dir, "--key", c.p256_pub,
                              "--signature", c.ms_sig, "--tag", "bench:1"],
                   pre=lambda c: shutil.rmtree(c.store_dir, ignore_errors=True)),
         bytes=lambda c: c.model_bytes, needs=("store", "sign"), targets=(Ratio(1 / 1.1, shown="≥ 0.91× (≤ 1.1 × hashing + copy)"),),
         setup=lambda c: c.setup_p1()),
    Case("r2", "store", "r. restore model/ from the local store",
         baseline=Side("`cp -r` of model/ (baseline)",
                       lambda c: ["cp", "-r", c.model, f"{c.scratch}/cp-restore"],
                       pre=lambda c: shutil.rmtree(f"{c.scratch}/cp-restore", ignore_errors=True)),
         tool=Side("`modelseal restore` (staged copy, verified, one rename)",
                   lambda c: [c.bin, "restore", "bench:1", f"{c.scratch}/restored", "--store", c.store_dir,
                              "--key", c.p256_pub],
                   pre=lambda c: shutil.rmtree(f"{c.scratch}/restored", ignore_errors=True)),
         bytes=lambda c: c.model_bytes, needs=("store",),
         targets=(Ratio(1 / 1.5, shown="≥ 0.67× (within 1.5 × cp -r)"),),
         setup=lambda c: setup_store(c)),
    Case("r3", "store", "r. restore --repair after one 1 GiB file changed",
         tool=Side("`modelseal restore --repair` (rewrites the changed file only)",
                   lambda c: [c.bin, "restore", "--repair", f"{c.scratch}/repair", "--from", "bench:1",
                              "--store", c.store_dir, "--key", c.p256_pub],
                   pre=lambda c: damage_one(c)),
         bytes=lambda c: UNIT, needs=("store",), setup=lambda c: setup_repair(c),
         after=lambda c, r: check_repair(c, r)),
    # memory: m
    Case("m", "memory", "m. verify with one hostile 16 MiB input (before trust: issue 13, finding 1)",
         tool=Side("`modelseal verify` of the 7 models at once, each expected to fail (exit 1)",
                   lambda c: [["sh", "-c", '"$@"; test $? -eq 1', "sh", c.bin, "verify",
                               f"{c.hostile}/{name}", "--key", c.ed_key + ".pub"]
                              for name, _, _ in HOSTILE]),
         targets=(MaxRss(128),), needs=("sign", "keygen"),
         setup=lambda c: setup_hostile(c), after=lambda c, r: check_hostile(c, r)),
]
GROUPS = ["hash", "sign", "formats", "status", "policy", "layouts", "keyless", "memory", "python",
          "inventory", "store"]
KEYLESS = f"{REPO}/fixtures/keyless/v1.1.0"
AISBOM_VERSION = "1.7.0"
INV_LAYOUT = f"modelseal-bench inventory tree v1, {INV_NOISE} files"

# Case m: (model, file planted in it, what the error or finding names).
HOSTILE = [
    ("forged-sig", "model.sig: a forged bundle of 2.4M `{\"\":0}` tlogEntries",
     "verificationMaterial.tlogEntries"),
    ("json", "extra.json, unsigned: `[{\"\":0},...]`", "extra.json"),
    ("gguf", "extra.gguf, unsigned: 16 MiB header of ~1M one-byte metadata pairs", "extra.gguf"),
    ("safetensors", "extra.safetensors, unsigned: 16 MiB header of ~290k empty tensors",
     "extra.safetensors"),
    ("all-three", "the three extra files in one model (the format gate checks them in parallel)",
     "extra.safetensors"),
    ("pickle", "extra.pkl, unsigned: 16 MiB of memo stores (`N` MEMOIZE, 8M times)", "extra.pkl"),
    ("pickle-zip", "extra.pt, unsigned: a PyTorch ZIP whose data.pkl inflates to 512 MiB of BINBYTES8",
     "extra.pt"),
]


def setup_store(c) -> Optional[str]:
    """r2, r3: the store holds model/ as bench:1 (r1 leaves it; alone, made here)."""
    why = c.setup_p1()
    if why:
        return why
    p = c.run([c.bin, "store", "add", c.model, "--store", c.store_dir, "--key", c.p256_pub,
               "--signature", c.ms_sig, "--tag", "bench:1"])
    return None if p.returncode == 0 else f"modelseal store add failed: {tail_text(p.stderr)}"


def setup_repair(c) -> Optional[str]:
    why = setup_store(c)
    if why:
        return why
    target = f"{c.scratch}/repair"
    shutil.rmtree(target, ignore_errors=True)
    p = c.run([c.bin, "restore", "bench:1", target, "--store", c.store_dir, "--key", c.p256_pub])
    if p.returncode != 0:
        return f"modelseal restore failed: {tail_text(p.stderr)}"
    c.repair_stats = {}
    return None


def damage_one(c) -> None:
    """r3, before each run: one byte of weights-00001 changed in place; the
    other files' inodes and mtimes recorded."""
    target = f"{c.scratch}/repair"
    with open(f"{target}/weights-00001-of-00004.bin", "r+b") as f:
        f.seek(12345)
        b = f.read(1)
        f.seek(12345)
        f.write(bytes([b[0] ^ 0xFF]))
    c.repair_stats = {p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in walk_files(target)
                      if not p.endswith(("weights-00001-of-00004.bin", "model.sig"))}


def check_repair(c, r) -> None:
    if not (r.tool and r.tool.ok):
        return
    target = f"{c.scratch}/repair"
    changed = [p for p, stat in c.repair_stats.items()
               if (os.stat(p).st_ino, os.stat(p).st_mtime_ns) != stat]
    c.check(not changed, f"r3. --repair touched {len(changed)} of the {len(c.repair_stats)} unchanged files "
                         "(inode and mtime compared)")
    p = c.run([c.bin, "verify", target, "--key", c.p256_pub])
    c.check(p.returncode == 0, f"r3. the repaired model verifies (exit {p.returncode})")


def setup_inventory(c) -> Optional[str]:
    """Case q: DIR/inventory, a machine's worth of files: INV_NOISE small
    non-model files (code, text, JSON) and 20 models laid out as the tools
    that make them do: 5 hub cache snapshots (relative links into blobs,
    a model card each), an Ollama store with 3 manifests (GGUF model
    layers), 6 project model directories (3 signed), 5 lone model files
    (real ONNX and TFLite from fixtures/real, a pickle, a GGUF, a .npy), and
    the 4.3 GB model (hard links to model/'s files, signed). The tree is
    made once (a marker holds INV_LAYOUT); the big model is linked and
    signed again each run."""
    why = c.ensure_ed()
    if why:
        return why
    root = c.inv_dir
    marker = f"{root}/.modelseal-bench-inventory"
    if read_text(marker) != INV_LAYOUT:
        say(f"q: making {root} ({INV_NOISE:,} files and 19 small models)")
        shutil.rmtree(root, ignore_errors=True)
        make_inventory_tree(c, root)
        with open(marker, "w") as f:
            f.write(INV_LAYOUT)
    shutil.rmtree(c.inv_big, ignore_errors=True)
    for path in c.all_files:
        rel = os.path.relpath(path, c.model)
        os.makedirs(os.path.dirname(f"{c.inv_big}/{rel}"), exist_ok=True)
        os.link(path, f"{c.inv_big}/{rel}")
    p = c.ms("sign", c.inv_big, "--key", c.ed_key, "--force")
    if p.returncode != 0:
        return f"modelseal sign of the 4.3 GB model failed: {tail_text(p.stderr)}"
    files = walk_files(root)
    c.inv_files = len(files)
    c.inv_bytes = sum(os.path.getsize(f) for f in files if not os.path.islink(f))
    return None


def make_inventory_tree(c, root: str) -> None:
    def write(path: str, data: bytes) -> str:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def weights(seed: int, n: int = 4096) -> bytes:
        rnd = bytes((i * 2654435761 + seed) >> 11 & 0xFF for i in range(n))
        header = st_header(n)
        return struct.pack("<Q", len(header)) + header + rnd

    per_dir = 500
    for i in range(INV_NOISE):
        kind = i % 4
        name = ["mod.py", "notes.txt", "data.json", "page.html"][kind].replace(".", f"{i}.")
        body = [f"def f{i}():\n    return {i}\n", f"line {i}\n" * 3, f'{{"id": {i}, "ok": true}}\n',
                f"<p>{i}</p>\n"][kind]
        write(f"{root}/home/src/pkg{i // per_dir:03d}/{name}", body.encode())
    gguf = read_bytes(f"{REPO}/crates/modelseal-formats/tests/data/good.gguf")
    for k in range(5):
        repo = f"{root}/home/.cache/huggingface/hub/models--bench--small-{k}"
        rev = f"{k:040x}"
        files = {"config.json": b'{"model_type": "bench"}', "model.safetensors": weights(k),
                 "README.md": f"---\nlicense: apache-2.0\nbase_model: bench/base\n---\n# small {k}\n".encode()}
        for name, data in files.items():
            blob = hashlib.sha256(data).hexdigest()
            write(f"{repo}/blobs/{blob}", data)
            os.makedirs(f"{repo}/snapshots/{rev}", exist_ok=True)
            os.symlink(f"../../blobs/{blob}", f"{repo}/snapshots/{rev}/{name}")
        write(f"{repo}/refs/main", rev.encode())
    store = f"{root}/home/.ollama/models"
    for k in range(3):
        layers = []
        for media, data in (("model", gguf + bytes([k])), ("template", b"{{ .Prompt }}"),
                            ("params", b'{"temperature": 0.7}')):
            digest = hashlib.sha256(data).hexdigest()
            write(f"{store}/blobs/sha256-{digest}", data)
            layers.append({"mediaType": f"application/vnd.ollama.image.{media}", "digest": f"sha256:{digest}",
                           "size": len(data)})
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "layers": layers}
        write(f"{store}/manifests/registry.ollama.ai/library/bench-{k}/latest", json.dumps(manifest).encode())
    for k in range(6):
        model = f"{root}/work/project-{k}/models/m{k}"
        write(f"{model}/config.json", b'{"model_type": "bench"}')
        write(f"{model}/model.safetensors", weights(100 + k))
        if k < 3:
            p = c.ms("sign", model, "--key", c.ed_key)
            if p.returncode != 0:
                raise Die(f"q: modelseal sign {model} failed: {tail_text(p.stderr)}")
    real = f"{REPO}/fixtures/real/basic-pitch"
    write(f"{root}/work/assets/nmp.onnx", read_bytes(f"{real}/nmp.onnx"))
    write(f"{root}/work/assets/nmp.tflite", read_bytes(f"{real}/nmp.tflite"))
    write(f"{root}/work/assets/features.pkl", b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.")
    write(f"{root}/work/assets/tiny.gguf", gguf)
    write(f"{root}/work/assets/embeddings.npy", read_bytes(f"{REPO}/crates/modelseal-formats/tests/data/good.npy"))


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def warm_inventory(c) -> Optional[str]:
    """q2: a run to fill the digest cache, then out of the racy window."""
    env = dict(c.env, MODELSEAL_CACHE_DIR=c.inv_cache)
    p = c.ms("inventory", c.inv_dir, "--format", "json", env=env)
    if p.returncode != 0:
        return f"modelseal inventory failed: {tail_text(p.stderr)}"
    time.sleep(2.5)
    return None


def check_inventory(c, r, case: str) -> None:
    if not (r.tool and r.tool.ok):
        return
    doc = parse_json(c.out(case, "tool")) or {}
    models = doc.get("models", [])
    big = [m for m in models if m.get("path") == c.inv_big]
    status = big[0]["signature"]["status"] if big else None
    c.check(len(models) == 20 and status == "signed",
            f"{case}. {len(models)} models found (want 20); the 4.3 GB model: {status} (want signed)")
    if case == "q2":
        cache = doc.get("cache") or {}
        c.check(cache.get("misses") == 0, f"q2. digest cache: {cache.get('hits')} hits, {cache.get('misses')} misses")


def compare_aisbom(c, r) -> None:
    """q3: what each tool found and says, from the BOMs they wrote: which
    of modelseal's models aisbom-cli lists no file of, and what it lists
    that modelseal groups or leaves out."""
    ours = parse_json(c.out("q3", "tool")) or {}
    theirs = parse_json(read_text(f"{c.scratch}/aisbom.cdx.json")) or {}
    models = [x for x in ours.get("components", []) if x.get("type") == "machine-learning-model"
              and not any(p.get("name") == "modelseal:found" for p in x.get("properties", []))]
    status = {}
    for x in models:
        for p in x.get("properties", []):
            if p.get("name") == "modelseal:signature:status":
                status[p.get("value")] = status.get(p.get("value"), 0) + 1
    theirs_c = theirs.get("components", [])
    their_names = {x.get("name", "") for x in theirs_c}
    missed = [x.get("name") for x in models
              if not any(f.get("name", "").rsplit("/", 1)[-1] in their_names for f in x.get("components", []))]
    big = sum(1 for x in theirs_c if x.get("name", "").startswith(("shard-", "weights-0000")))
    c.notes.append(f"q3: modelseal: {len(models)} models, CycloneDX {ours.get('specVersion')}, signature status "
                   f"of each ({', '.join(f'{n} {k}' for k, n in sorted(status.items()))}); aisbom-cli: "
                   f"{len(theirs_c)} components, CycloneDX {theirs.get('specVersion')}, one per file named like "
                   f"a model ({big} of them files of the 4.3 GB model), no signature status")
    c.notes.append(f"q3: aisbom-cli lists no file of {len(missed)} of modelseal's models: " + ", ".join(missed))


def setup_hostile(c) -> Optional[str]:
    """Case m: five signed two-file models under the scratch folder, each
    then given hostile 16 MiB inputs (the forged bundle replaces its
    model.sig; the other files are added unsigned, one per model and all
    three in the last)."""
    why = c.ensure_ed()
    if why:
        return why
    c.hostile = f"{c.scratch}/hostile"
    mib16 = 16 << 20
    empty = b'{"":0}'
    for name, _, _ in HOSTILE:
        model = f"{c.hostile}/{name}"
        os.makedirs(model, exist_ok=True)
        with open(f"{model}/config.json", "w") as f:
            f.write('{"hidden_size": 8}\n')
        with open(f"{model}/weights.bin", "wb") as f:
            f.write(bytes(4096))
        p = c.ms("sign", model, "--key", c.ed_key, "--force")
        if p.returncode != 0:
            return f"modelseal sign of {model} failed: {tail_text(p.stderr)}"
    head = b'{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"tlogEntries":['
    n = (mib16 - len(head) - 3) // (len(empty) + 1)
    with open(f"{c.hostile}/forged-sig/model.sig", "wb") as f:
        f.write(head + b",".join([empty] * n) + b"]}}")
    with open(f"{c.hostile}/json/extra.json", "wb") as f:
        f.write(b"[" + b",".join([empty] * ((mib16 - 2) // (len(empty) + 1))) + b"]")
    pairs, size = [], 24
    while size < mib16:  # GGUF v3: key length, key, type uint8, value
        key = format(len(pairs), "x").encode()
        pairs.append(struct.pack("<Q", len(key)) + key + struct.pack("<IB", 0, 1))
        size += len(pairs[-1])
    with open(f"{c.hostile}/gguf/extra.gguf", "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs)) + b"".join(pairs))
    entries, size = [], 2
    while size < mib16:  # valid: every tensor empty, at data offset 0
        entries.append(b'"t%d":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}' % len(entries))
        size += len(entries[-1]) + 1
    header = b"{" + b",".join(entries) + b"}"
    header += b" " * (-len(header) % 8)
    with open(f"{c.hostile}/safetensors/extra.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
    for name in ("json", "gguf", "safetensors"):
        os.link(f"{c.hostile}/{name}/extra.{name}", f"{c.hostile}/all-three/extra.{name}")
    with open(f"{c.hostile}/pickle/extra.pkl", "wb") as f:
        f.write(b"\x80\x04" + b"N\x94" * ((mib16 - 4) // 2) + b"N.")
    member = 512 << 20  # one BINBYTES8 argument, then a dangerous global
    with zipfile.ZipFile(f"{c.hostile}/pickle-zip/extra.pt", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("archive/data.pkl", "w", force_zip64=True) as m:
            m.write(b"\x80\x04\x8e" + struct.pack("<Q", member))
            chunk = bytes(1 << 20)
            for _ in range(member >> 20):
                m.write(chunk)
            m.write(b"0\x8c\x02os\x94\x8c\x06system\x94\x93N.")
        z.writestr("archive/version", "3\n")
    return None


def check_hostile(c, r) -> None:
    """Case m: each run failed verification naming its hostile input; each
    process's own peak RSS, as a note."""
    peaks = []
    for k, (name, what, needle) in enumerate(HOSTILE):
        text = c.out("m", "tool", k) + read_text(f"{c.scratch}/m-tool.{k}.err")
        c.check(needle in text, f"m. {name}: verify failed naming {needle}")
        rss = read_text(f"{c.scratch}/m-tool.{k}.rss").split()
        peaks.append(f"{what}: {int(rss[-1]) / 1024:.1f} MiB" if rss else f"{what}: ?")
    c.notes.append("m: peak RSS of each verify: " + "; ".join(peaks))


@dataclasses.dataclass
class Result:
    case: Case
    title: str
    bytes: Optional[int] = None
    tool: Optional[Stats] = None
    base: Optional[Stats] = None
    skip: str = ""        # the case did not run
    skip_fail: bool = False
    base_skip: str = ""   # the baseline did not run
    runs: int = 0
    labels: tuple = ("", "")


# --------------------------------------------------------------- context --

class Ctx:
    def __init__(self, args):
        self.args = args
        self.dir = os.path.abspath(args.dir)
        os.makedirs(self.dir, exist_ok=True)
        d = self.dir
        self.model, self.small_only, self.big, self.one = (f"{d}/model", f"{d}/small-only",
                                                           f"{d}/big.bin", f"{d}/one-file")
        self.marker, self.incomplete = f"{d}/.modelseal-bench-data", f"{d}/.modelseal-bench-incomplete"
        self.st, self.st_model = f"{d}/weights-4g.safetensors", f"{d}/st-model"
        self.st_linked, self.st_marker = f"{self.st_model}/weights-4g.safetensors", f"{d}/.modelseal-bench-st"
        self.ed_key = f"{d}/ed.key"
        self.p256_key, self.p256_pub, self.p256_pk8 = f"{d}/p256.key", f"{d}/p256.pub", f"{d}/p256-pkcs8.key"
        self.ms_sig, self.ref_sig = f"{d}/ms.sig", f"{d}/ref.sig"
        self.ms_one, self.ref_one = f"{d}/ms-one.sig", f"{d}/ref-one.sig"
        self.status_sig, self.status_cache = f"{d}/status.sig", f"{d}/status-cache"
        self.config_json, self.config_orig = f"{self.model}/config.json", f"{d}/.modelseal-bench-config.json.orig"
        self.policy_dir = f"{d}/policy"
        self.policy_model = f"{self.policy_dir}/model"
        self.hub_repo = f"{d}/hub/models--bench--model"
        self.hub_snapshot = f"{self.hub_repo}/snapshots/{HUB_REV}"
        self.hub_sig = f"{d}/hub.sig"
        self.inv_dir, self.inv_cache = f"{d}/inventory", f"{d}/inventory-cache"
        self.store_dir = f"{d}/store"
        self.inv_big = f"{self.inv_dir}/work/bench-model"
        self.aisbom = self.aisbom_note = ""
        self.inv_files = self.inv_bytes = 0
        self.sigs_made = [self.ms_sig, self.ref_sig, self.ms_one, self.ref_one,
                          f"{self.st_model}/model.sig", self.status_sig, self.hub_sig]
        self.cores = len(os.sched_getaffinity(0))
        self.scratch = tempfile.mkdtemp(prefix="run.", dir=d)
        self.checks: list = []
        self.notes: list = []
        self.counter = 0
        self.have: dict = {}
        self.b3sum = self.b3sum_note = self.ref = self.ref_note = self.loader = ""
        self.loader_note = ""
        self.python = self.python_note = ""
        self.parts: list = []
        self.all_files: list = []

    def names(self) -> dict:
        return {"cores": self.cores, "files": getattr(self, "model_files", "?"),
                "big_size": size_str(getattr(self, "big_bytes", 0)),
                "st_size": size_str(getattr(self, "st_bytes", 0)), "status_cache": self.status_cache,
                "inv_files": f"{self.inv_files:,}", "inv_size": size_str(self.inv_bytes),
                "inv_cache": self.inv_cache}

    def run(self, argv, env=None, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=env, cwd=cwd, errors="replace")

    def ms(self, *args, env=None) -> subprocess.CompletedProcess:
        return self.run([self.bin, *args], env=env)

    @staticmethod
    def remove(path: str) -> None:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass

    def out(self, case: str, side: str, k: int = 0) -> str:
        try:
            with open(f"{self.scratch}/{case}-{side}.{k}.out", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def check(self, ok: bool, text: str) -> None:
        self.checks.append(f"{'ok  ' if ok else 'FAIL'}  {text}")

    def missing(self, need: str) -> str:
        if need.endswith(".sig"):
            return "" if os.path.exists(f"{self.dir}/{need}") else f"no {need} (made by an earlier case)"
        if need == "b3sum":
            return "" if self.b3sum else f"b3sum not available ({self.b3sum_note})"
        if need == "ref":
            return "" if self.ref else f"reference tool not available ({self.ref_note})"
        if need == "loader":
            return "" if self.loader else f"load_verified example not available ({self.loader_note})"
        if need == "python":
            return "" if self.python else f"the Python package is not available ({self.python_note})"
        if need == "aisbom":
            return "" if self.aisbom else f"aisbom-cli not available ({self.aisbom_note})"
        if need not in self.have:
            self.have[need] = self.run([self.bin, need, "--help"]).returncode == 0
        return "" if self.have[need] else f"modelseal {need} not available ({need} --help fails)"

    # ------------------------------------------------------------- setups --

    def split_model(self) -> None:
        """Case a: model/'s files in `cores` parts of ~equal bytes (largest first, greedy)."""
        files = sorted(((os.path.getsize(p), p) for p in self.all_files), key=lambda t: (-t[0], t[1]))
        parts = [[] for _ in range(self.cores)]
        sums = [0] * self.cores
        for size, path in files:
            k = sums.index(min(sums))
            parts[k].append(path)
            sums[k] += size
        self.parts = parts
        self.notes.append("a: openssl parts: " + "; ".join(
            f"{len(p)} files / {s} B" for p, s in zip(parts, sums)))

    def ensure_p256(self) -> None:
        if all(os.path.exists(p) for p in (self.p256_key, self.p256_pub, self.p256_pk8)):
            return
        say(f"creating P-256 key pair in {self.dir}")
        for argv in (["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.p256_key],
                     ["openssl", "ec", "-in", self.p256_key, "-pubout", "-out", self.p256_pub],
                     ["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", self.p256_key, "-out", self.p256_pk8]):
            p = self.run(argv)
            if p.returncode != 0:
                raise Die(f"{argv[0]} {argv[1]} failed: {p.stderr.strip()}")

    def ensure_ed(self) -> Optional[str]:
        if os.path.exists(self.ed_key) and os.path.exists(self.ed_key + ".pub"):
            return None
        p = self.ms("keygen", "--algorithm", "ed25519", "--out", self.ed_key, "--force")
        return None if p.returncode == 0 else f"modelseal keygen failed: {tail_text(p.stderr)}"

    def setup_sign(self) -> Optional[str]:
        self.ensure_p256()
        for sig in (self.ms_sig, self.ref_sig, self.ms_one, self.ref_one):
            self.remove(sig)
        return None

    def setup_one(self) -> Optional[str]:
        p = self.ms("sign", self.one, "--key", self.p256_pk8, "--signature", self.ms_one, "--force")
        if p.returncode != 0:
            return f"modelseal sign of one-file/ failed: {tail_text(p.stderr)}"
        if self.ref:
            p = self.run([self.ref, "sign", "key", self.one, "--private_key", self.p256_key,
                          "--signature", self.ref_one])
            if p.returncode != 0:
                self.notes.append(f"e3: model_signing sign of one-file/ failed: {tail_text(p.stderr)}")
        return None

    def setup_p1(self) -> Optional[str]:
        """p1 needs model/ signed with P-256 (case e1 makes it; alone, p1 does)."""
        self.ensure_p256()
        if os.path.exists(self.ms_sig):
            return None
        p = self.ms("sign", self.model, "--key", self.p256_pk8, "--signature", self.ms_sig)
        if p.returncode != 0:
            return f"modelseal sign of model/ failed: {tail_text(p.stderr)}"
        return None

    def check_p2(self, r: Result) -> None:
        if not (r.tool and r.tool.ok):
            return
        out = self.out("p2", "tool").strip()
        want = str(self.big_bytes)
        self.check(out.endswith(want), f"p2. load_safetensors returned {out or 'nothing'} bytes of arrays "
                                       f"(want {want})")

    def setup_g(self) -> Optional[str]:
        why = self.ensure_ed()
        if why:
            return why
        say(f"signing {self.st_model}")
        p = self.ms("sign", self.st_model, "--key", self.ed_key, "--force")
        return None if p.returncode == 0 else f"modelseal sign st-model/ failed: {tail_text(p.stderr)}"

    def setup_status(self) -> Optional[str]:
        why = self.ensure_ed()
        if why:
            return why
        # Saved atomically (a partial copy must never pass for the original);
        # restored after case i, at exit, or at the next start.
        shutil.copy2(self.config_json, self.config_orig + ".tmp")
        os.replace(self.config_orig + ".tmp", self.config_orig)
        shutil.rmtree(self.status_cache, ignore_errors=True)
        os.makedirs(self.status_cache)
        env = dict(self.env, MODELSEAL_CACHE_DIR=self.status_cache)
        say(f"h-j: signing {self.model} into {self.status_sig} (--incremental fills {self.status_cache})")
        p = self.ms("sign", self.model, "--key", self.ed_key, "--signature", self.status_sig,
                    "--force", "--incremental", env=env)
        if p.returncode != 0:
            self.remove(self.status_sig)
            return f"modelseal sign --incremental failed: {tail_text(p.stderr)}"
        time.sleep(2.5)
        self.ms("status", self.model, "--signature", self.status_sig, env=env)
        time.sleep(2.5)
        return None

    def rewrite_config(self) -> None:
        """Case i, before each run: keep the other entries out of the racy
        window, then give config.json (only it) new content."""
        time.sleep(2.5)
        self.counter += 1
        with open(self.config_json, "w") as f:
            f.write(f'{{"modelseal_bench_counter": {self.counter}, "at": "{time.time():.6f}"}}\n')

    def restore_config(self) -> None:
        if os.path.exists(self.config_orig):
            if os.path.isdir(self.model):
                shutil.copy2(self.config_orig, self.config_json)
            os.remove(self.config_orig)

    def setup_policy(self) -> Optional[str]:
        pd = self.policy_dir
        shutil.rmtree(pd, ignore_errors=True)
        os.makedirs(pd)
        shutil.copytree(self.one, self.policy_model)
        with open(f"{pd}/report.txt", "w") as f:
            f.write("report\n")
        with open(f"{pd}/policy.toml", "w") as f:
            f.write(POLICY_TOML)
        steps = [["keygen", "--algorithm", "ed25519", "--out", f"{pd}/dev"],
                 ["keygen", "--algorithm", "ed25519", "--out", f"{pd}/tess"],
                 ["sign", self.policy_model, "--key", f"{pd}/dev"],
                 ["attest", "lineage", self.policy_model, "--key", f"{pd}/dev", "--model-version", "1",
                  "--change", "benchmark"]]
        steps += [["attest", "test", self.policy_model, "--key", f"{pd}/tess", "--name", f"suite {i}",
                   "--result", "pass", "--report", f"{pd}/report.txt", "--tester", "tess"]
                  for i in range(1, 100)]
        say("k: signing one-file/ and making 100 attestations")
        for step in steps:
            p = self.ms(*step)
            if p.returncode != 0:
                return f"setup failed: modelseal {' '.join(step[:2])}: {tail_text(p.stderr)}"
        return None

    def setup_keyless(self) -> Optional[str]:
        """Case n: the keyless vector's files, copied and signed with the
        P-256 key, as the key-verification baseline."""
        self.ensure_p256()
        self.keyless_copy = f"{self.scratch}/keyless-copy"
        shutil.rmtree(self.keyless_copy, ignore_errors=True)
        os.makedirs(self.keyless_copy)
        for name in ("signme-1", "signme-2"):
            shutil.copy(f"{KEYLESS}/model/{name}", self.keyless_copy)
        p = self.ms("sign", self.keyless_copy, "--key", self.p256_pk8)
        return None if p.returncode == 0 else f"modelseal sign failed: {tail_text(p.stderr)}"

    def setup_hub(self) -> Optional[str]:
        """DIR/hub as a hub cache repository of model/: each blob a hard link
        to a file of model/, each snapshot file a relative link ../../blobs/NAME
        as huggingface_hub writes them (blob names stand in for content hashes)."""
        self.ensure_p256()
        shutil.rmtree(f"{self.dir}/hub", ignore_errors=True)
        os.makedirs(f"{self.hub_repo}/blobs")
        os.makedirs(f"{self.hub_repo}/refs")
        os.makedirs(self.hub_snapshot)
        with open(f"{self.hub_repo}/refs/main", "w") as f:
            f.write(HUB_REV)
        for n, path in enumerate(self.all_files):
            rel = os.path.relpath(path, self.model)
            blob = f"{n:064x}"
            os.link(path, f"{self.hub_repo}/blobs/{blob}")
            link = f"{self.hub_snapshot}/{rel}"
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink("../" * (rel.count("/") + 2) + f"blobs/{blob}", link)
        say(f"hub snapshot of model/ ready: {len(self.all_files)} links in {self.hub_snapshot}")
        p = self.ms("sign", self.model, "--key", self.p256_pk8, "--signature", self.hub_sig, "--force")
        return None if p.returncode == 0 else f"modelseal sign failed: {tail_text(p.stderr)}"

    # ------------------------------------------------------------- checks --

    def check_digest(self, what: str, hexd: str, case: str) -> None:
        if not hexd:
            self.checks.append(f"?     {what}: no reference digest")
        else:
            found = hexd.lower() in self.out(case, "tool").lower()
            self.check(found, f"{what}: {hexd[:16]}... {'found' if found else 'not found'} in modelseal output")

    def check_a(self, r: Result) -> None:
        w1 = f"{self.model}/weights-00001-of-00004.bin"
        hexd = ""
        for k in range(len(self.parts)):
            for line in self.out("a", "base", k).splitlines():
                if f"({w1})=" in line:
                    hexd = line.split()[-1]
        self.check_digest("a. sha256 weights-00001 (openssl)", hexd, "a")

    def check_b1(self, r: Result) -> None:
        words = self.out("b1", "base").split()
        self.check_digest("b. sha256 big.bin, files method (openssl)", words[-1] if words else "", "b1")

    def check_c2(self, r: Result) -> None:
        words = self.out("c2", "base").split()
        self.check_digest("c. blake3 big.bin (b3sum)", words[0] if words else "", "c2")

    def check_e2(self, r: Result) -> None:
        if not (self.ref and os.path.exists(self.ref_sig) and os.path.exists(self.ms_sig)):
            return
        p = self.ms("verify", self.model, "--signature", self.ref_sig, "--key", self.p256_pub)
        self.check(p.returncode == 0, "e. modelseal verifies model_signing's signature")
        p = self.run([self.ref, "verify", "key", self.model, "--signature", self.ms_sig,
                      "--public_key", self.p256_pub])
        self.check(p.returncode == 0, "e. model_signing verifies modelseal's signature")

    def check_f(self, r: Result) -> None:
        if r.tool and r.tool.ok:
            out = self.out("f", "tool")
            self.check('"weights"' in out and str(self.big_bytes) in out,
                       f"f. inspect output names tensor 'weights' and {self.big_bytes}")

    def check_g(self, r: Result) -> None:
        if not (r.tool and r.tool.ok):
            return
        want = f"loaded 1 verified tensors ({self.big_bytes} bytes)"
        out = self.out("g", "tool")
        self.check(want in out, f"g. load_verified: {want if want in out else tail_text(out)}")
        # Fresh memory is the load's main cost, and on a VM whose host takes
        # freed memory back its price swings from run to run.
        if len(r.tool.walls) > 1:
            worst = r.tool.walls.index(r.tool.max) + 1
            self.notes.append(f"g: load_verified slowest run: {r.tool.max:.3f} s (run {worst} of "
                              f"{len(r.tool.walls)}; min {r.tool.min:.3f} s)")

    def check_h(self, r: Result) -> None:
        env = dict(self.env, MODELSEAL_CACHE_DIR=self.status_cache)
        p = self.ms("status", self.model, "--signature", self.status_sig, "--format", "json", env=env)
        hits = find_key(parse_json(p.stdout), "cache")
        hits = hits.get("hits") if isinstance(hits, dict) else None
        self.check(p.returncode == 0 and hits == self.model_files,
                   f"h. status --format json: exit {p.returncode}, cache.hits = {hits} of {self.model_files} files")

    def check_i(self, r: Result) -> None:
        if r.tool and r.tool.ok:
            p = self.ms("verify", self.model, "--signature", self.status_sig, "--key", self.ed_key + ".pub")
            self.check(p.returncode == 0, f"i. the incremental signature verifies (exit {p.returncode})"
                       + ("" if p.returncode == 0 else f": {tail_text(p.stderr)}"))
        self.restore_config()

    def check_k(self, r: Result) -> None:
        if r.tool and r.tool.ok and r.base and r.base.ok:
            with open(f"{self.policy_model}/model.att.jsonl") as f:
                lines = sum(1 for line in f if line.strip())
            self.check(lines == 100, f"k. {lines} attestations; verify --policy passed every rule")

    def check_l(self, r: Result) -> None:
        followed = find_key(parse_json(self.out("l", "tool")), "followed")
        self.check(followed == self.model_files,
                   f"l. the snapshot's files were reached through links: followed = {followed} "
                   f"(want {self.model_files})")


def num(x: float) -> str:
    """1.0 -> "1.0", 0.95 -> "0.95"."""
    s = f"{x:.2f}"
    return s[:-1] if s.endswith("0") else s


def tail_text(text: str, n: int = 1) -> str:
    return " ".join(text.strip().splitlines()[-n:])


def parse_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def find_key(doc, key):
    """The first value of `key` anywhere in a JSON document, or None."""
    if isinstance(doc, dict):
        if key in doc:
            return doc[key]
        doc = list(doc.values())
    if isinstance(doc, list):
        for v in doc:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


def size_str(n: int) -> str:
    for unit, div in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{n} B"


def bytes_of(path: str) -> int:
    return sum(os.path.getsize(p) for p in walk_files(path))


def walk_files(path: str) -> list:
    out = []
    for root, _, names in os.walk(path):
        out.extend(os.path.join(root, n) for n in names)
    return sorted(out)


# ------------------------------------------------------------------- data --

def gen_random(path: str, nbytes: int, seed: int) -> None:
    """nbytes of AES-128-CTR keystream (key = seed), as bench.sh made them."""
    with open(path, "wb") as out:
        head = subprocess.Popen(["head", "-c", str(nbytes), "/dev/zero"], stdout=subprocess.PIPE)
        enc = subprocess.Popen(["openssl", "enc", "-aes-128-ctr", "-nosalt", "-K", f"{seed:032x}",
                                "-iv", "0" * 31 + "1"], stdin=head.stdout, stdout=out)
        head.stdout.close()
        if enc.wait() != 0 or head.wait() != 0:
            raise Die(f"writing {path} failed")
    if os.path.getsize(path) != nbytes:
        raise Die(f"short write: {path}")


def make_data(c: Ctx) -> None:
    existing = [p for p in (c.model, c.small_only, c.big, c.one) if os.path.exists(p)]
    if existing:
        if not (os.path.exists(c.marker) or os.path.exists(c.incomplete)):
            raise Die(f"{' '.join(existing)} exist(s) but was not made by this harness; use another --dir")
        say(f"removing stale synthetic data in {c.dir}")
        for p in existing:
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    if os.path.exists(c.st_marker):  # made from big.bin: stale with it
        remove_st(c)
    c.remove(c.marker)
    open(c.incomplete, "w").close()
    need = 8 * UNIT + (64 << 20)
    if shutil.disk_usage(c.dir).free <= need:
        raise Die(f"need {need / GIB:.1f} GiB free in {c.dir}")
    say(f"creating synthetic data in {c.dir} ({size_str(8 * UNIT)}; disk-bound, a minute or two)")
    os.makedirs(f"{c.model}/small")
    os.makedirs(c.one)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two writers of 4 units each
        weights = pool.submit(lambda: [gen_random(f"{c.model}/weights-0000{i}-of-00004.bin", UNIT, i)
                                       for i in range(1, 5)])
        big = pool.submit(gen_random, c.big, 4 * UNIT, 99)
        seed = 100
        for path, size in CONFIG_FILES:
            os.makedirs(os.path.dirname(f"{c.model}/{path}"), exist_ok=True)
            gen_random(f"{c.model}/{path}", size, seed)
            seed += 1
        os.makedirs(f"{c.model}/configs")
        for i in range(N_VARIANTS):  # log-spaced sizes, 100 B to 2 MB
            gen_random(f"{c.model}/configs/variant-{i:02d}.json", int(100 * 20000 ** (i / (N_VARIANTS - 1))), seed)
            seed += 1
        small = f"{c.scratch}/small.bin"
        gen_random(small, SMALL_FILES * 4096, 7)
        with open(small, "rb") as f:
            for i in range(SMALL_FILES):
                with open(f"{c.model}/small/shard-{i:04d}.bin", "wb") as out:
                    out.write(f.read(4096))
        os.remove(small)
        shutil.copytree(f"{c.model}/small", c.small_only)
        gen_random(f"{c.one}/model.bin", 1024, 8)
        weights.result()
        big.result()
    n = len(walk_files(c.model))
    if n != 4 + len(CONFIG_FILES) + N_VARIANTS + SMALL_FILES:
        raise Die(f"unexpected file count in model/: {n}")
    os.sync()
    with open(c.marker, "w") as f:
        f.write(LAYOUT + "\n")
    os.remove(c.incomplete)
    say("synthetic data ready")


def remove_st(c: Ctx) -> None:
    for p in (c.st, c.st + ".tmp", c.st_marker):
        c.remove(p)
    shutil.rmtree(c.st_model, ignore_errors=True)


def st_header(nbytes: int) -> bytes:
    """One U8 tensor "weights" of nbytes; spaces pad 8 + header length to a
    multiple of 8 (safetensors aligns the data, allows trailing spaces)."""
    h = ('{"weights":{"dtype":"U8","shape":[%d],"data_offsets":[0,%d]},"__metadata__":{"format":"pt"}}'
         % (nbytes, nbytes))
    h += " " * (-(8 + len(h)) % 8)
    return h.encode()


def make_st_data(c: Ctx) -> None:
    header = st_header(c.big_bytes)
    st_layout = f"weights-4g.safetensors v1: {LAYOUT}, header {len(header)} B"
    if (os.path.exists(c.st) or os.path.exists(c.st_model)) and not os.path.exists(c.st_marker):
        raise Die(f"{c.st} or {c.st_model} exists but was not made by this harness; use another --dir")
    if (read_text(c.st_marker).strip() == st_layout and os.path.exists(c.st)
            and os.path.getsize(c.st) == 8 + len(header) + c.big_bytes):
        say(f"reusing {c.st}")
    else:
        if shutil.disk_usage(c.dir).free <= c.big_bytes + (64 << 20):
            raise Die(f"need {c.big_bytes / GIB + 0.1:.1f} GiB free in {c.dir} for {c.st}")
        say(f"creating {c.st} from big.bin (header {len(header)} B)")
        with open(c.st_marker, "w") as f:
            f.write("incomplete\n")
        c.remove(c.st)
        shutil.rmtree(c.st_model, ignore_errors=True)
        with open(c.st + ".tmp", "wb") as out, open(c.big, "rb") as src:
            out.write(struct.pack("<Q", len(header)) + header)
            out.flush()
            offset = 0
            while offset < c.big_bytes:
                offset += os.sendfile(out.fileno(), src.fileno(), offset, c.big_bytes - offset)
        if os.path.getsize(c.st + ".tmp") != 8 + len(header) + c.big_bytes:
            raise Die(f"short write: {c.st}.tmp")
        os.replace(c.st + ".tmp", c.st)
        with open(c.st_marker, "w") as f:
            f.write(st_layout + "\n")
    os.makedirs(c.st_model, exist_ok=True)  # the file alone, a hard link (or a copy)
    if not (os.path.exists(c.st_linked) and os.path.samefile(c.st_linked, c.st)):
        c.remove(c.st_linked)
        try:
            os.link(c.st, c.st_linked)
        except OSError:
            shutil.copyfile(c.st, c.st_linked)


def read_text(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


# ---------------------------------------------------------------- running --

def measure(c: Ctx, case: Case) -> Result:
    r = Result(case, case.title.format(**c.names()),
               labels=(case.tool.label.format(**c.names()),
                       case.baseline.label.format(**c.names()) if case.baseline else ""))
    for need in case.needs:
        r.skip = c.missing(need)
        if r.skip:
            return r
    if case.setup:
        why = case.setup(c)
        if why:
            r.skip, r.skip_fail = why, True
            return r
    # A setup may make the data the title and byte count describe.
    r.title = case.title.format(**c.names())
    r.bytes = case.bytes(c) if case.bytes else None
    for need in case.base_needs if case.baseline else ():
        r.base_skip = c.missing(need)
        if r.base_skip:
            break
    sides = [("tool", case.tool, Stats())]
    if case.baseline and not r.base_skip:
        sides.insert(0, ("base", case.baseline, Stats()))
    env = dict(c.env, **{k: v.format(**c.names()) for k, v in (case.env or {}).items()})
    cwd = case.cwd(c) if case.cwd else None
    r.runs = case.runs if case.ms else c.args.runs
    argvs = {name: side.argv(c) for name, side, _ in sides}
    argvs = {name: a if isinstance(a[0], list) else [a] for name, a in argvs.items()}

    def one(name, side, stats, timed):
        if side.pre:
            side.pre(c)
        # Seconds cases: every run under /usr/bin/time. Millisecond cases: the
        # warm-up run gives the peak RSS, the timed runs are bare.
        with_rss = not (case.ms and timed)
        wall, rss, rc, err = run_once(argvs[name], f"{c.scratch}/{case.id}-{name}", cwd, env, with_rss)
        if rc != 0:
            stats.rc, stats.err = rc, tail(err)
            c.notes.append(f"{case.id}: {name} exited {rc}: {stats.err}")
            say(f"{case.id} {name} FAILED (exit {rc}): {stats.err}")
            return False
        if timed:
            stats.walls.append(wall)
        if rss is not None:
            stats.rss_kb.append(rss)
        return True

    live = list(sides)
    if case.ms:  # one untimed warm-up run of each side
        live = [s for s in live if one(*s, timed=False)]
    for i in range(r.runs):
        # Interleaved: base, tool; then tool, base; ...
        for s in (live if i % 2 == 0 else live[::-1]):
            if s[2].rc == 0:
                one(*s, timed=True)
        say(f"{case.id} run {i + 1}/{r.runs}: " + "; ".join(
            f"{name} {stats.walls[-1]:.4f} s" for name, _, stats in sides if len(stats.walls) == i + 1))
    for name, _, stats in sides:
        if name == "base":
            r.base = stats
        else:
            r.tool = stats
    return r


def judge(r: Result, results: dict) -> list:
    """[(verdict, text)] for the case's targets."""
    if r.skip:
        return [("FAIL" if r.skip_fail else "SKIP", f"{t.short()}: {r.skip}") for t in r.case.targets]
    out = []
    for t in r.case.targets:
        ok, text = t.judge(r, results)
        out.append(("PASS" if ok else "FAIL", text))
    return out


# ----------------------------------------------------------------- report --

def fmt_s(s: float) -> str:
    return f"{s:.4f}" if s < 1 else f"{s:.3f}"


def table_rows(results: dict, verdicts: dict, ms: bool) -> list:
    rows = []
    for r in results.values():
        if r.case.ms != ms:
            continue
        if r.skip:
            rows.append([r.title, f"{'FAILED' if r.skip_fail else 'skipped'}: {r.skip}"] + [""] * (8 - ms))
            continue

        def cells(stats: Optional[Stats], label: str, ratio: list, target: str):
            if stats is None:
                return [label] + [""] * (5 - ms) + ratio + [target]
            if not stats.ok:
                return [label, f"FAILED (exit {stats.rc})"] + [""] * (4 - ms) + ratio + [target]
            times = ([f"{stats.min * 1000:.1f}", f"{stats.median * 1000:.1f}"] if ms
                     else [fmt_s(stats.min), fmt_s(stats.median)])
            gbs = [] if ms else [f"{r.bytes / stats.min / 1e9:.2f}" if r.bytes else ""]
            return [label, str(len(stats.walls))] + times + gbs + [f"{stats.rss_mib:.1f}"] + ratio + [target]

        base_ok = r.base is not None and r.base.ok
        if r.case.baseline:
            base_label = f"{r.labels[1]}" + (f": skipped, {r.base_skip}" if r.base_skip else "")
            rows.append([r.title] + cells(r.base, base_label, ["1.00×", "1.00×"] if base_ok else ["", ""], ""))
        ratio = ["", ""]
        if base_ok and r.tool.ok:
            ratio = [f"{r.base.min / r.tool.min:.2f}×", f"{r.base.median / r.tool.median:.2f}×"]
        target = "; ".join(f"{t.short()} {'✔' if v == 'PASS' else '✘'}"
                           for t, (v, _) in zip(r.case.targets, verdicts[r.case.id]))
        rows.append(["" if r.case.baseline else r.title] + cells(r.tool, r.labels[0], ratio, target))
    return rows


def headers(ms: bool) -> list:
    unit = "ms" if ms else "s"
    return (["case", "command", "runs", f"min {unit}", f"median {unit}"] + ([] if ms else ["GB/s"])
            + ["peak RSS MiB", "ratio (min)", "ratio (median)", "target"])


def text_table(rows: list, ms: bool) -> str:
    rows = [headers(ms)] + rows
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(cell.rjust(w) if 2 <= i < len(row) - 1 else cell.ljust(w)
                                for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(rows: list, ms: bool) -> str:
    head = headers(ms)
    align = ["---", "---"] + ["---:"] * (len(head) - 3) + ["---"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def version_of(argv) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (p.stdout.strip() or p.stderr.strip()).splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unavailable"


def revision() -> str:
    """HEAD and whether the tree has uncommitted changes (read-only git)."""
    git = ["git", "--no-optional-locks", "-C", REPO]
    try:
        head = subprocess.run(git + ["rev-parse", "--short=7", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}" + (f"+dirty ({len(dirty)} files changed)" if dirty else "")


def machine() -> str:
    info = read_text("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    feats = [name for flag, name in (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("sha_ni", "SHA-NI"),
                                     ("vaes", "VAES")) if flag in flags]
    guest = ["VM guest"] if "hypervisor" in flags else []
    mem = next((int(line.split()[1]) for line in read_text("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), 0)
    return (f"{len(os.sched_getaffinity(0))} cores of {model} ({', '.join(guest + feats)}), "
            f"{mem / 2**20:.1f} GiB RAM, Linux {platform.release()}")


def stamp(c: Ctx, started: datetime.datetime, load_before: str) -> list:
    c.revision = revision()
    load_after = " ".join(read_text("/proc/loadavg").split()[:3])
    lines = [
        ("date", f"{started:%Y-%m-%d %H:%M} UTC"),
        ("revision", c.revision),
        ("build", f"{version_of([c.bin, '--version'])}, release build of "
                     f"{c.bin_time:%Y-%m-%d %H:%M} UTC" + (" (--no-build)" if c.args.no_build else "")),
        ("machine", f"{machine()}; load average {load_before} before, {load_after} after"),
        ("tools", f"{version_of(['openssl', 'version'])}"
                  + (f"; {version_of([c.b3sum, '--version'])}" if c.b3sum else "")
                  + (f"; {version_of([c.ref, '--version'])}" if c.ref else "")),
        ("data", f"{c.dir}: model/ {c.model_bytes / 1e9:.3f} GB in {c.model_files} files; big.bin "
                 f"{c.big_bytes / 1e9:.3f} GB; small-only/ {c.small_bytes} B"
                 + (f"; weights-4g.safetensors {c.st_bytes / 1e9:.3f} GB" if hasattr(c, "st_bytes") else "")
                 + "; page cache warm"),
        ("method", f"{c.args.runs} interleaved runs of each side (millisecond cases: {FAST_RUNS}, i: 5, after "
                   "a warm-up run); min and median wall (spawn to exit); peak RSS from /usr/bin/time; "
                   "ratio = baseline time / tool time (> 1: modelseal faster)"),
        ("command", "python3 benches/bench.py " + " ".join(sys.argv[1:])),
    ]
    if c.args.against:
        lines.insert(3, ("against", f"modelseal at {c.against_rev} ({c.args.against}), release build, "
                                    "as the baseline of every case"))
    if UNIT != GIB:
        lines.insert(0, ("WARNING", f"small-data mode (MODELSEAL_BENCH_UNIT={UNIT}): tests the harness, "
                                    "the figures mean nothing"))
    return lines


def report(c: Ctx, results: dict, started, load_before) -> None:
    verdicts = {cid: judge(r, results) for cid, r in results.items()}
    for r in results.values():
        for stats, label in ((r.tool, r.labels[0]), (r.base, r.labels[1])):
            if stats and stats.ok and "`modelseal" in label and stats.rss_mib >= RSS_NOTE_MIB:
                c.notes.append(f"{r.case.id}: {label} peak RSS {stats.rss_mib:.1f} MiB (> {RSS_NOTE_MIB} MiB)")
    st = stamp(c, started, load_before)
    fields = dict(st)
    thr, lat = table_rows(results, verdicts, False), table_rows(results, verdicts, True)
    text = ["", "modelseal benchmark"] + [f"{k + ':':10} {v}" for k, v in st] + [""]
    if thr:
        text += ["Throughput", text_table(thr, False), ""]
    if lat:
        text += ["Latency", text_table(lat, True), ""]
    for title, items in (("Checks", c.checks), ("Notes", c.notes),
                         ("Targets", [f"{v:4}  {results[cid].title}: {t}" for cid, vs in verdicts.items()
                                      for v, t in vs])):
        if items:
            text += [title] + [f"  {item}" for item in items] + [""]
    print("\n".join(text), file=sys.stderr if c.args.markdown else sys.stdout, flush=True)
    if c.args.markdown:
        md = [f"**Run of {fields['date']}** at revision `{c.revision}`: every figure below comes from "
              f"this one run of `{fields['command']}`.", ""]
        md += [f"- {k}: {v}" for k, v in st if k not in ("date", "revision", "command")] + [""]
        # Each table carries the short stamp too, should it be quoted alone.
        short = f"`{c.revision}`, {fields['date']}, {machine().split(' (')[0]}"
        if thr:
            md += [f"Throughput, seconds ({short}):", "", md_table(thr, False), ""]
        if lat:
            md += [f"Latency, milliseconds ({short}):", "", md_table(lat, True), ""]
        print("\n".join(md))


# ------------------------------------------------------------------- main --

def against(case: Case, rev: str) -> Case:
    """`case` with its baseline replaced by the same command run by the
    build of `rev` (`Ctx.against_bin`)."""

    def swap(c, tool=case.tool):
        argv = tool.argv(c)
        return [c.against_bin if a == c.bin else a for a in argv]

    return dataclasses.replace(
        case,
        baseline=Side(f"the same command, modelseal at {rev} (baseline: an earlier build)", swap,
                      pre=case.tool.pre),
        base_needs=(),
        targets=(Ratio(0.97, shown=f"≤ 3% slower than {rev}"),),
        after=None,
    )


def build_against(c: Ctx, rev: str) -> None:
    """Builds `rev` in a worktree under DIR (its own target folder, kept for
    the next run), as `cargo build --release` builds this tree."""
    full = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=REPO,
                          capture_output=True, text=True)
    if full.returncode:
        raise Die(f"--against {rev}: not a revision of this repository")
    commit = full.stdout.strip()
    tree = f"{c.dir}/against/{commit[:12]}"
    if not os.path.isdir(tree):
        os.makedirs(os.path.dirname(tree), exist_ok=True)
        say(f"git worktree add {tree} {commit[:12]}")
        if subprocess.run(["git", "worktree", "add", "--detach", tree, commit], cwd=REPO,
                          capture_output=True).returncode:
            raise Die(f"git worktree add {tree} failed")
    say(f"cargo build --release (at {commit[:12]})")
    env = dict(os.environ, CARGO_TARGET_DIR=f"{c.dir}/against/target")
    if subprocess.run(["cargo", "build", "--release", "-p", "modelseal-cli", "--locked"], cwd=tree,
                      env=env).returncode:
        raise Die(f"cargo build of {commit[:12]} failed")
    c.against_bin = f"{c.scratch}/modelseal-{commit[:12]}"
    shutil.copy2(f"{c.dir}/against/target/release/modelseal", c.against_bin)
    c.against_rev = commit[:12]


def selected(only: str) -> list:
    return [case for case in CASES if only in ("all", case.group)]


def find_tools(c: Ctx, cases: list) -> None:
    groups = {case.group for case in cases}
    target = os.environ.get("CARGO_TARGET_DIR", f"{REPO}/target")
    target = target if os.path.isabs(target) else f"{REPO}/{target}"
    if not c.args.no_build:
        say("cargo build --release -p modelseal-cli --locked")
        if subprocess.run(["cargo", "build", "--release", "-p", "modelseal-cli", "--locked"], cwd=REPO).returncode:
            raise Die("cargo build failed")
    c.built_bin = f"{target}/release/modelseal"
    if not os.access(c.built_bin, os.X_OK):
        raise Die(f"{c.built_bin} not found (build it, or drop --no-build)")
    c.bin = f"{c.scratch}/modelseal"  # a private copy: a concurrent build may replace the original
    shutil.copy2(c.built_bin, c.bin)
    c.bin_time = datetime.datetime.fromtimestamp(os.path.getmtime(c.bin), datetime.timezone.utc)
    if "formats" in groups:
        if not c.args.no_build:
            say("cargo build --release --example load_verified -p modelseal --locked")
            if subprocess.run(["cargo", "build", "--release", "--example", "load_verified", "-p", "modelseal",
                               "--locked"], cwd=REPO, stdout=sys.stderr).returncode:
                c.loader_note = "cargo build --release --example load_verified -p modelseal --locked failed"
        built = f"{target}/release/examples/load_verified"
        if not c.loader_note and os.access(built, os.X_OK):
            c.loader = f"{c.scratch}/load_verified"
            shutil.copy2(built, c.loader)
        elif not c.loader_note:
            c.loader_note = f"{built} not found"
    if "python" in groups:
        venv = os.environ.get("MODELSEAL_REFERENCE_VENV", f"{REPO}/target/oms-reference-venv")
        python = f"{venv}/bin/python"
        if not os.access(python, os.X_OK):
            c.python_note = f"no virtualenv at {venv}: run bash scripts/test.sh first"
        else:
            if not c.args.no_build:
                say(f"pip install . (the Python package, into {venv})")
                if subprocess.run([f"{venv}/bin/pip", "install", "--quiet", "--disable-pip-version-check", "."],
                                  cwd=REPO, stdout=sys.stderr).returncode:
                    c.python_note = "pip install . failed"
            probe = subprocess.run([python, "-c", "import modelseal, numpy, safetensors"], capture_output=True)
            if not c.python_note and probe.returncode == 0:
                c.python = python
            elif not c.python_note:
                c.python_note = f"{python} cannot import modelseal, numpy and safetensors"
    if "inventory" in groups:
        venv = f"{c.dir}/tools/aisbom-venv"
        aisbom = f"{venv}/bin/aisbom"
        if not os.access(aisbom, os.X_OK):
            say(f"aisbom-cli {AISBOM_VERSION}: a virtualenv at {venv} (pip, from PyPI)")
            ok = subprocess.run([sys.executable, "-m", "venv", venv], stdout=sys.stderr).returncode == 0 and \
                subprocess.run([f"{venv}/bin/pip", "install", "--quiet", "--disable-pip-version-check",
                                f"aisbom-cli=={AISBOM_VERSION}"], stdout=sys.stderr).returncode == 0
            if not ok:
                c.aisbom_note = f"pip install aisbom-cli=={AISBOM_VERSION} failed"
        if not c.aisbom_note and os.access(aisbom, os.X_OK):
            c.aisbom = aisbom
    if "hash" in groups:
        c.b3sum = shutil.which("b3sum") or ""
        if not c.b3sum and os.access(f"{c.dir}/tools/bin/b3sum", os.X_OK):
            c.b3sum = f"{c.dir}/tools/bin/b3sum"
        if not c.b3sum:
            say(f"b3sum not on PATH: cargo install b3sum --locked --root {c.dir}/tools")
            if subprocess.run(["cargo", "install", "b3sum", "--locked", "--root", f"{c.dir}/tools"],
                              stdout=sys.stderr).returncode == 0:
                c.b3sum = f"{c.dir}/tools/bin/b3sum"
            else:
                c.b3sum_note = "cargo install b3sum failed"
    if "sign" in groups:
        venv = os.environ.get("MODELSEAL_REFERENCE_VENV", f"{REPO}/target/oms-reference-venv")
        say(f"reference tool: scripts/reference-tool.sh (venv {venv})")
        p = subprocess.run(["bash", f"{REPO}/scripts/reference-tool.sh"], stdout=subprocess.PIPE, text=True,
                           env=dict(os.environ, MODELSEAL_REFERENCE_VENV=venv))
        if p.returncode == 0 and os.access(f"{p.stdout.strip()}/bin/model_signing", os.X_OK):
            c.ref = f"{p.stdout.strip()}/bin/model_signing"
        else:
            c.ref_note = "scripts/reference-tool.sh failed"


def warm(paths: list) -> None:
    buf = bytearray(8 << 20)
    for top in paths:
        for path in ([top] if os.path.isfile(top) else walk_files(top)):
            with open(path, "rb", buffering=0) as f:
                while f.readinto(buf):
                    pass


def cleanup(c: Ctx, cases: list) -> None:
    for p in RUNNING:
        if p.poll() is None:
            p.kill()
            p.wait()
    try:
        c.restore_config()
    except OSError as e:
        say(f"could not restore {c.config_json} from {c.config_orig}: {e}")
    if any(case.group == "store" for case in cases) and not c.args.keep:
        shutil.rmtree(c.store_dir, ignore_errors=True)
    if not c.args.keep:
        for sig in c.sigs_made:
            c.remove(sig)
        shutil.rmtree(c.scratch, ignore_errors=True)
        if any(case.group == "status" for case in cases):
            shutil.rmtree(c.status_cache, ignore_errors=True)
    else:
        say(f"kept signatures and logs: {c.scratch}")
    if c.args.clean and (os.path.exists(c.marker) or os.path.exists(c.incomplete)):
        say(f"removing synthetic data under {c.dir}")
        for p in (c.model, c.small_only, c.one, f"{c.dir}/hub", c.policy_dir):
            shutil.rmtree(p, ignore_errors=True)
        for p in (c.big, c.marker, c.incomplete, c.p256_key, c.p256_pub, c.p256_pk8, c.ed_key, c.ed_key + ".pub"):
            c.remove(p)
        remove_st(c)


def main() -> int:
    doc = __doc__.split("\nUsage:\n", 1)[1].split("\nNeeds:", 1)[0]
    ap = argparse.ArgumentParser(prog="bench.py", usage=doc.strip().splitlines()[0].strip(), add_help=False)
    ap.add_argument("-h", "--help", action="store_true")
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "modelseal-bench"))
    ap.add_argument("--only", default="all", choices=["all"] + GROUPS)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--prepare", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--clean", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--against")
    args = ap.parse_args()
    if args.help:
        print("Usage:\n" + doc.rstrip())
        return 0
    if args.runs < 1:
        ap.error("--runs must be a positive integer")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8", errors="replace")
        sys.stderr.reconfigure(encoding="utf-8", errors="replace")
    for tool in ("openssl", "head"):
        if not shutil.which(tool):
            raise Die(f"'{tool}' not found")
    if not os.access("/usr/bin/time", os.X_OK):
        raise Die("/usr/bin/time (GNU time) not found; on Debian: apt-get install time")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    cases = selected(args.only)
    groups = {case.group for case in cases}
    c = Ctx(args)
    c.env = dict(os.environ, LC_ALL="C")
    try:
        if os.path.exists(c.config_orig):  # a run killed during case i
            say(f"restoring {c.config_json} left rewritten by an interrupted run")
            c.restore_config()
        find_tools(c, cases)
        if args.against:
            build_against(c, args.against)
            cases = [against(case, c.against_rev) for case in cases]
        if (read_text(c.marker).strip() == LAYOUT and os.path.isfile(c.big)
                and all(os.path.isdir(p) for p in (c.model, c.small_only, c.one))):
            say(f"reusing synthetic data in {c.dir}")
        else:
            make_data(c)
        c.big_bytes = os.path.getsize(c.big)
        if groups & {"formats", "python"}:
            make_st_data(c)
            c.st_bytes = os.path.getsize(c.st)
        c.all_files = walk_files(c.model)
        c.model_files = len(c.all_files)
        c.model_bytes = sum(os.path.getsize(p) for p in c.all_files)
        c.small_bytes, c.one_bytes = bytes_of(c.small_only), bytes_of(c.one)
        if args.prepare:
            say(f"prepared: {c.dir}")
            return 0

        load_before = " ".join(read_text("/proc/loadavg").split()[:3])
        started = datetime.datetime.now(datetime.timezone.utc)
        say("warming the page cache")
        warm([c.model, c.small_only, c.one] if groups - {"formats", "policy"} else [])
        warm([c.big] if "hash" in groups else [])
        warm([c.st] if groups & {"formats", "python"} else [])
        results = {}
        for case in cases:
            say(f"case {case.id}: {case.title.format(**c.names())}")
            results[case.id] = r = measure(c, case)
            if r.skip:
                say(f"{case.id}: {'FAILED' if r.skip_fail else 'skipped'}: {r.skip}")
            if case.after and not r.skip:
                case.after(c, r)
        report(c, results, started, load_before)
        return 0
    finally:
        cleanup(c, cases)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Die as e:
        print(f"bench: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
