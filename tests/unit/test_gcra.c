// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GCRA arithmetic (include/adm/gcra.h) against a fake clock: the exact
 * code the BPF programs run inside their compare-and-swap loop, here with
 * one key and a clock the test moves by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "adm/gcra.h"
#include "util.h"

#define NS_PER_MS	1000000ULL
#define NS_PER_SEC	1000000000ULL
#define T0		(1000 * NS_PER_SEC)	/* "now" at the first event */
#define EMISSION	(10 * NS_PER_MS)	/* 100 events per second */

/* One key: its TAT (0 = fresh) and the parameters it is limited by. */
struct key {
	__u64 tat;
	__u64 emission, tau;
};

static struct key key_new(__u64 emission, __u32 burst)
{
	struct key k = { 0, emission, adm_gcra_tau(emission, burst) };

	return k;
}

/* One event at `now`: 1 admitted (TAT advanced), 0 refused (TAT kept). */
static int event(struct key *k, __u64 now)
{
	return adm_gcra_conforms(k->tat, now, k->emission, k->tau, &k->tat);
}

/* Admitted events among `n` offered at the same instant. */
static unsigned int flood(struct key *k, __u64 now, unsigned int n)
{
	unsigned int admitted = 0;

	while (n--)
		admitted += event(k, now);
	return admitted;
}

static void test_tau(void **state)
{
	(void)state;
	assert_int_equal(adm_gcra_tau(EMISSION, 1), 0);
	assert_int_equal(adm_gcra_tau(EMISSION, 2), EMISSION);
	assert_int_equal(adm_gcra_tau(EMISSION, 100), 99 * EMISSION);
	assert_int_equal(adm_gcra_tau(EMISSION, 0), 0);	/* guarded, not -1 */
	assert_int_equal(adm_gcra_tau(UINT32_MAX, UINT32_MAX),
			 (__u64)(UINT32_MAX - 1) * UINT32_MAX);	/* no 32-bit overflow */
}

/* A fresh key admits exactly `burst` events at one instant, for any burst. */
static void test_fresh_key_admits_burst(void **state)
{
	static const __u32 bursts[] = { 1, 2, 5, 100, 1000 };
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(bursts); i++) {
		struct key k = key_new(EMISSION, bursts[i]);

		assert_int_equal(flood(&k, T0, bursts[i] + 50), bursts[i]);
		assert_int_equal(k.tat, T0 + bursts[i] * EMISSION);
	}
}

/* tau 0 is a burst of one: the second event at the same instant is refused. */
static void test_tau_zero_is_burst_one(void **state)
{
	struct key k = { 0, EMISSION, 0 };

	(void)state;
	assert_int_equal(event(&k, T0), 1);
	assert_int_equal(event(&k, T0), 0);
	assert_int_equal(event(&k, T0 + EMISSION - 1), 0);
	assert_int_equal(event(&k, T0 + EMISSION), 1);
}

/* A refused event leaves the caller's TAT alone (the CAS has nothing to write). */
static void test_refusal_keeps_tat(void **state)
{
	__u64 next = 0xabcdef;

	(void)state;
	/* TAT one emission ahead, tau 0: not conforming. */
	assert_int_equal(adm_gcra_conforms(T0 + EMISSION, T0, EMISSION, 0, &next), 0);
	assert_int_equal(next, 0xabcdef);
}

/*
 * After the burst is spent: one more event exactly one emission interval
 * later, not a nanosecond earlier, and only one.
 */
static void test_one_per_emission_after_burst(void **state)
{
	const __u32 burst = 5;
	struct key k = key_new(EMISSION, burst);

	(void)state;
	assert_int_equal(flood(&k, T0, burst), burst);
	assert_int_equal(event(&k, T0), 0);
	assert_int_equal(event(&k, T0 + EMISSION - 1), 0);
	assert_int_equal(event(&k, T0 + EMISSION), 1);
	assert_int_equal(event(&k, T0 + EMISSION), 0);
	assert_int_equal(flood(&k, T0 + 3 * EMISSION, 10), 2);
}

