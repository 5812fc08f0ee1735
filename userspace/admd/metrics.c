// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module "metrics": Prometheus text at http://[metrics] listen/metrics.
 * libmicrohttpd runs without a thread of its own, driven by admd's event
 * loop (its epoll fd is one of the loop's), so a scrape may call every
 * module's `metrics` hook on the main thread. A scrape reads fixed-size
 * arrays only; map occupancy (a walk of LRU maps) is counted by a thread
 * every MX_OCC_PERIOD_S with batch lookups and served from its last result,
 * so a scrape costs the same with empty and with full maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <microhttpd.h>
#include <sys/epoll.h>
#include "admd.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "part.h"
#include "pins.h"
#include "stats.h"
#include "util.h"

#define MX_OCC_PERIOD_S		10	/* occupancy recount period */
#define ENOTSUPP_KERNEL		524	/* the kernel's ENOTSUPP, not in libc headers */
#define MX_OCC_BATCH		4096	/* entries per batch lookup */
#define MX_TICK_MS		1000	/* libmicrohttpd's own timeouts */
#define MX_CONN_LIMIT		16
#define MX_CONN_TIMEOUT_S	10

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

#define buf adm_buf
#define put adm_buf_printf

static void help(struct buf *b, const char *name, const char *type,
		 const char *text)
{
	adm_buf_family(b, name, type, text);
}

/*
 * The maps whose occupancy is exported. Partitioned maps (max 0: one LRU
 * per service, part.h) report the sums over their services' partitions.
 */
static const struct { const char *name; long max; } occ_maps[] = {
	{ ADM_MAP_SRC, ADM_MAX_SOURCES },
	{ ADM_MAP_RATE, 0 },
	{ ADM_MAP_PKT_RATE, 0 },
	{ ADM_MAP_GLOBAL_BLOCK, ADM_MAX_GBLOCK },
	{ ADM_MAP_ALLOW, ADM_MAX_CIDRS },
	{ ADM_MAP_DENY, ADM_MAX_CIDRS },
};
#define OCC_N	ADM_ARRAY_SIZE(occ_maps)

struct mx_server {
	struct admd *ad;
	struct MHD_Daemon *d;
	int epfd;			/* libmicrohttpd's epoll fd, in admd's loop */
	struct loop_timer *tick;
	char listen[64];
	char pin_root[PATH_MAX];
	/* occupancy thread */
	pthread_t occ_thread;
	int occ_started;
	pthread_mutex_t occ_lock;
	pthread_cond_t occ_cond;
	int occ_stop;
	long occ[OCC_N];		/* -1: not counted (yet) */
	long occ_cap[OCC_N];		/* capacity of partitioned maps, as counted */
	__u64 occ_ns;			/* CLOCK_MONOTONIC of the last count */
	__u64 occ_cost_ns;		/* how long it took */
};

/*
 * Entries in a hash/LRU/LPM map, by batch lookups (MX_OCC_BATCH per
 * syscall); maps without batch support are walked key by key. -1 if the
 * map cannot be opened.
 */
static long fd_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), count, out;
	void *keys = NULL, *vals = NULL;
	long n = 0;
	int rc;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	keys = malloc((size_t)info.key_size * MX_OCC_BATCH);
	vals = malloc((size_t)info.value_size * MX_OCC_BATCH);
	if (!keys || !vals) {
		n = -1;
		goto out;
	}
	for (int first = 1;; first = 0) {
		count = MX_OCC_BATCH;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &out, &out, keys,
					  vals, &count, &opts);
		if (rc && errno != ENOENT)
			break;
		n += count;
		if (rc)
			goto out;	/* ENOENT: the walk is complete */
	}
	if (errno == EINVAL || errno == ENOTSUPP_KERNEL || errno == EOPNOTSUPP) {
		/* No batch ops for this map type (LPM): walk the keys. */
		unsigned char key[64], next[64];
		void *prev = NULL;

		n = 0;
		while (info.key_size <= sizeof(key) &&
		       !bpf_map_get_next_key(fd, prev, next)) {
			memcpy(key, next, info.key_size);
			prev = key;
			n++;
		}
	}
out:
	free(keys);
	free(vals);
	return n;
}

struct part_sum {
	long entries, capacity;
};

