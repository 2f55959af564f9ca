#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh BENCH TRACE META OUTDIR [JOBS] - `make bench`: run the
# benchmark (hardware balloon speeds, then the testbed's TCG ones at four
# capacities), then draw its plots with gnuplot (skipped with a note when
# gnuplot is missing).
set -e
bench=$1 trace=$2 meta=$3 out=$4 jobs=${5:-0}
mkdir -p "$out"
"$bench" --trace "$trace" --meta "$meta" --out "$out" --jobs "$jobs" |
    tee "$out/table.txt"
# The same trace with the balloon speeds measured under QEMU TCG (the
# testbed's own, slower than hardware), at the capacities around the knee.
echo
echo "== --speeds tcg (balloons as fast as on the testbed under QEMU):"
"$bench" --trace "$trace" --meta "$meta" --out "$out/tcg" --jobs "$jobs" \
    --speeds tcg --capacities 48,36,32,28 --no-search --no-timing |
    tee "$out/table-tcg.txt"
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "out='$out'" "$(dirname "$0")/plot.gp"
    echo "plots: $out/shortfall.png $out/causes.png $out/series.png"
else
    echo "gnuplot not found: no plots (apt-get install gnuplot-nox)"
fi
