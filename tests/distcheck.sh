#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# distcheck.sh TARBALL NAME - the release tarball is reproducible (made
# again, it has the same sha256), holds what a release needs (COPYING,
# NEWS, VERSION), and builds and passes `make check` unpacked in an empty
# directory, with no git around.  Run by `make distcheck` (CI).
set -eu
tarball=$1
name=$2
fail() { echo "FAIL: distcheck: $*"; exit 1; }
[ -f "$tarball" ] || fail "no $tarball"
sum1=$(sha256sum < "$tarball")
mv "$tarball" "$tarball.first"
make --no-print-directory -s dist > /dev/null
sum2=$(sha256sum < "$tarball")
rm -f "$tarball.first"
[ "$sum1" = "$sum2" ] || fail "two runs of make dist differ"
echo "distcheck: reproducible: ${sum1%% *}"
list=$(tar -tzf "$tarball")
for f in COPYING NEWS VERSION README.md Makefile; do
    printf '%s\n' "$list" | grep -qx "$name/$f" || fail "$f is not in the tarball"
done
tar -tvzf "$tarball" | awk '$2 != "0/0" { print; exit 1 }' > /dev/null ||
    fail "a file not owned by 0/0 in the tarball"
t=$(mktemp -d /tmp/bd-dist.XXXXXX)
trap 'rm -rf "$t"' EXIT
tar -C "$t" -xzf "$tarball"
[ "$(cat "$t/$name/VERSION")" = "${name#balloond-}" ] || fail "VERSION does not match the name"
# GIT_DIR points nowhere: the tree must not lean on a checkout.
(cd "$t/$name" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILDDIR \
    GIT_DIR=/nonexistent GIT_CEILING_DIRECTORIES="$t" make check > "$t/check.log" 2>&1) ||
    { tail -n 30 "$t/check.log"; fail "make check fails in the unpacked tarball"; }
tail -n 1 "$t/check.log"
echo "distcheck: ok ($tarball)"
