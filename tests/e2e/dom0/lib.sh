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

now_s() { cut -d' ' -f1 /proc/uptime; }
mark() { echo "E2E: MARK $(now_s) $*"; }
note() { echo "$*"; }
metric() { echo "E2E-METRIC $1=$2"; }
fail() {
    echo "FAIL: $*"
    if [ -f "$BD_LOG" ]; then
        echo "--- balloond log (tail) ---"
        tail -n 25 "$BD_LOG"
    fi
    exit 1
}
skip() { echo "$*" > "$E2E_SKIPFILE"; exit 77; }

# wait_until SECONDS CMD...: run CMD every 0.5 s until it succeeds.
wait_until() {
    _end=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(cut -d. -f1 /proc/uptime)" -lt $_end ] || return 1
        sleep 0.5
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
domid() { xl domid "$1" 2>/dev/null; }
dom_exists() { xl domid "$1" >/dev/null 2>&1; }
xs_dom() { echo "/local/domain/$(domid "$1")"; }
# Current memory as xl list shows it (MiB).
xl_mem_mib() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $3 }'; }
xs_target_kib() { xenstore-read "$(xs_dom "$1")/memory/target" 2>/dev/null; }
xs_smax_kib() { xenstore-read "$(xs_dom "$1")/memory/static-max" 2>/dev/null; }
host_free_mib() { xl info free_memory 2>/dev/null; }
host_total_mib() { xl info total_memory 2>/dev/null; }

# The guest's own view (it wrote it; read only as an observation).
guest_key() { xenstore-read "$(xs_dom "$1")/$2" 2>/dev/null; }
hog() { xenstore-write "$(xs_dom "$1")/data/hog-target-mib" "$2"; }
hog_margin() { xenstore-write "$(xs_dom "$1")/data/hog-margin-mib" "$2"; }
hog_have() { guest_key "$1" data/hog-mib; }
hog_at_least() { [ "$(hog_have "$1")" -ge "$2" ] 2>/dev/null; }

create_guest() { # name [cfg]: create from /e2e/guests/NAME.cfg, wait for init
    _cfg=${2:-/e2e/guests/$1.cfg}
    _t0=$(now_s)
    xl create "$_cfg" >/tmp/xl-create-$1.log 2>&1 || {
        cat /tmp/xl-create-$1.log
        return 1
    }
    wait_until 90 guest_ready "$1" || {
        echo "guest $1 did not come up; its console:"
        tail -n 20 /var/log/xen/console/guest-$1.log 2>/dev/null
        return 1
    }
    metric "guest_create_ms.$1" "$(elapsed_ms "$_t0")"
}
guest_ready() { [ "$(guest_key "$1" data/e2e-ready)" = 1 ]; }

# ---- balloond --------------------------------------------------------------
bd_pid() { cat "$BD_PIDFILE" 2>/dev/null; }
bd_alive() { _p=$(bd_pid); [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; }
bctl() { "$BALLOONCTL" "$@"; }

start_balloond() { # [extra args]
    bd_alive && return 0
    "$BALLOOND" --config "$BD_CONF" --foreground --verbose "$@" \
        >> "$BD_LOG" 2>&1 &
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

# ---- observers -------------------------------------------------------------
# watch_start NAME PATH: log every xenstore event on PATH with a timestamp to
# /tmp/watch.NAME (the first line is the watch registration itself).
watch_start() {
    sh -c 'echo $$ > /tmp/watch.'"$1"'.pid; exec xenstore-watch "$0"' "$2" |
        while read -r _p; do echo "$(now_s) $_p"; done > /tmp/watch.$1 &
    wait_until 5 test -s /tmp/watch.$1
}
watch_stop() { kill "$(cat /tmp/watch.$1.pid 2>/dev/null)" 2>/dev/null; sleep 0.2; }
# Writes seen (registration excluded).
watch_count() { _c=$(wc -l < /tmp/watch.$1); echo $((_c > 0 ? _c - 1 : 0)); }

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

# ---- suites ---------------------------------------------------------------
# A suite file sets GUESTS (created in that order before the scenarios) and
# SCENARIOS (names of /e2e/scenarios/NAME.sh).
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
        _limit=$(sed -n 's/^# e2e-timeout: *\([0-9]*\).*/\1/p' /e2e/scenarios/$_s.sh)
        _limit=${_limit:-120}
        if [ -n "$_setup_err" ] && grep -q '^# e2e-needs-guests' /e2e/scenarios/$_s.sh; then
            echo "E2E: not ok $_i - $_s # guests failed to start:$_setup_err"
            _fail=$((_fail + 1))
            continue
        fi
        mark "start $_s"
        { timeout -s KILL $_limit sh /e2e/scenarios/$_s.sh; echo $? > /tmp/e2e-rc; } 2>&1 |
            sed "s/^/# $_s: /"
        _rc=$(cat /tmp/e2e-rc)
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
