/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * demo_sim.c - `make demo HOST=sim`: the demo's story told by the real
 * daemon on a simulated host shaped like the e2e testbed, in virtual time.
 *
 * Design: the story has one home, dom0/demo.phases, which dom0/demo.sh
 * plays on real Xen; here the same phases become the guests' demand
 * (a trace per guest: its base use plus what its hog asks for), and the
 * daemon runs through bd_simrun (sim/simrun.h: bd_cycle() on a model
 * host) with the testbed's own balloond.conf.  A phase's action is applied
 * as on the testbed: KEY=VALUE replaces that key's line in the
 * configuration, then the daemon reloads.  Every virtual second one CSV
 * row (the format of demo-report.sh, which prints the summary and draws
 * the plot for both demos); every few seconds one line for the reader;
 * at the end of a phase the `balloonctl show` table, made by the control
 * socket's own handler and balloonctl's own printer.  Deterministic: the
 * same files give the same output, in about a second.
 *
 * Usage: demo-sim BALLOOND.CONF PHASES CSV [EVERY_S]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "cli/client.h"
#include "daemon/base/log.h"
#include "daemon/control/handlers.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "sim/sim.h"
#include "sim/simrun.h"

#define MIB UINT64_C(1024)
#define N_GUESTS 3
#define MAX_PHASES 16
#define STEP_MS 1000

/* The testbed (tests/e2e/README.md), as measured there: QEMU's 2 GiB, of
 * which Xen gives its domains 2024 MiB; dom0 fixed at 384 MiB, reporting
 * nothing; three 256 MiB PV guests that may grow to 512 MiB, each kernel
 * holding ~56 MiB outside MemTotal and using ~29 MiB when idle. */
#define HOST_KIB (2024 * MIB)
#define DOM0_KIB (384 * MIB)
#define GUEST_BOOT_KIB (256 * MIB)
#define GUEST_SMAX_KIB (512 * MIB)
#define GUEST_KERNEL_KIB (56 * MIB)
#define GUEST_IDLE_KIB (29 * MIB)

static const char *const guest_names[N_GUESTS] = {"g1", "g2", "g3"};

struct phase {
    char name[32];
    unsigned secs;
    unsigned hog_mib[N_GUESTS];
    char action[64]; /* "-" or KEY=VALUE */
    char look[400];  /* what to look for */
};

struct story {
    struct phase ph[MAX_PHASES];
    size_t n;
    unsigned total_s;
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;

