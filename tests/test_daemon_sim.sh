#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_daemon_sim.sh - the real balloond on the simulated host.
#
# Runs $BUILDDIR/sim/balloond-sim (balloond with the simulated host)
# --host=sim:basic for a few seconds and
# checks what an operator relies on: options and exit codes, it becomes
# ready and rebalances (log lines with sd-daemon prefixes), writes its
# metrics file, survives a SIGHUP with a broken configuration (old one kept)
# and takes a fixed one, --dry-run writes nothing, and SIGTERM stops it
# promptly with exit status 0.
set -u
B=${BUILDDIR:-build}/sim/balloond-sim
PROD=${BUILDDIR:-build}/daemon/balloond
T=$(mktemp -d /tmp/bd-sim-test.XXXXXX)
PID=
fail() { echo "FAIL: $*"; [ -f "$T/log" ] && sed 's/^/  | /' "$T/log" | tail -30; cleanup; exit 1; }
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    [ -n "${NPID:-}" ] && kill "$NPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup INT TERM

cat > "$T/ok.conf" <<EOC
[host]
interval = 1s
[control]
socket = $T/control
state-file = $T/state
metrics-file = $T/metrics
EOC
printf '[host]\ninterval = 5\nbogus = 1\n' > "$T/bad.conf"

"$B" --help > /dev/null || fail "--help"
"$B" --version | grep -q '^balloond ' || fail "--version"
"$B" --no-such-option 2>/dev/null; [ $? -eq 2 ] || fail "usage error must exit 2"
out=$("$B" --check-config "$T/ok.conf" 2>/dev/null) || fail "check-config ok"
# the files read, each key set with where, then the verdict
[ "$(echo "$out" | head -n 1)" = "read $T/ok.conf" ] || fail "check-config output: $out"
echo "$out" | grep -qx "  \[host\] interval = 1s  ($T/ok.conf:[0-9]*)" || fail "check-config shows no key: $out"
[ "$(echo "$out" | tail -n 1)" = "configuration OK" ] || fail "check-config output: $out"
out=$("$B" --check-config "$T/bad.conf" 2>/dev/null); [ $? -eq 1 ] || fail "check-config bad"
echo "$out" | grep -q "bad.conf:2" || fail "check-config must name the line: $out"
echo "$out" | grep -q "bad.conf:3" || fail "check-config must list every error"
"$B" --config "$T/ok.conf" --host=sim:nonesuch 2>/dev/null
[ $? -eq 1 ] || fail "unknown scenario must exit 1"
# The installed balloond has no simulator in it (issue 20): no bd_sim_
# symbol, and --host sim: is refused with a line naming balloond-sim.
if [ -x "$PROD" ]; then
    ! nm "$PROD" | grep -q ' bd_sim_' || fail "$PROD links the simulator"
    err=$("$PROD" --config "$T/ok.conf" --host=sim:basic 2>&1)
    [ $? -eq 1 ] || fail "balloond --host sim: must exit 1"
    echo "$err" | grep -q "balloond-sim" || fail "balloond --host sim: says: $err"
fi
"$B" --config "$T/bad.conf" --host=sim:basic 2>/dev/null
[ $? -eq 78 ] || fail "an invalid configuration at start must exit 78"

# On a terminal (run by hand) the lines come without the journal's <N>
# priority prefix; to a file or the journal with it.
if command -v script > /dev/null 2>&1; then
    out=$(script -qec "$B --config $T/bad.conf" /dev/null 2>&1)
    echo "$out" | grep -q "cannot start with an invalid configuration" ||
        fail "no error on a terminal: $out"
    if echo "$out" | grep -q '<[0-9]>'; then fail "priority prefix on a terminal: $out"; fi
fi
"$B" --config "$T/bad.conf" 2> "$T/bad.log"
grep -q '^<3>cannot start with an invalid configuration' "$T/bad.log" ||
    fail "no <3> prefix when stderr is a file: $(cat "$T/bad.log")"

# Guards: what the file alone tells, and what needs the host's memory.
printf '[domain vm-*]\nweight = 200\n[domain vm-a]\nmin = 1G\n' > "$T/shadow.conf"
out=$("$B" --check-config "$T/shadow.conf" 2>/dev/null) || fail "check-config with warnings must pass"
echo "$out" | grep -q "shadow.conf:3: warning: \[domain vm-a\] is never used" ||
    fail "check-config must warn about a shadowed section: $out"
