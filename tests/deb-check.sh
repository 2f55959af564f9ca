#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# deb-check.sh - debian/ agrees with the rest of the tree, in about a
# second and without building packages (`make deb` does that):
#   - every file `make install` installs, with debian/rules' paths, is in
#     exactly one debian/*.install, and every line there names a file it
#     installs (dh_missing --fail-missing checks the first half again when
#     the packages are built);
#   - debian/changelog's upstream version is the one in VERSION;
#   - balloond's postrm keeps /var/lib/balloond on remove and deletes it on
#     purge (run on a copy of the script pointed at a temporary directory).
# If `make deb` has built the packages into $BUILDDIR/deb, they are checked
# too: balloon-agent depends on libc6 and libxenstore4 only, the config is
# a conffile, both units are enabled by postinst, and on upgrade they are
# restarted by postinst, not stopped by prerm (see debian/rules).  Run from the top of the tree by `make check`.
set -eu
b=${BUILDDIR:-build}
tmp=$(mktemp -d /tmp/bd-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "deb-check: $*" >&2; exit 1; }

# The install paths are debian/rules' PATHS, read from it (their one home).
paths=$(printf 'deb-check-paths:\n\t@echo $(PATHS)\n' \
    | make -s --no-print-directory -f debian/rules -f - deb-check-paths)
[ -n "$paths" ] || fail "no PATHS in debian/rules"
# shellcheck disable=SC2086 # $paths is a list of VAR=value words
make --no-print-directory -s BUILDDIR="$b" DESTDIR="$tmp/root" $paths \
    install >/dev/null
(cd "$tmp/root" && find . -type f -o -type l | sed 's|^\./||' | sort) \
    >"$tmp/installed"
[ -s "$tmp/installed" ] || fail "make install installed nothing"
cat debian/*.install | sed '/^#/d; /^$/d' | sort >"$tmp/listed"
dups=$(uniq -d "$tmp/listed")
[ -z "$dups" ] || fail "in more than one package: $dups"
unlisted=$(comm -23 "$tmp/installed" "$tmp/listed")
[ -z "$unlisted" ] || fail "installed but in no package: $unlisted"
stale=$(comm -13 "$tmp/installed" "$tmp/listed")
[ -z "$stale" ] || fail "listed but not installed: $stale"

version=$(cat VERSION)
head -n 1 debian/changelog | grep -q "^balloond ($version-[0-9][^)]*) " \
    || fail "debian/changelog is not at version $version"

state="$tmp/var/lib/balloond"
sed "s|/var/lib/balloond|$state|g" debian/balloond.postrm >"$tmp/postrm"
mkdir -p "$state" && echo pins >"$state/state"
sh "$tmp/postrm" remove
[ -f "$state/state" ] || fail "postrm remove deleted $state"
sh "$tmp/postrm" purge
[ ! -e "$state" ] || fail "postrm purge left $state"

debs="$b/deb"
if ! command -v dpkg-deb >/dev/null || ! ls "$debs"/balloond_*.deb >/dev/null 2>&1; then
    echo "deb-check: ok (no packages in $debs: run make deb to check them too)"
    exit 0
fi
field() { dpkg-deb -f "$1" "$2"; }
ctrl() { dpkg-deb --ctrl-tarfile "$1" | tar -xOf - "./$2"; }
agent=$(ls "$debs"/balloon-agent_*.deb)
daemon=$(ls "$debs"/balloond_*.deb)
deps=$(field "$agent" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort | tr '\n' ' ')
[ "$deps" = "libc6 libxenstore4 " ] || fail "balloon-agent depends on: $deps"
ctrl "$daemon" conffiles | grep -qx /etc/balloond/balloond.conf \
    || fail "the config is not a conffile"
# Every dependency can be installed from this machine's archive (CI: a
# fresh bookworm): known to APT, its candidate version new enough.
if command -v apt-cache >/dev/null &&
    apt-cache policy libc6 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    for d in "$daemon" "$agent"; do
        field "$d" Depends | tr ',' '\n' | sed 's/^ *//' | while read -r p op v; do
            [ -n "$p" ] || continue
            cand=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')
            case $cand in ''|'(none)') fail "$(basename "$d"): $p is not in the archive" ;; esac
            if [ -n "$op" ]; then
                op=${op#(} v=${v%)}
                dpkg --compare-versions "$cand" "$op" "$v" ||
                    fail "$(basename "$d"): needs $p $op $v, the archive has $cand"
            fi
        done || exit 1
    done
    xen=$(field "$daemon" Depends | grep -o 'libxenmisc[0-9.]*' | sed 's/libxenmisc//')
    grep -q "Xen $xen" debian/balloond.README.Debian ||
        fail "README.Debian does not say the package needs Xen $xen"
else
    echo "deb-check: note: no APT lists here: dependencies not checked against the archive"
fi
for d in "$daemon" "$agent"; do
    ctrl "$d" postinst | grep -q "deb-systemd-helper enable" \
        || fail "$(basename "$d"): unit not enabled on install"
    # Stopped only on remove; restarted (not stopped, then started) on upgrade.
    ctrl "$d" prerm | grep -B1 'deb-systemd-invoke stop' | head -n 1 \
        | grep -q '"$1" = remove' \
        || fail "$(basename "$d"): unit stopped on upgrade"
    ctrl "$d" postinst | grep -q '_dh_action=restart' \
        || fail "$(basename "$d"): unit not restarted on upgrade"
done
echo "deb-check: ok (and the packages in $debs)"
