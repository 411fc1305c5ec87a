#!/usr/bin/env bash
# How busy the cores are: CPU time over wall time of bce runs, side by side for one or two
# builds — the figure behind the "CPUs busy" of README.md and BENCHMARKS.md.
#
# Usage: scripts/utilization.sh [RUNS] [-- OTHER_BCE [OTHER_ISAL_BCE]]
#   RUNS        interleaved runs per command (default 7)
#   OTHER_BCE   another bce binary to compare with (e.g. a build of an earlier commit),
#               and optionally another ISA-L build
#
# Builds bce in release mode (and the ISA-L build into .build-isal when libisal-dev is
# installed), generates data/bench-20000000.csv and .csv.bgz like scripts/bench.py unless
# present, and runs, interleaved, `bce -p score --output json` with the default threads on
# the plain file, on the BGZF file with zlib, and on the BGZF file with ISA-L (ISA-L build
# only). For each build and input it prints the median and range of (user + sys) / elapsed
# from /usr/bin/time (Debian package `time`): 2.00 means both cores busy the whole run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=7
if [[ $# -gt 0 && $1 != "--" ]]; then
  RUNS=$1
  shift
fi
[[ $# -gt 0 && $1 == "--" ]] && shift
OTHER=${1:-}
OTHER_ISAL=${2:-}
cd "$ROOT"
[[ -x /usr/bin/time ]] || { apt-get install -y -qq time >/dev/null 2>&1 || true; }
[[ -x /usr/bin/time ]] || { echo "utilization.sh: /usr/bin/time is missing (Debian package time)" >&2; exit 1; }
swift build -c release >/dev/null
BCE=$ROOT/.build/release/bce
ISAL=""
if [[ -f /usr/include/isa-l/igzip_lib.h ]]; then
  swift build -c release --traits ISAL --scratch-path .build-isal >/dev/null
  ISAL=$ROOT/.build-isal/release/bce
fi
mkdir -p data
csv=data/bench-20000000.csv
bgz=data/bench-20000000.csv.bgz
[[ -s $csv ]] || python3 scripts/gen_predictions.py --rows 20000000 --seed 1 -o "$csv"
[[ -s $bgz ]] || python3 scripts/gen_predictions.py --rows 20000000 --seed 1 --bgzf -o "$bgz"

# label binary args...
commands=("this plain|$BCE|$csv" "this bgzf-zlib|$BCE|$bgz")
[[ -n $ISAL ]] && commands+=("this bgzf-isal|$ISAL --inflate isal|$bgz")
if [[ -n $OTHER ]]; then
  commands+=("other plain|$OTHER|$csv" "other bgzf-zlib|$OTHER|$bgz")
  [[ -n $OTHER_ISAL ]] && commands+=("other bgzf-isal|$OTHER_ISAL --inflate isal|$bgz")
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "date: $(date -Iseconds)  nproc: $(nproc)  cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "commit: $(git rev-parse --short HEAD)${OTHER:+  other: $OTHER}  runs: $RUNS"
for ((r = 0; r < RUNS; r++)); do
  for c in "${commands[@]}"; do
    IFS='|' read -r label binary file <<<"$c"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%U %S %e" -o "$out" $binary -p score --output json "$file" >/dev/null
    read -r user sys elapsed <"$out"
    echo "$label $(python3 -c "print(($user + $sys) / $elapsed)")"
  done
done | python3 -c '
import statistics, sys
values = {}
for line in sys.stdin:
    *label, value = line.split()
    values.setdefault(" ".join(label), []).append(float(value))
for label, v in values.items():
    print(f"{label:<22} CPUs busy: median {statistics.median(v):.2f}  range {min(v):.2f}-{max(v):.2f}")
'
