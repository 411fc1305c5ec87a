#!/usr/bin/env bash
# Several gzip inputs inflated at once: bce --threads 1 against --threads 2 on PARTS gzip
# files, and on the same rows as one gzip file.
#
# Usage: scripts/multi_input.sh [ROWS] [PARTS]     (defaults: 5000000 rows, 8 parts)
#
# Builds bce in release mode, generates (unless present, in data/, gitignored)
#   data/multi-ROWS.csv              scripts/gen_predictions.py --rows ROWS --seed 1
#   data/multi-ROWS.csv.gz           the same, one gzip member (gzip -6)
#   data/multi-ROWS-part-K.csv.gz    the rows cut into PARTS files, each with the header,
#                                    each one gzip member (gzip -6): Spark's layout
# and prints the median wall time of 3 runs and the peak RSS (/usr/bin/time -f %M, Debian
# package `time`) of `bce -p score --output json` on each, the --threads 1 / --threads 2
# ratio, and whether the parts give the one file's results bit for bit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${1:-5000000}
PARTS=${2:-8}
cd "$ROOT"
[[ -x /usr/bin/time ]] || { apt-get install -y -qq time >/dev/null 2>&1 || true; }
[[ -x /usr/bin/time ]] || { echo "multi_input.sh: /usr/bin/time is missing (Debian package time)" >&2; exit 1; }
swift build -c release >/dev/null
BCE=$ROOT/.build/release/bce
mkdir -p data

csv=data/multi-$ROWS.csv
[[ -s $csv ]] || python3 scripts/gen_predictions.py --rows "$ROWS" --seed 1 -o "$csv" 2>/dev/null
[[ -s $csv.gz ]] || gzip -6 -c "$csv" >"$csv.gz"
parts=()
for ((k = 0; k < PARTS; k++)); do parts+=("data/multi-$ROWS-part-$k.csv.gz"); done
if [[ ! -s ${parts[PARTS - 1]} ]]; then
  # The generator writes one record per line: cut at line ends, each part with the header.
  awk -v per=$(((ROWS + PARTS - 1) / PARTS)) -v prefix="data/multi-$ROWS-part-" '
    NR == 1 { header = $0; next }
    {
      k = int((NR - 2) / per)
      if (k != current) { if (cmd != "") close(cmd); current = k; cmd = "" }
      if (cmd == "") { cmd = "gzip -6 > " prefix k ".csv.gz"; print header | cmd }
      print | cmd
    }
    BEGIN { current = -1 }
    END { if (cmd != "") close(cmd) }' "$csv"
fi

# measure LABEL ARGS...: median wall seconds of 3 runs and the largest peak RSS; sets $median.
measure() {
  local label=$1 out peak
  shift
  out=$(for _ in 1 2 3; do /usr/bin/time -f "%e %M" "$BCE" "$@" 2>&1 >/dev/null | tail -n 1; done)
  median=$(echo "$out" | cut -d' ' -f1 | sort -n | sed -n 2p)
  peak=$(echo "$out" | cut -d' ' -f2 | sort -n | tail -n 1)
  awk -v l="$label" -v s="$median" -v m="$peak" 'BEGIN { printf "%-44s %8.2f s %8.1f MiB\n", l, s, m / 1024 }'
}

echo "date: $(date -Iseconds)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git rev-parse --short HEAD)  rows: $ROWS  parts: $PARTS  CSV: $(stat -c %s "$csv") bytes"
args=(-p score --output json)
measure "one gzip file, --threads 1" "${args[@]}" --threads 1 "$csv.gz"
one1=$median
measure "one gzip file, --threads 2" "${args[@]}" --threads 2 "$csv.gz"
one2=$median
measure "$PARTS gzip parts, --threads 1" "${args[@]}" --threads 1 "${parts[@]}"
parts1=$median
measure "$PARTS gzip parts, --threads 2" "${args[@]}" --threads 2 "${parts[@]}"
parts2=$median
awk -v a="$one1" -v b="$one2" 'BEGIN { printf "one file:  --threads 1 / --threads 2 = %.2f\n", a / b }'
awk -v a="$parts1" -v b="$parts2" 'BEGIN { printf "%d parts: --threads 1 / --threads 2 = %.2f\n", '"$PARTS"', a / b }'

# The results (everything from "records" up to "bytes_read") must be the same bytes.
results() { "$BCE" "${args[@]}" --threads 2 "$@" | sed -e 's/.*\("records"\)/\1/' -e 's/"bytes_read".*//'; }
if [[ "$(results "$csv.gz")" == "$(results "${parts[@]}")" ]]; then
  echo "parts and one file: identical results"
else
  echo "parts and one file: DIFFERENT results" >&2
  exit 1
fi
