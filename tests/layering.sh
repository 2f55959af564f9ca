#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# layering.sh - calls and includes go one way (daemon/README).
#
# Design: two graphs between files:
#   includes - from every #include "..." of the project's sources, file to
#              file (daemon/cycle.c -> daemon/cycle.h);
#   calls    - from the built objects, each named by its source without
#              the .c: A calls B when A's object has an undefined symbol
#              that B's object defines (nm).
# Both must be free of circles (tsort finds them), and every edge must go
# from a room to a room it may use (the table below, from daemon/README).
# Then it plants a circle and two wrong-way edges in the real graph and
# checks that each is caught (so the check itself cannot rot).
#
#   sh tests/layering.sh        (BUILDDIR: where the objects were built)
set -u
BUILDDIR=${BUILDDIR:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The room of a node: daemon/<room>/ for the daemon's rooms, daemon for
# its top, daemon/main for the loop and main (which drive the control
# socket as well as the cycle), else the first path element (common, sim, cli, agent, ...).
room() {
    case "$1" in
    daemon/loop* | daemon/main*) echo daemon/main ;;
    daemon/*/*) echo "${1%/*}" ;;
    daemon/*) echo daemon ;;
    *) echo "${1%%/*}" ;;
    esac
}

# What each room may include and call, besides itself.
may_use() {
    case "$1" in
    common) echo "" ;;
    daemon/base) echo "common" ;;
    daemon/policy) echo "common" ;;
    daemon/config) echo "common daemon/base daemon/policy" ;;
    daemon/host) echo "common daemon/base daemon/policy" ;;
    daemon) echo "common daemon/base daemon/policy daemon/config daemon/host" ;;
    daemon/control) echo "common daemon/base daemon/policy daemon/config daemon/host daemon" ;;
    daemon/main) echo "common daemon/base daemon/policy daemon/config daemon/host daemon daemon/control" ;;
    agent) echo "common" ;;
    cli) echo "common" ;;
    sim) echo "common agent daemon/base daemon/policy daemon/config daemon/host daemon" ;;
    bench) echo "common agent sim daemon/base daemon/policy daemon/config daemon/host daemon" ;;
    *) echo "*" ;; # tests may use anything
    esac
}

sources() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files '*.c' '*.h'
    else
        find . -name '*.[ch]' ! -path './build*' | sed 's|^\./||'
    fi
}

include_edges() {
    for f in $(sources); do
        sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" |
            while read -r h; do echo "$f $h"; done
    done | awk '$1 != $2' |
        # a header the build generates (sim/calibration.c's table from
        # bench/calibration.csv) is data, not a room
        grep -v ' calibration_data\.h$' | sort -u
}

call_edges() {
    objs=$(find "$BUILDDIR/daemon" "$BUILDDIR/common" "$BUILDDIR/sim" \
        "$BUILDDIR/agent" "$BUILDDIR/cli" "$BUILDDIR/bench" \
        -name '*.o' 2>/dev/null)
    [ -n "$objs" ] || { echo "layering: no objects in $BUILDDIR" >&2; exit 1; }
    # Only objects of sources that exist (a build dir may hold stale ones).
    objs=$(for o in $objs; do
        n=${o#"$BUILDDIR"/}
        [ -f "${n%.o}.c" ] && echo "$o"; done)
    for o in $objs; do
        n=${o#"$BUILDDIR"/}
        nm -P --defined-only "$o" |
            awk -v f="${n%.o}" '$2 ~ /^[TDBRCV]$/ {print $1, f}'
    done | sort | awk '!seen[$1]++' > "$T/defs"
    for o in $objs; do
        n=${o#"$BUILDDIR"/}
        nm -P -u "$o" | awk -v f="${n%.o}" '{print $1, f}'
    done | sort > "$T/uses"
    join "$T/uses" "$T/defs" | awk '$2 != $3 {print $2, $3}' | sort -u
}

# check KIND FILE: 0 when FILE's edges have no circle and go the right way.
check() {
    bad=0
    if ! tsort "$2" > /dev/null 2> "$T/loop"; then
        echo "layering: $1 circle:" $(sed -n 's/^tsort: \([^ ]*\)$/\1/p' "$T/loop")
        bad=1
    fi
    while read -r a b; do
        ra=$(room "$a"); rb=$(room "$b")
        [ "$ra" = "$rb" ] && continue
        ok=$(may_use "$ra")
        [ "$ok" = "*" ] && continue
        case " $ok " in *" $rb "*) continue ;; esac
        echo "layering: $1 $a -> $b: $ra may not use $rb"
        bad=1
    done < "$2"
    return $bad
}

include_edges > "$T/inc"
call_edges > "$T/call"

self_test() {
    fail=0
    cp "$T/call" "$T/c1"; echo "daemon/cycle daemon/loop" >> "$T/c1"
    check calls "$T/c1" > /dev/null && { echo "self-test: planted circle not caught"; fail=1; }
    cp "$T/inc" "$T/c2"; echo "daemon/policy/policy.c daemon/cycle.h" >> "$T/c2"
    check includes "$T/c2" > /dev/null && { echo "self-test: policy -> cycle not caught"; fail=1; }
    cp "$T/call" "$T/c3"; echo "daemon/cycle daemon/control/handlers" >> "$T/c3"
    check calls "$T/c3" > /dev/null && { echo "self-test: cycle -> control not caught"; fail=1; }
    [ $fail = 0 ] && echo "ok: layering self-test (a planted circle and two wrong-way edges caught)"
    return $fail
}

rc=0
check includes "$T/inc" || rc=1
check calls "$T/call" || rc=1
[ $rc = 0 ] && echo "ok: no include or call circles, every edge one way" \
    "($(wc -l < "$T/inc") includes, $(wc -l < "$T/call") calls)"
self_test || rc=1
exit $rc
