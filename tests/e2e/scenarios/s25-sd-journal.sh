#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s25-sd-journal (systemd dom0): balloond's lines reach the journal with
# the priorities it gives them ("<N>" prefixes on stderr, parsed by
# journald): the start-up "ready:" line at info, s21's reload error at
# err, nothing at debug at the default log level, no prefix left in a
# message, and balloond as the identifier.
# e2e-timeout: 60
. /e2e/lib.sh
need_bins balloond
j() { journalctl -q -u $BD_UNIT --no-pager "$@" 2>/dev/null; }
n=$(j -o cat | wc -l)
note "$n journal lines for $BD_UNIT"
metric sd_journal_lines "$n"
j -p info..info -o cat | grep -q '^ready: ' || fail "no 'ready:' line at priority info"
j -p err..err -o cat | grep -q 'reload' || fail "no reload error at priority err (s21)"
j -p err..err -o cat | sed 's/^/  err: /'
d=$(j -p debug..debug -o cat | wc -l)
[ "$d" = 0 ] || { j -p debug..debug -o cat | head -n 5; fail "$d lines at debug priority"; }
raw=$(j -o cat | grep -c '^<[0-7]>')
[ "$raw" = 0 ] || fail "$raw lines keep their '<N>' prefix"
ids=$(j -o json --output-fields=SYSLOG_IDENTIFIER,_PID,_COMM 2>/dev/null |
      jq -r 'select(._COMM == "balloond") | .SYSLOG_IDENTIFIER' | sort -u | tr '\n' ' ')
[ "$ids" = "balloond " ] || fail "balloond's lines carry the identifiers '$ids'"
exit 0
