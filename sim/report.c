/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.c - what a simulated guest sees of itself, and how its reporter
 * writes that into xenstore.
 *
 * Design: at each sample the guest's state becomes one bd_sim_report (the
 * numbers a correct parser would get from the agent's keys).  The
 * reporter then decides, as the real one does, whether and what to write:
 *  - balloon-agent: agent/report.c's own bd_report_decide() and
 *    bd_report_keys() (one home for its thresholds, heartbeat and keys);
 *  - XenServer's xe-daemon: each key only when its value changed, total
 *    first and free one step later (no transaction: a reader in between
 *    sees the new total with the old free), then data/updated;
 *  - Qubes' meminfo-writer: memory/meminfo = used KiB (in RAM plus
 *    swapped), only after a move of BD_XS_QUBES_THRESHOLD_KIB.
 * Every key written is logged (sim.h's change log).  Values are kept as
 * the strings a reader gets; garbage guests get garbage at read time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/xskeys.h"
#include "sim/sim_int.h"

#define MIB 1024ULL
#define DEFAULT_SWAP_KIB (1024 * MIB)
#define AGENT_SAMPLE_MS 1000   /* balloon-agent --interval default */
#define XE_SAMPLE_MS 120000    /* xe-daemon: every 2nd round of 60 s */
#define QUBES_SAMPLE_MS 1000

const char *const bd_sim_xkey_path[BD_SIM_XK_N] = {
    [BD_SIM_XK_TARGET] = BD_XS_TARGET,
    [BD_SIM_XK_STATIC_MAX] = BD_XS_STATIC_MAX,
    [BD_SIM_XK_FEATURE_BALLOON] = BD_XS_FEATURE_BALLOON,
    [BD_SIM_XK_AGENT_MEM_TOTAL] = BD_XS_AGENT_MEM_TOTAL,
    [BD_SIM_XK_AGENT_MEM_AVAILABLE] = BD_XS_AGENT_MEM_AVAILABLE,
    [BD_SIM_XK_AGENT_SWAP_TOTAL] = BD_XS_AGENT_SWAP_TOTAL,
    [BD_SIM_XK_AGENT_SWAP_FREE] = BD_XS_AGENT_SWAP_FREE,
    [BD_SIM_XK_AGENT_SWAPIN_RATE] = BD_XS_AGENT_SWAPIN_RATE,
    [BD_SIM_XK_AGENT_SWAPOUT_RATE] = BD_XS_AGENT_SWAPOUT_RATE,
    [BD_SIM_XK_AGENT_MAJFLT_RATE] = BD_XS_AGENT_MAJFLT_RATE,
    [BD_SIM_XK_AGENT_PSI_SOME] = BD_XS_AGENT_PSI_SOME,
    [BD_SIM_XK_AGENT_PSI_FULL] = BD_XS_AGENT_PSI_FULL,
    [BD_SIM_XK_XE_MEMINFO_TOTAL] = BD_XS_XE_MEMINFO_TOTAL,
    [BD_SIM_XK_XE_MEMINFO_FREE] = BD_XS_XE_MEMINFO_FREE,
    [BD_SIM_XK_AGENT_SEQ] = BD_XS_AGENT_SEQ,
    [BD_SIM_XK_XE_UPDATED] = BD_XS_XE_UPDATED,
    [BD_SIM_XK_QUBES_MEMINFO] = BD_XS_QUBES_MEMINFO,
    [BD_SIM_XK_NAME] = BD_XS_NAME,
};

uint64_t bd_sim_reporter_default_ms(enum bd_sim_reporter r)
{
    switch (r) {
    case BD_SIM_REP_XENSERVER:
        return XE_SAMPLE_MS;
    case BD_SIM_REP_QUBES:
        return QUBES_SAMPLE_MS;
    case BD_SIM_REP_AGENT:
        break;
    }
    return AGENT_SAMPLE_MS;
}

static int key_index(const char *path)
{
    for (int k = 0; k < BD_SIM_XK_N; k++)
        if (strcmp(bd_sim_xkey_path[k], path) == 0)
            return k;
    return -1;
}

/* Write (or with value NULL remove) one report key and log it. */
static void put(struct bd_sim *sim, struct bd_sim_guest *g, int k,
                const char *value)
{
    if (value) {
        snprintf(g->val[k], sizeof(g->val[k]), "%s", value);
        g->present |= 1u << k;
    } else {
        if (!(g->present & (1u << k)))
            return;
        g->val[k][0] = '\0';
        g->present &= ~(1u << k);
    }
    g->stats.key_writes++;
    bd_sim_log(sim, g->domid, k);
}

static void put_num(struct bd_sim *sim, struct bd_sim_guest *g, int k,
                    uint64_t v)
{
    char buf[BD_SIM_VAL_MAX];

    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    put(sim, g, k, buf);
}

/* The guest's view of itself now; see the top of sim.h. */
static void sample(const struct bd_sim *sim, const struct bd_sim_guest *g,
                   struct bd_sim_report *r)
{
    uint64_t cur = g->current_kib > g->cfg.overhead_kib
                       ? g->current_kib - g->cfg.overhead_kib
                       : 0;
    uint64_t dem = g->demand_kib, swap = g->cfg.swap_kib;
    uint64_t used = dem < cur ? dem : cur;
    uint64_t short_kib = dem > cur ? dem - cur : 0;

    if (!swap)
        swap = DEFAULT_SWAP_KIB;
    memset(r, 0, sizeof(*r));
    r->time_ms = sim->now_ms;
    r->mem_total_kib = cur;
    r->mem_available_kib = cur - used;
    r->swap_total_kib = swap;
    r->swap_free_kib = short_kib >= swap ? 0 : swap - short_kib;
    r->has_psi = g->cfg.has_psi;
    if (short_kib) {
        /* a working set that does not fit pages in ~5% of the shortfall
         * every second; stalls grow with the fraction that is swapped */
        uint64_t rate = short_kib / 4 / 20 + 1;
        uint64_t psi = dem ? short_kib * 20000 / dem : 0;
        r->swapin_rate = (uint32_t)(rate > 1000000 ? 1000000 : rate);
        r->swapout_rate = r->swapin_rate / 2;
        r->majflt_rate = r->swapin_rate + 10;
        if (r->has_psi) {
            r->psi_some_x100 = (uint32_t)(psi > 10000 ? 10000 : psi);
            r->psi_full_x100 = r->psi_some_x100 / 2;
        }
    }
    if (g->cfg.behaviour == BD_SIM_HOSTILE) {
        r->mem_total_kib = g->cfg.static_max_kib;
        r->mem_available_kib = 0;
        r->swap_free_kib = 0;
        r->swapin_rate = 50000;
        r->swapout_rate = 50000;
        r->majflt_rate = 80000;
        r->has_psi = true;
        r->psi_some_x100 = 9900;
        r->psi_full_x100 = 9000;
    }
}

static void to_agent_sample(const struct bd_sim_report *r,
                            struct bd_agent_sample *s)
{
    memset(s, 0, sizeof(*s));
    s->mem.total_kib = r->mem_total_kib;
    s->mem.free_kib = r->mem_available_kib;
    s->mem.available_kib = r->mem_available_kib;
    s->mem.has_available = true;
    s->mem.swap_total_kib = r->swap_total_kib;
    s->mem.swap_free_kib = r->swap_free_kib;
    s->has_rates = true;
    s->swapin_rate = r->swapin_rate;
    s->swapout_rate = r->swapout_rate;
    s->majflt_rate = r->majflt_rate;
    s->has_psi = r->has_psi;
    s->psi.some_x100 = r->psi_some_x100;
    s->psi.full_x100 = r->psi_full_x100;
    s->psi.has_full = r->has_psi;
}

static bool run_agent(struct bd_sim *sim, struct bd_sim_guest *g,
                      const struct bd_sim_report *r)
{
    struct bd_report_settings set;
    struct bd_agent_sample s;
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    size_t n;

    bd_report_settings_init(&set);
    to_agent_sample(r, &s);
    /* a garbage guest floods: it writes at every sample */
    if (bd_report_decide(&g->agent, &s, sim->now_ms, &set) == BD_REPORT_NONE &&
        g->cfg.behaviour != BD_SIM_GARBAGE)
        return false;
    n = bd_report_keys(&s, g->seq + 1, kv);
    for (size_t i = 0; i < n; i++) {
        int k = key_index(kv[i].key);
        if (k >= 0)
            put(sim, g, k, kv[i].present ? kv[i].value : NULL);
    }
    bd_report_commit(&g->agent, &s, sim->now_ms, &set);
    return true;
}

static bool run_xenserver(struct bd_sim *sim, struct bd_sim_guest *g,
                          const struct bd_sim_report *r)
{
    char tot[BD_SIM_VAL_MAX], fr[BD_SIM_VAL_MAX];
    bool wrote = false;

    snprintf(tot, sizeof(tot), "%" PRIu64, r->mem_total_kib);
    snprintf(fr, sizeof(fr), "%" PRIu64, r->mem_available_kib);
    if (!(g->present & (1u << BD_SIM_XK_XE_MEMINFO_TOTAL)) ||
        strcmp(g->val[BD_SIM_XK_XE_MEMINFO_TOTAL], tot) != 0) {
        put(sim, g, BD_SIM_XK_XE_MEMINFO_TOTAL, tot);
        wrote = true;
    }
    if (!(g->present & (1u << BD_SIM_XK_XE_MEMINFO_FREE)) ||
        strcmp(g->val[BD_SIM_XK_XE_MEMINFO_FREE], fr) != 0) {
        /* written after the total, not with it: one step later */
        snprintf(g->xe_free, sizeof(g->xe_free), "%s", fr);
        g->xe_free_pending = true;
        wrote = true;
    }
    return wrote;
}

static bool run_qubes(struct bd_sim *sim, struct bd_sim_guest *g,
                      const struct bd_sim_report *r)
{
    uint64_t used = r->mem_total_kib - r->mem_available_kib +
                    (r->swap_total_kib - r->swap_free_kib);
    uint64_t d = used > g->qubes_used_kib ? used - g->qubes_used_kib
                                          : g->qubes_used_kib - used;

    if (g->has_report && d < BD_XS_QUBES_THRESHOLD_KIB)
        return false;
    put_num(sim, g, BD_SIM_XK_QUBES_MEMINFO, used);
    g->qubes_used_kib = used;
    return true;
}

void bd_sim_reporter_run(struct bd_sim *sim, struct bd_sim_guest *g)
{
    struct bd_sim_report r;
    bool wrote = false;

    if (g->xe_free_pending) {
        g->xe_free_pending = false;
        put(sim, g, BD_SIM_XK_XE_MEMINFO_FREE, g->xe_free);
        put(sim, g, BD_SIM_XK_XE_UPDATED, "1");
    }
    if (sim->now_ms < g->next_report_ms)
        return;
    g->next_report_ms = sim->now_ms + g->cfg.report_ms;
    sample(sim, g, &r);
    switch (g->cfg.reporter) {
    case BD_SIM_REP_AGENT:
        wrote = run_agent(sim, g, &r);
        break;
    case BD_SIM_REP_XENSERVER:
        wrote = run_xenserver(sim, g, &r);
        break;
    case BD_SIM_REP_QUBES:
        wrote = run_qubes(sim, g, &r);
        break;
    }
    if (!wrote)
        return;
    r.seq = ++g->seq;
    g->report = r;
    g->has_report = true;
    g->stats.reports++;
    g->report_ms = sim->now_ms;
}

/* Garbage a hostile guest might write; rotates with each report. */
static const char *garbage_value(uint64_t seq, unsigned key, char *tmp,
                                 size_t tmplen)
{
    static const char *const junk[] = {
        "-5",   "12abc", "99999999999999999999999", "",
        " 42",  "0x10",  "18446744073709551615",    "1e9",
        "42\n", "NaN",
    };
    unsigned k = (unsigned)((seq + key) % 11);

    if (k < 10)
        return junk[k];
    /* a very long value */
    memset(tmp, '7', tmplen - 1);
    tmp[tmplen - 1] = '\0';
    return tmp;
}

int bd_sim_xs_read(const struct bd_sim *sim, uint32_t domid, const char *path,
                   char *buf, size_t len)
{
    const struct bd_sim_guest *g = sim ? bd_sim_find(sim, domid) : NULL;
    char val[BD_SIM_VAL_MAX], big[5001];
    const char *v = val;
    size_t n;
    int k;

    if (!buf || len == 0)
        return -EINVAL;
    k = path ? key_index(path) : -1;
    if (!g || k < 0)
        return -ENOENT;
    switch (k) {
    case BD_SIM_XK_TARGET:
        snprintf(val, sizeof(val), "%" PRIu64, g->target_kib);
        break;
    case BD_SIM_XK_STATIC_MAX:
        snprintf(val, sizeof(val), "%" PRIu64, g->cfg.static_max_kib);
        break;
    case BD_SIM_XK_NAME:
        v = g->name;
        break;
    case BD_SIM_XK_FEATURE_BALLOON:
        if (g->cfg.behaviour == BD_SIM_SILENT)
            return -ENOENT;
        snprintf(val, sizeof(val), "1");
        break;
    default:
        if (!(g->present & (1u << k)))
            return -ENOENT;
        if (g->cfg.behaviour == BD_SIM_GARBAGE && k != BD_SIM_XK_AGENT_SEQ)
            v = garbage_value(g->report.seq, (unsigned)k, big, sizeof(big));
        else
            v = g->val[k];
        break;
    }
    n = strlen(v);
    snprintf(buf, len, "%s", v);
    return n > 0x7fffffff ? 0x7fffffff : (int)n;
}
