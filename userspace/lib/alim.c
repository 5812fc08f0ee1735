// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The adaptive concurrency limit's gradient rule (alim.h).
 */
#include <string.h>
#include "adm/adm.h"
#include "alim.h"

static double alim_clamp(const struct alim *a, double v)
{
	if (v < (double)a->p.min)
		return (double)a->p.min;
	if (v > (double)a->p.max)
		return (double)a->p.max;
	return v;
}

/* sqrt for the noise bound (x >= 1; libadm links no libm): Newton from x. */
static double alim_sqrt(double x)
{
	double r = x;
	int i;

	for (i = 0; i < 32; i++)
		r = (r + x / r) / 2;
	return r;
}

/*
 * The relative noise of a mean of n request latencies: ALIM_NOISE / sqrt(n)
 * (two standard errors of a service time whose deviation is half its mean).
 */
static double alim_noise(__u64 n)
{
	return ALIM_NOISE / alim_sqrt(n < 1 ? 1.0 : (double)n);
}

void alim_init(struct alim *a, const struct alim_params *p, __u64 now)
{
	memset(a, 0, sizeof(*a));
	a->p = *p;
	a->limit = (double)p->min;
	a->last_gradient = 1.0;
	a->probed_ns = now;
}

void alim_set_params(struct alim *a, const struct alim_params *p)
{
	a->p = *p;
	a->limit = alim_clamp(a, a->limit);
}

__u64 alim_enforced(__u64 adaptive, __u64 cap)
{
	if (cap == ADM_CONC_REFUSE_ALL)
		return ADM_CONC_REFUSE_ALL;
	if (!cap)
		return adaptive;
	return adaptive < cap ? adaptive : cap;
}

__u64 alim_limit(const struct alim *a)
{
	__u64 l = a->probe_ticks ? a->p.min : (__u64)a->limit;

	return l ? l : 1;
}

/*
 * A probe interval. Intervals that begin and end with the live connections
 * at the probe's limit are pooled until they hold ALIM_PROBE_SAMPLES
 * requests: their mean becomes min_rtt. One that began above it served
 * requests queued under the old limit (its mean reads the queue, not the
 * unloaded latency): skipped, and up to ALIM_PROBE_DRAIN_MAX such
 * intervals do not count against the probe's ALIM_PROBE_TICKS_MAX. When
 * the probe ends min_rtt is kept if too little was seen.
 */
static void alim_probe_tick(struct alim *a, __u64 now, __u64 samples,
			    __u64 mean_ns, __u64 live)
{
	int steady = live <= a->p.min && a->last_live <= a->p.min;

	if (!steady && a->probe_drain > 0)
		a->probe_drain--;
	else
		a->probe_ticks--;
	if (steady && samples && mean_ns) {
		a->probe_samples += samples;
		a->probe_sum_ns += (double)samples * (double)mean_ns;
		if (a->probe_samples >= ALIM_PROBE_SAMPLES) {
			a->min_rtt_ns = (__u64)(a->probe_sum_ns / (double)a->probe_samples);
			a->probe_ticks = 0;
		}
	}
	if (!a->probe_ticks)
		a->probed_ns = now;
}

__u64 alim_update(struct alim *a, __u64 now, __u64 samples, __u64 mean_ns,
		  __u64 live)
{
	double g, headroom, est, noise;

	if (a->probe_ticks) {
		alim_probe_tick(a, now, samples, mean_ns, live);
		a->last_live = live;
		return alim_limit(a);
	}
	a->last_live = live;
	/* Intervals are pooled until they hold enough requests for a mean. */
	a->acc_samples += samples;
	a->acc_sum_ns += (double)samples * (double)mean_ns;
	if (a->acc_samples >= ALIM_MIN_SAMPLES) {
		mean_ns = (__u64)(a->acc_sum_ns / (double)a->acc_samples);
		noise = alim_noise(a->acc_samples);
		a->acc_samples = 0;
		a->acc_sum_ns = 0;
		/*
		 * At the minimum concurrency nothing queues: what is measured
		 * there is the unloaded latency, even above the old min_rtt (a
		 * backend slower for good is re-learned without a probe).
		 */
		if (!a->min_rtt_ns || (alim_limit(a) <= a->p.min && live <= a->p.min))
			a->min_rtt_ns = mean_ns;
		/*
		 * A faster mean lowers min_rtt only beyond its noise, and to
		 * half way up it: the lowest of many noisy means is not the
		 * unloaded latency, it is below it, and a min_rtt biased low
		 * reads every interval as a queue.
		 */
		else if ((double)mean_ns * (1.0 + noise) < (double)a->min_rtt_ns)
			a->min_rtt_ns = (__u64)((double)mean_ns * (1.0 + noise / 2));
		a->last_sample_ns = mean_ns;
		a->updates++;
		g = ALIM_TOLERANCE * (double)a->min_rtt_ns / (double)mean_ns;
		if (g > 1.0)
			g = 1.0;
		if (g < ALIM_GRADIENT_MIN)
			g = ALIM_GRADIENT_MIN;
		a->last_gradient = g;
		a->low_streak = g <= ALIM_GRADIENT_MIN ? a->low_streak + 1 : 0;
		headroom = a->limit / ALIM_HEADROOM_DIV;
		if (headroom < 1.0)
			headroom = 1.0;
		if (g >= 1.0) {
			/* Slow start: +50% a step until the first sign of a queue. */
			if (!a->queued && headroom < a->limit / 2)
				headroom = a->limit / 2;
			if ((double)live >= a->limit / 2)
				a->limit = alim_clamp(a, a->limit + headroom);
		} else {
			if (g < ALIM_SLOW_START_EXIT)
				a->queued = 1;
			est = a->limit * g + headroom;
			a->limit = alim_clamp(a, (1.0 - ALIM_SMOOTHING) * a->limit +
						  ALIM_SMOOTHING * est);
		}
	}
	if (now - a->probed_ns >= ALIM_PROBE_EVERY_NS ||
	    a->low_streak >= ALIM_LOW_STREAK) {
		a->low_streak = 0;
		a->probe_ticks = ALIM_PROBE_TICKS_MAX;
		a->probe_drain = ALIM_PROBE_DRAIN_MAX;
		a->probe_samples = 0;
		a->probe_sum_ns = 0;
		a->acc_samples = 0;
		a->acc_sum_ns = 0;
		a->probes++;
	}
	return alim_limit(a);
}
