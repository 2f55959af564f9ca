#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# overlay.sh - the per-run part of the testbed: the project's freshly built
# binaries, the test scripts and the guest image, as one cpio archive that
# run.sh appends to the cached dom0 image (the kernel unpacks it over the
# base).  Rebuilt on every run in about a second, so editing a scenario or
# rebuilding balloond never needs an image rebuild.
#
# Our binaries are built on this Debian bookworm machine; each one's shared
# libraries (ldd) are added unless the base image already holds the same
# file, so a library the Xen packages do not bring (libsystemd0, libinih1,
# ...) is picked up automatically.
#
# Usage: overlay.sh BUILDDIR OUTDIR    -> OUTDIR/dom0.cpio (base + overlay)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${E2E_CACHE:-$here/cache}
build=$1
out=$2
die() { echo "e2e-overlay: error: $*" >&2; exit 1; }

[ -f "$cache/dom0-base.cpio" ] || die "no base image (run images.sh)"
mkdir -p "$out"
st="$out/stage"
rm -rf "$st"
mkdir -p "$st/dom0" "$st/guest"

pad512() {
    sz=$(stat -c %s "$1")
    rem=$((sz % 512))
    [ $rem -eq 0 ] || head -c $((512 - rem)) /dev/zero >> "$1"
}
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2"; }

# add_bin BASEROOT STAGEROOT BINARY DEST: the binary and the libraries the
# base root lacks (or has in another version).
add_bin() {
    base=$1 stage=$2 bin=$3 dest=$4
    mkdir -p "$stage/$(dirname "$dest")"
    cp "$bin" "$stage$dest"
    chmod 0755 "$stage$dest"
    ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
    while read -r lib; do
        name=$(basename "$lib")
        same=""
        for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64; do
            [ -e "$base/$d/$name" ] || continue
            # Relative symlinks inside the root resolve within it.
            if cmp -s "$lib" "$base/$d/$name"; then same=1; break; fi
            dir=$d
        done
        [ -n "$same" ] && continue
        dir=${dir:-lib/x86_64-linux-gnu}
        mkdir -p "$stage/$dir"
        cp -L "$lib" "$stage/$dir/$name"
        echo "e2e-overlay: $(basename "$bin"): adding $name" >&2
        unset dir
    done
}

# ---- guest: init, hog, balloon-agent ----------------------------------------
g=$st/guest
install -D -m 0755 "$here/guest/init" "$g/init"
install -D -m 0755 "$here/guest/e2e-hog.sh" "$g/e2e-hog.sh"
install -D -m 0755 "$here/guest/quiet-reporter.sh" "$g/quiet-reporter.sh"
install -D -m 0644 "$here/guest/calibrate.sh" "$g/calibrate.sh"
have_agent=""
if [ -x "$build/agent/balloon-agent" ]; then
    add_bin "$cache/guest-root" "$g" "$build/agent/balloon-agent" /usr/sbin/balloon-agent
    [ -n "${E2E_AGENT_ARGS:-}" ] && echo "$E2E_AGENT_ARGS" > "$g/etc/balloon-agent.args"
    have_agent=1
fi
mkcpio "$g" "$st/guest-overlay.cpio"

# ---- dom0 ----------------------------------------------------------------
d=$st/dom0
install -D -m 0755 "$here/dom0/init" "$d/init"
mkdir -p "$d/e2e/scenarios" "$d/e2e/suites" "$d/e2e/guests" "$d/etc/xen" \
         "$d/etc/balloond" "$d/guest"
