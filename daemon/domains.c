/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * domains.c - the domain table, kept in step with the host.
 *
 * Design: a sorted array of per-domain records.  A scan (at start, on
 * @introduceDomain / @releaseDomain, and on every tick) lists the domains
 * and physinfo from the host and marks and sweeps the table; a new domain
 * gets two watches (memory/ and data/, which cover memory/target,
 * memory/static-max, memory/meminfo and every guest stat key) and a first
 * read of its keys.  Watch events never do real work themselves: a memory/
 * event re-reads two small keys, a data/ event only marks the domain dirty,
 * and the stat keys of a dirty domain are read at most once per
 * BD_STATS_MIN_GAP_MS, so a guest that floods its keys costs one read a
 * second and nothing else.
 *
 * A memory/target that changes to a value balloond did not write is
 * another tool's (xl mem-set): the domain is held there (state external)
 * for external-hold or until `balloonctl auto`; balloond never fights it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/limits.h"
#include "common/size.h"
#include "common/xskeys.h"
#include "daemon/base/log.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/reserve.h"
#include "daemon/state.h"

int bd_daemon_init(struct bd_daemon *d, struct bd_config *cfg,
                   struct bd_host *host)
{
    memset(d, 0, sizeof(*d));
    d->cfg = cfg;
    d->host = host;
    d->next_res_id = 1;
    d->rescan_needed = true;
    return 0;
}

/*
 * The keys watched per domain.  Exact keys rather than whole subtrees, so
 * that a guest writing other keys under data/ costs nothing at all; the
 * agent writes data/balloon/seq last in each report, so one event per
 * report.
 */
static const char *const watched_keys[] = {
    BD_XS_TARGET,    BD_XS_STATIC_MAX,       BD_XS_QUBES_MEMINFO,
    BD_XS_AGENT_SEQ, BD_XS_XE_MEMINFO_TOTAL, BD_XS_XE_MEMINFO_FREE,
    BD_XS_NAME, /* xl rename; a migration's NAME--incoming becoming NAME */
};
#define N_WATCHED (sizeof(watched_keys) / sizeof(watched_keys[0]))

static void unwatch_domain(struct bd_daemon *d, struct bd_domain *dom,
                           size_t upto)
{
    char path[BD_HOST_PATH_MAX];

    for (size_t i = 0; i < upto; i++) {
        snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/%s",
                 dom->domid, watched_keys[i]);
        d->host->ops->unwatch(d->host, path, "dom");
    }
    dom->watched = false;
}

static void domain_free(struct bd_daemon *d, struct bd_domain *dom,
                        bool unwatch)
{
    if (unwatch && dom->watched && d->host)
        unwatch_domain(d, dom, N_WATCHED);
    free(dom);
}

void bd_daemon_dispose(struct bd_daemon *d)
{
    for (size_t i = 0; i < d->n_doms; i++)
        domain_free(d, d->doms[i], false);
    free(d->doms);
    d->doms = NULL;
    d->n_doms = d->cap_doms = 0;
    free(d->reload_error);
    d->reload_error = NULL;
    free(d->pending);
    d->pending = NULL;
    d->n_pending = 0;
}

