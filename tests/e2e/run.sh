#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - boot the real-Xen testbed under QEMU (TCG) and report.
#
# Design: each suite is one boot of Xen + a busybox dom0 that creates its
# guests, runs its scenario scripts and powers off (reboot -f with QEMU's
# -no-reboot).  Results come back only through the serial console, as
# "E2E: ..." lines (see dom0/init).  Everything here is bounded by timeout;
# a boot that never reports "done" is a failure and its log tail is shown.
# A boot that dies early (QEMU exits, no "done") is retried once: the notes
# record rare TCG crashes of unknown cause.  A boot whose only crash is a
# PVH/HVM guest's triple fault with no panic of its own is QEMU's emulated
# SVM (flake.sh): discarded and retried, up to E2E_FLAKE_RETRIES times.
#
# Usage: run.sh [--suite NAME]... [--demo] [--shell]
# Environment:
#   BUILDDIR       where balloond, balloonctl, balloon-agent were built (build)
#   E2E_SUITES     suites to boot, in order (default "a b c d e f g")
#   E2E_BOOT_TIMEOUT  seconds per boot (default: the suite's BOOT_TIMEOUT,
#                  else 300)
#   E2E_BUDGET     seconds for everything, images, boots and retries
#                  (default 2640; about 1400 without a retry)
#   E2E_MEM        QEMU memory in MiB (default 2048)
#   E2E_QEMU       the QEMU binary (default qemu-system-x86_64 on PATH)
#   E2E_FLAKE_RETRIES  boots of a suite retried after a PVH/HVM guest
#                  triple-faulted with no panic of its own (default 3)
#   E2E_XEN_DEBUG=1   verbose Xen logging on the serial console
#   DEMO_FOREVER=1    with --demo: run until Ctrl-C
# Output: per scenario "ok N - suite/name ..." / "not ok ...", then
# "N passed, N failed" (skips are reported on the line before).  Logs in
# tests/e2e/out/serial-SUITE.log.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${E2E_CACHE:-$here/cache}
out=${E2E_OUT:-$here/out}
build=${BUILDDIR:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
suites=${E2E_SUITES:-a b c d e f g}
budget=${E2E_BUDGET:-2640}
mem=${E2E_MEM:-2048}
qemu=${E2E_QEMU:-qemu-system-x86_64}
mode=test
shell=0

picked=""
while [ $# -gt 0 ]; do
    case $1 in
    --suite) picked="$picked $2"; shift ;;
    --demo) mode=demo ;;
    --shell) shell=1 ;;
    *) echo "usage: run.sh [--suite NAME]... [--demo] [--shell]" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$picked" ] && suites=$picked

for t in "$qemu" cpio timeout; do
    command -v $t >/dev/null 2>&1 ||
        { echo "e2e: $t not found (run: make e2e-deps)" >&2; exit 1; }
done

# A suite with HVM=1 boots with the HVM pieces (hvm-images.sh) appended;
# one with INIT=systemd boots the systemd dom0 (sysd-images.sh, overlay.sh).
needs_hvm() { grep -q '^HVM=1' "$here/suites/$1" 2>/dev/null; }
needs_sysd() { grep -q '^INIT=systemd' "$here/suites/$1" 2>/dev/null; }

t_start=$(date +%s)
"$here/images.sh" || exit 1
hvm=""
for s in $suites; do needs_hvm "$s" && hvm=1; done
if [ -n "$hvm" ]; then
    "$here/hvm-images.sh" || exit 1
fi
E2E_SYSD=""
for s in $suites; do needs_sysd "$s" && E2E_SYSD=1; done
if [ -n "$E2E_SYSD" ]; then
    "$here/sysd-images.sh" || exit 1
fi
E2E_SYSD=$E2E_SYSD "$here/overlay.sh" "$build" "$out" || exit 1
if [ -n "$hvm" ]; then
    cat "$out/dom0.cpio" "$cache/hvm.cpio" "$out/hvm-disk.cpio" > "$out/dom0-hvm.cpio" || exit 1
fi
echo "e2e: images ready in $(( $(date +%s) - t_start ))s"

# boot SUITE LOG [extra dom0 args]: one QEMU run; returns timeout's status.
boot() {
    suite=$1 log=$2
    shift 2
    img=$out/dom0.cpio init=/init
    needs_hvm "$suite" && img=$out/dom0-hvm.cpio
    needs_sysd "$suite" && img=$out/dom0-sysd.cpio init=/lib/systemd/systemd
    xenlog=""
    [ "${E2E_XEN_DEBUG:-0}" = 1 ] && xenlog="loglvl=all guest_loglvl=all"
    timeout -k 10 "$boot_timeout" "$qemu" \
        -machine q35 -accel tcg -cpu qemu64,+svm,+npt -smp 2 -m "$mem" -no-reboot \
        -kernel "$cache/xen" \
        -append "dom0_mem=384M,max:384M dom0_max_vcpus=2 console=com1 com1=115200,8n1 $xenlog" \
        -initrd "$cache/vmlinuz console=hvc0 earlyprintk=xen rdinit=$init quiet e2e.suite=$suite e2e.mode=$mode e2e.shell=$shell $*,$img" \
        -display none -vga none -net none -monitor none -serial stdio \
        < /dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" | show_progress
}

