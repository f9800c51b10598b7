#!/usr/bin/env bash
# Moved to benches/bench.py (same options, plus --markdown); see its header.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/bench.py" "$@"
