/*
 * daemon.h - balloond's run-time state, shared by its own files.
 *
 * Design: one struct bd_daemon owns everything (config, host backend,
 * domain table, reservations, counters); the files around it each do one
 * thing with it: domains.c keeps the table in step with the host,
 * actuate.c writes a plan, state.c persists runtime overrides, metrics.c
 * renders numbers, loop.c drives it all from sd-event, handlers.c answers
 * the control socket.  Nothing here is global: tests build a bd_daemon on
 * a fake host and call the same functions the loop calls.
 */
#ifndef BD_DAEMON_H
#define BD_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/guest_stats.h"
#include "daemon/host.h"
#include "daemon/policy.h"

/* Runtime changes made with `balloonctl limits`, kept in the state file. */
struct bd_override {
    bool has_min, has_max, has_weight, has_mode;
    uint64_t min_kib, max_kib;
    uint32_t weight;
    enum bd_mode mode;
};

struct bd_domain {
    uint32_t domid;
    char name[BD_DOMAIN_NAME_MAX];
    bool seen;        /* present in the latest scan (mark and sweep) */
    bool watched;
    bool dying;       /* dying or shut down: never written */
    bool usable;      /* memory/target and static-max known */
    bool target_synth; /* dom0 without memory/target: current used */
    bool appeared_late; /* came after balloond's first scan */
    bool announced;   /* its "found" line was logged */

    /* From the host. */
    uint64_t current_kib;
    uint64_t target_kib;     /* memory/target as last read */
    uint64_t static_max_kib;
    uint64_t hv_max_kib;

    /* Effective policy: config limits with overrides applied. */
    struct bd_dom_limits limits;
    struct bd_override ovr;
    uint64_t pin_kib;        /* balloonctl set; 0 = none */
    uint64_t hold_kib;       /* external writer's target; 0 = none */
    uint64_t hold_until_ms;  /* 0 = until balloonctl auto */
    int64_t hold_until_wall; /* the same in wall-clock seconds (state) */

    /* What we wrote, to tell our writes from somebody else's. */
    uint64_t written_kib;
    uint64_t written_ms;
    uint64_t dry_logged_kib; /* --dry-run: last "would set" logged */

    /* Guest report. */
    struct bd_guest_stats stats;
    uint64_t stats_seq;
    bool stats_dirty;
    uint64_t stats_read_ms;  /* last time the keys were read */
    char stats_err[96];      /* the current report's problem ("" = none) */
    uint64_t stats_warn_ms;  /* last time a bad report was logged */
    bool stats_warned;       /* ...and not yet followed by "valid again" */

    /* Policy memory and the last decision. */
    struct bd_dom_track track;
    struct bd_decision dec;
    bool has_dec;
    bool fresh;              /* never planned since it appeared */

    int last_err;            /* last actuation error, to log changes only */
};

struct bd_reservation {
    uint64_t id;
    uint64_t kib;
    uint64_t expires_ms;     /* while waiting: deadline; when granted:
                                end of the hold */
    bool granted;
    void *waiter;            /* control connection waiting for the reply */
};

#define BD_MAX_RESERVATIONS 16

struct bd_counters {
    uint64_t rebalances;     /* plans that wrote (or would write) targets */
    uint64_t target_writes;
    uint64_t errors;
    uint64_t external_writes;
    uint64_t stats_rejected;
    uint64_t plans;
};

struct bd_daemon {
    struct bd_config *cfg;
    const char *cfg_path;
    char *reload_error;      /* first line of the last failed reload */
    struct bd_host *host;
    bool dry_run;
    bool verbose;

    struct bd_domain **doms; /* sorted by domid */
    size_t n_doms;
    size_t cap_doms;
    struct bd_host_phys phys;
    bool have_phys;

    struct bd_reservation res[BD_MAX_RESERVATIONS];
    size_t n_res;
    uint64_t next_res_id;

    struct bd_counters cnt;
    uint64_t start_ms;
    uint64_t last_plan_ms;
    uint64_t last_rebalance_ms;
    int64_t last_rebalance_wall; /* for STATUS=, seconds since the epoch */
    uint64_t last_free_after_kib;
    uint64_t last_want_kib;
    bool rescan_needed;
    bool state_dirty;
    bool host_failed;        /* last scan failed (logged once) */
    bool scanned_once;

    struct bd_state_entry *pending; /* loaded, not yet applied */
    size_t n_pending;

    void *loop;              /* struct bd_loop, owned by loop.c */
};

/* One domain's persisted overrides. */
struct bd_state_entry {
    uint32_t domid;
    char name[BD_DOMAIN_NAME_MAX];
    struct bd_override ovr;
    uint64_t pin_kib;
    uint64_t hold_kib;
    int64_t hold_until_wall; /* seconds since the epoch, 0 = no end */
};

/* ---- log.c ---- */
extern int bd_log_level;   /* 7 with --verbose, else 6 */
void bd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define bd_err(...) bd_log(3, __VA_ARGS__)
#define bd_warn(...) bd_log(4, __VA_ARGS__)
#define bd_notice(...) bd_log(5, __VA_ARGS__)
#define bd_info(...) bd_log(6, __VA_ARGS__)
#define bd_debug(...) bd_log(7, __VA_ARGS__)

