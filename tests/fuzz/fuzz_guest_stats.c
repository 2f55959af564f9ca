/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_guest_stats.c - the three guest report conventions (balloon-agent's
 * data/balloon/ keys, XenServer's data/meminfo_total + meminfo_free, Qubes'
 * memory/meminfo) through bd_guest_stats_parse() (daemon/policy/guest_stats.c).
 *
 * Input: 2 bytes of which-keys-are-present bits (bit k: enum bd_stat_key
 * k), 4 bytes of the domain's static-max in MiB (0 = unknown), then the
 * values of keys 0, 1, ... separated by 0xff bytes (a key whose bit is
 * clear is absent whatever its chunk holds).
 *
 * Invariants (guest_stats.h): a report that parses is present, never says
 * the guest uses or has more than its static-max (plus the parser's
 * slack), and its PSI is at most 100 %; a rejected one leaves nothing
 * behind (all zero, seq 0) and says why; no keys at all is -ENOENT.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/size.h"
#include "daemon/policy/guest_stats.h"
#include "tests/fuzz/fuzz.h"

/* guest_stats.c's tolerance above static-max (SIZE_SLACK_KIB). */
#define SLACK_KIB 4096

static bool all_zero(const void *p, size_t len)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < len; i++)
        if (b[i])
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct bd_stat_raw raw;
    struct bd_guest_stats st;
    uint64_t mask, cap_kib, seq = 77, limit;
    const char *why = NULL;
    int bad_key = 99, rc;
    bool any = false;

    memset(&raw, 0, sizeof(raw));
    mask = fuzz_u64(&in, 2);
    cap_kib = fuzz_u64(&in, 4) * 1024;
    for (int k = 0; k < BD_SK_N; k++) {
        const uint8_t *end = memchr(in.p, 0xff, in.left);
        size_t len = end ? (size_t)(end - in.p) : in.left;

        if (mask & (UINT64_C(1) << k)) {
            raw.val[k] = (const char *)in.p;
            raw.len[k] = len;
            any = true;
        }
        in.p += len;
        in.left -= len;
        if (in.left) {
            in.p++;
            in.left--;
        }
    }
    memset(&st, 0xa5, sizeof(st));
    rc = bd_guest_stats_parse(&raw, cap_kib, 1234, &st, &seq, &why,
                              &bad_key);
    if (rc == 0) {
        limit = cap_kib ? cap_kib + SLACK_KIB : BD_SIZE_MAX_KIB;
        if (limit > BD_SIZE_MAX_KIB)
            limit = BD_SIZE_MAX_KIB;
        FUZZ_CHECK(st.present);
        FUZZ_CHECK(st.time_ms == 1234);
        FUZZ_CHECK(st.used_kib <= limit);
        FUZZ_CHECK(st.total_kib <= limit);
        FUZZ_CHECK(!st.total_kib || st.used_kib <= st.total_kib);
        FUZZ_CHECK(!st.has_psi || st.psi_some_x100 <= 10000);
        FUZZ_CHECK(st.swap_used_kib <= BD_SIZE_MAX_KIB);
        FUZZ_CHECK(bad_key == -1);
        return 0;
    }
    /* -EAGAIN: XenServer's pair caught between its two writes. */
    FUZZ_CHECK(rc == -EINVAL || rc == -ENOENT || rc == -EAGAIN);
    FUZZ_CHECK(all_zero(&st, sizeof(st)));
    FUZZ_CHECK(seq == 0);
    if (rc == -ENOENT) {
        /* Only keys no convention starts from (rates, seq, ...), or the
         * empty memory/meminfo qubesd creates: no report yet. */
        bool qubes_empty = raw.val[BD_SK_QUBES] &&
                           (raw.len[BD_SK_QUBES] == 0 ||
                            (raw.len[BD_SK_QUBES] == 1 &&
                             raw.val[BD_SK_QUBES][0] == '\n'));
        FUZZ_CHECK(qubes_empty ||
                   (!raw.val[BD_SK_MEM_TOTAL] && !raw.val[BD_SK_MEM_AVAIL] &&
                    !raw.val[BD_SK_QUBES]));
        return 0;
    }
    FUZZ_CHECK(any);
    FUZZ_CHECK(why && *why);
    FUZZ_CHECK(bad_key >= -1 && bad_key < BD_SK_N);
    return 0;
}
