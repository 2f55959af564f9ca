/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_agent_report.c - balloon-agent's write decision and key list.
 *
 * The decision is a pure function, so these tests walk it through time by
 * hand: a first report, quiet periods, drift below and past the
 * threshold, pressure from each source, the pressure heartbeat, keys
 * appearing and disappearing.  A final test replays an idle guest for an
 * hour of 1 s samples and counts the writes (the issue's < 2/min goal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/report.h"

/* A 4 GiB guest, 3 GiB available, no swap, PSI present and zero. */
static struct bd_agent_sample idle(void)
{
    struct bd_agent_sample s;

    memset(&s, 0, sizeof(s));
    s.mem.total_kib = 4194304;
    s.mem.free_kib = 2097152;
    s.mem.available_kib = 3145728;
    s.mem.has_available = true;
    s.has_rates = true;
    s.has_psi = true;
    s.psi.has_full = true;
    return s;
}

static struct bd_report_settings defaults(void)
{
    struct bd_report_settings set;

    bd_report_settings_init(&set);
    return set;
}

/* Decide and, when it says so, commit as the agent does after a write. */
static enum bd_report_reason step(struct bd_report_state *st,
                                  const struct bd_agent_sample *s,
                                  uint64_t now_ms,
                                  const struct bd_report_settings *set)
{
    enum bd_report_reason r = bd_report_decide(st, s, now_ms, set);

    if (r != BD_REPORT_NONE)
        bd_report_commit(st, s, now_ms, set);
    return r;
}

static void test_defaults(void **state)
{
    struct bd_report_settings set = defaults();

    (void)state;
    assert_int_equal(set.threshold_x100, 200);
    assert_int_equal(set.heartbeat_ms, 60000);
    assert_int_equal(set.pressure_heartbeat_ms, 5000);
}

static void test_initial_and_heartbeat(void **state)
{
    struct bd_report_settings set = defaults();
    struct bd_report_state st = { 0 };
    struct bd_agent_sample s = idle();

    (void)state;
    assert_int_equal(step(&st, &s, 1000, &set), BD_REPORT_INITIAL);
    assert_true(st.valid);
    assert_int_equal(st.written_ms, 1000);
    /* Nothing changes: silent until the heartbeat, then exactly then. */
    for (uint64_t t = 2000; t < 61000; t += 1000)
        assert_int_equal(step(&st, &s, t, &set), BD_REPORT_NONE);
    assert_int_equal(step(&st, &s, 61000, &set), BD_REPORT_HEARTBEAT);
    assert_int_equal(step(&st, &s, 62000, &set), BD_REPORT_NONE);
    /* A clock that goes back does not cause a write storm. */
    assert_int_equal(step(&st, &s, 500, &set), BD_REPORT_NONE);
}

static void test_threshold(void **state)
{
    struct bd_report_settings set = defaults();
    struct bd_report_state st = { 0 };
    struct bd_agent_sample s = idle();
    /* 2% of 4 GiB = 83886.08 KiB. */

    (void)state;
    step(&st, &s, 0, &set);
    s.mem.available_kib -= 83886; /* exactly below */
    assert_int_equal(step(&st, &s, 1000, &set), BD_REPORT_NONE);
    /* Drift adds up against the last *written* value. */
    s.mem.available_kib -= 1;
    assert_int_equal(step(&st, &s, 2000, &set), BD_REPORT_CHANGE);
    /* Up as well as down. */
    s.mem.available_kib += 83887;
    assert_int_equal(step(&st, &s, 3000, &set), BD_REPORT_CHANGE);
    /* MemTotal moving (the balloon) counts too. */
    s.mem.total_kib -= 100000;
    assert_int_equal(step(&st, &s, 4000, &set), BD_REPORT_CHANGE);

    /* Threshold 0: any change; 100%: only the heartbeat. */
    set.threshold_x100 = 0;
    s.mem.available_kib -= 1;
    assert_int_equal(step(&st, &s, 5000, &set), BD_REPORT_CHANGE);
    assert_int_equal(step(&st, &s, 6000, &set), BD_REPORT_NONE);
    set.threshold_x100 = 10000;
    s.mem.available_kib = 0;
    assert_int_equal(step(&st, &s, 7000, &set), BD_REPORT_NONE);
}

static void test_pressure_sources(void **state)
{
    struct bd_report_settings set = defaults();
    struct bd_agent_sample s = idle();

    (void)state;
    assert_false(bd_sample_pressure(&s, &set));
    s.swapin_rate = 9;
    assert_false(bd_sample_pressure(&s, &set));
    s.swapin_rate = 10;
    assert_true(bd_sample_pressure(&s, &set));
    s.swapin_rate = 0;
    s.majflt_rate = 99;
    assert_false(bd_sample_pressure(&s, &set));
    s.majflt_rate = 100;
    assert_true(bd_sample_pressure(&s, &set));
    /* Rates that are not there do not count. */
    s.has_rates = false;
    assert_false(bd_sample_pressure(&s, &set));
    s.psi.some_x100 = 1;
    assert_true(bd_sample_pressure(&s, &set));
    s.has_psi = false;
    assert_false(bd_sample_pressure(&s, &set));
    /* Swap-out alone is the kernel doing its job, not pressure felt. */
    s = idle();
    s.swapout_rate = 100000;
    assert_false(bd_sample_pressure(&s, &set));
}

static void test_pressure_on_off(void **state)
{
    struct bd_report_settings set = defaults();
    struct bd_report_state st = { 0 };
    struct bd_agent_sample s = idle();
    uint64_t t;

    (void)state;
    step(&st, &s, 0, &set);
    /* Onset at once, memory unchanged. */
    s.psi.some_x100 = 5;
    assert_int_equal(step(&st, &s, 1000, &set), BD_REPORT_PRESSURE_ON);
    assert_true(st.pressure);
    /* While under pressure: the faster heartbeat. */
    for (t = 2000; t < 6000; t += 1000)
        assert_int_equal(step(&st, &s, t, &set), BD_REPORT_NONE);
    assert_int_equal(step(&st, &s, 6000, &set), BD_REPORT_HEARTBEAT);
    /* End at once too. */
    s.psi.some_x100 = 0;
    assert_int_equal(step(&st, &s, 7000, &set), BD_REPORT_PRESSURE_OFF);
    assert_false(st.pressure);
    assert_int_equal(step(&st, &s, 12000, &set), BD_REPORT_NONE);
    /* Swap-in onset. */
    s.swapin_rate = 500;
    assert_int_equal(step(&st, &s, 13000, &set), BD_REPORT_PRESSURE_ON);
    /* A pressure heartbeat longer than the heartbeat never applies. */
    set.heartbeat_ms = 2000;
    set.pressure_heartbeat_ms = 5000;
    assert_int_equal(step(&st, &s, 14000, &set), BD_REPORT_NONE);
    assert_int_equal(step(&st, &s, 15000, &set), BD_REPORT_HEARTBEAT);
}

static void test_key_presence_change(void **state)
{
    struct bd_report_settings set = defaults();
    struct bd_report_state st = { 0 };
    struct bd_agent_sample s = idle();

    (void)state;
    step(&st, &s, 0, &set);
    s.has_psi = false;
    assert_int_equal(step(&st, &s, 1000, &set), BD_REPORT_CHANGE);
    assert_int_equal(step(&st, &s, 2000, &set), BD_REPORT_NONE);
    s.has_psi = true;
    s.psi.has_full = false;
    assert_int_equal(step(&st, &s, 3000, &set), BD_REPORT_CHANGE);
    s.has_rates = false;
    assert_int_equal(step(&st, &s, 4000, &set), BD_REPORT_CHANGE);
    assert_int_equal(step(&st, &s, 5000, &set), BD_REPORT_NONE);
}

static void test_keys(void **state)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = idle();
    size_t n;

    (void)state;
    s.mem.total_kib = 1015808;
    s.mem.available_kib = 40960;
    s.mem.swap_total_kib = 1048572;
    s.mem.swap_free_kib = 612000;
    s.swapin_rate = 2000;
    s.swapout_rate = 500;
    s.majflt_rate = 3000;
    s.psi.some_x100 = 2345;
    s.psi.full_x100 = 1203;
    n = bd_report_keys(&s, 18446744073709551615u, kv);
    assert_int_equal(n, BD_REPORT_NKEYS);

    static const char *const want[BD_REPORT_NKEYS][2] = {
        { "data/balloon/mem-total", "1015808" },
        { "data/balloon/mem-available", "40960" },
        { "data/balloon/swap-total", "1048572" },
        { "data/balloon/swap-free", "612000" },
        { "data/balloon/swapin-rate", "2000" },
        { "data/balloon/swapout-rate", "500" },
        { "data/balloon/majflt-rate", "3000" },
        { "data/balloon/psi-some", "2345" },
        { "data/balloon/psi-full", "1203" },
        { "data/meminfo_total", "1015808" },
        { "data/meminfo_free", "40960" },
        { "data/balloon/seq", "18446744073709551615" },
    };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(kv[i].key, want[i][0]);
        assert_true(kv[i].present);
        assert_string_equal(kv[i].value, want[i][1]);
    }

    /* Without PSI and rates those keys are marked absent (to remove). */
    s.has_psi = false;
    s.has_rates = false;
    n = bd_report_keys(&s, 7, kv);
    for (size_t i = 0; i < n; i++) {
        bool optional = i >= 4 && i <= 8;
        assert_int_equal(kv[i].present, !optional);
        if (optional)
            assert_string_equal(kv[i].value, "");
    }
    assert_string_equal(kv[n - 1].key, "data/balloon/seq");
    assert_string_equal(kv[n - 1].value, "7");
    /* full is never written above some. */
    s.has_psi = true;
    s.psi.has_full = true;
    s.psi.some_x100 = 12;
    s.psi.full_x100 = 13;
    bd_report_keys(&s, 8, kv);
    assert_string_equal(kv[7].value, "12");
    assert_string_equal(kv[8].value, "12");
    /* PSI without "full". */
    s.has_psi = true;
    s.psi.has_full = false;
    bd_report_keys(&s, 8, kv);
    assert_true(kv[7].present);
    assert_false(kv[8].present);
}

/* An idle guest for an hour: available memory wobbles by up to 0.5%,
 * an occasional major fault, no PSI.  Count the writes. */
static void test_idle_hour(void **state)
{
    struct bd_report_settings set = defaults();
    struct bd_report_state st = { 0 };
    struct bd_agent_sample s = idle();
    uint64_t base = s.mem.available_kib, seed = 42;
    unsigned writes = 0;

    (void)state;
    for (uint64_t t = 0; t < 3600 * 1000; t += 1000) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        s.mem.available_kib = base - (seed >> 33) % (s.mem.total_kib / 200);
        s.majflt_rate = (seed >> 20) % 50 == 0 ? 3 : 0;
        if (step(&st, &s, t, &set) != BD_REPORT_NONE)
            writes++;
    }
    /* 1 initial + 59 heartbeats = 60 over 60 minutes: 1 per minute. */
    assert_int_equal(writes, 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_initial_and_heartbeat),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_pressure_sources),
        cmocka_unit_test(test_pressure_on_off),
        cmocka_unit_test(test_key_presence_change),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_idle_hour),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