static int part_add(int fd, __u32 id, void *arg)
{
	struct part_sum *sum = arg;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long n = fd_entries(fd);

	(void)id;
	if (n < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	sum->entries += n;
	sum->capacity += info.max_entries;
	return 0;
}

/*
 * Entries of the map pinned as root/name (-1 if it cannot be read); for a
 * partitioned map the sum over its partitions, their capacity in *cap.
 */
static long map_entries(const char *root, const char *name, int part, long *cap)
{
	int fd = adm_map_open(root, name, 1);
	struct part_sum sum = {};
	long n;

	if (fd < 0)
		return -1;
	if (part) {
		n = adm_part_each(fd, part_add, &sum) ? -1 : sum.entries;
		*cap = sum.capacity;
	} else {
		n = fd_entries(fd);
	}
	close(fd);
	return n;
}

static void *occ_main(void *arg)
{
	struct mx_server *mx = arg;
	long n[OCC_N], cap[OCC_N];
	size_t i;

	pthread_mutex_lock(&mx->occ_lock);
	while (!mx->occ_stop) {
		__u64 t0 = adm_mono_ns();
		struct timespec until;

		pthread_mutex_unlock(&mx->occ_lock);
		for (i = 0; i < OCC_N; i++) {
			cap[i] = occ_maps[i].max;
			n[i] = map_entries(mx->pin_root, occ_maps[i].name,
					   !occ_maps[i].max, &cap[i]);
		}
		pthread_mutex_lock(&mx->occ_lock);
		memcpy(mx->occ, n, sizeof(n));
		memcpy(mx->occ_cap, cap, sizeof(cap));
		mx->occ_ns = adm_mono_ns();
		mx->occ_cost_ns = mx->occ_ns - t0;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += MX_OCC_PERIOD_S;
		while (!mx->occ_stop &&
		       pthread_cond_timedwait(&mx->occ_cond, &mx->occ_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&mx->occ_lock);
	return NULL;
}

static void occupancy(struct buf *b, struct mx_server *mx)
{
	long n[OCC_N], cap[OCC_N];
	__u64 at, cost;
	size_t i;

	pthread_mutex_lock(&mx->occ_lock);
	memcpy(n, mx->occ, sizeof(n));
	memcpy(cap, mx->occ_cap, sizeof(cap));
	at = mx->occ_ns;
	cost = mx->occ_cost_ns;
	pthread_mutex_unlock(&mx->occ_lock);
	help(b, "adm_map_entries", "gauge",
	     "Entries in a BPF map, counted every 10 s off the scrape path.");
	for (i = 0; i < OCC_N; i++)
		if (n[i] >= 0)
			put(b, "adm_map_entries{map=\"%s\"} %ld\n", occ_maps[i].name, n[i]);
	help(b, "adm_map_capacity", "gauge",
	     "Maximum entries of a BPF map (adm_rate, adm_pkt_rate: of all services' partitions).");
	for (i = 0; i < OCC_N; i++)
		if (occ_maps[i].max || n[i] >= 0)
			put(b, "adm_map_capacity{map=\"%s\"} %ld\n", occ_maps[i].name,
			    occ_maps[i].max ? occ_maps[i].max : cap[i]);
	help(b, "adm_map_entries_age_seconds", "gauge",
	     "Age of the adm_map_entries figures.");
	put(b, "adm_map_entries_age_seconds %.3f\n",
	    at ? (double)(adm_mono_ns() - at) / 1e9 : -1.0);
	help(b, "adm_map_entries_count_seconds", "gauge",
	     "How long the last occupancy count took (in its own thread).");
	put(b, "adm_map_entries_count_seconds %.6f\n", (double)cost / 1e9);
}

/* Breaker, degradation and mode per service, from adm_state. */
static void state_metrics(struct buf *b, const char *root,
			  const struct adm_stats_snapshot *s)
{
	static const char *const brk[] = {
		[ADM_BRK_CLOSED] = "closed",
		[ADM_BRK_OPEN] = "open",
		[ADM_BRK_HALF_OPEN] = "half_open",
	};
	struct adm_state st[ADM_MAX_SERVICES] = {};
	int fd = adm_map_open(root, ADM_MAP_STATE, 1);
	__u32 id;
	int k;

	if (fd < 0)
		return;
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		bpf_map_lookup_elem(fd, &id, &st[id]);
	close(fd);
	help(b, "adm_breaker_state", "gauge",
	     "1 for the breaker state a service is in (closed, open, half_open).");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			for (k = 0; k < ADM_BRK__MAX; k++)
				put(b, "adm_breaker_state{service=\"%s\",state=\"%s\"} %d\n",
				    s->meta[id].name, brk[k], st[id].breaker == k);
	help(b, "adm_degradation_level", "gauge",
	     "Degradation level 0-3 (services with priority below it are shed).");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(b, "adm_degradation_level{service=\"%s\"} %u\n",
			    s->meta[id].name, st[id].degrade);
	help(b, "adm_shadow_mode", "gauge", "1 if the service is in shadow mode.");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(b, "adm_shadow_mode{service=\"%s\"} %u\n",
			    s->meta[id].name, st[id].shadow ? 1 : 0);
}

/*
 * Per configured interface: 1 while the XDP program on it is the one adm's
 * link pin holds, 0 if the interface, the pin or the program is gone or a
 * foreign program replaced it.
 */
static void xdp_metrics(struct buf *b, const struct adm_config *cfg)
{
	char name[IF_NAMESIZE + sizeof(ADM_LINK_PREFIX)], path[PATH_MAX];
	int i;

	help(b, "adm_xdp_attached", "gauge",
	     "1 while adm's XDP program is attached to a configured interface.");
	for (i = 0; i < cfg->n_ifaces; i++) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li), id = 0;
		int ifindex = if_nametoindex(cfg->ifaces[i]), fd = -1, ok = 0;

		snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", cfg->ifaces[i]);
		if (ifindex && !adm_pin_path(path, sizeof(path), cfg->pin_root, name))
			fd = bpf_obj_get(path);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &li, &len) &&
		    !bpf_xdp_query_id(ifindex, 0, &id))
			ok = id && id == li.prog_id;
		if (fd >= 0)
			close(fd);
		put(b, "adm_xdp_attached{interface=\"%s\"} %d\n", cfg->ifaces[i], ok);
	}
}

