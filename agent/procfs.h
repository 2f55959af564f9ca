/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procfs.h - pure parsers for the three /proc files balloon-agent reads.
 *
 * Design: every parser takes a buffer and its length (not a C string: a
 * file may hold NUL bytes) and fills a plain struct.  No I/O, no globals,
 * no allocation, so the unit tests feed them recorded files and damaged
 * variants.  Parsing is strict where a wrong number could be reported:
 * a field we use must be well formed, appear once, and fit; an unterminated
 * last line means a truncated read and fails the whole file.  Lines we do
 * not use are skipped without being interpreted, so new kernel fields never
 * break the agent.
 *
 * Rates come from two readings of a monotonic kernel counter and the
 * milliseconds between them; see bd_counter_rate().
 */
#ifndef BD_AGENT_PROCFS_H
#define BD_AGENT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* From /proc/meminfo.  MemAvailable appeared in Linux 3.14; without it
 * available_kib is MemFree (the XenServer tools' fallback, and the
 * conservative one: it never overstates what the guest could give back). */
struct bd_meminfo {
    uint64_t total_kib;      /* MemTotal */
    uint64_t free_kib;       /* MemFree */
    uint64_t available_kib;  /* MemAvailable, else MemFree; <= total_kib */
    bool has_available;      /* the kernel printed MemAvailable */
    uint64_t swap_total_kib; /* SwapTotal */
    uint64_t swap_free_kib;  /* SwapFree, <= swap_total_kib */
};

/* From /proc/vmstat: raw event counters since boot.  A kernel built
 * without CONFIG_VM_EVENT_COUNTERS prints none of them. */
struct bd_vmstat {
    bool present;        /* all three were found */
    uint64_t pswpin;     /* pages swapped in */
    uint64_t pswpout;    /* pages swapped out */
    uint64_t pgmajfault; /* major page faults */
};

/* From /proc/pressure/memory: avg10 in hundredths of a percent
 * (0..10000; "12.34" -> 1234).  "full" was added after "some" for some
 * resources, so it is optional. */
struct bd_psi {
    uint32_t some_x100;
    uint32_t full_x100;
    bool has_full;
};

/* Largest file any parser accepts; a read that fills the caller's buffer
 * is a truncated read, not a file. */
#define BD_PROCFS_MAX_BYTES 65536

/*
 * Parse /proc/meminfo.  Returns 0; -EINVAL for a malformed used field, a
 * duplicate, MemTotal 0, or a truncated last line; -ERANGE for a number
 * that does not fit in 64 bits or exceeds BD_SIZE_MAX_KIB; -ENODATA when
 * MemTotal, MemFree, SwapTotal or SwapFree is missing.
 */
int bd_meminfo_parse(const char *buf, size_t len, struct bd_meminfo *out);

/*
 * Parse /proc/vmstat.  Returns 0 (out->present says whether the three
 * counters were there; a file with none of them is valid), -EINVAL for a
 * malformed used line, a duplicate, a truncated last line, or only some of
 * the three counters; -ERANGE on 64-bit overflow.
 */
int bd_vmstat_parse(const char *buf, size_t len, struct bd_vmstat *out);

/*
 * Parse /proc/pressure/memory.  Returns 0, -EINVAL for a malformed file or
 * a missing "some" line, -ERANGE for an avg10 above 100.00.
 */
int bd_psi_parse(const char *buf, size_t len, struct bd_psi *out);

/*
 * Per-second rate of a counter read as prev and then cur, elapsed_ms
 * apart, rounded to nearest.  Returns 0 with *rate set; 1 (a positive
 * value: not an error) when the counter went backwards and is not a
 * plausible 32-bit wrap, i.e. it was reset: *rate is 0 and the caller
 * should take cur as the new base; -EINVAL when elapsed_ms is 0.
 * A 32-bit guest's unsigned long wraps at 2^32: when prev fits in 32 bits
 * and cur < prev, the delta is taken modulo 2^32 if that is below 2^31.
 */
int bd_counter_rate(uint64_t prev, uint64_t cur, uint64_t elapsed_ms,
                    uint64_t *rate);

#endif /* BD_AGENT_PROCFS_H */
