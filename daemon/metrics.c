/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.c - Prometheus exposition text and the one-line status summary.
 *
 * Design: rendered on demand from the daemon's state (no separate
 * counters to keep in step), in the Prometheus text format 0.0.4 (what
 * node_exporter's textfile collector reads; counters end in _total, every
 * family has HELP and TYPE; `make promcheck` holds it to promtool).
 * Sizes are exported in bytes, the unit Prometheus expects; label values are escaped, since domain names come
 * from the toolstack.  The same text is served over the control socket
 * (`balloonctl metrics`) and, with metrics-file set, written atomically
 * after every tick for node_exporter's textfile collector.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/size.h"
#include "daemon/base/atomic.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/metrics.h"
#include "daemon/reserve.h"

/* s as a label value into out (room for 2 * strlen(s) + 1); returns the
 * length written. */
static size_t label_escape(char *out, const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            out[n++] = '\\';
            out[n++] = *s;
        } else if (*s == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else {
            out[n++] = (unsigned char)*s < 0x20 ? '?' : *s;
        }
    }
    out[n] = '\0';
    return n;
}

/* "# HELP" then "# TYPE": every family is documented and typed, so that
 * promtool and node_exporter's textfile collector read it as meant. */
static void family(FILE *f, const char *name, const char *type,
                   const char *help)
{
    fputs_unlocked("# HELP ", f);
    fputs_unlocked(name, f);
    fputc_unlocked(' ', f);
    fputs_unlocked(help, f);
    fputs_unlocked("\n# TYPE ", f);
    fputs_unlocked(name, f);
    fputc_unlocked(' ', f);
    fputs_unlocked(type, f);
    fputc_unlocked('\n', f);
}

/* A domain's label set, `{domid="N",name="..."`, as written after each of
 * its samples' names. */
struct dom_label {
    char text[48 + 2 * BD_DOMAIN_NAME_MAX];
    size_t len;
};

/* v in decimal, without printf (the domain samples are most of the file,
 * and the file is written every interval), ending at end: returns where
 * the digits start. */
