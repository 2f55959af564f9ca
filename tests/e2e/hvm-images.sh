#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hvm-images.sh - the cached pieces an HVM guest needs on the testbed (PV
# and PVH guests need none of this).
#
# Design: as images.sh, everything comes from Debian bookworm packages
# fetched with `apt-get download` and unpacked with `dpkg -x`, cached under
# tests/e2e/cache/ behind a stamp (this script's checksum, the package
# versions, the base images' stamp).  run.sh calls it only when a suite it
# boots says HVM=1, and appends hvm.cpio to that suite's dom0 image only.
# What HVM needs in dom0 (verified, shared notes pvh-hvm-in-qemu.md):
# hvmloader (xen-utils-4.17; images.sh deletes its boot/ folder), the
# device model /usr/libexec/xen-qemu-system-i386 (qemu-system-xen) and the
# libraries it links that the base lacks, SeaBIOS, and QEMU's en-us keymap
# (libxl always passes -vnc none; without a keymap the device model
# exits), and the VGA BIOS of the guest's emulated card.  The guest boots from a small FAT disk with syslinux (direct
# kernel boot through fw_cfg took 157 s); overlay.sh builds that disk on
# every run with the tools unpacked here.
#
# Output (in $E2E_CACHE, default tests/e2e/cache):
#   hvm.cpio     hvmloader, the device model and its libraries, SeaBIOS
#                and the VGA BIOSes, the keymap; padded to 512 bytes
#   hvm-tools/   mkfs.fat, mtools and syslinux, unpacked (build-side only)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/image-lib.sh"
image_script e2e-hvm-images
need_base_images

# The device model and what it links beyond the base image (found with
# ldd against dom0-root; checked again below).
DM_PKGS="qemu-system-xen seabios qemu-system-data libbz2-1.0 libdw1 libelf1
 libfdt1 libffi8 libglib2.0-0 libgstreamer-plugins-base1.0-0
 libgstreamer1.0-0 libjpeg62-turbo liblz4-1 libopus0 liborc-0.4-0
 libpcre2-8-0 libpixman-1-0 libsasl2-2 libspice-server1 libssl3 libstdc++6
 libudev1 libunwind8 libusb-1.0-0"
TOOL_PKGS="syslinux syslinux-common mtools dosfstools"
ALL_PKGS="$DM_PKGS $TOOL_PKGS xen-utils-4.17"

versions=$(apt-cache policy $ALL_PKGS 2>/dev/null |
           awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
stamp=$( { cat "$0" "$here/image-lib.sh"; echo "$versions"; cat "$cache/stamp"; } | cksum | cut -d' ' -f1)
if [ -f "$cache/hvm-stamp" ] && [ "$(cat "$cache/hvm-stamp")" = "$stamp" ] &&
   [ -f "$cache/hvm.cpio" ] && [ -x "$cache/hvm-tools/usr/bin/syslinux" ]; then
    say "cached HVM pieces are up to date"
    exit 0
fi

say "downloading packages"
fetch_debs $ALL_PKGS

tmp="$cache/hvm-tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/all" "$tmp/root" "$tmp/tools"
trap 'rm -rf "$tmp"' EXIT

say "building hvm.cpio"
unpack_debs "$tmp/all" $DM_PKGS xen-utils-4.17
a=$tmp/all r=$tmp/root
install -D -m 0644 "$a/usr/lib/xen-4.17/boot/hvmloader" "$r/usr/lib/xen-4.17/boot/hvmloader"
install -D -m 0755 "$a/usr/libexec/xen-qemu-system-i386" "$r/usr/libexec/xen-qemu-system-i386"
# SeaBIOS and the VGA BIOSes (stdvga needs vgabios-stdvga.bin; Debian's
# device model looks in /usr/share/seabios as well as /usr/share/qemu).
mkdir -p "$r/usr/share/seabios"
cp -a "$a/usr/share/seabios/." "$r/usr/share/seabios/"
install -D -m 0644 "$a/usr/share/qemu/keymaps/en-us" "$r/usr/share/qemu/keymaps/en-us"
# The libraries the device model links, resolved against the unpacked
# packages and then the base image: those from the packages are added.
libs=$a/lib/x86_64-linux-gnu:$a/usr/lib/x86_64-linux-gnu
libs=$libs:$cache/dom0-root/lib/x86_64-linux-gnu:$cache/dom0-root/usr/lib/x86_64-linux-gnu
LD_LIBRARY_PATH=$libs ldd "$r/usr/libexec/xen-qemu-system-i386" > "$tmp/ldd" 2>&1 ||
    die "ldd of the device model failed: $(cat "$tmp/ldd")"
missing=$(awk '/not found/ { print $1 }' "$tmp/ldd" | tr '\n' ' ')
[ -z "$missing" ] || die "the device model lacks: $missing"
awk '/=> \// { print $3 }' "$tmp/ldd" | grep "^$a/" | while read -r l; do
    d=$(dirname "${l#$a/}")
    mkdir -p "$r/$d"
    cp -L "$l" "$r/$d/$(basename "$l")"
done
mkcpio "$r" "$tmp/hvm.cpio"
pad512 "$tmp/hvm.cpio"

say "unpacking the disk tools"
unpack_debs "$tmp/tools" $TOOL_PKGS
rm -rf "$tmp/tools/usr/share/doc" "$tmp/tools/usr/share/man"

rm -rf "$cache/hvm-tools"
mv "$tmp/tools" "$cache/hvm-tools"
mv "$tmp/hvm.cpio" "$cache/hvm.cpio"
echo "$stamp" > "$cache/hvm-stamp"
say "done: $(du -sh "$cache/hvm.cpio" | cut -f1) hvm.cpio"
