#!/usr/bin/env python3
"""Generate a deterministic, realistic prediction log for benchmarking and testing `bce`.

Usage:
    python3 scripts/gen_predictions.py --rows N [--seed S] [--models K] [--groups G]
                                       [--gzip | --bgzf] [--jobs J] -o PATH

`-o -` writes to standard output. The CSV has a header line and the columns
`request_id,model,label,score` (plus `segment` when --groups is given):

* request_id: a random 12-digit integer;
* model: `ctr_v1` .. `ctr_vK`, uniformly mixed; higher versions are sharper models;
* label: 0 or 1, drawn from the sigmoid of a hidden true logit;
* score: the model's probability printed with Python's shortest repr (`repr(float)`).
  Each model's logit is a*signal + b where the signal is the informative part of the true
  logit plus model-specific noise, with a and b chosen so the models are close to
  calibrated (log loss about 0.45-0.55). About 0.1% of scores are edge cases: exactly
  the label written as `0`/`1` or `0.0`/`1.0`, or tiny probabilities whose repr uses an
  exponent (`3.5e-05`, `2.0981366387541397e-09`);
* segment (only with --groups G): `seg00000` .. uniformly over G values, drawn from a
  separate random stream so the other columns are the same with or without it.

Rows are made in blocks of 2**20, each from its own seed derived from (seed, block), so
the output is byte-identical for the same arguments whatever --jobs is. --gzip writes a
single gzip member (deflate level 6; the blocks are deflated in parallel and joined with
sync flushes, as pigz does); --bgzf writes BGZF (bgzip-compatible blocks of at most
65280 input bytes with the BC extra field, then the 28-byte EOF block). The rate is
printed to standard error at the end.
"""

import argparse
import collections
import math
import multiprocessing
import os
import struct
import sys
import time
import zlib

import numpy as np

BLOCK_ROWS = 1 << 20
LEVEL = 6
SPECIAL_FRACTION = 0.001

SIGNAL_MEAN = -1.2  # mean of the informative part of the true logit
SIGNAL_SD = 1.8
HIDDEN_SD = 0.8  # part of the true logit no model can see
NOISE_SD_FIRST, NOISE_SD_LAST = 1.2, 0.3  # model noise of ctr_v1 and ctr_vK

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"  # deflate, no mtime, Unix
BGZF_MAX_INPUT = 0xFF00  # as bgzip: input per block, so that the block fits in 64 KiB
BGZF_MAX_BLOCK = 1 << 16
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def model_coefficients(models):
    """Return arrays (a, b, noise_sd) so that logit_k = a_k * (signal + noise_k) + b_k.

    a and b shrink the noisy signal to E[true logit | observed] and damp it by the probit
    approximation of the remaining variance, which keeps every model near calibration.
    """
    noise_sd = np.linspace(NOISE_SD_FIRST, NOISE_SD_LAST, models)
    shrink = SIGNAL_SD**2 / (SIGNAL_SD**2 + noise_sd**2)
    variance = HIDDEN_SD**2 + shrink * noise_sd**2
    damp = 1 / np.sqrt(1 + math.pi * variance / 8)
    return shrink * damp, SIGNAL_MEAN * (1 - shrink) * damp, noise_sd


def draw_scores(rng, models):
    """Draw (model index, label, score) arrays for a full block."""
    a, b, noise_sd = model_coefficients(models)
    signal = rng.normal(SIGNAL_MEAN, SIGNAL_SD, BLOCK_ROWS)
    true_logit = signal + rng.normal(0, HIDDEN_SD, BLOCK_ROWS)
    label = (rng.random(BLOCK_ROWS) < 1 / (1 + np.exp(-true_logit))).astype(np.intp)
    model = rng.integers(0, models, BLOCK_ROWS)
    observed = signal + rng.normal(0, 1, BLOCK_ROWS) * noise_sd[model]
    score = 1 / (1 + np.exp(-(a[model] * observed + b[model])))
    return model, label, score


def edge_cases(rng, label):
    """Draw the edge-case scores of a full block: (row positions, replacement texts).

    Kinds: the label as `0`/`1`; the label as `0.0`/`1.0`; a tiny probability with all
    its digits; a tiny probability with two digits such as `3.5e-05`.
    """
    rows = np.flatnonzero(rng.random(BLOCK_ROWS) < SPECIAL_FRACTION)
    kind = rng.integers(0, 4, len(rows)).tolist()
    tiny = (10 ** rng.uniform(-12, -4.5, len(rows))).tolist()
    short = [
        float(f"{d1}.{d2}e-{e}")
        for d1, d2, e in rng.integers(1, 10, (len(rows), 3)).tolist()
    ]
    labels = label[rows].tolist()
    texts = [
        (str(y), repr(float(y)), repr(t), repr(s))[k]
        for k, y, t, s in zip(kind, labels, tiny, short)
    ]
    return rows, texts


def random_ids(rng):
    """Draw random 12-digit decimal ids for a full block, as a (BLOCK_ROWS, 12) code array."""
    digits = rng.integers(ord("0"), ord("9") + 1, (BLOCK_ROWS, 12), dtype=np.uint32)
    digits[:, 0] = rng.integers(ord("1"), ord("9") + 1, BLOCK_ROWS, dtype=np.uint32)
    return digits


def segment_names(groups):
    """Return the G segment names, zero-padded to at least five digits."""
    width = max(5, len(str(groups - 1)))
    return [f"seg{i:0{width}d}" for i in range(groups)]


def header_line(groups):
    """Return the CSV header line."""
    return "request_id,model,label,score" + (",segment" if groups else "") + "\n"


