#!/usr/bin/env python3
"""Benchmark bce against decompressors, polars, DuckDB and mawk, and check the speed targets.

Usage:
    python3 scripts/bench.py [--quick] [--runs N] [--rows N] [--only NAME,...]
                             [--scale | --no-scale] [--isal-bce PATH]
                             [--no-build] [--no-install] [--list]

1. Builds bce with `swift build -c release` (unless --no-build) and the zlib inflate-only
   loop with `gcc -O2 -o data/zlib_inflate scripts/zlib_inflate.c -lz`.
2. Installs the peers into data/bench-venv from scripts/requirements-bench.txt (polars,
   DuckDB, rapidgzip) and tries `apt-get install isal mawk` for a missing igzip or mawk,
   unless --no-install. A peer that is still missing is skipped with a note.
3. Generates, unless they exist, data/bench-ROWS.csv, .csv.gz (one gzip member, level 6)
   and .csv.bgz (BGZF) with `scripts/gen_predictions.py --seed 1`, and for target 6 a
   4x larger CSV data/bench-(4*ROWS).csv (by default only without --quick; --scale forces
   it, --no-scale leaves it out).
4. Reads every input once (page cache), then runs every command once per run, the runs
   interleaved (run 1: every command, run 2: every command, ...). Each command is one
   process (a pipeline is `bash -c`), timed from fork to wait4 with time.perf_counter;
   its peak RSS is the ru_maxrss that wait4 reports (for `bash -c` pipelines: of the
   largest process of the pipeline).
5. Prints the date, machine, commit, inputs and tool versions; a table of median and
   minimum wall seconds, MB/s (10^6 uncompressed CSV bytes / median s) and peak RSS (the
   largest over the runs); the target ratios with their limits; and a check that bce's
   loss_mean agrees with polars', DuckDB's and mawk's. Writes the same as Markdown to
   data/bench-ROWS.md.

--quick is 200,000 rows and 3 runs: a smoke test (about a minute with a warm build) that
every command runs and the report prints; at that size process start-up dominates and
the ratios say nothing about the targets. Defaults: 20,000,000 rows, 5 runs.

Exit status: 0 when every command ran and the results agree (a MISSed target is a
measurement, not a failure); 1 when a command failed or a result disagrees; 2 on usage.
"""

import argparse
import datetime
import fnmatch
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
DATA = ROOT / "data"
VENV = DATA / "bench-venv"
REQUIREMENTS = SCRIPTS / "requirements-bench.txt"
ZLIB_LOOP = DATA / "zlib_inflate"
BCE_DEFAULT = ROOT / ".build" / "release" / "bce"
BCE_ARGS = ["-p", "score", "--output", "json"]
EPS = "2.220446049250313e-16"  # sklearn's clipping epsilon, bce's default

RSS_LIMIT_MIB = 64
QUICK_ROWS, QUICK_RUNS = 200_000, 3
FULL_ROWS, FULL_RUNS = 20_000_000, 5
SCALE = 4

# Every command, in run order (make_commands builds them; --list prints them).
ALL_NAMES = [
    "bce-plain", "bce-gz", "bce-bgzf", "bce-gz-group", "bce-plain-group", "bce-plain-x4",
    "bce-isal-gz", "bce-isal-bgzf", "cat-plain", "zlib-gz", "zlib-bgzf", "gzip-gz",
    "igzip-gz", "igzip-bgzf", "rapidgzip-gz", "rapidgzip-bgzf", "polars-plain", "polars-gz",
    "polars-gz-group", "duckdb-plain", "duckdb-gz", "duckdb-gz-group", "mawk-plain",
    "mawk-gz", "mawk-gz-group",
]

# Sum the sklearn-clipped log loss of label ($3) and score ($4), as bce does.
MAWK_PROGRAM = """
BEGIN { hi = 1 - eps }
NR > 1 {
  p = $4 + 0; if (p < eps) p = eps; else if (p > hi) p = hi
  y = $3 + 0; s += -(y * log(p) + (1 - y) * log(1 - p)); n++
}
END { printf "%d %.17g\\n", n, s / n }
"""
MAWK_GROUP_PROGRAM = """
BEGIN { hi = 1 - eps }
NR > 1 {
  p = $4 + 0; if (p < eps) p = eps; else if (p > hi) p = hi
  y = $3 + 0; s[$2] += -(y * log(p) + (1 - y) * log(1 - p)); n[$2]++
}
END { for (g in n) printf "%s %d %.17g\\n", g, n[g], s[g] / n[g] }
"""


