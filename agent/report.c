/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.c - the write decision and the key list.
 *
 * Design: see report.h.  The decision compares the new sample with the
 * last one *written* (not the last one sampled), so a slow drift of
 * available memory is reported once it adds up to the threshold instead of
 * hiding below it forever.  Pressure is a yes/no state: its start and its
 * end are both written at once, so balloond neither learns of it late nor
 * keeps acting on a stale non-zero rate for a whole heartbeat.
 */
#include "agent/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void bd_report_settings_init(struct bd_report_settings *set)
{
    memset(set, 0, sizeof(*set));
    set->threshold_x100 = BD_REPORT_DEF_THRESHOLD_X100;
    set->heartbeat_ms = BD_REPORT_DEF_HEARTBEAT_MS;
    set->pressure_heartbeat_ms = BD_REPORT_DEF_PRESSURE_HEARTBEAT_MS;
    set->swapin_threshold = BD_REPORT_DEF_SWAPIN_THRESHOLD;
    set->majflt_threshold = BD_REPORT_DEF_MAJFLT_THRESHOLD;
}

const char *bd_report_reason_name(enum bd_report_reason r)
{
    switch (r) {
    case BD_REPORT_NONE: return "none";
    case BD_REPORT_INITIAL: return "initial";
    case BD_REPORT_CHANGE: return "change";
    case BD_REPORT_PRESSURE_ON: return "pressure-on";
    case BD_REPORT_PRESSURE_OFF: return "pressure-off";
    case BD_REPORT_HEARTBEAT: return "heartbeat";
    }
    return "?";
}

bool bd_sample_pressure(const struct bd_agent_sample *s,
                        const struct bd_report_settings *set)
{
    if (s->has_rates && (s->swapin_rate >= set->swapin_threshold ||
                         s->majflt_rate >= set->majflt_threshold))
        return true;
    return s->has_psi && s->psi.some_x100 > 0;
}

/* |b - a| > threshold of total?  Sizes are at most BD_SIZE_MAX_KIB (2^40)
 * and the threshold at most 10000 (< 2^14), so the products fit. */
static bool moved(uint64_t a, uint64_t b, uint64_t total_kib,
                  uint32_t threshold_x100)
{
    uint64_t d = a > b ? a - b : b - a;

    return d * 10000 > total_kib * threshold_x100;
}

enum bd_report_reason bd_report_decide(const struct bd_report_state *st,
                                       const struct bd_agent_sample *s,
                                       uint64_t now_ms,
                                       const struct bd_report_settings *set)
{
    const struct bd_agent_sample *l = &st->last;
    uint64_t elapsed_ms, heartbeat_ms;
    bool pressure;

    if (!st->valid)
        return BD_REPORT_INITIAL;

    pressure = bd_sample_pressure(s, set);
    if (pressure && !st->pressure)
        return BD_REPORT_PRESSURE_ON;
    if (!pressure && st->pressure)
        return BD_REPORT_PRESSURE_OFF;

    if (s->has_rates != l->has_rates || s->has_psi != l->has_psi ||
        (s->has_psi && s->psi.has_full != l->psi.has_full))
        return BD_REPORT_CHANGE;
    if (moved(l->mem.available_kib, s->mem.available_kib, s->mem.total_kib,
              set->threshold_x100) ||
        moved(l->mem.total_kib, s->mem.total_kib, s->mem.total_kib,
              set->threshold_x100))
        return BD_REPORT_CHANGE;

    /* A monotonic clock does not go back; if the caller's does, wait a
     * full heartbeat from now rather than writing at every sample. */
    elapsed_ms = now_ms >= st->written_ms ? now_ms - st->written_ms : 0;
    heartbeat_ms = set->heartbeat_ms;
    if (pressure && set->pressure_heartbeat_ms < heartbeat_ms)
        heartbeat_ms = set->pressure_heartbeat_ms;
    if (elapsed_ms >= heartbeat_ms)
        return BD_REPORT_HEARTBEAT;
    return BD_REPORT_NONE;
}

void bd_report_commit(struct bd_report_state *st,
                      const struct bd_agent_sample *s, uint64_t now_ms,
                      const struct bd_report_settings *set)
{
    st->valid = true;
    st->last = *s;
    st->written_ms = now_ms;
    st->pressure = bd_sample_pressure(s, set);
}

static void set_kv(struct bd_report_kv *kv, const char *key, bool present,
                   uint64_t value)
{
    kv->key = key;
    kv->present = present;
    if (present)
        snprintf(kv->value, sizeof(kv->value), "%" PRIu64, value);
    else
        kv->value[0] = '\0';
}

size_t bd_report_keys(const struct bd_agent_sample *s, uint64_t seq,
                      struct bd_report_kv kv[BD_REPORT_NKEYS])
{
    size_t n = 0;

    set_kv(&kv[n++], BD_KEY_MEM_TOTAL, true, s->mem.total_kib);
    set_kv(&kv[n++], BD_KEY_MEM_AVAILABLE, true, s->mem.available_kib);
    set_kv(&kv[n++], BD_KEY_SWAP_TOTAL, true, s->mem.swap_total_kib);
    set_kv(&kv[n++], BD_KEY_SWAP_FREE, true, s->mem.swap_free_kib);
    set_kv(&kv[n++], BD_KEY_SWAPIN_RATE, s->has_rates, s->swapin_rate);
    set_kv(&kv[n++], BD_KEY_SWAPOUT_RATE, s->has_rates, s->swapout_rate);
    set_kv(&kv[n++], BD_KEY_MAJFLT_RATE, s->has_rates, s->majflt_rate);
    set_kv(&kv[n++], BD_KEY_PSI_SOME, s->has_psi, s->psi.some_x100);
    /* "full" stall time is part of "some" stall time, so full <= some;
     * the two averages are rounded separately, and balloond refuses a
     * report with full above some: never let rounding cost a report. */
    set_kv(&kv[n++], BD_KEY_PSI_FULL, s->has_psi && s->psi.has_full,
           s->psi.full_x100 < s->psi.some_x100 ? s->psi.full_x100
                                               : s->psi.some_x100);
    set_kv(&kv[n++], BD_KEY_XS_MEMINFO_TOTAL, true, s->mem.total_kib);
    set_kv(&kv[n++], BD_KEY_XS_MEMINFO_FREE, true, s->mem.available_kib);
    set_kv(&kv[n++], BD_KEY_SEQ, true, seq);
    return n;
}
