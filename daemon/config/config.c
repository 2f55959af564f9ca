/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - balloond.conf parser and validator.
 *
 * inih does the INI syntax; this file does the meaning.  inih (as Debian
 * builds it) does not pass line numbers to the handler, so the text is fed
 * through ini_parse_stream() with a reader that counts lines and notices
 * section headers itself: the handler then always knows the line it is
 * looking at, and sections with no keys (which inih never reports) are
 * still validated.  Every error is collected, none stops the parse, and the
 * result is a new object: the caller's configuration is never touched, so
 * a failed reload leaves the running daemon as it was.
 */
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "daemon/config/config.h"

#define MAX_GLOB_LEN 256
#define MAX_PATH_LEN 107 /* sizeof(sun_path) - 1 */
#define MAX_RULES 1024

enum section_kind { SEC_NONE, SEC_HOST, SEC_POLICY, SEC_CONTROL, SEC_DOMAIN,
                    SEC_BAD };

/* Keys seen in one section, to catch duplicates. */
struct seen_key {
    char name[32];
    unsigned line;
};

struct parse {
    const char *name;   /* file name for messages */
    const char *text;   /* remaining input (memory parsing) */
    const char *text_end;
    FILE *file;
    unsigned line;      /* line the reader returned last */
    bool skip_rest;     /* swallowing the tail of an overlong line */
    struct bd_config *cfg;
    FILE *err;          /* collected messages */
    unsigned n_err;

    enum section_kind sec;
    char sec_name[MAX_GLOB_LEN + 16];
    struct bd_domain_rule *rule;       /* the [domain] being filled */
    struct seen_key seen[32];
    size_t n_seen;
    /* sections seen so far, for duplicates */
    unsigned host_line, policy_line, control_line;
    /* where relational checks should point */
    unsigned line_min, line_max, line_mode, line_target;
    unsigned sec_line;  /* the header line of the block being read */
};

static void report(struct parse *ps, unsigned line, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct parse *ps, unsigned line, const char *key,
                   const char *fmt, ...)
{
    va_list ap;

    if (line)
        fprintf(ps->err, "%s:%u: %s: ", ps->name, line, key);
    else
        fprintf(ps->err, "%s: %s: ", ps->name, key);
    va_start(ap, fmt);
    vfprintf(ps->err, fmt, ap);
    va_end(ap);
    fputc('\n', ps->err);
    ps->n_err++;
}

/* ---- defaults ---------------------------------------------------------- */

int bd_config_init(struct bd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->reserve.kib = 256 * 1024;
    c->start_pool.kib = 1024 * 1024;
    c->interval_ms = 5000;
    c->manage_dom0 = false;
    c->dom0_min_kib = 1024 * 1024;
    c->dom0_max_kib = 0;
    bd_policy_params_default(&c->policy);
    c->default_min.kib = 128 * 1024;
    c->default_weight = 100;
    c->external_hold_ms = 10 * 60 * 1000;
    c->kernel_overhead.is_auto = true;
    c->allow_readonly = false;
    c->reserve_hold_ms = 60 * 1000;
    c->socket_path = strdup("/run/balloond/control");
    c->state_path = strdup("/var/lib/balloond/state");
    if (!c->socket_path || !c->state_path) {
        bd_config_dispose(c);
        return -ENOMEM;
    }
    return 0;
}

void bd_config_dispose(struct bd_config *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->n_rules; i++)
        free(c->rules[i].glob);
    free(c->rules);
    free(c->path);
    free(c->socket_path);
    free(c->socket_group);
    free(c->state_path);
    free(c->metrics_path);
    for (i = 0; i < c->n_files; i++)
        free(c->files[i]);
    free(c->files);
    for (i = 0; i < c->n_set; i++) {
        free(c->set[i].section);
        free(c->set[i].key);
        free(c->set[i].value);
    }
    free(c->set);
    memset(c, 0, sizeof(*c));
}

void bd_config_free(struct bd_config *c)
{
    bd_config_dispose(c);
    free(c);
}

/* ---- value parsers: each reports its own error -------------------------- */

static bool val_size(struct parse *ps, const char *key, const char *v,
                     bool pct, struct bd_size *out)
{
    const char *why = "";

    if (bd_parse_size(v, pct, out, &why)) {
        report(ps, ps->line, key, "%s: \"%s\"", why, v);
        return false;
    }
    return true;
}

