/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * format.c - how balloonctl prints replies: the domain table (`show`,
 * `top`), the status summary, and JSON for scripts.
 *
 * Design: the table follows `xl list`: one row per domain, fixed columns,
 * human sizes (common/size.c), the name column as wide as the longest name
 * (capped), the free-text reason last so it may run long.  Every string
 * that came over the socket goes through bctl_clean() before it reaches
 * the terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/client.h"
#include "common/proto.h"
#include "common/size.h"

#define NAME_COL_MAX 32

const char *bctl_size(yajl_val obj, const char *key, char *buf, size_t len)
{
    uint64_t kib;

    if (!bctl_get_u64(obj, key, &kib))
        return "-";
    if (kib == 0)
        return "0";
    return bd_format_kib(kib, buf, len);
}

static const char *duration(uint64_t ms, char *buf, size_t len)
{
    uint64_t s = ms / 1000;

    if (s < 60)
        snprintf(buf, len, "%" PRIu64 "s", s);
    else if (s < 3600)
        snprintf(buf, len, "%" PRIu64 "min%02" PRIu64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "min", s / 3600,
                 s / 60 % 60);
    else
        snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
                 s / 3600 % 24);
    return buf;
}

unsigned bctl_term_cols(int fd)
{
    struct winsize ws;

    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

static const char *const sort_names[BCTL_SORT__COUNT] = {
    [BCTL_SORT_ID] = "id",         [BCTL_SORT_NAME] = "name",
    [BCTL_SORT_CURRENT] = "current", [BCTL_SORT_TARGET] = "target",
    [BCTL_SORT_USED] = "used",     [BCTL_SORT_STATE] = "state",
};

int bctl_sort_parse(const char *s, enum bctl_sort *out)
{
    for (int i = 0; i < BCTL_SORT__COUNT; i++)
        if (!strcmp(s, sort_names[i])) {
            *out = (enum bctl_sort)i;
            return 0;
        }
    return -EINVAL;
}

const char *bctl_sort_name(enum bctl_sort k)
{
    return (unsigned)k < BCTL_SORT__COUNT ? sort_names[k] : NULL;
}

static uint64_t num(yajl_val d, const char *key)
{
    uint64_t v = 0;

    bctl_get_u64(d, key, &v);
    return v;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* Sizes biggest first (as top shows them), the rest in ascending order;
 * ties by domid, so the order is stable from one refresh to the next. */
static int cmp_dom(const void *pa, const void *pb, void *arg)
{
    yajl_val a = *(const yajl_val *)pa, b = *(const yajl_val *)pb;
    enum bctl_sort k = *(const enum bctl_sort *)arg;
    static const char *const size_key[BCTL_SORT__COUNT] = {
        [BCTL_SORT_CURRENT] = "current_kib", [BCTL_SORT_TARGET] = "target_kib",
        [BCTL_SORT_USED] = "used_kib"};
    uint64_t x, y;
    int c = 0;

    if (k == BCTL_SORT_NAME)
        c = cmp_str(bctl_get_str(a, "name"), bctl_get_str(b, "name"));
    else if (k == BCTL_SORT_STATE)
        c = cmp_str(bctl_get_str(a, "state"), bctl_get_str(b, "state"));
    else if (size_key[k]) {
        x = num(a, size_key[k]);
        y = num(b, size_key[k]);
        c = x > y ? -1 : x < y;
    }
    if (c == 0) {
        x = num(a, "domid");
        y = num(b, "domid");
        c = x < y ? -1 : x > y;
    }
    return c;
}

/* Print line cut to width columns (0: whole); a UTF-8 character is never
 * cut in half.  Names and reasons are cleaned before they get here. */
static void put_line(FILE *f, const char *line, unsigned width)
{
    size_t n = strlen(line), cols = 0, i;

    if (width) {
        for (i = 0; i < n; i++) {
            if (((unsigned char)line[i] & 0xc0) == 0x80)
                continue;
            if (cols++ == width)
                break;
        }
        n = i;
    }
    fprintf(f, "%.*s\n", (int)n, line);
}

/* Where the OVH column's kernel overhead comes from, in 4 columns. */
static const char *ovh_from(const char *src)
{
    if (!src)
        return "-";
    if (!strcmp(src, "learned"))
        return "lrn";
    if (!strcmp(src, "estimated"))
        return "est";
    if (!strcmp(src, "configured"))
        return "conf";
    return "?";
}

static void put_row(FILE *f, const struct bctl_table_opts *t, int w,
                    yajl_val d)
{
    char name[NAME_COL_MAX + 1], reason[200], line[512];
    char cur[16], tgt[16], min[16], max[16], used[16], avail[16], ovh[16];
    const char *nm = bctl_get_str(d, "name"), *mode = bctl_get_str(d, "mode"),
               *state = bctl_get_str(d, "state"), *c, *g, *u;

    bctl_clean(nm ? nm : "?", name, sizeof(name));
    if (nm && strlen(nm) > (size_t)w)
        name[w - 1] = '~';
    name[w] = '\0';
    bctl_clean(bctl_get_str(d, "reason"), reason, sizeof(reason));
    /* bctl_size() may return a constant ("-", "0"), not the buffer */
    c = bctl_size(d, "current_kib", cur, sizeof(cur));
    g = bctl_size(d, "target_kib", tgt, sizeof(tgt));
    u = bctl_size(d, "used_kib", used, sizeof(used));

    if (t->wide)
        snprintf(line, sizeof(line),
                 "%-*s %5" PRIu64 " %8s %8s %8s %8s %8s %8s %8s %-4s %6" PRIu64
                 " %-6.6s %-8.8s %-4s %s",
                 w, name, num(d, "domid"), c, g,
                 bctl_size(d, "min_kib", min, sizeof(min)),
                 bctl_size(d, "max_kib", max, sizeof(max)), u,
                 bctl_size(d, "available_kib", avail, sizeof(avail)),
                 bctl_size(d, "overhead_kib", ovh, sizeof(ovh)),
                 ovh_from(bctl_get_str(d, "overhead_source")),
                 num(d, "weight"), mode ? mode : "?", state ? state : "?",
                 bctl_get_bool(d, "pressure") ? "yes" : "-", reason);
    else
        snprintf(line, sizeof(line),
                 "%-*s %4" PRIu64 " %7s %7s %7s %-8.8s %s", w, name,
                 num(d, "domid"), c, g, u, state ? state : "?", reason);
    put_line(f, line, t->width);
}

void bctl_print_domains(FILE *f, yajl_val domains,
                        const struct bctl_table_opts *topt)
{
    static const struct bctl_table_opts defaults = {.wide = true};
    const struct bctl_table_opts *t = topt ? topt : &defaults;
    size_t n = YAJL_IS_ARRAY(domains) ? domains->u.array.len : 0;
    /* narrow: the name column is cut at 16, so that the figures and the
     * start of the reason fit 80 columns */
    int w = 4, wmax = t->wide ? NAME_COL_MAX : 16;
    yajl_val *rows = n ? calloc(n, sizeof(*rows)) : NULL;
    char line[256];

    if (n && !rows)
        return;
    for (size_t i = 0; i < n; i++) {
        const char *s = bctl_get_str(domains->u.array.values[i], "name");
        int l = s ? (int)strlen(s) : 0;
        if (l > w)
            w = l > wmax ? wmax : l;
        rows[i] = domains->u.array.values[i];
    }
    if (n)
        qsort_r(rows, n, sizeof(*rows), cmp_dom, (void *)&t->sort);
    if (t->wide)
        snprintf(line, sizeof(line),
                 "%-*s %5s %8s %8s %8s %8s %8s %8s %8s %-4s %6s %-6s %-8s %-4s "
                 "%s", w, "NAME", "ID", "CURRENT", "TARGET", "MIN", "MAX",
                 "USED", "AVAIL", "OVH", "FROM", "WEIGHT", "MODE", "STATE",
                 "PRES", "REASON");
    else
        snprintf(line, sizeof(line), "%-*s %4s %7s %7s %7s %-8s %s", w,
                 "NAME", "ID", "CURRENT", "TARGET", "USED", "STATE",
                 "REASON");
    put_line(f, line, t->width);
    for (size_t i = 0; i < n && (!t->max_rows || i < t->max_rows); i++)
        put_row(f, t, w, rows[i]);
    if (t->max_rows && n > t->max_rows)
        fprintf(f, "... %zu more (balloonctl show)\n", n - t->max_rows);
    free(rows);
}

void bctl_print_status(FILE *f, yajl_val st)
{
    char a[16], b[16], c[16], d[16], t[32], buf[256];
    uint64_t pid = 0, up = 0, nres = 0, ndom = 0, nman = 0, reb = 0,
             writes = 0, errs = 0, ago;
    const char *s;
    yajl_val w;

    bctl_get_u64(st, "pid", &pid);
    bctl_get_u64(st, "uptime_ms", &up);
    bctl_get_u64(st, "reservations", &nres);
    bctl_get_u64(st, "domains", &ndom);
    bctl_get_u64(st, "domains_managed", &nman);
    bctl_get_u64(st, "rebalances", &reb);
    bctl_get_u64(st, "target_writes", &writes);
    bctl_get_u64(st, "errors", &errs);

    s = bctl_get_str(st, "daemon_version");
    fprintf(f, "balloond %s, pid %" PRIu64 ", up %s%s\n",
            bctl_clean(s ? s : "?", buf, sizeof(buf)), pid,
            duration(up, t, sizeof(t)),
            bctl_get_bool(st, "dry_run") ? " (dry run: no targets written)"
                                         : "");
    s = bctl_get_str(st, "host");
    fprintf(f, "host:        %s\n", bctl_clean(s ? s : "?", buf, sizeof(buf)));
    s = bctl_get_str(st, "config");
    fprintf(f, "config:      %s\n", bctl_clean(s ? s : "?", buf, sizeof(buf)));
    fprintf(f, "memory:      total %s, free %s, reserve %s, reserved %s "
            "(%" PRIu64 " reservation%s)\n",
            bctl_size(st, "host_total_kib", a, sizeof(a)),
            bctl_size(st, "host_free_kib", b, sizeof(b)),
            bctl_size(st, "reserve_kib", c, sizeof(c)),
            bctl_size(st, "reserved_kib", d, sizeof(d)), nres,
            nres == 1 ? "" : "s");
    fprintf(f, "starts:      start pool %s kept free (not lent); a new domain "
            "can get %s now, %s after reclaim\n",
            bctl_size(st, "start_pool_kib", a, sizeof(a)),
            bctl_size(st, "capacity_now_kib", b, sizeof(b)),
            bctl_size(st, "capacity_reclaim_kib", c, sizeof(c)));
    fprintf(f, "domains:     %" PRIu64 " (%" PRIu64 " managed)\n", ndom, nman);
    if (bctl_get_u64(st, "last_rebalance_ago_ms", &ago))
        fprintf(f, "rebalances:  %" PRIu64 ", last %s ago; %" PRIu64
                " target writes, %" PRIu64 " errors\n", reb,
                duration(ago, t, sizeof(t)), writes, errs);
    else
        fprintf(f, "rebalances:  none yet; %" PRIu64 " target writes, %"
                PRIu64 " errors\n", writes, errs);
    s = bctl_get_str(st, "last_error");
    if (s)
        fprintf(f, "last error:  %s\n", bctl_clean(s, buf, sizeof(buf)));
    w = bctl_get(st, "reservation_list");
    for (size_t i = 0; YAJL_IS_ARRAY(w) && i < w->u.array.len; i++) {
        yajl_val r = w->u.array.values[i];
        uint64_t id = 0, left = 0;

        bctl_get_u64(r, "id", &id);
        bctl_get_u64(r, "left_ms", &left);
        fprintf(f, "reservation: %" PRIu64 ", %s %s, %s left\n", id,
                bctl_size(r, "kib", a, sizeof(a)),
                bctl_get_bool(r, "granted") ? "held" : "being freed",
                duration(left, t, sizeof(t)));
    }
    w = bctl_get(st, "warnings");
    for (size_t i = 0; YAJL_IS_ARRAY(w) && i < w->u.array.len; i++)
        if (YAJL_IS_STRING(w->u.array.values[i]))
            fprintf(f, "warning:     %s\n",
                    bctl_clean(w->u.array.values[i]->u.string, buf,
                               sizeof(buf)));
}

/* One "label  figure  (what it is)" line of explain. */
/* What the overhead row says, by where the figure comes from: plan's
 * overhead_source (a daemon without that key only learned it; null:
 * nothing known). */
static const char *overhead_what(yajl_val plan)
{
    const char *src = bctl_get_str(plan, "overhead_source");

    if (!bctl_get(plan, "overhead_source") || (src && !strcmp(src, "learned")))
        return "learned: held by the domain outside MemTotal";
    if (!src)
        return "none known: no report, or nothing learned yet";
    if (!strcmp(src, "estimated"))
        return "estimated from static-max: the report has no MemTotal";
    if (!strcmp(src, "configured"))
        return "configured: kernel-overhead in balloond.conf";
    return "held by the domain outside MemTotal";
}

/* One term of explain's sum: op '+', '-', '=' or ' '. */
static void sum_row(FILE *f, char op, const char *label, uint64_t kib,
                    const char *what)
{
    char a[16];

    fprintf(f, "  %c %-16s %8s%s%s\n", op, label,
            bd_format_kib(kib, a, sizeof(a)), *what ? "  " : "", what);
}

/* A step from a to b of the sum: "+ label" up, "- down" down, nothing
 * when equal. */
static void sum_step(FILE *f, uint64_t a, uint64_t b, const char *up,
                     const char *up_what, const char *down,
                     const char *down_what)
{
    if (b > a)
        sum_row(f, '+', up, b - a, up_what);
    else if (b < a)
        sum_row(f, '-', down, a - b, down_what);
}

/* The last plan as a sum that adds up to the planned target, term by term
 * (issue 22); a domain balloond does not plan for says what holds it. */
static void print_plan_sum(FILE *f, yajl_val d, yajl_val plan)
{
    uint64_t rep = 0, ovh = 0, use = 0, need = 0, want = 0, t = 0, lo = 0,
             hi = 0, pin = 0;
    const char *state = bctl_get_str(d, "state");
    char a[16], b[16], what[96];

    bctl_get_u64(plan, "lo_kib", &lo);
    bctl_get_u64(plan, "hi_kib", &hi);
    snprintf(what, sizeof(what), "within %s .. %s (min, max, static-max, clip)",
             bd_format_kib(lo, a, sizeof(a)), bd_format_kib(hi, b, sizeof(b)));
    if (!bctl_get_u64(plan, "planned_kib", &t)) {
        fprintf(f, "last plan: none yet\n");
        return;
    }
    if (state && (!strcmp(state, "pinned") || !strcmp(state, "fixed") ||
                  !strcmp(state, "external") || !strcmp(state, "ignored"))) {
        bctl_get_u64(d, "pin_kib", &pin);
        fprintf(f, "last plan: %s, not balloond's to move:\n", state);
        sum_row(f, '=', "planned target", t,
                !strcmp(state, "pinned")   ? "balloonctl set; 'balloonctl auto' "
                                             "hands it back"
                : !strcmp(state, "fixed")  ? "mode = fixed (its target)"
                : !strcmp(state, "external") ? "written by another tool, held"
                                             : "mode = ignore: never moved");
        return;
    }
    if (!bctl_get_u64(plan, "use_kib", &use) ||
        !bctl_get_u64(plan, "need_kib", &need) ||
        !bctl_get_u64(plan, "want_kib", &want)) {
        fprintf(f, "last plan: no report, its target is kept:\n");
        sum_row(f, '=', "planned target", t, what);
        return;
    }
    bctl_get_u64(plan, "reported_used_kib", &rep);
    bctl_get_u64(plan, "overhead_kib", &ovh);
    fprintf(f, "last plan (the terms add up, top to bottom):\n");
    sum_row(f, ' ', "reported use", rep, "what the guest says it uses");
    sum_row(f, '+', "kernel overhead", ovh, overhead_what(plan));
    sum_step(f, rep + ovh, use, "swap in use", "counted while under pressure",
             "overhead cut", "no more than the domain holds");
    sum_row(f, '=', "use counted", use, "");
    sum_step(f, use, need, "headroom",
             "headroom % of use, at least headroom-min, or a pressure boost",
             "above max", "the need stops at max");
    sum_row(f, '=', "need", need,
            "below use + headroom-min: grown however small the step");
    sum_step(f, need, want, "peak held", "the need's peak, held for "
             "shrink-delay", "?", "");
    sum_row(f, '=', "want", want, "");
    sum_step(f, want, t, t == lo ? "raised to min" : "lent spare",
             t == lo ? "min, or the kernel floor" : "spare memory lent "
             "(share-spare): taken back first",
             t == hi ? "held at max" : "cut",
             t == hi ? "max, static-max or a clip" : "host short: its fair "
             "share of what there is");
    sum_row(f, '=', "planned target", t, what);
}

void bctl_print_explain(FILE *f, yajl_val r)
{
    yajl_val d = bctl_get(r, "domain"), plan = bctl_get(r, "plan"),
             hist = bctl_get(r, "history");
    char buf[256], a[16], b[16], t[32];
    const char *s, *state = bctl_get_str(d, "state");
    uint64_t id = 0, v = 0;

    bctl_get_u64(d, "domid", &id);
    s = bctl_get_str(d, "name");
    fprintf(f, "%s (domid %" PRIu64 "): target %s, current %s, state %s\n",
            bctl_clean(s ? s : "?", buf, sizeof(buf)), id,
            bctl_size(d, "target_kib", a, sizeof(a)),
            bctl_size(d, "current_kib", b, sizeof(b)), state ? state : "?");
    s = bctl_get_str(d, "reason");
    fprintf(f, "  reason:  %s\n", bctl_clean(s && *s ? s : "-", buf,
                                             sizeof(buf)));
    print_plan_sum(f, d, plan);
    s = bctl_get_str(plan, "pressure_signal");
    bctl_get_u64(plan, "pressure_value", &v);
    if (s && !strcmp(s, "psi"))
        fprintf(f, "  %-16s %5" PRIu64 ".%02" PRIu64 "%%  PSI some avg10\n",
                "pressure", v / 100, v % 100);
    else if (s)
        fprintf(f, "  %-16s %6" PRIu64 "/s  %s\n", "pressure", v,
                bctl_clean(s, buf, sizeof(buf)));
    else
        fprintf(f, "  %-16s %8s\n", "pressure", "none");
    s = bctl_get_str(plan, "note");
    if (s && *s)
        fprintf(f, "  %-16s %s\n", "not written:",
                bctl_clean(s, buf, sizeof(buf)));
    fprintf(f, "target changes (oldest first):\n");
    if (!YAJL_IS_ARRAY(hist) || hist->u.array.len == 0)
        fprintf(f, "  none since balloond started\n");
    for (size_t i = 0; YAJL_IS_ARRAY(hist) && i < hist->u.array.len; i++) {
        yajl_val c = hist->u.array.values[i];
        uint64_t ago = 0;

        bctl_get_u64(c, "ago_ms", &ago);
        s = bctl_get_str(c, "reason");
        fprintf(f, "  %9s ago  %7s -> %-7s %s%s\n",
                duration(ago, t, sizeof(t)),
                bctl_size(c, "from_kib", a, sizeof(a)),
                bctl_size(c, "to_kib", b, sizeof(b)),
                bctl_get_bool(c, "dry_run") ? "[would] " : "",
                bctl_clean(s ? s : "", buf, sizeof(buf)));
    }
}

static int gen_value(yajl_gen g, yajl_val v, bool strip_head)
{
    yajl_gen_status st = yajl_gen_status_ok;

    if (YAJL_IS_STRING(v)) {
        st = yajl_gen_string(g, (const unsigned char *)v->u.string,
                             strlen(v->u.string));
    } else if (YAJL_IS_NUMBER(v)) {
        st = yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    } else if (YAJL_IS_OBJECT(v)) {
        st = yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len && st == yajl_gen_status_ok;
             i++) {
            const char *k = v->u.object.keys[i];
            if (strip_head && (!strcmp(k, "version") || !strcmp(k, "ok")))
                continue;
            st = yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            if (st == yajl_gen_status_ok &&
                gen_value(g, v->u.object.values[i], false))
                return -EIO;
        }
        if (st == yajl_gen_status_ok)
            st = yajl_gen_map_close(g);
    } else if (YAJL_IS_ARRAY(v)) {
        st = yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len && st == yajl_gen_status_ok; i++)
            if (gen_value(g, v->u.array.values[i], false))
                return -EIO;
        if (st == yajl_gen_status_ok)
            st = yajl_gen_array_close(g);
    } else if (YAJL_IS_TRUE(v)) {
        st = yajl_gen_bool(g, 1);
    } else if (YAJL_IS_FALSE(v)) {
        st = yajl_gen_bool(g, 0);
    } else {
        st = yajl_gen_null(g);
    }
    return st == yajl_gen_status_ok ? 0 : -EIO;
}

int bctl_gen_value(yajl_gen g, yajl_val v)
{
    return gen_value(g, v, false) ? -EIO : 0;
}

int bctl_print_json(FILE *f, yajl_val v, bool strip_head)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    int rc = -EIO;

    if (!g)
        return -ENOMEM;
    if (!gen_value(g, v, strip_head) &&
        yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
        fwrite(buf, 1, len, f);
        fputc('\n', f);
        rc = 0;
    }
    yajl_gen_free(g);
    return rc;
}
