/*
 * metrics.c - OpenMetrics text and the one-line status summary.
 *
 * Design: rendered on demand from the daemon's state (no separate
 * counters to keep in step).  Sizes are exported in bytes, the unit
 * Prometheus expects; label values are escaped, since domain names come
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
#include "daemon/atomic.h"
#include "daemon/daemon.h"

static void label_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else if ((unsigned char)*s < 0x20)
            fputc('?', f);
        else
            fputc(*s, f);
    }
}

struct dom_metric {
    const char *name;
    const char *help;
    int kind; /* 0 current, 1 target, 2 used, 3 pressure, 4 stuck, 5 min,
                 6 max */
};

static const struct dom_metric dom_metrics[] = {
    {"balloond_domain_current_bytes", "Memory the domain holds now.", 0},
    {"balloond_domain_target_bytes", "The domain's balloon target.", 1},
    {"balloond_domain_used_bytes", "Memory the guest reports in use.", 2},
    {"balloond_domain_pressure", "1 when the guest reports memory "
                                 "pressure.", 3},
    {"balloond_domain_stuck", "1 when the domain makes no progress toward "
                              "its target.", 4},
    {"balloond_domain_min_bytes", "Effective minimum.", 5},
    {"balloond_domain_max_bytes", "Effective maximum.", 6},
};

char *bd_metrics_render(const struct bd_daemon *d)
{
    struct bd_policy_params p;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    bd_policy_params_now(d, &p);
    for (size_t m = 0; m < sizeof(dom_metrics) / sizeof(dom_metrics[0]);
         m++) {
        const struct dom_metric *dm = &dom_metrics[m];
        fprintf(f, "# TYPE %s gauge\n# HELP %s %s\n", dm->name, dm->name,
                dm->help);
        for (size_t i = 0; i < d->n_doms; i++) {
            const struct bd_domain *dom = d->doms[i];
            uint64_t v = 0;

            switch (dm->kind) {
            case 0: v = dom->current_kib * 1024; break;
            case 1: v = dom->target_kib * 1024; break;
            case 2:
                if (!dom->stats.present)
                    continue;
                v = dom->stats.used_kib * 1024;
                break;
            case 3: v = bd_domain_pressure(dom); break;
            case 4:
                v = dom->has_dec && dom->dec.state == BD_STATE_STUCK;
                break;
            case 5: v = dom->limits.min_kib * 1024; break;
            case 6: v = dom->limits.max_kib * 1024; break;
            }
            fprintf(f, "%s{domid=\"%" PRIu32 "\",name=\"", dm->name,
                    dom->domid);
            label_escape(f, dom->name);
            fprintf(f, "\"} %" PRIu64 "\n", v);
        }
    }
    fprintf(f,
            "# TYPE balloond_host_total_bytes gauge\n"
            "balloond_host_total_bytes %" PRIu64 "\n"
            "# TYPE balloond_host_free_bytes gauge\n"
            "balloond_host_free_bytes %" PRIu64 "\n"
            "# TYPE balloond_host_reserve_bytes gauge\n"
            "balloond_host_reserve_bytes %" PRIu64 "\n"
            "# TYPE balloond_host_reserved_bytes gauge\n"
            "# HELP balloond_host_reserved_bytes Held for balloonctl "
            "reserve.\n"
            "balloond_host_reserved_bytes %" PRIu64 "\n"
            "# TYPE balloond_domains_managed gauge\n",
            d->phys.total_kib * 1024, d->phys.free_kib * 1024,
            p.reserve_kib * 1024, bd_reserved_kib(d) * 1024);
    {
        size_t managed = 0;
        for (size_t i = 0; i < d->n_doms; i++)
            if (bd_domain_plannable(d, d->doms[i]) &&
                d->doms[i]->limits.mode != BD_MODE_IGNORE)
                managed++;
        fprintf(f, "balloond_domains_managed %zu\n", managed);
    }
    fprintf(f,
            "# TYPE balloond_rebalances counter\n"
            "balloond_rebalances_total %" PRIu64 "\n"
            "# TYPE balloond_target_writes counter\n"
            "balloond_target_writes_total %" PRIu64 "\n"
            "# TYPE balloond_errors counter\n"
            "balloond_errors_total %" PRIu64 "\n"
            "# TYPE balloond_external_writes counter\n"
            "balloond_external_writes_total %" PRIu64 "\n"
            "# TYPE balloond_stats_rejected counter\n"
            "balloond_stats_rejected_total %" PRIu64 "\n"
            "# EOF\n",
            d->cnt.rebalances, d->cnt.target_writes, d->cnt.errors,
            d->cnt.external_writes, d->cnt.stats_rejected);
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
