// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The circuit breaker state machine (brk.h): pure arithmetic on a caller's
 * clock, so the unit tests drive it with a fake one.
 */
#include <string.h>
#include "brk.h"

#define PERMILLE	1000

__u8 brk_state(const struct brk *b)
{
	return b->manual ? b->manual_state : b->state;
}

__u32 brk_permille(const struct brk *b)
{
	__u8 s = brk_state(b);

	if (s == ADM_BRK_CLOSED)
		return PERMILLE;
	if (s == ADM_BRK_OPEN)
		return 0;
	return b->manual ? b->manual_permille : b->p.half_open_permille;
}

void brk_init(struct brk *b, const struct brk_params *p, __u64 now)
{
	memset(b, 0, sizeof(*b));
	b->p = *p;
	b->state = ADM_BRK_CLOSED;
	b->since_ns = now;
	b->last_ns = now;
	b->backoff = 1;
}

void brk_set_params(struct brk *b, const struct brk_params *p)
{
	b->p = *p;
}

/* The automatic machine enters `to` at now. */
static void brk_enter(struct brk *b, __u8 to, __u64 now)
{
	b->state = to;
	b->since_ns = now;
	b->bad_since_ns = 0;
	b->saw_good = 0;
}

/* Report old -> new enforced state; 1 if it differs. */
static int brk_report(struct brk *b, __u8 from, struct brk_change *c,
		      const char *why)
{
	__u8 to = brk_state(b);

	if (from == to)
		return 0;
	b->transitions++;
	b->opened += to == ADM_BRK_OPEN;
	if (c) {
		c->from = from;
		c->to = to;
		c->why = why;
	}
	return 1;
}

int brk_tick(struct brk *b, __u64 now, enum brk_health h, struct brk_change *c)
{
	__u8 from = brk_state(b);
	const char *why = NULL;
	__u64 prev = b->last_ns;

	b->last_ns = now;
	if (b->manual) {
		if (!b->manual_until_ns || now < b->manual_until_ns)
			return 0;	/* the operator decides meanwhile */
		b->manual = 0;
		b->backoff = 1;
		brk_enter(b, b->manual_state, now);
		return brk_report(b, from, c, "manual override expired");
	}
	switch (b->state) {
	case ADM_BRK_CLOSED:
		if (h != BRK_BAD) {
			/* A good tick ends a bad run; no data leaves it going. */
			if (h == BRK_GOOD)
				b->bad_since_ns = 0;
			break;
		}
		/* A verdict covers the interval since the previous tick. */
		if (!b->bad_since_ns)
			b->bad_since_ns = prev;
		if (now - b->bad_since_ns >= b->p.window_ns) {
			brk_enter(b, ADM_BRK_OPEN, now);
			why = "unhealthy for the window";
		}
		break;
	case ADM_BRK_OPEN:
		if (now - b->since_ns >= b->p.cooldown_ns * b->backoff) {
			brk_enter(b, ADM_BRK_HALF_OPEN, now);
			why = "cooldown over";
		}
		break;
	case ADM_BRK_HALF_OPEN:
		if (h == BRK_BAD) {
			if (b->backoff < BRK_COOLDOWN_BACKOFF_MAX)
				b->backoff *= 2;
			brk_enter(b, ADM_BRK_OPEN, now);
			why = "unhealthy while half-open";
			break;
		}
		b->saw_good |= h == BRK_GOOD;
		if (b->saw_good && now - b->since_ns >= b->p.window_ns) {
			b->backoff = 1;
			brk_enter(b, ADM_BRK_CLOSED, now);
			why = "healthy for the window";
		}
		break;
	}
	return brk_report(b, from, c, why);
}

int brk_override(struct brk *b, __u64 now, __u8 state, __u32 permille,
		 __u64 ttl_ns, struct brk_change *c)
{
	__u8 from = brk_state(b);

	if (state >= ADM_BRK__MAX)
		return -1;
	if (state == ADM_BRK_HALF_OPEN && (permille < 1 || permille >= PERMILLE))
		return -1;
	b->manual = 1;
	b->manual_state = state;
	b->manual_permille = state == ADM_BRK_HALF_OPEN ? permille : 0;
	b->manual_until_ns = ttl_ns ? now + ttl_ns : 0;
	return brk_report(b, from, c, "manual override");
}

int brk_auto(struct brk *b, __u64 now, struct brk_change *c)
{
	__u8 from = brk_state(b);

	if (!b->manual)
		return 0;
	b->manual = 0;
	b->backoff = 1;
	brk_enter(b, b->manual_state, now);
	return brk_report(b, from, c, "automatic control resumed");
}

int brk_lat_due(__u64 samples, __u64 since_ns, __u64 now, __u64 window_ns,
		__u64 min_samples)
{
	if (!samples)
		return 0;
	return samples >= min_samples || now - since_ns >= window_ns;
}
