/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - balloond.conf: an INI file parsed with inih.
 *
 * Sections: [host], [policy], [control] and any number of [domain GLOB]
 * (fnmatch(3) pattern against the domain name, first match wins; dom0 is
 * "Domain-0"); a repeated section merges into the first, as inih and
 * systemd do, and drop-ins (FILE.d/\*.conf) are read after FILE.  Parsing builds a brand-new struct bd_config; the caller's
 * current one is never touched, so a reload that fails keeps the old
 * configuration in force.  Every problem is reported as
 * "FILE:LINE: key: reason" and nothing is silently ignored.
 */
#ifndef BD_CONFIG_H
#define BD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/size.h"
#include "daemon/policy/policy.h"

#define BD_DEFAULT_CONFIG BD_SYSCONFDIR "/balloond/balloond.conf"

/* kernel-overhead: "auto" (learned from MemTotal, else estimated: see
 * policy.h's bd_overhead_kib()) or a size, % of the domain's static-max. */
struct bd_kernel_overhead {
    bool is_auto;
    struct bd_size size; /* when !is_auto */
};

struct bd_domain_rule {
    char *glob;
    unsigned line;          /* where the section starts */
    bool has_min, has_max, has_weight, has_mode, has_fixed;
    struct bd_size min;     /* % is of the domain's static-max */
    struct bd_size max;
    uint32_t weight;
    enum bd_mode mode;
    uint64_t fixed_kib;     /* `target`, for mode = fixed */
    bool has_overhead;      /* kernel-overhead given in the section: */
    struct bd_kernel_overhead overhead;
};

struct bd_config {
    char *path;

    /* [host] */
    struct bd_size reserve;      /* % of host total */
    struct bd_size start_pool;   /* kept free for starts: not lent */
    uint64_t interval_ms;        /* policy tick */
    bool manage_dom0;
    uint64_t dom0_min_kib;
    uint64_t dom0_max_kib;       /* 0 = dom0's static-max */

    /* [policy] (sizes resolved: % of nothing makes no sense there) */
    struct bd_policy_params policy;
    struct bd_size default_min;  /* for domains no rule sets, % of smax */
    uint32_t default_weight;
    uint64_t external_hold_ms;   /* honour another writer's target; 0 = until
                                    `balloonctl auto` */
    struct bd_kernel_overhead kernel_overhead; /* for domains no rule sets
                                                  it for; default auto */

    /* [control] */
    char *socket_path;
    char *socket_group;          /* NULL: root only */
    bool allow_readonly;         /* anyone may run read-only queries */
    char *state_path;            /* pins and runtime limits, for restarts */
    char *metrics_path;          /* textfile collector output, NULL = off */
    uint64_t reserve_hold_ms;    /* how long a reservation is held */

    struct bd_domain_rule *rules;
    size_t n_rules;

    /* What was read, for --check-config: the files in the order read (the
     * main file, then BD_DROPIN_SUFFIX's *.conf in name order) and every
     * key they set, its value in force and where (a later one wins). */
    char **files;
    size_t n_files;
    struct bd_config_setting *set;
    size_t n_set;
};

/* path + this: the drop-in directory read after the main file. */
#define BD_DROPIN_SUFFIX ".d"
#define BD_DROPIN_MAX 256 /* *.conf files read from it, at most */

struct bd_config_setting {
    char *section; /* "policy", "domain web-*" */
    char *key;
    char *value;
    size_t file;   /* index in files */
    unsigned line;
};

/* Defaults for every key, no rules. */
int bd_config_init(struct bd_config *c);
void bd_config_dispose(struct bd_config *c);

/*
 * Parse FILE, then every FILE.d/NAME.conf in byte order of NAME (names
 * starting with '.' skipped), into a newly allocated config (*out; free
 * with bd_config_free()).  A section may appear any number of times, in
 * any of the files: its keys merge, a later one wins.  On error returns
 * -EINVAL and *errors holds every problem, one "FILE:LINE: key: reason"
 * per line (caller frees): one bad file refuses them all.  On a main file
 * that cannot be opened, -errno and one line in *errors (a missing FILE.d
 * is no error).  *out is untouched on failure.
 */
int bd_config_load(const char *path, struct bd_config **out, char **errors);
/* The same from a string (tests); name is used in messages. */
int bd_config_load_string(const char *name, const char *text,
                          struct bd_config **out, char **errors);
/* The same from len bytes, which may hold NUL bytes (an error, with its
 * line number, as in a file). */
int bd_config_load_mem(const char *name, const char *buf, size_t len,
                       struct bd_config **out, char **errors);
void bd_config_free(struct bd_config *c);

/* The first rule whose glob matches name, or NULL. */
const struct bd_domain_rule *bd_config_match(const struct bd_config *c,
                                             const char *name);

/* Effective limits for a domain with the given name and static-max, from
 * the matching rule, the defaults, and the [host] dom0 keys (domid 0). */
struct bd_dom_limits {
    uint64_t min_kib, max_kib;
    uint64_t min_wanted_kib;  /* the min asked for, before it is lowered
                                 to max (a warning when it is) */
    uint32_t weight;
    enum bd_mode mode;
    uint64_t fixed_kib;
    bool has_overhead;        /* kernel-overhead configured (not auto): */
    uint64_t overhead_kib;    /* resolved against static-max */
};
void bd_config_limits(const struct bd_config *c, uint32_t domid,
                      const char *name, uint64_t static_max_kib,
                      struct bd_dom_limits *out);

#endif /* BD_CONFIG_H */
