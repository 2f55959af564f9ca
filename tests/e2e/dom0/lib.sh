# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - helpers for the e2e scenario scripts, sourced in dom0.
#
# Design: scenarios are plain busybox sh scripts that assert on what Xen
# itself reports (xl list, xl info, xenstore) and on `balloonctl show
# --json` (read with jq).  Every wait is bounded (wait_until).  A scenario
# exits 0 (pass), 77 (skip: say why with skip) or anything else (fail: say
# why with fail).  Sizes: *_kib in KiB, *_mib in MiB, as the names say.
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin

BALLOOND=/usr/sbin/balloond
BALLOONCTL=/usr/sbin/balloonctl
BD_CONF=/etc/balloond/balloond.conf
BD_LOG=/var/log/balloond.log
BD_PIDFILE=/run/e2e-balloond.pid
E2E_SKIPFILE=${E2E_SKIPFILE:-/tmp/e2e-skip}

now_s() { read -r _u _ < /proc/uptime; echo "$_u"; }
mark() { echo "E2E: MARK $(now_s) $*"; }
note() { echo "$*"; }
metric() { echo "E2E-METRIC $1=$2"; }
fail() {
    echo "FAIL: $*"
    bd_log_tail
    exit 1
}
bd_log_tail() {
    if [ -f "$BD_LOG" ]; then
        echo "--- balloond log (tail) ---"
        tail -n 25 "$BD_LOG"
    fi
}
skip() { echo "$*" > "$E2E_SKIPFILE"; exit 77; }

# crash_cause NAME: why a crashed or shut-down guest stopped, one word.
# "triple-fault": Xen shut down its HVM container on a triple fault and
# its kernel said nothing of a panic or OOM first: the pattern of QEMU's
# emulated SVM (tests/e2e/README.md), which run.sh may retry.  "panic":
# the guest's kernel panicked (OOM among others), which balloond must
# never cause.  "other": anything else.
crash_cause() {
    _cd=$(domid "$1" 2>/dev/null)
    if grep -qE 'Kernel panic|Out of memory|oom-kill' \
            /var/log/xen/console/guest-$1.log 2>/dev/null; then
        echo panic
    elif [ -n "$_cd" ] && xl dmesg 2>/dev/null |
            grep -qE "\(XEN\) d${_cd}v[0-9]+ Triple fault"; then
        echo triple-fault
    else
        echo other
    fi
}

# wait_until SECONDS CMD...: run CMD every second until it succeeds.  (A
# spawn of a dynamically linked tool costs ~0.2 s of CPU under TCG: polling
# faster only steals time from the guests being observed.)
now_int() { read -r _u _ < /proc/uptime; echo "${_u%.*}"; }
wait_until() {
    _end=$(( $(now_int) + $1 ))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(now_int)" -lt $_end ] || return 1
        sleep 1
    done
    return 0
}

# elapsed_ms START_S: milliseconds since an earlier now_s.
elapsed_ms() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

need_bins() { # balloond balloonctl balloon-agent
    for b in "$@"; do
        case $b in
        balloon-agent) [ -f /guest/has-agent ] || skip "balloon-agent not built" ;;
        *) [ -x /usr/sbin/$b ] || skip "$b not built" ;;
        esac
    done
}

# ---- Xen -------------------------------------------------------------------
# xl is slow under TCG (~0.3-1 s a call): domain ids are cached per name and
# checked against xenstore, which is cheap.
domid() {
    _id=$(cat /tmp/domid.$1 2>/dev/null)
    if [ -z "$_id" ] || [ "$(xenstore-read /local/domain/$_id/name 2>/dev/null)" != "$1" ]; then
        _id=$(xl domid "$1" 2>/dev/null) || return 1
        echo "$_id" > /tmp/domid.$1
    fi
    echo "$_id"
}
dom_exists() { domid "$1" >/dev/null 2>&1; }
xs_dom() { echo "/local/domain/$(domid "$1")"; }
# Current memory as xl list shows it (MiB): comparable with memory/target,
# for HVM guests too (their video RAM is inside both; s14 checks it).
xl_mem_mib() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $3 }'; }
xs_target_kib() { xenstore-read "$(xs_dom "$1")/memory/target" 2>/dev/null; }
xs_smax_kib() { xenstore-read "$(xs_dom "$1")/memory/static-max" 2>/dev/null; }
host_free_mib() { xl info free_memory 2>/dev/null; }
host_total_mib() { xl info total_memory 2>/dev/null; }