static char *u64_digits(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void dom_label_init(struct dom_label *l, const struct bd_domain *dom)
{
    char id[24];
    char *p = u64_digits(id + sizeof(id), dom->domid);
    size_t n = (size_t)(id + sizeof(id) - p);

    memcpy(l->text, "{domid=\"", 8);
    memcpy(l->text + 8, p, n);
    memcpy(l->text + 8 + n, "\",name=\"", 8);
    l->len = 16 + n;
    l->len += label_escape(l->text + l->len, dom->name);
    l->text[l->len++] = '"';
}

static void put_u64(FILE *f, uint64_t v)
{
    char buf[24];
    char *p = u64_digits(buf + sizeof(buf), v);

    fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

static void dom_sample(FILE *f, const char *name, const struct dom_label *l,
                       uint64_t v)
{
    fputs_unlocked(name, f);
    fwrite_unlocked(l->text, 1, l->len, f);
    fputs_unlocked("} ", f);
    put_u64(f, v);
    fputc_unlocked('\n', f);
}

struct dom_metric {
    const char *name;
    const char *help;
    int kind; /* 0 current, 1 target, 2 used, 3 pressure, 4 stuck, 5 min,
                 6 max, 7 overhead */
};

static const struct dom_metric dom_metrics[] = {
    {"balloond_domain_current_bytes", "Memory the domain holds now.", 0},
    {"balloond_domain_target_bytes", "The domain's balloon target.", 1},
    {"balloond_domain_used_bytes", "Memory the guest reports in use.", 2},
    {"balloond_domain_pressure", "1 when the guest reports memory "
                                 "pressure.", 3},
    {"balloond_domain_stuck", "1 when the domain makes no progress toward "
                              "its target.", 4},
    {"balloond_domain_min_bytes", "Effective minimum target.", 5},
    {"balloond_domain_max_bytes", "Effective maximum target.", 6},
    {"balloond_domain_overhead_bytes", "Kernel overhead counted (learned, "
                                       "estimated or configured): memory "
                                       "the domain holds outside the "
                                       "guest's MemTotal.", 7},
};

/* One sample of dm for dom; false when it has none (no report). */
static bool dom_value(const struct dom_metric *dm, const struct bd_domain *dom,
                      uint64_t *v)
{
    switch (dm->kind) {
    case 0: *v = dom->current_kib * 1024; return true;
    case 1: *v = dom->target_kib * 1024; return true;
    case 2: *v = dom->stats.used_kib * 1024; return dom->stats.present;
    case 3: *v = bd_domain_pressure(dom); return true;
    case 4: *v = dom->has_dec && dom->dec.state == BD_STATE_STUCK; return true;
    case 5: *v = dom->limits.min_kib * 1024; return true;
    case 6: *v = dom->limits.max_kib * 1024; return true;
    case 7: {
        enum bd_overhead_src src;

        *v = bd_domain_overhead_kib(dom, &src) * 1024;
        return dom->stats.present || src != BD_OVH_NONE;
    }
    }
    return false;
}

static int render_domains(FILE *f, const struct bd_daemon *d)
{
    struct dom_label *l = calloc(d->n_doms ? d->n_doms : 1, sizeof(*l));

    if (!l)
        return -ENOMEM;
    for (size_t i = 0; i < d->n_doms; i++)
        dom_label_init(&l[i], d->doms[i]);
    for (size_t m = 0; m < sizeof(dom_metrics) / sizeof(dom_metrics[0]);
         m++) {
        const struct dom_metric *dm = &dom_metrics[m];

        family(f, dm->name, "gauge", dm->help);
        for (size_t i = 0; i < d->n_doms; i++) {
            uint64_t v = 0;

            if (dom_value(dm, d->doms[i], &v))
                dom_sample(f, dm->name, &l[i], v);
        }
    }
    family(f, "balloond_domain_state", "gauge",
           "1 for the domain's state (ok, pinned, stuck, clipped, ...).");
    for (size_t i = 0; i < d->n_doms; i++) {
        fputs("balloond_domain_state", f);
        fwrite(l[i].text, 1, l[i].len, f);
        fprintf(f, ",state=\"%s\"} 1\n", bd_domain_state(d->doms[i]));
    }
    free(l);
    return 0;
}

/* Starting domains: the pool and what a new domain could get. */
static void render_starts(FILE *f, const struct bd_daemon *d,
                          const struct bd_policy_params *p)
{
    uint64_t cap_now, cap_reclaim;

    bd_res_capacity(d, &cap_now, &cap_reclaim);
    family(f, "balloond_start_pool_bytes", "gauge",
           "Free memory kept for starting domains (start-pool): not lent.");
    fprintf(f, "balloond_start_pool_bytes %" PRIu64 "\n",
            p->start_pool_kib * 1024);
    family(f, "balloond_capacity_now_bytes", "gauge",
           "Memory a new domain could get now (free beyond the reserve).");
    fprintf(f, "balloond_capacity_now_bytes %" PRIu64 "\n", cap_now * 1024);
    family(f, "balloond_capacity_reclaim_bytes", "gauge",
           "Memory a new domain could get after reclaiming what guests hold "
           "above their use and minimum.");
    fprintf(f, "balloond_capacity_reclaim_bytes %" PRIu64 "\n",
            cap_reclaim * 1024);
}

static void render_host(FILE *f, const struct bd_daemon *d)
{
    struct bd_policy_params p;
    size_t managed = 0;
    unsigned by_kind[BD_WARN__COUNT] = {0};

    bd_policy_params_now(d, &p);
    for (size_t i = 0; i < d->n_doms; i++)
        if (bd_domain_plannable(d, d->doms[i]) &&
            d->doms[i]->limits.mode != BD_MODE_IGNORE)
            managed++;
    for (size_t i = 0; i < d->warnings.n; i++)
        by_kind[d->warnings.w[i].kind]++;
    family(f, "balloond_build_info", "gauge",
           "Always 1; the version of the running balloond.");
    fprintf(f, "balloond_build_info{version=\"%s\"} 1\n", BD_VERSION);
    family(f, "balloond_host_total_bytes", "gauge", "Host memory (physinfo).");
    fprintf(f, "balloond_host_total_bytes %" PRIu64 "\n",
            d->phys.total_kib * 1024);
    family(f, "balloond_host_free_bytes", "gauge",
           "Free host memory (physinfo free + scrub).");
    fprintf(f, "balloond_host_free_bytes %" PRIu64 "\n",
            d->phys.free_kib * 1024);
    family(f, "balloond_host_reserve_bytes", "gauge",
           "Memory the configured reserve keeps free.");
    fprintf(f, "balloond_host_reserve_bytes %" PRIu64 "\n",
            p.reserve_kib * 1024);
    family(f, "balloond_host_reserved_bytes", "gauge",
           "Memory held for balloonctl reserve.");
    fprintf(f, "balloond_host_reserved_bytes %" PRIu64 "\n",
            bd_reserved_kib(d) * 1024);
    render_starts(f, d, &p);
    family(f, "balloond_reservations", "gauge",
           "Reservations waiting or held.");
    fprintf(f, "balloond_reservations %zu\n", d->n_res);
    family(f, "balloond_domains_managed", "gauge",
           "Domains balloond plans for (not in mode ignore).");
    fprintf(f, "balloond_domains_managed %zu\n", managed);
    family(f, "balloond_warnings", "gauge",
           "Active warnings about settings that cannot work, by kind.");
    for (int k = 0; k < BD_WARN__COUNT; k++)
        fprintf(f, "balloond_warnings{kind=\"%s\"} %u\n",
                bd_warn_kind_name((enum bd_warn_kind)k), by_kind[k]);
    family(f, "balloond_last_rebalance_timestamp_seconds", "gauge",
           "When targets were last written (0 = not yet), Unix time.");
    fprintf(f, "balloond_last_rebalance_timestamp_seconds %" PRId64 "\n",
            d->last_rebalance_wall);
}

static void render_counters(FILE *f, const struct bd_daemon *d)
{
    const struct {
        const char *name, *help;
        uint64_t v;
    } c[] = {
        {"balloond_rebalances_total", "Plans that wrote targets.",
         d->cnt.rebalances},
        {"balloond_target_writes_total", "Targets written.",
         d->cnt.target_writes},
        {"balloond_errors_total", "Errors: target writes, state and metrics "
                                  "files, reloads.", d->cnt.errors},
        {"balloond_external_writes_total", "Targets written by another "
                                           "tool.", d->cnt.external_writes},
        {"balloond_stats_rejected_total", "Guest reports rejected as "
                                          "invalid.", d->cnt.stats_rejected},
    };

    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        family(f, c[i].name, "counter", c[i].help);
        fprintf(f, "%s %" PRIu64 "\n", c[i].name, c[i].v);
    }
}

char *bd_metrics_render(const struct bd_daemon *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    if (render_domains(f, d) < 0) {
        fclose(f);
        free(buf);
        return NULL;
    }
    render_host(f, d);
    render_counters(f, d);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int bd_metrics_write_file(const struct bd_daemon *d, const char *path)
{
    char *text = bd_metrics_render(d);
    int rc;

    if (!text)
        return -ENOMEM;
    /* node_exporter must never read half a file; losing one on a power
     * cut costs nothing (the next cycle writes it again). */
    rc = bd_write_file_atomic(path, text, strlen(text), 0644, false, false);
    free(text);
    return rc;
}

void bd_status_line(const struct bd_daemon *d, char *buf, size_t len)
{
    char fr[32], rs[32], when[32] = "none yet";
    size_t managed = 0, stuck = 0;
    struct bd_policy_params p;

    bd_policy_params_now(d, &p);
    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        if (bd_domain_plannable(d, dom) &&
            dom->limits.mode != BD_MODE_IGNORE)
            managed++;
        if (dom->has_dec && dom->dec.state == BD_STATE_STUCK)
            stuck++;
    }
    if (d->last_rebalance_wall) {
        time_t t = (time_t)d->last_rebalance_wall;
        struct tm tm;
        if (localtime_r(&t, &tm))
            strftime(when, sizeof(when), "last at %H:%M:%S", &tm);
    }
    snprintf(buf, len,
             "%zu domains managed%s, host free %s (reserve %s), "
             "%" PRIu64 " rebalances (%s), %" PRIu64 " writes%s%s%s",
             managed, stuck ? " (some stuck)" : "",
             bd_format_kib(d->phys.free_kib, fr, sizeof(fr)),
             bd_format_kib(p.reserve_kib, rs, sizeof(rs)),
             d->cnt.rebalances, when, d->cnt.target_writes,
             d->dry_run ? ", dry-run" : "",
             d->reload_error ? "; reload failed: " : "",
             d->reload_error ? d->reload_error : "");
}
