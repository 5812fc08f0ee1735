/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One service's circuit breaker as a pure state machine (prefix brk_): no
 * clock, no maps, no I/O. admd's breaker module feeds it one health verdict
 * per tick with the time; it answers with the state to enforce and whether
 * that is a transition. Unit-tested against a fake clock.
 *
 *   CLOSED --bad for `window`--> OPEN --`cooldown`--> HALF_OPEN
 *   HALF_OPEN --one bad tick--> OPEN (cooldown doubled, up to 8x)
 *   HALF_OPEN --no bad tick for `window`, one good one--> CLOSED
 *
 * A manual override (admctl breaker open|close|half-open) pins a state,
 * for a TTL or for good; when it ends the automatic machine restarts in
 * the override's state at that instant (an open one cools down first).
 */
#ifndef ADM_BRK_H
#define ADM_BRK_H

#include <linux/types.h>
#include "adm/adm.h"

#define BRK_COOLDOWN_BACKOFF_MAX	8	/* cooldown multiplier cap after re-opens */

/* A tick's verdict from the health signals. */
enum brk_health {
	BRK_UNKNOWN = 0,	/* no signal had data (no traffic, probe pending) */
	BRK_GOOD,
	BRK_BAD,
};

struct brk_params {
	__u64 window_ns;	/* bad this long -> OPEN; good this long -> CLOSED */
	__u64 cooldown_ns;	/* OPEN this long -> HALF_OPEN */
	__u32 half_open_permille;	/* new connections admitted while HALF_OPEN, 1..999 */
};

struct brk {
	struct brk_params p;
	__u8 state;		/* enum adm_breaker, the automatic machine's */
	__u8 manual;		/* 1: an override is in force */
	__u8 manual_state;	/* enum adm_breaker */
	__u32 manual_permille;	/* HALF_OPEN override's share */
	__u64 manual_until_ns;	/* 0 = until `admctl breaker auto` */
	__u64 since_ns;		/* the automatic state began */
	__u64 last_ns;		/* the previous tick */
	__u64 bad_since_ns;	/* CLOSED: start of the current bad run, 0 = none */
	int saw_good;		/* HALF_OPEN: a good tick since it began */
	__u32 backoff;		/* cooldown multiplier, 1..BRK_COOLDOWN_BACKOFF_MAX */
	__u64 transitions;	/* enforced-state changes since brk_init */
	__u64 opened;		/* of them, to OPEN */
};

/* A transition brk_tick or an override made, for audit records and logs. */
struct brk_change {
	__u8 from, to;		/* enum adm_breaker, enforced states */
	const char *why;	/* static text: "bad for 3s", "cooldown over", ... */
};

/* A closed breaker with params p, its state begun at now. */
void brk_init(struct brk *b, const struct brk_params *p, __u64 now);

/* New parameters (reload); the state and its timers are kept. */
void brk_set_params(struct brk *b, const struct brk_params *p);

/*
 * One tick: feed the health verdict seen at `now` (now never goes back).
 * Returns 1 and fills *c when the enforced state changed, else 0.
 */
int brk_tick(struct brk *b, __u64 now, enum brk_health h, struct brk_change *c);

/*
 * Manual override to `state` (CLOSED, OPEN or HALF_OPEN with permille
 * 1..999) until now + ttl_ns (ttl_ns 0: until brk_auto). Returns 1 and
 * fills *c when the enforced state changed, else 0; -1 for a bad argument
 * (nothing changed).
 */
int brk_override(struct brk *b, __u64 now, __u8 state, __u32 permille,
		 __u64 ttl_ns, struct brk_change *c);

/* End an override now: the automatic machine takes over. Same returns. */
int brk_auto(struct brk *b, __u64 now, struct brk_change *c);

/*
 * Whether the latency samples gathered since since_ns make a verdict at
 * now: min_samples of them, or at least one once they span window_ns. A
 * slow backend completes few requests per tick; its samples are carried
 * over ticks until one of the two holds, so slowness cannot hide as "no
 * data". Before a verdict is due the tick is BRK_UNKNOWN for latency.
 */
int brk_lat_due(__u64 samples, __u64 since_ns, __u64 now, __u64 window_ns,
		__u64 min_samples);

/* The state to enforce and, for HALF_OPEN, the share admitted (permille). */
__u8 brk_state(const struct brk *b);
__u32 brk_permille(const struct brk *b);

#endif /* ADM_BRK_H */