echo "$out" | grep -q "^configuration OK, with 1 warning$" || fail "check-config summary: $out"
printf '[host]\nreserve = 100%%\n' > "$T/r100.conf"
out=$("$B" --check-config "$T/r100.conf"); [ $? -eq 1 ] || fail "reserve = 100% must fail the check"
printf '[host]\nreserve = 64G\n[control]\nsocket = %s/c64\n' "$T" > "$T/r64.conf"
"$B" --check-config "$T/r64.conf" > /dev/null 2>&1 || fail "64G is fine without a host"
# With a host, --check-config checks against its memory and domains.
out=$("$B" --check-config "$T/r64.conf" --host=sim:basic 2>&1); [ $? -eq 1 ] ||
    fail "reserve 64G on an 8G host must fail the check: $out"
echo "$out" | grep -q "error: reserve 64.00G is not below host memory 8.00G" ||
    fail "check-config must say why: $out"
printf '[host]\nreserve = 7800M\n' > "$T/r78.conf"
out=$("$B" --check-config "$T/r78.conf" --host=sim:basic 2>&1) || fail "check-config r78: $out"
echo "$out" | grep -q "warning: minimums cannot all be met" ||
    fail "check-config must warn that the minimums cannot be met: $out"
timeout 10 "$B" --config "$T/r64.conf" --host=sim:basic 2> "$T/r64.log"
[ $? -eq 78 ] || fail "reserve 64G on an 8G host must not start (exit 78)"
grep -q "reserve 64.00G is not below host memory 8.00G" "$T/r64.log" ||
    fail "the refusal must say why: $(cat "$T/r64.log")"

# Run for real, with a notify socket when python3 is there to listen.
NPID=
if command -v python3 > /dev/null 2>&1; then
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "a") as f:
    while True:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        f.write(m.replace("\n", "|") + "\n")
        f.flush()
' "$T/notify" "$T/notes" &
    NPID=$!
    i=0
    while [ ! -S "$T/notify" ]; do
        i=$((i + 1)); [ $i -gt 50 ] && fail "notify listener"; sleep 0.1
    done
    export NOTIFY_SOCKET="$T/notify"
fi
"$B" --config "$T/ok.conf" --host=sim:basic 2> "$T/log" &
PID=$!
unset NOTIFY_SOCKET
i=0
while ! grep -q 'ready' "$T/log" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 50 ] && fail "not ready after 5 s"; sleep 0.1
done
sleep 3
kill -0 $PID 2>/dev/null || fail "died"
grep -q '^<6>domain vm-a (1) found' "$T/log" || fail "no domain found line"
grep -q '^<6>domain .*: target .* -> ' "$T/log" || fail "no target written"
grep -vq '^<[0-7]>' "$T/log" && fail "a log line without sd-daemon prefix"
grep -q '^balloond_build_info{' "$T/metrics" || fail "metrics file"
grep -q 'balloond_domain_target_bytes{domid="1",name="vm-a"}' "$T/metrics" || fail "metrics content"

# A broken config on SIGHUP keeps the old one; a good one is taken.
cp "$T/bad.conf" "$T/ok.conf.new"; cp "$T/ok.conf" "$T/ok.conf.good"
mv "$T/ok.conf.new" "$T/ok.conf"
kill -HUP $PID; sleep 0.5
kill -0 $PID 2>/dev/null || fail "died on a bad reload"
grep -q 'reload failed' "$T/log" || fail "bad reload not reported"
mv "$T/ok.conf.good" "$T/ok.conf"
kill -HUP $PID; sleep 0.5
grep -q 'configuration reloaded' "$T/log" || fail "good reload not taken"

kill -TERM $PID
i=0
while kill -0 $PID 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 30 ] && fail "did not stop within 3 s of SIGTERM"; sleep 0.1
done
wait $PID; rc=$?
PID=
[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM"
grep -q 'stopping on signal 15' "$T/log" || fail "no stop line"
if [ -n "$NPID" ]; then
    kill $NPID 2>/dev/null
    grep -q '^READY=1|STATUS=.*domains managed' "$T/notes" || fail "no READY=1 with STATUS"
    grep -q '^RELOADING=1' "$T/notes" || fail "no RELOADING=1"
    grep -q '^STATUS=.*reload failed' "$T/notes" || fail "failed reload not in STATUS"
    grep -q '^STOPPING=1' "$T/notes" || fail "no STOPPING=1"
fi
[ -e "$T/control" ] && fail "control socket left behind"

# --dry-run: decides, logs, writes nothing.
"$B" --config "$T/ok.conf" --host=sim:basic --dry-run 2> "$T/log" &
PID=$!
sleep 3
kill -TERM $PID; wait $PID; PID=
grep -q 'would set target' "$T/log" || fail "dry-run logs nothing"
grep -q ': target .* -> ' "$T/log" && fail "dry-run wrote a target"

rm -rf "$T"
echo "balloond on sim:basic: ok"
exit 0
