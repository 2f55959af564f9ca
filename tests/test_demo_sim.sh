#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_demo_sim.sh - `make demo HOST=sim` tells the whole story.
#
# Runs tests/e2e/demo-sim.sh (the daemon on the simulated host, in virtual
# time) and checks its CSV and its output: guests grew under load (each
# guest's target rose well above its 256 MiB boot size, host free fell),
# memory went back when they calmed down (in the last phase host free rose
# and every target fell well below its peak), no target was ever below
# what its guest used (USED plus its kernel's share, as balloond counts
# it), and the reader saw no test-protocol line but a summary and a plot
# (or the note that gnuplot is missing).
set -u
T=$(mktemp -d /tmp/bd-demo-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; sed 's/^/  | /' "$T/out" | tail -30; exit 1; }

DEMO_OUT=$T BUILDDIR=${BUILDDIR:-build} sh tests/e2e/demo-sim.sh > "$T/out" 2>&1 ||
    fail "demo-sim.sh exited with $?"
csv=$T/demo-sim.csv
[ -s "$csv" ] || fail "no CSV"

! grep -q 'E2E' "$T/out" || fail "test-protocol lines in the demo's output"
grep -q '^=== summary' "$T/out" || fail "no summary"
grep -q '^look for: ' "$T/out" || fail "no 'look for' lines"
grep -Eq '^(plot: .*demo-sim.png|gnuplot not found)' "$T/out" || fail "no plot line"
if grep -q '^plot: ' "$T/out"; then
    [ -s "$T/demo-sim.png" ] || fail "the plot is missing"
fi

# Columns: t_s,phase,free_kib, then per guest current, target, used,
# kernel, writes, pressure (demo-report.sh).
why=$(awk -F, '
NR == 1 { ng = (NF - 3) / 6; next }
{
    if (NR == 2) free0 = $3
    if (fmin == "" || $3 < fmin) fmin = $3
    if ($2 != ph) { prev_end = last_free; ph = $2 }
    last_free = $3
    for (g = 0; g < ng; g++) {
        c = 4 + 6 * g
        if ($(c+1) > peak[g]) peak[g] = $(c+1)
        tgt[g] = $(c+1); ker[g] = $(c+3)
        if ($(c+2) > 0 && $(c+1) < $(c+2) + $(c+3)) {
            printf "t=%s: guest %d target %d KiB below its use %d + %d KiB\n", $1, g + 1, $(c+1), $(c+2), $(c+3)
            bad = 1; exit
        }
    }
}
END {
    if (bad) exit 1
    if (fmin > free0 - 300 * 1024) { print "host free never fell by 300 MiB: no growth"; exit 1 }
    for (g = 0; g < ng; g++) {
        if (peak[g] < 384 * 1024) { printf "guest %d never grew to 384 MiB (peak %d KiB)\n", g + 1, peak[g]; exit 1 }
        if (tgt[g] > peak[g] - 128 * 1024) { printf "guest %d gave nothing back (target %d KiB, peak %d KiB)\n", g + 1, tgt[g], peak[g]; exit 1 }
        if (ker[g] == 0) { printf "guest %d: no kernel share learned\n", g + 1; exit 1 }
    }
    if (last_free < prev_end + 300 * 1024) { printf "host free rose only from %d to %d KiB in the last phase\n", prev_end, last_free; exit 1 }
}' "$csv") || fail "$why"
echo "ok: the sim demo grew and gave back, never below use ($(($(wc -l < "$csv") - 1)) samples)"