def note(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def die(message):
    note(f"error: {message}")
    sys.exit(1)


@dataclass
class Command:
    """One benchmarked command and its measurements."""

    name: str
    argv: list
    display: str  # short form for the table
    csv_bytes: int  # uncompressed CSV bytes, for MB/s
    capture: bool = True  # stdout to a file (small results) or /dev/null (decompressors)
    skip: str = ""  # why it does not run, when it does not
    walls: list = field(default_factory=list)
    rss_kib: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    failure: str = ""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200,000 rows, 3 runs (CI smoke)")
    parser.add_argument("--runs", type=int, help="interleaved runs (default 5; 3 with --quick)")
    parser.add_argument("--rows", type=int, help="rows of the dataset (default 20,000,000)")
    parser.add_argument("--only", help="comma-separated command names or globs (see --list)")
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        help="include the 4x larger CSV for target 6 (default: on unless --quick)",
    )
    parser.add_argument(
        "--isal-bce", metavar="PATH", help="a bce built with ISA-L (run with --inflate isal)"
    )
    parser.add_argument("--no-build", action="store_true", help="use the existing release bce")
    parser.add_argument("--no-install", action="store_true", help="install no peer (venv, apt)")
    parser.add_argument("--list", action="store_true", help="list the command names and exit")
    args = parser.parse_args(argv)
    args.rows = args.rows if args.rows is not None else QUICK_ROWS if args.quick else FULL_ROWS
    args.runs = args.runs if args.runs is not None else QUICK_RUNS if args.quick else FULL_RUNS
    if args.rows < 1 or args.runs < 1:
        parser.error("--rows and --runs must be >= 1")
    return args


# ---------------------------------------------------------------------------------------
# Machine, tools and versions


def run_text(argv, **kwargs):
    """stdout+stderr of a short command, or '' when it cannot run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)
    except (OSError, subprocess.SubprocessError):
        return ""
    return (done.stdout + done.stderr).strip()


def machine_info():
    cpu, mem = "unknown", "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} × {cpu}, MemTotal {mem}, Linux {platform.release()}"


def git_commit():
    return run_text(["git", "-C", str(ROOT), "describe", "--always", "--dirty"]) or "none"


def timed_step(label, argv, log=None, **kwargs):
    """Run a setup step; return (ok, seconds). Output goes to stderr or the log file."""
    start = time.perf_counter()
    try:
        if log is None:
            done = subprocess.run(argv, stdout=sys.stderr, **kwargs)
        else:
            with open(log, "ab") as out:
                done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, **kwargs)
        ok = done.returncode == 0
    except OSError as error:
        note(f"{label}: {error}")
        ok = False
    return ok, time.perf_counter() - start


def build_bce(args):
    if args.no_build:
        note("--no-build: using the existing release build")
    else:
        note("swift build -c release")
        ok, seconds = timed_step("swift build", ["swift", "build", "-c", "release"], cwd=ROOT)
        if not ok:
            die("swift build -c release failed (use --no-build to measure an existing build)")
        note(f"built in {seconds:.1f} s")
    if not os.access(BCE_DEFAULT, os.X_OK):
        die(f"{BCE_DEFAULT} is missing")
    return BCE_DEFAULT


def build_zlib_loop(notes):
    argv = ["gcc", "-O2", "-o", str(ZLIB_LOOP), str(SCRIPTS / "zlib_inflate.c"), "-lz"]
    ok, _ = timed_step("gcc", argv, cwd=ROOT)
    if not ok:
        notes.append("zlib_inflate: gcc failed (zlib1g-dev missing?); the zlib loop is skipped")
        return None
    return ZLIB_LOOP


def install_venv(args, notes):
    """Create data/bench-venv and pip install the requirements when they changed."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".requirements-installed"
    wanted = REQUIREMENTS.read_text()
    if args.no_install:
        return python if python.exists() else Path(sys.executable)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    log = DATA / "bench-pip.log"
    start = time.perf_counter()
    if not python.exists():
        ok, _ = timed_step("venv", [sys.executable, "-m", "venv", str(VENV)], log=log)
        if not ok:
            notes.append(f"python3 -m venv failed (see {log}); peers from the system Python")
            return Path(sys.executable)
    note(f"pip install -r {REQUIREMENTS.relative_to(ROOT)} into {VENV.relative_to(ROOT)}")
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    ok, _ = timed_step("pip", pip + ["-r", str(REQUIREMENTS)], log=log)
    seconds = time.perf_counter() - start
    if ok:
        stamp.write_text(wanted)
        notes.append(f"peers installed into data/bench-venv in {seconds:.1f} s")
    else:
        notes.append(f"pip install failed after {seconds:.1f} s (see {log}); missing peers skipped")
    return python


