/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reason.h - the one-line reason the policy gives for each planned target
 * (struct bd_decision.reason, shown by `balloonctl show`).
 *
 * Design: the plan gathers the facts behind a decision into a plain struct;
 * bd_reason_write() only words them.  Pure: no clock, no I/O, no printf
 * (reasons are built for every domain on every plan).
 */
#ifndef BD_REASON_H
#define BD_REASON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/policy/policy.h"

/* Which signal says that a guest's working set does not fit. */
enum bd_press {
    BD_PRESS_NONE = 0,
    BD_PRESS_PSI,    /* value: PSI some avg10, percent * 100 */
    BD_PRESS_SWAPIN, /* value: pages/s */
    BD_PRESS_MAJFLT, /* value: major faults/s */
};

/* What the plan decided for one domain, and why.  Sizes KiB, times ms. */
struct bd_reason_facts {
    enum bd_state state;
    bool write;          /* the decision writes a target */
    bool shrink;         /* ... lower than the one in force */
    bool stats;          /* planned with a fresh guest report */
    bool limited;        /* held growth cut by the budget */
    bool retry;          /* stuck, and asked again this plan */
    enum bd_press press; /* the pressure signal, with its value */
    uint32_t press_val;
    uint64_t target_kib;     /* planned */
    uint64_t in_force_kib;   /* memory/target now */
    uint64_t held_kib;       /* pinned, fixed or external target */
    uint64_t lo_kib, hi_kib; /* planning bounds (min raised by what a stuck
                                domain holds, max lowered by a clip) */
    uint64_t min_kib;        /* configured min, clamped to the max */
    uint64_t need_kib;       /* use plus headroom, within the bounds */
    uint64_t want_kib;       /* the need's held peak: above it, a target
                                holds lent spare memory */
    uint64_t alloc_kib;      /* what the fair share gave */
    uint64_t used_kib;       /* use counted for the guest */
    uint64_t clip_kib;       /* learned ceiling, 0 = none */
    uint64_t stalled_ms;     /* since the last progress */
    uint64_t peak_age_ms;    /* since the need last peaked */
    uint64_t peak_kib;       /* the peak-held want */
    uint64_t shrink_delay_ms;
};

/* Words f into buf (NUL-terminated, cut to len - 1 bytes; len >= 1). */
void bd_reason_write(const struct bd_reason_facts *f, char *buf, size_t len);

#endif /* BD_REASON_H */
