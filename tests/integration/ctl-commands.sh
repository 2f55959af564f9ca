#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-commands.sh - every balloonctl command against the real balloond on
# the simulated host (sim:basic: Domain-0 + vm-a, vm-b, vm-c, 8G host),
# with the exit codes and messages balloonctl(8) promises.
. "$(dirname "$0")/lib.inc"

start_daemon basic

# ---- status / show ----
expect 0 ctl status
has "$out" "^balloond "
has "$out" "host: *sim:basic"
has "$out" "domains: *4 (3 managed)"
expect 0 ctl status --json
has "$out" '"host_total_kib":8388608'
hasnt "$out" '"ok"'

expect 0 ctl show
has "$out" "^NAME  *ID  *CURRENT  *TARGET  *USED  *STATE  *REASON"
has "$out" "^vm-a  *1 "
has "$out" "^Domain-0  *0 .* ignored "
[ "$(printf '%s\n' "$out" | wc -l)" -eq 5 ] || fail "show: expected 5 lines"
# like xl list: 80 columns unless --wide
printf '%s\n' "$out" | awk 'length > 80 { exit 1 }' || fail "show is wider than 80 columns"
expect 0 ctl show --wide
has "$out" "^NAME  *ID  *CURRENT  *TARGET  *MIN  *MAX  *USED  *AVAIL  *OVH  *FROM  *WEIGHT  *MODE"
has "$out" "^Domain-0  *0 .* ignore "
# the kernel overhead counted with a guest's use, and where it comes from
wait_reports
expect 0 ctl show --wide
has "$out" "^vm-a  *1 .* [0-9.]*[KMG]*  *lrn  *[0-9]"
expect 0 ctl show --json vm-a
has "$out" '"overhead_kib":[0-9][0-9]*,"overhead_source":"learned"'
expect 0 ctl show --sort name
[ "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)" = Domain-0 ] || fail "--sort name"
expect 0 ctl show --sort id
[ "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)" = Domain-0 ] || fail "--sort id"
expect 2 ctl show --sort weight
has "$err" "--sort 'weight' must be id, name"
# The refused option is named as given, also inside a group of short ones.
expect 2 ctl status -qZ
has "$err" "unknown option '-Z'"
expect 2 ctl status --bogus
has "$err" "unknown option '--bogus'"
expect 2 ctl reserve 1G -t
has "$err" "option '-t' needs a value"
expect 0 ctl list
[ "$(printf '%s\n' "$out" | wc -l)" -eq 5 ] || fail "list: expected 5 lines"
expect 0 ctl show vm-b 3
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "show vm-b 3: 3 lines"
has "$out" "^vm-b  *2 "
has "$out" "^vm-c  *3 "
expect 0 ctl show --json vm-a
has "$out" '^{"domains":\[{"domid":1,"name":"vm-a","current_kib":[0-9]*,"target_kib":[0-9]*'
has "$out" '"static_max_kib":4194304'
hasnt "$out" '"version"'
expect 1 ctl show nosuch
has "$err" "no domain named 'nosuch'"
one_line "$err"
# --json: a failure is a JSON object on stdout as well
expect 1 ctl show --json nosuch
has "$out" '^{"version":1,"ok":false,"error":"no domain named '"'"'nosuch'"'"'"}$'
has "$err" "no domain named 'nosuch'"
expect 3 ctl --socket "$T/none" status --json
has "$out" '^{"version":1,"ok":false,"error":".*'

# ---- explain ----
expect 0 ctl explain vm-a
has "$out" "^vm-a (domid 1): target "
has "$out" "^  + kernel overhead "
has "$out" "^  = use counted "
has "$out" "^target changes (oldest first):"
# the terms add up to the planned target, each step (issue 22)
printf '%s\n' "$out" | awk '
    function kib(s, n, u) {
        n = s + 0; u = substr(s, length(s))
        if (u == "K") return n
        if (u == "M") return n * 1024
        if (u == "G") return n * 1048576
        return n * 1073741824
    }
    /^  [ +=-] [a-z]/ {
        op = substr($0, 3, 1)
        for (i = 2; i <= NF; i++) if ($i ~ /^[0-9.]+[KMGT]$/) break
        v = kib($i)
        if (op == " ") sum = v
        else if (op == "+") sum += v
        else if (op == "-") sum -= v
        else {
            d = sum - v; if (d < 0) d = -d
            if (d > 0.01 * v + 16) { print "off at: " $0 " (sum " sum ")"; bad = 1 }
            sum = v; n++
        }
    }
    END { if (!n) { print "no sum"; bad = 1 } exit bad }' > "$T/sum" ||
    fail "explain's terms do not add up: $(cat "$T/sum")"
