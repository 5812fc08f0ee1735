// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-source SYN hit deltas from the data plane's counts; see srchits.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "srchits.h"	/* first: the skeleton names its layouts */
#include "adm_hits.skel.h"

_Static_assert(sizeof(struct adm_src_delta) == sizeof(struct adm_hits_rec),
	       "records are copied straight into the deltas");

#define SH_RUNS		64	/* runs of adm_hits a read: 4M sources reported */

int adm_src_hits_init(struct adm_src_hits *h, int src_fd, int rate_fd)
{
	size_t len = (size_t)ADM_HITS_OUT * sizeof(struct adm_hits_rec);
	int err;

	memset(h, 0, sizeof(*h));
	h->skel = adm_hits_bpf__open();
	if (!h->skel)
		return errno ? -errno : -EINVAL;
	err = bpf_map__reuse_fd(h->skel->maps.adm_hits_src, src_fd);
	if (!err && rate_fd >= 0)
		err = bpf_map__reuse_fd(h->skel->maps.adm_hits_rate, rate_fd);
	if (!err)
		err = adm_hits_bpf__load(h->skel);
	if (err)
		goto fail;
	h->out = mmap(NULL, len, PROT_READ, MAP_SHARED,
		      bpf_map__fd(h->skel->maps.adm_hits_out), 0);
	if (h->out == MAP_FAILED) {
		h->out = NULL;
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	adm_src_hits_free(h);
	return err < 0 ? err : -EINVAL;
}

void adm_src_hits_free(struct adm_src_hits *h)
{
	if (h->out)
		munmap((void *)h->out, (size_t)ADM_HITS_OUT * sizeof(struct adm_hits_rec));
	adm_hits_bpf__destroy(h->skel);
	memset(h, 0, sizeof(*h));
}

int adm_src_hits_read(struct adm_src_hits *h, int baseline,
		      const struct adm_src_report *rep, __u64 now_ms,
		      struct adm_src_delta **out, size_t *n_out, size_t *cap_out)
{
	struct adm_hits_bpf__bss *bss;
	int i, fd, runs;

	if (!h->skel)
		return -EINVAL;
	bss = h->skel->bss;
	bss->adm_hits_flags = baseline ? ADM_HITS_BASELINE : rep ? 0 : ADM_HITS_ALL;
	for (i = 0; rep && i < ADM_MAX_SERVICES; i++) {
		struct adm_hits_rule *r = &bss->adm_hits_rules[i];

		if (!rep[i].window_ms) {
			r->tag = 0;
			continue;
		}
		r->tag = (__u32)(now_ms / rep[i].window_ms % 255) + 1;
		r->min = rep[i].min > ADM_HITS_WCOUNT_MAX ? ADM_HITS_WCOUNT_MAX : (__u32)rep[i].min;
	}
	fd = bpf_program__fd(h->skel->progs.adm_hits);
	/*
	 * A run stops when adm_hits_out is full, before taking the SYNs of
	 * the entry it could not write: run again from the start (the
	 * entries already taken have nothing new) until one run finishes,
	 * or SH_RUNS runs (the rest waits in the maps for the next read).
	 */
	for (runs = 0; runs < SH_RUNS; runs++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		size_t n;

		if (bpf_prog_test_run_opts(fd, &opts))
			return -errno;
		n = bss->adm_hits_n;
		if (n > ADM_HITS_OUT)
			return -EIO;
		if (*cap_out - *n_out < n) {
			size_t c = *cap_out ? *cap_out : 1024;
			struct adm_src_delta *q;

			while (c - *n_out < n)
				c *= 2;
			q = realloc(*out, c * sizeof(*q));
			if (!q)
				return -ENOMEM;	/* lost: they were taken */
			*out = q;
			*cap_out = c;
		}
		memcpy(*out + *n_out, (const void *)h->out, n * sizeof(**out));
		*n_out += n;
		if (!bss->adm_hits_full)
			return 0;
	}
	return 0;
}