struct bd_domain *bd_domain_find(struct bd_daemon *d, uint32_t domid)
{
    size_t lo = 0, hi = d->n_doms;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->doms[mid]->domid == domid)
            return d->doms[mid];
        if (d->doms[mid]->domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A domain that goes keeps what was learned of it for a while: the same
 * guest may come back under a new domid (restore, migration in). */
static void remember_gone(struct bd_daemon *d, const struct bd_domain *dom,
                          uint64_t now_ms)
{
    struct bd_gone *g;

    if (!dom->name[0] || !dom->track.overhead_kib)
        return;
    if (d->n_gone == BD_MAX_GONE) {
        memmove(&d->gone[0], &d->gone[1], (BD_MAX_GONE - 1) * sizeof(*g));
        d->n_gone--;
    }
    g = &d->gone[d->n_gone++];
    snprintf(g->name, sizeof(g->name), "%s", dom->name);
    g->gone_ms = now_ms;
    g->overhead_kib = dom->track.overhead_kib;
}

/* A new domain with the name of one gone within BD_GONE_KEEP_MS starts
 * from what was learned of it: its kernel's overhead, until its own
 * reports at rest teach it again (its first report would otherwise be
 * counted without it, or with a figure taken while the balloon moved). */
static void carry_over(struct bd_daemon *d, struct bd_domain *dom,
                       uint64_t now_ms)
{
    char a[32];

    for (size_t i = d->n_gone; i-- > 0;) {
        struct bd_gone *g = &d->gone[i];
        if (strcmp(g->name, dom->name) != 0)
            continue;
        if (now_ms - g->gone_ms <= BD_GONE_KEEP_MS) {
            dom->track.overhead_kib = g->overhead_kib;
            dom->track.overhead_known = true;
            bd_info("domain %s (%" PRIu32 "): the same guest as before "
                    "(restored or migrated in): kernel overhead %s carried "
                    "over", dom->name, dom->domid,
                    bd_format_kib(g->overhead_kib, a, sizeof(a)));
        }
        memmove(g, g + 1, (d->n_gone - i - 1) * sizeof(*g));
        d->n_gone--;
        return;
    }
}

/* The suffixes xl gives a domain while it migrates: the receiving side
 * builds NAME--incoming, the sending side renames itself
 * NAME--migratedaway, and the survivor is renamed NAME at the end. */
static const char *const transit_suffix[] = {"--incoming", "--migratedaway"};

const char *bd_domain_final_name(const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < sizeof(transit_suffix) / sizeof(*transit_suffix);
         i++) {
        size_t sl = strlen(transit_suffix[i]);
        if (n > sl && n - sl < len &&
            strcmp(name + n - sl, transit_suffix[i]) == 0) {
            memcpy(buf, name, n - sl);
            buf[n - sl] = '\0';
            return buf;
        }
    }
    return name;
}

struct bd_domain *bd_domain_by_name(struct bd_daemon *d, const char *name)
{
    struct bd_domain *found = NULL;
    char buf[BD_DOMAIN_NAME_MAX];

    for (size_t i = 0; i < d->n_doms; i++)
        if (strcmp(d->doms[i]->name, name) == 0)
            return d->doms[i];
    /* A domain in transit answers to its final name when it is the only
     * one that does. */
    for (size_t i = 0; i < d->n_doms; i++) {
        const char *fin =
            bd_domain_final_name(d->doms[i]->name, buf, sizeof(buf));
        if (strcmp(fin, name) != 0)
            continue;
        if (found)
            return NULL;
        found = d->doms[i];
    }
    return found;
}

struct bd_range bd_domain_range(const struct bd_domain *dom)
{
    return bd_target_range(dom->limits.min_kib, dom->limits.max_kib,
                           dom->static_max_kib);
}

uint64_t bd_pending_growth_kib(const struct bd_daemon *d,
                               const struct bd_domain *except)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        if (dom == except || dom->dying || !dom->usable)
            continue;
        /* A stuck or clipped balloon will not take what it was promised. */
        if (dom->has_dec && (dom->dec.state == BD_STATE_CLIPPED ||
                             dom->dec.state == BD_STATE_STUCK))
            continue;
        sum += bd_sub0(dom->target_kib, dom->current_kib);
    }
    return sum;
}

