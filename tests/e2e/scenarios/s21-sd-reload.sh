#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s21-sd-reload (systemd dom0): `systemctl reload balloond` (the unit's
# ExecReload runs `balloonctl reload`, which waits for the answer) with a
# broken configuration that also changes the weights: the reload fails
# (systemctl exits non-zero, the reason in the journal), balloond keeps
# running (same main PID, active/running) with the old configuration (g1's
# weight unchanged) and says why: a journal line at priority err, its
# STATUS= line and `balloonctl status`.  Then the same change without the
# error: the reload succeeds, applied, the error gone from STATUS=.
# e2e-timeout: 100
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond
restore() { bd_conf; systemctl reload $BD_UNIT >/dev/null 2>&1; }
trap restore EXIT
active_running() { [ "$(sd_prop ActiveState)/$(sd_prop SubState)" = active/running ]; }

pid0=$(bd_pid)
w0=$(bd_field g1 weight)
[ -n "$w0" ] && [ "$w0" != 150 ] || fail "g1's weight is '$w0' before the test"
c=$(sd_cursor)
bd_conf weight=150 shrink-delay=banana
if systemctl reload $BD_UNIT > /tmp/reload.out 2>&1; then
    fail "systemctl reload of a refused configuration succeeded"
fi
sed 's/^/  systemctl: /' /tmp/reload.out
reason_logged() { sd_journal_since "$c" -o cat | grep -q 'balloonctl: reload.*shrink-delay'; }
wait_until 10 reason_logged || fail "the journal does not say why the reload failed: $(sd_journal_since "$c" -o cat | tail -n 5)"
err_logged() { sd_journal_since "$c" -p err -o cat | grep -q .; }
wait_until 20 err_logged || fail "no journal line at priority err after the broken reload"
sd_journal_since "$c" -p err -o cat | sed 's/^/  err: /'
wait_until 10 active_running || fail "after the broken reload: $(sd_prop ActiveState)/$(sd_prop SubState)"
[ "$(bd_pid)" = "$pid0" ] || fail "main PID changed: $pid0 -> $(bd_pid)"
st=$(sd_prop StatusText)
note "STATUS: $st"
case $st in *"reload failed"*) ;; *) fail "STATUS= does not name the failed reload" ;; esac
bctl status > /tmp/status.txt 2>&1 || fail "balloonctl status failed: $(cat /tmp/status.txt)"
grep -q 'reload failed' /tmp/status.txt || fail "balloonctl status does not name the failed reload: $(cat /tmp/status.txt)"
[ "$(bd_field g1 weight)" = "$w0" ] || fail "the broken configuration was applied in part: g1 weight $(bd_field g1 weight)"

c=$(sd_cursor)
bd_conf weight=150
systemctl reload $BD_UNIT || fail "systemctl reload (good config) returned $?"
applied() { [ "$(bd_field g1 weight)" = 150 ]; }
wait_until 20 applied || fail "the good configuration was not applied: g1 weight $(bd_field g1 weight)"
wait_until 10 active_running || fail "after the good reload: $(sd_prop ActiveState)/$(sd_prop SubState)"
[ "$(bd_pid)" = "$pid0" ] || fail "main PID changed: $pid0 -> $(bd_pid)"
# STATUS= is the present state; `balloonctl status` keeps the failure as
# its "last error" (the newest error, not a current one).
case $(sd_prop StatusText) in *"reload failed"*) fail "STATUS= still names a failed reload: $(sd_prop StatusText)" ;; esac
[ -z "$(sd_journal_since "$c" -p err -o cat)" ] || fail "the good reload logged errors: $(sd_journal_since "$c" -p err -o cat)"
sd_journal_since "$c" -o cat | sed 's/^/  log: /'
exit 0
