// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Test harness for the XDP programs; see harness.h for the contracts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cidr.h"
#include "part.h"
#include "srcfilter.h"
#include "harness.h"
#include "adm_xdp.skel.h"
#include "adm_pass.skel.h"

#define H_META_ALIGN	4	/* XDP metadata length must be a multiple of 4 */
#define H_DIAG_MAX	16384
#define H_LIBBPF_LOG_MAX	65536

/*
 * libbpf's messages: everything with ADM_TEST_VERBOSE=1; otherwise its
 * warnings are held while loading and shown only if the load fails for a
 * reason other than privilege (the verifier log is then what matters).
 */
static char h_libbpf_log[H_LIBBPF_LOG_MAX];
static size_t h_libbpf_log_len;
static bool h_libbpf_hold;	/* true while loading */

static int h_libbpf_print(enum libbpf_print_level level, const char *fmt,
			  va_list ap)
{
	size_t room = sizeof(h_libbpf_log) - h_libbpf_log_len;
	int n;

	if (getenv("ADM_TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG)
		return 0;
	if (!h_libbpf_hold)
		return vfprintf(stderr, fmt, ap);
	if (room <= 1)
		return 0;
	n = vsnprintf(h_libbpf_log + h_libbpf_log_len, room, fmt, ap);
	if (n > 0)
		h_libbpf_log_len += (size_t)n < room ? (size_t)n : room - 1;
	return n;
}

static void h_libbpf_log_flush(bool show)
{
	h_libbpf_hold = false;
	if (show && h_libbpf_log_len)
		fputs(h_libbpf_log, stderr);
	h_libbpf_log_len = 0;
	h_libbpf_log[0] = '\0';
}

static int h_on_event(void *ctx, void *data, size_t size)
{
	struct h_ctx *h = ctx;

	if (size < sizeof(struct adm_event))
		return 0;
	if (h->nevents < H_MAX_EVENTS)
		memcpy(&h->events[h->nevents++], data, sizeof(struct adm_event));
	else
		h->events_overflow++;
	return 0;
}

static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int h_open(struct h_ctx *h, char *why, size_t whylen)
{
	struct bpf_map *map;
	int err;

	memset(h, 0, sizeof(*h));
	h->xdp_fd = h->pass_fd = -1;
	libbpf_set_print(h_libbpf_print);

	h->ncpus = libbpf_num_possible_cpus();
	if (h->ncpus <= 0) {
		set_why(why, whylen, "cannot count possible CPUs: %s", strerror(-h->ncpus));
		return h->ncpus ? h->ncpus : -EINVAL;
	}
	h->skel = adm_xdp_bpf__open();
	if (!h->skel) {
		err = -errno;
		set_why(why, whylen, "adm_xdp open: %s", strerror(errno));
		return err;
	}
	/* Test maps are private: never pin, never reuse a pinned map. */
	bpf_object__for_each_map(map, h->skel->obj)
		bpf_map__set_pin_path(map, NULL);
	h_libbpf_hold = true;
	err = adm_xdp_bpf__load(h->skel);
	h_libbpf_log_flush(err && err != -EPERM);
	if (err) {
		set_why(why, whylen, "adm_xdp load: %s", strerror(-err));
		adm_xdp_bpf__destroy(h->skel);
		h->skel = NULL;
		return err == -EPERM ? H_SKIP : err;
	}
	h->xdp_fd = bpf_program__fd(h->skel->progs.adm_xdp);
	h->fd_services = bpf_map__fd(h->skel->maps.adm_services);
	h->fd_ports = bpf_map__fd(h->skel->maps.adm_ports);
	h->fd_state = bpf_map__fd(h->skel->maps.adm_state);
	h->fd_conc = bpf_map__fd(h->skel->maps.adm_conc);
	h->fd_src = bpf_map__fd(h->skel->maps.adm_src);
	h->fd_allow = bpf_map__fd(h->skel->maps.adm_allow);
	h->fd_deny = bpf_map__fd(h->skel->maps.adm_deny);
	h->fd_stats = bpf_map__fd(h->skel->maps.adm_stats);
	h->fd_events = bpf_map__fd(h->skel->maps.adm_events);
	if (bpf_map__max_entries(h->skel->maps.adm_stats) != ADM_STATS_ENTRIES) {
		set_why(why, whylen, "adm_stats has %u entries, adm.h says %u",
			bpf_map__max_entries(h->skel->maps.adm_stats), ADM_STATS_ENTRIES);
		h_close(h);
		return -EINVAL;
	}
	h->rb = ring_buffer__new(h->fd_events, h_on_event, h, NULL);
	if (!h->rb) {
		err = -errno;
		set_why(why, whylen, "ring buffer on %s: %s", ADM_MAP_EVENTS, strerror(errno));
		h_close(h);
		return err;
	}
	return 0;
}

int h_open_pass(struct h_ctx *h, char *why, size_t whylen)
{
	int err;

	h->pass = adm_pass_bpf__open();
	if (!h->pass) {
		err = -errno;
		set_why(why, whylen, "adm_pass open: %s", strerror(errno));
		return err;
	}
	h_libbpf_hold = true;
	err = adm_pass_bpf__load(h->pass);
	h_libbpf_log_flush(err != 0);
	if (err) {
		set_why(why, whylen, "adm_pass load: %s", strerror(-err));
		adm_pass_bpf__destroy(h->pass);
		h->pass = NULL;
		return err;
	}
	h->pass_fd = bpf_program__fd(h->pass->progs.adm_pass);
	return 0;
}

void h_close(struct h_ctx *h)
{
	ring_buffer__free(h->rb);
	h->rb = NULL;
	adm_pass_bpf__destroy(h->pass);
	h->pass = NULL;
	adm_xdp_bpf__destroy(h->skel);
	h->skel = NULL;
	h->xdp_fd = h->pass_fd = -1;
}

/* Zero every element of an ARRAY or PERCPU_ARRAY map in one batch update. */
static int zero_array(struct h_ctx *h, const struct bpf_map *map)
{
	__u32 n = bpf_map__max_entries(map), i, vsize = bpf_map__value_size(map);
	__u32 *keys;
	void *vals;
	int err = 0;

	if (bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY)
		vsize = ((vsize + 7) & ~7U) * h->ncpus;
	keys = calloc(n, sizeof(*keys));
	vals = calloc(n, vsize);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(bpf_map__fd(map), keys, vals, &n, NULL))
		err = -errno;
out:
	free(keys);
	free(vals);
	return err;
}

/*
 * adm_ports has 128 Ki elements, and zeroing them all costs ~20 ms per
 * reset: zero only the keys h_add_service wrote, unless more were written
 * than it could remember.
 */
static int zero_ports(struct h_ctx *h, const struct bpf_map *map)
{
	__u32 zero = 0;
	int i, err = 0;

	if (h->nport_keys > H_MAX_PORT_KEYS)
		err = zero_array(h, map);
	else
		for (i = 0; i < h->nport_keys && !err; i++)
			if (bpf_map_update_elem(h->fd_ports, &h->port_keys[i], &zero, BPF_ANY))
				err = -errno;
	if (!err)
		h->nport_keys = 0;
	return err;
}

/* Zero an mmapable array through its mapping (one memset, not an update per element). */
static int zero_mmapable(const struct bpf_map *map)
{
	size_t len = (size_t)bpf_map__value_size(map) * bpf_map__max_entries(map);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);

	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0, len);
	munmap(p, len);
	return 0;
}

