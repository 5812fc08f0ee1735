// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "srcfilter.h"

#define FILTER_BYTES	(ADM_SRC_FILTER_WORDS * sizeof(__u64))
#define SUMMARY_BYTES	(ADM_SRC_SUMMARY_WORDS * sizeof(__u64))
#define SUM_GROUPS	(64 >> ADM_SRC_SUMMARY_SHIFT)	/* summary bits per filter word */
#define SUM_FWORDS	(64 / SUM_GROUPS)		/* filter words per summary word */
#define SF_BATCH	4096	/* adm_src entries per bpf_map_lookup_batch */

/* A shared mapping of an mmapable array map, or NULL (errno set). */
static __u64 *sf_mmap(int fd, size_t bytes, int prot)
{
	void *p = mmap(NULL, bytes, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int adm_src_filter_open(struct adm_src_filter *f, int live_fd, int next_fd, int sum_fd)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->sync_fd = f->sync_inner_fd = -1;
	if (!(f->live = sf_mmap(live_fd, FILTER_BYTES, PROT_READ | PROT_WRITE)) ||
	    !(f->next = sf_mmap(next_fd, FILTER_BYTES, PROT_READ | PROT_WRITE)) ||
	    !(f->sum = sf_mmap(sum_fd, SUMMARY_BYTES, PROT_READ | PROT_WRITE))) {
		err = -errno;
		adm_src_filter_close(f);
		return err;
	}
	return 0;
}

void adm_src_filter_close(struct adm_src_filter *f)
{
	if (f->live)
		munmap(f->live, FILTER_BYTES);
	if (f->next)
		munmap(f->next, FILTER_BYTES);
	if (f->sum)
		munmap(f->sum, SUMMARY_BYTES);
	if (f->sync_fd >= 0)
		close(f->sync_fd);
	if (f->sync_inner_fd >= 0)
		close(f->sync_inner_fd);
	f->live = f->next = f->sum = NULL;
	f->sync_fd = f->sync_inner_fd = -1;
}

void adm_src_filter_set(const struct adm_src_filter *f, const struct adm_fp_key *key)
{
	__u32 bit = adm_src_filter_bit(key);
	__u32 sbit = bit >> ADM_SRC_SUMMARY_SHIFT;
	__u64 m = 1ULL << (bit % 64);

	/* next first: the rebuild's copy into live must never miss a bit live has. */
	__atomic_fetch_or(&f->next[bit / 64], m, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&f->live[bit / 64], m, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&f->sum[sbit / 64], 1ULL << (sbit % 64), __ATOMIC_SEQ_CST);
}

int adm_src_filter_mark(int live_fd, int next_fd, int sum_fd, const struct adm_fp_key *key)
{
	struct adm_src_filter f;
	int err = adm_src_filter_open(&f, live_fd, next_fd, sum_fd);

	if (err)
		return err;
	adm_src_filter_set(&f, key);
	adm_src_filter_close(&f);
	return 0;
}

__u64 adm_src_bits_count(const __u64 *words, size_t n)
{
	__u64 set = 0;
	size_t i;

	for (i = 0; i < n; i++)
		set += (__u64)__builtin_popcountll(__atomic_load_n(&words[i], __ATOMIC_RELAXED));
	return set;
}

/* The summary word `sw` derived from the live filter (its SUM_FWORDS words). */
static __u64 sf_summary_word(const __u64 *live, size_t sw)
{
	const __u64 group = (1ULL << (1 << ADM_SRC_SUMMARY_SHIFT)) - 1;
	__u64 s = 0, v;
	size_t i, g;

	for (i = 0; i < SUM_FWORDS; i++) {
		v = __atomic_load_n(&live[sw * SUM_FWORDS + i], __ATOMIC_SEQ_CST);
		for (g = 0; v && g < SUM_GROUPS; g++)
			if (v >> (g << ADM_SRC_SUMMARY_SHIFT) & group)
				s |= 1ULL << (i * SUM_GROUPS + g);
	}
	return s;
}

int adm_src_summary_rebuild(int live_fd, int sum_fd)
{
	__u64 *live, *sum;
	size_t sw;
	int err;

	live = sf_mmap(live_fd, FILTER_BYTES, PROT_READ);
	if (!live)
		return -errno;
	sum = sf_mmap(sum_fd, SUMMARY_BYTES, PROT_READ | PROT_WRITE);
	if (!sum) {
		err = -errno;
		munmap(live, FILTER_BYTES);
		return err;
	}
	for (sw = 0; sw < ADM_SRC_SUMMARY_WORDS; sw++) {
		__u64 s = sf_summary_word(live, sw);

		if (s & ~__atomic_load_n(&sum[sw], __ATOMIC_RELAXED))
			__atomic_fetch_or(&sum[sw], s, __ATOMIC_SEQ_CST);
	}
	munmap(sum, SUMMARY_BYTES);
	munmap(live, FILTER_BYTES);
	return 0;
}

int adm_bpf_sync(int *sync_fd, int *inner_fd)
{
	__u32 zero = 0;

	if (*inner_fd < 0) {
		*inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "adm_sync_inner", sizeof(__u32),
					   sizeof(__u32), 1, NULL);
		if (*inner_fd < 0)
			return -errno;
	}
	if (*sync_fd < 0) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = *inner_fd);

		*sync_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "adm_sync", sizeof(__u32),
					  sizeof(__u32), 1, &o);
		if (*sync_fd < 0)
			return -errno;
	}
	/* kernel/bpf/syscall.c: map-in-map updates wait for running programs (synchronize_rcu). */
	return bpf_map_update_elem(*sync_fd, &zero, inner_fd, BPF_ANY) ? -errno : 0;
}