def install_debian(args, notes):
    """apt-get install isal (igzip) and mawk when absent; never fatal."""
    wanted = [pkg for tool, pkg in (("igzip", "isal"), ("mawk", "mawk")) if not shutil.which(tool)]
    if not wanted or args.no_install:
        return
    if not shutil.which("apt-get"):
        notes.append(f"no apt-get: {', '.join(wanted)} not installed")
        return
    log = DATA / "bench-apt.log"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", *wanted]
    note(f"apt-get install {' '.join(wanted)} (log: {log.relative_to(ROOT)})")
    ok, seconds = timed_step("apt-get", install, log=log, env=env)
    if not ok:  # the package lists may be missing or old
        ok_update, _ = timed_step("apt-get update", ["apt-get", "update", "-q"], log=log, env=env)
        ok, seconds = timed_step("apt-get", install, log=log, env=env) if ok_update else (False, 0)
    notes.append(
        f"apt-get install {' '.join(wanted)}: "
        + (f"done in {seconds:.1f} s" if ok else f"failed (see {log}); skipped")
    )


def python_module_version(python, module):
    code = f"import {module}; print({module}.__version__)"
    text = run_text([str(python), "-c", code])
    return text.splitlines()[-1] if text and "Error" not in text else ""


def find_tools(python):
    """Paths and versions of every peer; a missing one has path None."""
    tools = {}
    for name in ("gzip", "igzip", "mawk", "cat", "bash"):
        tools[name] = shutil.which(name)
    rapid = VENV / "bin" / "rapidgzip"
    tools["rapidgzip"] = str(rapid) if rapid.exists() else shutil.which("rapidgzip")
    versions = {}
    if tools["gzip"]:
        versions["gzip"] = run_text([tools["gzip"], "--version"]).splitlines()[0].split()[-1]
    if tools["igzip"]:
        versions["igzip"] = run_text([tools["igzip"], "--version"]).split()[-1]
    if tools["mawk"]:
        versions["mawk"] = " ".join(run_text([tools["mawk"], "-W", "version"]).split()[1:3])
    if tools["rapidgzip"]:
        text = run_text([tools["rapidgzip"], "--version"])
        versions["rapidgzip"] = text.split("version")[-1].strip() if "version" in text else "?"
    for module in ("polars", "duckdb"):
        version = python_module_version(python, module)
        tools[module] = str(python) if version else None
        if version:
            versions[module] = version
    import zlib

    versions["zlib"] = zlib.ZLIB_RUNTIME_VERSION
    return tools, versions


# ---------------------------------------------------------------------------------------
# Data


def dataset_paths(rows):
    base = DATA / f"bench-{rows}"
    return {
        "plain": Path(f"{base}.csv"),
        "gz": Path(f"{base}.csv.gz"),
        "bgzf": Path(f"{base}.csv.bgz"),
    }


def generate(path, rows, *options):
    """Make path with gen_predictions.py --seed 1 unless it exists."""
    if path.exists() and path.stat().st_size > 0:
        return
    note(f"generating {path.relative_to(ROOT)} ({rows:,} rows {' '.join(options)})")
    temporary = path.with_name(path.name + ".tmp")
    argv = [sys.executable, str(SCRIPTS / "gen_predictions.py"), "--rows", str(rows)]
    argv += ["--seed", "1", *options, "-o", str(temporary)]
    if subprocess.run(argv, cwd=ROOT).returncode != 0:
        temporary.unlink(missing_ok=True)
        die(f"gen_predictions.py failed for {path} (it needs numpy in {sys.executable})")
    temporary.rename(path)


def warm_cache(paths):
    """Read every input once so that every run finds it in the page cache."""
    for path in paths:
        with open(path, "rb", buffering=0) as f:
            while f.read(1 << 22):
                pass


# ---------------------------------------------------------------------------------------
# Commands


