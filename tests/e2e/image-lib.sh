# SPDX-License-Identifier: GPL-2.0-or-later
# image-lib.sh - what images.sh, hvm-images.sh and sysd-images.sh share:
# their start, fetching Debian packages into the cache and packing
# initramfs archives.  Sourced after the caller set $here (its folder);
# the caller calls image_script first and sets $versions ("pkg: version"
# lines from apt-cache policy) before fetching.

# image_script NAME: $cache (E2E_CACHE, default tests/e2e/cache) with its
# debs/ folder, and say/die print as NAME.
image_script() {
    image_name=$1
    cache=${E2E_CACHE:-$here/cache}
    mkdir -p "$cache/debs"
}
say() { echo "$image_name: $*" >&2; }
die() { echo "$image_name: error: $*" >&2; exit 1; }

# need_base_images: the layers on top of images.sh's need its output.
need_base_images() {
    [ -f "$cache/stamp" ] && [ -d "$cache/dom0-root" ] ||
        die "no base images (run images.sh)"
}

# Xen runtime for dom0 (see ../../shared notes: xl, xenstored, xenconsoled
# and what they link), jq for the scenario scripts.  sysd-images.sh
# records them as installed in the systemd dom0's dpkg database.
DOM0_PKGS="xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17
 libxenstore4 libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
 libxentoollog1 libxentoolcore1 libxenhypfs1 libxendevicemodel1 libyajl2
 libext2fs2 liblzma5 libuuid1 libzstd1 zlib1g libncurses6 libtinfo6 libc6
 libgcc-s1 libcom-err2 jq libjq1 libonig5"

# The real kernel package behind linux-image-amd64 (linux-image-6.1.0-NN-amd64).
kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; f = 1; exit } END { exit !f }'
}

# Fetch those of the given packages whose current version is not cached
# yet (apt-get download writes into the current directory; file names
# carry the version).
fetch_debs() {
    (
        cd "$cache/debs"
        need=""
        for p in "$@"; do
            v=$(echo "$versions" | awk -v p="$p" '$1 == p":" { print $2 }')
            v=$(echo "$v" | sed 's/:/%3a/')
            ls "${p}_${v}_"*.deb >/dev/null 2>&1 || need="$need $p"
        done
        if [ -n "$need" ]; then
            timeout 600 apt-get download -q $need ||
                die "apt-get download failed for:$need"
        fi
    )
}

# The newest cached .deb of a package.
deb() { ls -t "$cache/debs/$1"_*.deb 2>/dev/null | head -n 1; }

# cached_deb PKG: deb's path, or an error when it was not downloaded (in a
# command substitution: f=$(cached_deb p) || exit 1).
cached_deb() {
    _f=$(deb "$1")
    [ -n "$_f" ] || die "package $1 was not downloaded"
    echo "$_f"
}

# unpack_debs DIR PKG...: each package's files into DIR.
unpack_debs() {
    _dir=$1
    shift
    for _p in "$@"; do
        _f=$(cached_deb "$_p") || exit 1
        dpkg-deb -x "$_f" "$_dir"
    done
}

# Padding to 512 bytes keeps the next archive 4-byte aligned: the kernel's
# initramfs unpacker silently drops a misaligned cpio ("invalid magic").
pad512() {
    sz=$(stat -c %s "$1")
    rem=$((sz % 512))
    [ $rem -eq 0 ] || head -c $((512 - rem)) /dev/zero >> "$1"
}

mkcpio() { # dir output
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2"
}
