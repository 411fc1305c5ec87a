#!/usr/bin/env bash
# Where bce's time goes: `perf record` of one single-threaded run, top symbols by samples.
#
# Usage: scripts/profile.sh [ROWS]     (ROWS defaults to 1000000)
#
# Builds bce in release mode, generates data/profile-ROWS.csv (gitignored) unless present,
# records `bce --threads 1 -p score --output json` with perf (Debian package linux-perf;
# installed when missing), and prints the 15 hottest symbols. perf is not supported on
# every machine: `perf stat -e instructions true` tells.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${1:-1000000}
cd "$ROOT"
command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
swift build -c release >/dev/null
mkdir -p data
csv=data/profile-$ROWS.csv
[[ -s $csv ]] || python3 scripts/gen_predictions.py --rows "$ROWS" -o "$csv" 2>/dev/null
perf record -q -o data/profile.perf .build/release/bce --threads 1 -p score --output json "$csv" \
  >/dev/null
perf report -i data/profile.perf --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' |
  head -15 | awk '{ $2 = ""; $3 = ""; $4 = ""; print }' | swift demangle --simplified |
  sed -E 's/\(.*//'
