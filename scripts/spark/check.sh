#!/usr/bin/env bash
# Runs the Spark job (scripts/spark/bce_spark.py) for real, in local[2] mode, and checks it.
#
#   scripts/spark/check.sh            # SHARDS=8 ROWS=250000 by default
#
# 1. Java: uses `java` if present; otherwise installs a JRE from Debian (default-jre-headless).
# 2. PySpark: installs it from PyPI into a venv, data/spark-venv (a ~450 MB download; about
#    a minute on a fast link), unless that venv already has it. With Java older than 17,
#    PySpark 3.5 is installed (PySpark 4 needs Java 17).
# 3. Builds bce (release) and generates SHARDS gzip shards with scripts/gen_predictions.py
#    into data/spark-shards/.
# 4. Runs the Spark job (one `bce --state-out -` per shard, `bce merge` to reduce; its report
#    goes to a file, as spark-submit mixes the Python driver's stderr into stdout) and one
#    local `bce` over the same files, and checks that the two JSON reports are identical:
#    every key and value, doubles compared by their bits (float.hex), and the bytes of the
#    report. Prints OK with the loss_sum.
# 5. Adds a truncated shard (the first half of a shard) to a copy of the directory and checks
#    that the Spark job fails: non-zero status, no report, and a message that says
#    `truncated` and names the file.
#
# Exits non-zero when any check fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
SHARDS=${SHARDS:-8}
ROWS=${ROWS:-250000}
data=$root/data
venv=${SPARK_VENV:-$data/spark-venv}
shards=$data/spark-shards
bad=$data/spark-shards-bad
work=$data/spark-check
mkdir -p "$data" "$work"

