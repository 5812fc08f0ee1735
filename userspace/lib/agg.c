// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decision aggregation: a fixed open-addressing table of keys over an
 * array of entries kept in arrival order (see agg.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "util.h"

#define AGG_MAX_ENTRIES		(1U << 24)
#define AGG_COUNT_MAX		0xffffffffULL

/* What makes two records one. */
struct agg_key {
	__u32 addr[4];
	__u32 service_id;
	__u16 dport;
	__u8 verdict, reason, proto;
	__u8 pad[3];
};

struct agg {
	struct spool_decision *ent;	/* [max], arrival order */
	__u32 *slot;			/* [nslots]: entry index + 1, 0 empty */
	unsigned int max, n, nslots;
	__u64 window_ns, start_ns;
	unsigned int prefix4, prefix6;
	agg_emit_fn emit;
	void *ctx;
	struct agg_stats st;
};

static void key_of(const struct spool_decision *d, struct agg_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, d->addr, sizeof(k->addr));
	k->service_id = d->service_id;
	k->dport = d->dport;
	k->verdict = d->verdict;
	k->reason = d->reason;
	k->proto = d->proto;
}

/* FNV-1a over the key's bytes. */
static __u32 key_hash(const struct agg_key *k)
{
	const unsigned char *p = (const void *)k;
	__u32 h = 2166136261U;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

struct agg *agg_new(unsigned int max_entries, __u64 window_ns,
		    unsigned int prefix4, unsigned int prefix6,
		    agg_emit_fn emit, void *ctx)
{
	struct agg *a;

	if (!max_entries || max_entries > AGG_MAX_ENTRIES || !emit ||
	    prefix4 > 32 || prefix6 > 128) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->max = max_entries;
	/* Load factor at most 1/2: short probes. */
	for (a->nslots = 2; a->nslots < 2 * max_entries; a->nslots <<= 1)
		;
	a->ent = calloc(a->max, sizeof(*a->ent));
	a->slot = calloc(a->nslots, sizeof(*a->slot));
	if (!a->ent || !a->slot) {
		agg_free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->emit = emit;
	a->ctx = ctx;
	agg_configure(a, window_ns, prefix4, prefix6);
	return a;
}

void agg_configure(struct agg *a, __u64 window_ns, unsigned int prefix4,
		   unsigned int prefix6)
{
	a->window_ns = window_ns;
	a->prefix4 = prefix4 > 32 ? 32 : prefix4;
	a->prefix6 = prefix6 > 128 ? 128 : prefix6;
}

static void emit_one(struct agg *a, const struct spool_decision *d)
{
	a->st.out++;
	a->emit(a->ctx, d);
}

unsigned int agg_flush(struct agg *a, enum agg_flush_why why)
{
	unsigned int i, n = a->n;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		emit_one(a, &a->ent[i]);
	memset(a->slot, 0, a->nslots * sizeof(*a->slot));
	a->n = 0;
	a->start_ns = 0;
	if (why < AGG_FLUSH__MAX)
		a->st.flushes[why]++;
	return n;
}

__u64 agg_deadline(const struct agg *a)
{
	return a->n ? a->start_ns + a->window_ns : 0;
}

unsigned int agg_tick(struct agg *a, __u64 now_ns)
{
	if (!a->n || now_ns < agg_deadline(a))
		return 0;
	return agg_flush(a, AGG_FLUSH_WINDOW);
}

int agg_add(struct agg *a, const struct spool_decision *in, __u64 now_ns)
{
	struct spool_decision d = *in, *e;
	struct agg_key k, ek;
	__u32 h, i;
	int started = 0;

	a->st.in++;
	if (!d.time_last_ns || d.time_last_ns < d.time_ns)
		d.time_last_ns = d.time_ns;
	d.prefix_len = adm_addr_is_v4(d.addr) ? a->prefix4 : a->prefix6;
	adm_addr_mask(d.addr, d.prefix_len);
	if (!a->window_ns) {
		emit_one(a, &d);
		return 0;
	}
	agg_tick(a, now_ns);
	key_of(&d, &k);
	h = key_hash(&k);
	for (i = h & (a->nslots - 1); a->slot[i]; i = (i + 1) & (a->nslots - 1)) {
		e = &a->ent[a->slot[i] - 1];
		key_of(e, &ek);
		if (memcmp(&k, &ek, sizeof(k)))
			continue;
		if ((__u64)e->count + d.count > AGG_COUNT_MAX) {
			/* The sum would not fit the record: send it, start again. */
			emit_one(a, e);
			a->st.overflow++;
			*e = d;
			return 0;
		}
		e->count += d.count;
		if (d.time_ns < e->time_ns)
			e->time_ns = d.time_ns;
		if (d.time_last_ns > e->time_last_ns)
			e->time_last_ns = d.time_last_ns;
		return 0;
	}
	if (a->n == a->max) {
		agg_flush(a, AGG_FLUSH_FULL);
		/* The table is empty again: find the key's slot anew. */
		for (i = h & (a->nslots - 1); a->slot[i]; i = (i + 1) & (a->nslots - 1))
			;
	}
	if (!a->n) {
		a->start_ns = now_ns;
		started = 1;
	}
	a->ent[a->n] = d;
	a->slot[i] = ++a->n;
	return started;
}

unsigned int agg_entries(const struct agg *a)
{
	return a->n;
}

unsigned int agg_capacity(const struct agg *a)
{
	return a->max;
}

const struct agg_stats *agg_stats(const struct agg *a)
{
	return &a->st;
}

const char *agg_flush_name(enum agg_flush_why why)
{
	static const char *const names[AGG_FLUSH__MAX] = {
		[AGG_FLUSH_WINDOW] = "window",
		[AGG_FLUSH_FULL] = "full",
		[AGG_FLUSH_STOP] = "stop",
		[AGG_FLUSH_RELOAD] = "reload",
	};

	return why < AGG_FLUSH__MAX ? names[why] : "?";
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	free(a->ent);
	free(a->slot);
	free(a);
}