static int domain_insert(struct bd_daemon *d, struct bd_domain *dom)
{
    size_t pos = 0;

    if (d->n_doms == d->cap_doms) {
        size_t ncap = d->cap_doms ? d->cap_doms * 2 : 16;
        struct bd_domain **n = realloc(d->doms, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        d->doms = n;
        d->cap_doms = ncap;
    }
    while (pos < d->n_doms && d->doms[pos]->domid < dom->domid)
        pos++;
    memmove(&d->doms[pos + 1], &d->doms[pos],
            (d->n_doms - pos) * sizeof(*d->doms));
    d->doms[pos] = dom;
    d->n_doms++;
    return 0;
}

void bd_domain_apply_limits(struct bd_daemon *d, struct bd_domain *dom)
{
    struct bd_dom_limits *l = &dom->limits;
    uint64_t smax = dom->static_max_kib;
    char buf[BD_DOMAIN_NAME_MAX];

    /* [domain] rules match the name the domain will keep. */
    bd_config_limits(d->cfg, dom->domid,
                     bd_domain_final_name(dom->name, buf, sizeof(buf)), smax,
                     l);
    if (dom->ovr.has_min)
        l->min_kib = l->min_wanted_kib = dom->ovr.min_kib;
    if (dom->ovr.has_max)
        l->max_kib = dom->ovr.max_kib;
    if (dom->ovr.has_weight)
        l->weight = dom->ovr.weight;
    if (dom->ovr.has_mode &&
        (dom->domid != 0 || d->cfg->manage_dom0 ||
         dom->ovr.mode == BD_MODE_IGNORE))
        l->mode = dom->ovr.mode;
    if (smax && l->max_kib > smax)
        l->max_kib = smax;
    if (l->min_kib > l->max_kib)
        l->min_kib = l->max_kib;
}

void bd_domains_apply_config(struct bd_daemon *d)
{
    for (size_t i = 0; i < d->n_doms; i++)
        bd_domain_apply_limits(d, d->doms[i]);
}

static int read_num_key(struct bd_daemon *d, uint32_t domid, const char *rel,
                        uint64_t *out)
{
    char buf[32];
    size_t vlen = 0;
    const char *why;
    int rc;

    rc = d->host->ops->read_key(d->host, domid, rel, buf, sizeof(buf), &vlen);
    if (rc == -E2BIG)
        return -EINVAL;
    if (rc < 0)
        return rc;
    rc = bd_stat_parse_num(buf, vlen, BD_SIZE_MAX_KIB, out, &why);
    return rc < 0 ? -EINVAL : 0;
}

static void hold_external(struct bd_daemon *d, struct bd_domain *dom,
                          uint64_t target_kib, uint64_t now_ms)
{
    char a[32];
    uint64_t hold_ms = d->cfg->external_hold_ms;

    dom->hold_kib = target_kib;
    dom->hold_until_ms = hold_ms ? now_ms + hold_ms : 0;
    dom->hold_until_wall = 0;
    if (dom->pin_kib) {
        /* The newest wish wins; keeping the pin would fight the writer. */
        dom->pin_kib = 0;
    }
    d->cnt.external_writes++;
    d->state_dirty = true;
    bd_log_dom(5, BD_ABOUT(BD_EV_EXTERNAL, dom->name, dom->domid),
               "domain %s (%" PRIu32 "): target set to %s by another tool; "
               "holding it %s",
               dom->name, dom->domid, bd_format_kib(target_kib, a, sizeof(a)),
               hold_ms ? "for external-hold" : "until balloonctl auto");
}

int bd_domain_read_memory(struct bd_daemon *d, struct bd_domain *dom,
                          uint64_t now_ms)
{
    uint64_t target = 0, smax = 0;
    bool was_usable = dom->usable;
    int rc;

    bool synth = false;

    rc = read_num_key(d, dom->domid, BD_XS_TARGET, &target);
    if (rc == -ENOENT && dom->domid == 0) {
        /* Dom0's target appears only once libxl first writes it. */
        target = dom->current_kib;
        synth = true;
        rc = 0;
    }
    if (rc < 0)
        goto unusable;
    rc = read_num_key(d, dom->domid, BD_XS_STATIC_MAX, &smax);
    if (rc == -ENOENT && dom->domid == 0 && dom->hv_max_kib) {
        smax = dom->hv_max_kib;
        rc = 0;
    }
    if (rc < 0)
        goto unusable;

    /* libxl creating dom0's missing target is not an administrator. */
    if (was_usable && !dom->target_synth && target != dom->target_kib &&
        !(dom->written_kib && target == dom->written_kib) &&
        target != dom->hold_kib)
        hold_external(d, dom, target, now_ms);
    dom->target_kib = target;
    if (smax != dom->static_max_kib) {
        dom->static_max_kib = smax;
        bd_domain_apply_limits(d, dom);
    }
    dom->target_synth = synth;
    dom->usable = true;
    if (!dom->announced && dom->name[0]) {
        char a[32], b[32];
        bd_log_dom(6, BD_ABOUT(BD_EV_FOUND, dom->name, dom->domid),
                   "domain %s (%" PRIu32 ") found: current %s, target %s",
                   dom->name, dom->domid,
                bd_format_kib(dom->current_kib, a, sizeof(a)),
                bd_format_kib(target, b, sizeof(b)));
        dom->announced = true;
    }
    if (!was_usable && dom->appeared_late)
        carry_over(d, dom, now_ms);
    if (!was_usable && dom->appeared_late) {
        /* A domain that was just created took its memory from a
         * reservation made for it (balloonctl reserve, then xl create). */
        bd_res_consume(d, target > dom->current_kib ? target
                                                    : dom->current_kib);
        dom->appeared_late = false;
    }
    return 0;

unusable:
    if (rc == -EINVAL && was_usable)
        bd_warn("domain %s (%" PRIu32 "): unreadable memory/target or "
                "static-max; leaving it alone", dom->name, dom->domid);
    if (rc == -EINVAL || rc == -ENOENT)
        dom->usable = false;
    return rc;
}

/* Buffer size for key k: a number, or the Qubes text. */
static size_t key_cap(int k)
{
    return k == BD_SK_QUBES ? BD_STAT_MEMINFO_MAX + 2 : BD_STAT_NUM_MAX + 2;
}

/* The agent writes data/balloon/seq last, in the same transaction as the
 * rest: an unchanged one means an unchanged report, so a flood costs one
 * read.  True when the report in hand is still the one there. */
static bool seq_unchanged(struct bd_daemon *d, struct bd_domain *dom)
{
    char buf[BD_STAT_NUM_MAX + 2];
    size_t vlen = 0;
    uint64_t seq;
    const char *why;

    if (!dom->stats.present || !dom->stats_seq)
        return false;
    return d->host->ops->read_key(d->host, dom->domid,
                                  bd_stat_key_path[BD_SK_SEQ], buf,
                                  sizeof(buf), &vlen) == 0 &&
           bd_stat_parse_num(buf, vlen, UINT64_MAX, &seq, &why) == 0 &&
           seq == dom->stats_seq;
}

/* Every report key of one domain, read as one snapshot when the host can
 * (read_keys: one transaction), into raw.  0 or -errno. */
static int read_report(struct bd_daemon *d, struct bd_domain *dom,
                       struct bd_stat_raw *raw)
{
    static char vals[BD_SK_N][BD_STAT_MEMINFO_MAX + 2];
    struct bd_host_key keys[BD_SK_N];
    struct bd_host *h = d->host;
    int rc = 0;

    memset(raw, 0, sizeof(*raw));
    for (int k = 0; k < BD_SK_N; k++)
        keys[k] = (struct bd_host_key){
            .rel = bd_stat_key_path[k], .buf = vals[k], .len = key_cap(k)};
    if (h->ops->read_keys)
        rc = h->ops->read_keys(h, dom->domid, keys, BD_SK_N);
    else
        for (int k = 0; k < BD_SK_N && rc == 0; k++) {
            keys[k].rc = h->ops->read_key(h, dom->domid, keys[k].rel,
                                          vals[k], keys[k].len,
                                          &keys[k].vlen);
            if (keys[k].rc != -ENOENT && keys[k].rc != -E2BIG)
                rc = keys[k].rc;
        }
    if (rc < 0)
        return rc;
    for (int k = 0; k < BD_SK_N; k++) {
        if (keys[k].rc == -E2BIG) {
            /* Too long to be a number: let the parser say so. */
            raw->val[k] = vals[k];
            raw->len[k] = keys[k].len;
        } else if (keys[k].rc == 0) {
            raw->val[k] = vals[k];
            raw->len[k] = keys[k].vlen;
        }
    }
    return 0;
}

/* The same figures as the report in hand (its time aside). */
static bool same_report(const struct bd_guest_stats *a,
                        const struct bd_guest_stats *b)
{
    struct bd_guest_stats x = *a, y = *b;

    x.time_ms = y.time_ms = 0;
    return memcmp(&x, &y, sizeof(x)) == 0;
}

/* A bad report: kept as the domain's problem, logged once in a while. */
static void report_rejected(struct bd_daemon *d, struct bd_domain *dom,
                            int bad_key, const char *why, uint64_t now_ms)
{
    bool was_ok = dom->stats_err[0] == '\0';

    snprintf(dom->stats_err, sizeof(dom->stats_err), "%s: %s",
             bad_key >= 0 ? bd_stat_key_path[bad_key] : "report",
             why ? why : "invalid");
    /* Once, and again at most every BD_STATS_WARN_GAP_MS: a guest that
     * alternates good and bad reports must not fill the log. */
    if (was_ok && (!dom->stats_warn_ms ||
                   now_ms >= dom->stats_warn_ms + BD_STATS_WARN_GAP_MS)) {
        bd_log_dom(4, BD_ABOUT(BD_EV_REPORT, dom->name, dom->domid),
                   "domain %s (%" PRIu32 "): ignoring its memory report (%s)",
                   dom->name, dom->domid, dom->stats_err);
        dom->stats_warn_ms = now_ms;
        dom->stats_warned = true;
    }
    d->cnt.stats_rejected++;
    memset(&dom->stats, 0, sizeof(dom->stats));
    dom->stats_seq = 0;
}

int bd_domain_read_stats(struct bd_daemon *d, struct bd_domain *dom,
                         uint64_t now_ms)
{
    struct bd_stat_raw raw;
    struct bd_guest_stats st;
    uint64_t seq = 0;
    const char *why;
    int bad_key, rc;

    dom->stats_dirty = false;
    dom->stats_read_ms = now_ms;
    if (seq_unchanged(d, dom))
        return 0;
    rc = read_report(d, dom, &raw);
    if (rc < 0)
        return rc;
    rc = bd_guest_stats_parse(&raw, dom->static_max_kib, now_ms, &st, &seq,
                              &why, &bad_key);
    if (rc == -EAGAIN) {
        /* XenServer's writer between its two keys: keep the report in
         * hand and look again; only a pair that stays inconsistent for
         * BD_STATS_TORN_MS is what the guest really says. */
        if (!dom->stats_torn_ms)
            dom->stats_torn_ms = now_ms ? now_ms : 1;
        if (now_ms - dom->stats_torn_ms < BD_STATS_TORN_MS) {
            dom->stats_dirty = true;
            return 0;
        }
        rc = -EINVAL;
    }
    dom->stats_torn_ms = 0;
    if (rc == -EINVAL) {
        report_rejected(d, dom, bad_key, why, now_ms);
        return 0;
    }
    if (rc == -ENOENT) {
        memset(&dom->stats, 0, sizeof(dom->stats));
        dom->stats_seq = 0;
        return 0;
    }
    if (dom->stats_err[0] != '\0') {
        /* Said only after a quiet spell, for the same reason. */
        if (dom->stats_warned &&
            now_ms >= dom->stats_warn_ms + BD_STATS_WARN_GAP_MS) {
            bd_log_dom(6, BD_ABOUT(BD_EV_REPORT, dom->name, dom->domid),
                       "domain %s (%" PRIu32 "): memory report valid again",
                       dom->name, dom->domid);
            dom->stats_warned = false;
        }
        dom->stats_err[0] = '\0';
    }
    /* A write-on-change report read again unchanged is the same report:
     * it keeps the time it arrived (the policy asks whether a report
     * predates a target change). */
    if (st.until_changed && dom->stats.present &&
        same_report(&dom->stats, &st))
        st.time_ms = dom->stats.time_ms;
    dom->stats = st;
    dom->stats_seq = seq;
    return 0;
}

static int watch_domain(struct bd_daemon *d, struct bd_domain *dom)
{
    char path[BD_HOST_PATH_MAX];
    int rc;

    for (size_t i = 0; i < N_WATCHED; i++) {
        snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/%s",
                 dom->domid, watched_keys[i]);
        rc = d->host->ops->watch(d->host, path, "dom");
        if (rc < 0) {
            unwatch_domain(d, dom, i);
            return rc;
        }
    }
    dom->watched = true;
    return 0;
}

