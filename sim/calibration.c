/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * calibration.c - answers from bench/calibration.csv (see calibration.h).
 *
 * Design: the table is generated at build time (calibration_data.h, from
 * the CSV by bench/calgen.awk), so the sim does no I/O.  Sizes between and
 * beyond the measured ones come from a least-squares line over static-max:
 * the kernel's memmap and Xen's page tables both grow with it, and the
 * testbed's three sizes lie on a line to within a few hundred KiB.
 */
#include <stddef.h>

#include "sim/calibration.h"
#include "calibration_data.h"

#define NROWS (sizeof(cal_rows) / sizeof(cal_rows[0]))

const struct bd_cal_row *bd_cal_rows(size_t *n)
{
    if (n)
        *n = NROWS;
    return cal_rows;
}

const char *bd_cal_source(void)
{
    return cal_source;
}

enum cal_field { KERNEL_OVERHEAD, XEN_OVERHEAD };

static uint64_t field_of(const struct bd_cal_row *r, enum cal_field f)
{
    return f == KERNEL_OVERHEAD ? r->kernel_overhead_kib : r->xen_overhead_kib;
}

/* The least-squares line through the type's measured (static-max, value)
 * points at x; a single point is a constant.  0 without points.  Doubles:
 * the sums of squares of KiB sizes overflow nothing there. */
static uint64_t fit(enum bd_cal_guest t, uint64_t x_kib, enum cal_field f)
{
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, a, b, y;

    for (size_t i = 0; i < NROWS; i++) {
        const struct bd_cal_row *r = &cal_rows[i];
        double v = (double)field_of(r, f);
        double xs = (double)r->static_max_kib;

        if (!r->measured || r->type != t || !r->static_max_kib)
            continue;
        n++, sx += xs, sy += v, sxx += xs * xs, sxy += xs * v;
    }
    if (n == 0)
        return 0;
    b = n * sxx - sx * sx;
    b = b > 0 ? (n * sxy - sx * sy) / b : 0;
    a = (sy - b * sx) / n;
    y = a + b * (double)x_kib;
    return y > 0 ? (uint64_t)(y + 0.5) : 0;
}

uint64_t bd_cal_kernel_overhead_kib(enum bd_cal_guest t, uint64_t static_max_kib)
{
    return fit(t, static_max_kib, KERNEL_OVERHEAD);
}

uint64_t bd_cal_xen_overhead_kib(enum bd_cal_guest t, uint64_t static_max_kib)
{
    return fit(t, static_max_kib, XEN_OVERHEAD);
}

uint64_t bd_cal_balloon_kib_s(enum bd_cal_guest t, bool grow,
                              enum bd_cal_profile p)
{
    uint64_t sum = 0, n = 0;

    for (size_t i = 0; i < NROWS; i++) {
        const struct bd_cal_row *r = &cal_rows[i];
        uint64_t v = grow ? r->grow_kib_s : r->shrink_kib_s;

        if (r->type != t || r->measured != (p == BD_CAL_TCG) || !v)
            continue;
        sum += v, n++;
    }
    return n ? sum / n : 0;
}

uint64_t bd_cal_report_ms(enum bd_cal_guest t)
{
    uint64_t v[16];
    size_t n = 0;

    for (size_t i = 0; i < NROWS && n < 16; i++)
        if (cal_rows[i].measured && cal_rows[i].type == t && cal_rows[i].report_ms)
            v[n++] = cal_rows[i].report_ms;
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of rows */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t x = v[j];
            v[j] = v[j - 1], v[j - 1] = x;
        }
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}
