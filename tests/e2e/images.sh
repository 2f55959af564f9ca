#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# images.sh - build the cached base images of the real-Xen testbed.
#
# Design: everything comes from Debian bookworm packages fetched with
# `apt-get download` and unpacked with `dpkg -x`; nothing is installed on
# the build machine.  The result is cached under tests/e2e/cache/ and keyed
# by a stamp holding this script's checksum and the package versions, so a
# second run costs a second.  Only what never changes between test runs lives
# here (Xen, the kernel, the Xen tools, busybox); the project's own binaries
# and the test scripts go into a small overlay archive built on every run
# (overlay.sh) and appended after these images.
#
# Output (in $E2E_CACHE, default tests/e2e/cache):
#   xen              the hypervisor, decompressed (QEMU -kernel wants the
#                    32-bit multiboot ELF, not the .gz)
#   vmlinuz          Debian's kernel, for dom0 and the PV guests
#   dom0-base.cpio   dom0 root: busybox, Xen tools and libraries, jq, the Xen
#                    kernel modules, the guest kernel; padded to 512 bytes
#   guest-base.cpio.gz  guest root: busybox, xenstore-utils; padded
#   dom0-root/ guest-root/  the unpacked trees (overlay.sh compares
#                    libraries against them)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/image-lib.sh"
image_script e2e-images

for t in apt-get apt-cache dpkg-deb cpio gzip; do
    command -v $t >/dev/null 2>&1 || die "$t not found (run: make e2e-deps)"
done

kpkg=$(kernel_pkg) || die "cannot resolve linux-image-amd64 (apt-get update?)"

GUEST_PKGS="xenstore-utils libxenstore4 libxentoolcore1 libc6 libgcc-s1"
ALL_PKGS="$DOM0_PKGS xen-hypervisor-4.17-amd64 busybox-static $kpkg"

# The stamp: script checksum + candidate versions.  A new Debian point
# release (or an edit here) rebuilds; anything else reuses the cache.
versions=$(apt-cache policy $ALL_PKGS 2>/dev/null |
           awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
stamp=$( { cat "$0" "$here/image-lib.sh"; echo "$versions"; } | cksum | cut -d' ' -f1)
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] &&
   [ -f "$cache/xen" ] && [ -f "$cache/vmlinuz" ] &&
   [ -f "$cache/dom0-base.cpio" ] && [ -f "$cache/guest-base.cpio.gz" ]; then
    say "cached images are up to date"
    exit 0
fi

say "downloading packages"
fetch_debs $ALL_PKGS

busybox_links() { # root
    bb="$1/bin/busybox"
    for a in $("$bb" --list-full); do
        [ -e "$1/$a" ] || [ -L "$1/$a" ] && continue
        mkdir -p "$1/$(dirname "$a")"
        ln -s /bin/busybox "$1/$a"
    done
}

tmp="$cache/tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

say "unpacking hypervisor and kernel"
dpkg-deb -x "$(deb xen-hypervisor-4.17-amd64)" "$tmp/hv"
gz=$(ls "$tmp"/hv/boot/xen-4.17*-amd64.gz | head -n 1)
[ -f "$gz" ] || die "no xen-*.gz in the hypervisor package"
zcat "$gz" > "$tmp/xen"

dpkg-deb -x "$(deb "$kpkg")" "$tmp/k"
cp "$tmp"/k/boot/vmlinuz-* "$tmp/vmlinuz"
kver=$(ls "$tmp/k/lib/modules")

say "building dom0 root"
r="$cache/dom0-root.new"
rm -rf "$r" "$cache/dom0-root"
mkdir -p "$r"
unpack_debs "$r" $DOM0_PKGS busybox-static
# Only xl, xenstored, xenconsoled and friends are used; the rest is weight
# the kernel would unpack at every boot.
rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/locale" \
       "$r/usr/share/info" "$r/usr/share/lintian" "$r/usr/share/bug" \
       "$r/usr/lib/xen-4.17/boot" "$r/usr/lib/xen-4.17/lib/python" \
       "$r/usr/lib/x86_64-linux-gnu/gconv" "$r/usr/share/i18n" \
       "$r/boot"
busybox_links "$r"
mkdir -p "$r/lib/modules/xen" "$r/guest" "$r/proc" "$r/sys" "$r/dev" \
         "$r/run" "$r/tmp" "$r/var/lib" "$r/var/log" "$r/root" "$r/etc"
[ -e "$r/var/run" ] || ln -s /run "$r/var/run"
for m in drivers/xen/xen-evtchn drivers/xen/xen-gntdev \
         drivers/xen/xen-gntalloc drivers/xen/xen-privcmd \
         drivers/xen/xenfs/xenfs; do
    src="$tmp/k/lib/modules/$kver/kernel/$m.ko"
    [ -f "$src" ] || die "module $m.ko missing from $kpkg"
    cp "$src" "$r/lib/modules/xen/"
done
cp "$tmp/vmlinuz" "$r/guest/vmlinuz"
echo "root:x:0:0:root:/root:/bin/sh" > "$r/etc/passwd"
echo "root:x:0:" > "$r/etc/group"
mkcpio "$r" "$tmp/dom0-base.cpio"
pad512 "$tmp/dom0-base.cpio"

say "building guest root"
g="$cache/guest-root.new"
rm -rf "$g" "$cache/guest-root"
mkdir -p "$g"
unpack_debs "$g" $GUEST_PKGS busybox-static
rm -rf "$g/usr/share" "$g/usr/lib/x86_64-linux-gnu/gconv" "$g/sbin/ldconfig"
busybox_links "$g"
mkdir -p "$g/proc" "$g/sys" "$g/dev" "$g/run" "$g/tmp" "$g/hog" "$g/etc"
echo "root:x:0:0:root:/root:/bin/sh" > "$g/etc/passwd"
mkcpio "$g" "$tmp/guest-base.cpio"
gzip -9n < "$tmp/guest-base.cpio" > "$tmp/guest-base.cpio.gz"
pad512 "$tmp/guest-base.cpio.gz"

mv "$r" "$cache/dom0-root"
mv "$g" "$cache/guest-root"
for f in xen vmlinuz dom0-base.cpio guest-base.cpio.gz; do
    mv "$tmp/$f" "$cache/$f"
done
echo "$stamp" > "$cache/stamp"
say "done: $(du -sh "$cache/dom0-base.cpio" | cut -f1) dom0," \
    "$(du -sh "$cache/guest-base.cpio.gz" | cut -f1) guest"