/* Read the domain's name; a new one (xl rename, the end of a migration)
 * takes over everything names decide: rules, lookups, show, the state
 * file.  Returns whether it changed. */
static bool domain_name(struct bd_daemon *d, struct bd_domain *dom)
{
    char name[BD_DOMAIN_NAME_MAX];

    if (d->host->ops->domain_name(d->host, dom->domid, name, sizeof(name)) !=
            0 ||
        name[0] == '\0' || strcmp(name, dom->name) == 0)
        return false;
    if (dom->name[0] != '\0') {
        bd_log_dom(6, BD_ABOUT(BD_EV_RENAME, name, dom->domid),
                   "domain %s (%" PRIu32 ") renamed to %s", dom->name,
                   dom->domid, name);
        /* the state file names its domains */
        d->state_dirty = true;
    }
    snprintf(dom->name, sizeof(dom->name), "%s", name);
    bd_state_apply_pending(d, dom);
    bd_domain_apply_limits(d, dom);
    return true;
}

int bd_daemon_watch_domains(struct bd_daemon *d)
{
    int rc = d->host->ops->watch(d->host, BD_XS_INTRODUCE, "intro");

    if (rc == 0)
        rc = d->host->ops->watch(d->host, BD_XS_RELEASE, "release");
    return rc;
}