static bool val_kib(struct parse *ps, const char *key, const char *v,
                    uint64_t *out)
{
    struct bd_size s;

    if (!val_size(ps, key, v, false, &s))
        return false;
    *out = s.kib;
    return true;
}

static bool val_duration(struct parse *ps, const char *key, const char *v,
                         uint64_t lo_ms, uint64_t *out)
{
    const char *why = "";

    if (bd_parse_duration_ms(v, out, &why)) {
        report(ps, ps->line, key, "%s: \"%s\"", why, v);
        return false;
    }
    if (*out < lo_ms) {
        report(ps, ps->line, key, "must be at least %llums: \"%s\"",
               (unsigned long long)lo_ms, v);
        return false;
    }
    return true;
}

/* A whole percentage in [lo, hi]. */
static bool val_pct(struct parse *ps, const char *key, const char *v,
                    unsigned lo, unsigned hi, uint32_t *out)
{
    struct bd_size s;

    if (!val_size(ps, key, v, true, &s))
        return false;
    if (!s.is_pct) {
        report(ps, ps->line, key, "a percentage is expected: \"%s\"", v);
        return false;
    }
    if (s.pct_x100 % 100 || s.pct_x100 / 100 < lo || s.pct_x100 / 100 > hi) {
        report(ps, ps->line, key, "a whole percentage from %u%% to %u%% is "
               "expected: \"%s\"", lo, hi, v);
        return false;
    }
    *out = s.pct_x100 / 100;
    return true;
}

static bool val_bool(struct parse *ps, const char *key, const char *v,
                     bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
        !strcasecmp(v, "on")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
        !strcasecmp(v, "off")) {
        *out = false;
        return true;
    }
    report(ps, ps->line, key, "yes or no expected: \"%s\"", v);
    return false;
}

static bool val_weight(struct parse *ps, const char *key, const char *v,
                       uint32_t *out)
{
    const char *why = "";
    uint64_t w;

    if (bd_parse_uint(v, 1, 10000, &w, &why)) {
        report(ps, ps->line, key, "a weight from 1 to 10000 is expected "
               "(%s): \"%s\"", why, v);
        return false;
    }
    *out = (uint32_t)w;
    return true;
}

/* kernel-overhead: "auto" or a size (% of static-max). */
static bool val_overhead(struct parse *ps, const char *key, const char *v,
                         struct bd_kernel_overhead *out)
{
    const char *why = "";
    struct bd_size sz;

    if (!strcmp(v, "auto")) {
        out->is_auto = true;
        return true;
    }
    if (bd_parse_size(v, true, &sz, &why)) {
        report(ps, ps->line, key, "auto or a size (64M, 2%%) expected: %s: "
               "\"%s\"", why, v);
        return false;
    }
    out->is_auto = false;
    out->size = sz;
    return true;
}

static bool val_path(struct parse *ps, const char *key, const char *v,
                     size_t max, char **out)
{
    char *dup;

    if (v[0] != '/') {
        report(ps, ps->line, key, "an absolute path is expected: \"%s\"", v);
        return false;
    }
    if (strlen(v) > max) {
        report(ps, ps->line, key, "path longer than %zu characters", max);
        return false;
    }
    dup = strdup(v);
    if (!dup) {
        report(ps, ps->line, key, "out of memory");
        return false;
    }
    free(*out);
    *out = dup;
    return true;
}

/* ---- sections ----------------------------------------------------------- */

static bool take_seen(struct parse *ps, const char *key)
{
    size_t i;

    for (i = 0; i < ps->n_seen; i++) {
        if (!strcmp(ps->seen[i].name, key)) {
            report(ps, ps->line, key, "duplicate key (first set at line %u)",
                   ps->seen[i].line);
            return false;
        }
    }
    if (ps->n_seen < sizeof(ps->seen) / sizeof(ps->seen[0]) &&
        strlen(key) < sizeof(ps->seen[0].name)) {
        strcpy(ps->seen[ps->n_seen].name, key);
        ps->seen[ps->n_seen].line = ps->line;
        ps->n_seen++;
    }
    return true;
}

