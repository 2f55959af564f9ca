/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procfs.c - parsers for /proc/meminfo, /proc/vmstat, /proc/pressure/memory.
 *
 * Design: walk the buffer line by line with memchr (NUL bytes are just
 * bytes); a line is used only when its name matches exactly, and a used
 * line must match the kernel's format completely: name, separator, a
 * decimal number without sign, the unit where there is one, end of line.
 * The kernel's own formats: fs/proc/meminfo.c (show_val_kb: "%s%8lu kB"),
 * mm/vmstat.c ("%s %lu"), kernel/sched/psi.c
 * ("%s avg10=%lu.%02lu avg60=... total=%llu").
 */
#include "agent/procfs.h"

#include <errno.h>
#include <string.h>

#include "common/size.h"

/* Walks lines; *line and *line_len get the next one without its '\n'.
 * Returns 1 for a line, 0 at the end, -EINVAL for an unterminated last
 * line (a truncated read). */
struct line_iter {
    const char *p;
    const char *end;
};

static int next_line(struct line_iter *it, const char **line, size_t *line_len)
{
    const char *nl;

    if (it->p >= it->end)
        return 0;
    nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    if (!nl)
        return -EINVAL;
    *line = it->p;
    *line_len = (size_t)(nl - it->p);
    it->p = nl + 1;
    return 1;
}

/* Decimal digits at *pp (before end) into *v; at least one digit.
 * Advances *pp past them. */
static int parse_u64(const char **pp, const char *end, uint64_t *v)
{
    const char *p = *pp;
    uint64_t x = 0;

    if (p >= end || *p < '0' || *p > '9')
        return -EINVAL;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -ERANGE;
        x = x * 10 + d;
        p++;
    }
    *pp = p;
    *v = x;
    return 0;
}

/* Does the line start with name followed by sep?  Then *rest points after
 * the separator. */
static bool match_name(const char *line, size_t len, const char *name,
                       char sep, const char **rest)
{
    size_t n = strlen(name);

    if (len <= n || memcmp(line, name, n) != 0 || line[n] != sep)
        return false;
    *rest = line + n + 1;
    return true;
}

/* ---- /proc/meminfo ------------------------------------------------------ */

enum { MI_TOTAL, MI_FREE, MI_AVAIL, MI_SWAP_TOTAL, MI_SWAP_FREE, MI_N };
static const char *const meminfo_names[MI_N] = {
    "MemTotal", "MemFree", "MemAvailable", "SwapTotal", "SwapFree",
};

/* "   12345 kB" up to end of line. */
static int parse_kb_value(const char *p, const char *end, uint64_t *kib)
{
    int rc;

    if (p >= end || *p != ' ')
        return -EINVAL;
    while (p < end && *p == ' ')
        p++;
    rc = parse_u64(&p, end, kib);
    if (rc)
        return rc;
    if (end - p != 3 || memcmp(p, " kB", 3) != 0)
        return -EINVAL;
    if (*kib > BD_SIZE_MAX_KIB)
        return -ERANGE;
    return 0;
}

int bd_meminfo_parse(const char *buf, size_t len, struct bd_meminfo *out)
{
    struct line_iter it;
    uint64_t val[MI_N] = { 0 };
    bool seen[MI_N] = { false };
    const char *line, *rest;
    size_t line_len;
    int rc, i;

    if (!buf || len > BD_PROCFS_MAX_BYTES)
        return -EINVAL;
    it.p = buf;
    it.end = buf + len;
    while ((rc = next_line(&it, &line, &line_len)) > 0) {
        for (i = 0; i < MI_N; i++) {
            if (!match_name(line, line_len, meminfo_names[i], ':', &rest))
                continue;
            if (seen[i])
                return -EINVAL;
            rc = parse_kb_value(rest, line + line_len, &val[i]);
            if (rc)
                return rc;
            seen[i] = true;
            break;
        }
    }
    if (rc < 0)
        return rc;
    if (!seen[MI_TOTAL] || !seen[MI_FREE] || !seen[MI_SWAP_TOTAL] ||
        !seen[MI_SWAP_FREE])
        return -ENODATA;
    if (val[MI_TOTAL] == 0)
        return -EINVAL;

    out->total_kib = val[MI_TOTAL];
    out->has_available = seen[MI_AVAIL];
    /* The kernel sums MemAvailable and reads MemTotal at slightly different
     * moments; while the balloon driver moves pages, one can briefly exceed
     * the other.  Clamp instead of failing the sample. */
    out->free_kib = val[MI_FREE] < val[MI_TOTAL] ? val[MI_FREE] : val[MI_TOTAL];
    out->available_kib = seen[MI_AVAIL] ? val[MI_AVAIL] : val[MI_FREE];
    if (out->available_kib > out->total_kib)
        out->available_kib = out->total_kib;
    out->swap_total_kib = val[MI_SWAP_TOTAL];
    out->swap_free_kib = val[MI_SWAP_FREE] < val[MI_SWAP_TOTAL]
                             ? val[MI_SWAP_FREE]
                             : val[MI_SWAP_TOTAL];
    return 0;
}