# Live progress: results, stage marks and failures only.
show_progress() {
    if [ "$mode" = demo ]; then
        # The demo prints for a person: its own lines, no test protocol.
        grep --line-buffered -a -E 'E2E-DEMO|Kernel panic|\(XEN\) .*(FATAL|Panic)' |
            sed -u 's/^.*E2E-DEMO //'
    else
        grep --line-buffered -a -E 'E2E: (ok|not ok|MARK|done)|E2E-CRASH|# setup: |FAIL:|Kernel panic|\(XEN\) .*(FATAL|Panic)' |
            sed -u 's/^.*\(E2E: \)/  \1/'
    fi
}

if [ "$mode" = demo ]; then
    boot_timeout=1200
    [ "${DEMO_FOREVER:-0}" = 1 ] && boot_timeout=$((365 * 24 * 3600))
    log=$out/serial-demo.log
    boot demo "$log" "e2e.forever=${DEMO_FOREVER:-0}"
    grep -aq 'E2E: done' "$log" ||
        { echo "demo: the testbed stopped early; last lines of $log:"; tail -n 15 "$log"; }
    # Its samples (demo-report.sh describes the CSV), the summary, the plot.
    grep -a -o 'E2E-CSV .*' "$log" | sed 's/^E2E-CSV //' | tr -d '\r' > "$out/demo.csv"
    sh "$here/demo-report.sh" "$out/demo.csv" "$out/demo.png" \
        "balloond on Xen 4.17 under QEMU (make demo): the story of tests/e2e/dom0/demo.phases"
    exit
fi

. "$here/flake.sh"
flake_retries=${E2E_FLAKE_RETRIES:-3}
flaked=""

pass=0 fail=0 skipped=0 n=0
summary=""
for s in $suites; do
    log="$out/serial-$s.log"
    attempt=0 died=0 flakes=0
    while :; do
        attempt=$((attempt + 1))
        boot_timeout=$(sed -n 's/^BOOT_TIMEOUT=\([0-9]*\).*/\1/p' "$here/suites/$s")
        boot_timeout=${E2E_BOOT_TIMEOUT:-${boot_timeout:-300}}
        left=$((budget - ($(date +%s) - t_start)))
        if [ $left -lt 60 ]; then
            echo "e2e: no time left in the ${budget}s budget for suite $s"
            [ $attempt -gt 1 ] || : > "$log"
            break
        fi
        [ $boot_timeout -le $left ] || boot_timeout=$left
        t0=$(date +%s)
        echo "e2e: booting suite $s (attempt $attempt, limit ${boot_timeout}s)"
        boot "$s" "$log"
        secs=$(( $(date +%s) - t0 ))
        if grep -aq 'E2E: done' "$log"; then
            emulator_flake "$log" || break
            [ $flakes -lt "$flake_retries" ] || break
            flakes=$((flakes + 1)) flaked="$flaked $s"
            echo "e2e: suite $s: $(grep -a -o 'E2E-CRASH .*' "$log" | awk '{ print $3 }' | sort -u | tr '\n' ' ')triple-faulted with no panic of its own$(xen_state_in_guest "$log"): QEMU's emulated SVM (tests/e2e/README.md); this boot is discarded, retrying"
            cp "$log" "$log.flake$flakes"
            continue
        fi
        if [ $secs -ge "$boot_timeout" ]; then
            echo "e2e: suite $s timed out after ${secs}s"
            break
        fi
        [ $died = 0 ] || break
        died=1
        echo "e2e: suite $s: boot died after ${secs}s (no 'done'), log tail:"; tail -n 15 "$log"; echo "e2e: retrying once"; cp "$log" "$log.1"
    done
    echo "e2e: suite $s took ${secs}s"
    plan=$(grep -a -o 'E2E: 1\.\.[0-9]*' "$log" | head -n 1 | sed 's/.*\.\.//')
    got=0
    # Renumber the suite's TAP lines into one sequence.
    results=$(grep -a -o 'E2E: \(not \)\?ok [0-9]* - .*' "$log" | sed 's/^E2E: //')
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        got=$((got + 1)) n=$((n + 1))
        rest=$(echo "$line" | sed 's/^\(not \)\?ok [0-9]* - //')
        case $line in
        "not ok"*) echo "not ok $n - $s/$rest"; fail=$((fail + 1)); summary="$summary\n  FAIL $s/$rest" ;;
        *"# SKIP"*) echo "ok $n - $s/$rest"; skipped=$((skipped + 1)); summary="$summary\n  skip $s/$rest" ;;
        *) echo "ok $n - $s/$rest"; pass=$((pass + 1)) ;;
        esac
    done <<RESULTS
$results
RESULTS
    if ! grep -aq 'E2E: done' "$log"; then
        missing=$(( ${plan:-1} - got ))
        [ $missing -gt 0 ] || missing=1
        echo "not ok $((n + 1)) - $s: boot did not finish ($missing result(s) missing); last lines of $log:"
        tail -n 40 "$log" | sed 's/^/    /'
        n=$((n + missing)) fail=$((fail + missing))
        summary="$summary\n  FAIL $s: boot did not finish"
    fi
    grep -a -o 'E2E-METRIC [^ ]*' "$log" | sed "s/^E2E-METRIC /  metric $s: /"
    grep -a -o 'E2E: MARK .*' "$log" | sed "s/^E2E: MARK /  mark $s: /"
done

echo "e2e: total $(( $(date +%s) - t_start ))s"
[ -z "$flaked" ] || echo "e2e: boots discarded for an emulator triple fault:$flaked (logs: $out/serial-SUITE.log.flakeN)"
[ -n "$summary" ] && printf "e2e: not passed:$summary\n"
echo "$skipped skipped"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
