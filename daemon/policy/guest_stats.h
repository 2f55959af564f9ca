/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest_stats.h - parsing what guests write about their memory.
 *
 * Design: pure functions over the raw values of the keys, as read from
 * xenstore (any bytes, any length: hostile input).  Three conventions are
 * understood, in order of preference:
 *   1. balloon-agent's keys under data/balloon/;
 *   2. XenServer's data/meminfo_total + data/meminfo_free;
 *   3. Qubes' memory/meminfo, either the classic /proc/meminfo excerpt
 *      ("MemTotal: N kB\nMemFree: N kB\n...") or a single decimal number
 *      (the used memory in KiB, as newer meminfo-writers write it).
 * A value is a decimal number of at most 20 digits, no sign, no spaces
 * (a single trailing newline is tolerated), and must make sense against
 * the domain's own size: nobody has more memory than its static-max.
 */
#ifndef BD_GUEST_STATS_H
#define BD_GUEST_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/policy/policy.h"

enum bd_stat_key {
    BD_SK_MEM_TOTAL = 0,
    BD_SK_MEM_AVAIL,
    BD_SK_SWAP_TOTAL,
    BD_SK_SWAP_FREE,
    BD_SK_SWAPIN,
    BD_SK_SWAPOUT,
    BD_SK_MAJFLT,
    BD_SK_PSI_SOME,
    BD_SK_PSI_FULL,
    BD_SK_SEQ,
    BD_SK_XS_TOTAL,
    BD_SK_XS_FREE,
    BD_SK_QUBES,
    BD_SK_N
};

/* Path of each key below /local/domain/N. */
extern const char *const bd_stat_key_path[BD_SK_N];

/* Longest value accepted for a number key and for memory/meminfo. */
#define BD_STAT_NUM_MAX 20
#define BD_STAT_MEMINFO_MAX 1024

/* Raw values; val[k] == NULL when the key is absent. */
struct bd_stat_raw {
    const char *val[BD_SK_N];
    size_t len[BD_SK_N];
};

/*
 * Parse raw into *out (zeroed first).  size_cap_kib is the most memory the
 * domain can have (its static-max; 0 = unknown, then BD_SIZE_MAX_KIB).
 *
 * Returns 0 with out->present set (and out->until_changed for the
 * write-on-change formats, XenServer's and Qubes'); -ENOENT when no
 * convention's keys are there (a guest without an agent) or Qubes'
 * memory/meminfo is empty (no report yet); -EAGAIN when XenServer's
 * meminfo_free is above meminfo_total, which its writer's one-key-at-a-
 * time updates show for a moment (*why, *bad_key set: the caller keeps
 * the previous report and reads again); -EINVAL when a value is
 * malformed or insane: *why (static) says what, *bad_key which key (or
 * -1).  seq gets data/balloon/seq (0 when absent).
 */
int bd_guest_stats_parse(const struct bd_stat_raw *raw, uint64_t size_cap_kib,
                         uint64_t now_ms, struct bd_guest_stats *out,
                         uint64_t *seq, const char **why, int *bad_key);

/* One strict number: 0, or -EINVAL (*why set) / -ERANGE above max. */
int bd_stat_parse_num(const char *s, size_t len, uint64_t max, uint64_t *out,
                      const char **why);

#endif /* BD_GUEST_STATS_H */