/* ---- domains.c ---- */
int bd_daemon_init(struct bd_daemon *d, struct bd_config *cfg,
                   struct bd_host *host);
void bd_daemon_dispose(struct bd_daemon *d);
struct bd_domain *bd_domain_find(struct bd_daemon *d, uint32_t domid);
/* By name or decimal id. */
struct bd_domain *bd_domain_lookup(struct bd_daemon *d, const char *key);
/* List domains and physinfo from the host; add/remove/watch domains. */
int bd_domains_scan(struct bd_daemon *d, uint64_t now_ms);
/* Recompute every domain's limits (after a reload or override change). */
void bd_domains_apply_config(struct bd_daemon *d);
void bd_domain_apply_limits(struct bd_daemon *d, struct bd_domain *dom);
/* Re-read one domain's memory/target + static-max; detect external
 * writers.  -ENOENT when the domain is gone. */
int bd_domain_read_memory(struct bd_daemon *d, struct bd_domain *dom,
                          uint64_t now_ms);
/* Re-read the guest stat keys (at most once per min_gap_ms). */
int bd_domain_read_stats(struct bd_daemon *d, struct bd_domain *dom,
                         uint64_t now_ms);
/* Handle one watch event.  *kick is set when a plan should run soon. */
void bd_domains_event(struct bd_daemon *d, const struct bd_host_event *ev,
                      uint64_t now_ms, bool *kick);
/* Expire holds and reservations. */
void bd_domains_expire(struct bd_daemon *d, uint64_t now_ms);
uint64_t bd_reserved_kib(const struct bd_daemon *d);
/* The same minus outstanding claims, which are reservations in use
 * (actuate.c). */
uint64_t bd_reserved_effective_kib(const struct bd_daemon *d);
/* A new domain took kib that granted reservations were holding for it. */
void bd_res_consume(struct bd_daemon *d, uint64_t kib);
/* Does this domain take part in planning (not dying, data known)? */
bool bd_domain_plannable(const struct bd_daemon *d,
                         const struct bd_domain *dom);
/* The guest reports memory pressure (swap-in, major faults, PSI >= 1%). */
bool bd_domain_pressure(const struct bd_domain *dom);
/* Release an external hold or a pin (balloonctl auto). */
void bd_domain_release(struct bd_daemon *d, struct bd_domain *dom);

/* Read the stat keys of dirty domains that are due; returns when the next
 * one is due (0 = none waiting); *kick is set on a growth request. */
uint64_t bd_domains_process_dirty(struct bd_daemon *d, uint64_t now_ms,
                                  bool *kick);

/* Minimum gap between two reads of one guest's stat keys. */
#define BD_STATS_MIN_GAP_MS 1000
/* A guest's bad reports are logged at most this often. */
#define BD_STATS_WARN_GAP_MS (10 * 60 * 1000)

/* ---- actuate.c ---- */
/* Plan and apply: the whole rebalance cycle.  0 or -errno. */
int bd_rebalance(struct bd_daemon *d, uint64_t now_ms);
/* Apply decisions already in dom->dec following plan order. */
int bd_actuate(struct bd_daemon *d, struct bd_domain **doms, size_t n,
               const struct bd_plan *plan, uint64_t now_ms);

/* ---- state.c ---- */
/* Write pins, runtime limits and external holds atomically (temp file,
 * fsync, rename, fsync of the directory). */
int bd_state_save(const struct bd_daemon *d, const char *path,
                  uint64_t now_ms);
/* Load them; they are applied to domains that match (domid, name) when
 * those domains are first seen.  Missing file: 0.  Corrupt file: -EINVAL
 * (logged; nothing applied). */
int bd_state_load(struct bd_daemon *d, const char *path, uint64_t now_ms);
/* Apply the loaded entry for a newly seen domain, if any. */
void bd_state_apply_pending(struct bd_daemon *d, struct bd_domain *dom);
/* Forget entries of domains that did not come back. */
void bd_state_pending_drop(struct bd_daemon *d);

/* ---- metrics.c ---- */
/* OpenMetrics text, malloc'ed; NULL on ENOMEM. */
char *bd_metrics_render(const struct bd_daemon *d);
int bd_metrics_write_file(const struct bd_daemon *d, const char *path);
/* One-line summary for STATUS= and `balloonctl status`. */
void bd_status_line(const struct bd_daemon *d, char *buf, size_t len);

/* ---- xlconf.c ---- */
/* 1 if xl would autoballoon given xl.conf text (NULL = no file) and the
 * Xen command line (NULL = unknown), 0 if not.  *why says why. */
int bd_xl_autoballoon(const char *xl_conf_path, const char *xen_cmdline,
                      const char **why);

/* Effective policy params for now (reserve resolved against host total). */
void bd_policy_params_now(const struct bd_daemon *d,
                          struct bd_policy_params *p);

#endif /* BD_DAEMON_H */
