#!/usr/bin/env python3
"""Peer implementations of bce's default computation, for scripts/bench.py.

Usage: python3 scripts/peers.py PEER FILE

PEER is one of
  polars        polars scan_csv (streaming engine): count and mean sklearn-clipped log loss
  polars-group  the same per distinct `model`, with group_by("model")
  duckdb        DuckDB SQL over read_csv_auto (plain or .gz): count and mean log loss
  duckdb-group  the same with GROUP BY model

Each runs as its own process so that bench.py measures whole-process wall time and peak
RSS (interpreter start and imports included, as a user would see them). The loss is
bce's default (`--clip sklearn`) for label column `label` and prediction column `score`:

    p = clip(score, eps, 1 - eps),  eps = 2.220446049250313e-16
    L = -(y * ln p + (1 - y) * ln(1 - p))

polars computes ln(1 - p) as log1p(-p), like bce; DuckDB has no log1p, so it uses
ln(1 - p). Neither sums exactly, so their means differ from bce's in the last bits.

Prints one line of JSON shaped like bce's report: {"peer": ..., "version": ...,
"results": [{"group": null or NAME, "count": N, "loss_mean": X}, ...]}, groups in byte
order. Floats are printed with repr, i.e. all their bits.
"""

import json
import sys

EPS = 2.220446049250313e-16


def polars_query(path, group):
    """Build and collect the polars query; return (version, rows of (group, count, mean))."""
    import polars as pl

    p = pl.col("score").clip(EPS, 1 - EPS)
    y = pl.col("label")
    loss = -(y * p.log() + (1 - y) * (-p).log1p())
    lf = pl.scan_csv(path, schema_overrides={"label": pl.Float64, "score": pl.Float64})
    aggregates = [pl.len().alias("count"), loss.mean().alias("loss_mean")]
    if group:
        lf = lf.group_by("model").agg(aggregates).sort("model")
    else:
        lf = lf.select(aggregates)
    try:
        frame = lf.collect(engine="streaming")
    except TypeError:  # polars before engine= existed
        frame = lf.collect(streaming=True)
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append((row["model"] if group else None, row["count"], row["loss_mean"]))
    return pl.__version__, rows


def duckdb_query(path, group):
    """Run the DuckDB query; return (version, rows of (group, count, mean))."""
    import duckdb

    literal = "'" + path.replace("'", "''") + "'"
    eps = repr(EPS)
    source = (
        f"read_csv_auto({literal}, header = true,"
        " types = {'label': 'DOUBLE', 'score': 'DOUBLE', 'model': 'VARCHAR'})"
    )
    clipped = f"greatest(least(score, 1 - {eps}), {eps})"
    loss = "-(label * ln(p) + (1 - label) * ln(1 - p))"
    if group:
        query = (
            f"SELECT model, count(*), avg({loss}) FROM"
            f" (SELECT model, label, {clipped} AS p FROM {source})"
            " GROUP BY model ORDER BY model"
        )
    else:
        query = (
            f"SELECT NULL, count(*), avg({loss}) FROM"
            f" (SELECT label, {clipped} AS p FROM {source})"
        )
    connection = duckdb.connect()
    rows = connection.execute(query).fetchall()
    connection.close()
    return duckdb.__version__, [tuple(row) for row in rows]


PEERS = {
    "polars": lambda path: polars_query(path, group=False),
    "polars-group": lambda path: polars_query(path, group=True),
    "duckdb": lambda path: duckdb_query(path, group=False),
    "duckdb-group": lambda path: duckdb_query(path, group=True),
}


def main(argv):
    if len(argv) != 3 or argv[1] not in PEERS:
        print(f"usage: peers.py {{{'|'.join(PEERS)}}} FILE", file=sys.stderr)
        return 2
    version, rows = PEERS[argv[1]](argv[2])
    if not rows or any(count == 0 for _, count, _ in rows):
        print(f"peers.py: {argv[1]}: no records in {argv[2]}", file=sys.stderr)
        return 1
    results = [{"group": g, "count": int(n), "loss_mean": float(m)} for g, n, m in rows]
    print(json.dumps({"peer": argv[1], "version": version, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
