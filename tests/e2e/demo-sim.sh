#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo-sim.sh - `make demo HOST=sim`: the demo's story (dom0/demo.phases)
# on a simulated host shaped like the e2e testbed, told by the real daemon
# in virtual time (demo_sim.c): minutes of the story in about a second, the
# same on every run, with no Xen, no QEMU and no root.  Ends with the
# summary and the plot (demo-report.sh).
#
# Environment: BUILDDIR (where demo-sim was built), DEMO_OUT (where the
# CSV and the PNG go; default tests/e2e/out).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILDDIR:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
bin=$build/tests/e2e/demo-sim
out=${DEMO_OUT:-$here/out}

[ -x "$bin" ] || { echo "demo: $bin is not built (make $bin)" >&2; exit 1; }
mkdir -p "$out" || exit 1
tmp=$(mktemp -d /tmp/balloond-demo.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The testbed's configuration, with its files kept out of /var and /run.
sed -e "s|^socket = .*|socket = $tmp/control|" \
    -e "s|^state-file = .*|state-file = $tmp/state|" \
    "$here/dom0/balloond.conf" > "$tmp/balloond.conf"
"$bin" "$tmp/balloond.conf" "$here/dom0/demo.phases" "$out/demo-sim.csv" ||
    exit 1
sh "$here/demo-report.sh" "$out/demo-sim.csv" "$out/demo-sim.png" \
    "balloond on the simulated host (make demo HOST=sim): the story of tests/e2e/dom0/demo.phases"