static void unknown_key(struct parse *ps, const char *key)
{
    report(ps, ps->line, key, "unknown key in [%s]", ps->sec_name);
}

static void host_key(struct parse *ps, const char *k, const char *v)
{
    struct bd_config *c = ps->cfg;

    if (!strcmp(k, "reserve"))
        val_size(ps, k, v, true, &c->reserve);
    else if (!strcmp(k, "start-pool"))
        val_size(ps, k, v, true, &c->start_pool);
    else if (!strcmp(k, "interval"))
        val_duration(ps, k, v, 100, &c->interval_ms);
    else if (!strcmp(k, "manage-dom0"))
        val_bool(ps, k, v, &c->manage_dom0);
    else if (!strcmp(k, "dom0-min"))
        val_kib(ps, k, v, &c->dom0_min_kib);
    else if (!strcmp(k, "dom0-max"))
        val_kib(ps, k, v, &c->dom0_max_kib);
    else
        unknown_key(ps, k);
}

static void policy_key(struct parse *ps, const char *k, const char *v)
{
    struct bd_config *c = ps->cfg;
    struct bd_policy_params *p = &c->policy;

    if (!strcmp(k, "headroom"))
        val_pct(ps, k, v, 0, 100, &p->headroom_pct);
    else if (!strcmp(k, "headroom-min"))
        val_kib(ps, k, v, &p->headroom_min_kib);
    else if (!strcmp(k, "hysteresis"))
        val_kib(ps, k, v, &p->hysteresis_kib);
    else if (!strcmp(k, "shrink-delay"))
        val_duration(ps, k, v, 0, &p->shrink_delay_ms);
    else if (!strcmp(k, "shrink-rate"))
        val_pct(ps, k, v, 1, 100, &p->shrink_pct);
    else if (!strcmp(k, "stuck-timeout"))
        val_duration(ps, k, v, 1000, &p->stuck_timeout_ms);
    else if (!strcmp(k, "stuck-retry"))
        val_duration(ps, k, v, 1000, &p->stuck_retry_ms);
    else if (!strcmp(k, "stats-max-age"))
        val_duration(ps, k, v, 1000, &p->stats_max_age_ms);
    else if (!strcmp(k, "progress"))
        val_kib(ps, k, v, &p->progress_kib);
    else if (!strcmp(k, "share-spare"))
        val_bool(ps, k, v, &p->share_spare);
    else if (!strcmp(k, "default-min"))
        val_size(ps, k, v, true, &c->default_min);
    else if (!strcmp(k, "default-weight"))
        val_weight(ps, k, v, &c->default_weight);
    else if (!strcmp(k, "external-hold"))
        val_duration(ps, k, v, 0, &c->external_hold_ms);
    else if (!strcmp(k, "kernel-overhead"))
        val_overhead(ps, k, v, &c->kernel_overhead);
    else
        unknown_key(ps, k);
}

static void control_key(struct parse *ps, const char *k, const char *v)
{
    struct bd_config *c = ps->cfg;

    if (!strcmp(k, "socket")) {
        val_path(ps, k, v, MAX_PATH_LEN, &c->socket_path);
    } else if (!strcmp(k, "group")) {
        char *dup;

        if (!getgrnam(v)) {
            report(ps, ps->line, k, "no such group: \"%s\"", v);
            return;
        }
        dup = strdup(v);
        if (!dup) {
            report(ps, ps->line, k, "out of memory");
            return;
        }
        free(c->socket_group);
        c->socket_group = dup;
    } else if (!strcmp(k, "allow-readonly")) {
        val_bool(ps, k, v, &c->allow_readonly);
    } else if (!strcmp(k, "state-file")) {
        val_path(ps, k, v, 4095, &c->state_path);
    } else if (!strcmp(k, "metrics-file")) {
        val_path(ps, k, v, 4095, &c->metrics_path);
    } else if (!strcmp(k, "reserve-hold")) {
        val_duration(ps, k, v, 1000, &c->reserve_hold_ms);
    } else {
        unknown_key(ps, k);
    }
}

