#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-set-frees.sh - `balloonctl set` frees memory for a pin the way
# `reserve` does (sim:tight: a 5G host, vm-a and vm-b both want 3G): the
# pin is taken at once, balloond shrinks the other guest within its limits,
# balloonctl waits until the target reaches the pin (or --timeout), and a
# size that could never be freed is refused at once.
. "$(dirname "$0")/lib.inc"

start_daemon tight
sleep 1
expect 0 ctl set vm-a 3G --timeout 20s
has "$out" "^vm-a: pinned at 3.00G until 'balloonctl auto'; target 3.00G"
expect 0 ctl show --json vm-b
has "$out" '"state":"ok"'
# vm-b gave memory for it, within its limits
printf '%s\n' "$out" | grep -q '"target_kib":[0-9]\{6,7\},' || fail "vm-b not shrunk: $out"
# more than could ever be freed: refused at once, nothing pinned
expect 1 ctl set vm-b 3G --force
has "$err" "at most .* can be freed without going below domain minimums"
one_line "$err"
expect 0 ctl show --json vm-b
hasnt "$out" '"state":"pinned"'
expect 2 ctl set vm-b 1G --timeout 2h
echo "$NAME: ok"
