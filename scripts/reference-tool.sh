#!/usr/bin/env bash
# reference-tool.sh — install the reference OpenSSF Model Signing (OMS) tool.
#
# Creates (idempotently) a Python virtualenv holding the reference Python
# implementation, `model_signing` (PyPI: model-signing), which benchmarks and
# interoperability tests compare modelseal against.
#
# Usage:
#   bash scripts/reference-tool.sh            # prints the venv path on stdout
#   VENV=$(bash scripts/reference-tool.sh)    # then: "$VENV/bin/model_signing" --help
#
# Environment:
#   MODELSEAL_REFERENCE_VENV  venv location (default: <repo>/target/oms-reference-venv)
#   PYTHON                    interpreter used to create the venv (default: python3)
#
# Only the venv path goes to stdout; progress and errors go to stderr.
# Exits non-zero with a message if the venv cannot be created or the tool
# does not start. Needs only bash, python3 (with its venv module) and access
# to PyPI; nothing else.
#
# model-signing is pinned to 1.1.1. That release imports OpenSSL bindings at
# start-up without declaring them, so pyOpenSSL is installed alongside it.
set -euo pipefail

readonly MODEL_SIGNING_VERSION="1.1.1"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "${script_dir}/.." && pwd)
venv=${MODELSEAL_REFERENCE_VENV:-${repo_root}/target/oms-reference-venv}
python=${PYTHON:-python3}

log() { printf 'reference-tool: %s\n' "$*" >&2; }
die() { printf 'reference-tool: error: %s\n' "$*" >&2; exit 1; }

# True when the venv already holds a working, correctly pinned tool.
venv_ok() {
    [[ -x "${venv}/bin/python" && -x "${venv}/bin/model_signing" ]] || return 1
    "${venv}/bin/python" - "${MODEL_SIGNING_VERSION}" >/dev/null 2>&1 <<'PY' || return 1
import importlib.metadata as md
import sys
if md.version("model-signing") != sys.argv[1]:
    sys.exit(1)
import OpenSSL  # noqa: F401  (model-signing 1.1.1 needs it at start-up)
PY
    "${venv}/bin/model_signing" --help >/dev/null 2>&1
}

if venv_ok; then
    log "model-signing ${MODEL_SIGNING_VERSION} already installed"
    printf '%s\n' "${venv}"
    exit 0
fi

command -v "${python}" >/dev/null 2>&1 \
    || die "'${python}' not found; install Python 3.9+ or set PYTHON"

# A venv whose interpreter is gone (e.g. Python was upgraded) cannot be
# repaired in place: recreate it, but only if it really is a venv.
if [[ -e "${venv}" && ! -x "${venv}/bin/python" ]]; then
    [[ -f "${venv}/pyvenv.cfg" ]] \
        || die "${venv} exists and is not a virtualenv; remove it or set MODELSEAL_REFERENCE_VENV"
    log "removing broken virtualenv ${venv}"
    rm -rf -- "${venv}"
fi

if [[ ! -x "${venv}/bin/python" ]]; then
    log "creating virtualenv ${venv}"
    mkdir -p -- "$(dirname -- "${venv}")"
    "${python}" -m venv "${venv}" \
        || die "'${python} -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi

log "installing model-signing==${MODEL_SIGNING_VERSION} and pyOpenSSL"
"${venv}/bin/pip" install --quiet --disable-pip-version-check \
    "model-signing==${MODEL_SIGNING_VERSION}" pyOpenSSL \
    || die "pip install into ${venv} failed (is PyPI reachable?)"

venv_ok || die "model_signing is installed in ${venv} but does not start; try removing the venv and re-running"

log "ready: ${venv}/bin/model_signing"
printf '%s\n' "${venv}"
