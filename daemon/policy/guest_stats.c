/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest_stats.c - strict parsers for the guest memory reports.
 *
 * Design: everything here is a pure function of the bytes a guest wrote.
 * A guest can write anything, of any length, at any rate, so every value
 * is length-capped before it is looked at, must be digits only, must fit
 * the range of its unit and must agree with the domain's size and with
 * the other values of the same report.  The first problem found makes the
 * whole report invalid (the daemon then treats the guest as silent); the
 * caller logs it once.  Two things are not problems: an empty Qubes
 * memory/meminfo (qubesd creates it so: no report yet) and a XenServer
 * pair caught between its writer's two writes (-EAGAIN).  No allocation, no locale, no strtoull (which
 * accepts signs and spaces).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/size.h"
#include "common/xskeys.h"
#include "daemon/policy/guest_stats.h"

const char *const bd_stat_key_path[BD_SK_N] = {
    [BD_SK_MEM_TOTAL] = BD_XS_AGENT_MEM_TOTAL,
    [BD_SK_MEM_AVAIL] = BD_XS_AGENT_MEM_AVAILABLE,
    [BD_SK_SWAP_TOTAL] = BD_XS_AGENT_SWAP_TOTAL,
    [BD_SK_SWAP_FREE] = BD_XS_AGENT_SWAP_FREE,
    [BD_SK_SWAPIN] = BD_XS_AGENT_SWAPIN_RATE,
    [BD_SK_SWAPOUT] = BD_XS_AGENT_SWAPOUT_RATE,
    [BD_SK_MAJFLT] = BD_XS_AGENT_MAJFLT_RATE,
    [BD_SK_PSI_SOME] = BD_XS_AGENT_PSI_SOME,
    [BD_SK_PSI_FULL] = BD_XS_AGENT_PSI_FULL,
    [BD_SK_SEQ] = BD_XS_AGENT_SEQ,
    [BD_SK_XS_TOTAL] = BD_XS_XE_MEMINFO_TOTAL,
    [BD_SK_XS_FREE] = BD_XS_XE_MEMINFO_FREE,
    [BD_SK_QUBES] = BD_XS_QUBES_MEMINFO,
};

/* A rate above this (per second) is not something a real guest reports. */
#define RATE_MAX UINT64_C(100000000)
/* Sizes may exceed the static-max by rounding: MemTotal is at most the
 * pages the guest holds, which never exceed static-max plus a few pages. */
#define SIZE_SLACK_KIB UINT64_C(4096)

int bd_stat_parse_num(const char *s, size_t len, uint64_t max, uint64_t *out,
                      const char **why)
{
    uint64_t v = 0;
    size_t i;

    /* Writers like `echo` leave one trailing newline: tolerate it only. */
    if (len > 0 && s[len - 1] == '\n')
        len--;
    if (len == 0) {
        *why = "empty value";
        return -EINVAL;
    }
    if (len > BD_STAT_NUM_MAX) {
        *why = "value too long";
        return -EINVAL;
    }
    for (i = 0; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9') {
            *why = s[i] == '-' ? "negative value" : "not a decimal number";
            return -EINVAL;
        }
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            *why = "value out of range";
            return -ERANGE;
        }
        v = v * 10 + d;
    }
    if (v > max) {
        *why = "value out of range";
        return -ERANGE;
    }
    *out = v;
    return 0;
}

static bool have(const struct bd_stat_raw *raw, enum bd_stat_key k)
{
    return raw->val[k] != NULL;
}

/* Parse key k if present; *present tells whether it was. */
static int num(const struct bd_stat_raw *raw, enum bd_stat_key k,
               uint64_t max, uint64_t *out, bool *present, const char **why,
               int *bad_key)
{
    int rc;

    *out = 0;
    if (present)
        *present = false;
    if (!have(raw, k))
        return 0;
    rc = bd_stat_parse_num(raw->val[k], raw->len[k], max, out, why);
    if (rc < 0) {
        *bad_key = (int)k;
        return -EINVAL;
    }
    if (present)
        *present = true;
    return 0;
}

