// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The breaker state machine (brk.h) and the adaptive concurrency limit
 * (alim.h) against a fake clock: the tests move time by hand and feed
 * health verdicts or latencies from a model backend.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "adm/adm.h"
#include "alim.h"
#include "brk.h"

#define MS		1000000ULL
#define SEC		(1000 * MS)
#define T0		(1000 * SEC)
#define TICK		(250 * MS)

static const struct brk_params params = {
	.window_ns = 2 * SEC, .cooldown_ns = 5 * SEC, .half_open_permille = 100,
};

/* Feed `h` every TICK from *now for `dur`; count transitions. */
static int feed(struct brk *b, __u64 *now, __u64 dur, enum brk_health h)
{
	__u64 end = *now + dur;
	int n = 0;

	while (*now < end) {
		*now += TICK;
		n += brk_tick(b, *now, h, NULL);
	}
	return n;
}

static void test_opens_after_window(void **state)
{
	struct brk b;
	struct brk_change c;
	__u64 now = T0;

	(void)state;
	brk_init(&b, &params, now);
	assert_int_equal(brk_state(&b), ADM_BRK_CLOSED);
	assert_int_equal(brk_permille(&b), 1000);
	/* Bad for less than the window: stays closed. */
	assert_int_equal(feed(&b, &now, 1750 * MS, BRK_BAD), 0);
	assert_int_equal(brk_state(&b), ADM_BRK_CLOSED);
	/* The tick that completes the window opens it. */
	now += TICK;
	assert_int_equal(brk_tick(&b, now, BRK_BAD, &c), 1);
	assert_int_equal(c.from, ADM_BRK_CLOSED);
	assert_int_equal(c.to, ADM_BRK_OPEN);
	assert_non_null(c.why);
	assert_int_equal(brk_permille(&b), 0);
	assert_int_equal(b.opened, 1);
}

