#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# promcheck.sh - balloond's metrics as Prometheus reads them.
#
# Runs the real balloond on the simulated host with a metrics-file, then
# holds what it writes to Debian's own tools: `promtool check metrics`
# (HELP and TYPE on every family, naming), node_exporter's textfile
# collector (the file is read without error and its families are typed,
# not "untyped"), the shipped alert rules (`promtool check rules` and the
# unit tests of `promtool test rules`), and that every balloond_* name the
# rules and the Grafana dashboard use is one the daemon exports.
# Needs the prometheus and prometheus-node-exporter packages (make deps).
set -u
BUILDDIR=${BUILDDIR:-build}
B=$BUILDDIR/sim/balloond-sim
C=$BUILDDIR/cli/balloonctl
NE=${NODE_EXPORTER:-prometheus-node-exporter}
T=$(mktemp -d /tmp/bd-promcheck.XXXXXX)
PID= NEPID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    [ -n "$NEPID" ] && kill "$NEPID" 2>/dev/null
    rm -rf "$T"
}
fail() { echo "FAIL: promcheck: $*"; [ -f "$T/log" ] && tail -20 "$T/log"; cleanup; exit 1; }
trap cleanup INT TERM

for tool in promtool "$NE" curl python3; do
    command -v "$tool" > /dev/null 2>&1 ||
        fail "$tool is missing: run make deps (packages prometheus, prometheus-node-exporter)"
done

mkdir "$T/textfile"
cat > "$T/bd.conf" <<EOC
[host]
interval = 1s
[control]
socket = $T/control
state-file = $T/state
metrics-file = $T/textfile/balloond.prom
EOC
"$B" --config "$T/bd.conf" --host=sim:basic 2> "$T/log" &
PID=$!
i=0
while ! grep -q 'target .* -> ' "$T/log" 2>/dev/null || [ ! -s "$T/textfile/balloond.prom" ]; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "no metrics file after 10 s"; sleep 0.1
done
sleep 1.5

# 1. promtool: no problem at all, in the file and over the socket.
out=$(promtool check metrics < "$T/textfile/balloond.prom" 2>&1) ||
    fail "promtool check metrics (file): $out"
[ -z "$out" ] || fail "promtool check metrics (file) complains: $out"
"$C" --socket "$T/control" metrics > "$T/socket.prom" || fail "balloonctl metrics"
out=$(promtool check metrics < "$T/socket.prom" 2>&1) ||
    fail "promtool check metrics (balloonctl metrics): $out"
[ -z "$out" ] || fail "promtool check metrics (socket) complains: $out"

# 2. node_exporter's textfile collector reads it, typed.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$NE" --collector.disable-defaults --collector.textfile \
      --collector.textfile.directory="$T/textfile" \
      --web.listen-address="127.0.0.1:$port" 2> "$T/ne.log" &
NEPID=$!
i=0
while ! curl -sf "http://127.0.0.1:$port/metrics" > "$T/scrape" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "node_exporter does not answer: $(tail -3 "$T/ne.log")"
    sleep 0.1
done
grep -q '^node_textfile_scrape_error 0$' "$T/scrape" ||
    fail "node_exporter could not read the file: $(grep -i balloond "$T/ne.log" | tail -3)"
grep -q '^# TYPE balloond_rebalances_total counter$' "$T/scrape" ||
    fail "counters are not typed through node_exporter"
grep -q '^# TYPE balloond_domain_target_bytes gauge$' "$T/scrape" ||
    fail "gauges are not typed through node_exporter"
grep -q '^# TYPE balloond_.* untyped$' "$T/scrape" &&
    fail "untyped through node_exporter: $(grep '^# TYPE balloond_.* untyped' "$T/scrape")"
grep -q '^balloond_domain_target_bytes{domid="1",name="vm-a"} [1-9]' "$T/scrape" ||
    fail "no domain sample through node_exporter"

# 3. The alert rules: valid, and they fire as their unit tests say.
R=contrib/prometheus
out=$(promtool check rules "$R/balloond.rules.yml" 2>&1) || fail "check rules: $out"
out=$(cd "$R" && promtool test rules balloond.rules.test.yml 2>&1) ||
    fail "test rules: $out"

# 4. The dashboard is JSON, and rules and dashboard use only names the
#    daemon exports.
python3 -m json.tool contrib/grafana/balloond.json > /dev/null || fail "dashboard JSON"
for n in $(grep -oh 'balloond_[a-z_]*' "$R/balloond.rules.yml" contrib/grafana/balloond.json | sort -u); do
    grep -q "^# TYPE $n " "$T/textfile/balloond.prom" || fail "$n is used but not exported"
done

cleanup
echo "promcheck: ok"