cp "$here/dom0/lib.sh" "$here/dom0/demo.sh" "$here/dom0/demo.phases" "$d/e2e/" 2>/dev/null || cp "$here/dom0/lib.sh" "$d/e2e/"
cp "$here"/scenarios/*.sh "$d/e2e/scenarios/"
cp "$here"/suites/* "$d/e2e/suites/"
cp "$here"/guests/*.cfg "$d/e2e/guests/"
cp "$here/dom0/xl.conf" "$d/etc/xen/xl.conf"
cp "$here/dom0/balloond.conf" "$d/e2e/balloond.conf"
cp "$here/dom0/balloond.conf" "$d/etc/balloond/balloond.conf"
cp "$here/../../conf/balloond.conf" "$d/e2e/balloond.conf.shipped"
for b in daemon/balloond cli/balloonctl; do
    [ -x "$build/$b" ] && add_bin "$cache/dom0-root" "$d" "$build/$b" "/usr/sbin/$(basename $b)"
done
[ -n "$have_agent" ] && touch "$d/guest/has-agent"
# The guest ramdisk: cached base + this run's overlay, each padded.
gzip -1n < "$st/guest-overlay.cpio" > "$st/guest-overlay.cpio.gz"
pad512 "$st/guest-overlay.cpio.gz"
cat "$cache/guest-base.cpio.gz" "$st/guest-overlay.cpio.gz" > "$d/guest/guest.cpio.gz"

mkcpio "$d" "$st/dom0-overlay.cpio"
pad512 "$st/dom0-overlay.cpio"
cat "$cache/dom0-base.cpio" "$st/dom0-overlay.cpio" > "$out/dom0.cpio"

# ---- the systemd dom0 (only with E2E_SYSD=1, after sysd-images.sh) -------
# The systemd dom0 image + this overlay: the e2e files as above but none of
# our binaries: the driver installs the balloond package from
# $BUILDDIR/deb (`make deb`) with dpkg -i, which must bring them.  Plus the
# host's configuration as an admin (or Xen's package scripts) would leave
# it: /etc/default/xen, Xen's SysV script enabled, a machine id, and the
# e2e driver's unit; units the testbed has no use for are masked
# (sysd/masked.list says why for each).
rm -f "$out/dom0-sysd.cpio"
if [ "${E2E_SYSD:-}" = 1 ]; then
    [ -f "$cache/dom0-sysd-base.cpio" ] || die "no systemd dom0 image (run sysd-images.sh)"
    s=$st/sysd
    mkdir -p "$s/etc/xen" "$s/etc/systemd/system/multi-user.target.wants" \
             "$s/var/log/xen/console" "$s/var/lib/xen" "$s/var/lib/xenstored" \
             "$s/e2e/debs" "$s/guest"
    cp -a "$d/e2e/." "$s/e2e/"
    install -m 0755 "$here/dom0/sysd-driver.sh" "$s/e2e/sysd-driver.sh"
    cp "$d/guest/guest.cpio.gz" "$s/guest/"
    [ -n "$have_agent" ] && touch "$s/guest/has-agent"
    cp "$here/dom0/xl.conf" "$s/etc/xen/xl.conf"
    install -D -m 0644 "$here/sysd/default-xen" "$s/etc/default/xen"
    cp "$here/sysd/e2e.service" "$s/etc/systemd/system/e2e.service"
    ln -s ../e2e.service "$s/etc/systemd/system/multi-user.target.wants/e2e.service"
    sed -e 's/#.*//' -e '/^ *$/d' "$here/sysd/masked.list" | while read -r u; do
        ln -s /dev/null "$s/etc/systemd/system/$u"
    done
    # What update-rc.d does for /etc/init.d/xen (LSB Default-Start 2-5).
    for l in 2 3 4 5; do mkdir -p "$s/etc/rc$l.d"; ln -s ../init.d/xen "$s/etc/rc$l.d/S01xen"; done
    for l in 0 1 6; do mkdir -p "$s/etc/rc$l.d"; ln -s ../init.d/xen "$s/etc/rc$l.d/K01xen"; done
    # Debian's xendomains is installed but not enabled: s26 starts it in
    # one transaction with balloond, as a boot does; its stop at shutdown
    # shuts the guests down without saving them and waits 1 s for each
    # (the testbed's busybox guests ignore a shutdown request).
    mkdir -p "$s/etc/xen/auto"
    printf 'XENDOMAINS_SAVE=""\nXENDOMAINS_RESTORE=""\nXENDOMAINS_AUTO=/etc/xen/auto\nXENDOMAINS_STOP_MAXWAIT=1\n' \
        > "$s/etc/default/xendomains"
    echo 6a0b7f3e2e0d4c1bba11002e2e000000 > "$s/etc/machine-id"
    # balloond's package only: no guest runs systemd (tests/e2e/README.md).
    f=$(ls -t "$build"/deb/balloond_*.deb 2>/dev/null | head -n 1)
    if [ -n "$f" ]; then cp "$f" "$s/e2e/debs/"; else echo "e2e-overlay: no $build/deb/balloond_*.deb (make deb): its scenarios will skip" >&2; fi
    # The exposure figure README.md states for `systemd-analyze security`.
    sed -n 's/.*`systemd-analyze security balloond`[^`]*`\([0-9.]* [A-Z]*\)`.*/\1/p' \
        "$here/../../README.md" | head -n 1 > "$s/e2e/security.expected"
    mkcpio "$s" "$st/sysd-overlay.cpio"
    pad512 "$st/sysd-overlay.cpio"
    # Compressed: with bash and python3 for xendomains the image is 88 MB,
    # and a 384 MiB dom0 could not hold it and its unpacked copy at once
    # ("Initramfs unpacking failed: write error"); the kernel unpacks one
    # gzip stream of the two archives as it reads them.
    cat "$cache/dom0-sysd-base.cpio" "$st/sysd-overlay.cpio" | gzip -1 -n > "$out/dom0-sysd.cpio"
    echo "e2e-overlay: systemd dom0 with$(ls "$s/e2e/debs" | sed 's/^/ /' | tr -d '\n')" >&2
