#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_agent.sh - balloon-agent as a program: --once on the recorded /proc
# files, exit codes, and the daemon loop against the fake xenstored of
# test_agent_xs (--serve): reports written, xenstore missing at start
# (one log line, backoff, then reports), sequence continued by a restarted
# agent, clean exit on SIGTERM and SIGINT, detaching.
# Run from the top of the source tree with BUILDDIR set (make check does).
set -u

B=${BUILDDIR:-build}
AGENT=$B/agent/balloon-agent
FAKE=$B/tests/test_agent_xs
D=tests/data/proc
T=$(mktemp -d /tmp/bd-agent-sh.XXXXXX)
SOCK=$T/xenstored
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "test_agent.sh: FAIL: $*" >&2
    exit 1
}

# has FILE LINE: FILE contains exactly this line
has() {
    grep -qxF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "no line '$2' in $1"; }
}
hasnt() {
    ! grep -q -- "$2" "$1" || { cat "$1" >&2; fail "'$2' in $1"; }
}

# wait_for N CMD...: retry CMD for up to N tenths of a second
wait_for() {
    n=$1; shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

start_fake() {
    rm -f "$SOCK"
    "$FAKE" --serve "$SOCK" >"$1" &
    FAKE_PID=$!
    PIDS="$PIDS $FAKE_PID"
    wait_for 50 test -S "$SOCK" || fail "fake xenstored did not start"
}

stop_fake() {
    kill -TERM "$FAKE_PID"
    wait "$FAKE_PID" || fail "fake xenstored exit status"
}

stat_of() {
    sed -n "s/^stat $2 //p" "$1"
}

# ---- --once -----------------------------------------------------------------
"$AGENT" --once --interval 100ms --proc $D/swapping >"$T/once" 2>"$T/err" ||
    fail "--once swapping: exit $?"
has "$T/once" "data/balloon/mem-total 1015808"
has "$T/once" "data/balloon/mem-available 40960"
has "$T/once" "data/balloon/swap-total 1048572"
has "$T/once" "data/balloon/swap-free 612000"
has "$T/once" "data/balloon/swapin-rate 0"
has "$T/once" "data/balloon/swapout-rate 0"
has "$T/once" "data/balloon/majflt-rate 0"
has "$T/once" "data/balloon/psi-some 2345"
has "$T/once" "data/balloon/psi-full 1203"
has "$T/once" "data/meminfo_total 1015808"
has "$T/once" "data/meminfo_free 40960"
has "$T/once" "data/balloon/seq 1"
[ "$(wc -l <"$T/once")" -eq 12 ] || fail "--once: $(wc -l <"$T/once") lines"
[ ! -s "$T/err" ] || fail "--once wrote to stderr"

"$AGENT" --once --interval 100ms --proc $D/no-psi >"$T/once" || fail "no-psi"
hasnt "$T/once" psi
has "$T/once" "data/balloon/mem-total 24683620"

"$AGENT" --once --interval 100ms --proc $D/old-kernel >"$T/once" || fail "old"
has "$T/once" "data/balloon/mem-available 24074916"
has "$T/once" "data/meminfo_free 24074916"

# meminfo damaged: nothing to report, exit 1.
for v in truncated huge garbage; do
    "$AGENT" --once --interval 100ms --proc $D/$v >"$T/once" 2>"$T/err"
    [ $? -eq 1 ] || fail "--once $v: want exit 1"
    [ ! -s "$T/once" ] || fail "--once $v printed a report"
    grep -q "meminfo" "$T/err" || fail "--once $v: no error message"
done
"$AGENT" --once --proc /nonexistent 2>"$T/err"
[ $? -eq 1 ] || fail "--once on a missing dir: want exit 1"

# ---- exit codes -------------------------------------------------------------
for args in "--interval 5" "--bogus" "extra" "--threshold 200" \
    "--heartbeat 1s --interval 2s"; do
    # shellcheck disable=SC2086
    "$AGENT" $args >/dev/null 2>"$T/err"
    [ $? -eq 2 ] || fail "'$args': want exit 2"
    grep -q "^balloon-agent: " "$T/err" || fail "'$args': no message"
done
"$AGENT" --help >"$T/out" || fail "--help exit"
grep -q -- "--once" "$T/out" || fail "--help text"
"$AGENT" --version >"$T/out" || fail "--version exit"
grep -q "^balloon-agent [0-9]" "$T/out" || fail "--version text"

# ---- the loop against a fake xenstored --------------------------------------
start_fake "$T/store1"
XENSTORED_PATH=$SOCK "$AGENT" -f -v --interval 100ms --heartbeat 1s \
    --proc $D/swapping 2>"$T/log1" &
A=$!
PIDS="$PIDS $A"
sleep 2.4
kill -TERM $A
wait $A || fail "agent exit status on SIGTERM: $?"
stop_fake
has "$T/store1" "data/balloon/mem-total 1015808"
has "$T/store1" "data/balloon/psi-some 2345"
has "$T/store1" "data/meminfo_free 40960"
has "$T/store1" "control/feature-balloon 1"
has "$T/store1" "stat last-write data/balloon/seq"
c=$(stat_of "$T/store1" commits)
# initial report at 0.9 s (rates need 90% of a second), heartbeat at 1.9 s
[ "$c" -eq 2 ] || fail "want 2 reports in 2.4 s, got $c"
has "$T/store1" "data/balloon/seq 2"
grep -q "report 1 (initial)" "$T/log1" || fail "no initial report logged"
grep -q "report 2 (heartbeat)" "$T/log1" || fail "no heartbeat logged"
grep -q "exiting after 2 reports" "$T/log1" || fail "no exit message"

# A restored domain's tree is fresh: the keys are gone, and the agent
# writes them again at its next sample, not a heartbeat (60 s) later.
start_fake "$T/store3"
XENSTORED_PATH=$SOCK "$AGENT" -f -v --interval 100ms --heartbeat 60s \
    --proc $D/swapping 2>"$T/log3" &
A=$!
PIDS="$PIDS $A"
wait_for 30 grep -q "report 1 (initial)" "$T/log3" || fail "no first report"
kill -USR1 "$FAKE_PID"
wait_for 30 grep -q "report 2 (initial)" "$T/log3" ||
    fail "keys gone, no report within 3 s: $(cat "$T/log3")"
kill -TERM $A
wait $A || fail "agent exit status on SIGTERM: $?"
stop_fake
grep -q "data/balloon/seq is gone" "$T/log3" || fail "the loss is not logged"
has "$T/store3" "data/balloon/mem-total 1015808"
has "$T/store3" "control/feature-balloon 1"
has "$T/store3" "data/balloon/seq 2"

# xenstore missing at start: one warning, then it connects once it is
# there, and a restarted agent continues the sequence (from the store).
rm -f "$SOCK"
XENSTORED_PATH=$SOCK "$AGENT" -f --interval 100ms --heartbeat 1s \
    --proc $D/swapping 2>"$T/log2" &
A=$!
PIDS="$PIDS $A"
sleep 2.5
[ "$(grep -c 'xenstore unavailable' "$T/log2")" -eq 1 ] ||
    fail "want exactly one 'unavailable' line: $(cat "$T/log2")"
start_fake "$T/store2"
# backoff: attempts at 0.1, 1.1, 3.1, 7.1 s
wait_for 80 grep -q "xenstore connected" "$T/log2" ||
    fail "agent did not connect: $(cat "$T/log2")"
kill -INT $A
wait $A || fail "agent exit status on SIGINT: $?"
XENSTORED_PATH=$SOCK "$AGENT" -f --interval 100ms --proc $D/swapping \
    2>"$T/log3" &
A=$!
PIDS="$PIDS $A"
sleep 1.5
kill -TERM $A
wait $A || fail "second agent exit status"
stop_fake
seq=$(sed -n 's/^data\/balloon\/seq //p' "$T/store2")
[ "$seq" -ge 2 ] || fail "sequence not continued: seq $seq"
[ "$(stat_of "$T/store2" conns)" -eq 2 ] || fail "want 2 connections"

# data/ not writable: the report fails; the agent says so once and backs
# off (connections at about 0.9, 1.9, 3.9 s), it does not spin.
BD_FAKE_XS_DENY=data/ start_fake "$T/store4"
XENSTORED_PATH=$SOCK "$AGENT" -f --interval 100ms --proc $D/swapping \
    2>"$T/log4" &
A=$!
PIDS="$PIDS $A"
sleep 4.5
kill -TERM $A
wait $A || fail "agent exit status after write failures"
stop_fake
[ "$(grep -c 'xenstore write failed: Permission denied' "$T/log4")" -eq 1 ] ||
    fail "want one write failure line: $(cat "$T/log4")"
n=$(stat_of "$T/store4" conns)
if [ "$n" -lt 2 ] || [ "$n" -gt 4 ]; then
    fail "want 2..4 connections, got $n"
fi
[ "$(stat_of "$T/store4" commits)" -eq 0 ] || fail "commits despite EACCES"
[ "$(stat_of "$T/store4" aborts)" -eq "$n" ] || fail "want one abort per try"

# Detached (no -f): the parent exits 0 at once, the daemon keeps running.
mkdir -p "$T/detach/pressure"
cp $D/real/meminfo $D/real/vmstat "$T/detach/"
XENSTORED_PATH=$T/none "$AGENT" --proc "$T/detach" >/dev/null 2>&1 ||
    fail "detaching: parent exit status"
daemon=""
for c in /proc/[0-9]*/cmdline; do
    if { tr '\0' ' ' <"$c"; } 2>/dev/null | grep -q -- "--proc $T/detach"; then
        daemon=${c#/proc/}
        daemon=${daemon%/cmdline}
    fi
done
[ -n "$daemon" ] || fail "no detached agent found"
PIDS="$PIDS $daemon"
kill -TERM "$daemon"
# gone, or a zombie waiting for a reaper
gone() {
    [ ! -e "/proc/$1/stat" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat")" = Z ]
}
wait_for 30 gone "$daemon" || fail "daemon did not exit"

echo "test_agent.sh: ok"
