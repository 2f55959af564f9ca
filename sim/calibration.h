/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * calibration.h - the simulated host's numbers from the real testbed.
 *
 * Design: bench/calibration.csv, written by tests/e2e/calibrate.sh from
 * real Xen under QEMU, is the one home of these numbers; the build turns
 * it into a table (bench/calgen.awk) and the functions below answer from
 * that table, fitting a line through the measured sizes for sizes between
 * and beyond them.  Pure: no I/O, no clock, no globals but the constant
 * table.  The sim (sim/sim.c), the benchmark and the tests all ask here.
 */
#ifndef BD_SIM_CALIBRATION_H
#define BD_SIM_CALIBRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bd_cal_guest { BD_CAL_PV = 0, BD_CAL_PVH, BD_CAL_HVM };

/* Whose balloon speeds: the testbed's (QEMU TCG, measured) or the hardware
 * estimate (the measured ones times the emulator's slowdown). */
enum bd_cal_profile { BD_CAL_TCG = 0, BD_CAL_HW };

/* One row of bench/calibration.csv; 0 = not given. */
struct bd_cal_row {
    bool measured; /* false: the hardware estimate */
    enum bd_cal_guest type;
    uint64_t static_max_kib;
    uint64_t kernel_overhead_kib; /* domain pages less MemTotal */
    uint64_t xen_overhead_kib;    /* libxl_domain_need_memory() - memory */
    uint64_t grow_kib_s, shrink_kib_s;
    uint64_t report_ms; /* a memory change to the agent's report */
};

/* The table and its length. */
const struct bd_cal_row *bd_cal_rows(size_t *n);
/* The file's source lines (where and when it was measured), one string. */
const char *bd_cal_source(void);

/* What a guest's kernel holds outside MemTotal at this static-max: the
 * least-squares line through the type's measured rows.  Never 0 for a
 * type with rows. */
uint64_t bd_cal_kernel_overhead_kib(enum bd_cal_guest t, uint64_t static_max_kib);
/* Xen's per-domain overhead (libxl_domain_need_memory() less memory) at
 * this static-max: the line through the type's measured rows. */
uint64_t bd_cal_xen_overhead_kib(enum bd_cal_guest t, uint64_t static_max_kib);
/* Balloon speed, KiB/s, growing or shrinking, for the profile: the mean of
 * the type's rows of that profile. */
uint64_t bd_cal_balloon_kib_s(enum bd_cal_guest t, bool grow,
                              enum bd_cal_profile p);
/* Median over the type's measured rows of the report delay, ms. */
uint64_t bd_cal_report_ms(enum bd_cal_guest t);

#endif
