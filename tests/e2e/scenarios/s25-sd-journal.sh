#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s25-sd-journal (systemd dom0): balloond's lines reach the journal with
# the priorities it gives them ("<N>" prefixes on stderr, parsed by
# journald): the start-up "ready:" line at info, s21's reload error at
# err, nothing at debug at the default log level, no prefix left in a
# message, and balloond as the identifier; a domain's lines carry
# DOMAIN=, DOMID=, BALLOOND_EVENT= and, for a target change, MESSAGE_ID=.
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
# one domain's history: journalctl -u balloond DOMAIN=g1 (sd_journal_send
# fields), its target changes by BALLOOND_EVENT and MESSAGE_ID
n=$(j DOMAIN=g1 -o cat | wc -l)
[ "$n" -gt 0 ] || fail "no journal line with DOMAIN=g1"
doms=$(j DOMAIN=g1 -o json --output-fields=DOMAIN,DOMID | jq -r '.DOMAIN' | sort -u | tr '\n' ' ')
[ "$doms" = "g1 " ] || fail "DOMAIN=g1 gave lines of '$doms'"
j DOMAIN=g1 -o cat | grep -v 'g1' | head -n 3 | grep -q . && fail "DOMAIN=g1 lines that do not name g1: $(j DOMAIN=g1 -o cat | grep -v g1 | head -n 3)"
j DOMAIN=g1 BALLOOND_EVENT=target -o cat | grep -q '^domain g1 ([0-9]*): target .* -> ' ||
    fail "no target change of g1 under BALLOOND_EVENT=target: $(j DOMAIN=g1 -o cat | tail -n 3)"
j MESSAGE_ID=0e1e77ec99e84e81ad492af2e5fe3f00 DOMAIN=g1 -o cat | grep -q 'target' ||
    fail "no target change of g1 under its MESSAGE_ID"
j DOMAIN=g1 BALLOOND_EVENT=found -o cat | grep -q 'found' || fail "g1's 'found' line has no BALLOOND_EVENT=found"
note "DOMAIN=g1: $n lines, $(j DOMAIN=g1 BALLOOND_EVENT=target -o cat | wc -l) target changes"
exit 0
