#!/usr/bin/env bash
# Measure bce's throughput on a generated prediction log, next to `gzip -dc` and `cat`.
#
# Usage: scripts/throughput.sh [ROWS]        (ROWS defaults to 20000000)
#
# 1. Builds bce with `swift build -c release` in the repository root.
# 2. Generates data/pred-ROWS.csv and data/pred-ROWS.csv.gz with scripts/gen_predictions.py
#    unless they exist (data/ is gitignored).
# 3. Runs each command 5 times, interleaved, after one untimed read of both files:
#      bce --output json --pred score CSV, the same on CSV.gz, gzip -dc CSV.gz, cat CSV
#    and prints the median whole-process wall time, MB/s of uncompressed input (the size of
#    CSV in 10^6 bytes per second) and the peak RSS over the runs (from /usr/bin/time, n/a
#    without it), with the date, nproc and CPU model.
# 4. Checks bce's loss_sum on CSV with scripts/check_fsum.py, and that --threads 1 and
#    --threads 2 give byte-identical JSON on both files.
#
# If bce does not build, the baselines are still measured and the script exits 1; it also
# exits 1 if a check fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${1:-20000000}
RUNS=5
BCE=$ROOT/.build/release/bce
BCE_ARGS=(--output json --pred score) # gen_predictions.py names the prediction column score
CSV=$ROOT/data/pred-$ROWS.csv
GZ=$CSV.gz
TIME=/usr/bin/time
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

die() {
  echo "throughput.sh: $*" >&2
  exit 1
}

[[ $ROWS =~ ^[0-9]+$ ]] || die "ROWS must be a whole number, not '$ROWS'"
[[ -x $TIME ]] || TIME=
cd "$ROOT"

# generate PATH [GEN_OPTIONS...]: make PATH with gen_predictions.py unless it exists.
generate() {
  local path=$1
  shift
  [[ -s $path ]] && return 0
  python3 scripts/gen_predictions.py --rows "$ROWS" "$@" -o "$path.tmp"
  mv "$path.tmp" "$path"
}

# timed NAME OUT COMMAND...: run COMMAND with stdout to OUT; append its wall seconds to
# WORK/NAME.sec and its peak RSS in KiB to WORK/NAME.rss.
timed() {
  local name=$1 out=$2 start end
  shift 2
  start=$(date +%s%N)
  if [[ -n $TIME ]]; then
    "$TIME" -f %M -o "$WORK/rss" "$@" >"$out" || die "failed (exit $?): $*"
    tail -n 1 "$WORK/rss" >>"$WORK/$name.rss"
  else
    "$@" >"$out" || die "failed (exit $?): $*"
  fi
  end=$(date +%s%N)
  echo $(((end - start) / 1000)) >>"$WORK/$name.sec"
}

# row NAME LABEL: print one table row from the measurements of NAME.
row() {
  local name=$1 label=$2 micros rss
  if [[ ! -s $WORK/$name.sec ]]; then
    printf '%-52s %9s %9s %13s\n' "$label" "-" "-" "not built"
    return 0
  fi
  micros=$(sort -n "$WORK/$name.sec" | sed -n "$(((RUNS + 1) / 2))p")
  rss=n/a
  if [[ -s $WORK/$name.rss ]]; then
    rss=$(sort -n "$WORK/$name.rss" | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }')
  fi
  awk -v l="$label" -v us="$micros" -v bytes="$BYTES" -v rss="$rss" \
    'BEGIN { printf "%-52s %9.3f %9.1f %13s\n", l, us / 1e6, bytes / us, rss }'
}

built=1
swift build -c release >&2 || built=0
if ((!built)); then
  echo "throughput.sh: swift build -c release failed; measuring the baselines only" >&2
fi

mkdir -p data
generate "$CSV"
generate "$GZ" --gzip
BYTES=$(stat -c %s "$CSV")
cat "$CSV" "$GZ" >/dev/null

for ((run = 1; run <= RUNS; run++)); do
  echo "throughput.sh: run $run of $RUNS" >&2
  if ((built)); then
    timed bce_csv "$WORK/bce_csv.json" "$BCE" "${BCE_ARGS[@]}" "$CSV"
    timed bce_gz "$WORK/bce_gz.json" "$BCE" "${BCE_ARGS[@]}" "$GZ"
  fi
  timed gzip /dev/null gzip -dc "$GZ"
  timed cat /dev/null cat "$CSV"
done

echo "date:    $(date -Is)"
echo "commit:  $(git describe --always --dirty 2>/dev/null || echo none)"
echo "nproc:   $(nproc)"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "input:   $ROWS rows, $BYTES bytes plain, $(stat -c %s "$GZ") bytes gzip"
echo "timing:  median wall time of $RUNS interleaved runs; MB/s = 10^6 uncompressed bytes/s"
echo
printf '%-52s %9s %9s %13s\n' command seconds MB/s "peak RSS MiB"
row bce_csv "bce ${BCE_ARGS[*]} $(basename "$CSV")"
row bce_gz "bce ${BCE_ARGS[*]} $(basename "$GZ")"
row gzip "gzip -dc $(basename "$GZ")"
row cat "cat $(basename "$CSV")"
echo

((built)) || die "bce did not build: only the baselines were measured"

status=0
python3 scripts/check_fsum.py "$CSV" "$WORK/bce_csv.json" || status=1
for file in "$CSV" "$GZ"; do
  "$BCE" "${BCE_ARGS[@]}" --threads 1 "$file" >"$WORK/threads1.json"
  "$BCE" "${BCE_ARGS[@]}" --threads 2 "$file" >"$WORK/threads2.json"
  if cmp "$WORK/threads1.json" "$WORK/threads2.json"; then
    echo "OK --threads 1 and --threads 2 give identical JSON for $(basename "$file")"
  else
    status=1
  fi
done
exit "$status"
