#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/calibrate.sh [--from-logs] [OUT]: the benchmark's calibration
# (`make calibrate`).  Boots the suites cal-pv, cal-pvh and cal-hvm on the
# testbed (run.sh; scenario s40-calibrate), then writes what they measured
# to OUT (default bench/calibration.csv), the one file the simulated host
# takes its numbers from (sim/calibration.h; bench/MODEL.md says which
# number comes from where).  --from-logs only reads out/serial-cal-*.log.
#
# One row per guest type and static-max ("measured"), and one "hardware"
# row per type: the balloon speeds divided by the emulator's slowdown (the
# same busybox awk loop timed in dom0 and on this machine), an estimate,
# since no hardware Xen host is at hand.  Columns (KiB, KiB/s, ms):
#   kernel_overhead_kib  the domain's pages less the guest's MemTotal, at
#                        256 MiB (the grown and shrunk samples agree to a
#                        page on the testbed; the script checks within 1 %)
#   xen_overhead_kib     libxl_domain_need_memory() less memory
#   grow_kib_s, shrink_kib_s  a 192 MiB balloon move, timed in the guest
#   report_ms            median delay from a 64 MiB change to the agent's
#                        report of it (4 changes)
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
from_logs=""
[ "${1:-}" = --from-logs ] && { from_logs=1; shift; }
out=${1:-$top/bench/calibration.csv}
suites=${CAL_SUITES:-cal-pv cal-pvh cal-hvm}
if [ -z "$from_logs" ]; then
    E2E_SUITES="$suites" "$here/run.sh"
fi
# the loop s40 times in dom0, here (GNU date for the nanoseconds)
# (the fastest of three: this machine may be busy with something else)
host_loop_ms=0
for _ in 1 2 3; do
    t0=$(date +%s%N)
    busybox awk 'BEGIN { for (i = 0; i < 2000000; i++) s += i; print s }' >/dev/null
    t=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$host_loop_ms" -gt 0 ] && [ "$host_loop_ms" -le "$t" ] || host_loop_ms=$t
done
[ "$host_loop_ms" -gt 0 ] || host_loop_ms=1
logs=""
for s in $suites; do
    [ -f "$here/out/serial-$s.log" ] || { echo "calibrate: no log for suite $s" >&2; exit 1; }
    logs="$logs $here/out/serial-$s.log"
done
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
qemu=$(${E2E_QEMU:-qemu-system-x86_64} --version 2>/dev/null | head -n 1 | sed 's/^QEMU emulator version //')
# shellcheck disable=SC2086
cat $logs | tr -d '\r' |
    sed -n 's/.*E2E-METRIC cal\.\([^ ]*\)$/\1/p' |
    awk -F'[.=]' -v hl="$host_loop_ms" -v commit="$commit" -v qemu="$qemu" \
        -v when="$(date -u +%Y-%m-%d)" -v cores="$(nproc)" -v suites="$suites" '
    function median(a, n,    i, j, t) {
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : int((a[n / 2] + a[n / 2 + 1]) / 2)
    }
    $1 == "info" { info[$2] = $0; sub(/^info\.[^=]*=/, "", info[$2]); if ($2 == "loop_ms") loops[++nl] = $3; next }
    {   t = $1; s = $2; k = $3; v = $NF
        if (!((t, s) in seen)) { seen[t, s] = 1; order[++n] = t SUBSEP s }
        if (k == "report_ms") r[t, s, $4] = v
        else if (NF == 5) m[t, s, k, $4] = v
        else m[t, s, k] = v
    }
    END {
        if (!n) { print "calibrate: no cal metrics in the logs" > "/dev/stderr"; exit 1 }
        slow = median(loops, nl) / hl
        printf "# SPDX-License-Identifier: GPL-2.0-or-later\n"
        printf "# balloond benchmark calibration: what the simulated host takes from the\n"
        printf "# real testbed (bench/MODEL.md). Written by tests/e2e/calibrate.sh; do not edit.\n"
        printf "# source: suites %s (scenario s40-calibrate), %s, balloond %s,\n", suites, when, commit
        printf "#   Xen %s, guest kernel Linux %s, QEMU %s TCG -cpu qemu64,+svm,+npt, %s cores;\n", info["xen"], info["kernel"], qemu, cores
        printf "#   guests booted at 256 MiB; logs tests/e2e/out/serial-cal-*.log\n"
        printf "# hardware rows: measured speeds x %.1f, the emulator slowdown (busybox awk loop:\n", slow
        printf "#   %d ms in dom0, %d ms on the machine running QEMU); an estimate, not a measurement\n", median(loops, nl), hl
        print "source,type,static_max_kib,kernel_overhead_kib,xen_overhead_kib,grow_kib_s,shrink_kib_s,report_ms"
        for (i = 1; i <= n; i++) {
            split(order[i], ts, SUBSEP); t = ts[1]; s = ts[2]
            oh = m[t, s, "cur_kib", 0] - m[t, s, "memtotal_kib", 0]
            for (j = 1; j <= 2; j++) {
                o2 = m[t, s, "cur_kib", j] - m[t, s, "memtotal_kib", j]
                if (o2 < oh * 0.99 || o2 > oh * 1.01)
                    printf "calibrate: %s %s: overhead %d at sample %d, %d at boot\n", t, s, o2, j, oh > "/dev/stderr"
            }
            gs = int(m[t, s, "grow_kib"] * 1000 / (m[t, s, "grow_ms"] ? m[t, s, "grow_ms"] : 1))
            ss = int(m[t, s, "shrink_kib"] * 1000 / (m[t, s, "shrink_ms"] ? m[t, s, "shrink_ms"] : 1))
            nr = 0; delete rr
            for (j = 1; (t, s, j) in r; j++) rr[++nr] = r[t, s, j]
            printf "measured,%s,%d,%d,%d,%d,%d,%s\n", t, s * 1024, oh, m[t, s, "need_kib"] - m[t, s, "memory_kib"], gs, ss, (nr ? median(rr, nr) : "")
            gsum[t] += gs; ssum[t] += ss; cnt[t]++
        }
        split("pv pvh hvm", types, " ")
        for (i = 1; i <= 3; i++) if ((t = types[i]) in cnt)
            printf "hardware,%s,,,,%d,%d,\n", t, gsum[t] / cnt[t] * slow, ssum[t] / cnt[t] * slow
    }' > "$out.tmp"
mv "$out.tmp" "$out"
echo "calibrate: wrote $out"
cat "$out"
