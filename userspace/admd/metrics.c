// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <microhttpd.h>
#include "metrics.h"
#include "pins.h"
#include "stats.h"
#include "util.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct mx_server {
	struct MHD_Daemon *d;
	char pin_root[PATH_MAX];
};

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += n;
			return;
		}
		b->cap = b->cap * 2 + n + 1;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			b->oom = 1;
			return;
		}
	}
}

static void help(struct buf *b, const char *name, const char *type,
		 const char *text)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Entries in a hash/LRU map, counted by walking its keys. */
static long map_entries(const char *root, const char *name, size_t key_size)
{
	unsigned char key[64], next[64];
	void *prev = NULL;
	long n = 0;
	int fd = adm_map_open(root, name, 1);

	if (fd < 0 || key_size > sizeof(key))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	close(fd);
	return n;
}

static void occupancy(struct buf *b, const char *root)
{
	static const struct { const char *name; size_t key; long max; } maps[] = {
		{ ADM_MAP_SRC, sizeof(struct adm_fp_key), ADM_MAX_SOURCES },
		{ ADM_MAP_RATE, sizeof(struct adm_fp_key), ADM_MAX_SOURCES },
		{ ADM_MAP_PKT_RATE, sizeof(struct adm_fp_key), ADM_MAX_SOURCES },
		{ ADM_MAP_GLOBAL_BLOCK, sizeof(struct adm_fp_key), ADM_MAX_GBLOCK },
		{ ADM_MAP_ALLOW, sizeof(struct adm_lpm_key), ADM_MAX_CIDRS },
		{ ADM_MAP_DENY, sizeof(struct adm_lpm_key), ADM_MAX_CIDRS },
	};
	size_t i;

	help(b, "adm_map_entries", "gauge", "Entries in a BPF map.");
	for (i = 0; i < ADM_ARRAY_SIZE(maps); i++) {
		long n = map_entries(root, maps[i].name, maps[i].key);

		if (n >= 0)
			put(b, "adm_map_entries{map=\"%s\"} %ld\n", maps[i].name, n);
	}
	help(b, "adm_map_capacity", "gauge", "Maximum entries of a BPF map.");
	for (i = 0; i < ADM_ARRAY_SIZE(maps); i++)
		put(b, "adm_map_capacity{map=\"%s\"} %ld\n", maps[i].name, maps[i].max);
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

char *mx_render(const char *pin_root)
{
	struct adm_stats_snapshot *s = calloc(1, sizeof(*s));
	struct buf b = { .cap = 16384 };
	__u32 id;
	int v, r;

	b.p = malloc(b.cap);
	if (!s || !b.p || adm_stats_read(pin_root, s)) {
		free(s);
		free(b.p);
		return NULL;
	}
	b.p[0] = '\0';
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
	     "Live connections on a service's ports that the socket layer never counted (opened before it was attached).");
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
	help(&b, "adm_events_total", "counter",
	     "Decision events: emitted to the ring buffer, suppressed by the per-CPU budget, lost (ring buffer full).");
	put(&b, "adm_events_total{outcome=\"emitted\"} %llu\n", (unsigned long long)s->events.emitted);
	put(&b, "adm_events_total{outcome=\"suppressed\"} %llu\n", (unsigned long long)s->events.suppressed);
	put(&b, "adm_events_total{outcome=\"lost\"} %llu\n", (unsigned long long)s->events.lost);
	occupancy(&b, pin_root);
	free(s);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
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
	} else if (!(text = mx_render(mx->pin_root))) {
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

struct mx_server *mx_start(const char *listen, const char *pin_root, char *err,
			   size_t errlen)
{
	struct mx_server *mx = calloc(1, sizeof(*mx));
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (!mx)
		return NULL;
	if (adm_parse_hostport(listen, &ss)) {
		snprintf(err, errlen, "metrics listen '%s' is not ADDR:PORT or [ADDR6]:PORT", listen);
		free(mx);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	snprintf(mx->pin_root, sizeof(mx->pin_root), "%s", pin_root);
	mx->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, mx,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				 MHD_OPTION_CONNECTION_LIMIT, 16,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10,
				 MHD_OPTION_END);
	if (!mx->d) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", listen,
			 errno ? strerror(errno) : "libmicrohttpd refused");
		free(mx);
		return NULL;
	}
	return mx;
}

void mx_stop(struct mx_server *mx)
{
	if (!mx)
		return;
	MHD_stop_daemon(mx->d);
	free(mx);
}
