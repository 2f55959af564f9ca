/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fill.c - the fill algorithms of the policy (see fill.h for the contracts).
 *
 * Design.  All three work on fixed-point levels: KiB << 20 per weight unit,
 * which fits in 64 bits for sizes up to BD_FILL_MAX_KIB, and in 128 bits
 * once multiplied by a weight or summed.  Where a level has to be rounded,
 * it is rounded down and every grant is capped at the item's room, so the
 * total never exceeds the budget.  Sorting is one stable LSD radix sort
 * (insertion sort for a handful), O(m): ties stay in item order, which is
 * what makes the fills deterministic.
 *
 * Cost: O(m) and at most one sort (of m keys, or 2m for the level fill).
 */
#include <stdbool.h>
#include <string.h>

#include "daemon/policy/fill.h"

static uint64_t minu(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t wt(const struct bd_fill_item *x)
{
    return x->weight ? x->weight : 1;
}

static uint64_t room_of(const struct bd_fill_item *x)
{
    return x->cap > x->alloc ? x->cap - x->alloc : 0;
}

/* Stable sort of (key, val) pairs by key: insertion sort for a handful,
 * else an LSD radix sort, 8 bits a pass, skipping digits that order
 * nothing.  key2/val2 are scratch of m. */
static void radix_sort(uint64_t *key, uint64_t *val, size_t m, uint64_t *key2,
                       uint64_t *val2)
{
    size_t count[256];
    size_t k;

    if (m < 48) {
        for (k = 1; k < m; k++) {
            uint64_t kk = key[k], vv = val[k];
            size_t j = k;
            while (j > 0 && key[j - 1] > kk) {
                key[j] = key[j - 1];
                val[j] = val[j - 1];
                j--;
            }
            key[j] = kk;
            val[j] = vv;
        }
        return;
    }
    for (unsigned shift = 0; shift < 64; shift += 8) {
        uint64_t first = (key[0] >> shift) & 0xff;
        bool same = true;

        for (k = 1; k < m && same; k++)
            same = ((key[k] >> shift) & 0xff) == first;
        if (same)
            continue;
        memset(count, 0, sizeof(count));
        for (k = 0; k < m; k++)
            count[(key[k] >> shift) & 0xff]++;
        for (size_t c = 0, sum = 0; c < 256; c++) {
            size_t t = count[c];
            count[c] = sum;
            sum += t;
        }
        for (k = 0; k < m; k++) {
            size_t pos = count[(key[k] >> shift) & 0xff]++;
            key2[pos] = key[k];
            val2[pos] = val[k];
        }
        memcpy(key, key2, m * sizeof(*key));
        memcpy(val, val2, m * sizeof(*val));
    }
}

/* idx[0..m) = the items by room per weight, ascending, on a fixed-point
 * key (room * 2^20 / weight fits in 61 bits).  Keys that compare equal
 * only after rounding are harmless: the fills re-check every item exactly
 * and cap each at its room.  key, key2 and idx2 are scratch of m. */
static void sort_by_room(const struct bd_fill_item *it, size_t m, uint64_t *idx,
                         uint64_t *key, uint64_t *key2, uint64_t *idx2)
{
    for (size_t k = 0; k < m; k++) {
        idx[k] = k;
        key[k] = (room_of(&it[k]) << 20) / wt(&it[k]);
    }
    radix_sort(key, idx, m, key2, idx2);
}

uint64_t bd_fill_water(struct bd_fill_item *it, size_t m, uint64_t budget,
                       uint64_t *scratch)
{
    uint64_t *idx = scratch, *key = idx + m, *key2 = key + m, *idx2 = key2 + m;
    unsigned __int128 wsum = 0;
    uint64_t given = 0;
    size_t k;

    if (m == 0)
        return 0;
    sort_by_room(it, m, idx, key, key2, idx2);
    for (k = 0; k < m; k++)
        wsum += wt(&it[k]);
    for (k = 0; k < m; k++) {
        struct bd_fill_item *x = &it[idx[k]];
        uint64_t room = room_of(x);
        /* room/w <= budget/wsum: the level covers this item entirely */
        if ((unsigned __int128)room * wsum <=
            (unsigned __int128)budget * wt(x)) {
            x->alloc += room;
            budget -= room;
            given += room;
            wsum -= wt(x);
            continue;
        }
        /* everyone from here on is cut at the level budget/wsum: one
         * division, and floor() keeps the sum within the budget */
        {
            unsigned __int128 level = ((unsigned __int128)budget << 20) / wsum;
            for (size_t j = k; j < m; j++) {
                struct bd_fill_item *q = &it[idx[j]];
                uint64_t v = (uint64_t)((level * wt(q)) >> 20);
                v = minu(v, room_of(q));
                q->alloc += v;
                budget -= v;
                given += v;
            }
        }
        break;
    }
    return given;
}

/* The level (fixed point) at which the items together would take want
 * (budget << 20), from the sorted points where items start and stop
 * rising; *all is set when even every cap takes less than that. */
static unsigned __int128 find_level(const struct bd_fill_item *it,
                                    const uint64_t *ek, const uint64_t *ev,
                                    size_t ne, unsigned __int128 want,
                                    bool *all)
{
    unsigned __int128 slope = 0, got = 0;
    uint64_t prev = 0;

    *all = true;
    for (size_t k = 0; k < ne; k++) {
        unsigned __int128 seg = slope * (ek[k] - prev);
        if (got + seg >= want) {
            *all = false;
            return prev + (slope ? (want - got) / slope : 0);
        }
        got += seg;
        prev = ek[k];
        if (ev[k] % 2 == 0)
            slope += wt(&it[ev[k] / 2]);
        else
            slope -= wt(&it[ev[k] / 2]);
    }
    return 0;
}

uint64_t bd_fill_level(struct bd_fill_item *it, size_t m, uint64_t budget,
                       uint64_t *scratch)
{
    uint64_t *ek = scratch, *ek2 = ek + 2 * m, *ev = ek2 + 2 * m;
    uint64_t *ev2 = ev + 2 * m, *had = ek2;
    unsigned __int128 level;
    uint64_t added = 0;
    bool all;
    size_t ne = 0, k;

    for (k = 0; k < m; k++) {
        const struct bd_fill_item *x = &it[k];
        if (x->cap <= x->alloc)
            continue;
        ek[ne] = ((x->alloc - x->lo) << 20) / wt(x);
        ev[ne++] = k * 2; /* starts rising */
        ek[ne] = ((x->cap - x->lo) << 20) / wt(x);
        ev[ne++] = k * 2 + 1; /* reaches its cap */
    }
    if (ne == 0)
        return 0;
    radix_sort(ek, ev, ne, ek2, ev2);
    level = find_level(it, ek, ev, ne, (unsigned __int128)budget << 20, &all);
    /* ek2 is free again: it keeps what each item had on entry */
    for (k = 0; k < m; k++) {
        struct bd_fill_item *x = &it[k];
        uint64_t a;
        had[k] = x->alloc;
        if (x->cap <= x->alloc)
            continue;
        if (all) {
            a = x->cap;
        } else {
            unsigned __int128 v = x->lo + ((level * wt(x)) >> 20);
            a = v > x->cap ? x->cap : (uint64_t)v;
            if (a < x->alloc)
                a = x->alloc;
        }
        added += a - x->alloc;
        x->alloc = a;
    }
    /* rounding may overshoot by a few KiB: take it back, in order */
    for (k = 0; k < m && added > budget; k++) {
        struct bd_fill_item *x = &it[k];
        uint64_t give;
        if (x->alloc <= had[k])
            continue;
        give = minu(x->alloc - had[k], added - budget);
        x->alloc -= give;
        added -= give;
    }
    return added;
}

uint64_t bd_fill_cut(struct bd_fill_item *it, size_t m, uint64_t budget,
                     uint64_t *scratch)
{
    uint64_t *idx = scratch, *key = idx + m, *key2 = key + m, *idx2 = key2 + m;
    uint64_t total = 0, given = 0;
    size_t k, keep;

    if (m == 0)
        return 0;
    sort_by_room(it, m, idx, key, key2, idx2);
    for (k = 0; k < m; k++)
        total += room_of(&it[k]);
    for (keep = m; keep > 0 && total > budget; keep--)
        total -= room_of(&it[idx[keep - 1]]);
    for (k = 0; k < keep; k++) {
        struct bd_fill_item *x = &it[idx[k]];
        uint64_t room = room_of(x);
        x->alloc += room;
        given += room;
    }
    return given;
}