static int parse_agent(const struct bd_stat_raw *raw, uint64_t cap,
                       struct bd_guest_stats *st, uint64_t *seq,
                       const char **why, int *bad_key)
{
    uint64_t total, avail, swap_total, swap_free, in, out, flt, some, full;
    bool has_in, has_out, has_flt, has_some, has_full, has_st, has_sf;
    int rc;

    if ((rc = num(raw, BD_SK_MEM_TOTAL, cap, &total, NULL, why, bad_key)) ||
        (rc = num(raw, BD_SK_MEM_AVAIL, cap, &avail, NULL, why, bad_key)) ||
        (rc = num(raw, BD_SK_SWAP_TOTAL, BD_SIZE_MAX_KIB, &swap_total,
                  &has_st, why, bad_key)) ||
        (rc = num(raw, BD_SK_SWAP_FREE, BD_SIZE_MAX_KIB, &swap_free, &has_sf,
                  why, bad_key)) ||
        (rc = num(raw, BD_SK_SWAPIN, RATE_MAX, &in, &has_in, why, bad_key)) ||
        (rc = num(raw, BD_SK_SWAPOUT, RATE_MAX, &out, &has_out, why,
                  bad_key)) ||
        (rc = num(raw, BD_SK_MAJFLT, RATE_MAX, &flt, &has_flt, why,
                  bad_key)) ||
        (rc = num(raw, BD_SK_PSI_SOME, 10000, &some, &has_some, why,
                  bad_key)) ||
        (rc = num(raw, BD_SK_PSI_FULL, 10000, &full, &has_full, why,
                  bad_key)) ||
        (rc = num(raw, BD_SK_SEQ, UINT64_MAX, seq, NULL, why, bad_key)))
        return rc;

    if (total == 0) {
        *why = "mem-total is zero";
        *bad_key = BD_SK_MEM_TOTAL;
        return -EINVAL;
    }
    if (avail > total) {
        *why = "mem-available above mem-total";
        *bad_key = BD_SK_MEM_AVAIL;
        return -EINVAL;
    }
    if (has_st && has_sf && swap_free > swap_total) {
        *why = "swap-free above swap-total";
        *bad_key = BD_SK_SWAP_FREE;
        return -EINVAL;
    }
    if (has_some && has_full && full > some) {
        *why = "psi-full above psi-some";
        *bad_key = BD_SK_PSI_FULL;
        return -EINVAL;
    }
    st->total_kib = total;
    st->used_kib = total - avail;
    if (has_st && has_sf)
        st->swap_used_kib = swap_total - swap_free;
    if (has_in || has_out || has_flt) {
        st->has_rates = true;
        st->swapin_per_s = (uint32_t)in;
        st->swapout_per_s = (uint32_t)out;
        st->majflt_per_s = (uint32_t)flt;
    }
    if (has_some) {
        st->has_psi = true;
        st->psi_some_x100 = (uint32_t)some;
    }
    return 0;
}

static int parse_xenserver(const struct bd_stat_raw *raw, uint64_t cap,
                           struct bd_guest_stats *st, const char **why,
                           int *bad_key)
{
    uint64_t total, avail;
    int rc;

    if ((rc = num(raw, BD_SK_XS_TOTAL, cap, &total, NULL, why, bad_key)) ||
        (rc = num(raw, BD_SK_XS_FREE, cap, &avail, NULL, why, bad_key)))
        return rc;
    if (total == 0) {
        *why = "meminfo_total is zero";
        *bad_key = BD_SK_XS_TOTAL;
        return -EINVAL;
    }
    if (avail > total) {
        /* xe-daemon writes one key at a time, without a transaction: a
         * smaller total is followed at once by its free.  Normal, not an
         * error; the caller decides how long it may last. */
        *why = "meminfo_free above meminfo_total";
        *bad_key = BD_SK_XS_FREE;
        return -EAGAIN;
    }
    st->total_kib = total;
    st->used_kib = total - avail;
    st->until_changed = true;
    return 0;
}

enum {
    QM_TOTAL, QM_FREE, QM_AVAIL, QM_BUFFERS, QM_CACHED, QM_SWAPT, QM_SWAPF,
    QM_N
};
static const char *const qubes_names[QM_N] = {
    "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapTotal",
    "SwapFree",
};

/*
 * memory/meminfo.  Lines "Name:<spaces>digits[ kB]".  Unknown names are
 * skipped (future writers may add some) but must still be well-formed.
 */
static int parse_qubes(const char *s, size_t len, uint64_t cap,
                       struct bd_guest_stats *st, const char **why)
{
    uint64_t v[QM_N] = {0};
    bool seen[QM_N] = {false};
    size_t pos = 0;
    const char *colon;
    uint64_t used;
    int rc;