/* Delete every key of a HASH, LRU_HASH or LPM_TRIE map. */
/*
 * Collect every key, then delete them: deleting while walking restarts
 * the walk at the first bucket each time, quadratic on a full LRU map.
 * Repeats until empty (an entry could be added by nobody here, but a
 * key that vanished meanwhile is fine).
 */
static int empty_fd(int fd, size_t ksz, __u32 max)
{
	size_t n, i;
	int err = 0;
	__u8 *keys;

	if (!ksz || ksz > 256)
		return -E2BIG;
	keys = malloc(ksz * (max + 1));
	if (!keys)
		return -ENOMEM;
	do {
		n = 0;
		if (!bpf_map_get_next_key(fd, NULL, keys)) {
			for (n = 1; n <= max && !bpf_map_get_next_key(fd, keys + (n - 1) * ksz,
								      keys + n * ksz); n++)
				;
		}
		for (i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, keys + i * ksz) && errno != ENOENT) {
				err = -errno;
				goto out;
			}
	} while (n);
out:
	free(keys);
	return err;
}

static int empty_map(const struct bpf_map *map)
{
	return empty_fd(bpf_map__fd(map), bpf_map__key_size(map), bpf_map__max_entries(map));
}

static int empty_part(int fd, __u32 id, void *arg)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	(void)id;
	(void)arg;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return empty_fd(fd, info.key_size, info.max_entries);
}

