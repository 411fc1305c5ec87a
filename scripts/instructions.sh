#!/usr/bin/env bash
# Instructions per record, by source line: `valgrind --tool=cachegrind` of one
# single-threaded run. Instruction counts repeat exactly from run to run, where wall time on
# a shared machine moves by several per cent, and this VM has no hardware counters for
# `perf stat`; so a change to the fast path can be judged by what it adds or removes.
#
# Usage: scripts/instructions.sh [ROWS] [-- BCE-ARGS...]
#   ROWS      rows of the generated log (default 400000)
#   BCE-ARGS  bce's options (default: -p score); the file is added at the end
#
# 1. Builds bce in release mode into .build-dwarf4/ (gitignored) with DWARF 4 debug info:
#    valgrind 3.19 cannot read the DWARF 5 that Swift 6.3 writes by default.
# 2. Generates data/profile-ROWS.csv (gitignored) unless present, and a 1000-row log.
# 3. Runs cachegrind on both (valgrind is installed from Debian when missing) and prints the
#    instructions per record — the difference of the two runs over the difference of their
#    rows, so that start-up does not count — the hottest functions, and the 20 source lines
#    that execute the most instructions, with their share of the run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=400000
if [[ $# -gt 0 && $1 != "--" ]]; then
  ROWS=$1
  shift
fi
[[ $# -gt 0 && $1 == "--" ]] && shift
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(-p score)
cd "$ROOT"
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
swift build -c release --scratch-path .build-dwarf4 -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 \
  >/dev/null
BCE=.build-dwarf4/release/bce
mkdir -p data
csv=data/profile-$ROWS.csv
small=data/profile-1000.csv
[[ -s $csv ]] || python3 scripts/gen_predictions.py --rows "$ROWS" -o "$csv" 2>/dev/null
[[ -s $small ]] || python3 scripts/gen_predictions.py --rows 1000 -o "$small" 2>/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# count FILE OUT: the instructions of one run (cachegrind's total).
count() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$2" \
    "$BCE" --threads 1 "${ARGS[@]}" "$1" 2>&1 >/dev/null |
    sed -nE 's/.*I +refs: +([0-9,]+).*/\1/p' | tr -d ,
}
small_count=$(count "$small" "$work/small.out")
big_count=$(count "$csv" "$work/big.out")
echo "bce --threads 1 ${ARGS[*]}: $big_count instructions on $ROWS rows, $small_count on 1000"
awk -v a="$big_count" -v b="$small_count" -v r="$ROWS" \
  'BEGIN { printf "per record: %.1f instructions\n", (a - b) / (r - 1000) }'
cg_annotate --auto=yes --context=0 "$work/big.out" 2>/dev/null | python3 -c '
import re, sys
# cg_annotate prints "count (share%)  text": whole functions first ("file:function"), then
# the annotated source lines.
rows = []
for line in sys.stdin:
    m = re.match(r"\s*([0-9,]+) \(\s*([0-9.]+)%\)\s+(.*)", line.rstrip())
    if m:
        rows.append((int(m.group(1).replace(",", "")), m.group(2), m.group(3)))
functions = [r for r in rows if re.match(r"(/|\./|\?\?\?|//)\S*:", r[2])]
lines = [r for r in rows if r not in functions and r[2] not in ("PROGRAM TOTALS", "events annotated")
         and not r[2].startswith("<counts for")]
print("hottest functions (instructions, share of the run):")
for count, share, text in functions[:8]:
    place, _, symbol = text.partition(":")
    name = place.split(chr(47))[-1]
    print(f"{count:>12,} {share:>6}%  {name}: {symbol[:90]}")
print("hottest source lines:")
for count, share, text in sorted(lines, key=lambda r: -r[0])[:20]:
    print(f"{count:>12,} {share:>6}%  {text.strip()[:100]}")
'
