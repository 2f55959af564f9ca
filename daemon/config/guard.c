/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guard.c - settings that cannot work (see guard.h).
 *
 * Design: pure checks over the configuration and plain numbers, each
 * appending one line that says what is wrong and what balloond does about
 * it.  No clock, no I/O, no daemon state: --check-config, start, reload
 * and the cycle all call the same functions.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/size.h"
#include "daemon/config/guard.h"

static const char *const kind_names[BD_WARN__COUNT] = {
    [BD_WARN_SHADOWED_RULE] = "shadowed_rule",
    [BD_WARN_DOM0_RULE] = "dom0_rule",
    [BD_WARN_RESERVE_HOST] = "reserve_above_host",
    [BD_WARN_MINS_UNMET] = "mins_unmet",
    [BD_WARN_MIN_ABOVE_MAX] = "min_above_max",
    [BD_WARN_USE_UNMET] = "use_unmet",
};

const char *bd_warn_kind_name(enum bd_warn_kind k)
{
    return (unsigned)k < BD_WARN__COUNT ? kind_names[k] : NULL;
}

static void add(struct bd_warnings *w, enum bd_warn_kind kind, bool fatal,
                unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(struct bd_warnings *w, enum bd_warn_kind kind, bool fatal,
                unsigned line, const char *fmt, ...)
{
    struct bd_warning *x;
    va_list ap;

    if (w->n >= BD_WARN_MAX)
        return;
    x = &w->w[w->n++];
    x->kind = kind;
    x->fatal = fatal;
    x->line = line;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof(x->text), fmt, ap);
    va_end(ap);
}

bool bd_glob_covers(const char *a, const char *b)
{
    /* Only '*' in a: then a matching b's text, metacharacters and all,
     * means it matches whatever b's '*', '?' and [...] stand for. */
    if (strpbrk(a, "?[]\\"))
        return false;
    return fnmatch(a, b, 0) == 0;
}

void bd_guard_config(const struct bd_config *c, struct bd_warnings *w)
{
    for (size_t j = 0; j < c->n_rules; j++) {
        const struct bd_domain_rule *r = &c->rules[j];

        for (size_t i = 0; i < j; i++)
            if (bd_glob_covers(c->rules[i].glob, r->glob)) {
                add(w, BD_WARN_SHADOWED_RULE, false, r->line,
                    "[domain %s] is never used: [domain %s] (line %u) "
                    "matches every name it does and comes first",
                    r->glob, c->rules[i].glob, c->rules[i].line);
                break;
            }
        /* "*" is meant for every guest; a pattern naming Domain-0 is not. */
        if (!c->manage_dom0 && strcmp(r->glob, "*") != 0 &&
            fnmatch(r->glob, "Domain-0", 0) == 0 &&
            !(r->has_mode && r->mode == BD_MODE_IGNORE))
            add(w, BD_WARN_DOM0_RULE, false, r->line,
                "[domain %s] matches Domain-0, which is not managed: set "
                "manage-dom0 = yes in [host] for it to apply", r->glob);
    }
    if (c->reserve.is_pct && c->reserve.pct_x100 >= 10000)
        add(w, BD_WARN_RESERVE_HOST, true, 0,
            "reserve: 100%% of host memory leaves nothing to any guest");
}

void bd_guard_host(uint64_t host_total_kib, uint64_t reserve_kib,
                   const struct bd_guard_dom *doms, size_t n,
                   struct bd_warnings *w)
{
    uint64_t need = reserve_kib, use = reserve_kib;
    char a[32], b[32], t[32];

    if (!host_total_kib)
        return; /* unknown yet */
    if (reserve_kib >= host_total_kib) {
        add(w, BD_WARN_RESERVE_HOST, true, 0,
            "reserve %s is not below host memory %s",
            bd_format_kib(reserve_kib, a, sizeof(a)),
            bd_format_kib(host_total_kib, t, sizeof(t)));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct bd_guard_dom *g = &doms[i];
        uint64_t min = g->min_wanted_kib;

        if (g->managed && min > g->max_kib) {
            add(w, BD_WARN_MIN_ABOVE_MAX, false, 0,
                "domain %s: min %s is above its max %s; %s is used",
                g->name, bd_format_kib(min, a, sizeof(a)),
                bd_format_kib(g->max_kib, b, sizeof(b)), b);
            min = g->max_kib;
        }
        need += g->managed ? min : g->current_kib;
        use += g->managed ? (g->used_kib > min ? g->used_kib : min)
                          : g->current_kib;
    }
    if (need > host_total_kib)
        add(w, BD_WARN_MINS_UNMET, false, 0,
            "minimums cannot all be met: domain minimums, unmanaged "
            "domains and the reserve need %s of host memory %s",
            bd_format_kib(need, a, sizeof(a)),
            bd_format_kib(host_total_kib, t, sizeof(t)));
    else if (use > host_total_kib)
        add(w, BD_WARN_USE_UNMET, false, 0,
            "guests would be squeezed below their use: what they report "
            "they use, unmanaged domains and the reserve need %s of host "
            "memory %s",
            bd_format_kib(use, a, sizeof(a)),
            bd_format_kib(host_total_kib, t, sizeof(t)));
}

bool bd_warnings_fatal(const struct bd_warnings *w,
                       const struct bd_warning **first)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->w[i].fatal) {
            if (first)
                *first = &w->w[i];
            return true;
        }
    return false;
}

bool bd_guard_below_use(uint64_t target_kib, uint64_t used_kib)
{
    return used_kib && target_kib < used_kib;
}