int h_reset(struct h_ctx *h)
{
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, h->skel->obj) {
		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_ARRAY:
			if (bpf_map__map_flags(map) & BPF_F_RDONLY_PROG)
				continue;	/* .rodata: load-time settings */
			if (map == h->skel->maps.adm_ports) {
				err = zero_ports(h, map);
				break;
			}
			if (map == h->skel->maps.adm_src_filter ||
			    map == h->skel->maps.adm_src_summary ||
			    map == h->skel->maps.adm_src_filter_next) {
				err = zero_mmapable(map);
				break;
			}
			/* fallthrough */
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			err = zero_array(h, map);
			break;
		case BPF_MAP_TYPE_HASH:
		case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_PERCPU_HASH:
		case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		case BPF_MAP_TYPE_LPM_TRIE:
			err = empty_map(map);
			break;
		case BPF_MAP_TYPE_ARRAY_OF_MAPS:
			/* Partitions stay (as their sizes), emptied. */
			err = adm_part_each(bpf_map__fd(map), empty_part, NULL);
			break;
		case BPF_MAP_TYPE_RINGBUF:
			err = ring_buffer__consume(h->rb);
			err = err < 0 ? err : 0;
			break;
		default:
			err = 0;
			break;
		}
		if (err) {
			fprintf(stderr, "# reset of map %s failed: %s\n",
				bpf_map__name(map), strerror(-err));
			return err;
		}
	}
	h_events_clear(h);
	return 0;
}

int h_add_service(struct h_ctx *h, __u32 id, __u8 proto, __u16 port,
		  const struct adm_service *svc)
{
	__u32 key = adm_port_key(proto, port);
	char err[256];

	/* As the policy writer: the partitions a rate needs, before the service. */
	if (adm_part_prepare(h_map_fd(h, ADM_MAP_RATE), h_map_fd(h, ADM_MAP_PKT_RATE), id,
			     svc, 0, 0, err, sizeof(err))) {
		fprintf(stderr, "# %s\n", err);
		return -EIO;
	}
	if (bpf_map_update_elem(h->fd_services, &id, svc, BPF_ANY))
		return -errno;
	if (bpf_map_update_elem(h->fd_ports, &key, &id, BPF_ANY))
		return -errno;
	if (h->nport_keys < H_MAX_PORT_KEYS)
		h->port_keys[h->nport_keys] = key;
	h->nport_keys++;	/* past H_MAX_PORT_KEYS: reset zeroes the whole map */
	return 0;
}

int h_set_state(struct h_ctx *h, __u32 id, const struct adm_state *st)
{
	return bpf_map_update_elem(h->fd_state, &id, st, BPF_ANY) ? -errno : 0;
}

int h_set_conc(struct h_ctx *h, __u32 id, const struct adm_conc *c)
{
	return bpf_map_update_elem(h->fd_conc, &id, c, BPF_ANY) ? -errno : 0;
}

/* Text address -> IPv6 or IPv4-mapped words; returns the family or -EINVAL. */
static int parse_addr(const char *s, __u32 addr[4])
{
	struct in_addr a4;

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		addr[2] = htonl(0x0000ffff);
		addr[3] = a4.s_addr;
		return 4;
	}
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 6;
	return -EINVAL;
}

static __u32 mask_word(__u32 word, int bits)
{
	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return word;
	return word & htonl(~0U << (32 - bits));
}

int h_fp_key(const struct adm_service *svc, __u32 id, const char *addr,
	     struct adm_fp_key *k)
{
	int family = parse_addr(addr, k->addr), i;

