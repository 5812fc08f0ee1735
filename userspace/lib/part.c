// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "part.h"

const char *adm_part_map_name(enum adm_part_kind kind)
{
	return kind == ADM_PART_PKT ? ADM_MAP_PKT_RATE : ADM_MAP_RATE;
}

__u32 adm_part_value_size(enum adm_part_kind kind)
{
	return kind == ADM_PART_PKT ? sizeof(__u64) : sizeof(struct adm_src_tat);
}

int adm_part_open(int outer_fd, __u32 id)
{
	__u32 inner_id;
	int fd;

	if (bpf_map_lookup_elem(outer_fd, &id, &inner_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(inner_id);
	return fd < 0 ? -errno : fd;
}

static long part_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.max_entries;
}

long adm_part_capacity(int outer_fd, __u32 id)
{
	int fd = adm_part_open(outer_fd, id);
	long n;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	n = part_entries(fd);
	close(fd);
	return n;
}

/* Copy what fits of from's entries into to (both of value size vsize). */
static void part_copy(int from, int to, __u32 vsize)
{
	struct adm_fp_key key, next, *prev = NULL;
	void *val = malloc(vsize);

	while (val && !bpf_map_get_next_key(from, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(from, &key, val))
			bpf_map_update_elem(to, &key, val, BPF_NOEXIST);
	}
	free(val);
}

int adm_part_ensure(int outer_fd, enum adm_part_kind kind, __u32 id,
		    __u32 entries, char *err, size_t errlen)
{
	char name[BPF_OBJ_NAME_LEN];
	int old = adm_part_open(outer_fd, id), fd, ret = -1;
	long have = old >= 0 ? part_entries(old) : 0;

	if (old < 0 && old != -ENOENT) {
		snprintf(err, errlen, "cannot read %s[%u]: %s",
			 adm_part_map_name(kind), id, strerror(-old));
		return -1;
	}
	if (!entries)
		entries = have > 0 ? (__u32)have : ADM_RATE_SOURCES_DEFAULT;
	if (old >= 0 && have == entries) {
		close(old);
		return 0;
	}
	snprintf(name, sizeof(name), "%s.%u",
		 kind == ADM_PART_PKT ? "adm_pkt" : "adm_rate", id);
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, name, sizeof(struct adm_fp_key),
			    adm_part_value_size(kind), entries, NULL);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the %u-entry partition %s[%u]: %s",
			 entries, adm_part_map_name(kind), id, strerror(errno));
		goto out;
	}
	if (old >= 0)
		part_copy(old, fd, adm_part_value_size(kind));
	if (bpf_map_update_elem(outer_fd, &id, &fd, BPF_ANY)) {
		snprintf(err, errlen, "cannot install the partition %s[%u]: %s",
			 adm_part_map_name(kind), id, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (old >= 0)
		close(old);
	return ret;
}

int adm_part_drop(int outer_fd, __u32 id)
{
	if (bpf_map_delete_elem(outer_fd, &id) && errno != ENOENT)
		return -errno;
	return 0;
}

int adm_part_each(int outer_fd, int (*fn)(int fd, __u32 id, void *arg), void *arg)
{
	__u32 id;
	int fd, rc;

	for (id = 0; id < ADM_MAX_SERVICES; id++) {
		fd = adm_part_open(outer_fd, id);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		rc = fn(fd, id, arg);
		close(fd);
		if (rc)
			return rc;
	}
	return 0;
}

static int needs_rate(const struct adm_service *svc)
{
	return svc && (svc->flags & ADM_SVC_ACTIVE) && svc->syn.emission_ns &&
	       !(svc->flags & ADM_SVC_VERIFY);
}

static int needs_pkt(const struct adm_service *svc)
{
	return svc && (svc->flags & ADM_SVC_ACTIVE) && svc->pkt.emission_ns;
}

int adm_part_prepare(int rate_fd, int pkt_fd, __u32 id, const struct adm_service *svc,
		     __u32 rate_n, __u32 pkt_n, char *err, size_t errlen)
{
	if (rate_fd >= 0 && needs_rate(svc) &&
	    adm_part_ensure(rate_fd, ADM_PART_RATE, id, rate_n, err, errlen))
		return -1;
	if (pkt_fd >= 0 && needs_pkt(svc) &&
	    adm_part_ensure(pkt_fd, ADM_PART_PKT, id, pkt_n, err, errlen))
		return -1;
	return 0;
}

int adm_part_retire(int rate_fd, int pkt_fd, __u32 id, const struct adm_service *svc)
{
	int err = 0;

	if (rate_fd >= 0 && !needs_rate(svc))
		err = adm_part_drop(rate_fd, id);
	if (pkt_fd >= 0 && !needs_pkt(svc) && !err)
		err = adm_part_drop(pkt_fd, id);
	return err;
}
