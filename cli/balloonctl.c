/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balloonctl - talk to balloond over its control socket.
 *
 * Design: a table of subcommands, each with its arguments and the options
 * it accepts; one getopt_long pass over the whole command line (options may
 * come before or after the subcommand, as with git or systemctl), then the
 * table says whether what was given makes sense.  Every argument is
 * checked here (sizes with common/size.c, domains with common/proto.c), so
 * a typo is a usage error (exit 2) that never reaches the daemon.  Errors
 * are one line on stderr that says what to do; exit codes are fixed:
 * 0 ok, 1 the operation failed, 2 usage, 3 balloond not reachable.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/top.h"
#include "cli/xlcfg.h"
#include "common/proto.h"
#include "common/size.h"

enum {
    O_JSON = 1u << 0,
    O_LIMITS = 1u << 1,  /* --min --max --weight --mode --reset */
    O_TIMEOUT = 1u << 2,
    O_QUIET = 1u << 3,
    O_TOP = 1u << 4,     /* --delay --iterations */
    O_FORCE = 1u << 5,
    O_WIDE = 1u << 6,
    O_SORT = 1u << 7,
};

enum {
    OPT_SOCKET = 256,
    OPT_MIN,
    OPT_MAX,
    OPT_WEIGHT,
    OPT_MODE,
    OPT_RESET,
};

struct opts {
    const char *socket;
    unsigned given;          /* O_* of the options seen */
    const char *given_name[8]; /* per O_* bit: as typed, for messages */
    bool json, quiet, force, wide;
    const char *sort;
    const char *min, *max, *weight, *mode;
    bool reset;
    const char *timeout, *delay, *iterations;
    char **xl_argv;          /* create: what follows "--", for xl */
    int xl_argc;
};

struct cmd {
    const char *name;
    const char *args;        /* for usage */
    const char *help;
    int min_args, max_args;  /* -1: any number */
    unsigned opts;
    int (*run)(const struct opts *o, char **argv, int argc);
    bool hidden;
};

static const struct cmd *find_cmd(const char *name);
static void usage(FILE *f);

static int usage_err(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --json was asked for somewhere on the command line: usage errors, found
 * before or while the options are parsed, are a JSON object on stdout too
 * (set once in main, before anything can fail). */
static bool usage_json;

/* {"version":...,"ok":false,"error":msg} on stdout, as balloond words its
 * failures. */
static void json_usage_error(const char *msg)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    if (!g)
        return;
    if (bd_proto_gen_error(g, msg) == 0 &&
        yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        printf("%.*s\n", (int)len, (const char *)buf);
    yajl_gen_free(g);
}

/* Whether argv (up to "--") asks for --json: "--json", or -j alone or in a
 * cluster of short options before one that takes a value. */
static bool wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            return true;
        if (a[0] != '-' || a[1] == '-')
            continue;
        for (a++; *a && !strchr("tdns", *a); a++)
            if (*a == 'j')
                return true;
    }
    return false;
}

