#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# license-check.sh - every source, script, build file, unit and man page
# the tree tracks says its license (an SPDX-License-Identifier line in its
# first three lines), the license is the project's, and COPYING holds its
# text.  Data (test inputs, corpora, traces, configs for guests, JSON) is
# left out: it is covered by debian/copyright.  With --self-test, a file
# without the line must be caught.  Run by `make check`.
set -u
fail() { echo "FAIL: license-check: $*"; exit 1; }
SPDX="SPDX-License-Identifier: GPL-2.0-or-later"

# The files that must carry it: from git when there is a checkout, else
# (an unpacked release tarball) from the file system.
list() {
    if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
        git ls-files
    else
        find . -type f ! -path './build*' | sed 's|^\./||'
    fi | grep -E '\.(c|h|sh|mk|inc|bash|service|gp|yml|[58])$|(^|/)Makefile$|^debian/rules$|^debian/[^/]*\.(postrm|postinst|prerm|preinst)$|^tests/e2e/(dom0|guest)/init$|^tests/e2e/suites/[^/]*$|^\.ci/run$' |
        grep -v '^tests/fuzz/corpus/'
}

# missing FILE...: the files without the line in their first three lines.
missing() {
    for f in "$@"; do
        head -n 3 "$f" | grep -q "$SPDX" || echo "$f"
    done
}

if [ "${1:-}" = --self-test ]; then
    t=$(mktemp -d /tmp/bd-lic.XXXXXX)
    trap 'rm -rf "$t"' EXIT
    printf '/* %s */\nint x;\n' "$SPDX" > "$t/good.c"
    printf '#!/bin/sh\n# no license here\n' > "$t/bad.sh"
    [ "$(missing "$t/good.c" "$t/bad.sh")" = "$t/bad.sh" ] ||
        fail "self-test: a file without the line was not caught"
    echo "ok: license-check self-test (a file without the line caught)"
    exit 0
fi

[ -f COPYING ] || fail "no COPYING"
grep -q 'GNU GENERAL PUBLIC LICENSE' COPYING && grep -q 'Version 2, June 1991' COPYING ||
    fail "COPYING is not the GPL version 2 text"
files=$(list)
[ -n "$files" ] || fail "no files to check"
# shellcheck disable=SC2086  # one file name per word: the tree has no spaces
bad=$(missing $files)
[ -z "$bad" ] || fail "no '$SPDX' line in: $(echo $bad)"
other=$(for f in $files; do head -n 3 "$f"; done | grep 'SPDX-License-Identifier' | grep -v "$SPDX" | head -n 1)
[ -z "$other" ] || fail "another license: $other"
grep -q '^License: GPL-2.0-or-later' debian/copyright || fail "debian/copyright names no GPL-2.0-or-later"
echo "ok: license-check ($(echo "$files" | wc -l) files)"
exec sh "$0" --self-test
