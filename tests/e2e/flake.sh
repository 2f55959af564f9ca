# SPDX-License-Identifier: GPL-2.0-or-later
# flake.sh - sourced by run.sh (and tested by check-scripts.sh): which
# failed boots are the emulator's, not balloond's.
#
# emulator_flake LOG: true when the boot's only crashes come from guests
# that triple-faulted without a panic of their own (dom0's crash check,
# crash_cause in dom0/lib.sh, prints "E2E-CRASH SCENARIO GUEST CAUSE"
# before that scenario's result; create_guest prints "E2E-CRASH setup
# GUEST CAUSE" for one that crashed while booting) and no scenario failed
# before the first of them: what fails after a guest died is its
# consequence.  Seen under
# QEMU's emulated SVM on PVH and HVM guests, at about one boot in four
# (tests/e2e/README.md); run.sh retries such a boot at most
# E2E_FLAKE_RETRIES times per suite and its summary says so.  A panic, an
# OOM or any other crash, or a failure before the crash, is a failure.
emulator_flake() {
    tr -d '\r' < "$1" | awk '
        /E2E-CRASH / {
            crash = 1
            sub(/.*E2E-CRASH /, "")
            if ($3 != "triple-fault") bad = 1
        }
        /E2E: not ok / && !crash { bad = 1 }
        END { exit !(crash && !bad) }'
}

# xen_state_in_guest LOG: ", its saved state Xen's own" when Xen's dump of
# the triple-faulted vCPU shows Xen's code segment (e008) as the guest's:
# the guest was resumed with the host's registers (seen: RIP just after
# Xen's VMRUN, rax its VMCB address, rsp Xen's stack), which no guest
# and no target write can cause.  Empty otherwise.
xen_state_in_guest() {
    tr -d '\r' < "$1" | grep -a -A4 'Triple fault' |
        grep -aq 'RIP: *e008:' && echo ", its saved state Xen's own"
}
