// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The data plane's counters read from the pinned maps (prefix adm_stats_); see stats.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pins.h"
#include "stats.h"

static int read_percpu_stats(int fd, struct adm_stats_snapshot *snap)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 *keys = NULL, count = ADM_STATS_ENTRIES, i;
	struct adm_stat *vals = NULL;
	__u32 out_batch;
	int ret = 0, cpu;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	keys = calloc(ADM_STATS_ENTRIES, sizeof(*keys));
	vals = calloc((size_t)ADM_STATS_ENTRIES * ncpu, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL) &&
	    errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < count; i++) {
		__u32 k = keys[i], svc, v, r;
		struct adm_stat *dst;

		if (k >= ADM_STATS_ENTRIES)
			continue;
		svc = k / (ADM_V__MAX * ADM_R__MAX);
		v = k / ADM_R__MAX % ADM_V__MAX;
		r = k % ADM_R__MAX;
		dst = &snap->c[svc][v][r];
		for (cpu = 0; cpu < ncpu; cpu++) {
			dst->packets += vals[(size_t)i * ncpu + cpu].packets;
			dst->bytes += vals[(size_t)i * ncpu + cpu].bytes;
		}
	}
out:
	free(keys);
	free(vals);
	return ret;
}

static int read_evbudget(int fd, struct adm_stats_snapshot *snap)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	struct adm_evbudget *v;
	__u32 zero = 0;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (!bpf_map_lookup_elem(fd, &zero, v)) {
		for (cpu = 0; cpu < ncpu; cpu++) {
			snap->events.emitted += v[cpu].emitted;
			snap->events.suppressed += v[cpu].suppressed;
			snap->events.lost += v[cpu].lost;
		}
	}
	free(v);
	return 0;
}

int adm_stats_read(const char *root, struct adm_stats_snapshot *snap)
{
	int stats = -1, meta = -1, conc = -1, evb = -1, ret;
	__u32 id;

	memset(snap, 0, sizeof(*snap));
	stats = adm_map_open(root, ADM_MAP_STATS, 1);
	if (stats < 0)
		return stats;
	meta = adm_map_open(root, ADM_MAP_META, 1);
	conc = adm_map_open(root, ADM_MAP_CONC, 1);
	evb = adm_map_open(root, ADM_MAP_EVBUDGET, 1);
	if (meta < 0 || conc < 0 || evb < 0) {
		ret = meta < 0 ? meta : conc < 0 ? conc : evb;
		goto out;
	}
	ret = read_percpu_stats(stats, snap);
	if (ret)
		goto out;
	for (id = 0; id < ADM_MAX_SERVICES; id++) {
		bpf_map_lookup_elem(meta, &id, &snap->meta[id]);
		snap->meta[id].name[ADM_META_NAME_LEN - 1] = '\0';
		bpf_map_lookup_elem(conc, &id, &snap->conc[id]);
	}
	ret = read_evbudget(evb, snap);
out:
	if (stats >= 0)
		close(stats);
	if (meta >= 0)
		close(meta);
	if (conc >= 0)
		close(conc);
	if (evb >= 0)
		close(evb);
	return ret;
}

int adm_stats_service_used(const struct adm_stats_snapshot *snap, __u32 id)
{
	int v, r;

	if (id >= ADM_MAX_SERVICES)
		return 0;
	if (snap->meta[id].name[0])
		return 1;
	for (v = 0; v < ADM_V__MAX; v++)
		for (r = 0; r < ADM_R__MAX; r++)
			if (snap->c[id][v][r].packets)
				return 1;
	return 0;
}