has "$out" "^  = planned target "
expect 0 ctl explain --json vm-a
has "$out" '"plan":{"reported_used_kib":'
has "$out" '"overhead_source":'
has "$out" '"history":\['
expect 1 ctl explain ghost
has "$err" "explain: no domain named 'ghost'"

# ---- set / auto ----
# Lowering a target is always possible (growing needs free memory, which
# depends on how far the simulation has got).
expect 0 ctl set vm-c 768M
has "$out" "vm-c: pinned at 768M"
expect 0 ctl show --json 3
has "$out" '"target_kib":786432'
has "$out" '"state":"pinned"'
has "$out" '"pin_kib":786432'
# explain says what holds it, not a sum of zeros
expect 0 ctl explain vm-c
has "$out" "^last plan: pinned, not balloond's to move:"
has "$out" "^  = planned target  *768M  balloonctl set; 'balloonctl auto' hands it back"
hasnt "$out" "use counted"
# below what the guest uses: needs --force (once vm-c has reported)
i=0
until ctl show --json vm-c | grep -q '"used_kib":[0-9]'; do
    i=$((i + 1)); [ $i -gt 50 ] && fail "vm-c never reported"; sleep 0.1
done
expect 1 ctl set vm-c 1M
has "$err" "target 1.00M is below what vm-c uses, "
has "$err" "use --force"
one_line "$err"
expect 1 ctl limits vm-c --max 1M
has "$err" "max 1.00M is below what vm-c uses"
expect 1 ctl set vm-c 100G
has "$err" "outside vm-c's limits"
one_line "$err"
expect 1 ctl set ghost 1G
has "$err" "set: no domain named 'ghost'"
expect 2 ctl set vm-c 512
has "$err" "not a size"
one_line "$err"
expect 2 ctl set vm-c 0
expect 2 ctl set vm-c
has "$err" "missing argument"
expect 0 ctl auto vm-c
has "$out" "managed automatically again"
expect 0 ctl show --json vm-c
has "$out" '"pin_kib":null'
hasnt "$out" '"state":"pinned"'

# ---- limits ----
expect 0 ctl limits vm-a --max 1536M --weight 300 --mode fixed
has "$out" "max 1.50G, weight 300, mode fixed"
expect 0 ctl show --json vm-a
has "$out" '"max_kib":1572864'
has "$out" '"weight":300'
has "$out" '"mode":"fixed"'
expect 0 ctl limits vm-a --reset
expect 0 ctl show --json vm-a
has "$out" '"max_kib":4194304'
has "$out" '"weight":100'
has "$out" '"mode":"auto"'
expect 2 ctl limits vm-a --min 2G --max 1G
has "$err" "larger than --max"
expect 2 ctl limits vm-a --mode balloon
expect 2 ctl limits vm-a --weight 0
expect 2 ctl limits vm-a
has "$err" "nothing to change"
expect 2 ctl limits vm-a --reset --weight 5
expect 1 ctl limits vm-a --max 64G
one_line "$err"
# percentages as balloond.conf takes them: of the domain's static-max (4G)
expect 0 ctl limits vm-a --max 75% --min 12.5%
has "$out" "max 3.00G"
expect 0 ctl show --json vm-a
has "$out" '"max_kib":3145728'
has "$out" '"min_kib":524288'
expect 0 ctl limits vm-a --reset
expect 2 ctl limits vm-a --max 101%
has "$err" "limits: --max '101%' is too large"
expect 2 ctl limits vm-a --max 0%
has "$err" "more than 0"
expect 1 ctl limits nosuch --max 50%
has "$err" "no domain named 'nosuch'"

# ---- reserve / release ----
expect 0 ctl reserve 1G --timeout 30s
has "$out" "^reservation [0-9]*: 1.00G free and held"
id=$(printf '%s\n' "$out" | sed -n 's/^reservation \([0-9]*\):.*/\1/p')
expect 0 ctl status
has "$out" "reserved 1.00G (1 reservation)"
has "$out" "^reservation: $id, 1.00G held, [0-9]*s left"
expect 0 ctl status --json
has "$out" '"reservation_list":\[{"id":'"$id"',"kib":1048576,"granted":true,"left_ms":'

