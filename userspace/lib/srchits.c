// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-source SYN hit deltas from the data plane's counts; see srchits.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "part.h"
#include "srchits.h"

#define SH_BATCH	16384	/* entries per bpf_map_lookup_batch */
#define SH_VAL_MAX	(sizeof(struct adm_src) > sizeof(struct adm_src_tat) ? \
			 sizeof(struct adm_src) : sizeof(struct adm_src_tat))

int adm_src_hits_init(struct adm_src_hits *h, size_t max_entries)
{
	size_t cap = 1024;

	memset(h, 0, sizeof(*h));
	while (cap < 2 * max_entries)
		cap *= 2;
	h->idx = calloc(cap, sizeof(*h->idx));
	h->ent = calloc(cap / 2, sizeof(*h->ent));
	h->keys = calloc(SH_BATCH, sizeof(*h->keys));
	h->vals = calloc(SH_BATCH, SH_VAL_MAX);
	if (!h->idx || !h->ent || !h->keys || !h->vals) {
		adm_src_hits_free(h);
		return -ENOMEM;
	}
	h->cap = cap;
	return 0;
}

void adm_src_hits_free(struct adm_src_hits *h)
{
	free(h->idx);
	free(h->ent);
	free(h->keys);
	free(h->vals);
	memset(h, 0, sizeof(*h));
}

static __u64 sh_hash(const struct adm_fp_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u64 x = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*k) / sizeof(*w); i++) {
		x ^= w[i];
		x *= 0x100000001b3ULL;
	}
	/*
	 * murmur3's finalizer: addresses differ in their high (network order)
	 * bytes, which a multiply never carries down to the index bits.
	 */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* The index slot of k: its entry's, or the free slot where it would go. */
static __u32 *sh_slot(struct adm_src_hits *h, const struct adm_fp_key *k)
{
	size_t i = sh_hash(k) & (h->cap - 1);

	while (h->idx[i] && memcmp(&h->ent[h->idx[i] - 1].key, k, sizeof(*k)))
		i = (i + 1) & (h->cap - 1);
	return &h->idx[i];
}

/* Drop entries not seen in pass `gen`: compact the array, rebuild the index. */
static void sh_sweep(struct adm_src_hits *h)
{
	size_t i, n = 0;

	memset(h->idx, 0, h->cap * sizeof(*h->idx));
	for (i = 0; i < h->n; i++) {
		if (h->ent[i].gen != h->gen)
			continue;
		if (n != i)
			h->ent[n] = h->ent[i];
		*sh_slot(h, &h->ent[n].key) = n + 1;
		n++;
	}
	h->n = n;
}

static int sh_push(struct adm_src_delta **out, size_t *n, size_t *cap,
		   const struct adm_fp_key *k, __u64 delta)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		struct adm_src_delta *p = realloc(*out, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*out = p;
		*cap = c;
	}
	(*out)[*n].key = *k;
	(*out)[(*n)++].delta = delta;
	return 0;
}

/* What of `delta` new SYNs of entry e to report (0: nothing yet). */
static __u64 sh_report(struct adm_src_hits_entry *e, __u64 delta,
		       const struct adm_src_report *rep, __u64 now_ms)
{
	const struct adm_src_report *r;
	__u64 wid, before;

	if (!rep)
		return delta;
	r = &rep[e->key.service < ADM_MAX_SERVICES ? e->key.service : 0];
	if (!r->window_ms)
		return 0;
	wid = now_ms / r->window_ms;
	if (e->wid != wid) {
		e->wid = wid;
		e->wcount = 0;
	}
	before = e->wcount;
	e->wcount += delta;
	if (e->wcount < r->min)
		return 0;
	return before < r->min ? e->wcount : delta;
}

/* Add the syn_hits of every entry of one map (values of vsize bytes, the count at hoff) to the pass. */
static int sh_read_map(struct adm_src_hits *h, int fd, size_t vsize, size_t hoff)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct adm_fp_key in_batch, out_batch;
	void *in = NULL;
	size_t next = 0;
	__u32 count, i;
	int err, done = 0;

	while (!done) {
		count = SH_BATCH;
		err = bpf_map_lookup_batch(fd, in, &out_batch, h->keys, h->vals,
					   &count, &opts);
		if (err) {
			err = -errno;
			if (err != -ENOENT)
				return err;
			done = 1;
		}
		for (i = 0; i < count; i++) {
			struct adm_src_hits_entry *e;
			__u64 hits;

			memcpy(&hits, (char *)h->vals + (size_t)i * vsize + hoff, sizeof(hits));
			/* The maps list their entries in about the same order every pass. */
			if (next < h->n && !memcmp(&h->ent[next].key, &h->keys[i], sizeof(h->keys[i]))) {
				e = &h->ent[next++];
			} else {
				__u32 *slot = sh_slot(h, &h->keys[i]);

				if (!*slot) {
					if (h->n + 1 > h->cap / 2)
						continue;	/* full: cannot track more than the maps hold */
					*slot = h->n + 1;
					e = &h->ent[h->n++];
					memset(e, 0, sizeof(*e));
					e->fresh = 1;
					e->key = h->keys[i];
				} else {
					e = &h->ent[*slot - 1];
				}
				next = e - h->ent + 1;
			}
			if (e->gen != h->gen) {
				e->gen = h->gen;
				e->cur = 0;
			}
			e->cur += hits;
		}
		in_batch = out_batch;
		in = &in_batch;
	}
	return 0;
}

/* One service's adm_rate partition (part.h). */
static int sh_read_part(int fd, __u32 id, void *arg)
{
	(void)id;
	return sh_read_map(arg, fd, sizeof(struct adm_src_tat),
			   offsetof(struct adm_src_tat, syn_hits));
}

int adm_src_hits_read(struct adm_src_hits *h, int src_fd, int rate_fd, int baseline,
		      const struct adm_src_report *rep, __u64 now_ms,
		      struct adm_src_delta **out, size_t *n_out, size_t *cap_out)
{
	size_t start = *n_out, i;
	int err;

	h->gen++;
	err = sh_read_map(h, src_fd, sizeof(struct adm_src),
			  offsetof(struct adm_src, syn_hits));
	if (!err && rate_fd >= 0)
		err = adm_part_each(rate_fd, sh_read_part, h);
	if (err) {
		/* Nothing appended; the next pass starts from the same counts. */
		for (i = 0; i < h->n; i++)
			if (h->ent[i].gen == h->gen)
				h->ent[i].gen--;
		*n_out = start;
		return err;
	}
	for (i = 0; i < h->n; i++) {
		struct adm_src_hits_entry *e = &h->ent[i];
		__u64 delta;

		if (e->gen != h->gen)
			continue;
		if (e->fresh)
			delta = baseline ? 0 : e->cur;
		else
			delta = e->cur >= e->hits ? e->cur - e->hits : e->cur;
		e->fresh = 0;
		e->hits = e->cur;
		if (delta)
			delta = sh_report(e, delta, rep, now_ms);
		if (delta && sh_push(out, n_out, cap_out, &e->key, delta)) {
			*n_out = start;
			return -ENOMEM;
		}
	}
	/* Forget sources the maps no longer hold, when they are many. */
	if (h->n > h->cap / 4)
		sh_sweep(h);
	return 0;
}