    if (!f)
        return NULL;
    do {
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 8192);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 8192;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* One phase line: NAME SECONDS G1 G2 G3 ACTION LOOK-FOR...  0, -EINVAL. */
static int parse_phase(const char *line, struct phase *p)
{
    int off = 0;

    memset(p, 0, sizeof(*p));
    if (sscanf(line, "%31s %u %u %u %u %63s %n", p->name, &p->secs,
               &p->hog_mib[0], &p->hog_mib[1], &p->hog_mib[2], p->action,
               &off) != 6 ||
        p->secs == 0 || p->secs > 3600)
        return -EINVAL;
    snprintf(p->look, sizeof(p->look), "%s", line + off);
    p->look[strcspn(p->look, "\n")] = '\0';
    return 0;
}

static int load_story(const char *path, struct story *s)
{
    char *text = slurp(path), *line, *save = NULL;
    int rc = 0;

    memset(s, 0, sizeof(*s));
    if (!text)
        return -errno;
    for (line = strtok_r(text, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
            continue;
        if (s->n == MAX_PHASES || parse_phase(line, &s->ph[s->n]) < 0) {
            fprintf(stderr, "demo-sim: %s: bad phase line: %s\n", path, line);
            rc = -EINVAL;
            break;
        }
        s->total_s += s->ph[s->n++].secs;
    }
    free(text);
    return rc ? rc : s->n ? 0 : -EINVAL;
}

/* Guest g's demand, second by second: its idle use plus its hog. */
static uint64_t *demand_trace(const struct story *s, size_t g)
{
    uint64_t *t = calloc(s->total_s + 1, sizeof(*t));
    size_t k = 0;

    if (!t)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        for (unsigned j = 0; j < s->ph[i].secs; j++)
            t[k++] = GUEST_IDLE_KIB + s->ph[i].hog_mib[g] * MIB;
    t[k] = GUEST_IDLE_KIB;
    return t;
}

static int build_host(const struct story *s, struct bd_sim **out)
{
    struct bd_sim *sim = NULL;
    struct bd_sim_guest_cfg c;
    int rc = bd_sim_new(HOST_KIB, 15, &sim);

    if (rc < 0)
        return rc;
    bd_sim_guest_cfg_init(&c);
    c.domid = 0;
    c.name = "Domain-0";
    c.static_max_kib = c.boot_kib = DOM0_KIB;
    c.demand.base_kib = 100 * MIB;
    c.behaviour = BD_SIM_SILENT;
    rc = bd_sim_add(sim, &c);
    for (size_t g = 0; g < N_GUESTS && rc >= 0; g++) {
        uint64_t *trace = demand_trace(s, g);

        if (!trace) {
            rc = -ENOMEM;
            break;
        }
        bd_sim_guest_cfg_init(&c);
        c.name = guest_names[g];
        c.static_max_kib = GUEST_SMAX_KIB;
        c.boot_kib = GUEST_BOOT_KIB;
        c.overhead_kib = GUEST_KERNEL_KIB;
        c.demand.pattern = BD_SIM_TRACE;
        c.demand.trace_kib = trace;
        c.demand.trace_len = s->total_s + 1;
        c.demand.trace_step_ms = STEP_MS;
        rc = bd_sim_add(sim, &c);
        free(trace);
    }
    if (rc < 0) {
        bd_sim_free(sim);
        return rc;
    }
    *out = sim;
    return 0;
}

/* As lib.sh's bd_conf: the line "KEY = ..." becomes "KEY = VALUE".
 * Returns the new text (caller frees), NULL when KEY is not set. */
static char *conf_with(const char *conf, const char *kv)
{
    const char *eq = strchr(kv, '='), *p = conf;
    size_t klen = eq ? (size_t)(eq - kv) : 0;
    char *out;

    if (!klen)
        return NULL;
    for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        if (strncmp(p, kv, klen) || strncmp(p + klen, " = ", 3))
            continue;
        size_t head = (size_t)(p - conf);
        const char *tail = p + strcspn(p, "\n");
        size_t n = head + klen + 3 + strlen(eq + 1) + strlen(tail) + 1;

        if (!(out = malloc(n)))
            return NULL;
        snprintf(out, n, "%.*s%.*s = %s%s", (int)head, conf, (int)klen, kv,
                 eq + 1, tail);
        return out;
    }
    return NULL;
}

/* `balloonctl show`: the control socket's handler, balloonctl's table. */
static void print_show(struct bd_simrun *r)
{
    struct bd_ctl_call call = {.userdata = &r->d};
    const unsigned char *buf;
    size_t len;
    char *json = NULL;
    yajl_val v = NULL;

    if (!(call.g = yajl_gen_alloc(NULL)))
        return;
    if (yajl_gen_map_open(call.g) == yajl_gen_status_ok &&
        bd_handlers.show(&call, NULL, 0) == 0 &&
        yajl_gen_map_close(call.g) == yajl_gen_status_ok &&
        yajl_gen_get_buf(call.g, &buf, &len) == yajl_gen_status_ok &&
        (json = strndup((const char *)buf, len)))
        v = yajl_tree_parse(json, NULL, 0);
    if (v) {
        printf("  $ balloonctl show\n");
        bctl_print_domains(stdout, bctl_get(v, "domains"), 0);
    }
    yajl_tree_free(v);
    free(json);
    yajl_gen_free(call.g);
}

struct sample {
    uint64_t cur, tgt, used, kernel, writes;
    bool pressure;
};

static void sample_of(struct bd_simrun *r, uint32_t domid, struct sample *s)
{
    struct bd_domain *dom = bd_domain_find(&r->d, domid);
    struct bd_sim_stats st;

    memset(s, 0, sizeof(*s));
    if (bd_sim_dom_stats(r->sim, domid, &st) == 0)
        s->writes = st.target_changes;
    if (!dom)
        return;
    s->cur = dom->current_kib;
    s->tgt = dom->target_kib;
    s->pressure = bd_domain_pressure(dom);
    if (dom->stats.present)
        s->used = dom->stats.used_kib;
    /* What balloond counts on top of USED: its kernel's share. */
    s->kernel = dom->track.overhead_kib;
}

static void csv_header(FILE *f)
{
    fprintf(f, "t_s,phase,free_kib");
    for (size_t g = 0; g < N_GUESTS; g++)
        fprintf(f,
                ",%s_current_kib,%s_target_kib,%s_used_kib,%s_kernel_kib,"
                "%s_writes,%s_pressure",
                guest_names[g], guest_names[g], guest_names[g], guest_names[g],
                guest_names[g], guest_names[g]);
    fputc('\n', f);
}

static const char *mib(uint64_t kib, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRIu64 "M", kib / MIB);
    return buf;
}

/* One CSV row, and when show is set the reader's line (the columns of
 * dom0/demo.sh; "!" marks pressure). */
