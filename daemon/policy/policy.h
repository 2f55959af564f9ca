/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.h - balloond's decision core: a snapshot in, a plan out.
 *
 * Design (after systemd-oomd): the daemon, the simulator, the benchmark and
 * the tests all build one snapshot of plain structs and call
 * bd_policy_plan().  The function reads no clock (time comes in as now_ms),
 * does no I/O and touches no globals.  The only state that survives between
 * two plans is struct bd_dom_track, owned by the caller (one per domain,
 * zero-initialised when a domain appears) and updated by the plan.
 *
 * All sizes are KiB, all times milliseconds on the caller's monotonic clock.
 */
#ifndef BD_POLICY_H
#define BD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/modes.h"

/* Tunables, from the [host] and [policy] config sections. */
struct bd_policy_params {
    uint64_t reserve_kib;       /* host memory kept free, after all changes */
    uint64_t start_pool_kib;    /* on top of it, free memory that spare
                                   sharing never lends (new domains start
                                   in it); need may still use it */
    uint32_t headroom_pct;      /* want = used + max(used*pct/100, min) */
    uint64_t headroom_min_kib;
    uint64_t hysteresis_kib;    /* smaller target changes are not written */
    uint64_t shrink_delay_ms;   /* hold a peak this long before shrinking */
    uint32_t shrink_pct;        /* per plan, give back this % of the excess */
    uint64_t stuck_timeout_ms;  /* no progress this long: stuck */
    uint64_t stuck_retry_ms;    /* a stuck domain is asked again after this */
    uint64_t stats_max_age_ms;  /* an older agent report counts as none
                                   (not a write-on-change one) */
    uint64_t progress_kib;      /* movement that counts as progress */
    bool share_spare;           /* hand memory nobody wants to the guests
                                   (by their burst history) rather than
                                   keep it free on the host */
    uint64_t decay_interval_ms; /* shrink_pct is given back per this much
                                   time (the daemon's interval); 0 = per
                                   plan.  Default 5 s. */
};

/* What the guest says about itself.  Hostile input: the daemon has already
 * checked syntax and ranges; the policy still never trusts it beyond the
 * domain's fair share. */
struct bd_guest_stats {
    bool present;           /* a well-formed report exists */
    uint64_t time_ms;       /* when the daemon received it */
    bool until_changed;     /* a write-on-change format (XenServer, Qubes):
                               valid whatever its age while the domain
                               exists and the keys stay as they are; an
                               agent report (it has a heartbeat) ages out
                               after stats_max_age_ms */
    uint64_t used_kib;      /* memory the guest needs (total - available) */
    uint64_t total_kib;     /* guest's MemTotal, 0 if unknown */
    bool has_rates;
    uint32_t swapin_per_s;  /* pages/s */
    uint32_t swapout_per_s; /* pages/s */
    uint32_t majflt_per_s;  /* major faults/s */
    bool has_psi;
    uint32_t psi_some_x100; /* PSI memory some avg10, percent * 100 */
    uint64_t swap_used_kib; /* swap-total - swap-free, 0 if unknown:
                               under pressure, what is swapped out is
                               counted as needed */
};

/*
 * The guest is under memory pressure: a present report with PSI memory
 * "some" avg10 >= 2%, or >= 100 pages/s swapped in, or >= 500 major
 * faults/s.  The one rule: the plan, `balloonctl show` and metrics use it.
 */
bool bd_guest_pressure(const struct bd_guest_stats *s);

/* One domain as the daemon sees it at now_ms.  min/max/weight/mode are
 * already resolved from config and runtime overrides; the policy still
 * clamps max to static_max_kib and never goes below min_kib. */
struct bd_dom_input {
    uint32_t domid;
    const char *name;
    uint64_t current_kib;    /* pages the domain holds now (Xen) */
    uint64_t target_kib;     /* memory/target now */
    uint64_t static_max_kib; /* memory/static-max */
    uint64_t min_kib;
    uint64_t max_kib;
    uint32_t weight;          /* 1..10000, share above min when short */
    enum bd_mode mode;
    uint64_t fixed_kib;       /* BD_MODE_FIXED: 0 = keep target_kib */
    uint64_t pin_kib;         /* balloonctl set: 0 = not pinned */
    uint64_t hold_kib;        /* external target being honoured: 0 = none */
    bool has_overhead;        /* kernel-overhead configured: overhead_kib */
    uint64_t overhead_kib;    /* (else learned from MemTotal or estimated,
                                 see bd_overhead_kib()) */
    struct bd_guest_stats stats;
};