int bd_daemon_rewatch(struct bd_daemon *d)
{
    int rc;

    if (!d->host->ops->reconnect)
        return -ENOTSUP;
    rc = d->host->ops->reconnect(d->host);
    if (rc < 0)
        return rc;
    d->host_fd_changed = true;
    /* the old connection's watches died with it: the scan sets each
     * domain's again */
    for (size_t i = 0; i < d->n_doms; i++)
        d->doms[i]->watched = false;
    rc = bd_daemon_watch_domains(d);
    if (rc < 0)
        return rc;
    d->watch_lost = false;
    d->rescan_needed = true;
    return 0;
}

int bd_domains_scan(struct bd_daemon *d, uint64_t now_ms)
{
    struct bd_host_dom *list = NULL;
    size_t n = 0;
    int rc;

    rc = d->host->ops->list_domains(d->host, &list, &n);
    if (rc == 0)
        rc = d->host->ops->physinfo(d->host, &d->phys);
    if (rc < 0) {
        if (!d->host_failed)
            bd_err("cannot read the host's domains or memory: %s",
                   strerror(-rc));
        d->host_failed = true;
        d->cnt.errors++;
        goto out;
    }
    if (d->host_failed)
        bd_info("host readable again");
    d->host_failed = false;
    d->have_phys = true;

    for (size_t i = 0; i < d->n_doms; i++)
        d->doms[i]->seen = false;

    for (size_t i = 0; i < n; i++) {
        struct bd_domain *dom = bd_domain_find(d, list[i].domid);

        if (!dom) {
            dom = calloc(1, sizeof(*dom));
            if (!dom) {
                rc = -ENOMEM;
                goto out;
            }
            dom->domid = list[i].domid;
            dom->appeared_late = d->scanned_once;
            dom->stats_dirty = true;
            dom->current_kib = list[i].current_kib;
            dom->hv_max_kib = list[i].hv_max_kib;
            rc = domain_insert(d, dom);
            if (rc < 0) {
                free(dom);
                goto out;
            }
            if (watch_domain(d, dom) < 0)
                bd_warn("domain %" PRIu32 ": cannot watch its keys; "
                        "trying again at every scan", dom->domid);
            domain_name(d, dom);
            bd_domain_read_memory(d, dom, now_ms);
            bd_domain_apply_limits(d, dom);
            if (!dom->usable)
                bd_info("domain %s (%" PRIu32 ") found, still being built",
                        dom->name[0] ? dom->name : "?", dom->domid);
        } else if (dom->name[0] == '\0') {
            domain_name(d, dom);
        }
        /* a watch that could not be set (xenstored busy, restarted) is
         * set again: without it the domain's reports and targets would
         * only be seen by the periodic re-reads */
        if (!dom->watched && !dom->dying && watch_domain(d, dom) == 0) {
            bd_info("domain %s (%" PRIu32 "): watching its keys again",
                    dom->name, dom->domid);
            dom->stats_dirty = true;
        }
        dom->seen = true;
        dom->current_kib = list[i].current_kib;
        dom->hv_max_kib = list[i].hv_max_kib;
        if ((list[i].dying || list[i].shutdown) && !dom->dying)
            bd_debug("domain %s (%" PRIu32 ") is shutting down", dom->name,
                     dom->domid);
        dom->dying = list[i].dying || list[i].shutdown;
        if (!dom->usable && !dom->dying)
            bd_domain_read_memory(d, dom, now_ms);
    }

    /* Sweep domains that are gone. */
    for (size_t i = 0; i < d->n_doms;) {
        struct bd_domain *dom = d->doms[i];
        if (dom->seen) {
            i++;
            continue;
        }
        bd_log_dom(6, BD_ABOUT(BD_EV_GONE, dom->name, dom->domid),
                   "domain %s (%" PRIu32 ") gone", dom->name, dom->domid);
        remember_gone(d, dom, now_ms);
        if (dom->pin_kib || dom->hold_kib || dom->ovr.has_min ||
            dom->ovr.has_max || dom->ovr.has_weight || dom->ovr.has_mode)
            d->state_dirty = true;
        domain_free(d, dom, true);
        memmove(&d->doms[i], &d->doms[i + 1],
                (d->n_doms - i - 1) * sizeof(*d->doms));
        d->n_doms--;
    }
    d->rescan_needed = false;
    d->scanned_once = true;
    rc = 0;
out:
    free(list);
    return rc;
}

