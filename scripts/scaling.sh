#!/usr/bin/env bash
# Memory and thread scaling figures quoted in README.md and BENCHMARKS.md.
#
# Usage: scripts/scaling.sh [ROWS]      (ROWS defaults to 2000000)
#
# Builds bce in release mode, generates (unless present, in data/, gitignored)
#   data/scale-ROWS-g100k.csv   ROWS rows with a `segment` column of 100,000 values
#   data/scale-ROWS-g10k.csv    the same with 10,000 values
#   data/scale-longrecord.csv   200,000 short records around one record with a 50 MB field
# and prints, for each run, the median wall time of 3 runs and the peak RSS
# (/usr/bin/time -f %M, Debian package `time`):
#   - without and with --group-by on 10k and 100k groups, with --threads 1 and 2;
#   - the 50 MB record against the same file without it;
#   - --threads 1 against --threads 2 on 5M plain rows (data/scale-5000000.csv), and
#     --threads 1 with -g model: the per-core parse rate (MB/s) that BENCHMARKS.md's
#     per-stage model uses;
#   - the same 5M rows as JSON Lines (data/scale-5000000.jsonl, the same values as
#     `{"request_id": …, "model": "…", "label": 0, "score": …}`), --threads 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${1:-2000000}
cd "$ROOT"
[[ -x /usr/bin/time ]] || { apt-get install -y -qq time >/dev/null 2>&1 || true; }
[[ -x /usr/bin/time ]] || { echo "scaling.sh: /usr/bin/time is missing (Debian package time)" >&2; exit 1; }
swift build -c release >/dev/null
BCE=$ROOT/.build/release/bce
mkdir -p data

g100k=data/scale-$ROWS-g100k.csv
g10k=data/scale-$ROWS-g10k.csv
plain=data/scale-5000000.csv
jsonl=data/scale-5000000.jsonl
long=data/scale-longrecord.csv
short=data/scale-shortrecords.csv
[[ -s $g100k ]] || python3 scripts/gen_predictions.py --rows "$ROWS" --groups 100000 -o "$g100k" 2>/dev/null
[[ -s $plain ]] || python3 scripts/gen_predictions.py --rows 5000000 -o "$plain" 2>/dev/null
[[ -s $g10k ]] || python3 scripts/gen_predictions.py --rows "$ROWS" --groups 10000 -o "$g10k" 2>/dev/null
if [[ ! -s $jsonl ]]; then
  python3 - "$plain" "$jsonl" <<'PY'
import sys
source, target = sys.argv[1:]
with open(source) as f, open(target + ".part", "w") as out:
    f.readline()  # request_id,model,label,score
    for line in f:
        request, model, label, score = line.rstrip("\n").split(",")
        out.write(f'{{"request_id": {request}, "model": "{model}", "label": {label}, "score": {score}}}\n')
PY
  mv "$jsonl.part" "$jsonl"
fi
if [[ ! -s $long ]]; then
  python3 - "$long" "$short" <<'PY'
import sys
long, short = sys.argv[1:]
rows = "".join(f"s,{i % 2},0.5\n" for i in range(100_000))
with open(short, "w") as f:
    f.write("note,label,pred\n" + rows + rows)
with open(long, "w") as f:
    f.write("note,label,pred\n" + rows + '"' + "x" * 50_000_000 + '",1,0.9\n' + rows)
PY
fi

# measure LABEL ARGS...: median wall seconds of 3 runs and the largest peak RSS.
measure() {
  local label=$1 out median peak
  shift
  out=$(for _ in 1 2 3; do /usr/bin/time -f "%e %M" "$BCE" "$@" 2>&1 >/dev/null | tail -n 1; done)
  median=$(echo "$out" | cut -d' ' -f1 | sort -n | sed -n 2p)
  peak=$(echo "$out" | cut -d' ' -f2 | sort -n | tail -n 1)
  awk -v l="$label" -v s="$median" -v m="$peak" 'BEGIN { printf "%-52s %8.2f s %8.1f MiB\n", l, s, m / 1024 }'
}

echo "date: $(date -Iseconds)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git rev-parse --short HEAD)  rows: $ROWS"
for threads in 1 2; do
  measure "no group-by, --threads $threads" -p score --output json --threads "$threads" "$g100k"
  measure "--group-by segment (10k groups), --threads $threads" \
    -p score -g segment --output json --threads "$threads" "$g10k"
  measure "--group-by segment (100k groups), --threads $threads" \
    -p score -g segment --output json --threads "$threads" "$g100k"
done
measure "5M plain rows, --threads 1" -p score --output json --threads 1 "$plain"
measure "5M plain rows, --threads 2" -p score --output json --threads 2 "$plain"
measure "5M plain rows, -g model, --threads 1" -p score -g model --output json --threads 1 "$plain"
echo "5M plain rows: $(stat -c %s "$plain") bytes (MB/s per core = bytes / 10^6 / the --threads 1 time)"
measure "5M rows as JSON Lines, --threads 1" -p score --output json --threads 1 "$jsonl"
echo "5M rows as JSON Lines: $(stat -c %s "$jsonl") bytes"
measure "200k short records" --output json "$short"
measure "the same around one 50 MB record" --output json "$long"