def make_commands(args, bce, zlib_loop, tools, files, scaled):
    """Every command the harness knows, in run order; unavailable ones carry skip."""
    plain, gz, bgzf = files["plain"], files["gz"], files["bgzf"]
    size = plain.stat().st_size
    short = lambda path: path.name  # noqa: E731
    commands = []

    def add(name, argv, display, csv_bytes=size, capture=True, needs=(), skip=""):
        missing = [tool for tool in needs if not tools.get(tool)]
        skip = skip or (f"{', '.join(missing)} not available" if missing else "")
        commands.append(Command(name, argv, display, csv_bytes, capture, skip))

    b = str(bce)
    add("bce-plain", [b, *BCE_ARGS, str(plain)], f"bce {' '.join(BCE_ARGS)} {short(plain)}")
    add("bce-gz", [b, *BCE_ARGS, str(gz)], f"bce … {short(gz)}")
    add("bce-bgzf", [b, *BCE_ARGS, str(bgzf)], f"bce … {short(bgzf)}")
    add("bce-gz-group", [b, *BCE_ARGS, "-g", "model", str(gz)], f"bce … -g model {short(gz)}")
    add(
        "bce-plain-group",
        [b, *BCE_ARGS, "-g", "model", str(plain)],
        f"bce … -g model {short(plain)}",
    )
    if scaled is not None:
        add(
            "bce-plain-x4",
            [b, *BCE_ARGS, str(scaled)],
            f"bce … {short(scaled)}",
            csv_bytes=scaled.stat().st_size,
        )
    else:
        no_scale = "no 4× input (--scale)"
        add("bce-plain-x4", [], f"bce … bench-{SCALE}×ROWS.csv", 0, skip=no_scale)
    isal = str(Path(args.isal_bce).resolve()) if args.isal_bce else ""
    no_isal = "" if isal else "no ISA-L build (--isal-bce PATH)"
    for kind, path in (("gz", gz), ("bgzf", bgzf)):
        add(
            f"bce-isal-{kind}",
            [isal, "--inflate", "isal", *BCE_ARGS, str(path)],
            f"bce(ISA-L) … {short(path)}",
            skip=no_isal,
        )

    tools = dict(tools, zlib_inflate=str(zlib_loop) if zlib_loop else None)
    add("cat-plain", ["cat", str(plain)], f"cat {short(plain)}", capture=False, needs=["cat"])
    for kind, path in (("gz", gz), ("bgzf", bgzf)):
        add(
            f"zlib-{kind}",
            [str(ZLIB_LOOP), str(path)],
            f"zlib_inflate {short(path)}",
            needs=["zlib_inflate"],
        )
    add("gzip-gz", ["gzip", "-dc", str(gz)], f"gzip -dc {short(gz)}", capture=False, needs=["gzip"])
    for kind, path in (("gz", gz), ("bgzf", bgzf)):
        add(
            f"igzip-{kind}",
            ["igzip", "-dc", str(path)],
            f"igzip -dc {short(path)}",
            capture=False,
            needs=["igzip"],
        )
    for kind, path in (("gz", gz), ("bgzf", bgzf)):
        add(
            f"rapidgzip-{kind}",
            [str(tools["rapidgzip"]), "-d", "-c", "-f", "-P", "2", str(path)],
            f"rapidgzip -d -c -f -P 2 {short(path)}",
            capture=False,
            needs=["rapidgzip"],
        )
    peers = str(SCRIPTS / "peers.py")
    for engine in ("polars", "duckdb"):
        python = str(tools.get(engine))
        add(
            f"{engine}-plain",
            [python, peers, engine, str(plain)],
            f"peers.py {engine} {short(plain)}",
            needs=[engine],
        )
        add(
            f"{engine}-gz",
            [python, peers, engine, str(gz)],
            f"peers.py {engine} {short(gz)}",
            needs=[engine],
        )
        add(
            f"{engine}-gz-group",
            [python, peers, f"{engine}-group", str(gz)],
            f"peers.py {engine}-group {short(gz)}",
            needs=[engine],
        )
    mawk = ["mawk", "-F,", "-v", f"eps={EPS}"]
    add(
        "mawk-plain",
        [*mawk, MAWK_PROGRAM, str(plain)],
        f"mawk (clipped loss) {short(plain)}",
        needs=["mawk"],
    )
    pipeline = 'set -o pipefail; gzip -dc "$1" | mawk -F, -v eps="$2" "$3"'
    add(
        "mawk-gz",
        ["bash", "-c", pipeline, "bash", str(gz), EPS, MAWK_PROGRAM],
        f"gzip -dc {short(gz)} | mawk (clipped loss)",
        needs=["mawk", "gzip", "bash"],
    )
    add(
        "mawk-gz-group",
        ["bash", "-c", pipeline, "bash", str(gz), EPS, MAWK_GROUP_PROGRAM],
        f"gzip -dc {short(gz)} | mawk (loss per model)",
        needs=["mawk", "gzip", "bash"],
    )
    assert [c.name for c in commands] == ALL_NAMES
    return commands


