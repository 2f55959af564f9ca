/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Design: each harness is one file with LLVMFuzzerTestOneInput() over one
 * of the project's parsers, linked with the project's own sources.  It is
 * built twice: with clang -fsanitize=fuzzer,address,undefined for `make
 * fuzz`, and with the normal compiler and replay.c as main() for `make
 * check`, which replays the seed corpus and every input that once found a
 * bug (tests/fuzz/regress/) through the same invariants.  An invariant
 * that does not hold calls FUZZ_CHECK's abort(), which both builds report.
 *
 * struct fuzz_in hands out the input's bytes as typed values, so that a
 * harness that needs numbers (the planner, the guest report keys) gets
 * in-range ones from any input; past the end it hands out zeros.
 */
#ifndef BD_FUZZ_H
#define BD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: abort with its text and line when it does not hold. */
#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

struct fuzz_in {
    const uint8_t *p;
    size_t left;
};

static inline uint64_t fuzz_u64(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v <<= 8;
        if (in->left) {
            v |= *in->p++;
            in->left--;
        }
    }
    return v;
}

/* A value in [lo, hi] (lo <= hi). */
static inline uint64_t fuzz_range(struct fuzz_in *in, uint64_t lo,
                                  uint64_t hi)
{
    uint64_t span = hi - lo;
    unsigned bytes = 0;

    for (uint64_t s = span; s; s >>= 8)
        bytes++;
    if (span == UINT64_MAX)
        return fuzz_u64(in, 8);
    return lo + fuzz_u64(in, bytes) % (span + 1);
}

#endif /* BD_FUZZ_H */
