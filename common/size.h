/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * size.h - parsing and printing of memory sizes and durations.
 *
 * Shared by the config parser, balloonctl and balloon-agent.  Sizes are
 * binary (K = 1024 bytes) and always need a unit, except 0, so that "512"
 * can never mean bytes to one reader and MiB to another.  Internally every
 * size is KiB and every duration milliseconds.
 */
#ifndef BD_SIZE_H
#define BD_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest size accepted anywhere: 1 PiB, in KiB (Xen hosts are far below,
 * and it keeps every sum of a few thousand sizes clear of overflow). */
#define BD_SIZE_MAX_KIB (UINT64_C(1) << 40)
/* Largest duration accepted: 30 days. */
#define BD_DURATION_MAX_MS (UINT64_C(30) * 24 * 3600 * 1000)

/* A size that may be relative ("25%") to something the user of the value
 * chooses (a domain's static-max, the host total). */
struct bd_size {
    bool is_pct;
    uint64_t kib;     /* when !is_pct */
    uint32_t pct_x100; /* when is_pct: hundredths of a percent, 0..10000 */
};

/*
 * "512M", "2G", "1.5G", "64K", "1T", "1P", "0".  Suffixes K M G T P
 * (case-insensitive, optional trailing "iB"/"B": "512MiB", "512MB" both mean
 * 512 MiB).  In K the value must be a whole number of KiB; in M and above a
 * fraction is rounded to the nearest KiB, so that what bd_format_kib()
 * prints parses back.  Returns 0, or -EINVAL with *why set to a static
 * message, or -ERANGE above BD_SIZE_MAX_KIB.
 */
int bd_parse_size_kib(const char *s, uint64_t *kib, const char **why);

/* As bd_parse_size_kib(), and also "N%" (0..100, up to two decimals) when
 * allow_pct. */
int bd_parse_size(const char *s, bool allow_pct, struct bd_size *out,
                  const char **why);

/* Resolve against base_kib (for %). */
uint64_t bd_size_resolve(const struct bd_size *s, uint64_t base_kib);

/* "250ms", "5s", "2min", "1h", "0".  Returns 0, -EINVAL (*why set) or
 * -ERANGE above BD_DURATION_MAX_MS. */
int bd_parse_duration_ms(const char *s, uint64_t *ms, const char **why);

/* Parse a whole decimal number in [lo, hi]; no sign, no junk. */
int bd_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
                  const char **why);

/* Human size, binary units up to P: "64K", "1.50G", "512M" (two decimals
 * below 100 of a unit, truncated; whole units from 100, rounded).  What it
 * prints, bd_parse_size_kib() takes back (within the rounding shown).
 * Returns buf. */
char *bd_format_kib(uint64_t kib, char *buf, size_t len);

#endif /* BD_SIZE_H */
