#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-suspect.sh - a guest whose report contradicts Xen (sim:hostile's
# vm-liar claims all of its 4G static-max, with heavy swapping, while it
# holds far less) is marked "suspect" in show, explain and the metrics,
# not "ok"; the honest guests stay "ok" (issue 22).
. "$(dirname "$0")/lib.inc"

start_daemon hostile
i=0
until ctl show vm-liar 2>/dev/null | grep -q ' suspect '; do
    i=$((i + 1))
    [ $i -lt 300 ] || { ctl show > "$T/out" 2>&1; fail "vm-liar never marked suspect"; }
    sleep 0.1
done
expect 0 ctl show
has "$out" "^vm-liar  *[0-9]* .* suspect "
has "$out" "^vm-honest1  *[0-9]* .* ok "
expect 0 ctl show --json vm-liar
has "$out" '"state":"suspect"'
expect 0 ctl explain vm-liar
has "$out" "^vm-liar (domid [0-9]*): target .*, state suspect$"
expect 0 ctl metrics
has "$out" 'balloond_domain_state{domid="[0-9]*",name="vm-liar",state="suspect"} 1'
echo "ctl-suspect: ok"
