#!/usr/bin/env python3
"""Evaluate a directory of .csv.gz shards with `bce` on Spark: `bce` is the map, `bce merge`
the reduce (SPEC §7).

Usage:
    spark-submit [--master local[2]] scripts/spark/bce_spark.py --bce PATH \\
        [--pred COL ...] [--label COL] [--weight COL] [--group-by COL] [--bins N] \\
        [--extra-args "--clip spark ..."] [--output json|text|prometheus] \\
        [--files-per-partition K] [--pattern '*.csv.gz'] [--ship-bce] [--report FILE] \
        INPUT_DIR

What it does:

1. Lists the files of INPUT_DIR that match --pattern (default `*.csv.gz`), sorted by name,
   and parallelizes them: K consecutive files per partition (default 1).
2. Map (one task per partition, `mapPartitionsWithIndex`): for each file, runs
   `bce --state-out - [options] FILE` with subprocess; with several files in the partition,
   their states are merged in the task with `bce merge --state-out - -` (a combiner), so each
   task returns one state: one line of JSON with every exact sum.
3. Reduce (on the driver): the states, in file order, are piped into
   `bce merge --output FORMAT -`, whose report is printed to stdout (or written to
   --report FILE: spark-submit merges a Python driver's stderr into its stdout, so a file is
   the clean way to keep the report apart from messages). Because every sum is
   exact, the report is bit-identical to one `bce` run over all the files; and since the
   states are merged in file order, even its "inputs" list is the same.

Failures are loud, never a silently smaller result: a `bce` that exits non-zero (a truncated
or corrupt gzip, an invalid record, a missing column) raises an exception with bce's
message in the task; the task is not retried (`spark.task.maxFailures`, default 1 here),
so the job fails, and this program prints bce's message to stderr and exits with status 1,
without a report (an existing --report FILE is removed first).
A missing state is impossible: the driver checks that it got one per partition.

INPUT_DIR must be readable at the same path on the driver (which lists it) and on every
executor: a local directory in local mode, a shared mount (NFS, a CSI volume) on a cluster.
The `bce` binary must be at --bce on every executor (true in local mode). On a cluster,
either install it on the nodes, or pass --ship-bce to distribute it with `SparkContext.addFile`.
"""

import argparse
import fnmatch
import os
import shlex
import subprocess
import sys

STATE_PREFIX = b'{"format": "bce-state"'
FAILURE_MARKER = "bce task failed"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Exact binary cross-entropy of a directory of shards: bce on Spark.")
    parser.add_argument("input_dir", metavar="INPUT_DIR", help="directory of shards")
    parser.add_argument("--bce", required=True, help="path of the bce executable")
    parser.add_argument("--pred", "-p", action="append", default=[],
                        help="prediction column (repeatable; default: bce's, 'pred')")
    parser.add_argument("--label", "-l", help="label column")
    parser.add_argument("--weight", "-w", help="sample weight column")
    parser.add_argument("--group-by", "-g", help="group-by column")
    parser.add_argument("--bins", type=int, help="calibration bins")
    parser.add_argument("--extra-args", default="",
                        help="more bce options for the map step, e.g. '--clip spark --skip-invalid'")
    parser.add_argument("--output", default="json", choices=["json", "text", "prometheus"],
                        help="report format (default json)")
    parser.add_argument("--pattern", default="*.csv.gz", help="file name pattern (default *.csv.gz)")
    parser.add_argument("--files-per-partition", type=int, default=1,
                        help="consecutive files per Spark partition (default 1)")
    parser.add_argument("--threads", type=int, default=1,
                        help="bce --threads per task (default 1: Spark runs tasks in parallel)")
    parser.add_argument("--max-failures", type=int, default=1,
                        help="spark.task.maxFailures (default 1: a failed shard fails the job)")
    parser.add_argument("--report", metavar="FILE",
                        help="write the report to FILE instead of stdout (only on success)")
    parser.add_argument("--ship-bce", action="store_true",
                        help="distribute the bce binary to executors with SparkContext.addFile")
    args = parser.parse_args(argv)
    if args.files_per_partition < 1:
        parser.error("--files-per-partition must be at least 1")
    return args