def make_block(seed, index, rows, models, groups):
    """Return the CSV text of the first `rows` rows of block `index` (header first in block 0).

    Every block is drawn in full, so a file with fewer rows is a prefix of a longer one.
    """
    rng = np.random.default_rng([seed, index])
    ids = random_ids(rng)[:rows].view("U12").ravel().tolist()
    model, label, score = draw_scores(rng, models)
    edge_rows, edge_texts = edge_cases(rng, label)
    scores = [repr(x) for x in score[:rows].tolist()]
    for i, text in zip(edge_rows.tolist(), edge_texts):
        if i < rows:
            scores[i] = text
    middles = [f",ctr_v{k + 1},{y}," for k in range(models) for y in (0, 1)]
    middle = [middles[i] for i in (2 * model[:rows] + label[:rows]).tolist()]
    if groups:
        names = [f",{name}\n" for name in segment_names(groups)]
        segment = np.random.default_rng([seed, index, 1]).integers(0, groups, BLOCK_ROWS)
        ends = [names[i] for i in segment[:rows].tolist()]
    else:
        ends = ["\n"] * rows
    pieces = [None] * (4 * rows)
    pieces[0::4], pieces[1::4], pieces[2::4], pieces[3::4] = ids, middle, scores, ends
    head = header_line(groups) if index == 0 else ""
    return head + "".join(pieces)


def raw_deflate(data, level, flush):
    """Deflate `data` as a raw stream (no header), ended with the given flush mode."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(flush)


def bgzf_block(data):
    """Return one BGZF block holding `data` (at most BGZF_MAX_INPUT bytes)."""
    body = raw_deflate(data, LEVEL, zlib.Z_FINISH)
    if len(body) + 26 > BGZF_MAX_BLOCK:  # incompressible: store, as bgzip does
        body = raw_deflate(data, 0, zlib.Z_FINISH)
    header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
    size = struct.pack("<H", len(header) + 2 + len(body) + 8 - 1)
    return header + size + body + struct.pack("<II", zlib.crc32(data), len(data))


def encode_block(task):
    """Worker: make one block and encode it for the output format."""
    fmt, last, block_args = task
    data = make_block(*block_args).encode("ascii")
    if fmt == "gzip":
        flush = zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
        return zlib.crc32(data), len(data), raw_deflate(data, LEVEL, flush)
    if fmt == "bgzf":
        pieces = range(0, len(data), BGZF_MAX_INPUT)
        return b"".join(bgzf_block(data[i : i + BGZF_MAX_INPUT]) for i in pieces)
    return data


def crc32_combine(crc_a, crc_b, len_b):
    """CRC-32 of A+B from crc(A), crc(B) and len(B), using that CRC-32 is affine."""
    zeros = bytes(len_b)
    return zlib.crc32(zeros, crc_a) ^ crc_b ^ zlib.crc32(zeros)


def write_gzip(out, parts):
    """Write one gzip member from (crc, length, raw deflate segment) parts."""
    out.write(GZIP_HEADER)
    crc, size = 0, 0
    for part_crc, part_size, deflated in parts:
        out.write(deflated)
        crc = crc32_combine(crc, part_crc, part_size)
        size += part_size
    out.write(struct.pack("<II", crc, size & 0xFFFFFFFF))


def write_bgzf(out, parts):
    """Write BGZF block groups, then the EOF marker block."""
    for part in parts:
        out.write(part)
    out.write(BGZF_EOF)


def write_plain(out, parts):
    """Write plain CSV blocks."""
    for part in parts:
        out.write(part)


def ordered_results(tasks, jobs):
    """Yield encode_block(task) in task order, at most 2*jobs blocks in flight."""
    if jobs == 1:
        yield from map(encode_block, tasks)
        return
    with multiprocessing.Pool(jobs) as pool:
        pending = collections.deque()
        for task in tasks:
            pending.append(pool.apply_async(encode_block, (task,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def block_tasks(args, fmt):
    """Return the work list: one task per block (always at least one, for the header)."""
    count = max(1, -(-args.rows // BLOCK_ROWS))
    tasks = []
    for index in range(count):
        rows = min(BLOCK_ROWS, args.rows - index * BLOCK_ROWS)
        block_args = (args.seed, index, rows, args.models, args.groups)
        tasks.append((fmt, index == count - 1, block_args))
    return tasks


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="data rows to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--models", type=int, default=4, help="number of models (default 4)")
    parser.add_argument("--groups", type=int, help="add a segment column with G values")
    compression = parser.add_mutually_exclusive_group()
    compression.add_argument("--gzip", action="store_true", help="one gzip member, level 6")
    compression.add_argument("--bgzf", action="store_true", help="BGZF (bgzip format)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count(), help="worker processes (default: CPUs)"
    )
    parser.add_argument("-o", "--output", required=True, help="output path, or - for stdout")
    args = parser.parse_args(argv)
    if args.rows < 0 or args.seed < 0 or args.models < 1 or args.jobs < 1:
        parser.error("--rows and --seed must be >= 0, --models and --jobs >= 1")
    if args.groups is not None and args.groups < 1:
        parser.error("--groups must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    fmt = "gzip" if args.gzip else "bgzf" if args.bgzf else "plain"
    writer = {"gzip": write_gzip, "bgzf": write_bgzf, "plain": write_plain}[fmt]
    start = time.perf_counter()
    parts = ordered_results(block_tasks(args, fmt), args.jobs)
    if args.output == "-":
        writer(sys.stdout.buffer, parts)
        sys.stdout.buffer.flush()
    else:
        with open(args.output, "wb") as out:
            writer(out, parts)
    seconds = time.perf_counter() - start
    print(
        f"{args.rows} rows in {seconds:.2f} s: {args.rows / seconds:,.0f} rows/s ({fmt})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
