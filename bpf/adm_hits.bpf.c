// SPDX-License-Identifier: GPL-2.0
/*
 * adm_hits: the cluster sync's read of per-source SYN counts, run by admd
 * once per round (BPF_PROG_TEST_RUN) over adm_src and every adm_rate
 * partition with bpf_for_each_map_elem. For every entry with SYNs not yet
 * taken it takes them (the count word of include/adm/adm.h, ADM_HITS_*),
 * applies the report rule of userspace/lib/srchits.h with its window state
 * kept in the entry, and appends a struct adm_hits_rec to adm_hits_out
 * only for what is to be reported. An entry with no new SYN costs a load
 * and a compare. (An iter/bpf_map_elem program would do the same with a
 * link per map; this machine's kernel refuses to load one: EPERM.)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "adm/adm.h"

_Static_assert(__builtin_offsetof(struct adm_src, syn_hits) ==
	       __builtin_offsetof(struct adm_src_tat, syn_hits),
	       "adm_hits reads syn_hits of both layouts at one offset");
_Static_assert(sizeof(struct adm_hits_rec) == 32, "records are 32 bytes");

#define HITS_OFF	__builtin_offsetof(struct adm_src_tat, syn_hits)

/* Written by admd before each round (srchits.c). */
struct adm_hits_rule adm_hits_rules[ADM_MAX_SERVICES];
__u32 adm_hits_flags;

/* The new word for `v` and, in *rep, what of its SYNs to report. */
static __always_inline __u64 adm_hits_step(__u64 v, __u32 service, __u64 *rep)
{
	__u32 n = (__u32)v, st = (__u32)(v >> 32), flags = adm_hits_flags;
	const struct adm_hits_rule *r;
	__u32 tag, c;

	*rep = 0;
	if (flags & ADM_HITS_BASELINE)
		return 0;
	if (flags & ADM_HITS_ALL) {
		*rep = n;
		return (__u64)st << 32;
	}
	r = &adm_hits_rules[service < ADM_MAX_SERVICES ? service : 0];
	if (!r->tag)
		return (__u64)st << 32;		/* not reported: the window stays */
	tag = st >> ADM_HITS_TAG_SHIFT;
	if (tag != r->tag)
		st = r->tag << ADM_HITS_TAG_SHIFT;	/* a new window: nothing in it yet */
	if (st & ADM_HITS_REACHED) {
		*rep = n;			/* past min: every new SYN */
	} else {
		c = (st & ADM_HITS_WCOUNT_MAX) + n;
		if (c < n || c > ADM_HITS_WCOUNT_MAX)
			c = ADM_HITS_WCOUNT_MAX;
		if (c >= r->min) {
			*rep = c;		/* reaching min: all the window had */
			c = ADM_HITS_REACHED;
		}
		st = (st & ~(ADM_HITS_REACHED | ADM_HITS_WCOUNT_MAX)) | c;
	}
	return (__u64)st << 32;
}

/*
 * admd's maps, given at load (bpf_map__reuse_fd): adm_src and adm_rate
 * (maps/adm_maps.h). Only the count word is touched.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct adm_fp_key));
	__uint(value_size, sizeof(struct adm_src));
} adm_hits_src SEC(".maps");

struct adm_hits_part {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_PART_TEMPLATE);
	__uint(key_size, sizeof(struct adm_fp_key));
	__uint(value_size, sizeof(struct adm_src_tat));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__array(values, struct adm_hits_part);
} adm_hits_rate SEC(".maps");

/* The records of one run, read by admd through mmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_HITS_OUT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct adm_hits_rec);
} adm_hits_out SEC(".maps");

/* Set by each run: records in adm_hits_out, and whether it filled up. */
__u32 adm_hits_n;
__u32 adm_hits_full;

static long adm_hits_elem(void *map, const struct adm_fp_key *key, void *value, void *cb)
{
	__u64 *w = (__u64 *)((char *)value + HITS_OFF);
	struct adm_hits_rec *rec;
	__u64 v, nv, rep;
	__u32 idx;
	int i;

	/*
	 * The data plane adds to the word meanwhile: a failed swap reads
	 * again; one that keeps failing leaves the SYNs for the next round.
	 */
	for (i = 0; i < 4; i++) {
		v = *(volatile __u64 *)w;
		if (!v)
			return 0;
		/*
		 * Without new SYNs the word changes only when its window has
		 * passed (forgotten now, so an 8-bit tag never comes back to
		 * a stale count) or on a baseline: once per window at most.
		 */
		nv = adm_hits_step(v, key->service, &rep);
		if (nv == v)
			return 0;
		idx = adm_hits_n;
		rec = NULL;
		if (rep) {
			/* Full: stop before taking anything; admd runs again. */
			rec = idx < ADM_HITS_OUT ? bpf_map_lookup_elem(&adm_hits_out, &idx) : NULL;
			if (!rec) {
				adm_hits_full = 1;
				return 1;
			}
		}
		if (__sync_val_compare_and_swap(w, v, nv) != v)
			continue;
		if (rec) {
			__builtin_memcpy(&rec->key, key, sizeof(rec->key));
			rec->delta = rep;
			adm_hits_n = idx + 1;
		}
		return 0;
	}
	return 0;
}

/* bpf_loop's step: partition `id` (a loop whose key is on the stack would not verify). */
static long adm_hits_part(__u32 id, void *ctx)
{
	void *part = bpf_map_lookup_elem(&adm_hits_rate, &id);

	if (part)
		bpf_for_each_map_elem(part, adm_hits_elem, NULL, 0);
	return adm_hits_full ? 1 : 0;
}

SEC("syscall")
int adm_hits(void *ctx)
{
	adm_hits_n = 0;
	adm_hits_full = 0;
	bpf_for_each_map_elem(&adm_hits_src, adm_hits_elem, NULL, 0);
	if (!adm_hits_full)
		bpf_loop(ADM_MAX_SERVICES, adm_hits_part, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
