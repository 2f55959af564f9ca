#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-scripts.sh - `make check` part of the e2e testbed that needs no QEMU:
# every script parses (with busybox sh, the shell that runs them in dom0
# and in the guests, when it is installed, else sh), every scenario declares
# its time limit, every suite names existing scenarios and guest configs,
# and the test configuration is accepted by the freshly built balloond.
here=$(cd "$(dirname "$0")" && pwd)
bad=0
err() { echo "e2e-check: $*" >&2; bad=1; }
shells="sh"
command -v busybox >/dev/null 2>&1 && shells="$shells busybox-sh"
for f in "$here"/*.sh "$here"/dom0/init "$here"/dom0/*.sh "$here"/guest/init \
         "$here"/guest/*.sh "$here"/scenarios/*.sh; do
    for s in $shells; do
        case $s in
        busybox-sh) busybox sh -n "$f" 2>/dev/null || err "$f: busybox sh syntax error" ;;
        *) sh -n "$f" || err "$f: syntax error" ;;
        esac
    done
done
for f in "$here"/scenarios/*.sh; do
    grep -q '^# e2e-timeout: [0-9]' "$f" || err "$f: no '# e2e-timeout: SECONDS' line"
    grep -q '^\. /e2e/lib.sh' "$f" || err "$f: does not source /e2e/lib.sh"
done
for s in "$here"/suites/*; do
    GUESTS="" SCENARIOS=""
    . "$s"
    [ -n "$SCENARIOS" ] || err "$s: no SCENARIOS"
    for n in $SCENARIOS; do
        [ -f "$here/scenarios/${n%%:*}.sh" ] || err "$s: scenario ${n%%:*} does not exist"
        # the guests a scenario is given must be the suite's
        case $n in *:*)
            for a in $(echo "${n#*:}" | tr , ' '); do
                case " $GUESTS - " in *" $a "*) ;; *) err "$s: $n: $a is not in GUESTS" ;; esac
            done ;;
        esac
    done
    for g in $GUESTS; do
        [ -f "$here/guests/$g.cfg" ] || err "$s: guest $g has no guests/$g.cfg"
    done
done
for g in "$here"/guests/*.cfg; do
    n=$(sed -n 's/^name = "\(.*\)"/\1/p' "$g")
    [ "$n.cfg" = "$(basename "$g")" ] || err "$g: name \"$n\" does not match the file name"
done
grep -q '^autoballoon="off"' "$here/dom0/xl.conf" || err "dom0/xl.conf: autoballoon must be off"
bd=${BUILDDIR:-build}/daemon/balloond
if [ -x "$bd" ]; then
    "$bd" --check-config "$here/dom0/balloond.conf" >/dev/null ||
        err "dom0/balloond.conf rejected by $bd"
fi
# run.sh retries a boot only for an emulator triple fault (flake.sh).
. "$here/flake.sh"
t=$(mktemp -d)
printf 'E2E: ok 1 - s02\nE2E-CRASH s03-idle-shrink:p1 p1 triple-fault\nE2E: not ok 2 - s03\nE2E: not ok 3 - s05\n' > "$t/tf"
printf 'E2E-CRASH s03 p1 triple-fault\nE2E-CRASH s05 g1 panic\n' > "$t/mixed"
printf 'E2E-CRASH s03 p1 panic\n' > "$t/panic"
printf 'E2E: not ok 2 - s03 (rc=1, 9.0s)\n' > "$t/plain"
printf 'E2E: not ok 1 - s02\nE2E-CRASH s03 p1 triple-fault\nE2E: not ok 2 - s03\n' > "$t/before"
printf '# setup: guest h1 stopped while booting; its console:\n# setup: E2E-CRASH setup h1 triple-fault\nE2E: not ok 1 - s14 # guests failed to start: h1\n' > "$t/setup"
printf '# setup: guest h1 did not come up in 150 s; its console:\nE2E: not ok 1 - s14 # guests failed to start: h1\n' > "$t/slow"
emulator_flake "$t/tf" || err "flake.sh: a lone triple fault is not taken for the emulator's"
emulator_flake "$t/setup" || err "flake.sh: a triple fault while a guest boots is not taken for the emulator's"
for f in mixed panic plain before slow; do
    ! emulator_flake "$t/$f" || err "flake.sh: a $f failure is taken for the emulator's"
done
printf '(XEN) d1v0 Triple fault - invoking HVM shutdown action 1\n(XEN) CPU:    1\n(XEN) RIP:    e008:[<ffff82d0402044a5>]\n' > "$t/xenrip"
printf '(XEN) d1v0 Triple fault - invoking HVM shutdown action 1\n(XEN) RIP:    0010:[<ffffffff8102a5c1>]\n' > "$t/guestrip"
[ -n "$(xen_state_in_guest "$t/xenrip")" ] || err "flake.sh: Xen's RIP in a guest's dump not seen"
[ -z "$(xen_state_in_guest "$t/guestrip")" ] || err "flake.sh: a guest's own RIP taken for Xen's"
rm -rf "$t"
exit $bad
