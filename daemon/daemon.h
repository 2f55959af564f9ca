/*
 * daemon.h - balloond's run-time state, shared by its own files.
 *
 * Design: one struct bd_daemon owns everything (config, host backend,
 * domain table, reservations, counters); the files around it each do one
 * thing with it: domains.c keeps the table in step with the host,
 * cycle.c runs the one rebalance cycle (snapshot, plan, writes, persist),
 * actuate.c writes a plan, reserve.c keeps reservations, state.c persists
 * runtime overrides, metrics.c renders numbers, handlers.c answers the
 * control socket.  loop.c drives the cycle from sd-event, simrun.c from
 * virtual time on the simulated host.  Nothing here is global: what the
 * daemon needs from its driver (the clock, asking for a cycle soon,
 * finishing a reservation's reply) comes through struct bd_daemon_hooks,
 * so tests, the simulator and the benchmark run the very same code.
 */
#ifndef BD_DAEMON_H
#define BD_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"
#include "daemon/config.h"
#include "daemon/decide.h"
#include "daemon/guard.h"
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

/* One target change, for `balloonctl explain`. */
struct bd_target_change {
    uint64_t at_ms;          /* on the daemon's clock */
    uint64_t from_kib, to_kib;
    bool dry_run;            /* only logged ("would set") */
    char reason[80];
};

/* Target changes kept per domain (the newest overwrite the oldest). */
#define BD_HISTORY_MAX 16

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
    uint64_t dry_logged_kib; /* --dry-run: last "would set" logged */

    /* Guest report. */
    struct bd_guest_stats stats;
    uint64_t stats_seq;
    bool stats_dirty;
    uint64_t stats_read_ms;  /* last time the keys were read */
    char stats_err[96];      /* the current report's problem ("" = none) */
    uint64_t stats_warn_ms;  /* last time a bad report was logged */
    uint64_t stats_torn_ms;  /* since when its XenServer pair is torn */
    bool stats_warned;       /* ...and not yet followed by "valid again" */

    /* Policy memory and the last decision. */
    struct bd_dom_track track;
    struct bd_decision dec;
    bool has_dec;

    int last_err;            /* last actuation error, to log changes only */

    /* Why the last plan's write did not happen yet ("" = it did, or
     * there was none): start-up deferral, waiting for free memory. */
    char act_note[64];
    struct bd_target_change hist[BD_HISTORY_MAX]; /* a ring */
    size_t n_hist;           /* changes recorded so far (ever) */
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

/* What the daemon asks of whoever drives it (loop.c, simrun.c, tests).
 * Every pointer may be NULL: no clock means time 0, no kick means the
 * next tick, no reserve_done means nobody waits for the reply. */
struct bd_daemon_hooks {
    uint64_t (*now_ms)(void *ud);   /* monotonic milliseconds */
    void (*kick)(void *ud);         /* run a cycle soon (rate-limited) */
    /* After a handler changed something (status line, STATUS=). */
    void (*changed)(void *ud);
    /* Re-read the configuration; *errors (caller frees) gets the parse
     * errors.  0 or -errno. */
    int (*reload)(void *ud, char **errors);
    /* A reservation's reply is ready (waiter as given to bd_res_add). */
    void (*reserve_done)(void *ud, void *waiter,
                         const struct bd_ctl_reserve_result *r);
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
    uint64_t last_rebalance_ms;
    int64_t last_rebalance_wall; /* for STATUS=, seconds since the epoch */
    bool rescan_needed;
    bool state_dirty;
    bool host_failed;        /* last scan failed (logged once) */
    bool scanned_once;

    struct bd_state_entry *pending; /* loaded, not yet applied */
    size_t n_pending;

