/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rng.h - the tests' one pseudo-random generator (xorshift64): seeded,
 * deterministic, the same sequence on every machine.
 */
#ifndef BD_TESTS_RNG_H
#define BD_TESTS_RNG_H

#include <stdint.h>

/* The next value from state *s (never seed it with 0). */
static inline uint64_t rng(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#endif /* BD_TESTS_RNG_H */