/* Set the bit of every key of adm_src in next. */
static int sf_read_keys(struct adm_src_filter *f, int src_fd, __u64 *keys,
			void (*step)(void *arg, enum adm_src_filter_step s, __u32 word),
			void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct adm_fp_key *k;
	struct adm_src *vals;
	__u32 in_batch, out_batch, count, i;
	void *in = NULL;
	int err = 0, done = 0;

	k = calloc(SF_BATCH, sizeof(*k));
	vals = calloc(SF_BATCH, sizeof(*vals));
	if (!k || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done) {
		count = SF_BATCH;
		if (bpf_map_lookup_batch(src_fd, in, &out_batch, k, vals, &count, &opts)) {
			err = -errno;
			if (err != -ENOENT)
				goto out;
			err = 0;
			done = 1;
		}
		for (i = 0; i < count; i++) {
			__u32 bit = adm_src_filter_bit(&k[i]);

			__atomic_fetch_or(&f->next[bit / 64], 1ULL << (bit % 64), __ATOMIC_SEQ_CST);
		}
		*keys += count;
		in_batch = out_batch;
		in = &in_batch;
		if (step)
			step(arg, ADM_SF_BATCH, 0);
	}
out:
	free(k);
	free(vals);
	return err;
}

int adm_src_filter_rebuild(struct adm_src_filter *f, int src_fd,
			   struct adm_src_filter_pass *p,
			   void (*step)(void *arg, enum adm_src_filter_step s, __u32 word),
			   void *arg)
{
	struct adm_src_filter_pass pass = {};
	__u64 t0 = adm_mono_ns(), t1;
	size_t i;
	int err;

	pass.bits_before = adm_src_bits_count(f->live, ADM_SRC_FILTER_WORDS);
	/*
	 * A writer's bit set in next before its word is cleared here is
	 * lost; its program is still running or has written its entry.
	 */
	for (i = 0; i < ADM_SRC_FILTER_WORDS; i++)
		__atomic_store_n(&f->next[i], 0, __ATOMIC_SEQ_CST);
	if (step)
		step(arg, ADM_SF_CLEARED, 0);
	/* After this every such program has returned: the key read below has its entry. */
	t1 = adm_mono_ns();
	err = adm_bpf_sync(&f->sync_fd, &f->sync_inner_fd);
	pass.sync_ns = adm_mono_ns() - t1;
	if (err)
		return err;
	if (step)
		step(arg, ADM_SF_SYNCED, 0);
	/*
	 * A hash map's batch read walks its buckets in order, so an entry
	 * present from here to the end is read; one created meanwhile had
	 * its bit set in next first.
	 */
	err = sf_read_keys(f, src_fd, &pass.keys, step, arg);
	if (err)
		return err;
	/*
	 * next now holds the bit of every key with an entry. live := next,
	 * a word at a time; live is read before next, and a writer sets next
	 * before live, so a compare-and-swap that succeeds never drops a bit
	 * set after next was read (the live word would have changed).
	 */
	for (i = 0; i < ADM_SRC_FILTER_WORDS; i++) {
		__u64 a = __atomic_load_n(&f->live[i], __ATOMIC_SEQ_CST), b;

		do {
			b = __atomic_load_n(&f->next[i], __ATOMIC_SEQ_CST);
			if (a == b)
				break;
			if (step)
				step(arg, ADM_SF_COPY_WORD, (__u32)i);
		} while (!__atomic_compare_exchange_n(&f->live[i], &a, b, 0, __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST));
	}
	if (step)
		step(arg, ADM_SF_COPIED, 0);
	/*
	 * The summary from live, the same way: its word read before live's,
	 * a writer sets live before the summary, so a swap that succeeds
	 * drops no group whose live bit was set after live was read.
	 */
	for (i = 0; i < ADM_SRC_SUMMARY_WORDS; i++) {
		__u64 a = __atomic_load_n(&f->sum[i], __ATOMIC_SEQ_CST), b;

		do {
			b = sf_summary_word(f->live, i);
			if (a == b)
				break;
		} while (!__atomic_compare_exchange_n(&f->sum[i], &a, b, 0, __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST));
	}
	if (step)
		step(arg, ADM_SF_SUMMARIZED, 0);
	/*
	 * A swap cannot see an or that changed nothing: a writer whose bit
	 * was already set (by another key) when it ored, and that the swap
	 * then cleared, went on to create its entry with its bit clear. Once
	 * every program running during the swaps has returned, its bit is in
	 * next (set first, never cleared after the first wait): or next into
	 * live and live's groups into the summary. Ors only from here on.
	 */
	t1 = adm_mono_ns();
	err = adm_bpf_sync(&f->sync_fd, &f->sync_inner_fd);
	pass.sync_ns += adm_mono_ns() - t1;
	if (err)
		return err;
	for (i = 0; i < ADM_SRC_FILTER_WORDS; i++) {
		__u64 b = __atomic_load_n(&f->next[i], __ATOMIC_SEQ_CST);

		if (b & ~__atomic_load_n(&f->live[i], __ATOMIC_SEQ_CST))
			__atomic_fetch_or(&f->live[i], b, __ATOMIC_SEQ_CST);
	}
	for (i = 0; i < ADM_SRC_SUMMARY_WORDS; i++) {
		__u64 b = sf_summary_word(f->live, i);

		if (b & ~__atomic_load_n(&f->sum[i], __ATOMIC_SEQ_CST))
			__atomic_fetch_or(&f->sum[i], b, __ATOMIC_SEQ_CST);
	}
	if (step)
		step(arg, ADM_SF_REPAIRED, 0);
	pass.bits_after = adm_src_bits_count(f->live, ADM_SRC_FILTER_WORDS);
	pass.ns = adm_mono_ns() - t0;
	if (p)
		*p = pass;
	return 0;
}