    const struct bd_daemon_hooks *hooks;
    void *hooks_ud;
    const char *host_spec;   /* "xen", "sim:basic", for status */
    int metrics_last_rc;     /* last metrics file result, to log changes */
    int state_last_rc;       /* last state file result, likewise */
    char last_error[BD_PROTO_ERR_MAX]; /* the newest error counted ("") */
    struct bd_warnings warnings; /* settings that cannot work (guard.h) */
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
/* By exact name, else the one domain in transit (migration) whose final
 * name it is; NULL when none, or several, answer to it. */
struct bd_domain *bd_domain_by_name(struct bd_daemon *d, const char *name);
/* The name a domain keeps after a migration: name without xl's
 * "--incoming" / "--migratedaway" suffix (into buf, or name itself when
 * it has none or buf is too small).  Pure. */
const char *bd_domain_final_name(const char *name, char *buf, size_t len);
/* Watch for domains coming and going (@introduceDomain, @releaseDomain).
 * 0 or -errno. */
int bd_daemon_watch_domains(struct bd_daemon *d);
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
/* Does this domain take part in planning (not dying, data known)? */
bool bd_domain_plannable(const struct bd_daemon *d,
                         const struct bd_domain *dom);
/* The guest reports memory pressure (bd_guest_pressure() of its report). */
bool bd_domain_pressure(const struct bd_domain *dom);
/* The kernel overhead counted for it now and where it comes from (*src):
 * policy.h's bd_overhead_kib() on its limits, report and track. */
uint64_t bd_domain_overhead_kib(const struct bd_domain *dom,
                                enum bd_overhead_src *src);
/* The range its target may take (decide.h), from its effective limits. */
struct bd_range bd_domain_range(const struct bd_domain *dom);
/* Memory promised to domains (target above current) but not yet taken,
 * except by domains known not to take it (stuck, clipped) and except. */
uint64_t bd_pending_growth_kib(const struct bd_daemon *d,
                               const struct bd_domain *except);
/* Its state as show and the metrics name it: "ok", "pinned", "stuck",
 * "dying" ... */
const char *bd_domain_state(const struct bd_domain *dom);
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
/* A XenServer pair caught between its two writes (free above total) is
 * "being written" this long before it counts as a bad report. */
#define BD_STATS_TORN_MS (10 * 1000)
/* A quiet write-on-change report's keys are read again this often. */
#define BD_STATS_RECHECK_MS (60 * 1000)

/* ---- cycle.c ---- */
struct bd_cycle_result {
    size_t writes;          /* targets written (or logged, --dry-run) */
    uint64_t dirty_next_ms; /* a flooding guest's report is due then (0) */
    bool res_waiting;       /* a reservation still waits for memory */
};
/* Drain the host's pending watch events (bounded, so a flood cannot
 * starve the caller) and read the reports that are due.  *kick is set
 * when a cycle should run soon, *dirty_next_ms to when a deferred report
 * read is due (0 = none).  0, or -errno when the watch connection broke. */
int bd_daemon_drain(struct bd_daemon *d, uint64_t now_ms, bool *kick,
                    uint64_t *dirty_next_ms);
/* The one rebalance cycle at now_ms: scan the host, read due reports,
 * expire holds, plan, write targets, move reservations on, save the state
 * file and the metrics file.  The loop, the control handlers, the
 * simulator and the benchmark all run this.  0 or -errno (the host could
 * not be read; nothing was planned).  out may be NULL. */
int bd_cycle(struct bd_daemon *d, uint64_t now_ms,
             struct bd_cycle_result *out);
/* Now, on the driver's clock (hooks->now_ms; 0 without one). */
uint64_t bd_daemon_now_ms(const struct bd_daemon *d);
/* Count an error in errors_total and keep its line for `status`. */
void bd_daemon_error(struct bd_daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Recompute d->warnings for cfg (the daemon's or one about to replace it)
 * against the host and the domains as last scanned; log warnings that are
 * new.  Returns whether one is fatal. */
bool bd_daemon_guard(struct bd_daemon *d, const struct bd_config *cfg,
                     struct bd_warnings *out);
/* Record a target change in the domain's history ring. */
void bd_domain_history_add(struct bd_domain *dom, uint64_t now_ms,
                           uint64_t from_kib, uint64_t to_kib, bool dry_run,
                           const char *reason);
/* Replace the configuration with the file's; on failure keep the old one,
 * set d->reload_error and return -errno with the errors in *errors
 * (caller frees; may be NULL). */
int bd_daemon_reload(struct bd_daemon *d, char **errors);
/* Put nc in force (taking it; the old configuration is freed) and
 * recompute every domain's limits: the end of a successful reload. */
void bd_daemon_use_config(struct bd_daemon *d, struct bd_config *nc);

/* ---- reserve.c ---- */
/* Sum of reservations (waiting and granted). */
uint64_t bd_reserved_kib(const struct bd_daemon *d);
/* The same minus outstanding claims, which are reservations in use. */
uint64_t bd_reserved_effective_kib(const struct bd_daemon *d);
/* What could be freed at best: free memory plus every automatically
 * managed domain's memory above its min (except's excepted; NULL: none).
 * What reserve, and set for a grow, may ask for. */
uint64_t bd_res_freeable_kib(const struct bd_daemon *d,
                             const struct bd_domain *except);
/* What granted reservations hold (free and kept for their taker). */
uint64_t bd_res_granted_kib(const struct bd_daemon *d);
/* A new domain, or a pin (balloonctl set), took kib that granted
 * reservations were holding for it. */
void bd_res_consume(struct bd_daemon *d, uint64_t kib);
/* Ask for kib of free memory within timeout_ms; the reply goes to
 * hooks->reserve_done(waiter) when granted or timed out.  0; -EBUSY (too
 * many), -ENOSPC (more than could ever be freed; err says why). */
int bd_res_add(struct bd_daemon *d, uint64_t kib, uint64_t timeout_ms,
               void *waiter, uint64_t now_ms, char *err, size_t errlen);
/* Grant what is free, time out what waited too long, expire holds.
 * Returns whether a reservation still waits. */
bool bd_res_progress(struct bd_daemon *d, uint64_t now_ms);
/* Release a granted reservation: 0, -ENOENT, -EBUSY (still waiting). */
int bd_res_release(struct bd_daemon *d, uint64_t id, uint64_t *kib);
/* The waiter of a pending reservation went away: give it up. */
void bd_res_abandon(struct bd_daemon *d, void *waiter);
/* Finish every reservation (shutdown), with why as the error. */
void bd_res_finish_all(struct bd_daemon *d, const char *why);

/* ---- actuate.c ---- */
/* Plan and apply: snapshot, bd_policy_plan(), bd_actuate().  0 or -errno.
 * Part of bd_cycle(); call that instead. */
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
/* Prometheus text (format 0.0.4), malloc'ed; NULL on ENOMEM. */
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
