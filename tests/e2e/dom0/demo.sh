#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - `make demo` in dom0: three guests, balloond managing them, and
# the story of /e2e/demo.phases (one home for it: demo_sim.c plays the
# same file on the simulated host).  Each phase says what to look for,
# sets what each guest's memory hog asks for, applies its action (a
# balloond.conf key changed, then `balloonctl reload`), prints one line
# every few seconds and `balloonctl show` at its end.  Ends after the
# phases (about three minutes once the guests are up), or loops until
# Ctrl-C when the kernel command line says e2e.forever=1.
# Lines for the person start with "E2E-DEMO " (run.sh shows only those);
# "E2E-CSV " lines are the samples run.sh saves for demo-report.sh (the
# CSV format is described there).
. /e2e/lib.sh
EVERY=5
GUESTS="g1 g2 g3"
forever=0
grep -q 'e2e.forever=1' /proc/cmdline && forever=1

say() { echo "E2E-DEMO $*"; }

say "Xen 4.17 is up (QEMU, TCG): $(host_total_mib) MiB, Domain-0 $(xl_mem_mib Domain-0) MiB."
say "Starting three guests (256 MiB, up to 512 MiB each)..."
for g in $GUESTS; do
    if create_guest $g > /tmp/create.$g 2>&1; then
        say "  $g is up ($(xl_mem_mib $g) MiB)"
    else
        say "  $g failed to start:"; sed 's/^/E2E-DEMO     /' /tmp/create.$g
    fi
done
[ -f /guest/has-agent ] || say "balloon-agent is not built: guests report nothing"
if [ ! -x "$BALLOOND" ] || [ ! -x "$BALLOONCTL" ]; then
    say "balloond/balloonctl are not built: nothing to show"
    exit 1
fi
for g in $GUESTS; do watch_start tgt.$g "$(xs_dom $g)/memory/target" 2>/dev/null; done
# The guests' hogs keep both emulated CPUs busy: dom0, which samples and
# runs balloond, gets 4 times their weight so that samples stay on time.
xl sched-credit2 -d Domain-0 -w 1024 > /dev/null 2>&1 ||
    xl sched-credit -d Domain-0 -w 1024 > /dev/null 2>&1
# The testbed's balloond.conf with KEY=VALUE changes (lib.sh's bd_conf),
# plus a metrics file: host free as balloond saw it, read without an exec.
METRICS=/run/balloond/metrics
demo_conf() {
    bd_conf "$@"
    sed -i "s|^\[control\]\$|[control]\nmetrics-file = $METRICS|" "$BD_CONF"
}
demo_conf
if ! start_balloond; then
    say "balloond did not start:"; tail -n 20 "$BD_LOG" | sed 's/^/E2E-DEMO     /'
    exit 1
fi
say "balloond is running (balloond.conf: 1 s ticks, shrink-delay 10 s, reserve 128M)."

hdr="t_s,phase,free_kib"
for g in $GUESTS; do
    hdr="$hdr,${g}_current_kib,${g}_target_kib,${g}_used_kib,${g}_kernel_kib,${g}_writes,${g}_pressure"
done
echo "E2E-CSV $hdr"

# sample T PHASE: one CSV row and one line for the person.  One
# `balloonctl show --json` and one jq (each costs ~0.5 s under TCG).
sample() {
    _free=$(awk '$1 == "balloond_host_free_bytes" { print int($2 / 1048576) }' "$METRICS" 2>/dev/null)
    bctl show --json > /tmp/show.json 2>/dev/null
    jq -r '.domains[] | [.name, .current_kib, .target_kib, (.used_kib // 0),
        (if .used_kib then ([.current_kib - .used_kib - .available_kib, 0] | max)
         else 0 end), (if .pressure then 1 else 0 end)] | map(tostring) | @tsv' \
        /tmp/show.json > /tmp/show.tsv 2>/dev/null
    _w=""
    for g in $GUESTS; do _w="$_w $g=$(watch_count tgt.$g)"; done
    awk -F'\t' -v t="$1" -v ph="$2" -v free="${_free:-0}" -v gs="$GUESTS" -v w="$_w" '
        { cur[$1] = $2; tgt[$1] = $3; used[$1] = $4; ker[$1] = $5; pr[$1] = $6 }
        END {
            n = split(gs, g, " "); split(w, wl, " ")
            for (i in wl) { split(wl[i], kv, "="); wr[kv[1]] = kv[2] }
            row = t "," ph "," free * 1024
            line = sprintf("  t+%-4d %7s ", t, free "M")
            for (i = 1; i <= n; i++) {
                x = g[i]
                row = row "," cur[x] + 0 "," tgt[x] + 0 "," used[x] + 0 "," ker[x] + 0 "," wr[x] + 0 "," pr[x] + 0
                line = line sprintf("| %5s/%-5s %5s%s ", int(cur[x] / 1024) "M", int(tgt[x] / 1024) "M", int(used[x] / 1024) "M", pr[x] == 1 ? " !" : "  ")
            }
            print "E2E-CSV " row
            print "E2E-DEMO " line
        }' /tmp/show.tsv
}

# The line's columns (as demo_sim.c prints them); "!" marks pressure.
columns() {
    say "  time      free | g1 now/tgt   used   | g2 now/tgt   used   | g3 now/tgt   used   "
}

# begin_phase ACTION G1 G2 G3: the phase's change to balloond.conf (then
# `balloonctl reload`), and what each guest's hog asks for.
begin_phase() {
    if [ "$1" != - ]; then
        say "  \$ balloonctl reload    # balloond.conf now says ${1%%=*} = ${1#*=}"
        demo_conf "$1"
        bctl reload > /dev/null 2>&1 || say "  (reload failed: $(bctl reload 2>&1))"
    fi
    hog g1 "$2"; hog g2 "$3"; hog g3 "$4"
}

nph=$(grep -c '^[a-z]' /e2e/demo.phases)
t_start=$(now_int)
round=0
while :; do
    if [ $round -gt 0 ]; then
        demo_conf
        bctl reload > /dev/null
    fi
    i=0
    grep '^[a-z]' /e2e/demo.phases > /tmp/phases
    while read -r name secs h1 h2 h3 action look <&3; do
        i=$((i + 1))
        echo "demo-debug: phase $name starts at $(( $(now_int) - t_start ))"
        say ""
        say "=== phase $i/$nph: $name ($secs s): hogs ask g1 ${h1}M, g2 ${h2}M, g3 ${h3}M ==="
        say "look for: $look"
        columns
        p_end=$(( $(now_int) + secs ))
        first=1
        while [ $first = 1 ] || [ "$(now_int)" -lt $p_end ]; do
            t0=$(now_int)
            sample $(( t0 - t_start )) "$name"
            if [ $first = 1 ]; then
                # The phase acts right after its first sample: the plot's
                # phase marks fall where things begin to change.
                first=0
                begin_phase "$action" "$h1" "$h2" "$h3"
            fi
            left=$(( EVERY - ($(now_int) - t0) ))
            # For the serial log only: what a sample costs.
            echo "demo-debug: sample at $(( t0 - t_start )) took $(( EVERY - left )) s"
            [ $left -gt 0 ] && sleep $left
        done
        say "  \$ balloonctl show"
        bctl show 2>&1 | sed 's/^/E2E-DEMO /'
    done 3< /tmp/phases
    round=$((round + 1))
    [ $forever = 1 ] || break
done
say ""
say "balloond: $(bd_log_lines) log lines, $(grep -c '^<[0-3]>' "$BD_LOG") errors"
tail -n 40 "$BD_LOG" | sed 's/^/demo-debug: balloond: /'
