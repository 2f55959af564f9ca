/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * size.c - strict parsing of sizes, percentages, durations and numbers.
 *
 * Every parser here takes the whole string or nothing: no leading or
 * trailing junk, no sign, no white space, no overflow.  Decimal fractions
 * are accepted for sizes ("1.5G"; in K the result must be a whole number
 * of KiB, in M and above it is rounded to the nearest KiB, so that every
 * size bd_format_kib() prints, "1.32G", parses back), and for percentages
 * up to two decimals.  Arithmetic is done in
 * integers on the digits, never in floating point, so "0.1G" is exact.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/size.h"

/*
 * Split "123.45xyz" into an integer part, a fraction (as digits and count)
 * and the unit that follows.  Accepts at most 18 integer digits (so that the
 * caller's multiplications are checked, not wrapped) and at most 9 decimals.
 */
struct number {
    uint64_t whole;
    uint64_t frac;      /* the decimal digits as an integer */
    unsigned frac_digits;
    const char *unit;   /* first character after the number */
};

static int split_number(const char *s, struct number *n, const char **why)
{
    const char *p = s;
    unsigned digits = 0;

    memset(n, 0, sizeof(*n));
    if (!s || !*s) {
        *why = "empty value";
        return -EINVAL;
    }
    if (*p == '-') {
        *why = "negative value";
        return -EINVAL;
    }
    if (*p < '0' || *p > '9') {
        *why = "not a number";
        return -EINVAL;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 18) {
            *why = "number too large";
            return -ERANGE;
        }
        n->whole = n->whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            *why = "digit expected after '.'";
            return -EINVAL;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++n->frac_digits > 9) {
                *why = "too many decimals";
                return -EINVAL;
            }
            n->frac = n->frac * 10 + (uint64_t)(*p - '0');
        }
    }
    n->unit = p;
    return 0;
}

static uint64_t pow10u(unsigned e)
{
    uint64_t r = 1;

    while (e--)
        r *= 10;
    return r;
}

/*
 * value = (whole + frac / 10^fd) * mult, which must be a whole number and
 * at most max.  mult <= 2^30 and whole < 10^18 could overflow 64 bits, so
 * check before multiplying.
 */
static int scale(const struct number *n, uint64_t mult, uint64_t max,
                 uint64_t *out, const char **why, const char *inexact,
                 bool round)
{
    uint64_t base = pow10u(n->frac_digits);
    uint64_t whole_part, frac_num, frac_val;

    if (n->whole > max / mult) {
        *why = "value too large";
        return -ERANGE;
    }
    whole_part = n->whole * mult;
    /* frac < 10^9 and mult <= 2^30, or frac < 10^6 and mult <= 2^40
     * (the caller's limit): the product fits in 64 bits. */
    frac_num = n->frac * mult;
    if (frac_num % base && !round) {
        *why = inexact;
        return -EINVAL;
    }
    frac_val = frac_num / base + (round && frac_num % base >= base - base / 2);
    if (whole_part + frac_val > max) {
        *why = "value too large";
        return -ERANGE;
    }
    *out = whole_part + frac_val;
    return 0;
}

static int size_unit(const char *u, uint64_t *mult_kib)
{
    const char *rest = u + 1;

    switch (*u) {
    case 'k': case 'K': *mult_kib = 1; break;
    case 'm': case 'M': *mult_kib = UINT64_C(1) << 10; break;
    case 'g': case 'G': *mult_kib = UINT64_C(1) << 20; break;
    case 't': case 'T': *mult_kib = UINT64_C(1) << 30; break;
    case 'p': case 'P': *mult_kib = UINT64_C(1) << 40; break;
    default: return -EINVAL;
    }
    /* "M", "MB", "MiB" are all binary here, as in xl(1). */
    if (!*rest || !strcasecmp(rest, "b") || !strcasecmp(rest, "ib"))
        return 0;
    return -EINVAL;
}

/* A number without a unit: only 0 means the same in every unit. */
static int bare_number(const struct number *n, uint64_t *out, const char **why,
                       const char *need_unit)
{
    if (n->whole == 0 && n->frac == 0) {
        *out = 0;
        return 0;
    }
    *why = need_unit;
    return -EINVAL;
}

