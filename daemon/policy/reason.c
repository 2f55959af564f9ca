/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reason.c - the words of the policy's reasons (see reason.h).
 *
 * Design: a reason is at most five fixed strings and formatted numbers
 * concatenated, cut to the buffer.  Numbers are formatted by hand (plain
 * string work, no printf), so 4,096 domains per plan stay cheap.  Sizes
 * read exactly like balloonctl's columns (`512M`, `1.50G`, `12.00G`),
 * times in s, min or h.
 */
#include "daemon/policy/reason.h"

/* Lent memory smaller than this is rounding, not worth a word. */
#define LENT_MIN_KIB (8 * UINT64_C(1024))

/* A text under construction: p moves toward end, which stays free for
 * the NUL. */
struct text {
    char *p, *end;
};

static void put_u64(struct text *t, uint64_t v)
{
    char tmp[24];
    size_t k = 0;

    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && t->p < t->end)
        *t->p++ = tmp[--k];
}

static void put_str(struct text *t, const char *s)
{
    while (s && *s && t->p < t->end)
        *t->p++ = *s++;
}

/* The size format of bd_format_kib() (common/size.c), which balloonctl's
 * columns use, without printf: binary units up to P, two decimals
 * (truncated) below 100 of a unit, whole units (rounded) from 100.  A
 * reason's figures thus read exactly like the columns beside them. */
static void put_kib(struct text *t, uint64_t kib)
{
    static const char units[] = "KMGTP";
    char unit[2] = {0, 0};
    unsigned u = 0;
    uint64_t div = 1;

    while (u + 1 < sizeof(units) - 1 && kib >= div * 1024) {
        div *= 1024;
        u++;
    }
    unit[0] = units[u];
    if (u == 0) {
        put_u64(t, kib);
    } else if (kib / div >= 100) {
        put_u64(t, (kib + div / 2) / div);
    } else {
        uint64_t c = (kib % div) * 100 / div;
        put_u64(t, kib / div);
        put_str(t, c < 10 ? ".0" : ".");
        put_u64(t, c);
    }
    put_str(t, unit);
}

static void put_ms(struct text *t, uint64_t ms)
{
    if (ms < 120 * 1000) {
        put_u64(t, ms / 1000);
        put_str(t, " s");
    } else if (ms < 120 * 60 * 1000) {
        put_u64(t, ms / 60000);
        put_str(t, " min");
    } else {
        put_u64(t, ms / 3600000);
        put_str(t, " h");
    }
}

/* PSI in hundredths of a percent as "12.34%" */
static void put_pct100(struct text *t, uint32_t v)
{
    put_u64(t, v / 100);
    put_str(t, ".");
    if (v % 100 < 10)
        put_str(t, "0");
    put_u64(t, v % 100);
    put_str(t, "%");
}

/* Held, ignored and stuck domains: their state says it all.  Returns
 * false for the others. */
static bool put_held(struct text *t, const struct bd_reason_facts *f)
{
    const char *grows = f->limited ? ", grows as memory frees" : NULL;

    switch (f->state) {
    case BD_STATE_IGNORED:
        put_str(t, "ignored");
        return true;
    case BD_STATE_PINNED:
    case BD_STATE_FIXED:
        put_str(t, f->state == BD_STATE_PINNED ? "pinned at " : "fixed at ");
        put_kib(t, f->held_kib);
        put_str(t, grows);
        return true;
    case BD_STATE_EXTERNAL:
        put_str(t, "external target ");
        put_kib(t, f->held_kib);
        put_str(t, " held");
        put_str(t, grows);
        return true;
    case BD_STATE_STUCK:
        put_str(t, "stuck: no progress ");
        put_ms(t, f->stalled_ms);
        put_str(t, f->retry ? ", retrying" : NULL);
        return true;
    default:
        return false;
    }
}

static void put_clip(struct text *t, const struct bd_reason_facts *f)
{
    put_str(t, "clipped at ");
    put_kib(t, f->clip_kib);
    put_str(t, " (no hot-plug?)");
}

/* The use counted for the guest is its report plus its kernel overhead
 * (learned, estimated or configured; plus swap in use under pressure):
 * named so, since it is more than the USED column beside it. */
static void put_uses(struct text *t, const char *what,
                     const struct bd_reason_facts *f, const char *tail)
{
    put_str(t, what);
    put_str(t, "counted use ");
    put_kib(t, f->used_kib);
    put_str(t, tail);
}