/* Idle time refills the burst but never beyond it. */
static void test_idle_does_not_accumulate(void **state)
{
	static const __u64 idles[] = { 10, 1000, 86400 * 100 };	/* in emissions */
	const __u32 burst = 10;
	struct key k = key_new(EMISSION, burst);
	__u64 now = T0;
	size_t i;

	(void)state;
	assert_int_equal(flood(&k, now, burst + 1), burst);
	for (i = 0; i < ADM_ARRAY_SIZE(idles); i++) {
		now += idles[i] * EMISSION;
		assert_int_equal(flood(&k, now, 10 * burst), burst);
	}
}

/* Partly idle: half the burst refilled gives back half the burst. */
static void test_partial_refill(void **state)
{
	const __u32 burst = 10;
	struct key k = key_new(EMISSION, burst);

	(void)state;
	assert_int_equal(flood(&k, T0, burst), burst);
	assert_int_equal(flood(&k, T0 + 4 * EMISSION, 100), 4);
}

/*
 * Offered far above the rate for a long run, the key admits the burst and
 * then exactly the configured rate: 100/s, default burst 100, offered every
 * millisecond for 10 s.
 */
static void test_long_run_rate(void **state)
{
	const struct adm_rate rate = { 100, NS_PER_SEC };
	const __u64 run = 10 * NS_PER_SEC, step = NS_PER_MS;
	struct adm_gcra g = adm_rate_to_gcra(&rate, 0);
	struct key k = { 0, g.emission_ns, g.tau_ns };
	__u64 now, admitted = 0, after_first_second = 0;

	(void)state;
	assert_int_equal(g.emission_ns, EMISSION);
	for (now = T0; now <= T0 + run; now += step) {
		int ok = event(&k, now);

		admitted += ok;
		if (now >= T0 + NS_PER_SEC && now < T0 + run)
			after_first_second += ok;
	}
	/* Burst at T0, then one per emission up to and including T0 + run. */
	assert_int_equal(admitted, rate.count + run / EMISSION);
	/* 9 s well after the burst: exactly 9 s worth of the rate. */
	assert_int_equal(after_first_second, 9 * rate.count);
}

/* The same at a per-minute rate with an explicit burst. */
static void test_long_run_per_minute(void **state)
{
	const struct adm_rate rate = { 30, 60 * NS_PER_SEC };	/* one per 2 s */
	const __u32 burst = 3;
	struct adm_gcra g = adm_rate_to_gcra(&rate, burst);
	struct key k = { 0, g.emission_ns, g.tau_ns };
	__u64 now, admitted = 0;

	(void)state;
	for (now = T0; now < T0 + 10 * 60 * NS_PER_SEC; now += 100 * NS_PER_MS)
		admitted += event(&k, now);
	/* The burst of 3 at T0, then one every 2 s from T0 + 2 s to T0 + 598 s. */
	assert_int_equal(admitted, burst + 10 * rate.count - 1);
}

/*
 * Emission 0 means "no limit" and is the caller's to check (the BPF code
 * skips the key); the arithmetic itself then admits everything without
 * moving the TAT past now, so it is harmless if called anyway.
 */
static void test_emission_zero(void **state)
{
	struct key k = { 0, 0, 0 };

	(void)state;
	assert_int_equal(flood(&k, T0, 1000), 1000);
	assert_int_equal(k.tat, T0);
}

/* Large clock values (years of uptime) behave like small ones. */
static void test_late_clock(void **state)
{
	const __u64 late = UINT64_MAX / 2;
	struct key k = key_new(EMISSION, 4);

	(void)state;
	assert_int_equal(flood(&k, late, 10), 4);
	assert_int_equal(event(&k, late + EMISSION), 1);
	assert_int_equal(event(&k, late + EMISSION), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tau),
		cmocka_unit_test(test_fresh_key_admits_burst),
		cmocka_unit_test(test_tau_zero_is_burst_one),
		cmocka_unit_test(test_refusal_keeps_tat),
		cmocka_unit_test(test_one_per_emission_after_burst),
		cmocka_unit_test(test_idle_does_not_accumulate),
		cmocka_unit_test(test_partial_refill),
		cmocka_unit_test(test_long_run_rate),
		cmocka_unit_test(test_long_run_per_minute),
		cmocka_unit_test(test_emission_zero),
		cmocka_unit_test(test_late_clock),
	};

	return cmocka_run_group_tests_name("gcra", tests, NULL, NULL);
}