bool bd_domain_pressure(const struct bd_domain *dom)
{
    return bd_guest_pressure(&dom->stats);
}

uint64_t bd_domain_overhead_kib(const struct bd_domain *dom,
                                enum bd_overhead_src *src)
{
    struct bd_dom_input in;

    memset(&in, 0, sizeof(in));
    in.static_max_kib = dom->static_max_kib;
    in.has_overhead = dom->limits.has_overhead;
    in.overhead_kib = dom->limits.overhead_kib;
    in.stats = dom->stats;
    /* a report being refused counts as none: nothing to estimate from */
    in.stats.present = dom->stats.present && !dom->stats_err[0];
    return bd_overhead_kib(&in, dom->track.overhead_kib, src);
}

void bd_domains_event(struct bd_daemon *d, const struct bd_host_event *ev,
                      uint64_t now_ms, bool *kick)
{
    struct bd_domain *dom;
    const char *rel;
    uint32_t domid;

    if (strcmp(ev->path, BD_XS_INTRODUCE) == 0 ||
        strcmp(ev->path, BD_XS_RELEASE) == 0) {
        d->rescan_needed = true;
        *kick = true;
        return;
    }
    if (bd_host_split_path(ev->path, &domid, &rel) < 0)
        return;
    dom = bd_domain_find(d, domid);
    if (!dom)
        return;
    if (strcmp(rel, BD_XS_NAME) == 0) {
        if (domain_name(d, dom))
            *kick = true; /* its rules may have changed */
        return;
    }
    if (strcmp(rel, BD_XS_TARGET) == 0 ||
        strcmp(rel, BD_XS_STATIC_MAX) == 0 || strcmp(rel, BD_XS_MEMORY) == 0) {
        uint64_t old_hold = dom->hold_kib;
        if (bd_domain_read_memory(d, dom, now_ms) == -ENOENT &&
            strcmp(rel, BD_XS_MEMORY) != 0)
            d->rescan_needed = true;
        if (dom->hold_kib != old_hold)
            *kick = true;
        if (strcmp(rel, BD_XS_MEMORY) == 0)
            dom->stats_dirty = true;
        return;
    }
    if (strncmp(rel, BD_XS_DATA, strlen(BD_XS_DATA)) == 0 ||
        strcmp(rel, BD_XS_QUBES_MEMINFO) == 0)
        dom->stats_dirty = true;
}

