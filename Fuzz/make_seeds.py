#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into Fuzz/corpus/<target>/seed-*.

Usage: python3 Fuzz/make_seeds.py        (deterministic: same bytes on every run)

Each seed starts with the target's option bytes (see the doc comments of
Fuzz/RecordParserFuzz.swift and Fuzz/GzipReaderFuzz.swift), then the payload. Files named
bug-* or found-* in the corpus directories are inputs the fuzzers found; this script leaves
them alone.
"""

import gzip
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------- record target

DELIMITERS = b";| :.e1-+x\\{\x01\x7f"
CLIPS = ["sklearn", "spark", "keras", "torch", "none", "logits", "eps0.001", "eps0.25"]


def record_options(fmt="csv", delimiter=None, clip="sklearn", tokens=None, skip=False,
                   label=0, preds=(1,), weight=None, group=None, chunk=5, doublings=0,
                   prefix=128, bins=0, workers=False):
    """The seven option bytes of Fuzz/RecordParserFuzz.swift's RecordCase."""
    if fmt == "csv" and delimiter is not None:
        format_byte = 3 | DELIMITERS.index(delimiter) << 2
    else:
        format_byte = {"csv": 0, "tsv": 1, "jsonl": 2}[fmt]
    rules = CLIPS.index(clip)
    rules |= 8 if tokens is not None else 0
    rules |= 0x10 if skip else 0
    rules |= (len(preds) - 1) << 5
    rules |= 0x80 if weight is not None else 0
    positions = label | (weight or 0) << 2 | (group or 0) << 4 | (tokens or 0) << 6
    prediction_positions = 0
    for k, p in enumerate(preds):
        prediction_positions |= p << (2 * k)
    prediction_positions |= [0, 1, 33, 62].index(doublings) << 6
    chunk_byte = chunk | (0x80 if group is not None else 0)
    extras = [0, 1, 3, 10].index(bins) | (4 if workers else 0)
    return bytes([format_byte, rules, positions, prediction_positions, chunk_byte, prefix, extras])


