/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_calibration.c - the sim's testbed numbers are bench/calibration.csv's
 * (issue 21): at every measured size its kernel overhead and Xen's
 * per-domain overhead are within 5 % of what was measured, every type has
 * speeds for both profiles, and the source is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/calibration.h"
#include "sim/sim.h"

static void within_5pct(uint64_t got, uint64_t want, const char *what,
                        uint64_t smax_kib)
{
    uint64_t d = got > want ? got - want : want - got;

    if (d * 20 > want)
        fail_msg("%s at static-max %ju KiB: sim %ju, measured %ju KiB", what,
                 (uintmax_t)smax_kib, (uintmax_t)got, (uintmax_t)want);
}

static void overheads_match_every_measured_size(void **state)
{
    size_t n, measured = 0;
    const struct bd_cal_row *r = bd_cal_rows(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].measured)
            continue;
        measured++;
        assert_true(r[i].kernel_overhead_kib > 0);
        within_5pct(bd_cal_kernel_overhead_kib(r[i].type, r[i].static_max_kib),
                    r[i].kernel_overhead_kib, "kernel overhead",
                    r[i].static_max_kib);
        within_5pct(bd_cal_xen_overhead_kib(r[i].type, r[i].static_max_kib),
                    r[i].xen_overhead_kib, "Xen overhead", r[i].static_max_kib);
        if (r[i].type == BD_CAL_PV)
            within_5pct(bd_sim_linux_overhead_kib(r[i].static_max_kib),
                        r[i].kernel_overhead_kib, "the sim's PV overhead",
                        r[i].static_max_kib);
    }
    /* three guest types at three sizes at least */
    assert_true(measured >= 9);
}

static void every_type_has_both_speeds(void **state)
{
    (void)state;
    for (int t = BD_CAL_PV; t <= BD_CAL_HVM; t++)
        for (int p = BD_CAL_TCG; p <= BD_CAL_HW; p++) {
            assert_true(bd_cal_balloon_kib_s(t, true, p) > 0);
            assert_true(bd_cal_balloon_kib_s(t, false, p) > 0);
        }
    /* the estimate is for hardware: faster than the emulator */
    assert_true(bd_cal_balloon_kib_s(BD_CAL_PV, true, BD_CAL_HW) >
                bd_cal_balloon_kib_s(BD_CAL_PV, true, BD_CAL_TCG));
    /* the agent reports within about its 1 s sample interval, as the
     * sim's agent does (bench/MODEL.md) */
    assert_true(bd_cal_report_ms(BD_CAL_PV) > 0);
    assert_true(bd_cal_report_ms(BD_CAL_PV) <= 1500);
}

static void the_source_is_named(void **state)
{
    (void)state;
    assert_non_null(strstr(bd_cal_source(), "s40-calibrate"));
    assert_non_null(strstr(bd_cal_source(), "Xen "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overheads_match_every_measured_size),
        cmocka_unit_test(every_type_has_both_speeds),
        cmocka_unit_test(the_source_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
