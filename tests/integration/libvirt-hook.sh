#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt-hook.sh - the shipped libvirt libxl hook (cli/libvirt-hook.sh)
# against recorded invocations: the arguments and domain XML libvirt's
# libxl driver gives it (tests/data/libvirt/), with the real balloond-sim
# and balloonctl behind it.  There is no libxl here, so BALLOONCTL is a
# wrapper that records what the hook asked for and turns the xl config it
# wrote into a size (memory= in MiB) for the real `balloonctl reserve`.
# Checked: prepare reserves what the XML gives (rounded up, type, vcpus,
# video RAM), started/stopped/release give it back, a start that cannot fit
# fails with balloond's one line, and no balloond means no reservation.
. "$(dirname "$0")/lib.inc"

HOOK=$(pwd)/cli/libvirt-hook.sh
DATA=$(pwd)/tests/data/libvirt
start_daemon basic
wait_reports

cat > "$T/balloonctl" <<EOF
#!/bin/sh
# record the call and the config the hook wrote, then forward it
echo "args: \$*" >> "$T/calls"
for a in "\$@"; do
    case \$a in
        */.cfg.*) sed 's/^/cfg: /' "\$a" >> "$T/calls"
                  mib=\$(sed -n 's/^memory = //p' "\$a")
                  set -- \$(printf '%s\n' "\$@" | sed "s|^\$a\\\$|\${mib}M|")
                  break ;;
    esac
done
exec "$BALLOONCTL" --socket "\${FAKE_SOCK:-$SOCK}" "\$@"
EOF
chmod +x "$T/balloonctl"
export BALLOONCTL="$T/balloonctl" BALLOOND_HOOK_DIR="$T/hook"
hook() { "$HOOK" "$@"; }
reserved() { ctl status --json | sed -n 's/.*"reserved_kib":\([0-9]*\).*/\1/p'; }

# ---- prepare begin: a reservation of what the XML asks for ----
expect 0 hook web1 prepare begin - < "$DATA/prepare-hvm.xml"
[ -z "$out" ] || fail "the hook wrote to stdout (libvirt reads it as XML): $out"
calls=$(cat "$T/calls")
has "$calls" '^args: --timeout 30s reserve --quiet /'
has "$calls" '^cfg: name = "web1"$'
has "$calls" '^cfg: type = "hvm"$'
has "$calls" '^cfg: memory = 1024$'
has "$calls" '^cfg: maxmem = 2048$'
has "$calls" '^cfg: vcpus = 2$'
has "$calls" '^cfg: videoram = 8$'
[ -f "$T/hook/web1.res" ] || fail "no reservation id kept for web1"
id=$(cat "$T/hook/web1.res")
[ "$(reserved)" = 1048576 ] || fail "reserved $(reserved) KiB, expected 1048576"
for f in "$T"/hook/.cfg*; do [ -e "$f" ] && fail "temporary config left: $f"; done

# ---- started begin: the domain holds it now; the reservation goes ----
expect 0 hook web1 started begin - < "$DATA/prepare-hvm.xml"
[ ! -f "$T/hook/web1.res" ] || fail "reservation file kept after started"
[ "$(reserved)" = 0 ] || fail "reservation $id not released after started"

# A PV guest in MiB, a name with a space, no currentMemory: maxmem = memory.
: > "$T/calls"
expect 0 hook "db two" prepare begin - < "$DATA/prepare-pv.xml"
calls=$(cat "$T/calls")
has "$calls" '^cfg: name = "dbtwo"$'
has "$calls" '^cfg: type = "pv"$'
has "$calls" '^cfg: memory = 768$'
hasnt "$calls" 'videoram'
[ "$(reserved)" = 786432 ] || fail "reserved $(reserved) KiB for db two"
# A second prepare (a retried start) keeps one reservation, not two.
expect 0 hook "db two" prepare begin - < "$DATA/prepare-pv.xml"
[ "$(reserved)" = 786432 ] || fail "a retried prepare reserved twice: $(reserved)"
# The start failed: libvirt says stopped/release; the memory comes back.
expect 0 hook "db two" stopped end - < "$DATA/prepare-pv.xml"
expect 0 hook "db two" release end - < "$DATA/prepare-pv.xml"
[ "$(reserved)" = 0 ] || fail "reservation kept after stopped"

# ---- a start that cannot fit: one line, non-zero, nothing held ----
sed 's/>768</>65536</' "$DATA/prepare-pv.xml" > "$T/huge.xml"
expect 1 hook huge prepare begin - < "$T/huge.xml"
one_line "$err"
has "$err" "^balloond hook: huge: balloonctl: reserve: cannot free 64.00G"
[ ! -f "$T/hook/huge.res" ] || fail "a refused start kept a reservation file"
[ "$(reserved)" = 0 ] || fail "a refused start left a reservation"

# ---- operations it does not handle, and bad XML ----
expect 0 hook web1 reconnect begin - < "$DATA/prepare-hvm.xml"
echo '<domain><name>x</name></domain>' > "$T/bad.xml"
expect 1 hook x prepare begin - < "$T/bad.xml"
has "$err" "no <memory>"
sed "s|>hvm<|>weird<|" "$DATA/prepare-hvm.xml" > "$T/bad.xml"
expect 1 hook web1 prepare begin - < "$T/bad.xml"
has "$err" "unknown <os><type>"

# ---- no balloond: nothing is lent, the start goes on ----
export FAKE_SOCK="$T/nothing-here"
expect 0 hook web1 prepare begin - < "$DATA/prepare-hvm.xml"
[ ! -f "$T/hook/web1.res" ] || fail "a reservation file without balloond"
alive
echo "$NAME: ok"