/* Per-domain memory between plans.  Zero it for a new domain; only
 * bd_policy_plan() writes it. */
struct bd_dom_track {
    bool seen;                   /* initialised by a plan */
    uint64_t last_target_kib;    /* last target planned for this domain */
    uint64_t want_peak_kib;      /* peak-held want */
    uint64_t want_peak_ms;       /* when the peak was last raised */
    uint64_t progress_ms;        /* last time current moved toward target */
    uint64_t progress_cur_kib;   /* current_kib at that time */
    uint64_t stuck_since_ms;     /* 0 = not stuck */
    uint64_t clip_kib;           /* learned ceiling below target, 0 = none */
    uint64_t last_change_ms;     /* last time the planned target changed */
    uint64_t overhead_kib;       /* learned: current - guest's MemTotal
                                    (0 = nothing learned) */
    bool overhead_known;         /* overhead_kib was learned (0 too) */
    uint64_t overhead_cand_kib;  /* a different figure from one report at
                                    rest, adopted only when a later one
                                    agrees (one odd report moves nothing) */
    uint64_t overhead_cand_ms;   /* that report's time, 0 = none */
    uint64_t rest_ms;            /* first plan that saw current at rest at
                                    the target (0 = moving): a report
                                    received after it was taken at rest */
    uint64_t retry_ms;           /* last time a stuck domain was asked again */
    uint64_t decay_ms;           /* want_peak_kib decayed up to this time */
    uint64_t hist_peak_kib;      /* long-memory peak of the need (decays
                                    over about a day): how big the bursts
                                    get, for sharing out spare memory */
    uint64_t hist_ms;            /* hist_peak_kib updated up to this time */
    uint64_t est_used_kib;       /* last estimates from a fresh report, */
    uint64_t est_need_kib;       /* kept while a grow is still arriving */
};

struct bd_host_input {
    uint64_t total_kib;       /* physinfo total */
    uint64_t free_kib;        /* physinfo free (+ scrub) */
    uint64_t outstanding_kib; /* claims by domains being built */
    uint64_t reserved_kib;    /* held for `balloonctl reserve`, on top of
                                 the configured reserve */
    uint64_t soft_reserved_kib; /* asked for by reservations that may not
                                   cut a guest below its use: kept free
                                   only from what is left once every
                                   guest's use is covered */
};

struct bd_decision {
    uint64_t target_kib; /* planned target, always in [min, min(max, smax)]
                            unless mode is IGNORE (then = target_kib in) */
    bool write;          /* differs from the current target and should be
                            written (hysteresis applied) */
    bool shrink;         /* write lowers the target */
    enum bd_state state;
    char reason[80];     /* one short human-readable line */
    /* The plan's inputs and figures for this domain (balloonctl explain).
     * Zero for held and ignored domains where they play no part. */
    uint64_t use_kib;    /* reported use plus kernel overhead */
    uint64_t need_kib;   /* use plus headroom (or a pressure boost) */
    uint64_t want_kib;   /* the need's peak, held for shrink-delay */
    uint64_t share_kib;  /* what the fair division gave */
    uint64_t lo_kib, hi_kib; /* planning bounds */
    uint32_t press;      /* 0 none, 1 PSI, 2 swap-in, 3 major faults */
    uint32_t press_val;  /* its value (PSI: percent * 100; others: /s) */
};

struct bd_plan {
    struct bd_decision *dec; /* caller's array, one per input domain */
    size_t *order;           /* caller's array of n: indices of writes, */
    size_t n_order;          /* shrinks first, then grows */
    uint64_t free_after_kib; /* host free less claims once every write
                                completes (see bd_policy_plan()) */
    uint64_t want_total_kib; /* sum of wants (for status/metrics) */
};

/* Scratch bd_policy_plan() allocates, per domain, on 64-bit hosts (kept
 * honest by a static assertion in policy.c). */
#define BD_POLICY_SCRATCH_PER_DOMAIN 240

