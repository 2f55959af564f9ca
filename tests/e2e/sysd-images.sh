#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sysd-images.sh - the cached dom0 image of a Debian dom0 run by systemd
# (suites with INIT=systemd, tests/e2e/README.md).
#
# Design: as images.sh, everything comes from Debian bookworm packages
# fetched with `apt-get download` and unpacked with `dpkg -x`, cached under
# tests/e2e/cache/ behind a stamp (this script's checksum, the package
# versions, the base images' stamp).  It is the base dom0 root
# (images.sh's dom0-root: Xen tools, busybox) with these packages unpacked
# over it, so that it gains:
#   - systemd as PID 1 (booted with rdinit=/lib/systemd/systemd) with
#     journald and systemctl; no udev: devtmpfs creates /dev/xen/* as the
#     modules load, and nothing here waits for a device unit;
#   - what Debian's own /etc/init.d/xen (xen-utils-common; bookworm ships no
#     systemd units for Xen: systemd-sysv-generator turns it into
#     xen.service) runs: sysvinit-utils' init-functions, dpkg's
#     start-stop-daemon, util-linux's choom, kmod's modprobe with a
#     modules.dep for the Xen modules;
#   - dash as /bin/sh, as on Debian: busybox's sh (the base's /bin/sh)
#     runs its own applet for any command it has one for, whatever PATH
#     says (its dpkg, tar, mount, modprobe, start-stop-daemon), so Xen's
#     init script and dpkg's maintainer scripts would not run Debian's
#     tools under it;
#   - what Debian's own /etc/init.d/xendomains (xen-utils-common) runs:
#     bash, python3 for its xen-init-name and xen-init-list helpers (the
#     interpreter, its minimal library and the standard library, less the
#     extension modules whose libraries the image lacks), and initscripts'
#     /lib/init/vars.sh;
#   - dpkg, GNU tar, ldconfig, perl-base and init-system-helpers, so that `dpkg -i`
#     and the maintainer scripts debhelper writes (deb-systemd-helper,
#     deb-systemd-invoke) run as on an installed system, with a dpkg
#     database that records every package of the image as
#     installed (their Depends are what `dpkg -i balloond_*.deb` checks).
# Documentation, manuals and locales are left out: the kernel unpacks the
# whole image at every boot (one image of about the size the base plus a
# layer would have; the base's busybox links are replaced here, by tar,
# where a package brings the real program).
#
# Output (in $E2E_CACHE, default tests/e2e/cache):
#   dom0-sysd-base.cpio   the image, padded to 512 bytes (overlay.sh appends
#                         the per-run part)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/image-lib.sh"
image_script e2e-sysd-images
need_base_images
command -v depmod >/dev/null 2>&1 || die "depmod not found (kmod)"

# systemd and the libraries it links (checked below), the helpers of
# /etc/init.d/xen, dpkg and what the maintainer scripts run.
SYSD_PKGS="systemd libsystemd-shared libsystemd0 libblkid1 libcap2
 libgcrypt20 libgpg-error0 liblz4-1 libmount1 libselinux1 libpcre2-8-0
 libssl3 libacl1 libaudit1 libcap-ng0 libcryptsetup12 libdevmapper1.02.1
 libargon2-1 libjson-c5 libfdisk1 libkmod2 libp11-kit0 libffi8 libseccomp2
 libapparmor1 libcrypt1 libip4tc2 libpam0g mount util-linux libsmartcols1
 libudev1 kmod sysvinit-utils dpkg tar libmd0 libbz2-1.0 perl-base
 init-system-helpers base-files libinih1 libc-bin dash
 bash python3-minimal python3.11-minimal libpython3.11-minimal
 libpython3.11-stdlib libexpat1 initscripts"
kpkg=$(kernel_pkg) || die "cannot resolve linux-image-amd64 (apt-get update?)"
ALL_PKGS="$SYSD_PKGS $DOM0_PKGS busybox-static $kpkg"

