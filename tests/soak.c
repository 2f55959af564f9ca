/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * soak.c - a simulated year of domain churn through the real daemon
 * (issue 24): `make soak` runs 365 days, `make check` a short version.
 *
 * Design: bd_simrun (bd_cycle() on the simulated host, in virtual time)
 * runs the shipped configuration (conf/balloond.conf) with a state file
 * and a metrics file, while a seeded schedule acts as the admins and
 * guests of a busy host: domains created and destroyed (domids drawn from
 * a small pool, so they are reused), xl rename, xl mem-set and mem-max
 * from outside, reporters that stop, lie or flood, config reloads,
 * daemon restarts from the state file, xenstored restarts (every watch
 * lost: open again within a minute), and host calls failing at a low
 * rate with the errors the real ones return.  Every 10 s of virtual time
 * it checks the daemon's promises: no auto domain's target outside its
 * range, none below its minimum, the model's invariants.  It prints a
 * table (cycles, domains, faults, violations, RSS, fds, state-file size
 * at start, middle and end, log lines per day) and fails on any
 * violation or on RSS, fds or the state file growing with the domains
 * ever seen.  Usage: soak [DAYS] (default 365).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "daemon/base/log.h"
#include "daemon/control/handlers.h"
#include "daemon/domains.h"
#include "sim/host_sim.h"
#include "sim/sim.h"
#include "sim/simrun.h"
#include "tests/rng.h"

#define MIB UINT64_C(1024)
#define SEC UINT64_C(1000)
#define DAY_MS (86400 * SEC)
#define CHECK_MS (10 * SEC)
#define POOL 24            /* domids 1..POOL: reused as domains come and go */
#define FAULT_PPM 200      /* host calls failing, per million */

static uint64_t seed = 0x50a4c0ffee;
static uint64_t log_lines, warn_lines, faults, violations;
static FILE *log_file;
static const struct bd_host_ops *real_ops;
static struct bd_host_ops fault_ops;

static bool fault_off;

static bool fail_now(void)
{
    return !fault_off && rng(&seed) % 1000000 < FAULT_PPM;
}

/* Low-rate faults with the errors the real calls return (as test_faults). */
static int f_list(struct bd_host *h, struct bd_host_dom **out, size_t *n)
{
    if (fail_now())
        return faults++, -EIO;
    return real_ops->list_domains(h, out, n);
}
static int f_read(struct bd_host *h, uint32_t id, const char *rel, char *buf,
                  size_t len, size_t *vlen)
{
    static const int e[] = {-EIO, -EACCES, -ENOENT, -EAGAIN};
    if (fail_now())
        return faults++, e[rng(&seed) % 4];
    return real_ops->read_key(h, id, rel, buf, len, vlen);
}
static int f_set(struct bd_host *h, uint32_t id, uint64_t kib)
{
    static const int e[] = {-EIO, -EINVAL, -ENOENT};
    if (fail_now())
        return faults++, e[rng(&seed) % 3];
    return real_ops->set_target(h, id, kib);
}
static int f_watch(struct bd_host *h, const char *path, const char *token)
{
    if (fail_now())
        return faults++, -ENOSPC;
    return real_ops->watch(h, path, token);
}

static void install_faults(struct bd_simrun *r)
{
    real_ops = r->host->ops;
    fault_ops = *real_ops;
    fault_ops.list_domains = f_list;
    fault_ops.read_key = f_read;
    fault_ops.set_target = f_set;
    fault_ops.watch = f_watch;
    r->host->ops = &fault_ops;
}

static int count_log(int prio, const struct bd_log_about *about,
                     const char *line)
{
    (void)about;
    log_lines++;
    warn_lines += prio <= 4; /* LOG_WARNING and worse */
    if (log_file) /* SOAK_LOG=FILE: what the daemon said, to read */
        fprintf(log_file, "<%d>%s\n", prio, line);
    return 0;
}