/* What a target holds above the want is spare memory lent to the guest
 * (share-spare), the first taken back: said, with its size, so that a
 * target far above the use it names does not look like a mistake. */
static void put_lent(struct text *t, const struct bd_reason_facts *f)
{
    if (!f->stats || f->target_kib <= f->want_kib + LENT_MIN_KIB)
        return;
    put_str(t, ", lent ");
    put_kib(t, f->target_kib - f->want_kib);
    put_str(t, " spare");
}

/* A target that is not written. */
static void put_kept(struct text *t, const struct bd_reason_facts *f)
{
    if (f->state == BD_STATE_CLIPPED)
        put_clip(t, f);
    else if (!f->stats)
        put_str(t, "no stats: target kept");
    else if (f->alloc_kib < f->need_kib)
        put_uses(t, "fair share: ", f, ", host short");
    else if (f->target_kib >= f->hi_kib &&
             (f->press != BD_PRESS_NONE || f->used_kib >= f->hi_kib)) {
        /* not steady: it would take more, its max stops it */
        put_str(t, "at max ");
        put_kib(t, f->hi_kib);
        put_str(t, f->press != BD_PRESS_NONE ? " under pressure, " : ", ");
        put_uses(t, "", f, NULL);
    } else {
        put_uses(t, "steady: ", f, NULL);
        put_lent(t, f);
    }
}

static void put_grow(struct text *t, const struct bd_reason_facts *f)
{
    const char *fair = f->alloc_kib < f->need_kib ? ", fair share" : NULL;

    switch (f->press) {
    case BD_PRESS_PSI:
        put_str(t, "grow: psi ");
        put_pct100(t, f->press_val);
        break;
    case BD_PRESS_SWAPIN:
        put_str(t, "grow: swap-in ");
        put_u64(t, f->press_val);
        put_str(t, "/s");
        break;
    case BD_PRESS_MAJFLT:
        put_str(t, "grow: major faults ");
        put_u64(t, f->press_val);
        put_str(t, "/s");
        break;
    default:
        put_uses(t, "grow: ", f, NULL);
        put_lent(t, f);
        break;
    }
    put_str(t, fair);
}

static void put_shrink(struct text *t, const struct bd_reason_facts *f)
{
    bool decaying = f->peak_age_ms >= f->shrink_delay_ms;

    if (f->alloc_kib < f->need_kib && f->target_kib == f->min_kib) {
        put_str(t, "shrink to min ");
        put_kib(t, f->min_kib);
        put_uses(t, ": host short, ", f, NULL);
    } else if (f->alloc_kib < f->need_kib) {
        put_uses(t, "shrink: fair share, ", f, ", host short");
    } else if (decaying && f->used_kib < f->peak_kib / 2) {
        put_str(t, "shrink: idle ");
        put_ms(t, f->peak_age_ms);
        put_uses(t, ", ", f, NULL);
    } else if (decaying) {
        put_str(t, "shrink: peak ");
        put_ms(t, f->peak_age_ms);
        put_uses(t, " ago, ", f, NULL);
    } else {
        put_uses(t, "shrink: memory needed elsewhere, ", f, NULL);
    }
}

/* The first rule that applies words the reason. */
static void put_reason(struct text *t, const struct bd_reason_facts *f)
{
    if (put_held(t, f))
        return;
    if (f->target_kib == f->lo_kib && f->need_kib <= f->lo_kib && f->stats &&
        f->target_kib != f->in_force_kib) {
        put_str(t, "clamped to min ");
        put_kib(t, f->lo_kib);
    } else if (!f->write) {
        put_kept(t, f);
    } else if (f->state == BD_STATE_CLIPPED &&
               f->target_kib < f->in_force_kib) {
        put_clip(t, f);
    } else if (f->in_force_kib > f->hi_kib && f->target_kib == f->hi_kib) {
        put_str(t, "clamped to max ");
        put_kib(t, f->hi_kib);
    } else if (f->in_force_kib < f->lo_kib && f->target_kib == f->lo_kib) {
        put_str(t, "clamped to min ");
        put_kib(t, f->lo_kib);
    } else if (!f->stats) {
        put_str(t, "no stats: kept within limits");
    } else if (!f->shrink) {
        put_grow(t, f);
    } else {
        put_shrink(t, f);
    }
}

void bd_reason_write(const struct bd_reason_facts *f, char *buf, size_t len)
{
    struct text t = {buf, buf + len - 1};

    put_reason(&t, f);
    *t.p = '\0';
}