static char *mx_render(struct mx_server *mx)
{
	struct adm_stats_snapshot *s = calloc(1, sizeof(*s));
	const char *pin_root = mx->pin_root;
	struct buf b = {};
	__u32 id;
	int v, r;

	if (!s || adm_stats_read(pin_root, s)) {
		free(s);
		return NULL;
	}
	help(&b, "adm_packets_total", "counter",
	     "Packets judged by adm_xdp, by service, verdict and reason.");
	for (id = 0; id < ADM_MAX_SERVICES; id++)
		for (v = 0; v < ADM_V__MAX; v++)
			for (r = 0; r < ADM_R__MAX; r++)
				if (s->c[id][v][r].packets)
					put(&b, "adm_packets_total{service=\"%s\",verdict=\"%s\",reason=\"%s\"} %llu\n",
					    id ? s->meta[id].name : "-", adm_verdict_name(v),
					    adm_reason_name(r),
					    (unsigned long long)s->c[id][v][r].packets);
	help(&b, "adm_bytes_total", "counter",
	     "Bytes judged by adm_xdp, by service, verdict and reason.");
	for (id = 0; id < ADM_MAX_SERVICES; id++)
		for (v = 0; v < ADM_V__MAX; v++)
			for (r = 0; r < ADM_R__MAX; r++)
				if (s->c[id][v][r].packets)
					put(&b, "adm_bytes_total{service=\"%s\",verdict=\"%s\",reason=\"%s\"} %llu\n",
					    id ? s->meta[id].name : "-", adm_verdict_name(v),
					    adm_reason_name(r),
					    (unsigned long long)s->c[id][v][r].bytes);

	help(&b, "adm_live_connections", "gauge", "Live connections counted by the socket layer.");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(&b, "adm_live_connections{service=\"%s\"} %llu\n", s->meta[id].name,
			    (unsigned long long)s->conc[id].live);
	help(&b, "adm_conn_limit", "gauge", "This node's live-connection limit (0: none).");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(&b, "adm_conn_limit{service=\"%s\"} %llu\n", s->meta[id].name,
			    (unsigned long long)s->conc[id].limit);
	help(&b, "adm_reconcile_corrections_total", "counter",
	     "Adjustments of live-connection counters by the socket table recount (should stay 0).");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(&b, "adm_reconcile_corrections_total{service=\"%s\",scope=\"service\"} %llu\n"
				"adm_reconcile_corrections_total{service=\"%s\",scope=\"source\"} %llu\n",
			    s->meta[id].name, (unsigned long long)s->meta[id].corrections,
			    s->meta[id].name, (unsigned long long)s->meta[id].src_corrections);
	help(&b, "adm_untracked_connections", "gauge",
	     "Live connections on a service's ports that opened before the socket layer was attached (counted in adm_live_connections by the recount).");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(&b, "adm_untracked_connections{service=\"%s\"} %llu\n", s->meta[id].name,
			    (unsigned long long)s->meta[id].untracked);
	help(&b, "adm_reaped_total", "counter", "Connections destroyed by idle_timeout or max_lifetime.");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (s->meta[id].name[0])
			put(&b, "adm_reaped_total{service=\"%s\",reason=\"idle\"} %llu\n"
				"adm_reaped_total{service=\"%s\",reason=\"lifetime\"} %llu\n",
			    s->meta[id].name, (unsigned long long)s->meta[id].reaped_idle,
			    s->meta[id].name, (unsigned long long)s->meta[id].reaped_lifetime);

	state_metrics(&b, pin_root, s);
	xdp_metrics(&b, mx->ad->cfg);
	help(&b, "adm_events_total", "counter",
	     "Decision events: emitted to the ring buffer, suppressed by the per-CPU budget, lost (ring buffer full).");
	put(&b, "adm_events_total{outcome=\"emitted\"} %llu\n", (unsigned long long)s->events.emitted);
	put(&b, "adm_events_total{outcome=\"suppressed\"} %llu\n", (unsigned long long)s->events.suppressed);
	put(&b, "adm_events_total{outcome=\"lost\"} %llu\n", (unsigned long long)s->events.lost);
	occupancy(&b, mx);
	admd_metrics(mx->ad, &b);
	free(s);
	return adm_buf_take(&b);
}

static mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version,
			     const char *upload, size_t *upload_size, void **state)
{
	struct mx_server *mx = cls;
	struct MHD_Response *resp;
	const char *body;
	char *text = NULL;
	unsigned int code;
	mhd_result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = "only GET\n";
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics")) {
		body = "adm: see /metrics\n";
		code = MHD_HTTP_NOT_FOUND;
	} else if (!(text = mx_render(mx))) {
		body = "adm: cannot read the pinned maps\n";
		code = MHD_HTTP_SERVICE_UNAVAILABLE;
	} else {
		body = text;
		code = MHD_HTTP_OK;
	}
	if (text)
		resp = MHD_create_response_from_buffer(strlen(text), text,
						       MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
				code == MHD_HTTP_OK ? "text/plain; version=0.0.4" : "text/plain");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_mhd(void *ctx, int fd, __u32 events)
{
	struct mx_server *mx = ctx;

	(void)fd;
	(void)events;
	MHD_run(mx->d);
}

static void on_mhd_tick(void *ctx)
{
	struct mx_server *mx = ctx;

	MHD_run(mx->d);
}

/* A libmicrohttpd daemon on `listen`, driven by the loop. NULL with err. */
static struct MHD_Daemon *mx_listen(struct mx_server *mx, const char *listen,
				    char *err, size_t errlen)
{
	unsigned int flags = MHD_USE_EPOLL;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;

	if (adm_parse_hostport(listen, &ss)) {
		snprintf(err, errlen, "[metrics] listen '%s' is not ADDR:PORT or [ADDR6]:PORT",
			 listen);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, mx,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, MX_CONN_LIMIT,
			     MHD_OPTION_CONNECTION_TIMEOUT, MX_CONN_TIMEOUT_S,
			     MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot serve metrics on %s: %s ([metrics] listen = off disables it)",
			 listen, errno ? strerror(errno) : "libmicrohttpd refused");
	return d;
}

/* Put daemon d in the loop as the one serving; the old one is stopped. */
static int mx_serve(struct mx_server *mx, struct MHD_Daemon *d, char *err,
		    size_t errlen)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	int rc;

	if (!info || info->epoll_fd < 0) {
		snprintf(err, errlen, "metrics: libmicrohttpd has no epoll fd");
		return -1;
	}
	rc = loop_add_fd(mx->ad->loop, info->epoll_fd, EPOLLIN, on_mhd, mx);
	if (rc) {
		snprintf(err, errlen, "metrics: cannot watch the server: %s", strerror(-rc));
		return -1;
	}
	if (mx->d) {
		loop_del_fd(mx->ad->loop, mx->epfd);
		MHD_stop_daemon(mx->d);
	}
	mx->d = d;
	mx->epfd = info->epoll_fd;
	return 0;
}