RECORD_SEEDS = {
    "csv-basic": (record_options(bins=10), b"0,0.1\n1,0.9\n0,0.25\n1,1\n"),
    "csv-header-skipped": (record_options(skip=True, chunk=3), b"label,pred\n0,0.5\n1,0.75\n"),
    "csv-quotes-crlf": (
        record_options(skip=True, chunk=2),
        b'"0","0.5"\r\n"1","0.7"\r\n"x""y",0.1\n"a\nb",1\n"1",".5"\r\n',
    ),
    "csv-weights-two-preds": (
        record_options(preds=(1, 2), weight=3, chunk=10, bins=3, workers=True),
        b"1,0.2,0.3,2.5\n0,1e-3,.5,0\n1,1,0,1e300\n0.5,0.5,0.5,1e-310\n",
    ),
    "csv-soft-labels-bools": (
        record_options(clip="spark"), b"true,0.9\nFALSE,0.1\n0.3,0.3\nTrue,1\n1.0,0.999999999999999\n"
    ),
    "csv-torch-extremes": (record_options(clip="torch"), b"1,0\n0,1\n1,1e-320\n0,0.9999999999999999\n"),
    "csv-none-infinite": (record_options(clip="none", skip=True), b"1,0\n0,1\n1,0.5\n1,-0.0\n"),
    "csv-logits": (
        record_options(clip="logits", skip=True, bins=10),
        b"1,-inf\n0,Infinity\n1,1e999\n0,-3.5\n1, 12 \n0,nan\n1,-1e999\n",
    ),
    "csv-keras-three-preds": (
        record_options(clip="keras", preds=(1, 2, 3), chunk=70), b"0,1e-8,0.5,1\n1,1e-8,0.5,0\n"
    ),
    "csv-eps": (record_options(clip="eps0.001", preds=(1,)), b"0,0.0001\n1,0.0001\n0,0.9999\n"),
    "tsv-blank-lines": (record_options(fmt="tsv"), b"0\t0.5\n\n1\t0.75\r\n\r\n\n0\t0.2"),
    "csv-semicolon": (record_options(delimiter=b";"), b"0;0.5\n1;0,5\n1;.5;x\n"),
    "csv-space": (record_options(delimiter=b" ", skip=True), b"0 0.5\n1  0.5\n 1 0.5\n"),
    "csv-tokens": (record_options(tokens=2, skip=True), b"no,0.4\nyes,0.6\nmaybe,0.5\n1,0.5\n"),
    "csv-tokens-quote": (record_options(tokens=3, skip=True), b'"""",0.5\n"a""b",0.5\na"b,0.1\n'),
    "csv-group": (
        record_options(group=2, chunk=4, bins=1, workers=True),
        b'0,0.3,a\n1,0.6,b\n0,0.1,a\n1,0.8,"a"\n0,0.2,"b""c"\n1,0.9,\n',
    ),
    "csv-too-few-fields": (record_options(preds=(2,), skip=True), b"0\n1,0.5\n1,0.5,0.5\n"),
    "csv-unclosed-quote": (record_options(), b'0,"0.5\n1,0.5\n'),
    "csv-text-after-quote": (record_options(skip=True), b'"0"x,0.5\n1,0.5\n"1"\r,0.5\n'),
    "csv-lone-cr": (record_options(), b"0,0.5\r"),
    "csv-trailing-delimiter": (record_options(preds=(1, 2), skip=True), b"0,0.5,\n1,0.5,"),
    "csv-long-numbers": (
        record_options(preds=(1,), chunk=100),
        b"0,0.1234567890123456789012345\n1,9.999999999999999e-1\n0,4.9406564584124654e-324\n"
        b"1,2.2250738585072011e-308\n0,0.30000000000000000000000000000000000000001\n"
        b"1,1e-400\n0,00000000000000000000000000.5e0\n",
    ),
    "jsonl-basic": (
        record_options(fmt="jsonl", label=0, preds=(1,), chunk=20, workers=True),
        b'{"label":1,"pred":0.9}\n{"pred":"0.2","label":false,"x":[1,{"y":null}]}\n  \n'
        b'{"label":"1","pred":1e-5}\n',
    ),
    "jsonl-weight-group": (
        record_options(fmt="jsonl", preds=(1,), weight=2, group=3, skip=True),
        b'{"label":0,"pred":0.5,"g":"x","w":2}\n{"label":1,"pred":0.5,"g":1,"w":"0.5"}\n'
        b'{"label":1,"pred":0.5,"g":true,"w":1e308}\n{"label":1,"pred":0.5,"g":null,"w":1}\n',
    ),
    "jsonl-escapes": (
        record_options(fmt="jsonl", skip=True),
        b'{"la\\u0062el":0,"pred":"\\u0030.5"}\n{"label":NaN,"pred":0.5}\n'
        b'{"label":0,"pred":-Infinity}\n{"label":"\\ud83d\\ude00","pred":0.5}\n',
    ),
    "jsonl-errors": (
        record_options(fmt="jsonl", skip=True, chunk=1),
        b'{"label":0,"pred":0.5}x\n[1]\n{"label":0 "pred":1}\n{"label":0,"pred":null}\n'
        b'{"label":0,"label":1,"pred":0.5}\n{"label":01,"pred":0.5}\n{"label":"\x01","pred":1}\n',
    ),
    "jsonl-deep": (
        record_options(fmt="jsonl", skip=True),
        b'{"a":' + b"[" * 70 + b"]" * 70 + b',"label":0,"pred":0.5}\n'
        b'{"a":' + b"[{\"b\":" * 30 + b"1" + b"}]" * 30 + b',"label":0,"pred":0.5}\n',
    ),
    "jsonl-logits-same-key": (
        record_options(fmt="jsonl", clip="logits", label=0, preds=(0, 1)), b'{"label":1,"pred":-2}\n'
    ),
    "exactsum-doubles": (
        record_options(doublings=62, chunk=127),
        struct.pack(
            "<16d", 1e300, -1e300, 1e-320, 2.0**-60, 2.0**97, 2.0**98, 1.5, -2.0**-63,
            1.7976931348623157e308, 1.7976931348623157e308, 2.0**-1074, -0.0, 0.1, 0.2, 0.3,
            -(2.0**110),
        ),
    ),
    "exactsum-text": (record_options(), b"-0x1a3p-1074 +inf:2 nan:1"),
    "exactsum-window-edges": (
        record_options(doublings=33, chunk=127),
        struct.pack("<8d", 2.0**-62, -(2.0**-62), 2.0**-63, 2.0**98, -(2.0**97), 2.0**97,
                    float("inf"), 3.0),
    ),
}