def bce_options(args):
    """The options of the map step that shape the math (the merge takes them from the states)."""
    options = []
    for pred in args.pred:
        options += ["--pred", pred]
    if args.label:
        options += ["--label", args.label]
    if args.weight:
        options += ["--weight", args.weight]
    if args.group_by:
        options += ["--group-by", args.group_by]
    if args.bins is not None:
        options += ["--bins", str(args.bins)]
    options += ["--threads", str(args.threads)]
    return options + shlex.split(args.extra_args)


def run_bce(command, stdin=None, what=""):
    """Runs bce; returns its stdout, or raises with its stderr when it fails."""
    result = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(
            f"{FAILURE_MARKER}: {what}: bce exited with status {result.returncode}: {message}")
    return result.stdout


def map_partition(bce, options, files):
    """The map step of one partition: the partition's files → one state line (bytes)."""
    states = []
    for path in files:
        state = run_bce([bce, "--state-out", "-", *options, path], what=path)
        if not state.startswith(STATE_PREFIX) or state.count(b"\n") != 1:
            raise RuntimeError(f"{FAILURE_MARKER}: {path}: bce printed no state")
        states.append(state)
    if len(states) == 1:
        return states[0]
    # A combiner: the partition's states merged into one, in file order.
    return run_bce([bce, "merge", "--state-out", "-", "-"], stdin=b"".join(states),
                   what="merge of " + ", ".join(files))


def list_shards(input_dir, pattern):
    names = sorted(n for n in os.listdir(input_dir)
                   if fnmatch.fnmatch(n, pattern) and os.path.isfile(os.path.join(input_dir, n)))
    return [os.path.join(input_dir, n) for n in names]


def failure_lines(error):
    """The bce messages inside a (Java-wrapped) task failure."""
    lines = []
    for line in str(error).splitlines():
        if FAILURE_MARKER in line:
            line = line[line.index(FAILURE_MARKER):].strip()
            if line not in lines:
                lines.append(line)
    return lines


def main(argv):
    args = parse_args(argv)
    input_dir = os.path.abspath(args.input_dir)
    files = list_shards(input_dir, args.pattern)
    if not files:
        print(f"bce_spark: error: no files matching {args.pattern} in {input_dir}", file=sys.stderr)
        return 1
    bce = os.path.abspath(args.bce)
    if not os.access(bce, os.X_OK):
        print(f"bce_spark: error: {bce} is not an executable", file=sys.stderr)
        return 2
    options = bce_options(args)
    if args.report and os.path.exists(args.report):
        os.remove(args.report)  # a failed job must not leave an old report behind

    from pyspark import SparkConf, SparkFiles
    from pyspark.sql import SparkSession

    conf = SparkConf().setAppName("bce")
    if not conf.contains("spark.master"):
        conf.setMaster("local[2]")
    conf.set("spark.task.maxFailures", str(args.max_failures))
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    try:
        if args.ship_bce:
            sc.addFile(bce)
        ship, name = args.ship_bce, os.path.basename(bce)

        def task(index, paths):
            executable = bce
            if ship:
                executable = SparkFiles.get(name)
                os.chmod(executable, 0o755)
            paths = list(paths)
            if paths:
                yield index, len(paths), map_partition(executable, options, paths)

        slices = (len(files) + args.files_per_partition - 1) // args.files_per_partition
        rdd = sc.parallelize(files, slices)
        try:
            results = rdd.mapPartitionsWithIndex(task).collect()
        except Exception as error:  # a Py4JJavaError wrapping the task's RuntimeError
            lines = failure_lines(error) or [str(error).splitlines()[0]]
            for line in lines:
                print(f"bce_spark: error: {line}", file=sys.stderr)
            print(f"bce_spark: error: the Spark job failed; no report for {input_dir}",
                  file=sys.stderr)
            return 1
    finally:
        spark.stop()

    # Every file must be accounted for: one state per non-empty partition.
    if sum(count for _, count, _ in results) != len(files):
        print("bce_spark: error: the job returned states for "
              f"{sum(c for _, c, _ in results)} of {len(files)} files", file=sys.stderr)
        return 1
    states = b"".join(state for _, _, state in sorted(results))
    merged = subprocess.run([bce, "merge", "--output", args.output, "-"], input=states,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sys.stderr.buffer.write(merged.stderr)
    sys.stderr.flush()
    if args.report and merged.stdout:
        with open(args.report + ".tmp", "wb") as report:
            report.write(merged.stdout)
        os.replace(args.report + ".tmp", args.report)
    else:
        sys.stdout.buffer.write(merged.stdout)
        sys.stdout.flush()
    return merged.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