static void violation(const char *fmt, ...)
{
    va_list ap;

    if (violations++ < 20) {
        va_start(ap, fmt);
        fputs("soak: VIOLATION: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

static void check(struct bd_simrun *r)
{
    static uint64_t lost_since_ms;

    /* a broken watch connection is open again within a minute */
    if (!r->d.watch_lost)
        lost_since_ms = 0;
    else if (!lost_since_ms)
        lost_since_ms = r->now_ms;
    else if (r->now_ms - lost_since_ms > 60 * SEC)
        violation("t=%" PRIu64 "s the watch connection is still lost",
                  r->now_ms / SEC), lost_since_ms = r->now_ms;
    for (size_t i = 0; i < r->d.n_doms; i++) {
        const struct bd_domain *dom = r->d.doms[i];
        struct bd_range range = bd_domain_range(dom);
        struct bd_sim_dominfo info;

        if (bd_sim_dominfo(r->sim, dom->domid, &info) < 0 || !dom->has_dec ||
            dom->limits.mode != BD_MODE_AUTO || range.lo_kib > range.hi_kib)
            continue;
        /* a target just set from outside is the admin's until the daemon
         * saw it: only targets the daemon wrote are judged */
        if (info.target_kib != dom->target_kib || dom->hold_kib)
            continue;
        if (info.target_kib < range.lo_kib || info.target_kib > range.hi_kib)
            violation("t=%" PRIu64 "s %s target %" PRIu64 "K outside [%"
                      PRIu64 ", %" PRIu64 "]", r->now_ms / SEC, info.name,
                      info.target_kib, range.lo_kib, range.hi_kib);
    }
}

struct probe {
    long rss_kib;
    int fds;
    long state_bytes;
    size_t doms;
};

static void probe(struct probe *p, const char *state)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    struct stat st;

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    p->rss_kib = rss * (sysconf(_SC_PAGESIZE) / 1024);
    p->fds = 0;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            p->fds++;
    if (d)
        closedir(d);
    p->state_bytes = stat(state, &st) == 0 ? (long)st.st_size : 0;
}

static const char *const behaviours_note =
    "stops: silent; lies: hostile; floods: garbage every 100 ms";

/* What the schedule did, for the closing line. */
enum act_kind {
    A_CREATE, A_DESTROY, A_RENAME, A_MEMSET, A_MEMMAX, A_BEHAVIOUR,
    A_PIN, A_UNPIN, A_WEIGHT, A_RELOAD, A_RESTART, A_XS_RESTART, A_N
};

/* An admin's balloonctl request, through the daemon's own handlers. */
static int admin(struct bd_simrun *r, enum act_kind k, uint32_t id,
                 uint64_t arg)
{
    struct bd_ctl_call call;
    struct bd_ctl_limits_args la;
    int rc;

    memset(&call, 0, sizeof(call));
    memset(&la, 0, sizeof(la));
    call.userdata = &r->d;
    call.g = yajl_gen_alloc(NULL);
    if (!call.g)
        return -ENOMEM;
    yajl_gen_map_open(call.g);
    la.domain.by_id = true;
    la.domain.domid = id;
    if (k == A_PIN)
        rc = bd_handlers.set(&call, &la.domain, arg, false);
    else if (k == A_UNPIN)
        rc = bd_handlers.auto_(&call, &la.domain);
    else {
        la.has_weight = true;
        la.weight = (uint32_t)arg;
        rc = bd_handlers.limits(&call, &la);
    }
    yajl_gen_free(call.g);
    return rc;
}

static void create(struct bd_simrun *r, uint32_t id, uint64_t *created,
                   uint64_t *counts)
{
    struct bd_sim_guest_cfg c;
    char name[32];

    bd_sim_guest_cfg_init(&c);
    snprintf(name, sizeof(name), "vm%" PRIu64, *created);
    c.domid = id;
    c.name = name;
    c.static_max_kib = (512 + rng(&seed) % 4 * 512) * MIB;
    c.boot_kib = c.static_max_kib / 2;
    c.overhead_kib = bd_sim_linux_overhead_kib(c.static_max_kib);
    c.reporter = (enum bd_sim_reporter)(rng(&seed) % 3);
    c.demand.pattern = BD_SIM_SINE;
    c.demand.base_kib = 100 * MIB;
    c.demand.peak_kib = c.static_max_kib * 3 / 5;
    c.demand.period_ms = (1 + rng(&seed) % 12) * 3600 * SEC;
    c.demand.noise_pct = 5;
    if (bd_sim_add(r->sim, &c) > 0)
        (*created)++, counts[A_CREATE]++;
}

/* What a domain's admin did to it: an event on an existing domain,
 * drawn by roll (0..99; most rolls do nothing). */
static void change(struct bd_simrun *r, uint32_t id, unsigned roll,
                   const struct bd_sim_dominfo *info, uint64_t *created,
                   uint64_t *counts)
{
    static const enum bd_sim_behaviour b[] = {
        BD_SIM_SILENT, BD_SIM_HOSTILE, BD_SIM_GARBAGE, BD_SIM_COOPERATIVE};
    uint64_t max_kib = info->static_max_kib;
    char name[32];
    int k;

    if (roll < 10) {
        counts[A_DESTROY] += bd_sim_remove(r->sim, id) == 0;
    } else if (roll < 15) {
        snprintf(name, sizeof(name), "vm%" PRIu64 "-r", (*created)++);
        counts[A_RENAME] += bd_sim_rename(r->sim, id, name) == 0;
    } else if (roll < 20) {
        counts[A_MEMSET] += bd_sim_set_target(
            r->sim, id, max_kib / 4 + rng(&seed) % (max_kib * 3 / 4)) == 0;
    } else if (roll < 23) {
        counts[A_MEMMAX] +=
            bd_sim_set_static_max(r->sim, id, max_kib + 256 * MIB) == 0;
    } else if (roll < 28) {
        k = (int)(rng(&seed) % 4);
        counts[A_BEHAVIOUR] +=
            bd_sim_set_behaviour(r->sim, id, b[k], k == 2 ? 100 : 0) == 0;
    } else if (roll < 32) {
        /* refused when the guest uses more or the host cannot give it */
        counts[A_PIN] += admin(r, A_PIN, id, max_kib / 2 +
                               rng(&seed) % (max_kib / 2)) == 0;
    } else if (roll < 35) {
        counts[A_UNPIN] += admin(r, A_UNPIN, id, 0) == 0;
    } else if (roll < 38) {
        counts[A_WEIGHT] += admin(r, A_WEIGHT, id,
                                  1 + rng(&seed) % 1000) == 0;
    }
}

/* The pins and runtime weights a restart must keep, by domid. */
struct kept {
    uint64_t pin_kib[POOL + 1];
    uint32_t weight[POOL + 1]; /* 0 = none */
};

static void keep(const struct bd_simrun *r, struct kept *k)
{
    memset(k, 0, sizeof(*k));
    for (size_t i = 0; i < r->d.n_doms; i++) {
        const struct bd_domain *dom = r->d.doms[i];
        if (dom->domid == 0 || dom->domid > POOL)
            continue;
        k->pin_kib[dom->domid] = dom->pin_kib;
        k->weight[dom->domid] = dom->ovr.has_weight ? dom->ovr.weight : 0;
    }
}

/* After a restart (and a minute to scan): what the old daemon held, the
 * new one holds, for every domain still there. */
static void check_kept(struct bd_simrun *r, const struct kept *k)
{
    for (size_t i = 0; i < r->d.n_doms; i++) {
        const struct bd_domain *dom = r->d.doms[i];
        uint32_t id = dom->domid, w;
        if (id == 0 || id > POOL)
            continue;
        w = dom->ovr.has_weight ? dom->ovr.weight : 0;
        if (dom->pin_kib != k->pin_kib[id] || w != k->weight[id])
            violation("t=%" PRIu64 "s restart lost domain %u's pin %" PRIu64
                      "K / weight %u (now %" PRIu64 "K / %u)",
                      r->now_ms / SEC, id, k->pin_kib[id], k->weight[id],
                      dom->pin_kib, w);
    }
}

static void restart(struct bd_simrun *r, const char *conf, uint64_t *counts)
{
    struct kept k;

    keep(r, &k);
    if (bd_simrun_restart(r, conf) == 0)
        counts[A_RESTART]++;
    install_faults(r);
    /* faults off while the new daemon finds its domains: a read that
     * fails there only delays a domain, which check_kept cannot tell
     * from a lost pin */
    fault_off = true;
    if (bd_simrun_advance(r, 60 * SEC) == 0)
        check_kept(r, &k);
    fault_off = false;
}

/* One of the schedule's events, drawn once a virtual minute. */
static void act(struct bd_simrun *r, const char *conf, const char *conf2,
                uint64_t *created, uint64_t *counts)
{
    uint32_t id = 1 + (uint32_t)(rng(&seed) % POOL);
    uint64_t roll = rng(&seed) % 10000;
    struct bd_sim_dominfo info;

    if (roll < 2)
        counts[A_RELOAD] += bd_simrun_reload(r, roll ? conf : conf2) == 0;
    else if (roll < 10) /* about once a day */
        restart(r, conf, counts);
    else if (roll < 12) { /* xenstored restarts: every watch gone */
        bd_host_sim_break(r->host);
        counts[A_XS_RESTART]++;
    }
    else if (bd_sim_dominfo(r->sim, id, &info) < 0) {
        if (roll < 600) /* ~ 86 creations a day at this pool's use */
            create(r, id, created, counts);
    } else if (roll < 1000)
        change(r, id, (unsigned)(roll / 10), &info, created, counts);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;

    if (!f)
        return NULL;
    if (getdelim(&buf, &len, '\0', f) < 0) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void row(const char *when, uint64_t day, const struct bd_simrun *r,
                const struct probe *p, uint64_t created)
{
    printf("%-6s %5" PRIu64 " %10" PRIu64 " %7" PRIu64 " %6zu %7" PRIu64
           " %10" PRIu64 " %8ld %4d %8ld\n",
           when, day, r->cycles, created, r->d.n_doms, faults, violations,
           p->rss_kib, p->fds, p->state_bytes);
}

int main(int argc, char **argv)
{
    uint64_t days = argc > 1 ? strtoull(argv[1], NULL, 10) : 365;
    char dir[] = "/dev/shm/bd-soak-XXXXXX", state[64], metrics[64];
    const char *conf_path = getenv("SOAK_CONF") ? getenv("SOAK_CONF")
                                                : "conf/balloond.conf";
    char *conf = slurp(conf_path), *conf2;
    uint64_t created = 0, counts[A_N] = {0};
    struct probe p0, pm, pe;
    struct bd_simrun r;
    struct bd_sim *sim;
    int rc;

    if (!conf || days == 0 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: soak [DAYS]  (reads %s)\n", conf_path);
        return 2;
    }
    if (asprintf(&conf2, "%s\n[host]\nreserve = 384M\n[domain vm1*]\n"
                 "weight = 200\n", conf) < 0)
        return 2;
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(metrics, sizeof(metrics), "%s/metrics.prom", dir);
    if (bd_sim_new(16384 * MIB, seed, &sim) < 0)
        return 2;
    {
        struct bd_sim_guest_cfg c;
        bd_sim_guest_cfg_init(&c);
        c.domid = 0;
        c.name = "Domain-0";
        c.static_max_kib = c.boot_kib = 1024 * MIB;
        c.behaviour = BD_SIM_SILENT;
        bd_sim_add(sim, &c);
    }
    if (bd_simrun_init(&r, sim, conf) < 0)
        return 2;
    r.cfg->state_path = strdup(state);
    r.cfg->metrics_path = strdup(metrics);
    r.step_ms = 1000; /* as the benchmark: balloons move per second */
    install_faults(&r);
    bd_log_level = 6;
    bd_log_sink = count_log;
    if (getenv("SOAK_LOG") && !(log_file = fopen(getenv("SOAK_LOG"), "w")))
        return 2;
    printf("soak: %" PRIu64 " simulated days, seed %#" PRIx64 ", %s, %d "
           "host calls in a million failing; %s\n",
           days, seed, conf_path, FAULT_PPM, behaviours_note);
    printf("%-6s %5s %10s %7s %6s %7s %10s %8s %4s %8s\n", "when", "day",
           "cycles", "domains", "now", "faults", "violations", "rss_kib",
           "fds", "state_b");
    for (uint64_t t = 0; t < days * DAY_MS; t += CHECK_MS) {
        if (t % (60 * SEC) == 0)
            act(&r, conf, conf2, &created, counts);
        if ((rc = bd_simrun_advance(&r, CHECK_MS)) < 0) {
            violation("model: %s", bd_sim_error(r.sim));
            break;
        }
        check(&r);
        if (t == DAY_MS) {
            probe(&p0, state);
            row("start", 1, &r, &p0, created);
        } else if (t == days * DAY_MS / 2) {
            probe(&pm, state);
            row("middle", t / DAY_MS, &r, &pm, created);
        }
    }
    probe(&pe, state);
    row("end", days, &r, &pe, created);
    printf("soak: created %" PRIu64 ", destroyed %" PRIu64 ", renamed %"
           PRIu64 ", mem-set %" PRIu64 ", mem-max %" PRIu64 ", reporter "
           "changes %" PRIu64 ", pins %" PRIu64 ", unpins %" PRIu64
           ", weights %" PRIu64 ", reloads %" PRIu64 ", restarts %" PRIu64
           ", xenstored restarts %" PRIu64
           "; %.1f log lines per day, %.1f of them warnings or errors\n",
           counts[A_CREATE], counts[A_DESTROY], counts[A_RENAME],
           counts[A_MEMSET], counts[A_MEMMAX], counts[A_BEHAVIOUR],
           counts[A_PIN], counts[A_UNPIN], counts[A_WEIGHT],
           counts[A_RELOAD], counts[A_RESTART], counts[A_XS_RESTART],
           (double)log_lines / (double)days,
           (double)warn_lines / (double)days);
    bd_log_sink = NULL;
    bd_simrun_dispose(&r);
    free(conf);
    free(conf2);
    {
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "soak: cannot remove %s\n", dir);
    }
    /* flat: nothing grows with the domains ever seen (a margin for the
     * allocator and for what is alive at the end).  The heap fills for
     * the first week (the domain table, the allocator's arenas at this
     * host's peak), so the check needs a middle past that: 14 days or
     * more */
    if (days >= 14 && (pe.rss_kib > pm.rss_kib + 1024 || pe.fds > p0.fds ||
                      pe.state_bytes > 4 * (pm.state_bytes + 1024))) {
        fprintf(stderr, "soak: growth from the middle: rss %ld -> %ld KiB, "
                "fds %d -> %d, state %ld -> %ld bytes\n", pm.rss_kib,
                pe.rss_kib, pm.fds, pe.fds, pm.state_bytes, pe.state_bytes);
        return 1;
    }
    if (violations || counts[A_CREATE] == 0 ||
        (counts[A_RESTART] == 0 && days >= 7)) {
        fprintf(stderr, "soak: %" PRIu64 " violations\n", violations);
        return 1;
    }
    printf("soak: 0 violations\n");
    return 0;
}