/*
 * Plan new targets for the n domains of doms (track: their memory between
 * plans, updated) on host at now_ms; the decisions go to plan->dec[0..n)
 * and the order of the writes to plan->order.
 *
 * Guarantees:
 *  - dec[i].target_kib is within [min_i, min(max_i, static_max_i)] for
 *    every domain not in IGNORE mode (min is clamped down to that upper
 *    bound if a misconfiguration makes min larger); an IGNORE domain's
 *    decision is its target as it is, never written;
 *  - once every write completes, host free memory is >= reserve_kib +
 *    reserved_kib whenever that is achievable without going below the
 *    minimums, + soft_reserved_kib as far as that needs no guest below
 *    its use, and >= that + start_pool_kib unless guests' wants (not
 *    lent spare memory) need the pool: spare memory is only lent beyond
 *    it, and lent memory is taken back at once when the pool runs short;
 *  - growth is only planned with memory that is free now or being released
 *    by shrinks of domains that are making progress: a stuck domain counts
 *    at what it holds;
 *  - a guest's reported use (plus its kernel's overhead, bd_overhead_kib():
 *    learned, estimated or configured) is a floor for its target up to its
 *    fair share; a guest that lies gets no more than its fair share;
 *  - an auto domain's target is never below its kernel overhead plus
 *    headroom_min_kib (up to its upper bound), whatever min says; that
 *    floor only clamps: fair shares count from min, not from it;
 *  - dec[i].write is set when target_kib differs from the target in force
 *    (changes smaller than hysteresis_kib are dropped unless a limit,
 *    pressure, use above the target or the budget needs them), and also,
 *    with target_kib equal to the target in force, when a stuck domain is
 *    asked again after stuck_retry_ms: "write it again";
 *  - plan->order[0..n_order) lists every write, shrinks first, then grows,
 *    each group in domain order;
 *  - plan->free_after_kib is host free less outstanding claims once every
 *    write completes, counting a stuck domain at its current memory;
 *  - deterministic: the same inputs (and track) give the same plan.
 *
 * Returns 0; -EINVAL for a NULL pointer (doms and track too, even with
 * n == 0); -ENOMEM when the one scratch allocation
 * (n * BD_POLICY_SCRATCH_PER_DOMAIN bytes) fails, and then plan->dec and
 * track are left as they were.
 */
int bd_policy_plan(const struct bd_policy_params *p,
                   const struct bd_host_input *host,
                   const struct bd_dom_input *doms, struct bd_dom_track *track,
                   size_t n, uint64_t now_ms, struct bd_plan *plan);

/*
 * The kernel overhead of a guest whose report has no MemTotal (Qubes'
 * one-number memory/meminfo), which balloond cannot learn: an estimate
 * from static-max, BD_OVERHEAD_EST_FIXED_KIB + static_max_kib /
 * BD_OVERHEAD_EST_SMAX_DIV.  Measured under real Xen (tests/e2e/README.md,
 * "Facts"): a Debian 12 Linux PV guest with a 512 MiB static-max holds
 * 56-57 MiB outside MemTotal.  Of that, what grows with static-max is the
 * memmap (a 64-byte struct page per 4 KiB page: 1/64, 8 MiB) and, on PV,
 * the p2m list and the direct map's page tables (1/512 each): 1/51 in
 * all, rounded to 1/48 (10.7 MiB); the rest, about 47 MiB, is the kernel
 * image, its data and early boot reservations, rounded up to 64 MiB for
 * bigger kernels.  So 74.7 MiB at 512 MiB (31% above the measure), 149
 * MiB at 4 GiB.  Over-counting is the safe direction: the guest keeps a
 * little more; under-counting OOM-panics it.  kernel-overhead in
 * balloond.conf states the figure for guests this does not fit.
 */
#define BD_OVERHEAD_EST_FIXED_KIB (UINT64_C(64) * 1024)
#define BD_OVERHEAD_EST_SMAX_DIV 48
uint64_t bd_overhead_estimate_kib(uint64_t static_max_kib);

/*
 * The kernel overhead counted for a domain (KiB), *src set to where it
 * comes from: the configured one (d->has_overhead), but never below what
 * was learned (a setting must not count less than the guest's own report
 * proves: that would squeeze it); else the learned one (learned_kib, from
 * bd_dom_track.overhead_kib), when it is not 0 or the report has a
 * MemTotal to learn from; else, for a present report without MemTotal,
 * bd_overhead_estimate_kib(d->static_max_kib); else 0 (BD_OVH_NONE).
 * Pure; the plan, `explain`, `set` and the metrics use it.
 */
uint64_t bd_overhead_kib(const struct bd_dom_input *d, uint64_t learned_kib,
                         enum bd_overhead_src *src);

/* The documented defaults (used by config and tests). */
void bd_policy_params_default(struct bd_policy_params *p);

#endif /* BD_POLICY_H */