uint64_t bd_domains_process_dirty(struct bd_daemon *d, uint64_t now_ms,
                                  bool *kick)
{
    uint64_t next = 0;

    for (size_t i = 0; i < d->n_doms; i++) {
        struct bd_domain *dom = d->doms[i];
        uint64_t due;

        /* A quiet write-on-change report is looked at again now and
         * then: keys that went without a watch event (a lost event, a
         * toolstack that cleaned them up) end it. */
        if (dom->stats.present && dom->stats.until_changed &&
            now_ms >= dom->stats_read_ms + BD_STATS_RECHECK_MS)
            dom->stats_dirty = true;
        if (!dom->stats_dirty)
            continue;
        due = dom->stats_read_ms ? dom->stats_read_ms + BD_STATS_MIN_GAP_MS
                                 : 0;
        if (due > now_ms) {
            if (!next || due < next)
                next = due;
            continue;
        }
        if (bd_domain_read_stats(d, dom, now_ms) == 0 && !dom->dying &&
            bd_report_wants_growth(&d->cfg->policy, &dom->stats,
                                   dom->target_kib))
            *kick = true;
    }
    return next;
}

void bd_domain_release(struct bd_daemon *d, struct bd_domain *dom)
{
    if (dom->pin_kib || dom->hold_kib)
        d->state_dirty = true;
    dom->pin_kib = 0;
    dom->hold_kib = 0;
    dom->hold_until_ms = 0;
    dom->hold_until_wall = 0;
}

