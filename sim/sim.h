/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim.h - a deterministic model of a Xen host and its ballooning guests.
 *
 * Design: one struct bd_sim holds a host (capacity, outstanding claims) and
 * its guests.  Time is virtual: nothing moves until the caller calls
 * bd_sim_step(sim, dt_ms).  Randomness (demand noise) comes from a seeded
 * PRNG inside the struct.  No clock, no I/O, no globals, so two runs with
 * the same calls give the same results, bit for bit.
 *
 * Users:
 *  - balloond --host=sim:SCENARIO: the daemon's simulated host backend
 *    steps the model with its own monotonic clock, lists domains and
 *    physinfo from it, reads the guests' reports with bd_sim_xs_read() as if
 *    they were xenstore keys and writes targets with bd_sim_set_target().
 *  - tests/test_sim*.c: drive the real policy against the model and check
 *    invariants at every step.
 *
 * The model of one guest:
 *  - current_kib pages held (what Xen's current_memkb reports) move toward
 *    target_kib at speed_kib_s, shrinks first; growth takes only host free
 *    memory (in domid order), like Xen's allocator.  A guest never holds
 *    more than static_max_kib.
 *  - its demand (memory it actively uses) comes from a pattern or a trace,
 *    with optional noise that changes every minute;
 *  - what it sees of itself: MemTotal = current - overhead (its kernel
 *    keeps the rest), in use min(demand, MemTotal), MemAvailable the rest;
 *    demand above MemTotal is swapped out (swap in use) and, while it
 *    lasts, swap-in, major faults and PSI grow with the shortfall;
 *  - it reports through xenstore keys (common/xskeys.h), in the format and
 *    at the moments of its reporter (enum bd_sim_reporter): it samples
 *    itself every report_ms and writes only when its reporter would.  The
 *    keys live in the model (bd_sim_xs_read()), and every write, every
 *    target change and every domain created or destroyed is logged
 *    (bd_sim_changes()), which is what watches are made from;
 *  - behaviour: see enum bd_sim_behaviour.
 *
 * Built-in scenarios (bd_sim_scenario_new()); every host has a Domain-0
 * (domid 0, 1 GiB, constant) and guests with domids from 1:
 *  "basic"    8 GiB host, 3 cooperative guests (static-max 4 GiB, boot
 *             1 GiB) whose demand follows slow square waves out of phase.
 *  "pressure" 8 GiB host, 3 guests; vm-grow's demand ramps from 400 MiB to
 *             3 GiB between t=60 s and t=180 s, the others are idle.
 *  "stuck"    8 GiB host; vm-stuck's balloon never moves (holds 3 GiB while
 *             using 300 MiB), vm-need wants 3.5 GiB, vm-idle is idle.
 *  "hostile"  8 GiB host; vm-liar reports it uses all of its static-max and
 *             swaps hard, vm-garbage writes garbage into its keys, two
 *             honest guests with moderate bursty demand.
 *  "tight"    5 GiB host; vm-a and vm-b both want 3 GiB (4 GiB static-max),
 *             more than the host has.
 *  "clip"     8 GiB host; vm-clip boots at 1 GiB and cannot grow above it
 *             (no memory hot-plug) although it would use 2 GiB.
 *  "slow"     8 GiB host; vm-slow balloons at 4 MiB/s, the others at
 *             200 MiB/s, with alternating demand.
 *  "refuse"   8 GiB host; vm-floor refuses to go below its own floor of
 *             1.5 GiB; vm-need wants memory.
 *  "silent"   8 GiB host; vm-silent reports nothing, two honest guests.
 *  "churn"    16 GiB host; guests are created and destroyed every minute
 *             (the scenario's own schedule, run by bd_sim_step()).
 *  "mixed"    16 GiB host with one guest of every behaviour.
 *  "overhead" 7 GiB host, two Linux-like guests whose kernels hold what
 *             the testbed measured outside MemTotal
 *             (bd_sim_linux_overhead_kib()): use must be counted in target
 *             terms.
 */
#ifndef BD_SIM_H
#define BD_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bd_sim;

#define BD_SIM_DOMID_AUTO UINT32_MAX

enum bd_sim_behaviour {
    BD_SIM_COOPERATIVE = 0, /* moves toward its target at speed_kib_s */
    BD_SIM_SLOW,            /* the same at speed_kib_s / 50 */
    BD_SIM_STUCK,           /* its balloon never moves */
    BD_SIM_CLIP_BOOT,       /* cannot grow above boot_kib (no hot-plug) */
    BD_SIM_REFUSE_FLOOR,    /* will not shrink below floor_kib */
    BD_SIM_HOSTILE,         /* lies: claims to use static-max, swaps hard */
    BD_SIM_GARBAGE,         /* writes garbage into its report keys, at
                               every sample */
    BD_SIM_SILENT,          /* reports nothing (no agent) */
};

/* How a guest reports (the three conventions of daemon/policy/guest_stats.h). */
enum bd_sim_reporter {
    BD_SIM_REP_AGENT = 0, /* balloon-agent: the keys below data/balloon, written when
                             agent/report.c's bd_report_decide() says so
                             (2 % change, pressure on/off, 60 s / 5 s
                             heartbeat); samples every 1 s */
    BD_SIM_REP_XENSERVER, /* xe-daemon: data/meminfo_total, then (one
                             step later) data/meminfo_free, each only
                             when its value changed; samples every 120 s */
    BD_SIM_REP_QUBES,     /* meminfo-writer: memory/meminfo = used KiB
                             (in RAM + swapped), only after a move of
                             30000 KiB; samples every 1 s */
};

enum bd_sim_pattern {
    BD_SIM_CONST = 0, /* base_kib */
    BD_SIM_SQUARE,    /* base_kib, peak_kib for duty_pct of each period */
    BD_SIM_RAMP,      /* base_kib until start_ms, linear to peak_kib over
                         ramp_ms, then peak_kib */
    BD_SIM_SINE,      /* between base_kib and peak_kib, period_ms */
    BD_SIM_TRACE,     /* trace_kib[t / trace_step_ms], last value held */
};

struct bd_sim_demand {
    enum bd_sim_pattern pattern;
    uint64_t base_kib;
    uint64_t peak_kib;
    uint64_t period_ms;
    uint32_t duty_pct;
    uint64_t phase_ms; /* shifts SQUARE / SINE */
    uint64_t start_ms;
    uint64_t ramp_ms;
    uint32_t noise_pct;        /* +- uniform noise on top, % of the value */
    uint64_t leave_kib;        /* a program that sizes itself to what is
                                  available (a JVM, a cache): demand is at
                                  most usable - leave_kib; 0 = off */
    const uint64_t *trace_kib; /* BD_SIM_TRACE; copied by bd_sim_add() */
    size_t trace_len;
    uint64_t trace_step_ms;
};

/* Everything needed to create a guest. */
struct bd_sim_guest_cfg {
    uint32_t domid;   /* BD_SIM_DOMID_AUTO (the _cfg_init default):
                         next free id >= 1 */
    const char *name; /* copied */
    uint64_t static_max_kib;
    uint64_t boot_kib;    /* current and target at creation */
    uint64_t speed_kib_s; /* balloon speed; 0 = 200 MiB/s */
    uint64_t shrink_kib_s; /* while it shrinks; 0 = speed_kib_s */
    uint64_t floor_kib;   /* BD_SIM_REFUSE_FLOOR */
    enum bd_sim_reporter reporter; /* default BD_SIM_REP_AGENT */
    uint64_t report_ms;   /* the reporter samples every report_ms;
                             0 = its own default (see the enum) */
    uint64_t swap_kib;    /* swap space; 0 = 1 GiB */
    bool has_psi;         /* reports PSI (default true via _cfg_init) */
    uint64_t overhead_kib; /* held by the guest's kernel outside MemTotal
                              (memmap, image): MemTotal = current - this,
                              and only MemTotal can hold its demand; its
                              balloon never shrinks it below this + 16 MiB */
    enum bd_sim_behaviour behaviour;
    struct bd_sim_demand demand;
};

/* What a Linux PV guest's kernel holds outside MemTotal (memmap, image), as
 * measured on real Xen: bench/calibration.csv's line over static-max
 * (sim/calibration.h). */
uint64_t bd_sim_linux_overhead_kib(uint64_t static_max_kib);

/* Fill a cfg with the defaults (cooperative, 200 MiB/s, balloon-agent
 * reports, PSI). */
void bd_sim_guest_cfg_init(struct bd_sim_guest_cfg *cfg);

/* A new empty host; guests need capacity_kib in all (dom0 included).
 * Returns 0 or -ENOMEM / -EINVAL. */
int bd_sim_new(uint64_t capacity_kib, uint64_t seed, struct bd_sim **out);
void bd_sim_free(struct bd_sim *sim);

/*
 * A named scenario (see the top of this file), at virtual time 0.
 * Returns 0, -ENOENT for an unknown name, -ENOMEM.
 */
int bd_sim_scenario_new(const char *name, struct bd_sim **out);
/* NULL-terminated list of the scenario names. */
const char *const *bd_sim_scenario_names(void);

/*
 * Create a domain (like xl create: the memory comes from host free; fails
 * with -ENOMEM when free - outstanding < boot_kib, -EEXIST for a used
 * domid, -EINVAL for a bad cfg).  Returns the domid (> 0) or -errno.
 * Positive return value: the domid.
 */
int bd_sim_add(struct bd_sim *sim, const struct bd_sim_guest_cfg *cfg);
/* Destroy a domain: its pages return to free at once.  -ENOENT. */
int bd_sim_remove(struct bd_sim *sim, uint32_t domid);

/*
 * Set a domain's balloon target, as libxl_set_memory_target() would:
 * -ENOENT for an unknown domain, -EINVAL for target > static-max or 0.
 */
int bd_sim_set_target(struct bd_sim *sim, uint32_t domid, uint64_t kib);

/*
 * What an administrator changes from outside (sim/admin.c).
 * bd_sim_rename: as xl rename: the domain's name key changes.  -ENOENT,
 *   -EINVAL (empty name), -ENOMEM.
 * bd_sim_set_static_max: as xl mem-max: static-max changes; libxl refuses a
 *   value below the target, and the model also one below what the domain
 *   holds (Xen would let it keep those pages).  -ENOENT, -EINVAL.
 * bd_sim_set_behaviour: the guest now behaves as b (its reporter stops:
 *   BD_SIM_SILENT; it lies: BD_SIM_HOSTILE; it floods: BD_SIM_GARBAGE with
 *   a short report_ms) and samples every report_ms (0 = unchanged).
 *   -ENOENT.
 */
int bd_sim_rename(struct bd_sim *sim, uint32_t domid, const char *name);
int bd_sim_set_static_max(struct bd_sim *sim, uint32_t domid, uint64_t kib);
int bd_sim_set_behaviour(struct bd_sim *sim, uint32_t domid,
                         enum bd_sim_behaviour b, uint64_t report_ms);

/* Outstanding claims (a domain being built), subtracted from free. */
void bd_sim_set_outstanding(struct bd_sim *sim, uint64_t kib);

/*
 * Advance virtual time by dt_ms: the scenario's schedule runs (churn),
 * demand is re-evaluated, balloons move (shrinks first, then growth in
 * domid order limited by free memory), due reports are written, and the
 * shortfall counters accumulate.  Returns 0, or -EPROTO when an internal
 * invariant broke (sum of pages > capacity); the message is in
 * bd_sim_error().
 */
int bd_sim_step(struct bd_sim *sim, uint64_t dt_ms);

uint64_t bd_sim_now_ms(const struct bd_sim *sim);
const char *bd_sim_error(const struct bd_sim *sim); /* "" when none */

struct bd_sim_physinfo {
    uint64_t total_kib; /* capacity */
    uint64_t free_kib;  /* total - sum(current) */
    uint64_t outstanding_kib;
};
void bd_sim_physinfo(const struct bd_sim *sim, struct bd_sim_physinfo *out);

struct bd_sim_dominfo {
    uint32_t domid;
    const char *name; /* valid until the domain is removed */
    uint64_t current_kib;
    uint64_t target_kib;
    uint64_t static_max_kib;
    uint64_t demand_kib; /* the model's truth, for tests/metrics */
    enum bd_sim_behaviour behaviour;
};
/* Number of domains (dom0 included), and the idx-th in domid order. */
size_t bd_sim_count(const struct bd_sim *sim);
int bd_sim_dominfo_at(const struct bd_sim *sim, size_t idx,
                      struct bd_sim_dominfo *out); /* -ENOENT */
int bd_sim_dominfo(const struct bd_sim *sim, uint32_t domid,
                   struct bd_sim_dominfo *out); /* -ENOENT */

/*
 * The sample the guest's reporter last wrote, as numbers (in the agent's
 * format, what a correct parser gets; the other formats carry less of it).
 * -ENOENT: unknown domain or no report yet (SILENT guests never report);
 * -EBADMSG: the keys hold garbage (BD_SIM_GARBAGE).
 */
struct bd_sim_report {
    uint64_t seq;
    uint64_t time_ms; /* virtual time it was written */
    uint64_t mem_total_kib;
    uint64_t mem_available_kib;
    uint64_t swap_total_kib;
    uint64_t swap_free_kib;
    uint32_t swapin_rate; /* pages/s */
    uint32_t swapout_rate;
    uint32_t majflt_rate; /* faults/s */
    bool has_psi;
    uint32_t psi_some_x100;
    uint32_t psi_full_x100;
};
int bd_sim_report(const struct bd_sim *sim, uint32_t domid,
                  struct bd_sim_report *out);

/*
 * The keys of a domain the model knows (bd_sim_xkey_path[]), below
 * /local/domain/N.  Report keys exist only once the guest's reporter wrote
 * them, and only those of its own format.
 */
enum bd_sim_xkey {
    BD_SIM_XK_TARGET = 0,
    BD_SIM_XK_STATIC_MAX,
    BD_SIM_XK_FEATURE_BALLOON,
    BD_SIM_XK_AGENT_MEM_TOTAL, /* the agent's keys, in its write order */
    BD_SIM_XK_AGENT_MEM_AVAILABLE,
    BD_SIM_XK_AGENT_SWAP_TOTAL,
    BD_SIM_XK_AGENT_SWAP_FREE,
    BD_SIM_XK_AGENT_SWAPIN_RATE,
    BD_SIM_XK_AGENT_SWAPOUT_RATE,
    BD_SIM_XK_AGENT_MAJFLT_RATE,
    BD_SIM_XK_AGENT_PSI_SOME,
    BD_SIM_XK_AGENT_PSI_FULL,
    BD_SIM_XK_XE_MEMINFO_TOTAL,
    BD_SIM_XK_XE_MEMINFO_FREE,
    BD_SIM_XK_AGENT_SEQ,
    BD_SIM_XK_XE_UPDATED,
    BD_SIM_XK_QUBES_MEMINFO,
    BD_SIM_XK_NAME, /* the domain's name (bd_sim_rename()) */
    BD_SIM_XK_N
};
extern const char *const bd_sim_xkey_path[BD_SIM_XK_N];

/*
 * Read a key below /local/domain/DOMID as xenstore would return it (any
 * path of bd_sim_xkey_path[]).  Garbage guests return garbage strings in
 * their report keys (signs, junk, 20+ digit numbers, very long values).
 * Writes a NUL-terminated value into buf (truncated to len - 1) and
 * returns its full length, or -ENOENT (no such domain or key) / -EINVAL
 * (len == 0).  Positive return value: the value's length.
 */
int bd_sim_xs_read(const struct bd_sim *sim, uint32_t domid, const char *path,
                   char *buf, size_t len);

/*
 * The change log: what xenstored would fire watches for, in order.
 * key is an enum bd_sim_xkey, or BD_SIM_CH_INTRODUCE / BD_SIM_CH_RELEASE
 * (a domain created / destroyed).  Every write is logged, changed or not,
 * as xenstore fires a watch on every write.  The log grows until
 * bd_sim_changes_clear(); past BD_SIM_LOG_MAX entries it stops growing and
 * *overflow is set (the reader must then re-read everything).
 */
#define BD_SIM_CH_INTRODUCE (-1)
#define BD_SIM_CH_RELEASE (-2)
#define BD_SIM_LOG_MAX 65536
struct bd_sim_change {
    uint32_t domid;
    int key;
};
size_t bd_sim_changes(const struct bd_sim *sim,
                      const struct bd_sim_change **list, bool *overflow);
void bd_sim_changes_clear(struct bd_sim *sim);

/* The headroom a guest is promised (balloond's default headroom-min):
 * time with less available than this, while the host had it, is counted
 * as low_headroom_ms for every policy alike. */
#define BD_SIM_HEADROOM_KIB (64 * UINT64_C(1024))

/* Accumulated since creation, per domain: sum of max(0, demand - usable)
 * x time, in KiB*ms (usable = current - overhead), and number of target
 * changes.  -ENOENT. */
struct bd_sim_stats {
    uint64_t shortfall_kib_ms;
    uint64_t demand_kib_ms;
    uint64_t target_changes;
    uint64_t short_ms;     /* time with demand above usable */
    uint64_t idle_kib_ms;  /* max(0, usable - demand) x time */
    uint64_t low_headroom_ms; /* time with usable - demand below
                                 BD_SIM_HEADROOM_KIB while the host had
                                 the difference free (and static-max room) */
    /* the shortfall by cause (they sum to shortfall_kib_ms), KiB x ms:
     * over_max: demand beyond static-max (nobody can help);
     * unseen: the guest has not reported since its demand rose;
     * waits: it has, memory is free, its target was not moved since;
     * capped: the target was moved since, but not far enough, with the
     *   memory free;
     * moving: the target covers the need, the balloon is on its way;
     * not_free: the host has not the memory free to give */
    uint64_t short_over_max_kib_ms, short_unseen_kib_ms, short_waits_kib_ms,
        short_capped_kib_ms, short_moving_kib_ms, short_not_free_kib_ms;
    uint64_t reports;      /* reports written (any format) */
    uint64_t key_writes;   /* report keys written */
};
int bd_sim_dom_stats(const struct bd_sim *sim, uint32_t domid,
                     struct bd_sim_stats *out);

#endif /* BD_SIM_H */
