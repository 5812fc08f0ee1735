/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The adaptive concurrency limit (prefix alim_), `conn_limit = auto`: a
 * gradient rule in the manner of Netflix's Gradient2 and Envoy's adaptive
 * concurrency filter, as pure arithmetic on a caller's clock (unit-tested
 * against a fake one and a model backend).
 *
 * Every interval admd feeds the mean latency the kernel measured over it
 * (first request byte in to first response byte out, per request) and the
 * live connections. min_rtt is the latency at low concurrency: measured at
 * start (the limit starts at conn_limit_min) and re-measured every
 * ALIM_PROBE_EVERY_NS, and after ALIM_LOW_STREAK updates in a row at the
 * gradient floor (latency at least twice min_rtt: overload, or a backend
 * that became slower), by holding the limit at conn_limit_min for up to
 * ALIM_PROBE_TICKS_MAX intervals (as Envoy's adaptive concurrency filter
 * does), pooling only intervals that began and ended with live at
 * conn_limit_min (the first one after the drop still serves the queue
 * admitted under the old limit; up to ALIM_PROBE_DRAIN_MAX more are
 * allowed for that drain); an interval mean lower than min_rtt by more than its noise
 * (ALIM_NOISE / sqrt(requests)) lowers it to half way up that noise (the
 * lowest of many noisy means sits below the unloaded latency: a min_rtt
 * taken from it reads every interval as a queue, and the limit then
 * follows a backend that grew only slowly), and so does
 * any mean measured while the limit sits at conn_limit_min (nothing queues
 * there: a backend slower for good is re-learned at once). Without the
 * probe, min_rtt taken from loaded intervals creeps up and the limit
 * with it. Between probes:
 *
 *   gradient = clamp(tolerance * min_rtt / sample, 0.5, 1)
 *   headroom = max(1, limit / 16)
 *   gradient == 1 and live >= limit / 2:  limit += headroom   (probe up;
 *                                         until a gradient below 0.9,
 *                                         slow start: limit += limit / 2)
 *   gradient == 1 and live <  limit / 2:  unchanged           (the limit is not what binds)
 *   gradient <  1:  limit = (1 - smoothing) * limit + smoothing * (limit * gradient + headroom)
 *
 * then clamped to [conn_limit_min, conn_limit_max]; the enforced limit is
 * the estimate rounded down. Under overload with W workers and service
 * time S the latency at limit L > W is S * L / W, so the rule settles near
 * L = tolerance * W + headroom: a queue of about one headroom in front of
 * the workers (W = 4: 5-6, W = 16: 17-19, W = 64: 68-70 in the unit
 * test's model). Intervals are pooled until they hold ALIM_MIN_SAMPLES
 * requests: one update per pool, so a slow or quiet service is judged on
 * a mean of enough requests.
 */
#ifndef ADM_ALIM_H
#define ADM_ALIM_H

#include <linux/types.h>

#define ALIM_MIN_SAMPLES	16	/* requests pooled for one update */
#define ALIM_TOLERANCE		1.05	/* latency within 5% of min_rtt counts as unloaded */
#define ALIM_NOISE		1.0	/* a mean of n requests is noisy by ALIM_NOISE / sqrt(n) */
#define ALIM_SMOOTHING		0.2	/* weight of a new estimate when decreasing */
#define ALIM_GRADIENT_MIN	0.5	/* at most halve the estimate per interval */
#define ALIM_SLOW_START_EXIT	0.9	/* a gradient below this ends slow start */
#define ALIM_HEADROOM_DIV	16	/* headroom = limit / 16, at least 1 */
#define ALIM_PROBE_EVERY_NS	(30ULL * 1000000000ULL)
#define ALIM_PROBE_TICKS_MAX	8	/* intervals a min_rtt probe may pool */
#define ALIM_PROBE_DRAIN_MAX	4	/* more intervals it may wait for the old queue to drain */
#define ALIM_PROBE_SAMPLES	32	/* requests a probe pools for min_rtt */
#define ALIM_LOW_STREAK		8	/* updates at the gradient floor that start a probe */

struct alim_params {
	__u64 min, max;		/* conn_limit_min, conn_limit_max (1 <= min <= max) */
};

struct alim {
	struct alim_params p;
	double limit;		/* the estimate */
	__u64 min_rtt_ns;	/* 0 = not known yet */
	__u64 probed_ns;	/* the last min_rtt probe ended */
	__u64 acc_samples;	/* requests pooled since the last update */
	double acc_sum_ns;
	int probe_ticks;	/* > 0: probing, pooling intervals left */
	int probe_drain;	/* drain intervals the probe may still skip */
	__u64 probe_samples;	/* requests pooled by the current probe */
	double probe_sum_ns;
	__u64 probes;
	int low_streak;		/* consecutive updates at ALIM_GRADIENT_MIN */
	int queued;		/* a gradient below 1 was seen: slow start is over */
	__u64 last_live;	/* live at the end of the previous interval */
	__u64 last_sample_ns;	/* the last interval mean used */
	double last_gradient;
	__u64 updates;		/* intervals that had enough samples */
};

/* Start at p->min (so a new service is probed upward, never flooded). */
void alim_init(struct alim *a, const struct alim_params *p, __u64 now);

/* New bounds (reload); the estimate is kept, clamped into them. */
void alim_set_params(struct alim *a, const struct alim_params *p);

/*
 * One interval ending at `now`: `samples` requests with mean latency
 * mean_ns, `live` connections. Returns the limit to enforce (>= 1).
 */
__u64 alim_update(struct alim *a, __u64 now, __u64 samples, __u64 mean_ns,
		  __u64 live);

/* The limit to enforce now (>= 1): conn_limit_min while probing. */
__u64 alim_limit(const struct alim *a);

/*
 * The limit to enforce: the adaptive limit capped by the node's share of a
 * cluster-wide limit (cap: 0 = no cap, ADM_CONC_REFUSE_ALL = refuse every
 * new connection, as adm_conc.limit reads it). Never above either bound.
 */
__u64 alim_enforced(__u64 adaptive, __u64 cap);

#endif /* ADM_ALIM_H */