int bd_parse_size_kib(const char *s, uint64_t *kib, const char **why)
{
    struct number n;
    uint64_t mult;
    int rc;

    rc = split_number(s, &n, why);
    if (rc)
        return rc;
    if (!*n.unit)
        return bare_number(&n, kib, why,
                           "size needs a unit: K, M, G, T or P");
    if (size_unit(n.unit, &mult)) {
        *why = "unknown size unit (use K, M, G, T or P)";
        return -EINVAL;
    }
    if (mult > (UINT64_C(1) << 30) && n.frac_digits > 6) {
        *why = "too many decimals";
        return -EINVAL;
    }
    return scale(&n, mult, BD_SIZE_MAX_KIB, kib, why,
                 "size is not a whole number of KiB", mult > 1);
}

int bd_parse_size(const char *s, bool allow_pct, struct bd_size *out,
                  const char **why)
{
    struct number n;
    uint64_t v;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = split_number(s, &n, why);
    if (rc)
        return rc;
    if (n.unit[0] == '%') {
        if (!allow_pct) {
            *why = "a percentage is not allowed here";
            return -EINVAL;
        }
        if (n.unit[1]) {
            *why = "junk after '%'";
            return -EINVAL;
        }
        rc = scale(&n, 100, 10000, &v, why, "at most two decimals in a %",
                   false);
        if (rc == -ERANGE)
            *why = "percentage above 100%";
        if (rc)
            return rc;
        out->is_pct = true;
        out->pct_x100 = (uint32_t)v;
        return 0;
    }
    return bd_parse_size_kib(s, &out->kib, why);
}

uint64_t bd_size_resolve(const struct bd_size *s, uint64_t base_kib)
{
    if (!s->is_pct)
        return s->kib;
    /* base is at most 2^40 and pct_x100 at most 10^4: no overflow. */
    if (base_kib > BD_SIZE_MAX_KIB)
        base_kib = BD_SIZE_MAX_KIB;
    return base_kib * s->pct_x100 / 10000;
}

int bd_parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {
        {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000},
    };
    struct number n;
    size_t i;
    int rc;

    rc = split_number(s, &n, why);
    if (rc)
        return rc;
    if (!*n.unit)
        return bare_number(&n, ms, why,
                           "duration needs a unit: ms, s, min or h");
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(n.unit, units[i].name))
            return scale(&n, units[i].ms, BD_DURATION_MAX_MS, ms, why,
                         "duration is not a whole number of ms", false);
    *why = "unknown duration unit (use ms, s, min or h)";
    return -EINVAL;
}

int bd_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
                  const char **why)
{
    struct number n;
    int rc;

    rc = split_number(s, &n, why);
    if (rc)
        return rc;
    if (*n.unit || n.frac_digits) {
        *why = "not a whole number";
        return -EINVAL;
    }
    if (n.whole < lo || n.whole > hi) {
        *why = "out of range";
        return -ERANGE;
    }
    *out = n.whole;
    return 0;
}

char *bd_format_kib(uint64_t kib, char *buf, size_t len)
{
    static const char units[] = "KMGTP";
    unsigned u = 0;
    uint64_t div = 1;

    if (!len)
        return buf;
    while (u + 1 < sizeof(units) - 1 && kib >= div * 1024) {
        div *= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 "K", kib);
    else if (kib / div >= 100)
        snprintf(buf, len, "%" PRIu64 "%c", (kib + div / 2) / div, units[u]);
    else {
        /* Hundredths rounded to nearest, without floating point (kib is
         * below 100 units here, so kib * 100 cannot overflow); 99.995
         * and above round up to a whole 100. */
        uint64_t h = (kib * 100 + div / 2) / div;

        if (h >= 10000)
            snprintf(buf, len, "%" PRIu64 "%c", h / 100, units[u]);
        else
            snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 "%c", h / 100, h % 100,
                     units[u]);
    }
    return buf;
}