	if (family < 0)
		return family;
	k->service = id;
	k->sig = 0;
	if (family == 4) {
		k->addr[3] = mask_word(k->addr[3], svc->ipv4_prefix);
		return 0;
	}
	for (i = 0; i < 4; i++)
		k->addr[i] = mask_word(k->addr[i], (int)svc->ipv6_prefix - 32 * i);
	return 0;
}

/* Read-modify-write of the source's adm_src entry (created zeroed). */
int h_set_src_conc(struct h_ctx *h, const struct adm_fp_key *k, __u64 live)
{
	struct adm_src src = {};

	bpf_map_lookup_elem(h->fd_src, k, &src);
	src.live = (__u32)live;
	if (adm_src_filter_mark(h_map_fd(h, ADM_MAP_SRC_FILTER),
				h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
				h_map_fd(h, ADM_MAP_SRC_SUMMARY), k))
		return -EIO;
	return bpf_map_update_elem(h->fd_src, k, &src, BPF_ANY) ? -errno : 0;
}

int h_set_verified(struct h_ctx *h, const struct adm_fp_key *k, __u64 when_ns)
{
	struct adm_src src = {};

	bpf_map_lookup_elem(h->fd_src, k, &src);
	src.verified_s = when_ns / H_NS_PER_SEC;
	if (adm_src_filter_mark(h_map_fd(h, ADM_MAP_SRC_FILTER),
				h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
				h_map_fd(h, ADM_MAP_SRC_SUMMARY), k))
		return -EIO;
	return bpf_map_update_elem(h->fd_src, k, &src, BPF_ANY) ? -errno : 0;
}

int h_add_cidr(struct h_ctx *h, bool allow, const char *cidr, __u64 expires_ns)
{
	struct adm_lpm_key key = {};
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long plen;
	int family;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	family = parse_addr(buf, key.addr);
	if (family < 0)
		return family;
	plen = family == 4 ? 32 : 128;
	if (slash) {
		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (errno || *end || plen < 0 || plen > (family == 4 ? 32 : 128))
			return -EINVAL;
	}
	key.prefixlen = (family == 4 ? 96 : 0) + plen;
	/* Through libadm, like admctl: the entry, then the list's adm_global mark. */
	return adm_cidr_add_fd(allow ? h->fd_allow : h->fd_deny,
			       bpf_map__fd(h->skel->maps.adm_global), allow, &key,
			       expires_ns);
}

int h_run(struct h_ctx *h, int prog_fd, const void *frame, __u32 len,
	  __u32 repeat, struct h_result *r)
{
	__u8 in[H_MAX_FRAME + ETH_HLEN], out[H_MAX_FRAME + ETH_HLEN];
	struct xdp_md ctx = {};
	__u32 meta = 0;
	LIBBPF_OPTS(bpf_test_run_opts, o);

	(void)h;
	if (len > H_MAX_FRAME)
		return -E2BIG;
	/*
	 * BPF_PROG_TEST_RUN refuses less than ETH_HLEN bytes of input. A
	 * shorter frame goes in behind XDP metadata: ctx.data is the
	 * metadata length, and the program sees data..data_end = the frame.
	 */
	if (len < ETH_HLEN)
		meta = (ETH_HLEN - len + H_META_ALIGN - 1) & ~(H_META_ALIGN - 1);
	memset(in, 0, meta);
	memcpy(in + meta, frame, len);
	o.data_in = in;
	o.data_size_in = meta + len;
	o.data_out = out;
	o.data_size_out = sizeof(out);
	o.repeat = repeat;
	if (meta) {
		ctx.data = meta;
		ctx.data_end = meta + len;
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
		o.ctx_out = &ctx;
		o.ctx_size_out = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	/* data_out starts at data_meta; the frame starts ctx.data bytes in. */
	meta = meta ? ctx.data : 0;
	if (o.data_size_out < meta || o.data_size_out - meta > H_MAX_FRAME)
		return -EOVERFLOW;
	r->action = o.retval;
	r->duration = o.duration;
	r->out_len = o.data_size_out - meta;
	memcpy(r->out, out + meta, r->out_len);
	return 0;
}

int h_stat(struct h_ctx *h, __u32 svc, __u32 verdict, __u32 reason,
	   struct adm_stat *out)
{
	struct adm_stat *percpu;
	__u32 key = adm_stat_index(svc, verdict, reason);
	int i, err = 0;

	percpu = calloc(h->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(h->fd_stats, &key, percpu)) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < h->ncpus; i++) {
		out->packets += percpu[i].packets;
		out->bytes += percpu[i].bytes;
	}
out:
	free(percpu);
	return err;
}