static struct mx_server *the_mx;

static int mx_start(struct admd *ad, char *err, size_t errlen)
{
	struct mx_server *mx;
	struct MHD_Daemon *d;
	size_t i;

	if (!ad->cfg->metrics_listen[0])
		return 0;
	mx = calloc(1, sizeof(*mx));
	if (!mx) {
		snprintf(err, errlen, "metrics: %s", strerror(ENOMEM));
		return -1;
	}
	mx->ad = ad;
	mx->epfd = -1;
	snprintf(mx->pin_root, sizeof(mx->pin_root), "%s", ad->cfg->pin_root);
	snprintf(mx->listen, sizeof(mx->listen), "%s", ad->cfg->metrics_listen);
	for (i = 0; i < OCC_N; i++)
		mx->occ[i] = -1;
	pthread_mutex_init(&mx->occ_lock, NULL);
	pthread_cond_init(&mx->occ_cond, NULL);
	d = mx_listen(mx, mx->listen, err, errlen);
	if (!d || mx_serve(mx, d, err, errlen)) {
		if (d)
			MHD_stop_daemon(d);
		free(mx);
		return -1;
	}
	mx->tick = loop_add_timer(ad->loop, MX_TICK_MS, on_mhd_tick, mx);
	if (pthread_create(&mx->occ_thread, NULL, occ_main, mx) == 0)
		mx->occ_started = 1;
	else
		adm_warn("metrics: no occupancy thread; adm_map_entries will be missing");
	the_mx = mx;
	adm_info("metrics: http://%s/metrics", mx->listen);
	return 0;
}

/* A new listen address is bound at check time and swapped in at apply. */
static struct MHD_Daemon *mx_pending;

static int mx_reload_check(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	(void)ad;
	if (mx_pending) {
		MHD_stop_daemon(mx_pending);
		mx_pending = NULL;
	}
	if (!strcmp(next->metrics_listen, the_mx ? the_mx->listen : ""))
		return 0;
	if (!the_mx || !next->metrics_listen[0]) {
		snprintf(err, errlen,
			 "[metrics] listen changed from '%s' to '%s': turning the server on or off needs a restart of admd",
			 the_mx ? the_mx->listen : "off",
			 next->metrics_listen[0] ? next->metrics_listen : "off");
		return -1;
	}
	mx_pending = mx_listen(the_mx, next->metrics_listen, err, errlen);
	return mx_pending ? 0 : -1;
}

static int mx_reload_apply(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	(void)ad;
	if (!the_mx || !strcmp(next->metrics_listen, the_mx->listen))
		return 0;
	if (!mx_pending)	/* a rollback to the old address */
		mx_pending = mx_listen(the_mx, next->metrics_listen, err, errlen);
	if (!mx_pending || mx_serve(the_mx, mx_pending, err, errlen))
		return -1;
	mx_pending = NULL;
	snprintf(the_mx->listen, sizeof(the_mx->listen), "%s", next->metrics_listen);
	adm_info("metrics: now on http://%s/metrics", the_mx->listen);
	return 0;
}

static void mx_status(struct admd *ad, json_t *out)
{
	(void)ad;
	json_object_set_new(out, "listen", the_mx ? json_string(the_mx->listen) : json_null());
}

static void mx_stop(struct admd *ad, int aborted)
{
	struct mx_server *mx = the_mx;

	(void)aborted;
	if (mx_pending) {
		MHD_stop_daemon(mx_pending);
		mx_pending = NULL;
	}
	if (!mx)
		return;
	if (mx->occ_started) {
		pthread_mutex_lock(&mx->occ_lock);
		mx->occ_stop = 1;
		pthread_cond_signal(&mx->occ_cond);
		pthread_mutex_unlock(&mx->occ_lock);
		pthread_join(mx->occ_thread, NULL);
	}
	loop_del_timer(ad->loop, mx->tick);
	loop_del_fd(ad->loop, mx->epfd);
	MHD_stop_daemon(mx->d);
	free(mx);
	the_mx = NULL;
}

const struct admd_module mx_module = {
	.name = "metrics",
	.start = mx_start,
	.reload_check = mx_reload_check,
	.reload_apply = mx_reload_apply,
	.status = mx_status,
	.stop = mx_stop,
};