    if (len > BD_STAT_MEMINFO_MAX) {
        *why = "meminfo too long";
        return -EINVAL;
    }
    if (memchr(s, ':', len) == NULL) {
        /* The single-number form: used memory in KiB. */
        rc = bd_stat_parse_num(s, len, cap, &used, why);
        if (rc < 0)
            return -EINVAL;
        st->used_kib = used;
        st->total_kib = 0;
        st->until_changed = true;
        return 0;
    }
    while (pos < len) {
        const char *line = s + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos;
        size_t nlen, i, vstart, vend;
        int which = -1;
        uint64_t val;

        pos += llen + (nl ? 1 : 0);
        if (llen == 0)
            continue;
        colon = memchr(line, ':', llen);
        if (!colon || colon == line) {
            *why = "meminfo line without a name";
            return -EINVAL;
        }
        nlen = (size_t)(colon - line);
        for (i = 0; i < nlen; i++) {
            char c = line[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '(' ||
                  c == ')')) {
                *why = "meminfo name with bad characters";
                return -EINVAL;
            }
        }
        vstart = nlen + 1;
        while (vstart < llen && line[vstart] == ' ')
            vstart++;
        vend = llen;
        if (vend >= vstart + 3 && memcmp(line + vend - 3, " kB", 3) == 0)
            vend -= 3;
        rc = bd_stat_parse_num(line + vstart, vend - vstart, BD_SIZE_MAX_KIB,
                               &val, why);
        if (rc < 0)
            return -EINVAL;
        for (i = 0; i < QM_N; i++)
            if (strlen(qubes_names[i]) == nlen &&
                memcmp(qubes_names[i], line, nlen) == 0)
                which = (int)i;
        if (which < 0)
            continue;
        if (seen[which]) {
            *why = "meminfo repeats a field";
            return -EINVAL;
        }
        seen[which] = true;
        v[which] = val;
    }
    if (!seen[QM_TOTAL] || (!seen[QM_FREE] && !seen[QM_AVAIL])) {
        *why = "meminfo lacks MemTotal or MemFree";
        return -EINVAL;
    }
    if (v[QM_TOTAL] == 0 || v[QM_TOTAL] > cap) {
        *why = "meminfo MemTotal out of range";
        return -EINVAL;
    }
    if (seen[QM_AVAIL]) {
        if (v[QM_AVAIL] > v[QM_TOTAL]) {
            *why = "meminfo MemAvailable above MemTotal";
            return -EINVAL;
        }
        used = v[QM_TOTAL] - v[QM_AVAIL];
    } else {
        /* Each term is below 2^40, so the sum cannot overflow. */
        uint64_t reclaim = v[QM_FREE] + v[QM_BUFFERS] + v[QM_CACHED];
        if (reclaim > v[QM_TOTAL]) {
            *why = "meminfo free+buffers+cached above MemTotal";
            return -EINVAL;
        }
        used = v[QM_TOTAL] - reclaim;
    }
    if (seen[QM_SWAPT] && seen[QM_SWAPF]) {
        if (v[QM_SWAPF] > v[QM_SWAPT]) {
            *why = "meminfo SwapFree above SwapTotal";
            return -EINVAL;
        }
        st->swap_used_kib = v[QM_SWAPT] - v[QM_SWAPF];
    }
    st->total_kib = v[QM_TOTAL];
    st->used_kib = used;
    st->until_changed = true;
    return 0;
}

/* qubesd creates memory/meminfo empty before the guest starts. */
static bool qubes_empty(const struct bd_stat_raw *raw)
{
    size_t len = raw->len[BD_SK_QUBES];

    return len == 0 || (len == 1 && raw->val[BD_SK_QUBES][0] == '\n');
}

int bd_guest_stats_parse(const struct bd_stat_raw *raw, uint64_t size_cap_kib,
                         uint64_t now_ms, struct bd_guest_stats *out,
                         uint64_t *seq, const char **why, int *bad_key)
{
    uint64_t cap;
    uint64_t seq_dummy = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    *why = NULL;
    *bad_key = -1;
    if (!seq)
        seq = &seq_dummy;
    *seq = 0;
    cap = size_cap_kib ? size_cap_kib + SIZE_SLACK_KIB : BD_SIZE_MAX_KIB;
    if (cap > BD_SIZE_MAX_KIB)
        cap = BD_SIZE_MAX_KIB;

    if (have(raw, BD_SK_MEM_TOTAL) && have(raw, BD_SK_MEM_AVAIL))
        rc = parse_agent(raw, cap, out, seq, why, bad_key);
    else if (have(raw, BD_SK_XS_TOTAL) && have(raw, BD_SK_XS_FREE))
        rc = parse_xenserver(raw, cap, out, why, bad_key);
    else if (have(raw, BD_SK_QUBES) && qubes_empty(raw))
        return -ENOENT; /* no report yet */
    else if (have(raw, BD_SK_QUBES)) {
        rc = parse_qubes(raw->val[BD_SK_QUBES], raw->len[BD_SK_QUBES], cap,
                         out, why);
        if (rc < 0)
            *bad_key = BD_SK_QUBES;
    } else if (have(raw, BD_SK_MEM_TOTAL) || have(raw, BD_SK_MEM_AVAIL)) {
        /* Half a report: an agent that writes without a transaction, or
         * a guest that deleted one key.  Not usable either way. */
        *why = "incomplete report (mem-total without mem-available)";
        *bad_key = have(raw, BD_SK_MEM_TOTAL) ? BD_SK_MEM_AVAIL
                                              : BD_SK_MEM_TOTAL;
        rc = -EINVAL;
    } else
        return -ENOENT;

    if (rc < 0) {
        memset(out, 0, sizeof(*out));
        *seq = 0;
        return rc == -EAGAIN ? -EAGAIN : -EINVAL;
    }
    out->present = true;
    out->time_ms = now_ms;
    return 0;
}