static void domain_key(struct parse *ps, const char *k, const char *v)
{
    struct bd_domain_rule *r = ps->rule;

    if (!r)
        return; /* the section header was already reported */
    if (!strcmp(k, "min")) {
        r->has_min = val_size(ps, k, v, true, &r->min);
        ps->line_min = ps->line;
    } else if (!strcmp(k, "max")) {
        r->has_max = val_size(ps, k, v, true, &r->max);
        ps->line_max = ps->line;
    } else if (!strcmp(k, "weight")) {
        r->has_weight = val_weight(ps, k, v, &r->weight);
    } else if (!strcmp(k, "mode")) {
        ps->line_mode = ps->line;
        r->has_mode = true;
        if (bd_mode_parse(v, &r->mode) < 0) {
            r->has_mode = false;
            report(ps, ps->line, k, "auto, fixed or ignore expected: \"%s\"",
                   v);
        }
    } else if (!strcmp(k, "target")) {
        ps->line_target = ps->line;
        r->has_fixed = val_kib(ps, k, v, &r->fixed_kib);
    } else if (!strcmp(k, "kernel-overhead")) {
        r->has_overhead = val_overhead(ps, k, v, &r->overhead);
    } else {
        unknown_key(ps, k);
    }
}

/* Relational checks of a finished [domain] section. */
static void finish_domain(struct parse *ps)
{
    struct bd_domain_rule *r = ps->rule;
    unsigned *lines[] = {&ps->line_min, &ps->line_max, &ps->line_mode,
                         &ps->line_target};

    if (!r)
        return;
    /* a key set in an earlier block of a repeated section: the messages
     * point at this block's header, where the pair first meets */
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!*lines[i])
            *lines[i] = ps->sec_line;
    if (r->has_min && r->has_max && r->min.is_pct == r->max.is_pct) {
        bool bad = r->min.is_pct ? r->min.pct_x100 > r->max.pct_x100
                                 : r->min.kib > r->max.kib;

        if (bad)
            report(ps, ps->line_max, "max", "max is below min (line %u)",
                   ps->line_min);
    }
    if (r->has_fixed) {
        if (!r->has_mode || r->mode != BD_MODE_FIXED) {
            report(ps, ps->line_target, "target",
                   "target is only used with mode = fixed");
        } else {
            if (r->has_min && !r->min.is_pct && r->fixed_kib < r->min.kib)
                report(ps, ps->line_target, "target", "target is below min "
                       "(line %u)", ps->line_min);
            if (r->has_max && !r->max.is_pct && r->fixed_kib > r->max.kib)
                report(ps, ps->line_target, "target", "target is above max "
                       "(line %u)", ps->line_max);
        }
    }
    if (r->has_fixed && r->fixed_kib == 0)
        report(ps, ps->line_target, "target", "target must not be 0");
    ps->rule = NULL;
}

static void finish_section(struct parse *ps)
{
    if (ps->sec == SEC_DOMAIN)
        finish_domain(ps);
    ps->sec = SEC_NONE;
    ps->n_seen = 0;
    ps->line_min = ps->line_max = ps->line_mode = ps->line_target = 0;
}

/* A repeated section merges into the first: only the first one's line is
 * kept, for the checks across keys. */
static void section_at(struct parse *ps, unsigned *first)
{
    if (!*first)
        *first = ps->line;
}

