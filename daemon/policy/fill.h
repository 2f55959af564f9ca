/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fill.h - sharing a budget among items that each have room to grow: the
 * fill algorithms behind the policy's plan (daemon/policy/policy.c).
 *
 * Design: pure functions on the caller's array of plain items; no clock,
 * no I/O, no globals, no allocation (the caller passes the scratch).  Every
 * fill only raises alloc, never above cap, and hands out at most the budget
 * it is given.  The two fair fills round levels down: of the budget (or of
 * the total room, if smaller) they may leave up to m + sum(weight) / 2^20
 * KiB ungiven.  Ties are broken by the order of the items (the sorts are
 * stable), so the same items give the same result.
 *
 * Sizes are KiB, each at most BD_FILL_MAX_KIB and their sum too (the
 * fixed-point arithmetic keeps 20 fractional bits in 64).  A weight of 0
 * counts as 1; weights above BD_FILL_MAX_WEIGHT are not supported.
 */
#ifndef BD_FILL_H
#define BD_FILL_H

#include <stddef.h>
#include <stdint.h>

#define BD_FILL_MAX_KIB (UINT64_C(1) << 40)
#define BD_FILL_MAX_WEIGHT (UINT64_C(1) << 44)

/* Scratch a fill over m items needs: m * BD_FILL_SCRATCH_WORDS uint64_t. */
#define BD_FILL_SCRATCH_WORDS 8

struct bd_fill_item {
    uint64_t alloc;  /* in/out: what the item has; a fill only raises it */
    uint64_t cap;    /* alloc is never raised above this */
    uint64_t lo;     /* bd_fill_level(): the level counts from here;
                        lo <= alloc */
    uint64_t weight; /* how fast the item rises with the level */
};

/*
 * Weighted max-min fairness from where each item stands: raises every
 * alloc by min(cap - alloc, weight * L), with the level L as high as budget
 * allows.  Returns what was handed out (<= budget).
 */
uint64_t bd_fill_water(struct bd_fill_item *it, size_t m, uint64_t budget,
                       uint64_t *scratch);

/*
 * Weighted max-min fairness above lo: every alloc ends at
 * clamp(lo + weight * L, alloc, cap), L as high as budget allows; an item
 * already above the level keeps what it has and gets no more.  Returns what
 * was added (<= budget; rounding excess is taken back in item order).
 */
uint64_t bd_fill_level(struct bd_fill_item *it, size_t m, uint64_t budget,
                       uint64_t *scratch);

/*
 * Few, whole grants: in order of room per weight ((cap - alloc) / weight,
 * smallest first), the longest run of items whose rooms fit in budget
 * together gets its whole room; the others get nothing.  Returns what was
 * handed out.
 */
uint64_t bd_fill_cut(struct bd_fill_item *it, size_t m, uint64_t budget,
                     uint64_t *scratch);

#endif /* BD_FILL_H */
