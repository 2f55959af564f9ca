#!/bin/sh
# demo.sh - `make demo` in dom0: three guests with workloads that change
# every phase, balloond managing them, and a `balloonctl show` table every
# few seconds so a person can watch memory move where it is needed.  Ends
# with a summary after the phases (about four minutes with guest start), or
# loops until Ctrl-C when the kernel command line says e2e.forever=1.
# Every line meant for the person starts with "E2E-DEMO " (run.sh shows
# only those).
. /e2e/lib.sh
EVERY=5
PHASE_S=35
forever=0
grep -q 'e2e.forever=1' /proc/cmdline && forever=1

say() { echo "E2E-DEMO $*"; }

say "Xen 4.17 is up (QEMU, TCG).  Starting three guests (256 of 512 MiB each)..."
for g in g1 g2 g3; do
    if create_guest $g > /tmp/create.$g 2>&1; then
        say "  $g is up ($(xl_mem_mib $g) MiB)"
    else
        say "  $g failed to start:"; sed 's/^/E2E-DEMO     /' /tmp/create.$g
    fi
done
have_bd=0
if [ -x "$BALLOOND" ] && [ -x "$BALLOONCTL" ]; then
    start_balloond && have_bd=1
    [ $have_bd = 1 ] || { say "balloond did not start:"; tail -n 20 "$BD_LOG" | sed 's/^/E2E-DEMO     /'; }
else
    say "balloond/balloonctl are not built: showing xl list only"
fi
[ -f /guest/has-agent ] || say "balloon-agent is not built: guests report nothing"
for g in g1 g2 g3; do watch_start tgt.$g "$(xs_dom $g)/memory/target" 2>/dev/null; done

# Workload phases: MiB each guest's hog asks for (it takes memory only as
# the guest has it to spare, like a real program would wait for it).
PHASES="
g1-busy:240:0:0
g2-busy:0:300:0
all-moderate:100:100:100
g3-busy:0:40:320
calm:0:0:0
"
table() {
    if [ $have_bd = 1 ]; then
        bctl show 2>&1 | sed 's/^/E2E-DEMO   /'
    else
        xl list 2>&1 | sed 's/^/E2E-DEMO   /'
    fi
}
t_start=$(now_int)
minmax=/tmp/demo.minmax
: > $minmax
round=0
while :; do
    for ph in $PHASES; do
        name=${ph%%:*} rest=${ph#*:}
        h1=${rest%%:*} rest=${rest#*:}
        h2=${rest%%:*} h3=${rest#*:}
        hog g1 $h1; hog g2 $h2; hog g3 $h3
        say ""
        say "=== phase $name: hogs ask g1 ${h1}M, g2 ${h2}M, g3 ${h3}M ==="
        p_end=$(( $(now_int) + PHASE_S ))
        while [ "$(now_int)" -lt $p_end ]; do
            xl_snap
            say "--- t+$(( $(now_int) - t_start ))s  host free $(host_free_mib) MiB;" \
                "hogs hold g1 $(hog_have g1)M g2 $(hog_have g2)M g3 $(hog_have g3)M"
            for g in g1 g2 g3; do echo "$g $(xm $g)" >> $minmax; done
            table
            sleep $EVERY
        done
    done
    round=$((round + 1))
    [ $forever = 1 ] || break
done

say ""
say "=== summary after $(( $(now_int) - t_start ))s ==="
for g in g1 g2 g3; do
    awk -v g=$g '$1 == g && $2 != "" { if (lo == "" || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
        END { printf "E2E-DEMO   %s: memory ranged %s..%s MiB\n", g, lo, hi }' $minmax
    say "      memory/target written $(watch_count tgt.$g) times"
done
if [ $have_bd = 1 ]; then
    bctl status 2>&1 | sed 's/^/E2E-DEMO   /'
    say "  balloond log: $(bd_log_lines) lines, $(grep -c '^<[0-3]>' "$BD_LOG") errors"
fi