static void test_good_tick_resets_bad_run(void **state)
{
	struct brk b;
	__u64 now = T0;
	int i;

	(void)state;
	brk_init(&b, &params, now);
	/* Bad, bad, ..., good: never 2 s bad in a row. */
	for (i = 0; i < 40; i++) {
		assert_int_equal(feed(&b, &now, 1500 * MS, BRK_BAD), 0);
		assert_int_equal(feed(&b, &now, TICK, BRK_GOOD), 0);
	}
	assert_int_equal(brk_state(&b), ADM_BRK_CLOSED);
	/* Ticks without data do not end a bad run. */
	assert_int_equal(feed(&b, &now, 1 * SEC, BRK_BAD), 0);
	assert_int_equal(feed(&b, &now, 500 * MS, BRK_UNKNOWN), 0);
	assert_int_equal(feed(&b, &now, 500 * MS, BRK_BAD), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
}

static void test_cooldown_half_open_close(void **state)
{
	struct brk b;
	struct brk_change c;
	__u64 now = T0;

	(void)state;
	brk_init(&b, &params, now);
	assert_int_equal(feed(&b, &now, 2 * SEC, BRK_BAD), 1);
	/* OPEN ignores health until the cooldown is over. */
	assert_int_equal(feed(&b, &now, 4750 * MS, BRK_GOOD), 0);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	now += TICK;
	assert_int_equal(brk_tick(&b, now, BRK_BAD, &c), 1);
	assert_int_equal(c.to, ADM_BRK_HALF_OPEN);
	assert_int_equal(brk_permille(&b), 100);
	/* Half-open without data never closes. */
	assert_int_equal(feed(&b, &now, 10 * SEC, BRK_UNKNOWN), 0);
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
	/* One good tick after the window: closed. */
	now += TICK;
	assert_int_equal(brk_tick(&b, now, BRK_GOOD, &c), 1);
	assert_int_equal(c.from, ADM_BRK_HALF_OPEN);
	assert_int_equal(c.to, ADM_BRK_CLOSED);
	assert_int_equal(b.transitions, 3);
}

static void test_half_open_reopens_with_backoff(void **state)
{
	struct brk b;
	__u64 now = T0, opened;

	(void)state;
	brk_init(&b, &params, now);
	feed(&b, &now, 2 * SEC, BRK_BAD);
	feed(&b, &now, 5 * SEC, BRK_UNKNOWN);
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
	/* One bad tick while half-open: open again, cooldown doubled. */
	assert_int_equal(feed(&b, &now, TICK, BRK_BAD), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	opened = now;
	assert_int_equal(feed(&b, &now, 9750 * MS, BRK_GOOD), 0);
	assert_int_equal(feed(&b, &now, TICK, BRK_GOOD), 1);
	assert_int_equal(now - opened, 10 * SEC);
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
	/* Re-opens keep doubling up to the cap. */
	feed(&b, &now, TICK, BRK_BAD);		/* 20 s */
	feed(&b, &now, 20 * SEC, BRK_UNKNOWN);
	feed(&b, &now, TICK, BRK_BAD);		/* 40 s = 8x, the cap */
	feed(&b, &now, 40 * SEC, BRK_UNKNOWN);
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
	feed(&b, &now, TICK, BRK_BAD);		/* stays 40 s */
	assert_int_equal(b.backoff, BRK_COOLDOWN_BACKOFF_MAX);
	assert_int_equal(feed(&b, &now, 39 * SEC, BRK_GOOD), 0);
	assert_int_equal(feed(&b, &now, 1 * SEC, BRK_GOOD), 1);
	/* Closing resets the backoff. */
	assert_int_equal(feed(&b, &now, 2 * SEC, BRK_GOOD), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_CLOSED);
	assert_int_equal(b.backoff, 1);
}

/* A slow backend and its recovery: no flapping over 60 s of health. */
static void test_no_flapping(void **state)
{
	struct brk b;
	__u64 now = T0;

	(void)state;
	brk_init(&b, &params, now);
	feed(&b, &now, 3 * SEC, BRK_BAD);	/* open after 2 s */
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	feed(&b, &now, 4 * SEC, BRK_GOOD);	/* half-open at 7 s */
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
	feed(&b, &now, 2 * SEC, BRK_GOOD);	/* closed at 9 s */
	assert_int_equal(brk_state(&b), ADM_BRK_CLOSED);
	assert_int_equal(feed(&b, &now, 60 * SEC, BRK_GOOD), 0);
	assert_int_equal(b.transitions, 3);
}

static void test_manual_override(void **state)
{
	struct brk b;
	struct brk_change c;
	__u64 now = T0;

	(void)state;
	brk_init(&b, &params, now);
	/* Bad arguments change nothing. */
	assert_int_equal(brk_override(&b, now, ADM_BRK__MAX, 0, 0, &c), -1);
	assert_int_equal(brk_override(&b, now, ADM_BRK_HALF_OPEN, 0, 0, &c), -1);
	assert_int_equal(brk_override(&b, now, ADM_BRK_HALF_OPEN, 1000, 0, &c), -1);
	assert_int_equal(b.manual, 0);
	/* Manual close holds against bad health, for its TTL. */
	assert_int_equal(brk_override(&b, now, ADM_BRK_CLOSED, 0, 10 * SEC, &c), 0);
	assert_int_equal(feed(&b, &now, 9750 * MS, BRK_BAD), 0);
	assert_int_equal(brk_state(&b), ADM_BRK_CLOSED);
	/* The TTL ends: automatic again, starting closed, bad run from zero. */
	now += TICK;
	assert_int_equal(brk_tick(&b, now, BRK_BAD, &c), 0);
	assert_int_equal(b.manual, 0);
	assert_int_equal(feed(&b, &now, 1750 * MS, BRK_BAD), 0);
	assert_int_equal(feed(&b, &now, TICK, BRK_BAD), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	/* Manual half-open with its own share, until `auto`. */
	assert_int_equal(brk_override(&b, now, ADM_BRK_HALF_OPEN, 250, 0, &c), 1);
	assert_int_equal(c.from, ADM_BRK_OPEN);
	assert_int_equal(c.to, ADM_BRK_HALF_OPEN);
	assert_int_equal(brk_permille(&b), 250);
	assert_int_equal(feed(&b, &now, 3600 * SEC, BRK_BAD), 0);
	assert_int_equal(brk_permille(&b), 250);
	/* auto: the machine restarts half-open; one bad tick opens it. */
	assert_int_equal(brk_auto(&b, now, &c), 0);
	assert_int_equal(brk_permille(&b), 100);
	assert_int_equal(feed(&b, &now, TICK, BRK_BAD), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	assert_int_equal(brk_auto(&b, now, &c), 0);	/* nothing to end */
	/* Manual open expiring: automatic open, which cools down first. */
	brk_init(&b, &params, now);
	assert_int_equal(brk_override(&b, now, ADM_BRK_OPEN, 0, 1 * SEC, &c), 1);
	assert_int_equal(feed(&b, &now, 1 * SEC, BRK_GOOD), 0);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	assert_int_equal(feed(&b, &now, 4750 * MS, BRK_GOOD), 0);
	assert_int_equal(feed(&b, &now, TICK, BRK_GOOD), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
}

static void test_params_reload_keeps_state(void **state)
{
	struct brk b;
	struct brk_params p = params;
	__u64 now = T0;

	(void)state;
	brk_init(&b, &params, now);
	feed(&b, &now, 2 * SEC, BRK_BAD);
	p.cooldown_ns = 1 * SEC;
	brk_set_params(&b, &p);
	assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
	assert_int_equal(feed(&b, &now, 1 * SEC, BRK_UNKNOWN), 1);
	assert_int_equal(brk_state(&b), ADM_BRK_HALF_OPEN);
}

/* ------------------------------------------------------------ alim */

#define ALIM_TICK	(250 * MS)
#define SVC_NS		(20 * MS)

/*
 * A model backend under overload (clients always waiting): W workers of
 * service time svc_ns; with L admitted connections the interval's mean
 * latency is svc_ns * max(1, L / W), with the noise of a mean of the
 * requests served in the interval (lognormal sigma 0.5: +-0.87/sqrt(N),
 * uniform, from a fixed-seed generator).
 */
struct model {
	__u64 workers;
	__u64 svc_ns;
	__u32 rnd;
	__u64 live;	/* connections at the end of the previous tick */
};

/* sqrt without libm (the unit tests link none): Newton from x. */
static double model_sqrt(double x)
{
	double r = x;
	int i;

	for (i = 0; i < 40; i++)
		r = (r + x / r) / 2;
	return r;
}

static double model_noise(struct model *m, double served)
{
	double amp = 0.87 / model_sqrt(served < 1 ? 1 : served);

	m->rnd = m->rnd * 1103515245u + 12345u;
	return 1 - amp + 2 * amp * (double)((m->rnd >> 8) & 0xffff) / 65535.0;
}

/*
 * Requests admitted under the previous tick's limit finish in this one: a
 * limit that fell still sees the old queue for one tick (the drain a real
 * backend shows when a probe starts), though the tick ends at the new one.
 */
static void model_tick(struct alim *a, struct model *m, __u64 now)
{
	__u64 l = alim_limit(a), busy = l < m->workers ? l : m->workers;
	__u64 queued = m->live > l ? m->live : l;
	double q = (double)queued / (double)m->workers;
	double served = (double)ALIM_TICK / (double)m->svc_ns * (double)busy;
	double lat = (double)m->svc_ns * (q > 1 ? q : 1) * model_noise(m, served);

	m->live = l;
	alim_update(a, now, (__u64)served, (__u64)lat, l);
}

/*
 * Run the model for `dur`; the enforced limit's min and max over the last
 * `tail`, min_rtt probes left out (they hold conn_limit_min on purpose).
 */
static void model_run(struct alim *a, struct model *m, __u64 *now, __u64 dur,
		      __u64 tail, __u64 *lo, __u64 *hi)
{
	__u64 end = *now + dur;

	*lo = UINT64_MAX;
	*hi = 0;
	while (*now < end) {
		*now += ALIM_TICK;
		model_tick(a, m, *now);
		if (end - *now < tail && !a->probe_ticks) {
			if (alim_limit(a) < *lo)
				*lo = alim_limit(a);
			if (alim_limit(a) > *hi)
				*hi = alim_limit(a);
		}
	}
}

/*
 * The limit that keeps latency at the unloaded S is W; the rule keeps one
 * headroom of queue (alim.h), so its target is W + 1: within -30% and
 * +30% of that, plus one connection (test_breaker.sh (7) uses the same
 * band on a real backend).
 */
static void assert_near(__u64 lo, __u64 hi, __u64 workers)
{
	print_message("# W=%llu: limit %llu..%llu\n", (unsigned long long)workers,
		      (unsigned long long)lo, (unsigned long long)hi);
	assert_true(lo * 10 >= (workers + 1) * 7);
	assert_true(hi * 10 <= (workers + 1) * 13 + 10);
}

static void test_alim_settles(void **state)
{
	static const __u64 ws[] = { 4, 16, 64 };
	struct alim_params p = { .min = 2, .max = 1000 };
	struct alim a;
	__u64 now, lo, hi;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		struct model m = { .workers = ws[i], .svc_ns = SVC_NS, .rnd = 7 };

		now = T0;
		alim_init(&a, &p, now);
		/*
		 * Slow start: from conn_limit_min to the workers' count in 5 s
		 * (W <= 16; W = 64 reaches ~37: slow start ends at the first
		 * noisy mean 10% over min_rtt, then it climbs by limit/16).
		 */
		model_run(&a, &m, &now, 5 * SEC, 0, &lo, &hi);
		print_message("# W=%llu: limit %llu after 5 s\n",
			      (unsigned long long)ws[i], (unsigned long long)alim_limit(&a));
		assert_true(ws[i] > 16 || alim_limit(&a) * 10 >= ws[i] * 7);
		model_run(&a, &m, &now, 55 * SEC, 20 * SEC, &lo, &hi);
		assert_near(lo, hi, ws[i]);
		assert_true(a.probes >= 1);
	}
}

/*
 * Time (ns) until the enforced limit is within -30%..+30% (plus one) of
 * W + 1 for two ticks in a row, at most `max`; max + 1 if never.
 */
static __u64 model_follow(struct alim *a, struct model *m, __u64 *now, __u64 max)
{
	__u64 t0 = *now, w = m->workers + 1, l;
	int hits = 0;

	while (*now - t0 <= max) {
		*now += ALIM_TICK;
		model_tick(a, m, *now);
		l = alim_limit(a);
		hits = l * 10 >= w * 7 && l * 10 <= w * 13 + 10 ? hits + 1 : 0;
		if (hits >= 2)
			return *now - t0;
	}
	return max + 1;
}

static void test_alim_follows_workers(void **state)
{
	static const __u32 seeds[] = { 11, 5, 23, 42, 77 };
	struct alim_params p = { .min = 2, .max = 1000 };
	struct alim a;
	__u64 now = T0, lo, hi, t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct model m = { .workers = 4, .svc_ns = SVC_NS, .rnd = seeds[i] };

		alim_init(&a, &p, now);
		model_run(&a, &m, &now, 30 * SEC, 10 * SEC, &lo, &hi);
		assert_near(lo, hi, 4);
		/* 4 -> 16 workers: in range within 10 s, and it stays there. */
		m.workers = 16;
		t = model_follow(&a, &m, &now, 10 * SEC);
		print_message("# seed %u: W 4 -> 16 followed in %llu ms\n", seeds[i],
			      (unsigned long long)(t / MS));
		assert_true(t <= 10 * SEC);
		model_run(&a, &m, &now, 30 * SEC, 30 * SEC, &lo, &hi);
		assert_near(lo, hi, 16);
		/* 16 -> 4: the same on the way down. */
		m.workers = 4;
		t = model_follow(&a, &m, &now, 10 * SEC);
		print_message("# seed %u: W 16 -> 4 followed in %llu ms\n", seeds[i],
			      (unsigned long long)(t / MS));
		assert_true(t <= 10 * SEC);
		model_run(&a, &m, &now, 30 * SEC, 30 * SEC, &lo, &hi);
		assert_near(lo, hi, 4);
	}
}

static void test_alim_bounds_and_idle(void **state)
{
	struct alim_params p = { .min = 8, .max = 12 };
	struct alim a;
	__u64 now = T0;
	int i;

	(void)state;
	alim_init(&a, &p, now);
	assert_int_equal(alim_limit(&a), 8);
	/* Too few samples: nothing changes. */
	assert_int_equal(alim_update(&a, now, ALIM_MIN_SAMPLES - 1, 1 * MS, 8), 8);
	assert_int_equal(a.updates, 0);
	/* Fast and busy: grows, but never past max. */
	for (i = 0; i < 20; i++)
		alim_update(&a, now += ALIM_TICK, 100, 1 * MS, 1000);
	assert_int_equal(alim_limit(&a), 12);
	/* Fast but idle (live < limit/2): unchanged. */
	p.max = 100;
	alim_set_params(&a, &p);
	for (i = 0; i < 20; i++)
		alim_update(&a, now += ALIM_TICK, 100, 1 * MS, 2);
	assert_int_equal(alim_limit(&a), 12);
	/* Ten times slower: shrinks to min, not below. */
	for (i = 0; i < 40; i++)
		alim_update(&a, now += ALIM_TICK, 100, 10 * MS, 12);
	assert_int_equal(alim_limit(&a), 8);
	/* New bounds clamp the estimate. */
	p.min = 20;
	p.max = 30;
	alim_set_params(&a, &p);
	assert_int_equal(alim_limit(&a), 20);
}

/*
 * A backend slower for good (service time x5, same workers): the limit
 * falls; latency stuck at twice min_rtt starts a probe (before the
 * periodic one), which re-learns the unloaded latency within 10 s; the
 * limit is back near the workers' count 30 s after the slowdown (it climbs
 * one connection per 16 requests, and 5x slower requests come 5x rarer).
 * Over 20 seeds: every one probes and re-learns; most end within -40%
 * and +30% of W. Not all: a probe of a service this slow pools 5 requests
 * an interval, and a min_rtt learned 15% low from so few holds the limit
 * under W until the next probe (README, known gaps).
 */
static void test_alim_probe_relearns(void **state)
{
	struct alim_params p = { .min = 2, .max = 1000 };
	struct alim a;
	__u64 now = T0, lo, hi, probes;
	unsigned int seed, in_band = 0, seeds = 20;

	(void)state;
	for (seed = 1; seed <= seeds; seed++) {
		struct model m = { .workers = 16, .svc_ns = SVC_NS, .rnd = seed };

		alim_init(&a, &p, now);
		/* Settled at W (test_alim_settles holds it to the band). */
		model_run(&a, &m, &now, 40 * SEC, 10 * SEC, &lo, &hi);
		assert_true(lo >= 8 && hi <= 2 * 16 + 1);
		probes = a.probes;
		m.svc_ns = 5 * SVC_NS;
		model_run(&a, &m, &now, 3 * SEC, 1 * SEC, &lo, &hi);
		assert_true(hi < 16);
		model_run(&a, &m, &now, 7 * SEC, 0, &lo, &hi);
		assert_true(a.probes > probes);		/* the gradient floor started one */
		assert_true(a.min_rtt_ns >= 4 * SVC_NS);
		model_run(&a, &m, &now, 20 * SEC, 0, &lo, &hi);
		model_run(&a, &m, &now, 20 * SEC, 20 * SEC, &lo, &hi);
		print_message("# seed %u, service x5: limit %llu..%llu\n", seed,
			      (unsigned long long)lo, (unsigned long long)hi);
		assert_true(lo >= p.min && hi <= 2 * 16 + 1);
		in_band += lo * 10 >= 16 * 6 && hi * 10 <= 16 * 13 + 10;
	}
	print_message("# W=16, service x5: %u of %u seeds end within -40%%..+30%% of W\n",
		      in_band, seeds);
	assert_true(in_band * 4 >= seeds * 3);
}

/*
 * conn_limit = auto under cluster sync: the enforced limit is the adaptive
 * limit capped by the node's share, never above either; a share of 0 from
 * the cluster (refuse all) stays a refusal, no cap leaves the adaptive one.
 */
static void test_alim_enforced_cluster_cap(void **state)
{
	static const __u64 adaptive[] = { 2, 5, 17, 70, 1000 };
	static const __u64 cap[] = { 1, 3, 17, 50, 999, 5000 };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(adaptive) / sizeof(adaptive[0]); i++) {
		assert_int_equal(alim_enforced(adaptive[i], 0), adaptive[i]);
		assert_true(alim_enforced(adaptive[i], ADM_CONC_REFUSE_ALL) == ADM_CONC_REFUSE_ALL);
		for (j = 0; j < sizeof(cap) / sizeof(cap[0]); j++) {
			__u64 e = alim_enforced(adaptive[i], cap[j]);

			assert_true(e <= adaptive[i] && e <= cap[j]);
			assert_true(e == adaptive[i] || e == cap[j]);
		}
	}
}

/*
 * A slow backend completes few requests per tick (8 workers at 500 ms: 4
 * per 250 ms tick). Its samples are carried until brk_lat_due, and the
 * breaker still opens within its window plus the time to gather them.
 */
static void test_lat_due_slow_backend_opens(void **state)
{
	static const __u64 per_tick[] = { 1, 2, 4 };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(per_tick) / sizeof(per_tick[0]); i++) {
		__u64 now = T0, since = T0, samples = 0, start = T0;
		struct brk b;

		brk_init(&b, &params, now);
		while (brk_state(&b) == ADM_BRK_CLOSED && now - start < 10 * SEC) {
			enum brk_health h = BRK_UNKNOWN;

			now += TICK;
			samples += per_tick[i];
			if (brk_lat_due(samples, since, now, params.window_ns, 5)) {
				h = BRK_BAD;
				samples = 0;
				since = now;
			}
			brk_tick(&b, now, h, NULL);
		}
		print_message("# %llu requests a tick: open after %llu ms\n",
			      (unsigned long long)per_tick[i],
			      (unsigned long long)((now - start) / MS));
		assert_int_equal(brk_state(&b), ADM_BRK_OPEN);
		assert_true(now - start >= params.window_ns);
		assert_true(now - start <= params.window_ns + 2 * SEC);
	}
}

static void test_lat_due_rules(void **state)
{
	(void)state;
	assert_false(brk_lat_due(0, T0, T0 + 10 * SEC, 2 * SEC, 5));	/* nothing seen */
	assert_false(brk_lat_due(4, T0, T0 + TICK, 2 * SEC, 5));	/* still gathering */
	assert_true(brk_lat_due(5, T0, T0 + TICK, 2 * SEC, 5));		/* enough */
	assert_true(brk_lat_due(1, T0, T0 + 2 * SEC, 2 * SEC, 5));	/* a window's worth */
	assert_false(brk_lat_due(1, T0, T0 + 2 * SEC - 1, 2 * SEC, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_after_window),
		cmocka_unit_test(test_good_tick_resets_bad_run),
		cmocka_unit_test(test_cooldown_half_open_close),
		cmocka_unit_test(test_half_open_reopens_with_backoff),
		cmocka_unit_test(test_no_flapping),
		cmocka_unit_test(test_manual_override),
		cmocka_unit_test(test_params_reload_keeps_state),
		cmocka_unit_test(test_lat_due_rules),
		cmocka_unit_test(test_lat_due_slow_backend_opens),
		cmocka_unit_test(test_alim_settles),
		cmocka_unit_test(test_alim_follows_workers),
		cmocka_unit_test(test_alim_bounds_and_idle),
		cmocka_unit_test(test_alim_probe_relearns),
		cmocka_unit_test(test_alim_enforced_cluster_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