def select(commands, only):
    if not only:
        return commands
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    names = [c.name for c in commands]
    for pattern in patterns:
        if not fnmatch.filter(names, pattern):
            print(f"bench: --only: no command matches {pattern!r}; commands: {', '.join(names)}")
            sys.exit(2)
    return [c for c in commands if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]


# A child's ru_maxrss counts the memory image it had before exec: a copy of whatever
# forked it. Forked straight from this Python process, every command would report at
# least the harness's own RSS (20+ MiB). So each command is forked by a small dash, which
# waits on a pipe and then execs it; dash exits at once and this process, a child
# subreaper, inherits the command and reaps it with wait4. The clock runs from the release
# (before exec) to wait4.
SPAWN = (
    'out=$1 err=$2; shift 2; exec 3<&0; '
    '( read -r go <&3 && exec "$@" 3<&- ) </dev/null >"$out" 2>"$err" & echo $!'
)
PR_SET_CHILD_SUBREAPER = 36


def small_forker():
    """Path of dash once this process is a child subreaper; None where that cannot be."""
    dash = shutil.which("dash")
    if not dash or not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return dash


def run_once(command, work, run, dash):
    """Run the command once; return (wall seconds, peak RSS KiB, exit status, stdout, stderr)."""
    out_path = work / f"{command.name}.{run}.out" if command.capture else Path(os.devnull)
    err_path = work / f"{command.name}.{run}.err"
    if dash:
        go_read, go_write = os.pipe()
        launcher = subprocess.Popen(
            [dash, "-c", SPAWN, "sh", str(out_path), str(err_path), *command.argv],
            stdin=go_read,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        os.close(go_read)
        pid_text = launcher.stdout.read()
        launcher.stdout.close()
        launcher.wait()
        try:
            pid = int(pid_text)
        except ValueError:
            os.close(go_write)
            return 0.0, 0, 127, b"", b"the dash launcher did not start the command"
        start = time.perf_counter()
        os.write(go_write, b"go\n")
        os.close(go_write)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    else:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            process = subprocess.Popen(
                command.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=ROOT
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_bytes() if command.capture else b""
    exit_status = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, exit_status, stdout, err_path.read_bytes()


def measure(commands, runs, work, dash):
    active = [c for c in commands if not c.skip]
    for run in range(1, runs + 1):
        note(f"run {run} of {runs}: {len(active)} commands")
        for command in active:
            if command.failure:
                continue
            wall, rss, status, stdout, stderr = run_once(command, work, run, dash)
            if status != 0:
                tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
                command.failure = f"exit {status}" + (f": {' | '.join(tail)}" if tail else "")
                note(f"{command.name} failed ({command.failure})")
                continue
            command.walls.append(wall)
            command.rss_kib.append(rss)
            command.outputs.append(stdout)


# ---------------------------------------------------------------------------------------
# Results: loss check


def parse_results(command):
    """{group: (count, loss_mean)} from one run's stdout (group None is the overall)."""
    text = command.outputs[0].decode()
    if command.name.startswith(("bce", "polars", "duckdb")):
        data = json.loads(text)
        return {r["group"]: (r["count"], r["loss_mean"]) for r in data["results"]}
    if command.name.startswith("mawk"):
        results = {}
        for line in text.split("\n"):
            fields = line.split()
            if len(fields) == 2:
                results[None] = (int(fields[0]), float(fields[1]))
            elif len(fields) == 3:
                results[fields[0]] = (int(fields[1]), float(fields[2]))
        return results
    return {}


def loss_check(commands, reference):
    """Rows comparing each result with bce's reference; and whether any disagree badly."""
    rows, bad = [], False
    for command in commands:
        if not command.outputs:
            continue
        if command.name.startswith("zlib"):
            counts = {out.decode().strip() for out in command.outputs}
            ok = counts == {str(command.csv_bytes)}
            bad |= not ok
            rows.append(
                [command.name, "bytes", str(command.csv_bytes), "/".join(sorted(counts)), "",
                 "OK" if ok else "MISMATCH"]
            )
            continue
        if command.name.startswith("bce"):  # identical bits in every run, and as the reference
            results = [json.loads(out)["results"] for out in command.outputs]
            group = "-g" in command.argv
            expected = [r for r in reference["results"] if group or r["group"] is None]
            if command.name == "bce-plain-x4":  # other data: the same bits in every run
                expected = results[0]
            same = all(r == expected for r in results)
            bad |= not same
            rows.append(
                [command.name, "all" if group else "overall",
                 repr(expected[0]["loss_mean"]), f"{len(results)} runs", "",
                 "identical" if same else "MISMATCH"]
            )
            continue
        peer = parse_results(command)
        if not peer:
            continue
        ours = {r["group"]: (r["count"], r["loss_mean"]) for r in reference["results"]}
        for group in sorted(peer, key=lambda g: (g is not None, g or "")):
            count, mean = peer[group]
            if group not in ours:
                rows.append([command.name, str(group), "-", repr(mean), "", "MISMATCH"])
                bad = True
                continue
            our_count, our_mean = ours[group]
            rel = abs(mean - our_mean) / abs(our_mean) if our_mean else abs(mean)
            if count != our_count:
                verdict, bad = f"MISMATCH (count {count} vs {our_count})", True
            elif rel <= 1e-12:
                verdict = "OK"
            elif rel <= 1e-9:
                verdict = "close (> 1e-12)"
            else:
                verdict, bad = "MISMATCH", True
            rows.append(
                [command.name, "overall" if group is None else group, repr(our_mean),
                 repr(mean), f"{rel:.1e}", verdict]
            )
    return rows, bad


# ---------------------------------------------------------------------------------------
# Results: table and targets


def stats(command):
    if not command.walls:
        return None
    median = statistics.median(command.walls)
    return {
        "median": median,
        "min": min(command.walls),
        "mbs": command.csv_bytes / median / 1e6,
        "rss": max(command.rss_kib) / 1024,
    }


def result_table(commands):
    rows = []
    for command in commands:
        s = stats(command)
        if s is None:
            why = command.failure and f"FAILED ({command.failure})" or f"skipped: {command.skip}"
            rows.append([command.name, "-", "-", "-", "-", f"{command.display} — {why}"])
            continue
        rows.append(
            [command.name, f"{s['median']:.3f}", f"{s['min']:.3f}", f"{s['mbs']:.1f}",
             f"{s['rss']:.1f}", command.display]
        )
    return rows


def targets(commands, isal_given):
    """Rows: target, measured as, value, limit, verdict."""
    by_name = {c.name: stats(c) for c in commands}
    rows = []

    def ratio(label, a, b, limit, low=None, key="median"):
        sa, sb = by_name.get(a), by_name.get(b)
        what = f"{a} / {b}" + (" (peak RSS)" if key == "rss" else "")
        if sa is None or sb is None:
            missing = [n for n, s in ((a, sa), (b, sb)) if s is None]
            why = f"n/a: {', '.join(missing)} not run"
            rows.append([label, what, "n/a", limit_text(limit, low), why])
            return
        value = sa[key] / sb[key]
        ok = value <= limit and (low is None or value >= low)
        rows.append([label, what, f"{value:.3f}", limit_text(limit, low), "PASS" if ok else "MISS"])

    def limit_text(limit, low):
        if limit is None:
            return "-"
        return f"≤ {limit:.2f}" if low is None else f"{low:.2f}–{limit:.2f}"

    def info(label, a, b):
        sa, sb = by_name.get(a), by_name.get(b)
        value = f"{sa['median'] / sb['median']:.3f}" if sa and sb else "n/a"
        rows.append([label, f"{a} / {b}", value, "-", "(for information)"])

    def no_isal(label, what, limit):
        why = "n/a: no ISA-L build (--isal-bce PATH)"
        rows.append([label, what, "n/a", f"≤ {limit:.2f}", why])

    ratio("1 plain CSV", "bce-plain", "polars-plain", 0.5)
    ratio("2 .gz, zlib", "bce-gz", "zlib-gz", 1.10)
    if isal_given:
        ratio("3 .gz, ISA-L", "bce-isal-gz", "polars-gz", 0.67)
        ratio("4 BGZF, ISA-L", "bce-isal-bgzf", "igzip-bgzf", 0.85)
    else:
        no_isal("3 .gz, ISA-L", "bce-isal-gz / polars-gz", 0.67)
        no_isal("4 BGZF, ISA-L", "bce-isal-bgzf / igzip-bgzf", 0.85)
    ratio("4 BGZF, zlib", "bce-bgzf", "zlib-bgzf", 0.70)
    info("4 BGZF vs rapidgzip", "bce-bgzf", "rapidgzip-bgzf")
    if isal_given:
        info("4 BGZF ISA-L vs rapidgzip", "bce-isal-bgzf", "rapidgzip-bgzf")
    ratio("5 group-by, .gz", "bce-gz-group", "bce-gz", 1.10)
    ratio("5 group-by, plain", "bce-plain-group", "bce-plain", 1.10)
    for command in commands:
        if command.name.startswith("bce") and not command.skip:
            s = by_name[command.name]
            if s is None:
                limit = f"≤ {RSS_LIMIT_MIB} MiB"
                rows.append(["6 peak RSS", command.name, "n/a", limit, "n/a: failed"])
            else:
                ok = s["rss"] <= RSS_LIMIT_MIB
                rows.append(
                    ["6 peak RSS", command.name, f"{s['rss']:.1f} MiB", f"≤ {RSS_LIMIT_MIB} MiB",
                     "PASS" if ok else "MISS"]
                )
    if by_name.get("bce-plain-x4"):
        ratio("6 RSS, 4× input", "bce-plain-x4", "bce-plain", 1.10, low=0.90, key="rss")
    else:
        rows.append(
            ["6 RSS, 4× input", "bce-plain-x4 / bce-plain (peak RSS)", "n/a", "0.90–1.10",
             "n/a: no 4× input (--scale)"]
        )
    return rows


# ---------------------------------------------------------------------------------------
# Rendering


def text_table(headers, rows, right=()):
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]
    lines = []
    for row in [headers, *rows]:
        cells = []
        for i, cell in enumerate(row):
            last = i == len(row) - 1
            cell = str(cell)
            if not last:
                cell = cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            cells.append(cell)
        lines.append("  ".join(cells).rstrip())
    return lines


def markdown_table(headers, rows, right=()):

    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    return [line(headers), "| " + " | ".join(rule) + " |", *[line(r) for r in rows]]


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print("\n".join(ALL_NAMES))
        return 0
    DATA.mkdir(exist_ok=True)
    notes = []
    started = datetime.datetime.now().astimezone()
    load_start = os.getloadavg()

    bce = build_bce(args)
    if args.isal_bce and not os.access(args.isal_bce, os.X_OK):
        die(f"--isal-bce {args.isal_bce} is not an executable")
    zlib_loop = build_zlib_loop(notes)
    python = install_venv(args, notes)
    install_debian(args, notes)
    tools, versions = find_tools(python)

    files = dataset_paths(args.rows)
    names = ALL_NAMES
    if args.only:
        patterns = [p.strip() for p in args.only.split(",") if p.strip()]
        names = [n for n in ALL_NAMES if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        if args.scale is None and "bce-plain-x4" in names:
            args.scale = True  # asked for by name
    if args.scale is None:
        args.scale = not args.quick
    scaled = DATA / f"bench-{SCALE * args.rows}.csv" if args.scale else None
    generate(files["plain"], args.rows)  # always: MB/s and the reference result need it
    if any("gz" in name.split("-") for name in names):
        generate(files["gz"], args.rows, "--gzip")
    if any("bgzf" in name.split("-") for name in names):
        generate(files["bgzf"], args.rows, "--bgzf")
    if scaled and "bce-plain-x4" in names:
        generate(scaled, SCALE * args.rows)
    else:
        scaled = None
    commands = select(make_commands(args, bce, zlib_loop, tools, files, scaled), args.only)
    for command in commands:
        if command.skip:
            notes.append(f"{command.name} skipped: {command.skip}")

    inputs = [p for p in (*files.values(), scaled) if p and p.exists()]
    note("reading the inputs once (page cache)")
    warm_cache(inputs)
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        dash = small_forker()
        if not dash:
            notes.append(
                "no dash or no child subreaper: commands are forked by the harness itself, so"
                " every peak RSS includes a copy of the harness (about 20 MiB at least)"
            )
        measure(commands, args.runs, Path(work), dash)
        reference_run = subprocess.run(
            [str(bce), *BCE_ARGS, "-g", "model", str(files["plain"])],
            capture_output=True,
            cwd=ROOT,
        )
    if reference_run.returncode != 0:
        die(f"bce reference run failed: {reference_run.stderr.decode(errors='replace')}")
    reference = json.loads(reference_run.stdout)
    load_end = os.getloadavg()

    loads = (load_start, load_end)
    report = render(args, started, loads, versions, files, scaled, commands, notes, reference)
    failed = [c.name for c in commands if c.failure]
    print("\n".join(report["text"]))
    md_path = DATA / f"bench-{args.rows}.md"
    md_path.write_text("\n".join(report["markdown"]) + "\n")
    print(f"\nMarkdown: {md_path.relative_to(ROOT)}")
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
    if report["bad"]:
        print("bench: a result disagrees (see the check above)", file=sys.stderr)
    return 1 if failed or report["bad"] else 0



def render(args, started, loads, versions, files, scaled, commands, notes, reference):
    """The report as text and Markdown lines, and whether a result disagrees."""
    (load_start, load_end) = loads
    header = [
        f"date:     {started.isoformat(timespec='seconds')}",
        f"machine:  {machine_info()}",
        f"load:     {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (1-min average)",
        f"commit:   {git_commit()}",
        f"mode:     {args.rows:,} rows, interleaved runs: {args.runs}"
        + (" (--quick: start-up dominates; the ratios are no evidence)" if args.quick else "")
        + (" (fewer than 5: not a record)" if args.runs < 5 and not args.quick else ""),
        "versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
    ]
    kinds = {"plain": "CSV", "gz": "gzip, one member, level 6", "bgzf": "BGZF, level 6"}
    for kind, path in files.items():
        if path.exists():
            header.append(f"input:    {path.name}  {path.stat().st_size:,} bytes ({kinds[kind]})")
    if scaled and scaled.exists():
        size = scaled.stat().st_size
        header.append(f"input:    {scaled.name}  {size:,} bytes (CSV, {SCALE}× the rows)")
    method = [
        "Median and min of whole-process wall time (exec to wait4, time.perf_counter);",
        "MB/s = 10^6 uncompressed CSV bytes / median; peak RSS = largest ru_maxrss of the runs",
        "(for a `bash -c` pipeline: of its largest process). Decompressors write to /dev/null;",
        "bce, the zlib loop, polars, DuckDB and mawk print a one-line result to a file.",
    ]
    table_headers = ["name", "median s", "min s", "MB/s", "peak RSS MiB", "command"]
    table = result_table(commands)
    target_headers = ["target", "measured", "value", "limit", "verdict"]
    target_rows = targets(commands, bool(args.isal_bce))
    check_headers = ["command", "group", "bce loss_mean", "other", "rel diff", "verdict"]
    check_rows, bad = loss_check(commands, reference)
    check_note = (
        "bce sums exactly; polars, DuckDB and mawk sum in double precision (DuckDB and mawk"
        " compute ln(1-p) instead of log1p(-p)), so the last bits may differ."
    )

    text = [*header, "", *method, ""]
    text += text_table(table_headers, table, right={1, 2, 3, 4})
    text += ["", "Targets (ratios of medians from this run, same files):"]
    text += text_table(target_headers, target_rows)
    text += ["", "Results check: " + check_note]
    text += text_table(check_headers, check_rows)
    if notes:
        text += ["", "Notes:"] + [f"- {n}" for n in notes]

    md = [f"### bce benchmark: {args.rows:,} rows, {started.date().isoformat()}", ""]
    md += [f"- {line.split(':', 1)[0]}: {line.split(':', 1)[1].strip()}" for line in header]
    md += ["", " ".join(method), ""]
    md += markdown_table(table_headers, table, right={1, 2, 3, 4})
    md += ["", "Targets:", ""] + markdown_table(target_headers, target_rows)
    md += ["", "Results check: " + check_note, ""] + markdown_table(check_headers, check_rows)
    if notes:
        md += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return {"text": text, "markdown": md, "bad": bad}


if __name__ == "__main__":
    sys.exit(main())