static void record(struct bd_simrun *r, FILE *csv, unsigned t_s,
                   const char *phase, bool show)
{
    struct bd_sim_physinfo pi;
    char a[24], b[24], c[24];

    bd_sim_physinfo(r->sim, &pi);
    fprintf(csv, "%u,%s,%" PRIu64, t_s, phase, pi.free_kib);
    if (show)
        printf("  t+%-4u %7s ", t_s, mib(pi.free_kib, a, sizeof(a)));
    for (size_t g = 0; g < N_GUESTS; g++) {
        struct sample s;

        sample_of(r, (uint32_t)g + 1, &s);
        fprintf(csv,
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%d",
                s.cur, s.tgt, s.used, s.kernel, s.writes, s.pressure);
        if (show)
            printf("| %5s/%-5s %5s%s ", mib(s.cur, a, sizeof(a)),
                   mib(s.tgt, b, sizeof(b)), mib(s.used, c, sizeof(c)),
                   s.pressure ? " !" : "  ");
    }
    fputc('\n', csv);
    if (show)
        putchar('\n');
}

static void phase_header(const struct phase *p, size_t i, size_t n)
{
    printf("\n=== phase %zu/%zu: %s (%u s): hogs ask g1 %uM, g2 %uM, g3 %uM"
           " ===\n",
           i + 1, n, p->name, p->secs, p->hog_mib[0], p->hog_mib[1],
           p->hog_mib[2]);
    printf("look for: %s\n", p->look);
    printf("  %-6s %7s ", "time", "free");
    for (size_t g = 0; g < N_GUESTS; g++) {
        char label[16];

        snprintf(label, sizeof(label), "%s now/tgt", guest_names[g]);
        printf("| %-11s %5s   ", label, "used");
    }
    putchar('\n');
}

/* The phase's action, as dom0/demo.sh's begin_phase: a changed key, then
 * a reload (the hogs are in the demand traces).  0 or -errno. */
static int act(struct bd_simrun *r, char **conf, const char *action)
{
    char *nc;
    int rc;

    if (!strcmp(action, "-"))
        return 0;
    if (!(nc = conf_with(*conf, action))) {
        fprintf(stderr, "demo-sim: cannot apply %s\n", action);
        return -EINVAL;
    }
    printf("  $ balloonctl reload    # balloond.conf now says %.*s = %s\n",
           (int)strcspn(action, "="), action, strchr(action, '=') + 1);
    rc = bd_simrun_reload(r, nc);
    free(*conf);
    *conf = nc;
    return rc;
}

static int play(struct bd_simrun *r, const struct story *s, char **conf,
                FILE *csv, unsigned every_s)
{
    unsigned t = 0;
    int rc;

    csv_header(csv);
    /* The daemon's first cycle, at start, before the first sample. */
    rc = bd_simrun_advance(r, 0);
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        const struct phase *p = &s->ph[i];

        /* As on the testbed: a sample, then the phase acts. */
        phase_header(p, i, s->n);
        record(r, csv, t, p->name, true);
        if ((rc = act(r, conf, p->action)) < 0)
            break;
        for (unsigned k = 1; k <= p->secs && rc == 0; k++) {
            rc = bd_simrun_advance(r, STEP_MS);
            t++;
            record(r, csv, t, p->name, k % every_s == 0 || k == p->secs);
        }
        print_show(r);
    }
    if (rc < 0)
        fprintf(stderr, "demo-sim: the model broke: %s\n",
                bd_sim_error(r->sim));
    return rc;
}

int main(int argc, char **argv)
{
    struct story s;
    struct bd_sim *sim = NULL;
    struct bd_simrun r;
    char *conf;
    FILE *csv;
    unsigned every = argc > 4 ? (unsigned)atoi(argv[4]) : 5;
    int rc;

    if (argc < 4 || every == 0) {
        fprintf(stderr, "usage: demo-sim BALLOOND.CONF PHASES CSV [EVERY_S]\n");
        return 2;
    }
    if (!(conf = slurp(argv[1]))) {
        fprintf(stderr, "demo-sim: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    bd_log_level = 3; /* the daemon's errors only: the reader sees tables */
    if (load_story(argv[2], &s) < 0 || build_host(&s, &sim) < 0 ||
        bd_simrun_init(&r, sim, conf) < 0) {
        fprintf(stderr, "demo-sim: cannot set up the simulated host\n");
        free(conf);
        return 1;
    }
    if (!(csv = fopen(argv[3], "w"))) {
        fprintf(stderr, "demo-sim: %s: %s\n", argv[3], strerror(errno));
        bd_simrun_dispose(&r);
        free(conf);
        return 1;
    }
    printf("simulated host: %" PRIu64 " MiB, Domain-0 %" PRIu64
           " MiB, three guests of %" PRIu64 " MiB (%" PRIu64
           " at most), balloond with the testbed's balloond.conf\n",
           HOST_KIB / MIB, DOM0_KIB / MIB, GUEST_BOOT_KIB / MIB,
           GUEST_SMAX_KIB / MIB);
    rc = play(&r, &s, &conf, csv, every);
    if (fclose(csv) != 0 && rc == 0)
        rc = -EIO;
    bd_simrun_dispose(&r);
    free(conf);
    return rc < 0 ? 1 : 0;
}