/* The reader saw "[...]" on line ps->line: name is what is inside. */
static void begin_section(struct parse *ps, const char *name)
{
    struct bd_config *c = ps->cfg;

    finish_section(ps);
    ps->sec_line = ps->line;
    snprintf(ps->sec_name, sizeof(ps->sec_name), "%s", name);
    if (!strcmp(name, "host")) {
        section_at(ps, &ps->host_line);
        ps->sec = SEC_HOST;
    } else if (!strcmp(name, "policy")) {
        section_at(ps, &ps->policy_line);
        ps->sec = SEC_POLICY;
    } else if (!strcmp(name, "control")) {
        section_at(ps, &ps->control_line);
        ps->sec = SEC_CONTROL;
    } else if (!strncmp(name, "domain", 6) &&
               (name[6] == ' ' || name[6] == '\t' || name[6] == '\0')) {
        const char *glob = name + 6;
        struct bd_domain_rule *nr;
        size_t i;

        ps->sec = SEC_BAD;
        while (*glob == ' ' || *glob == '\t')
            glob++;
        if (!*glob) {
            report(ps, ps->line, "[domain]", "a name pattern is expected: "
                   "[domain NAME-GLOB]");
            return;
        }
        if (strlen(glob) > MAX_GLOB_LEN) {
            report(ps, ps->line, "[domain]", "pattern longer than %d "
                   "characters", MAX_GLOB_LEN);
            return;
        }
        snprintf(ps->sec_name, sizeof(ps->sec_name), "domain %s", glob);
        for (i = 0; i < c->n_rules; i++) {
            if (!strcmp(c->rules[i].glob, glob)) {
                /* a repeated [domain GLOB] adds to the first one */
                ps->rule = &c->rules[i];
                ps->sec = SEC_DOMAIN;
                return;
            }
        }
        if (c->n_rules >= MAX_RULES) {
            report(ps, ps->line, "[domain]", "more than %d domain sections",
                   MAX_RULES);
            return;
        }
        nr = realloc(c->rules, (c->n_rules + 1) * sizeof(*nr));
        if (!nr) {
            report(ps, ps->line, "[domain]", "out of memory");
            return;
        }
        c->rules = nr;
        ps->rule = &c->rules[c->n_rules];
        memset(ps->rule, 0, sizeof(*ps->rule));
        ps->rule->glob = strdup(glob);
        if (!ps->rule->glob) {
            report(ps, ps->line, "[domain]", "out of memory");
            ps->rule = NULL;
            return;
        }
        ps->rule->line = ps->line;
        c->n_rules++;
        ps->sec = SEC_DOMAIN;
    } else {
        char key[MAX_GLOB_LEN + 16];

        /* the key part of the message is the section itself */
        snprintf(key, sizeof(key), "[%.*s]", MAX_GLOB_LEN, name);
        report(ps, ps->line, key, "unknown section (expected host, policy, "
               "control or domain NAME-GLOB)");
        ps->sec = SEC_BAD;
    }
}

/* Key and value in force for the section being read, from this file and
 * line: replaces what an earlier file or section set. */
static void record(struct parse *ps, const char *key, const char *value)
{
    struct bd_config *c = ps->cfg;
    struct bd_config_setting *st = NULL, *ns;
    char *v = strdup(value);

    for (size_t i = 0; i < c->n_set && !st; i++)
        if (!strcmp(c->set[i].section, ps->sec_name) &&
            !strcmp(c->set[i].key, key))
            st = &c->set[i];
    if (v && !st && (ns = realloc(c->set, (c->n_set + 1) * sizeof(*ns)))) {
        c->set = ns;
        st = &c->set[c->n_set];
        st->section = strdup(ps->sec_name);
        st->key = strdup(key);
        st->value = NULL;
        if (st->section && st->key) {
            c->n_set++;
        } else {
            free(st->section);
            free(st->key);
            st = NULL;
        }
    }
    if (!v || !st) {
        free(v);
        report(ps, ps->line, key, "out of memory");
        return;
    }
    free(st->value);
    st->value = v;
    st->file = c->n_files ? c->n_files - 1 : 0;
    st->line = ps->line;
}