int h_stats_read(struct h_ctx *h, struct adm_stat *all)
{
	__u32 n = ADM_STATS_ENTRIES, done = 0, batch, out_batch, i;
	struct adm_stat *vals;
	__u32 *keys;
	int cpu, err = 0, rc;

	keys = calloc(n, sizeof(*keys));
	vals = calloc((size_t)n * h->ncpus, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	memset(all, 0, n * sizeof(*all));
	while (done < n) {
		batch = n - done;
		rc = bpf_map_lookup_batch(h->fd_stats, done ? &out_batch : NULL,
					  &out_batch, keys + done,
					  vals + (size_t)done * h->ncpus, &batch, NULL);
		if (rc && errno != ENOENT) {
			err = -errno;
			goto out;
		}
		done += batch;
		if (rc || !batch)
			break;	/* ENOENT: the last batch */
	}
	for (i = 0; i < done; i++) {
		if (keys[i] >= n)
			continue;
		for (cpu = 0; cpu < h->ncpus; cpu++) {
			all[keys[i]].packets += vals[(size_t)i * h->ncpus + cpu].packets;
			all[keys[i]].bytes += vals[(size_t)i * h->ncpus + cpu].bytes;
		}
	}
out:
	free(keys);
	free(vals);
	return err;
}

int h_events_poll(struct h_ctx *h)
{
	return ring_buffer__consume(h->rb);
}

int h_map_fd(struct h_ctx *h, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(h->skel->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

/* Keys in the map fd (keys of ksz bytes), or -errno. */
static int count_fd(int fd, size_t ksz)
{
	__u8 key[256], next[256];
	int n = 0;

	if (ksz > sizeof(key))
		return -E2BIG;
	if (bpf_map_get_next_key(fd, NULL, next))
		return errno == ENOENT ? 0 : -errno;
	do {
		n++;
		memcpy(key, next, ksz);
	} while (!bpf_map_get_next_key(fd, key, next));
	return errno == ENOENT ? n : -errno;
}

static int count_part(int fd, __u32 id, void *arg)
{
	int n = count_fd(fd, sizeof(struct adm_fp_key));

	(void)id;
	if (n < 0)
		return n;
	*(int *)arg += n;
	return 0;
}

int h_map_count(struct h_ctx *h, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(h->skel->obj, name);
	int n = 0, err;

	if (!map)
		return -ENOENT;
	if (bpf_map__type(map) == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
		err = adm_part_each(bpf_map__fd(map), count_part, &n);
		return err ? err : n;
	}
	return count_fd(bpf_map__fd(map), bpf_map__key_size(map));
}

int h_part_fd(struct h_ctx *h, const char *name, __u32 id)
{
	int outer = h_map_fd(h, name);

	return outer < 0 ? outer : adm_part_open(outer, id);
}

int h_part_count(struct h_ctx *h, const char *name, __u32 id)
{
	int fd = h_part_fd(h, name, id), n;

	if (fd < 0)
		return fd;
	n = count_fd(fd, sizeof(struct adm_fp_key));
	close(fd);
	return n;
}

int h_part_size(struct h_ctx *h, const char *name, __u32 id, __u32 entries)
{
	char err[256];
	int outer = h_map_fd(h, name);

	if (outer < 0)
		return outer;
	if (adm_part_ensure(outer, strcmp(name, ADM_MAP_PKT_RATE) ? ADM_PART_RATE : ADM_PART_PKT,
			    id, entries, err, sizeof(err))) {
		fprintf(stderr, "# %s\n", err);
		return -EIO;
	}
	return 0;
}

void h_events_clear(struct h_ctx *h)
{
	h->nevents = 0;
	h->events_overflow = 0;
}

__u64 h_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * H_NS_PER_SEC + ts.tv_nsec;
}

void h_sleep_ns(__u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / H_NS_PER_SEC,
		.tv_nsec = ns % H_NS_PER_SEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

const char *h_action_name(__u32 a)
{
	static const char *const names[] = {
		[XDP_ABORTED] = "XDP_ABORTED", [XDP_DROP] = "XDP_DROP",
		[XDP_PASS] = "XDP_PASS", [XDP_TX] = "XDP_TX",
		[XDP_REDIRECT] = "XDP_REDIRECT",
	};

	return a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

/* TAP. */

static int tap_n, tap_failed;
static char tap_diag_buf[H_DIAG_MAX];
static size_t tap_diag_len;

void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tap_diag_len + 3 >= sizeof(tap_diag_buf))
		return;
	memcpy(tap_diag_buf + tap_diag_len, "# ", 2);
	tap_diag_len += 2;
	va_start(ap, fmt);
	n = vsnprintf(tap_diag_buf + tap_diag_len,
		      sizeof(tap_diag_buf) - tap_diag_len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	tap_diag_len += (size_t)n < sizeof(tap_diag_buf) - tap_diag_len - 1 ?
			(size_t)n : sizeof(tap_diag_buf) - tap_diag_len - 2;
	tap_diag_buf[tap_diag_len++] = '\n';
	tap_diag_buf[tap_diag_len] = '\0';
}

static void tap_flush_diag(void)
{
	fputs(tap_diag_buf, stdout);
	tap_diag_len = 0;
	tap_diag_buf[0] = '\0';
}

bool tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	tap_flush_diag();
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

void tap_skip(const char *desc, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - %s # SKIP ", ++tap_n, desc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	tap_flush_diag();
	fflush(stdout);
}

int tap_failures(void)
{
	return tap_failed;
}

/* Assertions. */

bool h_assert_u64(bool ok, unsigned long long got, unsigned long long want,
		  const char *op, const char *what)
{
	if (!ok)
		tap_diag("%s: expected %s%llu got %llu", what, op, want, got);
	return ok;
}

bool h_assert_ok(long long err, const char *what)
{
	if (err)
		tap_diag("%s: expected 0 got %lld (%s)", what, err,
			 strerror(err < 0 ? -err : err));
	return !err;
}

bool h_assert_str(bool ok, const char *got, const char *want, const char *what)
{
	if (!ok)
		tap_diag("%s: expected %s got %s", what, want, got);
	return ok;
}

static void hexdump(const char *label, const __u8 *p, size_t len)
{
	char line[16 * 3 + 1];
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		for (j = 0; j < 16 && i + j < len; j++)
			snprintf(line + 3 * j, 4, "%02x ", p[i + j]);
		line[3 * j] = '\0';
		tap_diag("  %s %04zx: %s", label, i, line);
	}
}

bool h_assert_mem(const void *got, size_t got_len, const void *want,
		  size_t want_len, const char *what)
{
	const __u8 *g = got, *w = want;
	size_t i, n = got_len < want_len ? got_len : want_len;

	for (i = 0; i < n && g[i] == w[i]; i++)
		;
	if (i == n && got_len == want_len)
		return true;
	if (got_len != want_len)
		tap_diag("%s: expected %zu bytes got %zu bytes", what, want_len, got_len);
	if (i < n)
		tap_diag("%s: expected 0x%02x got 0x%02x at byte %zu", what, w[i], g[i], i);
	hexdump("expected", w, want_len);
	hexdump("got     ", g, got_len);
	return false;
}

int h_set_gblock(struct h_ctx *h, const struct adm_fp_key *k, const struct adm_gblock *b,
		 bool mark)
{
	int gfd = bpf_map__fd(h->skel->maps.adm_global);
	struct adm_global g = {};
	__u32 zero = 0;

	if (mark) {
		if (bpf_map_lookup_elem(gfd, &zero, &g))
			return -errno;
		g.gblock_word |= ADM_CIDR_MAYBE;
		if (bpf_map_update_elem(gfd, &zero, &g, BPF_ANY))
			return -errno;
	}
	return bpf_map_update_elem(bpf_map__fd(h->skel->maps.adm_global_block), k, b, BPF_ANY) ?
	       -errno : 0;
}