# The guest's own view (it wrote it; read only as an observation).
guest_key() { xenstore-read "$(xs_dom "$1")/$2" 2>/dev/null; }
hog() { xenstore-write "$(xs_dom "$1")/data/e2e/hog-target-mib" "$2"; }
hog_margin() { xenstore-write "$(xs_dom "$1")/data/e2e/hog-margin-mib" "$2"; }
hog_have() { guest_key "$1" data/e2e/hog-mib; }
hog_at_least() { [ "$(hog_have "$1")" -ge "$2" ] 2>/dev/null; }
# hog_idle NAME: the hog lets go and balloond has seen the guest's use
# fall under 160 MiB (an idle guest uses ~85 MiB).  A scenario that pins a
# guest below what it used (balloonctl set refuses that without --force)
# must not race the previous scenario's hog.
hog_low() {
    [ "$(hog_have "$1")" = 0 ] && snap &&
        [ "$(sf "$1" used_kib)" -lt 163840 ] 2>/dev/null
}
hog_idle() {
    hog "$1" 0
    wait_until 60 hog_low "$1" ||
        fail "$1 still uses $(sf "$1" used_kib) KiB 60 s after its hog was told to let go (hog holds $(hog_have "$1") MiB)"
}

create_guest() { # name [cfg]: create from /e2e/guests/NAME.cfg, wait for init
    _cfg=${2:-/e2e/guests/$1.cfg}
    _t0=$(now_s)
    # An HVM guest boots from its own copy of the disk image (the device
    # model refuses read-only disks); its cfg names /run/e2e-disk-NAME.img.
    if grep -q "/run/e2e-disk-$1.img" "$_cfg"; then
        cp /guest/hvm-disk.img "/run/e2e-disk-$1.img" || return 1
    fi
    xl create "$_cfg" >/tmp/xl-create-$1.log 2>&1 || {
        cat /tmp/xl-create-$1.log
        # an HVM guest's device model says why it did not start
        tail -n 20 /var/log/xen/qemu-dm-$1.log 2>/dev/null
        return 1
    }
    if grep -q 'e2e.quiet=qubes' "$_cfg"; then
        # What qubesd does: memory/meminfo empty, and the guest may write it.
        _k=$(xs_dom "$1")/memory/meminfo
        xenstore-write "$_k" "" && xenstore-chmod "$_k" "n$(domid "$1")" ||
            echo "cannot create $_k for the guest"
    fi
    # A guest that crashes while booting stops the wait at once, and says
    # why (crash_cause): a triple fault there is the emulator's, which
    # run.sh retries like one during a scenario.
    wait_until 150 ready_or_down "$1"
    guest_ready "$1" || {
        _down=""
        guest_down "$1" && _down=1
        if [ -n "$_down" ]; then
            echo "guest $1 stopped while booting; its console:"
        else
            echo "guest $1 did not come up in 150 s; its console:"
        fi
        tail -n 20 /var/log/xen/console/guest-$1.log 2>/dev/null
        if [ -n "$_down" ]; then
            echo "$1" >> /tmp/e2e-crashed
            echo "E2E-CRASH setup $1 $(crash_cause "$1")"
        fi
        return 1
    }
    metric "guest_create_ms.$1" "$(elapsed_ms "$_t0")"
}
guest_ready() { [ "$(guest_key "$1" data/e2e-ready)" = 1 ]; }
# down_guests: the guests xl lists crashed or shut down (on_crash and
# on_reboot = "preserve" keep such a guest, so that it is seen);
# guest_down NAME: whether NAME is one of them.
down_guests() { xl list 2>/dev/null | awk 'NR > 1 && $5 ~ /[cs]/ { print $1 }'; }
guest_down() { down_guests | grep -qx "$1"; }
ready_or_down() { guest_ready "$1" || guest_down "$1"; }