# ------------------------------------------------------------------------------ gzip target

PIECES = [1, 2, 3, 5, 8, 13, 64, 511, 4096, "max"]
OUTPUTS = [1, 2, 3, 7, 64, 1000, 4096, 65536]


def gzip_options(piece="max", output=0, step=0, decoding=False):
    """The two option bytes of Fuzz/GzipReaderFuzz.swift."""
    return bytes([PIECES.index(piece), output | step << 3 | (0x80 if decoding else 0)])


def member(data, level=6, flags=0, extra=b"", name=b"", comment=b"", mtime=0):
    """One gzip member with the given header fields, compressed with zlib."""
    header = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", mtime) + b"\x00\xff"
    if flags & 4:
        header += struct.pack("<H", len(extra)) + extra
    if flags & 8:
        header += name + b"\x00"
    if flags & 16:
        header += comment + b"\x00"
    if flags & 2:
        header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def bgzf_block(data):
    """A BGZF block: an FEXTRA `BC` subfield holding the block size minus one."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    size = 12 + 6 + len(body) + 8 + 6 - 1
    extra = b"BC" + struct.pack("<HH", 2, size)
    header = b"\x1f\x8b\x08\x04" + b"\x00" * 4 + b"\x00\xff" + struct.pack("<H", 6) + extra
    return header + body + struct.pack("<II", zlib.crc32(data), len(data))


CSV = b"label,pred\n0,0.1\n1,0.9\n0,0.25\n"
TEXT = b"".join(b"%d,0.%03d\n" % (i % 2, (i * 37) % 1000) for i in range(200))
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

GZIP_SEEDS = {
    "single": (gzip_options(), gzip.compress(CSV, mtime=0)),
    "single-tiny-pieces": (gzip_options(piece=1, output=0, step=1), gzip.compress(CSV, mtime=0)),
    "multi": (gzip_options(piece=5, output=3), member(b"a,1\n") + member(b"b,2\n") + member(CSV)),
    "empty-member": (gzip_options(piece=2), member(b"")),
    "empty-between": (gzip_options(piece=3, output=1), member(b"x\n") + member(b"") + member(b"y\n")),
    "bgzf": (gzip_options(piece=64, output=4), bgzf_block(CSV) + bgzf_block(b"1,0.5\n") + BGZF_EOF),
    "fname-fcomment-fhcrc": (
        gzip_options(piece=8, output=2),
        member(CSV, flags=8 | 16 | 2, name=b"preds.csv", comment=b"made by make_seeds.py"),
    ),
    "fextra-fname": (gzip_options(piece=13), member(b"1,0\n", flags=4 | 8, extra=b"XY\x02\x00ab",
                                                   name=b"x")),
    "stored": (gzip_options(piece=511, output=5), member(TEXT[:300], level=0)),
    "level9-dynamic": (gzip_options(piece=4096, output=6, step=2), member(TEXT, level=9)),
    "zero-padding": (gzip_options(piece=8), member(CSV) + b"\x00" * 64),
    "trailing-garbage": (gzip_options(), member(CSV) + b"garbage"),
    "truncated": (gzip_options(piece=3), member(CSV)[:-5]),
    "bad-crc": (gzip_options(), member(CSV)[:-8] + b"\x00\x00\x00\x00" + member(CSV)[-4:]),
    "second-magic-only": (gzip_options(piece=1), member(CSV) + b"\x1f"),
    "plain-csv": (gzip_options(decoding=True, piece=2), CSV),
    "gzip-via-decoding": (gzip_options(decoding=True, piece=1, output=3), member(CSV) + member(b"")),
}


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.startswith("seed-"):
            os.remove(os.path.join(directory, name))
    for name, (options, payload) in seeds.items():
        with open(os.path.join(directory, "seed-" + name), "wb") as f:
            f.write(options + payload)


def main():
    write(os.path.join(HERE, "corpus", "record"), RECORD_SEEDS)
    write(os.path.join(HERE, "corpus", "gzip"), GZIP_SEEDS)


if __name__ == "__main__":
    main()