versions=$(apt-cache policy $ALL_PKGS 2>/dev/null |
           awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
stamp=$( { cat "$0" "$here/image-lib.sh"; echo "$versions"; cat "$cache/stamp"; } | cksum | cut -d' ' -f1)
if [ -f "$cache/sysd-stamp" ] && [ "$(cat "$cache/sysd-stamp")" = "$stamp" ] &&
   [ -f "$cache/dom0-sysd-base.cpio" ]; then
    say "cached systemd dom0 is up to date"
    exit 0
fi

say "downloading packages"
fetch_debs $ALL_PKGS

tmp="$cache/sysd-tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/k" "$tmp/pkgs"
trap 'rm -rf "$tmp"' EXIT
r=$tmp/pkgs

say "building dom0-sysd-base.cpio"
unpack_debs "$r" $SYSD_PKGS
rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/locale" \
       "$r/usr/share/info" "$r/usr/share/lintian" "$r/usr/share/bug" \
       "$r/usr/share/zsh" "$r/usr/share/bash-completion" \
       "$r/usr/share/common-licenses" "$r/usr/lib/x86_64-linux-gnu/gconv"
# /var/run and /var/lock are links into /run on an installed system;
# base-files ships them as directories.
rm -rf "$r/var/run" "$r/var/lock"
ln -s /run "$r/var/run"
ln -s /run/lock "$r/var/lock"

# Python's extension modules for what xendomains never imports (sqlite,
# readline, curses, dbm, ...) link libraries the image has no use for:
# those modules are left out, the rest must link.
have_lib() {
    for _d in "$r" "$cache/dom0-root"; do
        for _l in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64; do
            [ -e "$_d/$_l/$1" ] || [ -L "$_d/$_l/$1" ] && return 0
        done
    done
    return 1
}
for f in "$r"/usr/lib/python3.11/lib-dynload/*.so; do
    for n in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
        have_lib "$n" || { rm -f "$f"; break; }
    done
done
rm -rf "$r/usr/lib/python3.11/test" "$r/usr/lib/python3.11/idlelib" \
       "$r/usr/lib/python3.11/tkinter" "$r/usr/lib/python3.11/lib2to3" \
       "$r/usr/lib/python3.11/pydoc_data" "$r/usr/lib/python3.11/ensurepip"

# Every library these packages' programs link must be in them or the base.
find "$r" -type f \( -perm -u+x -o -name '*.so*' \) | while read -r f; do
    readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
done | sort -u > "$tmp/needed"
while read -r n; do
    for d in "$r" "$cache/dom0-root"; do
        for l in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu \
                 usr/lib/x86_64-linux-gnu/systemd lib64; do
            [ -e "$d/$l/$n" ] || [ -L "$d/$l/$n" ] && continue 3
        done
    done
    die "no package of the image provides $n"
done < "$tmp/needed"

# Over the base: tar replaces busybox's links with the real programs.
cp -a "$cache/dom0-root" "$tmp/root"
(cd "$r" && tar cf - .) | (cd "$tmp/root" && tar xf -) || die "merging into the base failed"
r=$tmp/root

# The Xen modules where modprobe finds them (the kernel package has no
# modules.dep: it is made at install time, here by depmod).
dpkg-deb -x "$(deb "$kpkg")" "$tmp/k"
kver=$(ls "$tmp/k/lib/modules")
km=lib/modules/$kver
for m in drivers/xen/xen-evtchn drivers/xen/xen-gntdev \
         drivers/xen/xen-gntalloc drivers/xen/xen-privcmd \
         drivers/xen/xenfs/xenfs; do
    install -D -m 0644 "$tmp/k/$km/kernel/$m.ko" "$r/$km/kernel/$m.ko"
done
cp "$tmp/k/$km/modules.builtin" "$tmp/k/$km/modules.order" "$r/$km/"
depmod -b "$r" "$kver" || die "depmod failed"

# The dpkg database: every package of the base and of this image is
# installed (its control fields, Status, the list and the checksums of its
# files).  Format 1 names a Multi-Arch: same package's files pkg:arch.*.
db=$r/var/lib/dpkg
mkdir -p "$db/info" "$db/updates" "$db/triggers"
echo 1 > "$db/info/format"
: > "$db/status"
for p in $DOM0_PKGS busybox-static $SYSD_PKGS; do
    f=$(cached_deb "$p") || exit 1
    dpkg-deb -f "$f" > "$tmp/control"
    awk '{ print } /^Package:/ { print "Status: install ok installed" }' \
        "$tmp/control" >> "$db/status"
    echo >> "$db/status"
    name=$p
    grep -q '^Multi-Arch: same' "$tmp/control" &&
        name=$p:$(sed -n 's/^Architecture: //p' "$tmp/control")
    dpkg-deb -c "$f" | awk '{ print $6 }' |
        sed -e 's|^\./$|/.|' -e 's|^\.||' -e 's|/$||' > "$db/info/$name.list"
    rm -rf "$tmp/ctl"
    dpkg-deb -e "$f" "$tmp/ctl"
    [ ! -f "$tmp/ctl/md5sums" ] || cp "$tmp/ctl/md5sums" "$db/info/$name.md5sums"
done
mkcpio "$r" "$tmp/dom0-sysd-base.cpio"
pad512 "$tmp/dom0-sysd-base.cpio"
mv "$tmp/dom0-sysd-base.cpio" "$cache/dom0-sysd-base.cpio"
rm -f "$cache/sysd.cpio"
echo "$stamp" > "$cache/sysd-stamp"
say "done: $(du -sh "$cache/dom0-sysd-base.cpio" | cut -f1) dom0-sysd-base.cpio"