# ---- balloond --------------------------------------------------------------
bd_pid() { cat "$BD_PIDFILE" 2>/dev/null; }
bd_alive() { _p=$(bd_pid); [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; }
bctl() { "$BALLOONCTL" "$@"; }

start_balloond() { # [extra args]
    bd_alive && return 0
    setsid "$BALLOOND" --config "$BD_CONF" --foreground --verbose "$@" \
        >> "$BD_LOG" 2>&1 < /dev/null &
    echo $! > "$BD_PIDFILE"
    wait_until 30 bctl show --json || {
        bd_alive || echo "balloond exited"
        return 1
    }
}
stop_balloond() {
    _p=$(bd_pid)
    [ -n "$_p" ] || return 0
    kill "$_p" 2>/dev/null
    wait_until 10 sh -c "! kill -0 $_p" || kill -9 "$_p" 2>/dev/null
    rm -f "$BD_PIDFILE"
}
ensure_balloond() { bd_alive || start_balloond || fail "balloond does not start"; }

# snap: one `balloonctl show --json`, flattened by one jq run (jq costs
# ~0.5-1 s under TCG) into /tmp/snap, one tab-separated line per domain;
# sf NAME FIELD reads a field of it.
SNAP_FIELDS="name domid current_kib target_kib min_kib max_kib static_max_kib weight mode state used_kib available_kib pressure reason"
snap() {
    bctl show --json > /tmp/snap.json 2>/tmp/bctl.err || return 1
    jq -r '.domains[] | [.name, .domid, .current_kib, .target_kib, .min_kib,
        .max_kib, .static_max_kib, .weight, .mode, .state, .used_kib,
        .available_kib, .pressure, .reason] | map(tostring) | @tsv' \
        /tmp/snap.json > /tmp/snap || return 1
}
sf() {
    awk -F'\t' -v n="$1" -v f="$2" -v h="$SNAP_FIELDS" '
        BEGIN { k = split(h, a, " "); for (i = 1; i <= k; i++) c[a[i]] = i }
        $1 == n { print $c[f]; exit }' /tmp/snap
}
# snap_is NAME FIELD VALUE: fresh snapshot, then compare.
snap_is() { snap && [ "$(sf "$1" "$2")" = "$3" ]; }
# xl list once, for several reads: xl_snap; xm NAME (MiB).
xl_snap() { xl list > /tmp/xl.txt 2>/dev/null; }
xm() { awk -v n="$1" '$1 == n { print $3 }' /tmp/xl.txt; }
bd_log_lines() { wc -l < "$BD_LOG" 2>/dev/null || echo 0; }
bd_cpu_ticks() { awk '{ print $14 + $15 }' /proc/$(bd_pid)/stat 2>/dev/null; }
# Write balloond.conf from the base with some keys replaced: KEY=VALUE...
bd_conf() {
    cp /e2e/balloond.conf "$BD_CONF"
    for _kv in "$@"; do
        sed -i "s|^${_kv%%=*} = .*|${_kv%%=*} = ${_kv#*=}|" "$BD_CONF"
    done
}

# show_json FILE: the `balloonctl show --json` object.
show_json() { bctl show --json > "$1" 2>/tmp/bctl.err; }
# bd_field NAME FIELD: one field of one domain from a fresh show.
bd_field() {
    bctl show --json 2>/dev/null |
        jq -r --arg n "$1" --arg f "$2" \
            '.domains[] | select(.name == $n) | .[$f] | tostring'
}
bd_state() { bd_field "$1" state; }
bd_state_is() { [ "$(bd_state "$1")" = "$2" ]; }

# Reload balloond with a config made of the base config plus extra lines.
# The extra text is appended; later sections add rules after the base ones.
bd_config_base() { cp /e2e/balloond.conf "$BD_CONF"; }

# balloond under systemd (the systemd dom0, tests/e2e/sysd/): there it is
# the packaged service, started, stopped and found through systemctl, its
# log in the journal; the scenarios written for the busybox dom0 run
# unchanged on top of these.
BD_UNIT=balloond.service
if [ -d /run/systemd/system ]; then
    bd_pid() {
        _p=$(systemctl show -p MainPID --value $BD_UNIT 2>/dev/null)
        [ "${_p:-0}" != 0 ] && echo "$_p"
    }
    start_balloond() { # (a busybox-dom0 caller's extra options are ignored)
        systemctl start $BD_UNIT || { systemctl status --no-pager $BD_UNIT; return 1; }
        wait_until 30 bctl show --json
    }
    stop_balloond() { systemctl stop $BD_UNIT; }
    bd_log_lines() { journalctl -q -u $BD_UNIT -o cat --no-pager 2>/dev/null | wc -l; }
    bd_log_tail() {
        echo "--- journalctl -u $BD_UNIT (tail) ---"
        journalctl -q -u $BD_UNIT -n 25 --no-pager 2>/dev/null
    }