/* ---- /proc/vmstat ------------------------------------------------------- */

enum { VS_PSWPIN, VS_PSWPOUT, VS_PGMAJFAULT, VS_N };
static const char *const vmstat_names[VS_N] = {
    "pswpin", "pswpout", "pgmajfault",
};

int bd_vmstat_parse(const char *buf, size_t len, struct bd_vmstat *out)
{
    struct line_iter it;
    uint64_t val[VS_N] = { 0 };
    bool seen[VS_N] = { false };
    const char *line, *rest;
    size_t line_len;
    int rc, i, nseen = 0;

    if (!buf || len > BD_PROCFS_MAX_BYTES)
        return -EINVAL;
    it.p = buf;
    it.end = buf + len;
    while ((rc = next_line(&it, &line, &line_len)) > 0) {
        for (i = 0; i < VS_N; i++) {
            if (!match_name(line, line_len, vmstat_names[i], ' ', &rest))
                continue;
            if (seen[i])
                return -EINVAL;
            rc = parse_u64(&rest, line + line_len, &val[i]);
            if (rc)
                return rc;
            if (rest != line + line_len)
                return -EINVAL;
            seen[i] = true;
            nseen++;
            break;
        }
    }
    if (rc < 0)
        return rc;
    if (nseen != 0 && nseen != VS_N)
        return -EINVAL;

    out->present = nseen == VS_N;
    out->pswpin = val[VS_PSWPIN];
    out->pswpout = val[VS_PSWPOUT];
    out->pgmajfault = val[VS_PGMAJFAULT];
    return 0;
}

/* ---- /proc/pressure/memory ---------------------------------------------- */

/* "avg10=12.34 ..." -> 1234.  The rest of the line is not used. */
static int parse_avg10(const char *p, const char *end, uint32_t *x100)
{
    static const char key[] = "avg10=";
    uint64_t ip;
    int rc;

    if ((size_t)(end - p) < sizeof(key) - 1 ||
        memcmp(p, key, sizeof(key) - 1) != 0)
        return -EINVAL;
    p += sizeof(key) - 1;
    rc = parse_u64(&p, end, &ip);
    if (rc)
        return rc;
    if (end - p < 3 || p[0] != '.' || p[1] < '0' || p[1] > '9' ||
        p[2] < '0' || p[2] > '9')
        return -EINVAL;
    if (end - p > 3 && p[3] != ' ')
        return -EINVAL;
    if (ip > 100)
        return -ERANGE;
    ip = ip * 100 + (uint64_t)(p[1] - '0') * 10 + (uint64_t)(p[2] - '0');
    if (ip > 10000)
        return -ERANGE;
    *x100 = (uint32_t)ip;
    return 0;
}

int bd_psi_parse(const char *buf, size_t len, struct bd_psi *out)
{
    struct line_iter it;
    bool seen_some = false, seen_full = false;
    uint32_t some = 0, full = 0;
    const char *line, *rest;
    size_t line_len;
    int rc;

    if (!buf || len > BD_PROCFS_MAX_BYTES)
        return -EINVAL;
    it.p = buf;
    it.end = buf + len;
    while ((rc = next_line(&it, &line, &line_len)) > 0) {
        if (match_name(line, line_len, "some", ' ', &rest)) {
            if (seen_some)
                return -EINVAL;
            rc = parse_avg10(rest, line + line_len, &some);
            seen_some = true;
        } else if (match_name(line, line_len, "full", ' ', &rest)) {
            if (seen_full)
                return -EINVAL;
            rc = parse_avg10(rest, line + line_len, &full);
            seen_full = true;
        } else {
            /* The file has exactly these two kinds of line; anything else
             * means it is not a PSI file. */
            rc = -EINVAL;
        }
        if (rc)
            return rc;
    }
    if (rc < 0)
        return rc;
    if (!seen_some)
        return -EINVAL;

    out->some_x100 = some;
    out->full_x100 = full;
    out->has_full = seen_full;
    return 0;
}

/* ---- rates -------------------------------------------------------------- */

int bd_counter_rate(uint64_t prev, uint64_t cur, uint64_t elapsed_ms,
                    uint64_t *rate)
{
    unsigned __int128 scaled;
    uint64_t delta;

    if (elapsed_ms == 0)
        return -EINVAL;
    if (cur >= prev) {
        delta = cur - prev;
    } else if (prev <= UINT32_MAX &&
               (UINT64_C(1) << 32) - prev + cur < (UINT64_C(1) << 31)) {
        delta = (UINT64_C(1) << 32) - prev + cur;
    } else {
        *rate = 0;
        return 1;
    }
    /* A counter jumping by nearly 2^64 (garbage) would overflow 64 bits
     * once scaled to per-second; compute wide and saturate. */
    scaled = ((unsigned __int128)delta * 1000 + elapsed_ms / 2) / elapsed_ms;
    *rate = scaled > UINT64_MAX ? UINT64_MAX : (uint64_t)scaled;
    return 0;
}