void bd_domains_expire(struct bd_daemon *d, uint64_t now_ms)
{
    for (size_t i = 0; i < d->n_doms; i++) {
        struct bd_domain *dom = d->doms[i];
        if (dom->hold_kib && dom->hold_until_wall && !dom->hold_until_ms) {
            /* A hold restored from the state file: back to our clock. */
            int64_t left = dom->hold_until_wall - (int64_t)time(NULL);
            dom->hold_until_ms = now_ms + (left > 0 ? (uint64_t)left : 0) *
                                              1000;
            if (!dom->hold_until_ms)
                dom->hold_until_ms = 1;
        }
        if (dom->hold_kib && dom->hold_until_ms &&
            now_ms >= dom->hold_until_ms) {
            bd_info("domain %s (%" PRIu32 "): external hold expired; "
                    "balloond manages it again", dom->name, dom->domid);
            dom->hold_kib = 0;
            dom->hold_until_ms = 0;
            d->state_dirty = true;
        }
    }
}

bool bd_domain_report_suspect(const struct bd_domain *dom)
{
    const struct bd_guest_stats *s = &dom->stats;
    uint64_t held = dom->current_kib > dom->target_kib ? dom->current_kib
                                                        : dom->target_kib;
    uint64_t slack = held / 8 > BD_SUSPECT_SLACK_KIB ? held / 8
                                                     : BD_SUSPECT_SLACK_KIB;

    if (!s->present || dom->stats_err[0] ||
        s->time_ms < dom->track.last_change_ms + BD_SUSPECT_SETTLE_MS)
        return false;
    return s->total_kib > held + slack || s->used_kib > held + slack;
}

const char *bd_domain_state(const struct bd_domain *dom)
{
    if (dom->dying)
        return "dying";
    if (dom->limits.mode == BD_MODE_IGNORE)
        return bd_state_name(BD_STATE_IGNORED);
    if (dom->pin_kib)
        return bd_state_name(BD_STATE_PINNED);
    if (dom->hold_kib)
        return bd_state_name(BD_STATE_EXTERNAL);
    if (dom->has_dec && dom->dec.state == BD_STATE_OK &&
        bd_domain_report_suspect(dom))
        return BD_STATE_SUSPECT_NAME;
    if (dom->has_dec)
        return bd_state_name(dom->dec.state);
    if (!dom->stats.present)
        return bd_state_name(BD_STATE_NO_STATS);
    return bd_state_name(BD_STATE_OK);
}