expect 0 ctl release "$id"
has "$out" "released reservation $id (1.00G)"
expect 1 ctl release "$id"
has "$err" "no reservation"
expect 0 ctl reserve 256M --quiet
printf '%s\n' "$out" | grep -qx '[0-9][0-9]*' || fail "--quiet prints the id"
ctl release "$out" > /dev/null || fail "release of the --quiet id"
# Only by cutting guests below their use: refused, naming them, unless
# --force.
expect 1 ctl reserve 5G --timeout 0
has "$err" "5.00G would cut guests below their use"
has "$err" "vm-a (uses [0-9.]*G)"
has "$err" "--force cuts them anyway"
one_line "$err"
# Forced and freeable in principle, but not within 0 s: a timeout, with
# what was done.
expect 1 ctl reserve 5G --timeout 0 --force
one_line "$err"
has "$err" "reserve: timed out"
has "$err" "[0-9][0-9.]*[KMG] of 5.00G"
# Never achievable: refused at once.
expect 1 ctl reserve 7G --timeout 30s
has "$err" "cannot free 7.00G"
expect 2 ctl reserve 1G --timeout 2h
# a percentage of the host's memory (8G), as [host] reserve takes it
expect 0 ctl reserve 6.25% --quiet
id=$out
expect 0 ctl status --json
has "$out" '"reservation_list":\[{"id":'"$id"',"kib":524288,'
ctl release "$id" > /dev/null || fail "release of the 6.25% reservation"
expect 2 ctl release abc

# ---- capacity ----
expect 0 ctl capacity
has "$out" "^now:  *[0-9.]*[KMG] (free beyond the reserve and reservations)"
has "$out" "^after reclaim:  *[0-9.]*[KMG]"
has "$out" "^start pool:  *1.00G kept free for starts"
expect 0 ctl capacity --json
has "$out" '^{"daemon_version":"'
has "$out" '"capacity_now_kib":[0-9]*'
has "$out" '"capacity_reclaim_kib":[0-9]*'
has "$out" '"start_pool_kib":1048576'

# ---- reload / metrics / top / completion ----
expect 0 ctl reload
has "$out" "reloaded $T/balloond.conf"
echo "interval = bogus" >> "$T/balloond.conf"
expect 1 ctl reload
has "$err" "reload"
one_line "$err"
# several errors: one per line with FILE:LINE, as --check-config
printf '[policy]\nhysteresis = lots\nheadroom = 5\n' >> "$T/balloond.conf"
expect 1 ctl reload
has "$err" "^balloonctl: reload: reload failed, old configuration kept:$"
has "$err" "^balloonctl: reload:   $T/balloond.conf:[0-9]*: interval: "
has "$err" "^balloonctl: reload:   $T/balloond.conf:[0-9]*: hysteresis: "
has "$err" "^balloonctl: reload:   $T/balloond.conf:[0-9]*: headroom: "
[ "$(printf '%s\n' "$err" | wc -l)" -eq 4 ] || fail "reload errors: not one per line: $err"
write_config
expect 0 ctl reload
expect 0 ctl metrics
has "$out" '^balloond_domain_current_bytes{domid="1",name="vm-a"} [0-9]'
expect 0 ctl top --iterations 2 --delay 200ms
[ "$(printf '%s\n' "$out" | grep -c '^balloonctl top')" -eq 2 ] || fail "top: 2 frames"
has "$out" "^vm-c "
hasnt "$out" "$(printf '\033')"
expect 0 ctl complete domains
[ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "Domain-0 vm-a vm-b vm-c " ] \
    || fail "complete domains: $out"

# ---- usage errors and an unreachable daemon ----
expect 2 ctl
one_line "$err"
has "$err" "missing command"
expect 2 ctl frobnicate
has "$err" "unknown command 'frobnicate'"
expect 2 ctl show --min 1G
has "$err" "'--min' is not an option of 'show'"
expect 0 ctl help
has "$out" "^usage: balloonctl"
expect 0 ctl --version
expect 3 "$BALLOONCTL" --socket "$T/nonexistent" status
has "$err" "cannot connect to $T/nonexistent"
one_line "$err"

alive
stop_daemon
expect 3 ctl show
has "$err" "is balloond running"
echo "$NAME: ok"