/* inih calls this for every key; ps->line is the key's line. */
static int on_key(void *user, const char *section, const char *key,
                  const char *value)
{
    struct parse *ps = user;

    (void)section; /* the reader already knows it, with its line */
    if (ps->sec == SEC_BAD)
        return 1; /* the section was reported once; its keys are not */
    unsigned n_err = ps->n_err;

    if (!take_seen(ps, key))
        return 1;
    if (!*value) {
        report(ps, ps->line, key, "empty value");
        return 1;
    }
    switch (ps->sec) {
    case SEC_HOST: host_key(ps, key, value); break;
    case SEC_POLICY: policy_key(ps, key, value); break;
    case SEC_CONTROL: control_key(ps, key, value); break;
    case SEC_DOMAIN: domain_key(ps, key, value); break;
    case SEC_NONE:
        report(ps, ps->line, key, "key outside of any section");
        break;
    case SEC_BAD: break;
    }
    if (ps->n_err == n_err && ps->sec != SEC_NONE && ps->sec != SEC_BAD)
        record(ps, key, value);
    return 1;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

/* Whether what follows ']' at end closes a section header: nothing, or a
 * comment. */
static bool header_end(const char *end)
{
    end += 1 + strspn(end + 1, " \t");
    return blank(end) || *end == ';' || *end == '#';
}

/*
 * Look at one complete line before inih does: count it, follow sections,
 * and report the syntax errors inih would only count.  Returns false if the
 * line must be hidden from inih (replaced by an empty line).
 */
static bool inspect_line(struct parse *ps, char *buf)
{
    char *s = buf, *end;

    while (*s == ' ' || *s == '\t')
        s++;
    if (blank(s) || *s == ';' || *s == '#')
        return true;
    if (*s == '[') {
        end = strchr(s, ']');
        if (!end) {
            report(ps, ps->line, "[", "section header without ']'");
            ps->sec = SEC_BAD;
            return false;
        }
        /* a pattern's bracket expression ([domain vm-[ab]]): the header
         * ends at the last ']' that only blanks or a comment follow */
        if (!header_end(end) && strrchr(s, ']') != end &&
            header_end(strrchr(s, ']')))
            end = strrchr(s, ']');
        if (!header_end(end)) {
            report(ps, ps->line, "[", "junk after section header");
            ps->sec = SEC_BAD;
            return false;
        }
        *end = '\0';
        begin_section(ps, s + 1);
        *end = ']';
        return true;
    }
    if (!strchr(s, '=')) {
        char key[32];
        size_t n = strcspn(s, " \t\r\n");

        snprintf(key, sizeof(key), "%.*s", (int)(n < 31 ? n : 31), s);
        report(ps, ps->line, key, "'key = value' expected");
        return false;
    }
    return true;
}

/* After a full buffer: is the line over (EOF or a newline next)?  A
 * newline that follows is consumed, as fgets would have. */
static bool at_line_end(struct parse *ps)
{
    int ch;

    if (!ps->file) {
        if (ps->text < ps->text_end && *ps->text == '\n') {
            ps->text++;
            return true;
        }
        return ps->text == ps->text_end;
    }
    ch = getc(ps->file);
    if (ch == EOF || ch == '\n')
        return true;
    ungetc(ch, ps->file);
    return false;
}

/*
 * One physical line (up to num - 1 bytes, '\n' included) into str, NUL
 * terminated.  Returns its length in bytes, which is more than strlen(str)
 * when the line holds a NUL byte (fgets could not tell), or -1 at the end.
 */
static ssize_t read_raw(struct parse *ps, char *str, int num)
{
    size_t len = 0;

    if (ps->file) {
        int ch = EOF;

        while (len < (size_t)num - 1 && (ch = getc(ps->file)) != EOF) {
            str[len++] = (char)ch;
            if (ch == '\n')
                break;
        }
        if (len == 0)
            return -1;
    } else {
        const char *nl;

        if (ps->text == ps->text_end)
            return -1;
        nl = memchr(ps->text, '\n', (size_t)(ps->text_end - ps->text));
        len = nl ? (size_t)(nl - ps->text) + 1
                 : (size_t)(ps->text_end - ps->text);
        if (len > (size_t)num - 1)
            len = (size_t)num - 1;
        memcpy(str, ps->text, len);
        ps->text += len;
    }
    str[len] = '\0';
    return (ssize_t)len;
}

/* fgets-like reader for inih: one whole line per call, or an error. */
static char *reader(char *str, int num, void *stream)
{
    struct parse *ps = stream;
    ssize_t n;
    size_t len;
    bool cut;

    for (;;) {
        n = read_raw(ps, str, num);
        if (n < 0)
            return NULL;
        len = (size_t)n;
        if (ps->skip_rest) {
            /* still inside an overlong line: drop it */
            if (len && str[len - 1] == '\n')
                ps->skip_rest = false;
            continue;
        }
        ps->line++;
        cut = len == (size_t)num - 1 && str[len - 1] != '\n' &&
              !at_line_end(ps);
        if (memchr(str, '\0', len) || cut) {
            if (memchr(str, '\0', len))
                report(ps, ps->line, "line", "contains a NUL byte");
            else
                report(ps, ps->line, "line", "longer than %d characters",
                       num - 3);
            /* The rest of a long line is this line, not the next one. */
            ps->skip_rest = cut;
            str[0] = '\n';
            str[1] = '\0';
            return str;
        }
        if (!inspect_line(ps, str)) {
            str[0] = '\n';
            str[1] = '\0';
        }
        return str;
    }
}

/* One file or buffer into ps->cfg, its errors into ps->err. */
static void parse_stream(struct parse *ps)
{
    int r;

    /* Our conventions, set each time: inih keeps them in globals. */
    ini_allow_multiline = false;
    ini_allow_inline_comments = true;
    ini_inline_comment_prefixes = (char *)";#";
    ini_stop_on_first_error = false;
    ini_allow_no_value = false;

    r = ini_parse_stream(reader, ps, on_key, ps);
    finish_section(ps);
    if (r < 0) {
        report(ps, ps->line, "file", "cannot be read");
    } else if (r > 0 && ps->n_err == 0) {
        /* inih found something our reader did not: still report it. */
        report(ps, (unsigned)r, "line", "syntax error");
    }
    if (ps->file && ferror(ps->file))
        report(ps, ps->line, "file", "read error");
}

static int add_file(struct bd_config *c, const char *path)
{
    char **nf = realloc(c->files, (c->n_files + 1) * sizeof(*nf));

    if (!nf)
        return -ENOMEM;
    c->files = nf;
    c->files[c->n_files] = strdup(path);
    if (!c->files[c->n_files])
        return -ENOMEM;
    c->n_files++;
    return 0;
}

static int dropin_filter(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".conf");
}

