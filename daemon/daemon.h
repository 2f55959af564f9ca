/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include "daemon/config/config.h"
#include "daemon/policy/decide.h"
#include "daemon/config/guard.h"
#include "daemon/policy/guest_stats.h"
#include "daemon/host/host.h"
#include "daemon/policy/policy.h"

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
    bool force;              /* may cut guests below their use */
    void *waiter;            /* control connection waiting for the reply */
};

#define BD_MAX_RESERVATIONS 16

/* What was learned of a domain that went away, for the same guest coming
 * back under a new domid (xl restore, a migration in, a reboot). */
struct bd_gone {
    char name[BD_DOMAIN_NAME_MAX];
    uint64_t gone_ms;
    uint64_t overhead_kib;   /* track.overhead_kib */
};

#define BD_MAX_GONE 8
#define BD_GONE_KEEP_MS (10 * 60 * 1000)

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
    struct bd_gone gone[BD_MAX_GONE]; /* newest last */
    size_t n_gone;

    struct bd_counters cnt;
    uint64_t start_ms;
    uint64_t last_rebalance_ms;
    int64_t last_rebalance_wall; /* for STATUS=, seconds since the epoch */
    bool rescan_needed;
    bool watch_lost;         /* the watch connection broke: reconnecting */
    int watch_retry_rc;      /* last failed reconnect, logged once */
    bool watch_loss_logged;  /* this loss was logged (and its end will be) */
    uint64_t watch_logged_ms; /* when a loss was last logged */
    bool host_fd_changed;    /* reconnected: the loop polls the new fd */
    bool state_dirty;
    bool host_failed;        /* last scan failed (logged once) */
    bool scanned_once;

    struct bd_state_entry *pending; /* loaded, not yet applied */
    size_t n_pending;

    const struct bd_daemon_hooks *hooks;
    void *hooks_ud;
    const char *host_spec;   /* "xen", "sim:basic", for status */
    int metrics_last_rc;     /* last metrics file result, to log changes */
    bool metrics_written;    /* metrics_at_ms is set */
    uint64_t metrics_at_ms;  /* the metrics file's last write attempt */
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

/* ---- daemon.c: what every file of the daemon's top needs ---- */
/* Now, on the driver's clock (hooks->now_ms; 0 without one). */
uint64_t bd_daemon_now_ms(const struct bd_daemon *d);
/* Count an error in errors_total and keep its line for `status`. */
void bd_daemon_error(struct bd_daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record a target change in the domain's history ring. */
void bd_domain_history_add(struct bd_domain *dom, uint64_t now_ms,
                           uint64_t from_kib, uint64_t to_kib, bool dry_run,
                           const char *reason);
/* Does this domain take part in planning (not dying, data known)? */
bool bd_domain_plannable(const struct bd_daemon *d,
                         const struct bd_domain *dom);
/* Effective policy params for now (reserve resolved against host total). */
void bd_policy_params_now(const struct bd_daemon *d,
                          struct bd_policy_params *p);

#endif /* BD_DAEMON_H */