fi

# ---- the HVM guests' boot disk (only when hvm-images.sh has run) ----------
# A FAT disk with syslinux, the kernel and this run's guest ramdisk: booted
# by SeaBIOS in 15-47 s, where loading the same files through fw_cfg took
# 157 s.  The kernel options are the guest cfg's for an HVM guest:
# console=hvc0 (xenconsoled; ttyS0 through the device model costs ~2 s a
# line) and pci=noearly (the early PCI scans took over 100 s).
rm -f "$out/hvm-disk.cpio"
if [ -x "$cache/hvm-tools/usr/bin/syslinux" ]; then
    t=$cache/hvm-tools
    hd=$st/hvm
    mkdir -p "$hd/guest"
    img=$hd/guest/hvm-disk.img
    kib=$(( ($(stat -c %s "$cache/vmlinuz") + $(stat -c %s "$d/guest/guest.cpio.gz")) / 1024 + 2048 ))
    PATH=$t/usr/bin:$t/sbin:$PATH
    export MTOOLS_SKIP_CHECK=1
    mkfs.fat -C "$img" $kib >/dev/null || die "mkfs.fat failed"
    syslinux --install "$img" || die "syslinux --install failed"
    printf '%s\n' "DEFAULT linux" "PROMPT 0" "TIMEOUT 0" "LABEL linux" \
        "  KERNEL vmlinuz" "  INITRD guest.gz" \
        "  APPEND console=hvc0 rdinit=/init quiet pci=noearly" > "$hd/syslinux.cfg"
    mcopy -i "$img" "$cache/vmlinuz" ::vmlinuz &&
        mcopy -i "$img" "$d/guest/guest.cpio.gz" ::guest.gz &&
        mcopy -i "$img" "$hd/syslinux.cfg" ::syslinux.cfg || die "mcopy failed"
    rm "$hd/syslinux.cfg"
    mkcpio "$hd" "$out/hvm-disk.cpio"
    pad512 "$out/hvm-disk.cpio"
    echo "e2e-overlay: HVM boot disk of $kib KiB" >&2
fi
echo "e2e-overlay: built$( [ -x "$build/daemon/balloond" ] && echo " balloond")$( [ -x "$build/cli/balloonctl" ] && echo " balloonctl")$( [ -n "$have_agent" ] && echo " balloon-agent") ($(du -h "$st/dom0-overlay.cpio" | cut -f1) overlay)" >&2
