/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * decide.h - the small decisions the daemon takes around the plan.
 *
 * Design: bd_policy_plan() says where every target should go; carrying a
 * plan out still takes decisions of its own (write now or wait, how much
 * of a grow the free memory can fund, whether a stuck domain is asked
 * again, whether a report is worth an early plan, whether `balloonctl set`
 * or `reserve` can be granted).  They live here as pure functions of plain
 * numbers, beside the policy: no clock, no I/O, no daemon state, so the
 * loop, the control handlers, the simulator and the benchmark take the
 * same decisions, and each one has its own unit test (tests/test_decide.c).
 *
 * All sizes are KiB, all times milliseconds on the caller's clock.
 */
#ifndef BD_DECIDE_H
#define BD_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/policy/policy.h"

/* The range a domain's target may take. */
struct bd_range {
    uint64_t lo_kib; /* min, lowered to hi_kib when min > hi_kib */
    uint64_t hi_kib; /* min(max, static-max); static-max 0 = unknown */
};

/* [min, min(max, static-max)], with min clamped down to that upper bound
 * (a misconfiguration never lifts a target above static-max). */
struct bd_range bd_target_range(uint64_t min_kib, uint64_t max_kib,
                                uint64_t static_max_kib);

/* a - b, or 0 when b >= a. */
uint64_t bd_sub0(uint64_t a, uint64_t b);

/* Host memory free for anything new: free less outstanding claims. */
uint64_t bd_free_unclaimed_kib(uint64_t free_kib, uint64_t outstanding_kib);

/* What growth may take now: free (after claims) less growth already
 * promised to others (target above current) less what must stay free. */
uint64_t bd_growth_budget(uint64_t free_unclaimed_kib, uint64_t promised_kib,
                          uint64_t keep_free_kib);

/* How one planned write is carried out. */
enum bd_write_kind {
    BD_WRITE_NONE = 0, /* nothing to write */
    BD_WRITE_SHRINK,   /* lowers the target: written first */
    BD_WRITE_GROW,     /* raises it: only from free memory, after shrinks */
    BD_WRITE_RETRY,    /* the same target again, for a stuck domain whose
                          balloon driver may have missed it: with shrinks */
};

/* The kind of write a decision asks for, judged against the domain's
 * target now (not the plan's flag).  IGNORE domains are never written. */
enum bd_write_kind bd_write_kind_of(const struct bd_decision *dec,
                                    uint64_t target_now_kib, enum bd_mode mode);

/* Right after start balloond knows no history: a shrink waits until
 * shrink_delay has passed since start, unless the host is short of memory
 * now, an administrator asked for memory (a pin or a reservation waits
 * for it), the target now is outside the domain's range, the domain is
 * pinned or not in auto mode.  true = defer this shrink. */
struct bd_defer_in {
    uint64_t now_ms, start_ms, shrink_delay_ms;
    bool host_short;      /* free (after claims) below what must stay free */
    bool asked;           /* a pin or a reservation waits for memory */
    bool target_in_range; /* the target now is within bd_target_range() */
    bool pinned;
    enum bd_mode mode;
};
bool bd_defer_shrink(const struct bd_defer_in *in);

/*
 * The target to write for a grow from target_now to planned, given what the
 * budget allows: planned when the budget covers it; otherwise a partial grow
 * of the whole budget when that is worth a write (at least hysteresis and
 * a quarter of the grow, and reaching lo); otherwise 0 = wait for memory.
 */
uint64_t bd_grow_target(uint64_t target_now_kib, uint64_t planned_kib,
                        uint64_t budget_kib, uint64_t hysteresis_kib,
                        uint64_t lo_kib);

/* Does a fresh report ask for growth, so that a plan should run before
 * the next tick?  Pressure, or use plus headroom above target plus
 * hysteresis.  A report that is not present never does. */
bool bd_report_wants_growth(const struct bd_policy_params *p,
                            const struct bd_guest_stats *st,
                            uint64_t target_kib);

/*
 * May `balloonctl set` pin a domain at target_kib?  0; -ERANGE when
 * target_kib is outside range; -ENOSPC when the grow (target above current)
 * is more than available_kib, then *short_kib says by how much.
 */
int bd_admit_set(uint64_t target_kib, uint64_t current_kib,
                 struct bd_range range, uint64_t available_kib,
                 uint64_t *short_kib);

/* May `balloonctl reserve kib` be accepted, given what could be freed at
 * best (free plus every auto domain's memory above its min)?  0, or
 * -ENOSPC; *can_kib gets what could be reserved at most. */
int bd_admit_reserve(uint64_t kib, uint64_t freeable_kib,
                     uint64_t keep_free_kib, uint64_t *can_kib);

/* When a cycle asked for at now_ms (a kick) should run: after a short
 * delay that lets a burst of events settle, and never sooner than
 * BD_KICK_GAP_MS after the last cycle (0 = none yet), so that no guest can
 * make balloond spin. */
#define BD_KICK_GAP_MS 1000
#define BD_KICK_DELAY_MS 50
uint64_t bd_kick_at(uint64_t now_ms, uint64_t last_cycle_ms);

#endif /* BD_DECIDE_H */
