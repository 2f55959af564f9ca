/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_procfs.c - balloon-agent's /proc parsers (agent/procfs.c).
 *
 * Input: one byte choosing the file (meminfo, vmstat, pressure/memory),
 * then the file's bytes.
 *
 * Invariants (procfs.h): a meminfo that parses has MemTotal > 0, sizes
 * within BD_SIZE_MAX_KIB, available <= total and swap free <= swap
 * total; a PSI avg10 is at most 100.00 %; and every parser is
 * deterministic (a second parse of the same bytes gives the same result).
 */
#include <errno.h>
#include <string.h>

#include "agent/procfs.h"
#include "common/size.h"
#include "tests/fuzz/fuzz.h"

static void meminfo(const char *buf, size_t len)
{
    struct bd_meminfo m, m2;
    int rc = bd_meminfo_parse(buf, len, &m);

    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE || rc == -ENODATA);
    FUZZ_CHECK(bd_meminfo_parse(buf, len, &m2) == rc);
    if (rc)
        return;
    FUZZ_CHECK(m.total_kib == m2.total_kib && m.free_kib == m2.free_kib &&
               m.available_kib == m2.available_kib &&
               m.has_available == m2.has_available &&
               m.swap_total_kib == m2.swap_total_kib &&
               m.swap_free_kib == m2.swap_free_kib);
    FUZZ_CHECK(m.total_kib > 0 && m.total_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(m.free_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(m.available_kib <= m.total_kib);
    FUZZ_CHECK(m.swap_total_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(m.swap_free_kib <= m.swap_total_kib);
}

static void vmstat(const char *buf, size_t len)
{
    struct bd_vmstat v, v2;
    uint64_t rate;
    int rc = bd_vmstat_parse(buf, len, &v);

    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    FUZZ_CHECK(bd_vmstat_parse(buf, len, &v2) == rc);
    if (rc || !v.present)
        return;
    FUZZ_CHECK(v2.present && v.pswpin == v2.pswpin &&
               v.pswpout == v2.pswpout && v.pgmajfault == v2.pgmajfault);
    /* Rates between two readings never fail for elapsed > 0. */
    rc = bd_counter_rate(v.pswpin, v.pswpout, 1 + v.pgmajfault % 100000,
                         &rate);
    FUZZ_CHECK(rc == 0 || rc == 1);
    FUZZ_CHECK(rc == 0 || rate == 0);
}

static void psi(const char *buf, size_t len)
{
    struct bd_psi p, p2;
    int rc = bd_psi_parse(buf, len, &p);

    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    FUZZ_CHECK(bd_psi_parse(buf, len, &p2) == rc);
    if (rc)
        return;
    FUZZ_CHECK(p.some_x100 == p2.some_x100 && p.full_x100 == p2.full_x100 &&
               p.has_full == p2.has_full);
    FUZZ_CHECK(p.some_x100 <= 10000);
    FUZZ_CHECK(!p.has_full || p.full_x100 <= 10000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data + 1;

    if (size < 1 || size - 1 > BD_PROCFS_MAX_BYTES)
        return 0;
    switch (data[0] % 3) {
    case 0:
        meminfo(buf, size - 1);
        break;
    case 1:
        vmstat(buf, size - 1);
        break;
    default:
        psi(buf, size - 1);
        break;
    }
    return 0;
}