step() { printf '\n== %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { # milliseconds since $1, as seconds
  local ms=$(($(now_ms) - $1))
  printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100))
}
fail() {
  printf 'FAIL: %s\n' "$*"
  exit 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "Java"
if ! command -v java >/dev/null 2>&1; then
  echo "java is missing: installing a JRE from Debian (default-jre-headless)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless
fi
java -version 2>&1 | head -1
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[.0-9]*.*/\1/p' | head -1)
[ "${java_major:-0}" = 1 ] && java_major=8 # "1.8.0_x"

step "PySpark"
python=$venv/bin/python
if ! "$python" -c 'import pyspark' >/dev/null 2>&1; then
  spec=pyspark
  [ "${java_major:-0}" -lt 17 ] && spec='pyspark>=3.5,<4'
  echo "installing $spec from PyPI into $venv (a ~450 MB download, about a minute on a fast link)"
  started=$(date +%s)
  if python3 -m venv "$venv" 2>/dev/null; then
    "$python" -m pip install --quiet "$spec"
  else
    echo "python3 -m venv failed (no python3-venv?): installing with pip --user instead"
    python3 -m pip install --quiet --user "$spec"
    python=$(command -v python3)
  fi
  echo "installed in $(($(date +%s) - started)) s"
fi
"$python" -c 'import pyspark; print("pyspark", pyspark.__version__)'
spark_submit=$(dirname "$python")/spark-submit
[ -x "$spark_submit" ] || spark_submit=$(command -v spark-submit) || fail "spark-submit not found"
export PYSPARK_PYTHON=$python PYSPARK_DRIVER_PYTHON=$python

step "bce (release build)"
swift build -c release --product bce 2>&1 | tail -1
bce=$root/.build/release/bce
[ -x "$bce" ] || fail "$bce was not built"

step "$SHARDS shards of $ROWS rows in $shards"
stamp="shards=$SHARDS rows=$ROWS"
if [ "$(cat "$shards/.params" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$shards"
  mkdir -p "$shards"
  for i in $(seq 0 $((SHARDS - 1))); do
    python3 scripts/gen_predictions.py --rows "$ROWS" --seed $((i + 1)) --models 3 --gzip \
      -o "$shards/part-$(printf %05d "$i").csv.gz" 2>/dev/null
  done
  echo "$stamp" >"$shards/.params"
fi
ls -l "$shards"/*.csv.gz | awk '{ total += $5; n++ } END { printf "%d files, %.1f MB\n", n, total / 1e6 }'

step "Spark job, local[2]: bce --state-out - per shard, bce merge to reduce"
started=$(now_ms)
status=0
"$spark_submit" --master 'local[2]' scripts/spark/bce_spark.py --bce "$bce" \
  --pred score --group-by model --output json --report "$work/spark.json" "$shards" \
  >"$work/spark.log" 2>&1 || status=$?
echo "exit status $status in $(seconds_since "$started") s (Spark log: $work/spark.log)"
[ "$status" = 0 ] || { tail -20 "$work/spark.log"; fail "the Spark job failed"; }

step "one local bce run over the same files"
started=$(now_ms)
"$bce" --output json -g model -p score "$shards"/*.csv.gz >"$work/local.json"
echo "done in $(seconds_since "$started") s"

step "compare"
"$python" - "$work/spark.json" "$work/local.json" <<'EOF'
import json, re, sys

def load(path):
    text = open(path, encoding="utf-8").read()
    if text.count("\n") != 1 or not text.endswith("}\n"):
        sys.exit(f"FAIL: {path} is not one JSON report line")
    return text, json.loads(text)

def same(a, b, where):
    """Identical JSON values: same types, keys and order; floats compared by their bits."""
    if type(a) is not type(b):
        sys.exit(f"FAIL: {where}: {a!r} vs {b!r}")
    if isinstance(a, dict):
        if list(a) != list(b):
            sys.exit(f"FAIL: {where}: keys {list(a)} vs {list(b)}")
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            sys.exit(f"FAIL: {where}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        if a.hex() != b.hex():
            sys.exit(f"FAIL: {where}: {a!r} ({a.hex()}) vs {b!r} ({b.hex()})")
    elif a != b:
        sys.exit(f"FAIL: {where}: {a!r} vs {b!r}")

(spark_text, spark), (local_text, local) = load(sys.argv[1]), load(sys.argv[2])
spark_inputs, local_inputs = spark.pop("inputs"), local.pop("inputs")
if sorted(spark_inputs) != sorted(local_inputs):
    sys.exit(f"FAIL: inputs differ: {spark_inputs} vs {local_inputs}")
same(spark, local, "report")
strip = lambda text: re.sub(r'^\{"inputs": \[[^]]*\], ', "{", text)
if strip(spark_text) != strip(local_text):
    sys.exit("FAIL: the reports are equal as JSON but not byte for byte")
overall = spark["results"][0]
print(f"OK: the Spark report is identical to the local one (inputs aside; the inputs lists "
      f"are {'also identical' if spark_inputs == local_inputs else 'in another order'}): "
      f"{spark['records']} records, {len(spark['results'])} results, "
      f"loss_sum {overall['loss_sum']!r} ({overall['loss_sum'].hex()}), "
      f"loss_mean {overall['loss_mean']!r}")
EOF

step "a truncated shard must fail the whole job"
rm -rf "$bad"
mkdir -p "$bad"
cp "$shards"/*.csv.gz "$bad"/
victim=$(ls "$shards"/*.csv.gz | sed -n 4p)
truncated=$bad/part-00003-truncated.csv.gz
size=$(stat -c %s "$victim")
head -c $((size / 2)) "$victim" >"$truncated"
echo "added $(basename "$truncated"): the first $((size / 2)) of $size bytes of $(basename "$victim")"
status=0
"$spark_submit" --master 'local[2]' scripts/spark/bce_spark.py --bce "$bce" \
  --pred score --group-by model --output json --report "$work/bad.json" "$bad" \
  >"$work/bad.log" 2>&1 || status=$?
echo "exit status $status"
if [ -e "$work/bad.json" ]; then echo "report: written (wrong)"; else echo "report: none"; fi
echo "bce_spark's messages:"
grep '^bce_spark: ' "$work/bad.log" | sed 's/^/  /'
echo "Spark's own log:"
grep -E 'failed [0-9]+ times|aborting job' "$work/bad.log" | sed 's/^/  /'
[ "$status" != 0 ] || fail "the Spark job succeeded with a truncated shard"
[ ! -e "$work/bad.json" ] || fail "the failed Spark job wrote a report"
! grep -q '"results"' "$work/bad.log" || fail "the failed Spark job printed a report"
grep -q 'truncated' "$work/bad.log" || fail "the failure does not say 'truncated'"
grep -q "$(basename "$truncated")" "$work/bad.log" || fail "the failure does not name the file"
echo "OK: the Spark job failed (status $status) and named the truncated file"

step "all checks passed"
