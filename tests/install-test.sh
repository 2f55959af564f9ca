#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# install-test.sh - `make install DESTDIR=...` puts every program, man page,
# unit, the config and the completion where the variables say; a second
# install keeps an edited config; `make uninstall` removes everything but
# the config.  Run from the top of the tree by `make check`.
set -eu
dest=$(mktemp -d /tmp/bd-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
b=${BUILDDIR:-build}
fail() { echo "install-test: $*" >&2; exit 1; }
mk() { make --no-print-directory -s BUILDDIR="$b" DESTDIR="$dest" PREFIX=/usr \
    SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system "$@" >/dev/null; }

mk install
for f in /usr/sbin/balloond /usr/sbin/balloonctl /usr/sbin/balloon-agent; do
    [ -x "$dest$f" ] || fail "$f missing or not executable"
done
for f in /usr/share/man/man8/balloond.8 /usr/share/man/man8/balloonctl.8 \
         /usr/share/man/man8/balloon-agent.8 /usr/share/man/man5/balloond.conf.5 \
         /etc/balloond/balloond.conf /lib/systemd/system/balloond.service \
         /usr/share/bash-completion/completions/balloonctl \
         /usr/lib/systemd/catalog/balloond.catalog; do
    [ -f "$dest$f" ] || fail "$f missing"
done
[ -x "$dest/etc/libvirt/hooks/libxl.d/balloond" ] || fail "libvirt hook missing or not executable"
grep -q '^ExecStart=/usr/sbin/balloond' "$dest/lib/systemd/system/balloond.service" \
    || fail "unit's ExecStart does not point at SBINDIR"
[ "$(stat -c %a "$dest/etc/balloond/balloond.conf")" = 644 ] || fail "config mode"
[ -d "$dest/etc/balloond/balloond.conf.d" ] || fail "no balloond.conf.d drop-in directory"
[ -z "$(ls -A "$dest/etc/balloond/balloond.conf.d")" ] || fail "balloond.conf.d is not empty"
# the catalog parses: journalctl reads it (when there is one here)
if command -v journalctl >/dev/null; then
    journalctl --root="$dest" --update-catalog 2>/dev/null &&
        journalctl --root="$dest" --list-catalog 2>/dev/null | grep -q "0e1e77ec99e84e81ad492af2e5fe3f00" ||
        fail "journalctl does not read the catalog"
    rm -rf "$dest/var/lib/systemd"
fi

echo "# edited" >> "$dest/etc/balloond/balloond.conf"
mk install
grep -q '^# edited' "$dest/etc/balloond/balloond.conf" || fail "install overwrote the config"

mk uninstall
left=$(cd "$dest" && find . -type f | sort)
[ "$left" = "./etc/balloond/balloond.conf" ] || fail "uninstall left: $left"
echo "install-test: ok"
