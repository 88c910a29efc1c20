#!/usr/bin/env bash
# Live fuzzer (issue 14): mutated-but-resealed frames against a real learner and annotator on loopback.
#   scripts/fuzz-live.sh                                  # 20,000 frames per role
#   scripts/fuzz-live.sh --frames 1000000 --json fuzz.json
#   scripts/fuzz-live.sh --only annotator --binary .build/release/yendor
# Runs scripts/fuzz-live.py with the project's .venv when it has pyzmq, numpy and crc32c (hardware CRC-32C),
# else with python3 (a table-driven CRC-32C then limits the frame rate). Options: scripts/fuzz-live.py --help.
set -euo pipefail
cd "$(dirname "$0")/.."
py=python3
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import zmq, numpy, crc32c' 2>/dev/null; then
  py=.venv/bin/python
elif ! python3 -c 'import crc32c' 2>/dev/null; then
  echo "fuzz-live: no crc32c module (pip install crc32c); using the slow table-driven CRC-32C" >&2
fi
exec "$py" scripts/fuzz-live.py "$@"
