#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Replay the seed corpus and the inputs that once found bugs through every
# harness built without libFuzzer (mk/fuzz.mk): an invariant that fails or
# a sanitizer report (SANITIZE=1) fails make check.
set -eu
cd "$(dirname "$0")/../.."
B=${BUILDDIR:-build}
status=0
for bin in "$B"/tests/fuzz/replay_*; do
    name=${bin##*/replay_}
    set -- tests/fuzz/corpus/"$name"
    [ ! -d tests/fuzz/regress/"$name" ] || set -- "$@" tests/fuzz/regress/"$name"
    if ! "$bin" "$@" >/dev/null; then
        echo "replay: $name: FAILED" >&2
        status=1
    fi
done
exit $status