fi
# sd_prop PROPERTY: one property of balloond's unit (systemctl show).
sd_prop() { systemctl show -p "$1" --value $BD_UNIT 2>/dev/null; }
# Journal position now, and balloond's lines since one (journalctl options).
sd_cursor() { journalctl -q -n 1 -o cat --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p'; }
sd_journal_since() { # CURSOR [journalctl options]
    _c=$1
    shift
    journalctl -q -u $BD_UNIT --no-pager --after-cursor="$_c" "$@" 2>/dev/null
}

# ---- observers -------------------------------------------------------------
# watch_start NAME PATH: log every xenstore event on PATH with a timestamp to
# /tmp/watch.NAME (the first line is the watch registration itself).
watch_start() {
    sh -c 'echo $$ > /tmp/watch.'"$1"'.pid; exec xenstore-watch "$0"' "$2" |
        while read -r _p; do read -r _u _ < /proc/uptime; echo "$_u $_p"; done > /tmp/watch.$1 &
    wait_until 5 test -s /tmp/watch.$1
}
watch_stop() { kill "$(cat /tmp/watch.$1.pid 2>/dev/null)" 2>/dev/null; sleep 0.2; }
# Writes seen (registration excluded), optionally only at/after uptime T.
watch_count() {
    awk -v t="${2:-0}" 'NR > 1 && $1 >= t { c++ } END { print c + 0 }' /tmp/watch.$1
}

# sampler_start NAME INTERVAL CMD: run CMD every INTERVAL s, log
# "uptime output" lines to /tmp/sample.NAME until sampler_stop.
sampler_start() {
    _n=$1 _i=$2
    shift 2
    (
        while [ ! -f /tmp/sample.$_n.stop ]; do
            echo "$(now_s) $("$@" 2>/dev/null | tr '\n' ' ')"
            sleep $_i
        done
    ) > /tmp/sample.$_n &
    echo $! > /tmp/sample.$_n.pid
}
sampler_stop() {
    touch /tmp/sample.$1.stop
    wait_until 10 sh -c "! kill -0 $(cat /tmp/sample.$1.pid)"
    rm -f /tmp/sample.$1.stop
}

# Per-domain target writes counted since watch start, for many domains.
watch_targets_start() { for _d in "$@"; do watch_start "tgt.$_d" "$(xs_dom "$_d")/memory/target"; done; }
watch_targets_stop() { for _d in "$@"; do watch_stop "tgt.$_d"; done; }

# ---- starting VMs (suite g) ------------------------------------------------
# use_pool MIB: the test configuration with a start pool of MIB, in force.
use_pool() {
    bd_conf start-pool=${1}M
    if bd_alive; then bctl reload || fail "balloonctl reload (start-pool ${1}M) failed"
    else ensure_balloond; fi
}
# lent L1 L2 MAX_FREE_MIB: the two lenders hold over 700 MiB between them
# (balloond lent them the spare memory) and the host has at most
# MAX_FREE_MIB free.
lent() {
    xl_snap
    [ $(( $(xm "$1") + $(xm "$2") )) -ge 700 ] && [ "$(host_free_mib)" -le "$3" ]
}
# none_below_use DOMAIN...: fail unless each holds at least what it uses.
none_below_use() {
    snap
    xl_snap
    for _d in "$@"; do
        _u=$(sf "$_d" used_kib)
        [ "$_u" = null ] || [ -z "$_u" ] && continue
        [ $(( $(xm "$_d") * 1024 )) -ge "$_u" ] ||
            fail "$_d at $(xm "$_d") MiB is below its use $((_u / 1024)) MiB"
    done
}
# newvm_cfg NAME MIB [AGENT]: a one-size guest config from g1's in
# /tmp/NAME.cfg; without AGENT=1 it runs no balloon-agent.
newvm_cfg() {
    _x=' e2e.agent=0'
    [ "${3:-0}" = 1 ] && _x=''
    sed -e "s/^name = .*/name = \"$1\"/" -e "s/^memory = .*/memory = $2/" \
        -e "s/^maxmem = .*/maxmem = $2/" \
        -e "s/^extra = \"\(.*\)\"/extra = \"\1$_x\"/" /e2e/guests/g1.cfg > "/tmp/$1.cfg"
}

# ---- suites ---------------------------------------------------------------
# A suite file sets GUESTS (created in that order before the scenarios) and
# SCENARIOS (names of /e2e/scenarios/NAME.sh, each optionally followed by
# ":ARG,ARG..." passed to the script as its arguments: the guests to use).
run_suite() {
    . "/e2e/suites/$1"
    _n=0
    for _s in $SCENARIOS; do _n=$((_n + 1)); done
    echo "E2E: 1..$_n"
    _pass=0 _fail=0 _skip=0 _i=0
    _setup_err=""
    for _g in $GUESTS; do
        create_guest "$_g" 2>&1 | sed "s/^/# setup: /"
        dom_exists "$_g" && guest_ready "$_g" || _setup_err="$_setup_err $_g"
    done
    mark "guests up:$GUESTS"
    xl list
    for _s in $SCENARIOS; do
        _i=$((_i + 1))
        rm -f "$E2E_SKIPFILE" /tmp/e2e-rc
        _t0=$(now_s)
        _sh=${_s%%:*}
        _args=""
        case $_s in *:*) _args=$(echo "${_s#*:}" | tr , ' ') ;; esac
        _limit=$(sed -n 's/^# e2e-timeout: *\([0-9]*\).*/\1/p' /e2e/scenarios/$_sh.sh)
        _limit=${_limit:-120}
        if [ -n "$_setup_err" ] && grep -q '^# e2e-needs-guests' /e2e/scenarios/$_sh.sh; then
            echo "E2E: not ok $_i - $_s # guests failed to start:$_setup_err"
            _fail=$((_fail + 1))
            continue
        fi
        mark "start $_s"
        # Each scenario runs in its own session, so whatever it leaves
        # behind (watchers, samplers) is killed with it; balloond escapes
        # that with its own setsid (start_balloond).
        setsid sh /e2e/scenarios/$_sh.sh $_args > /tmp/out.$_s 2>&1 < /dev/null &
        _pid=$!
        _end=$(( $(now_int) + _limit ))
        _rc=""
        while kill -0 $_pid 2>/dev/null; do
            if [ "$(now_int)" -ge $_end ]; then
                kill -KILL -$_pid 2>/dev/null
                _rc=137
                break
            fi
            sleep 1
        done
        wait $_pid
        _r=$?
        _rc=${_rc:-$_r}
        kill -KILL -$_pid 2>/dev/null
        sed "s/^/# $_s: /" /tmp/out.$_s
        # A guest that crashed (on_crash = "preserve" keeps it) fails the
        # scenario whatever the script concluded: balloond must never do
        # that.  So does one that shut down: no scenario shuts a guest down,
        # and a PVH/HVM triple fault is a reboot to xl (on_reboot =
        # "preserve" keeps it, shut down).
        _crashed=$(down_guests)
        for _c in $_crashed; do
            grep -qx "$_c" /tmp/e2e-crashed 2>/dev/null && continue
            echo "$_c" >> /tmp/e2e-crashed
            echo "# $_s: FAIL: guest $_c crashed; its console:"
            tail -n 25 /var/log/xen/console/guest-$_c.log 2>/dev/null | sed "s/^/# $_s:   /"
            echo "E2E-CRASH $_s $_c $(crash_cause "$_c")"
            [ "$_rc" != 0 ] || _rc=1
        done
        _secs=$(awk -v a="$_t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
        case $_rc in
        0) echo "E2E: ok $_i - $_s (${_secs}s)"; _pass=$((_pass + 1)) ;;
        77) echo "E2E: ok $_i - $_s # SKIP $(cat "$E2E_SKIPFILE" 2>/dev/null)"
            _skip=$((_skip + 1)) ;;
        137) echo "E2E: not ok $_i - $_s # timeout after ${_limit}s"
             _fail=$((_fail + 1)) ;;
        *) echo "E2E: not ok $_i - $_s (rc=$_rc, ${_secs}s)"; _fail=$((_fail + 1)) ;;
        esac
    done
    mark "suite $1 done"
    echo "E2E: done pass=$_pass fail=$_fail skip=$_skip"
}
