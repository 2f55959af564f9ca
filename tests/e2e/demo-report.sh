#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo-report.sh - the end of `make demo` (real Xen or HOST=sim): a summary
# table per guest and a plot (demo.gp) from the demo's CSV.
#
# Usage: demo-report.sh CSV PNG TITLE
# The CSV (written by dom0/demo.sh via run.sh, or by demo_sim.c), one row
# per sample:
#   t_s,phase,free_kib, then per guest NAME_current_kib, NAME_target_kib,
#   NAME_used_kib (what it reports using, USED), NAME_kernel_kib (what its
#   kernel holds outside that, as balloond counts it), NAME_writes (target
#   writes so far), NAME_pressure (1 when balloond saw pressure).
set -u
csv=$1 png=$2 title=$3
here=$(cd "$(dirname "$0")" && pwd)

[ -s "$csv" ] && [ "$(wc -l < "$csv")" -gt 2 ] ||
    { echo "demo: no samples in $csv: nothing to report" >&2; exit 1; }

echo
echo "=== summary: $(tail -n 1 "$csv" | cut -d, -f1) s ==="
awk -F, '
function mib(k) { return k >= 1048576 ? sprintf("%.2fG", k / 1048576) : sprintf("%dM", k / 1024) }
NR == 1 { ng = (NF - 3) / 6; for (g = 0; g < ng; g++) { n = $(4 + 6 * g); sub(/_current_kib$/, "", n); name[g] = n }; next }
{
    dt = (NR > 2) ? $1 - t0 : 0; t0 = $1
    if (fmin == "" || $3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3
    for (g = 0; g < ng; g++) {
        c = 4 + 6 * g
        if (lo[g] == "" || $c < lo[g]) lo[g] = $c; if ($c > hi[g]) hi[g] = $c
        if (tlo[g] == "" || $(c+1) < tlo[g]) tlo[g] = $(c+1); if ($(c+1) > thi[g]) thi[g] = $(c+1)
        if ($(c+2) > uhi[g]) uhi[g] = $(c+2)
        if (NR == 2) w0[g] = $(c+4); w[g] = $(c+4)
        if (pprev[g]) press[g] += dt; pprev[g] = $(c+5)
    }
}
END {
    printf "%-6s %16s %16s %10s %7s %15s\n", "guest", "memory min..max", "target min..max", "max USED", "writes", "under pressure"
    for (g = 0; g < ng; g++)
        printf "%-6s %16s %16s %10s %7d %13ds\n", name[g], mib(lo[g]) ".." mib(hi[g]),
            mib(tlo[g]) ".." mib(thi[g]), mib(uhi[g]), w[g] - w0[g], press[g]
    printf "host free memory: %s..%s\n", mib(fmin), mib(fmax)
}' "$csv"

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "gnuplot not found: no plot (apt-get install gnuplot-nox); data: $csv"
    exit 0
fi
# Phase starts as "T NAME T NAME ...", for the plot's marks.
phases=$(awk -F, 'NR > 1 && $2 != last { printf "%s %s ", $1, $2; last = $2 }' "$csv")
guests=$(head -n 1 "$csv" | awk -F, '{ print (NF - 3) / 6 }')
if gnuplot -e "csv='$csv'; png='$png'; title='$title'; guests=$guests; phases='$phases'" \
    "$here/demo.gp"; then
    echo "plot: $png (data: $csv)"
else
    echo "demo: gnuplot failed; data: $csv" >&2
    exit 1
fi
