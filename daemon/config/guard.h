/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guard.h - settings that cannot work, found before they hurt.
 *
 * Design: a configuration can parse cleanly and still make no sense on the
 * host it runs on: a reserve as large as the host, minimums that do not
 * fit together, a min above a domain's static-max, a [domain] section that
 * an earlier, wider pattern always wins over, rules for Domain-0 while
 * balloond leaves Domain-0 alone.  These checks are pure functions of the
 * configuration and plain numbers: `balloond --check-config` runs the
 * static ones (the host is unknown there), start and reload add the host's
 * total, and every cycle recomputes the list the daemon shows in
 * `balloonctl status` and in the metrics.  A warning marked fatal is a
 * setting that cannot work at all: start and reload refuse it.
 */
#ifndef BD_GUARD_H
#define BD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config/config.h"

/* At most this many warnings are kept (later ones are dropped). */
#define BD_WARN_MAX 32

/* What a warning is about: the metrics label (balloond_warning{kind=..}). */
enum bd_warn_kind {
    BD_WARN_SHADOWED_RULE = 0, /* a [domain] section no domain can reach */
    BD_WARN_DOM0_RULE,         /* a rule for Domain-0 without manage-dom0 */
    BD_WARN_RESERVE_HOST,      /* reserve >= host memory (fatal) */
    BD_WARN_MINS_UNMET,        /* minimums + reserve above host memory */
    BD_WARN_MIN_ABOVE_MAX,     /* a domain's min above its max/static-max */
    BD_WARN_USE_UNMET,         /* what guests use + reserve above host memory */
    BD_WARN__COUNT
};

struct bd_warning {
    enum bd_warn_kind kind;
    bool fatal;     /* cannot work at all: start and reload refuse it */
    char text[200]; /* one line, without "FILE:LINE:" */
    unsigned line;  /* config line it is about, 0 = none */
};

struct bd_warnings {
    struct bd_warning w[BD_WARN_MAX];
    size_t n;
};

/* "shadowed_rule", ... (the metrics label); NULL out of range. */
const char *bd_warn_kind_name(enum bd_warn_kind k);

/* Does every name that pattern b matches also match pattern a?  Answers
 * true only when sure (a holds only literal characters and '*'). */
bool bd_glob_covers(const char *a, const char *b);

/* What can be told from the file alone: shadowed [domain] sections,
 * Domain-0 rules without manage-dom0, a reserve of 100 %.  Appends to w. */
void bd_guard_config(const struct bd_config *c, struct bd_warnings *w);

/* One domain as the host-level checks see it. */
struct bd_guard_dom {
    const char *name;
    uint64_t min_wanted_kib; /* the min asked for, before any clamp */
    uint64_t max_kib;        /* effective max (<= static-max) */
    uint64_t current_kib;
    uint64_t used_kib;       /* what its guest reports it uses, 0: unknown */
    bool managed;            /* balloond moves it (mode auto) */
};

/* With the host's total known: reserve >= host memory (fatal), the
 * minimums of the managed domains plus what the others hold plus the
 * reserve above host memory, the same with what the guests report they
 * use in place of their minimums (the reserve would squeeze them below
 * it), a min above a domain's max.  Appends to w. */
void bd_guard_host(uint64_t host_total_kib, uint64_t reserve_kib,
                   const struct bd_guard_dom *doms, size_t n,
                   struct bd_warnings *w);

/* Whether any warning in w is fatal (the first one into *first). */
bool bd_warnings_fatal(const struct bd_warnings *w,
                       const struct bd_warning **first);

/* A target below what the guest uses (its reported use plus its learned
 * kernel overhead) needs --force.  true when target_kib is below used_kib
 * (use 0 = unknown: never). */
bool bd_guard_below_use(uint64_t target_kib, uint64_t used_kib);

#endif /* BD_GUARD_H */