static int usage_err(const char *cmd, const char *fmt, ...)
{
    char msg[512], full[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (cmd)
        snprintf(full, sizeof(full), "%s: %s (see 'balloonctl help %s')", cmd,
                 msg, cmd);
    else
        snprintf(full, sizeof(full), "%s (see 'balloonctl help')", msg);
    if (usage_json)
        json_usage_error(full);
    bctl_err("%s", full);
    return BCTL_EXIT_USAGE;
}

/* A size, or a percentage ("75%") as balloond.conf takes it: resolved by
 * resolve_pct() against what it is a percentage of. */
static int parse_size_pct(const char *cmd, const char *what, const char *s,
                          struct bd_size *sz)
{
    const char *why = "invalid";
    int r = bd_parse_size(s, true, sz, &why);

    if (r == -ERANGE)
        return usage_err(cmd, "%s '%s' is too large", what, s);
    if (r)
        return usage_err(cmd, "%s '%s' is not a size: %s (e.g. 512M, 2G, "
                         "75%%)", what, s, why);
    return 0;
}

static int parse_dom(const char *cmd, const char *s, struct bd_ctl_domref *d)
{
    const char *why = "invalid";

    if (bd_proto_domref_parse(s, d, &why))
        return usage_err(cmd, "'%s' is not a domain name or id: %s", s, why);
    return 0;
}

static int parse_size(const char *cmd, const char *what, const char *s,
                      uint64_t *kib)
{
    const char *why = "invalid";
    int r = bd_parse_size_kib(s, kib, &why);

    if (r == -ERANGE)
        return usage_err(cmd, "%s '%s' is too large", what, s);
    if (r)
        return usage_err(cmd, "%s '%s' is not a size: %s (e.g. 512M, 2G)",
                         what, s, why);
    return 0;
}

/* With --json, a failure is a JSON object on stdout too (tools read
 * stdout): {"ok":false,"error":"..."} as balloond sent it, or made here
 * when balloond could not be reached. */
static void json_error(const struct opts *o, yajl_val reply, const char *msg)
{
    if (!o->json)
        return;
    if (reply)
        bctl_print_json(stdout, reply, false);
    else
        json_usage_error(msg);
}

/* A refused reload: balloond joins its FILE:LINE errors with "; " (the
 * protocol's errors are one line); each goes on a line of its own, as
 * --check-config prints them.  False: not that shape, print it whole. */
static bool reload_errors(const char *e)
{
    const char *head = strstr(e, "kept: "), *p, *next;

    if (!head || !strstr(head, "; /"))
        return false;
    bctl_err("reload: %.*s", (int)(head + 5 - e), e);
    for (p = head + 6; *p; p = next) {
        const char *end = strstr(p, "; /");
        next = end ? end + 2 : p + strlen(p);
        bctl_err("reload:   %.*s", (int)((end ? end : next) - p), p);
    }
    return true;
}

/* The operation failed: print balloond's message. */
static int op_failed(const struct opts *o, const char *cmd, yajl_val reply)
{
    const char *e = bctl_get_str(reply, "error");

    json_error(o, reply, NULL);
    if (!e || strcmp(cmd, "reload") || !reload_errors(e))
        bctl_err("%s: %s", cmd, e ? e : "failed (no reason given)");
    return BCTL_EXIT_FAILED;
}

/* Print what a request's reply (rc, reply, err as bctl_call() left them)
 * says, the way every command does; frees reply.  Returns the exit code. */
static int finish(const struct opts *o, const char *cmd, int rc,
                  yajl_val reply, const char *err,
                  void (*print)(yajl_val reply))
{
    if (rc == BCTL_EXIT_UNREACHABLE) {
        json_error(o, NULL, err);
        bctl_err("%s", err);
    }
    if (rc == BCTL_EXIT_OK) {
        if (o->json) {
            if (bctl_print_json(stdout, reply, true))
                rc = BCTL_EXIT_FAILED;
        } else if (print) {
            print(reply);
        }
    } else if (rc == BCTL_EXIT_FAILED) {
        rc = op_failed(o, cmd, reply);
    }
    yajl_tree_free(reply);
    if (fflush(stdout) != 0 && rc == BCTL_EXIT_OK) {
        bctl_err("writing output: %s", strerror(errno));
        rc = BCTL_EXIT_FAILED;
    }
    return rc;
}

/* Send a request; print JSON or call print() for the ok reply. */
static int simple(const struct opts *o, const char *cmd, yajl_gen g,
                  uint64_t timeout_ms, void (*print)(yajl_val reply))
{
    yajl_val reply = NULL;
    char err[512] = "";
    int rc = bctl_call(o->socket, g, timeout_ms, &reply, err, sizeof(err));

    yajl_gen_free(g);
    return finish(o, cmd, rc, reply, err, print);
}

static yajl_gen begin(enum bd_ctl_cmd c)
{
    yajl_gen g = bd_proto_request_begin(c);

    if (!g) {
        bctl_err("out of memory");
        exit(BCTL_EXIT_FAILED);
    }
    return g;
}

/* ---- commands ---------------------------------------------------------- */

static void print_status(yajl_val r)
{
    bctl_print_status(stdout, r);
}

static int cmd_status(const struct opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return simple(o, "status", begin(BD_CTL_STATUS), BCTL_REPLY_TIMEOUT_MS,
                  print_status);
}

/* How show prints its table (set by cmd_show before the request). */
static struct bctl_table_opts show_table;

static void print_show(yajl_val r)
{
    bctl_print_domains(stdout, bctl_get(r, "domains"), &show_table);
}

static int parse_sort(const char *cmd, const struct opts *o,
                      enum bctl_sort *out)
{
    *out = BCTL_SORT_ID;
    if (o->sort && bctl_sort_parse(o->sort, out))
        return usage_err(cmd, "--sort '%s' must be id, name, current, "
                         "target, used or state", o->sort);
    return 0;
}

static int cmd_show(const struct opts *o, char **argv, int argc)
{
    yajl_gen g;
    int rc;

    if (argc > BD_PROTO_MAX_DOMAINS)
        return usage_err("show", "at most %d domains at once (give none "
                         "for all)", BD_PROTO_MAX_DOMAINS);
    if ((rc = parse_sort("show", o, &show_table.sort)))
        return rc;
    /* 80 columns unless --wide, or the terminal's width; a terminal wide
     * enough gets every column */
    show_table.width = bctl_term_cols(STDOUT_FILENO);
    show_table.wide = o->wide || show_table.width >= BCTL_WIDE_COLS;
    if (!show_table.width)
        show_table.width = o->wide ? 0 : 80;
    g = begin(BD_CTL_SHOW);
    if (argc) {
        bd_gen_key(g, "domains");
        yajl_gen_array_open(g);
        for (int i = 0; i < argc; i++) {
            struct bd_ctl_domref d;
            rc = parse_dom("show", argv[i], &d);
            if (rc) {
                yajl_gen_free(g);
                return rc;
            }
            bd_gen_domref(g, NULL, &d);
        }
        yajl_gen_array_close(g);
    }
    return simple(o, "show", g, BCTL_REPLY_TIMEOUT_MS, print_show);
}

static void print_domain_obj(yajl_val d, const char *what)
{
    char name[160], t[16], mn[16], mx[16];
    const char *nm = bctl_get_str(d, "name");
    const char *mode = bctl_get_str(d, "mode");
    const char *state = bctl_get_str(d, "state");
    uint64_t w = 0;

    if (!d) {
        printf("%s\n", what);
        return;
    }
    bctl_get_u64(d, "weight", &w);
    printf("%s: %s; target %s, min %s, max %s, weight %" PRIu64
           ", mode %s, state %s\n",
           bctl_clean(nm ? nm : "?", name, sizeof(name)), what,
           bctl_size(d, "target_kib", t, sizeof(t)),
           bctl_size(d, "min_kib", mn, sizeof(mn)),
           bctl_size(d, "max_kib", mx, sizeof(mx)), w, mode ? mode : "?",
           state ? state : "?");
}

static void print_domain_line(yajl_val r, const char *what)
{
    char name[160];

    print_domain_obj(bctl_get(r, "domain"), what);
    /* In force now, lost on a restart: say so where it is seen. */
    if (bctl_get_str(r, "not_saved"))
        bctl_err("%s, but %s", what,
                 bctl_clean(bctl_get_str(r, "not_saved"), name,
                            sizeof(name)));
}

static const char *set_what(yajl_val dom, char *buf, size_t len)
{
    char pin[16];

    snprintf(buf, len, "pinned at %s until 'balloonctl auto'",
             bctl_size(dom, "pin_kib", pin, sizeof(pin)));
    return buf;
}

static void print_set(yajl_val r)
{
    char what[64];

    print_domain_line(r, set_what(bctl_get(r, "domain"), what,
                                  sizeof(what)));
}

static yajl_gen set_request_gen(const struct opts *o,
                                const struct bd_ctl_domref *d, uint64_t kib)
{
    yajl_gen g = begin(BD_CTL_SET);

    bd_gen_domref(g, "domain", d);
    bd_gen_u64(g, "target_kib", kib);
    if (o->force)
        bd_gen_bool(g, "force", true);
    return g;
}

/* The domain as show gives it (the caller frees *reply), or NULL. */
static yajl_val show_one(const struct opts *o, const struct bd_ctl_domref *d,
                         yajl_val *reply)
{
    yajl_val doms;
    yajl_gen g = begin(BD_CTL_SHOW);
    int rc;

    *reply = NULL;
    bd_gen_key(g, "domains");
    yajl_gen_array_open(g);
    bd_gen_domref(g, NULL, d);
    yajl_gen_array_close(g);
    rc = bctl_call(o->socket, g, BCTL_REPLY_TIMEOUT_MS, reply, NULL, 0);
    yajl_gen_free(g);
    doms = bctl_get(*reply, "domains");
    if (rc != BCTL_EXIT_OK || !YAJL_IS_ARRAY(doms) || doms->u.array.len != 1)
        return NULL;
    return doms->u.array.values[0];
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * set answered that the pin is in force but waits for memory that
 * balloond frees from other domains within their limits (as it does for
 * `reserve`).  Wait, like reserve, until the target reaches the pin or
 * timeout_ms has passed; then say which.  Exit code 0, or 1 on a timeout
 * (the pin stays and keeps growing as memory frees).
 */
static int set_wait(const struct opts *o, const struct bd_ctl_domref *d,
                    uint64_t kib, uint64_t timeout_ms)
{
    uint64_t end = mono_ms() + timeout_ms, tgt = 0;
    yajl_val r = NULL, dom = NULL;
    char a[16], b[16], name[160];
    const char *nm;
    int rc = BCTL_EXIT_FAILED;

    for (;;) {
        yajl_tree_free(r);
        dom = show_one(o, d, &r);
        if (!dom || !bctl_get_u64(dom, "target_kib", &tgt))
            break; /* gone: say what is known */
        if (tgt >= kib) {
            rc = BCTL_EXIT_OK;
            break;
        }
        if (mono_ms() >= end)
            break;
        usleep(250 * 1000);
    }
    if (o->json && dom) {
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;

        if (g && !yajl_gen_map_open(g) && !bd_gen_key(g, "domain") &&
            !bctl_gen_value(g, dom) &&
            !bd_gen_u64(g, "waiting_kib", tgt < kib ? kib - tgt : 0) &&
            !yajl_gen_map_close(g) &&
            yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
            printf("%.*s\n", (int)len, (const char *)buf);
        yajl_gen_free(g);
    }
    nm = dom ? bctl_get_str(dom, "name") : NULL;
    bctl_clean(nm ? nm : "the domain", name, sizeof(name));
    if (rc == BCTL_EXIT_OK && !o->json) {
        char what[64];
        print_domain_obj(dom, set_what(dom, what, sizeof(what)));
    } else if (rc != BCTL_EXIT_OK) {
        bctl_err("set: timed out: %s's target reached %s of the %s pin; the "
                 "pin stays and grows as memory frees ('balloonctl auto %s' "
                 "undoes it)",
                 name, bd_format_kib(tgt, a, sizeof(a)),
                 bd_format_kib(kib, b, sizeof(b)), name);
    }
    yajl_tree_free(r);
    fflush(stdout);
    return rc;
}

/* --timeout, or the default; a usage error when it is not a duration up
 * to BD_PROTO_MAX_TIMEOUT_MS.  Returns an exit code. */
static int parse_timeout(const char *cmd, const struct opts *o,
                         uint64_t *timeout_ms)
{
    const char *why = "";
    int r;

    *timeout_ms = BD_PROTO_DEFAULT_TIMEOUT_MS;
    if (!o->timeout)
        return 0;
    r = bd_parse_duration_ms(o->timeout, timeout_ms, &why);
    if (r || *timeout_ms > BD_PROTO_MAX_TIMEOUT_MS)
        return usage_err(cmd, "--timeout '%s' is not a duration up to 1h: "
                         "%s (e.g. 30s, 2min)", o->timeout,
                         r ? why : "too long");
    return 0;
}

static int cmd_set(const struct opts *o, char **argv, int argc)
{
    struct bd_ctl_domref d;
    uint64_t kib, timeout_ms, waiting = 0;
    yajl_val reply = NULL;
    char err[512] = "";
    yajl_gen g;
    int rc;

    (void)argc;
    rc = parse_dom("set", argv[0], &d);
    if (!rc)
        rc = parse_size("set", "SIZE", argv[1], &kib);
    if (rc)
        return rc;
    if (kib == 0)
        return usage_err("set", "SIZE must be more than 0");
    if ((rc = parse_timeout("set", o, &timeout_ms)))
        return rc;
    g = set_request_gen(o, &d, kib);
    rc = bctl_call(o->socket, g, BCTL_REPLY_TIMEOUT_MS, &reply, err,
                   sizeof(err));
    yajl_gen_free(g);
    /* Pinned, but memory is still being freed for it: wait as reserve
     * does (the not-saved warning, if any, is printed first). */
    if (rc == BCTL_EXIT_OK && bctl_get_u64(reply, "waiting_kib", &waiting) &&
        waiting > 0) {
        if (bctl_get_str(reply, "not_saved"))
            bctl_err("set: pinned, but %s", bctl_get_str(reply, "not_saved"));
        yajl_tree_free(reply);
        return set_wait(o, &d, kib, timeout_ms);
    }
    return finish(o, "set", rc, reply, err, print_set);
}

static void print_auto(yajl_val r)
{
    print_domain_line(r, "managed automatically again");
}

static int cmd_auto(const struct opts *o, char **argv, int argc)
{
    struct bd_ctl_domref d;
    yajl_gen g;
    int rc;

    (void)argc;
    rc = parse_dom("auto", argv[0], &d);
    if (rc)
        return rc;
    g = begin(BD_CTL_AUTO);
    bd_gen_domref(g, "domain", &d);
    return simple(o, "auto", g, BCTL_REPLY_TIMEOUT_MS, print_auto);
}

static void print_limits(yajl_val r)
{
    print_domain_line(r, "limits changed");
}

/* sz in KiB: a percentage is of the domain's static-max (d, as for min
 * and max in balloond.conf) or of the host's memory (d NULL, as for the
 * reserve), asked of balloond.  Returns an exit code. */
static int resolve_pct(const struct opts *o, const char *cmd,
                       const struct bd_ctl_domref *d, const struct bd_size *sz,
                       uint64_t *kib)
{
    yajl_gen g = begin(d ? BD_CTL_SHOW : BD_CTL_STATUS);
    yajl_val reply = NULL, base_obj;
    uint64_t base = 0;
    char err[512] = "";
    int rc;

    if (!sz->is_pct) {
        yajl_gen_free(g);
        *kib = sz->kib;
        return BCTL_EXIT_OK;
    }
    if (d) {
        bd_gen_key(g, "domains");
        yajl_gen_array_open(g);
        bd_gen_domref(g, NULL, d);
        yajl_gen_array_close(g);
    }
    rc = bctl_call(o->socket, g, BCTL_REPLY_TIMEOUT_MS, &reply, err,
                   sizeof(err));
    yajl_gen_free(g);
    if (rc != BCTL_EXIT_OK)
        return finish(o, cmd, rc, reply, err, NULL);
    base_obj = d ? bctl_get(reply, "domains") : reply;
    if (d && YAJL_IS_ARRAY(base_obj) && base_obj->u.array.len == 1)
        base_obj = base_obj->u.array.values[0];
    if (!bctl_get_u64(base_obj, d ? "static_max_kib" : "host_total_kib",
                      &base) || !base) {
        yajl_tree_free(reply);
        json_error(o, NULL, "balloond's reply has no size to take a "
                            "percentage of");
        bctl_err("%s: balloond's reply has no size to take a percentage of",
                 cmd);
        return BCTL_EXIT_FAILED;
    }
    yajl_tree_free(reply);
    *kib = bd_size_resolve(sz, base);
    return BCTL_EXIT_OK;
}

static int cmd_limits(const struct opts *o, char **argv, int argc)
{
    struct bd_ctl_domref d;
    uint64_t min = 0, max = 0, weight = 0;
    struct bd_size min_sz, max_sz;
    enum bd_mode mode = BD_MODE_AUTO;
    const char *why = "";
    yajl_gen g;
    int rc;

    (void)argc;
    rc = parse_dom("limits", argv[0], &d);
    if (rc)
        return rc;
    if (o->reset && (o->min || o->max || o->weight || o->mode))
        return usage_err("limits", "--reset cannot be combined with other "
                         "limits");
    if (!o->reset && !o->min && !o->max && !o->weight && !o->mode)
        return usage_err("limits", "nothing to change: give --min, --max, "
                         "--weight, --mode or --reset");
    if (o->min && (rc = parse_size_pct("limits", "--min", o->min, &min_sz)))
        return rc;
    if (o->max && (rc = parse_size_pct("limits", "--max", o->max, &max_sz)))
        return rc;
    if (o->max && !max_sz.is_pct && max_sz.kib == 0)
        return usage_err("limits", "--max must be more than 0");
    if (o->weight &&
        bd_parse_uint(o->weight, BD_PROTO_MIN_WEIGHT, BD_PROTO_MAX_WEIGHT,
                      &weight, &why))
        return usage_err("limits", "--weight '%s' must be a whole number "
                         "from %u to %u", o->weight, BD_PROTO_MIN_WEIGHT,
                         BD_PROTO_MAX_WEIGHT);
    if (o->mode && bd_mode_parse(o->mode, &mode))
        return usage_err("limits", "--mode '%s' must be auto, fixed or "
                         "ignore", o->mode);
    if (o->min && (rc = resolve_pct(o, "limits", &d, &min_sz, &min)))
        return rc;
    if (o->max && (rc = resolve_pct(o, "limits", &d, &max_sz, &max)))
        return rc;
    if (o->max && max == 0)
        return usage_err("limits", "--max must be more than 0");
    if (o->min && o->max && min > max)
        return usage_err("limits", "--min %s is larger than --max %s",
                         o->min, o->max);
    g = begin(BD_CTL_LIMITS);
    bd_gen_domref(g, "domain", &d);
    if (o->min)
        bd_gen_u64(g, "min_kib", min);
    if (o->max)
        bd_gen_u64(g, "max_kib", max);
    if (o->weight)
        bd_gen_u64(g, "weight", weight);
    if (o->mode)
        bd_gen_str(g, "mode", bd_mode_name(mode));
    if (o->reset)
        bd_gen_bool(g, "reset", true);
    if (o->force)
        bd_gen_bool(g, "force", true);
    return simple(o, "limits", g, BCTL_REPLY_TIMEOUT_MS, print_limits);
}

/* Ask balloond for kib within timeout_ms; what names it in messages
 * ("reserve", "create NAME").  On success *id is the reservation, and it
 * is printed unless print is false.  Returns an exit code. */
static int reserve_kib(const struct opts *o, const char *what, uint64_t kib,
                       uint64_t timeout_ms, bool print, uint64_t *id)
{
    uint64_t got = 0, hold = 0;
    yajl_val reply = NULL;
    char a[16], b[16];
    yajl_gen g;
    int rc;

    *id = 0;
    g = begin(BD_CTL_RESERVE);
    bd_gen_u64(g, "kib", kib);
    bd_gen_u64(g, "timeout_ms", timeout_ms);
    if (o->force)
        bd_gen_bool(g, "force", true);
    rc = bctl_call(o->socket, g, timeout_ms + BCTL_REPLY_TIMEOUT_MS, &reply,
                   NULL, 0);
    yajl_gen_free(g);
    if (rc == BCTL_EXIT_UNREACHABLE)
        return rc;
    bctl_get_u64(reply, "achieved_kib", &got);
    /* a refusal keeps "version" and "ok", as every failure does */
    if (o->json && print)
        bctl_print_json(stdout, reply, rc == BCTL_EXIT_OK);
    if (rc == BCTL_EXIT_OK) {
        bctl_get_u64(reply, "id", id);
        bctl_get_u64(reply, "hold_ms", &hold);
        if (o->quiet && print)
            printf("%" PRIu64 "\n", *id);
        else if (!o->json && print)
            printf("reservation %" PRIu64 ": %s free and held for %" PRIu64
                   "s; release it with 'balloonctl release %" PRIu64 "'\n",
                   *id, bd_format_kib(kib, a, sizeof(a)), (hold + 999) / 1000,
                   *id);
    } else {
        const char *e = bctl_get_str(reply, "error");
        bd_format_kib(got, a, sizeof(a));
        bd_format_kib(kib, b, sizeof(b));
        /* Say what was achieved unless balloond's message already does. */
        if (e && ((strstr(e, a) && strstr(e, b)) || !got))
            bctl_err("%s: %s", what, e);
        else
            bctl_err("%s: %s (achieved %s of %s)", what, e ? e : "failed", a,
                     b);
    }
    yajl_tree_free(reply);
    fflush(stdout);
    return rc;
}

/* An argument that names an xl config rather than a size. */
static bool is_config(const char *arg)
{
    return strchr(arg, '/') || access(arg, F_OK) == 0;
}

/* What the xl config at argv[0] (with KEY=VALUE overrides) needs, as
 * "NAME: need 1.13G (memory 1.00G + Xen overhead 130M)" in line. */
static int config_need(const char *cmd, char **argv, int argc,
                       struct bctl_xlcfg *c, uint64_t *need_kib, char *line,
                       size_t len)
{
    char err[256], a[16], b[16], x[16];

    if (bctl_xlcfg_read(argv[0], argv + 1, (size_t)argc - 1, c, err,
                        sizeof(err)) ||
        bctl_xlcfg_need_kib(c, need_kib, err, sizeof(err))) {
        bctl_err("%s: %s", cmd, err);
        return BCTL_EXIT_FAILED;
    }
    snprintf(line, len, "%s: need %s (memory %s + Xen overhead %s)", c->name,
             bd_format_kib(*need_kib, a, sizeof(a)),
             bd_format_kib(c->memory_kib, b, sizeof(b)),
             bd_format_kib(*need_kib > c->memory_kib
                               ? *need_kib - c->memory_kib : 0,
                           x, sizeof(x)));
    return BCTL_EXIT_OK;
}

static int cmd_reserve(const struct opts *o, char **argv, int argc)
{
    uint64_t kib, timeout_ms, id;
    struct bctl_xlcfg c;
    char line[256];
    int rc;

    if ((rc = parse_timeout("reserve", o, &timeout_ms)))
        return rc;
    if (is_config(argv[0])) {
        rc = config_need("reserve", argv, argc, &c, &kib, line, sizeof(line));
        if (rc)
            return rc;
        if (!o->quiet && !o->json)
            printf("%s\n", line);
    } else {
        if (argc > 1)
            return usage_err("reserve", "KEY=VALUE only follows a config "
                             "file: balloonctl reserve CFG [KEY=VALUE...]");
        struct bd_size sz;
        rc = parse_size_pct("reserve", "SIZE", argv[0], &sz);
        if (rc)
            return rc;
        if (!sz.is_pct && sz.kib == 0)
            return usage_err("reserve", "SIZE must be more than 0");
        /* a percentage of the host's memory, as [host] reserve takes it */
        if ((rc = resolve_pct(o, "reserve", NULL, &sz, &kib)))
            return rc;
        if (kib == 0)
            return usage_err("reserve", "SIZE must be more than 0");
    }
    return reserve_kib(o, "reserve", kib, timeout_ms, true, &id);
}

/* xl create CFG [KEY=VALUE...] [XL-OPTIONS]: its exit code, or -errno. */
static int run_xl_create(const struct opts *o, char **argv, int argc)
{
    const char *xl = getenv("BALLOONCTL_XL");
    char **args = calloc((size_t)(argc + o->xl_argc + 3), sizeof(*args));
    int n = 0, st, r;
    pid_t pid;

    if (!args)
        return -ENOMEM;
    args[n++] = (char *)(xl && xl[0] ? xl : "xl");
    args[n++] = (char *)"create";
    for (int i = 0; i < o->xl_argc; i++)
        args[n++] = o->xl_argv[i];
    for (int i = 0; i < argc; i++)
        args[n++] = argv[i];
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execvp(args[0], args);
        bctl_err("create: cannot run %s: %s", args[0], strerror(errno));
        _exit(127);
    }
    r = pid < 0 ? -errno : 0;
    free(args);
    if (r)
        return r;
    while ((r = (int)waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -errno;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Give a reservation back; one taken by the new domain is gone already. */
static void release_quietly(const struct opts *o, uint64_t id)
{
    yajl_val reply = NULL;
    char err[256];
    yajl_gen g = begin(BD_CTL_RELEASE);

    bd_gen_u64(g, "id", id);
    bctl_call(o->socket, g, BCTL_REPLY_TIMEOUT_MS, &reply, err, sizeof(err));
    yajl_gen_free(g);
    yajl_tree_free(reply);
}

static int cmd_create(const struct opts *o, char **argv, int argc)
{
    uint64_t need, timeout_ms, id;
    struct bctl_xlcfg c;
    char what[200], line[256], n[16];
    int rc, xrc;

    if ((rc = parse_timeout("create", o, &timeout_ms)))
        return rc;
    rc = config_need("create", argv, argc, &c, &need, line, sizeof(line));
    if (rc)
        return rc;
    if (!o->quiet)
        printf("%s\n", line);
    snprintf(what, sizeof(what), "create %s: cannot start it: needs %s "
             "free", c.name, bd_format_kib(need, n, sizeof(n)));
    rc = reserve_kib(o, what, need, timeout_ms, false, &id);
    if (rc == BCTL_EXIT_UNREACHABLE) {
        /* no balloond, nothing lent: xl finds the memory as it would */
        bctl_err("create %s: starting it without a reservation", c.name);
    } else if (rc) {
        return rc;
    } else if (!o->quiet) {
        printf("%s: reservation %" PRIu64 " holds it; xl create\n", c.name,
               id);
    }
    xrc = run_xl_create(o, argv, argc);
    /* Started: the domain holds the memory now.  Failed: it is free. */
    if (id)
        release_quietly(o, id);
    if (xrc < 0) {
        bctl_err("create %s: cannot run xl: %s", c.name, strerror(-xrc));
        return BCTL_EXIT_FAILED;
    }
    if (xrc)
        bctl_err("create %s: xl create failed (exit %d); the reservation "
                 "is given back", c.name, xrc);
    return xrc ? BCTL_EXIT_FAILED : BCTL_EXIT_OK;
}

static void print_capacity(yajl_val r)
{
    char a[16], b[16], c[16], d[16];

    printf("now:            %s (free beyond the reserve and reservations)\n"
           "after reclaim:  %s (and what guests hold above their use)\n"
           "start pool:     %s kept free for starts\n"
           "host free:      %s\n",
           bctl_size(r, "capacity_now_kib", a, sizeof(a)),
           bctl_size(r, "capacity_reclaim_kib", b, sizeof(b)),
           bctl_size(r, "start_pool_kib", c, sizeof(c)),
           bctl_size(r, "host_free_kib", d, sizeof(d)));
}

static int cmd_capacity(const struct opts *o, char **argv, int argc)
{
    yajl_val reply = NULL;
    char err[512] = "";
    yajl_gen g = begin(BD_CTL_STATUS);
    int rc;

    (void)argv;
    (void)argc;
    rc = bctl_call(o->socket, g, BCTL_REPLY_TIMEOUT_MS, &reply, err,
                   sizeof(err));
    yajl_gen_free(g);
    return finish(o, "capacity", rc, reply, err, print_capacity);
}

static void print_release(yajl_val r)
{
    uint64_t id = 0;
    char a[16];

    bctl_get_u64(r, "id", &id);
    printf("released reservation %" PRIu64 " (%s)\n", id,
           bctl_size(r, "kib", a, sizeof(a)));
}

static int cmd_release(const struct opts *o, char **argv, int argc)
{
    const char *why = "";
    uint64_t id;
    yajl_gen g;

    (void)argc;
    if (bd_parse_uint(argv[0], 1, BD_PROTO_MAX_ID, &id, &why))
        return usage_err("release", "'%s' is not a reservation id (the "
                         "number 'balloonctl reserve' printed)", argv[0]);
    g = begin(BD_CTL_RELEASE);
    bd_gen_u64(g, "id", id);
    return simple(o, "release", g, BCTL_REPLY_TIMEOUT_MS, print_release);
}

static void print_reload(yajl_val r)
{
    char buf[512];
    const char *c = bctl_get_str(r, "config");

    printf("reloaded %s\n", bctl_clean(c ? c : "the configuration", buf,
                                       sizeof(buf)));
}

static int cmd_reload(const struct opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return simple(o, "reload", begin(BD_CTL_RELOAD), BCTL_REPLY_TIMEOUT_MS,
                  print_reload);
}

static void print_metrics(yajl_val r)
{
    const char *t = bctl_get_str(r, "text");
    size_t n = t ? strlen(t) : 0;

    /* Exposition text is printed verbatim: it is meant for a parser. */
    fwrite(t ? t : "", 1, n, stdout);
    if (n && t[n - 1] != '\n')
        putchar('\n');
}

static int cmd_metrics(const struct opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return simple(o, "metrics", begin(BD_CTL_METRICS), BCTL_REPLY_TIMEOUT_MS,
                  print_metrics);
}

static void print_explain(yajl_val r)
{
    bctl_print_explain(stdout, r);
}

static int cmd_explain(const struct opts *o, char **argv, int argc)
{
    struct bd_ctl_domref d;
    yajl_gen g;
    int rc;

    (void)argc;
    rc = parse_dom("explain", argv[0], &d);
    if (rc)
        return rc;
    g = begin(BD_CTL_EXPLAIN);
    bd_gen_domref(g, "domain", &d);
    return simple(o, "explain", g, BCTL_REPLY_TIMEOUT_MS, print_explain);
}

static int cmd_top(const struct opts *o, char **argv, int argc)
{
    struct bctl_top_opts t = {.socket = o->socket, .delay_ms = 2000};
    const char *why = "";
    int rc;

    (void)argv;
    (void)argc;
    if ((rc = parse_sort("top", o, &t.sort)))
        return rc;
    if (o->delay && (bd_parse_duration_ms(o->delay, &t.delay_ms, &why) ||
                     t.delay_ms < 100 || t.delay_ms > 3600 * 1000))
        return usage_err("top", "--delay '%s' must be a duration from 100ms "
                         "to 1h (e.g. 2s)", o->delay);
    if (o->iterations &&
        bd_parse_uint(o->iterations, 1, 1000000, &t.iterations, &why))
        return usage_err("top", "--iterations '%s' must be a whole number "
                         "from 1", o->iterations);
    return bctl_top(&t);
}

/* Hidden, for bash completion: never prints errors. */
static int cmd_complete(const struct opts *o, char **argv, int argc)
{
    yajl_val reply = NULL, doms;
    char err[256];
    yajl_gen g;
    int rc;

    (void)argc;
    if (!strcmp(argv[0], "commands")) {
        for (const char *const *c = (const char *const[]){
                 "status", "show", "list", "set", "auto", "limits",
                 "reserve", "create", "capacity", "release", "reload",
                 "metrics", "explain", "top",
                 "help", NULL};
             *c; c++)
            printf("%s\n", *c);
        return BCTL_EXIT_OK;
    }
    if (strcmp(argv[0], "domains"))
        return BCTL_EXIT_USAGE;
    g = begin(BD_CTL_SHOW);
    rc = bctl_call(o->socket, g, 5000, &reply, err, sizeof(err));
    yajl_gen_free(g);
    if (rc) {
        yajl_tree_free(reply);
        return rc;
    }
    doms = bctl_get(reply, "domains");
    for (size_t i = 0; YAJL_IS_ARRAY(doms) && i < doms->u.array.len; i++) {
        const char *n = bctl_get_str(doms->u.array.values[i], "name");
        char buf[BD_PROTO_NAME_MAX + 1];
        /* Names with blanks cannot be completed as one word anyway. */
        if (n && !strpbrk(n, " \t"))
            printf("%s\n", bctl_clean(n, buf, sizeof(buf)));
    }
    yajl_tree_free(reply);
    return BCTL_EXIT_OK;
}

static int cmd_help(const struct opts *o, char **argv, int argc);

static const struct cmd cmds[] = {
    {"status", "", "daemon, host memory and last rebalance", 0, 0, O_JSON,
     cmd_status, false},
    {"show", "[--wide] [--sort KEY] [DOMAIN...]",
     "domains as a table (or --json)", 0, -1, O_JSON | O_WIDE | O_SORT,
     cmd_show, false},
    /* as in xl */
    {"list", "[--wide] [--sort KEY] [DOMAIN...]", "the same as show", 0, -1,
     O_JSON | O_WIDE | O_SORT, cmd_show, true},
    {"set", "DOMAIN SIZE [--force] [--timeout T]",
     "pin a domain's target until 'auto'", 2, 2,
     O_JSON | O_FORCE | O_TIMEOUT, cmd_set, false},
    {"auto", "DOMAIN", "release a pin or an external hold", 1, 1, O_JSON,
     cmd_auto, false},
    {"limits",
     "DOMAIN [--min S] [--max S] [--weight W] [--mode M] [--reset] [--force]",
     "change a running domain's limits", 1, 1, O_JSON | O_LIMITS | O_FORCE,
     cmd_limits, false},
    {"reserve", "SIZE|CFG [KEY=VALUE...] [--timeout T] [--force] [--quiet]",
     "free host memory for a domain about to start", 1, -1,
     O_JSON | O_TIMEOUT | O_QUIET | O_FORCE, cmd_reserve, false},
    {"create", "CFG [KEY=VALUE...] [--timeout T] [-- XL-OPTIONS]",
     "xl create, with the memory it needs freed first", 1, -1,
     O_TIMEOUT | O_QUIET | O_FORCE, cmd_create, false},
    {"capacity", "", "what a new domain can get now / after reclaim", 0,
     0, O_JSON, cmd_capacity, false},
    {"release", "ID", "give a reservation back", 1, 1, O_JSON, cmd_release,
     false},
    {"reload", "", "re-read balloond.conf", 0, 0, O_JSON, cmd_reload, false},
    {"metrics", "", "Prometheus text exposition", 0, 0, 0, cmd_metrics,
     false},
    {"explain", "DOMAIN", "why a domain's target is where it is", 1, 1,
     O_JSON, cmd_explain, false},
    {"top", "[--delay T] [--iterations N] [--sort KEY]",
     "live view (q quits)", 0, 0, O_TOP | O_SORT, cmd_top, false},
    {"help", "[COMMAND]", "this help", 0, 1, 0, cmd_help, false},
    {"complete", "domains|commands", "", 1, 1, 0, cmd_complete, true},
};

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(cmds[i].name, name))
            return &cmds[i];
    return NULL;
}

/* "usage: balloonctl NAME ARGS", wrapped before 80 columns at an
 * option's '[' (limits and reserve have long ones). */
static void print_synopsis(const struct cmd *c)
{
    int col = printf("usage: balloonctl %s", c->name);
    const char *a = c->args;

    while (*a) {
        size_t n = strcspn(a + 1, "[") + 1;
        if (col + 1 + (int)n > 79) {
            printf("\n       ");
            col = 7;
        }
        while (n > 0 && a[n - 1] == ' ')
            n--;
        col += printf(" %.*s", (int)n, a);
        a += n;
        a += strspn(a, " ");
    }
    printf("\n");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: balloonctl [--socket PATH] COMMAND [ARGS...]\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char head[96];
        if (cmds[i].hidden)
            continue;
        snprintf(head, sizeof(head), "%s %s", cmds[i].name, cmds[i].args);
        if (strlen(head) > 28)
            fprintf(f, "  %s\n  %-28s %s\n", head, "", cmds[i].help);
        else
            fprintf(f, "  %-28s %s\n", head, cmds[i].help);
    }
    fprintf(f, "\noptions:\n"
               "  --socket PATH   balloond's control socket (default "
               BCTL_DEFAULT_SOCKET ")\n"
               "  --json          the reply as JSON (status, show, set, "
               "auto, limits, reserve,\n"
               "                  capacity, release, reload, explain); "
               "errors too, on stdout\n"
               "  -f, --force     set, limits, reserve, create: below what "
               "a guest uses\n"
               "  -w, --wide      show: every column (default: 80 columns "
               "or the terminal's)\n"
               "  -s, --sort KEY  show, top: id, name, current, target, "
               "used or state\n"
               "  -h, --help      this help; -V, --version  the version\n\n"
               "SIZE: 512M, 2G, 1.32G, 64K, 1P (binary units, a unit is "
               "required).\n"
               "DOMAIN: a name or a domid.\n"
               "exit status: 0 ok, 1 operation failed, 2 usage error, "
               "3 balloond not reachable.\n"
               "See balloonctl(8).\n");
}

static int cmd_help(const struct opts *o, char **argv, int argc)
{
    const struct cmd *c;

    (void)o;
    if (argc == 0) {
        usage(stdout);
        return BCTL_EXIT_OK;
    }
    c = find_cmd(argv[0]);
    /* hidden from the list, but a command: list (as in xl) has help */
    if (!c || !c->help[0])
        return usage_err(NULL, "unknown command '%s'", argv[0]);
    print_synopsis(c);
    printf("  %s\n", c->help);
    if (c->opts & O_JSON)
        printf("  --json  print the reply as JSON\n");
    return BCTL_EXIT_OK;
}

static const struct option longopts[] = {
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"json", no_argument, NULL, 'j'},
    {"min", required_argument, NULL, OPT_MIN},
    {"max", required_argument, NULL, OPT_MAX},
    {"weight", required_argument, NULL, OPT_WEIGHT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"reset", no_argument, NULL, OPT_RESET},
    {"force", no_argument, NULL, 'f'},
    {"wide", no_argument, NULL, 'w'},
    {"sort", required_argument, NULL, 's'},
    {"timeout", required_argument, NULL, 't'},
    {"quiet", no_argument, NULL, 'q'},
    {"delay", required_argument, NULL, 'd'},
    {"iterations", required_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void saw(struct opts *o, unsigned flag, const char *name)
{
    unsigned bit = (unsigned)__builtin_ctz(flag);

    if (!(o->given & flag))
        o->given_name[bit] = name;
    o->given |= flag;
}

/* The option getopt_long() just refused: a long one is the argument it
 * read; a short one is optopt, which in a group ("-qZ") is not all of the
 * argument. */
static const char *bad_option(char **argv, char buf[4])
{
    const char *arg = argv[optind - 1];

    if (optopt > 0 && optopt < 128 && strncmp(arg, "--", 2) != 0) {
        snprintf(buf, 4, "-%c", optopt);
        return buf;
    }
    return arg;
}

int main(int argc, char **argv)
{
    struct opts o = {.socket = BCTL_DEFAULT_SOCKET};
    const struct cmd *c;
    bool help = false;
    int opt, nargs;
    char optbuf[4];

    usage_json = wants_json(argc, argv);
    /* What follows "--" is xl's (create); getopt must not see it. */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            o.xl_argv = &argv[i + 1];
            o.xl_argc = argc - i - 1;
            argc = i;
            break;
        }
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":jt:qd:n:hVfws:", longopts, NULL)) !=
           -1) {
        switch (opt) {
        case OPT_SOCKET:
            o.socket = optarg;
            break;
        case 'j':
            o.json = true;
            saw(&o, O_JSON, "--json");
            break;
        case OPT_MIN:
            o.min = optarg;
            saw(&o, O_LIMITS, "--min");
            break;
        case OPT_MAX:
            o.max = optarg;
            saw(&o, O_LIMITS, "--max");
            break;
        case OPT_WEIGHT:
            o.weight = optarg;
            saw(&o, O_LIMITS, "--weight");
            break;
        case OPT_MODE:
            o.mode = optarg;
            saw(&o, O_LIMITS, "--mode");
            break;
        case OPT_RESET:
            o.reset = true;
            saw(&o, O_LIMITS, "--reset");
            break;
        case 'w':
            o.wide = true;
            saw(&o, O_WIDE, "--wide");
            break;
        case 's':
            o.sort = optarg;
            saw(&o, O_SORT, "--sort");
            break;
        case 'f':
            o.force = true;
            saw(&o, O_FORCE, "--force");
            break;
        case 't':
            o.timeout = optarg;
            saw(&o, O_TIMEOUT, "--timeout");
            break;
        case 'q':
            o.quiet = true;
            saw(&o, O_QUIET, "--quiet");
            break;
        case 'd':
            o.delay = optarg;
            saw(&o, O_TOP, "--delay");
            break;
        case 'n':
            o.iterations = optarg;
            saw(&o, O_TOP, "--iterations");
            break;
        case 'h':
            help = true;
            break;
        case 'V':
            printf("balloonctl %s (protocol %d)\n", BD_VERSION,
                   BD_PROTO_VERSION);
            return BCTL_EXIT_OK;
        case ':':
            return usage_err(NULL, "option '%s' needs a value",
                             bad_option(argv, optbuf));
        default:
            return usage_err(NULL, "unknown option '%s'",
                             bad_option(argv, optbuf));
        }
    }
    if (optind >= argc) {
        if (help) {
            usage(stdout);
            return BCTL_EXIT_OK;
        }
        return usage_err(NULL, "missing command: status, show, set, auto, "
                         "limits, reserve, release, reload, metrics, "
                         "explain or top");
    }
    c = find_cmd(argv[optind]);
    if (!c)
        return usage_err(NULL, "unknown command '%s'", argv[optind]);
    if (help)
        return cmd_help(&o, &argv[optind], 1);
    nargs = argc - optind - 1;
    if (o.given & ~c->opts) {
        unsigned bit = (unsigned)__builtin_ctz(o.given & ~c->opts);
        return usage_err(c->name, "'%s' is not an option of '%s'",
                         o.given_name[bit], c->name);
    }
    if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args)) {
        if (nargs < c->min_args)
            return usage_err(c->name, "missing argument: balloonctl %s %s",
                             c->name, c->args);
        return usage_err(c->name, "too many arguments: balloonctl %s %s",
                         c->name, c->args);
    }
    if (o.xl_argv && c->run != cmd_create)
        return usage_err(c->name, "'--' (options for xl) is only for create");
    return c->run(&o, &argv[optind + 1], nargs);
}
