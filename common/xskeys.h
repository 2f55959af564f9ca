/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xskeys.h - the xenstore paths balloond, balloon-agent and the simulator
 * share: one home for every key name.
 *
 * Design: plain string macros, so that they can be concatenated and used
 * in static tables.  Paths are relative to a domain's /local/domain/N
 * unless they start with '@' or '/'.  Three report conventions exist (see
 * daemon/policy/guest_stats.h for how they are parsed, balloon-agent(8) for the
 * agent's own):
 *   - balloon-agent: BD_XS_AGENT_* under data/balloon/, seq written last;
 *   - XenServer's xe-daemon: data/meminfo_total and data/meminfo_free (KiB,
 *     MemTotal and MemAvailable), each written only when it changed, one
 *     key at a time, then data/updated;
 *   - Qubes' meminfo-writer: memory/meminfo, the KiB the guest uses.
 * Header only; includes nothing.
 */
#ifndef BD_COMMON_XSKEYS_H
#define BD_COMMON_XSKEYS_H

#define BD_XS_DOMAIN_PREFIX "/local/domain/"
#define BD_XS_INTRODUCE "@introduceDomain"
#define BD_XS_RELEASE "@releaseDomain"

/* Written by the toolstack; read-only for the guest. */
#define BD_XS_NAME "name"
#define BD_XS_MEMORY "memory"
#define BD_XS_TARGET "memory/target"
#define BD_XS_STATIC_MAX "memory/static-max"
#define BD_XS_VIDEORAM "memory/videoram"
#define BD_XS_FEATURE_BALLOON "control/feature-balloon"

/* Everything a guest may write about its memory lies below these. */
#define BD_XS_DATA "data"

/* balloon-agent (agent/report.c writes them in this order, seq last). */
#define BD_XS_AGENT_MEM_TOTAL "data/balloon/mem-total"
#define BD_XS_AGENT_MEM_AVAILABLE "data/balloon/mem-available"
#define BD_XS_AGENT_SWAP_TOTAL "data/balloon/swap-total"
#define BD_XS_AGENT_SWAP_FREE "data/balloon/swap-free"
#define BD_XS_AGENT_SWAPIN_RATE "data/balloon/swapin-rate"
#define BD_XS_AGENT_SWAPOUT_RATE "data/balloon/swapout-rate"
#define BD_XS_AGENT_MAJFLT_RATE "data/balloon/majflt-rate"
#define BD_XS_AGENT_PSI_SOME "data/balloon/psi-some"
#define BD_XS_AGENT_PSI_FULL "data/balloon/psi-full"
#define BD_XS_AGENT_SEQ "data/balloon/seq"

/* XenServer / XCP-ng guest tools. */
#define BD_XS_XE_MEMINFO_TOTAL "data/meminfo_total"
#define BD_XS_XE_MEMINFO_FREE "data/meminfo_free"
#define BD_XS_XE_UPDATED "data/updated"

/* Qubes meminfo-writer (a bare number, or older: /proc/meminfo lines). */
#define BD_XS_QUBES_MEMINFO "memory/meminfo"

/* Qubes' reporter moves its report only after a change this large. */
#define BD_XS_QUBES_THRESHOLD_KIB 30000

#endif /* BD_COMMON_XSKEYS_H */
