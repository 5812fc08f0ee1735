// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The allow and deny lists: adds, deletes, expiry sweep, adm_global marks. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cidr.h"
#include "clock.h"
#include "pins.h"

static __u64 *list_word(struct adm_global *g, int allow)
{
	return allow ? &g->allow_word : &g->deny_word;
}

static struct adm_global *global_map(int fd)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void global_unmap(struct adm_global *g)
{
	if (g)
		munmap(g, (size_t)sysconf(_SC_PAGESIZE));
}

static void mark(struct adm_global *g, int allow)
{
	__u64 *w = list_word(g, allow);
	__u64 old = __atomic_load_n(w, __ATOMIC_ACQUIRE), next;

	do {
		next = (old + ADM_CIDR_ADD) | ADM_CIDR_MAYBE;
	} while (!__atomic_compare_exchange_n(w, &old, next, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
}

static int list_empty(int fd)
{
	struct adm_lpm_key k;

	return bpf_map_get_next_key(fd, NULL, &k) != 0;
}

/* Clear bit 0 if the list is empty and no add happened since we looked. */
static void unmark_if_empty(struct adm_global *g, int allow, int list_fd)
{
	__u64 *w = list_word(g, allow);
	__u64 seen = __atomic_load_n(w, __ATOMIC_ACQUIRE);

	if (!(seen & ADM_CIDR_MAYBE) || !list_empty(list_fd))
		return;
	__atomic_compare_exchange_n(w, &seen, seen & ~ADM_CIDR_MAYBE, 0,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

int adm_cidr_expire_fd(int list_fd, __u64 now_ns)
{
	struct adm_lpm_key *keys, k, *prev = NULL;
	struct adm_cidr_val v;
	int n = 0, i, deleted = 0;

	keys = calloc(ADM_MAX_CIDRS, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* Collect first, delete after: deleting under get_next_key restarts the walk. */
	while (n < ADM_MAX_CIDRS && !bpf_map_get_next_key(list_fd, prev, &k)) {
		keys[n] = k;
		prev = &keys[n];
		if (!bpf_map_lookup_elem(list_fd, &k, &v) && v.expires_ns &&
		    v.expires_ns <= now_ns)
			n++;
	}
	for (i = 0; i < n; i++)
		if (!bpf_map_delete_elem(list_fd, &keys[i]))
			deleted++;
	free(keys);
	return deleted;
}

int adm_cidr_add_fd(int list_fd, int global_fd, int allow,
		    const struct adm_lpm_key *key, __u64 expires_ns)
{
	struct adm_cidr_val v = { .expires_ns = expires_ns,
				  .prefixlen = key->prefixlen };
	struct adm_global *g = global_map(global_fd);
	int ret = 0;

	if (!g)
		return -errno;
	if (bpf_map_update_elem(list_fd, key, &v, BPF_ANY)) {
		ret = -errno;
		/* Full: expired entries make room before the add gives up. */
		if (ret == -ENOSPC && adm_cidr_expire_fd(list_fd, adm_mono_ns()) > 0)
			ret = bpf_map_update_elem(list_fd, key, &v, BPF_ANY) ? -errno : 0;
	}
	if (!ret)
		mark(g, allow);
	global_unmap(g);
	return ret;
}

static int open_pair(const char *root, int allow, int *list_fd, int *global_fd)
{
	*list_fd = adm_map_open(root, allow ? ADM_MAP_ALLOW : ADM_MAP_DENY, 0);
	if (*list_fd < 0)
		return *list_fd;
	*global_fd = adm_map_open(root, ADM_MAP_GLOBAL, 0);
	if (*global_fd < 0) {
		close(*list_fd);
		return *global_fd;
	}
	return 0;
}

int adm_cidr_add(const char *root, int allow, const struct adm_lpm_key *key,
		 __u64 expires_ns)
{
	int lfd, gfd, ret = open_pair(root, allow, &lfd, &gfd);

	if (ret)
		return ret;
	ret = adm_cidr_add_fd(lfd, gfd, allow, key, expires_ns);
	close(lfd);
	close(gfd);
	return ret;
}

int adm_cidr_del(const char *root, int allow, const struct adm_lpm_key *key)
{
	struct adm_global *g;
	int lfd, gfd, ret = open_pair(root, allow, &lfd, &gfd);

	if (ret)
		return ret;
	if (bpf_map_delete_elem(lfd, key)) {
		ret = -errno;
		goto out;
	}
	g = global_map(gfd);
	if (g) {
		unmark_if_empty(g, allow, lfd);
		global_unmap(g);
	}
out:
	close(lfd);
	close(gfd);
	return ret;
}

int adm_cidr_sweep(const char *root)
{
	struct adm_global *g;
	int allow, lfd, gfd, ret;

	for (allow = 0; allow <= 1; allow++) {
		ret = open_pair(root, allow, &lfd, &gfd);
		if (ret)
			return ret;
		adm_cidr_expire_fd(lfd, adm_mono_ns());
		g = global_map(gfd);
		if (g) {
			unmark_if_empty(g, allow, lfd);
			global_unmap(g);
		}
		close(lfd);
		close(gfd);
	}
	return 0;
}
