/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_size.c - sizes and durations (common/size.c) from any string.
 *
 * Invariants (size.h): a parsed size is at most BD_SIZE_MAX_KIB, a
 * percentage at most 100.00 %, a duration at most BD_DURATION_MAX_MS, a
 * number within its bounds; every failure says why; a formatted size
 * fits its buffer.
 */
#include <errno.h>
#include <string.h>

#include "common/size.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    struct bd_size sz;
    uint64_t v;
    char *s, buf[32];
    int rc;

    /* The parsers take C strings: the input up to its first NUL. */
    s = strndup((const char *)data, size);
    FUZZ_CHECK(s);

    rc = bd_parse_size_kib(s, &v, &why);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc == 0) {
        FUZZ_CHECK(v <= BD_SIZE_MAX_KIB);
        bd_format_kib(v, buf, sizeof(buf));
        FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
    } else if (rc == -EINVAL) {
        FUZZ_CHECK(why && *why);
    }

    rc = bd_parse_size(s, true, &sz, &why);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc == 0) {
        if (sz.is_pct) {
            FUZZ_CHECK(sz.pct_x100 <= 10000);
            FUZZ_CHECK(bd_size_resolve(&sz, BD_SIZE_MAX_KIB) <=
                       BD_SIZE_MAX_KIB);
        } else {
            FUZZ_CHECK(sz.kib <= BD_SIZE_MAX_KIB);
        }
    }

    rc = bd_parse_duration_ms(s, &v, &why);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc == 0)
        FUZZ_CHECK(v <= BD_DURATION_MAX_MS);
    else if (rc == -EINVAL)
        FUZZ_CHECK(why && *why);

    rc = bd_parse_uint(s, 3, 70000, &v, &why);
    if (rc == 0)
        FUZZ_CHECK(v >= 3 && v <= 70000);
    free(s);
    return 0;
}
