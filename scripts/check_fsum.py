#!/usr/bin/env python3
"""Check that `bce --output json` reports the exactly rounded sum of the per-record losses.

Usage:
    python3 scripts/check_fsum.py DATA.csv[.gz] BCE_JSON_FILE [--clip {sklearn,none}]
                                  [--label COLUMN] [--pred COLUMN]

DATA is read as gzip when it starts with the bytes 1f 8b, else as plain CSV; its first
line is the header. For every record, with y the label and yhat the prediction:

    eps = 2.220446049250313e-16 (--clip sklearn, the default) or 0 (--clip none)
    p = min(max(yhat, eps), 1 - eps)
    y == 1:    L = -math.log(p)
    y == 0:    L = -math.log1p(-p)
    otherwise: L = -(y*math.log(p) + (1 - y)*math.log1p(-p))

(math.log of 0 counts as -inf, outside the domain as nan.) The expected values are
loss_sum = math.fsum(L), count, weight_sum = count, loss_mean = loss_sum / count,
label_mean = math.fsum(y) / count and pred_mean = math.fsum(yhat) / count; they are compared
bit for bit (float.hex) with `results[0]` of the JSON, whose loss_sum may be a string such
as "inf". Prints `OK loss_sum=<repr> (<hex>)` and exits 0 when all match, prints every
mismatch and exits 1 otherwise, exits 2 on unreadable input.

Only math.log/math.log1p (glibc, as in the Swift code) compute logarithms; numpy splits,
clips and does the IEEE-exact arithmetic around them. Quoted CSV fields are understood, but
not quoted fields spanning lines.
"""

import argparse
import csv
import gzip
import itertools
import json
import math
import sys

import numpy as np

EPSILON = {"sklearn": 2.220446049250313e-16, "none": 0.0}
CHUNK_BYTES = 1 << 24


class InputError(Exception):
    """The data or the JSON cannot be read as expected."""


def open_data(path):
    """Open DATA as a binary stream, decompressing it if it starts with the gzip magic."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_chunks(stream):
    """Yield the stream in pieces of whole lines (the last may lack its newline)."""
    rest = b""
    while block := stream.read(CHUNK_BYTES):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        if cut:
            yield block[:cut]
    if rest:
        yield rest


def split_fields(chunk, ncols):
    """Return the fields of the chunk's non-empty lines as one flat list, ncols per line."""
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n")
    lines = list(filter(None, chunk.split(b"\n")))
    if not lines:
        return []
    commas = set(map(bytes.count, lines, itertools.repeat(b",")))
    if b'"' not in chunk and commas <= {ncols - 1}:
        return b",".join(lines).split(b",")
    rows = list(csv.reader(line.decode("utf-8") for line in lines))
    for row in rows:
        if len(row) != ncols:
            raise InputError(f"a line has {len(row)} fields, the header {ncols}: {row!r}")
    return [field.encode("utf-8") for row in rows for field in row]


def parse_floats(fields, column):
    """Parse a column's fields with float() (correctly rounded) into a float64 array."""
    try:
        return np.fromiter(map(float, fields), np.float64, len(fields))
    except ValueError as error:
        raise InputError(f"column {column!r}: {error}") from None


def log_map(function, x, pole):
    """Apply math.log or math.log1p to each x: -inf at the pole, nan below it or for nan."""
    out = np.full(len(x), np.nan)
    inside = x > pole
    out[inside] = list(map(function, x[inside].tolist()))
    out[x == pole] = -np.inf
    return out


def loss_terms(y, yhat, eps):
    """Return the per-record losses, leaving out a term whose coefficient is exactly 0."""
    p = np.minimum(np.maximum(yhat, eps), 1 - eps)
    log_p = np.zeros(len(p))
    log_q = np.zeros(len(p))
    uses_p, uses_q = y != 0, y != 1
    log_p[uses_p] = log_map(math.log, p[uses_p], 0.0)
    log_q[uses_q] = log_map(math.log1p, -p[uses_q], -1.0)
    soft = uses_p & uses_q
    terms = np.where(y == 1, -log_p, -log_q)
    terms[soft] = -(y[soft] * log_p[soft] + (1 - y[soft]) * log_q[soft])
    return terms


def exact_sum(arrays):
    """math.fsum over the concatenation of the arrays, one array in memory as floats."""
    return math.fsum(itertools.chain.from_iterable(a.tolist() for a in arrays))


def header_index(header, name, option):
    """Return the index of column `name` in the header."""
    if name not in header:
        raise InputError(f"{option} column {name!r} is not in the header {header}")
    return header.index(name)


def expected_values(path, label, pred, eps):
    """Read DATA and return the expected result fields as a dict."""
    losses, labels, preds = [], [], []
    with open_data(path) as stream:
        first = stream.readline().decode("utf-8-sig").rstrip("\r\n")
        header = next(csv.reader([first]))
        label_at = header_index(header, label, "--label")
        pred_at = header_index(header, pred, "--pred")
        for chunk in read_chunks(stream):
            fields = split_fields(chunk, len(header))
            y = parse_floats(fields[label_at :: len(header)], label)
            yhat = parse_floats(fields[pred_at :: len(header)], pred)
            losses.append(loss_terms(y, yhat, eps))
            labels.append(y)
            preds.append(yhat)
    count = sum(map(len, labels))
    loss_sum = exact_sum(losses)
    values = {"count": count, "weight_sum": float(count), "loss_sum": loss_sum}
    if count:
        values["loss_mean"] = loss_sum / count
        values["label_mean"] = exact_sum(labels) / count
        values["pred_mean"] = exact_sum(preds) / count
    return values


def reported_values(json_path, pred):
    """Return results[0] of the bce JSON, checking it is the ungrouped result for `pred`."""
    try:
        with open(json_path, encoding="utf-8") as file:
            result = json.load(file)["results"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise InputError(f"{json_path}: no results[0]: {error!r}") from None
    if result.get("pred") != pred or result.get("group") is not None:
        raise InputError(
            f"results[0] is pred={result.get('pred')!r} group={result.get('group')!r}, "
            f"expected pred={pred!r} and no group"
        )
    return result


def describe(value):
    """Format a float as `repr (hex)`."""
    return f"{value!r} ({value.hex()})"


def mismatches(expected, reported):
    """Return one line per field whose reported value differs from the expected one."""
    lines = []
    for field, want in expected.items():
        if field not in reported:
            lines.append(f"{field}: missing from the JSON, expected {want!r}")
            continue
        got = reported[field]
        if field == "count":
            if got != want:
                lines.append(f"count: expected {want}, bce {got!r}")
            continue
        try:
            got = float(got)
        except (TypeError, ValueError):
            lines.append(f"{field}: expected {describe(want)}, bce {got!r}")
            continue
        if got.hex() != want.hex():
            lines.append(f"{field}: expected {describe(want)}, bce {describe(got)}")
    return lines


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="CSV file, plain or gzip")
    parser.add_argument("json", help="output of `bce --output json` for DATA")
    parser.add_argument("--clip", choices=sorted(EPSILON), default="sklearn")
    parser.add_argument("--label", default="label", help="label column (default: label)")
    parser.add_argument("--pred", default="score", help="prediction column (default: score)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        reported = reported_values(args.json, args.pred)
        expected = expected_values(args.data, args.label, args.pred, EPSILON[args.clip])
    except (InputError, OSError, UnicodeDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = mismatches(expected, reported)
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        return 1
    print(f"OK loss_sum={describe(expected['loss_sum'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
