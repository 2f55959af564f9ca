/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peers.h - the other balloon managers that would fight balloond on this
 * host, beside xl's autoballoon (xlconf.h): libvirt's libxl driver with
 * its own autoballoon, and a running squeezed (XenServer, XCP-ng) or
 * qmemman (Qubes).
 */
#ifndef BD_PEERS_H
#define BD_PEERS_H

#include <stddef.h>

#define LIBVIRT_LIBXL_CONF "/etc/libvirt/libxl.conf"

/* 1 if libvirt's libxl driver would autoballoon: its config at path says
 * autoballoon = 1, or leaves it unset and the Xen command line
 * (xen_cmdline, NULL = unknown) sets no dom0_mem (libvirt's default, as
 * xl's); 0 if not; -ENOENT without that file (no libxl driver).  *why
 * says why. */
int bd_libvirt_autoballoon(const char *path, const char *xen_cmdline,
                           const char **why);

/* 1 if another balloon manager runs: a process under proc_root ("/proc")
 * named squeezed or qmemmand (or a script of that name run by an
 * interpreter); its name and pid in what.  0 if none. */
int bd_peer_running(const char *proc_root, char *what, size_t len);

#endif /* BD_PEERS_H */