/* Byte order, whatever the locale: 10-a.conf before 20-b.conf. */
static int dropin_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* One drop-in: a regular file (a link to one is fine), parsed into the
 * main file's configuration. */
static void parse_dropin(struct parse *main_ps, const char *path)
{
    struct parse ps = {.name = path, .cfg = main_ps->cfg, .err = main_ps->err};
    struct stat st;

    if (stat(path, &st) < 0) {
        report(&ps, 0, "file", "cannot open: %s%s", strerror(errno),
               errno == ENOENT ? " (a dangling link?)" : "");
    } else if (!S_ISREG(st.st_mode)) {
        report(&ps, 0, "file", "%s, not a configuration file",
               S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
    } else if (add_file(ps.cfg, path) < 0) {
        report(&ps, 0, "file", "out of memory");
    } else if (!(ps.file = fopen(path, "re"))) {
        report(&ps, 0, "file", "cannot open: %s", strerror(errno));
    } else {
        parse_stream(&ps);
        fclose(ps.file);
    }
    main_ps->n_err += ps.n_err;
}

/* FILE.d/\*.conf after FILE, in name order; a missing directory is none. */
static void parse_dropins(struct parse *ps)
{
    struct dirent **list = NULL;
    char dir[4096], path[4096 + 256];
    int n;

    if (snprintf(dir, sizeof(dir), "%s%s", ps->name, BD_DROPIN_SUFFIX) >=
        (int)sizeof(dir))
        return;
    n = scandir(dir, &list, dropin_filter, dropin_order);
    if (n < 0) {
        if (errno != ENOENT) {
            struct parse dps = {.name = dir, .err = ps->err};
            report(&dps, 0, "directory", "cannot be read: %s",
                   strerror(errno));
            ps->n_err += dps.n_err;
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        if (i < BD_DROPIN_MAX) {
            snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
            parse_dropin(ps, path);
        } else if (i == BD_DROPIN_MAX) {
            struct parse dps = {.name = dir, .err = ps->err};
            report(&dps, 0, "directory", "more than %d drop-ins",
                   BD_DROPIN_MAX);
            ps->n_err += dps.n_err;
        }
        free(list[i]);
    }
    free(list);
}

/* Checks across keys, once everything is read. */
static void check_across(struct parse *ps)
{
    struct bd_config *c = ps->cfg;

    if (c->policy.stuck_retry_ms < c->policy.stuck_timeout_ms)
        report(ps, ps->policy_line, "stuck-retry",
               "must not be shorter than stuck-timeout");
    if (c->dom0_max_kib && c->dom0_max_kib < c->dom0_min_kib)
        report(ps, ps->host_line, "dom0-max", "dom0-max is below dom0-min");
}

static int parse(struct parse *ps, bool dropins, struct bd_config **out,
                 char **errors)
{
    struct bd_config *c = NULL;
    char *buf = NULL;
    size_t buflen = 0;
    int rc;

    *errors = NULL;
    ps->err = open_memstream(&buf, &buflen);
    if (!ps->err)
        return -ENOMEM;
    c = calloc(1, sizeof(*c));
    if (!c) {
        rc = -ENOMEM;
        goto out;
    }
    rc = bd_config_init(c);
    if (rc)
        goto out;
    c->path = strdup(ps->name);
    if (!c->path || add_file(c, ps->name) < 0) {
        rc = -ENOMEM;
        goto out;
    }
    ps->cfg = c;
    parse_stream(ps);
    if (dropins)
        parse_dropins(ps);
    check_across(ps);
    rc = ps->n_err ? -EINVAL : 0;
out:
    fclose(ps->err);
    if (rc == 0) {
        *out = c;
        free(buf);
    } else {
        bd_config_free(c);
        *errors = buf;
    }
    return rc;
}

int bd_config_load_mem(const char *name, const char *buf, size_t len,
                       struct bd_config **out, char **errors)
{
    struct parse ps;

    memset(&ps, 0, sizeof(ps));
    ps.name = name;
    ps.text = buf;
    ps.text_end = buf + len;
    return parse(&ps, false, out, errors);
}

int bd_config_load_string(const char *name, const char *text,
                          struct bd_config **out, char **errors)
{
    return bd_config_load_mem(name, text, strlen(text), out, errors);
}

int bd_config_load(const char *path, struct bd_config **out, char **errors)
{
    struct parse ps;
    int rc;

    memset(&ps, 0, sizeof(ps));
    ps.name = path;
    ps.file = fopen(path, "re");
    if (!ps.file) {
        rc = -errno;
        if (asprintf(errors, "%s: cannot open: %s\n", path, strerror(-rc)) < 0)
            *errors = NULL;
        return rc;
    }
    rc = parse(&ps, true, out, errors);
    fclose(ps.file);
    return rc;
}

/* ---- lookups ------------------------------------------------------------ */

const struct bd_domain_rule *bd_config_match(const struct bd_config *c,
                                             const char *name)
{
    size_t i;

    for (i = 0; i < c->n_rules; i++)
        if (fnmatch(c->rules[i].glob, name, 0) == 0)
            return &c->rules[i];
    return NULL;
}

void bd_config_limits(const struct bd_config *c, uint32_t domid,
                      const char *name, uint64_t static_max_kib,
                      struct bd_dom_limits *out)
{
    const struct bd_domain_rule *r = bd_config_match(c, name ? name : "");
    const struct bd_kernel_overhead *ovh = &c->kernel_overhead;
    uint64_t smax = static_max_kib;

    memset(out, 0, sizeof(*out));
    out->weight = c->default_weight;
    out->mode = BD_MODE_AUTO;
    out->max_kib = smax;
    if (domid == 0) {
        /* Dom0 has its own keys and is left alone unless asked. */
        out->min_kib = c->dom0_min_kib;
        if (c->dom0_max_kib && c->dom0_max_kib < smax)
            out->max_kib = c->dom0_max_kib;
        out->mode = c->manage_dom0 ? BD_MODE_AUTO : BD_MODE_IGNORE;
    } else {
        out->min_kib = bd_size_resolve(&c->default_min, smax);
    }
    if (r) {
        if (r->has_min)
            out->min_kib = bd_size_resolve(&r->min, smax);
        if (r->has_max)
            out->max_kib = bd_size_resolve(&r->max, smax);
        if (r->has_weight)
            out->weight = r->weight;
        if (r->has_mode && (domid != 0 || c->manage_dom0 ||
                            r->mode == BD_MODE_IGNORE))
            out->mode = r->mode;
        if (r->has_fixed)
            out->fixed_kib = r->fixed_kib;
        if (r->has_overhead)
            ovh = &r->overhead;
    }
    out->has_overhead = !ovh->is_auto;
    if (out->has_overhead)
        out->overhead_kib = bd_size_resolve(&ovh->size, smax);
    /* Never beyond what Xen allows; a min above max means max. */
    if (smax && out->max_kib > smax)
        out->max_kib = smax;
    out->min_wanted_kib = out->min_kib;
    if (out->min_kib > out->max_kib)
        out->min_kib = out->max_kib;
}
