#!/usr/bin/env bash
# Render bce's reliability diagram of the shipped sample to PNG, to look at it.
#
# Usage: scripts/render_plot.sh [OUT.png]     (default: data/reliability.png)
#
# Installs Debian's librsvg2-bin (rsvg-convert) when it is missing, builds bce in release
# mode, writes data/reliability.svg for examples/predictions.csv.gz with 12 bins, and
# converts it to PNG.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/data/reliability.png}
cd "$ROOT"
mkdir -p data
if ! command -v rsvg-convert >/dev/null; then
  apt-get install -y -qq librsvg2-bin >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq librsvg2-bin >/dev/null; }
fi
swift build -c release >/dev/null
.build/release/bce -p score --bins 12 --plot data/reliability.svg examples/predictions.csv.gz
rsvg-convert -o "$OUT" data/reliability.svg
echo "wrote $OUT"
