// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-source SYN hit counts from adm_src and adm_rate, by batch lookups (srchits.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "pins.h"
#include "srchits.h"

#define HITS_BATCH	4096	/* entries per BPF_MAP_LOOKUP_BATCH call */

struct hits_vec {
	struct adm_src_hits *v;
	size_t n, cap;
};

static int vec_push(struct hits_vec *h, const struct adm_fp_key *k, __u64 hits)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : HITS_BATCH;
		struct adm_src_hits *p = realloc(h->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		h->v = p;
		h->cap = cap;
	}
	h->v[h->n].key = *k;
	h->v[h->n].syn_hits = hits;
	h->n++;
	return 0;
}

/*
 * Append every (key, syn_hits) of one map. `vsize` is its value size and
 * `hits_off` the offset of syn_hits in the value.
 */
static int read_map(int fd, size_t vsize, size_t hits_off, struct hits_vec *out)
{
	struct adm_fp_key *keys = calloc(HITS_BATCH, sizeof(*keys));
	__u8 *vals = calloc(HITS_BATCH, vsize);
	__u64 in_batch = 0, out_batch = 0, hits;
	void *in = NULL;
	__u32 count, i;
	int ret = 0, rc;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = HITS_BATCH;
		rc = bpf_map_lookup_batch(fd, in, &out_batch, keys, vals, &count, NULL);
		if (rc && errno != ENOENT) {
			ret = -errno;
			goto out;
		}
		for (i = 0; i < count; i++) {
			memcpy(&hits, vals + (size_t)i * vsize + hits_off, sizeof(hits));
			ret = vec_push(out, &keys[i], hits);
			if (ret)
				goto out;
		}
		if (rc)		/* ENOENT: that was the last batch */
			break;
		in_batch = out_batch;
		in = &in_batch;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

int adm_src_hits_read_fd(int src_fd, int rate_fd, struct adm_src_hits **out,
			 size_t *n)
{
	struct hits_vec h = {};
	int ret = 0;

	if (src_fd >= 0)
		ret = read_map(src_fd, sizeof(struct adm_src),
			       offsetof(struct adm_src, syn_hits), &h);
	if (!ret && rate_fd >= 0)
		ret = read_map(rate_fd, sizeof(struct adm_src_tat),
			       offsetof(struct adm_src_tat, syn_hits), &h);
	if (ret) {
		free(h.v);
		h.v = NULL;
		h.n = 0;
	}
	*out = h.v;
	*n = h.n;
	return ret;
}

int adm_src_hits_read(const char *root, struct adm_src_hits **out, size_t *n)
{
	int src_fd = adm_map_open(root, ADM_MAP_SRC, 1);
	int rate_fd = adm_map_open(root, ADM_MAP_RATE, 1);
	int ret;

	*out = NULL;
	*n = 0;
	if (src_fd < 0 || rate_fd < 0)
		ret = src_fd < 0 ? src_fd : rate_fd;
	else
		ret = adm_src_hits_read_fd(src_fd, rate_fd, out, n);
	if (src_fd >= 0)
		close(src_fd);
	if (rate_fd >= 0)
		close(rate_fd);
	return ret;
}
