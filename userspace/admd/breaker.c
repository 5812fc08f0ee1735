// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd module "breaker" (prefix bk_): automatic circuit breakers, the
 * adaptive concurrency limit (conn_limit = auto) and degradation by
 * priority. Every BK_TICK_MS it gathers each service's health signals:
 *   - accept-queue depth of its listening sockets (inet_diag dump of
 *     LISTEN sockets in admd's network namespace: idiag_rqueue),
 *   - request latency measured in the kernel (adm_lat: first request byte
 *     in, stamped by bpf/adm_lat.bpf.c, a cgroup_skb ingress program this
 *     module attaches to sockops' cgroup, to first response byte out, in
 *     sockops), as the p90 and mean of the tick,
 *   - an optional active probe (TCP connect or HTTP GET, with a timeout),
 *   - a pressure level the application reports (`admctl pressure`),
 * feeds them to the breaker state machine (lib/brk.c) and the gradient
 * rule (lib/alim.c), and writes adm_state (breaker, half_open_permille,
 * degrade) and adm_conc.limit. It is the writer of those fields while
 * admd runs: `admctl breaker` and `admctl degrade` come here over the
 * control socket (manual overrides, with an optional TTL). Every
 * transition is an audit record and a metric.
 *
 * Effective degradation of a service = the highest of: the manual level
 * (`admctl degrade N [--ttl]`), the highest pressure level any service
 * reports, and its dependency's breaker (depends_on: open -> 2,
 * half-open -> 1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adm_lat.skel.h"
#include "admd.h"
#include "alim.h"
#include "breaker.h"
#include "brk.h"
#include "clock.h"
#include "cluster.h"
#include "control.h"
#include "log.h"
#include "mapstatus.h"
#include "pins.h"
#include "util.h"

#define BK_TICK_MS		250
#define BK_NS_PER_MS		1000000ULL
#define BK_NS_PER_SEC		1000000000ULL
#define BK_TCP_LISTEN		10		/* TCP_LISTEN in the kernel's enum */
#define BK_DIAG_BUF		32768
#define BK_LAT_MIN_SAMPLES	5		/* requests for a latency verdict (brk_lat_due) */
#define BK_LAT_QUANTILE		900		/* p90, in permille */
#define BK_PRESSURE_TTL_MS	60000		/* a reported pressure level lapses after */
#define BK_DEP_OPEN_LEVEL	2		/* dependents' level while a dependency is open */
#define BK_DEP_HALF_LEVEL	1		/* ... while it is half-open */
#define BK_PROBE_REPLY_MAX	256
#define BK_TTL_MAX_MS		(7ULL * 24 * 3600 * 1000)	/* a week */
#define BK_WHY_MAX		256
#define BK_PERMILLE		1000

enum bk_probe_phase {
	BK_PROBE_IDLE = 0,
	BK_PROBE_CONNECTING,
	BK_PROBE_READING,	/* http: request sent, waiting for the status line */
};

struct bk_probe {
	int fd;				/* -1 when idle */
	int phase;			/* enum bk_probe_phase */
	__u64 started_ns;
	struct loop_timer *every;	/* starts a probe each probe_interval */
	struct loop_timer *timeout;	/* armed while a probe runs */
	char reply[BK_PROBE_REPLY_MAX];
	size_t got;
	int last_ok;			/* -1: none yet, 0 failed, 1 succeeded */
	__u64 last_ms;			/* duration of the last probe */
	char last_err[BK_WHY_MAX];
	__u64 ok_total, fail_total;
};

struct bk_svc {
	int active;
	__u32 id;
	char name[ADM_SVC_NAME_MAX];
	struct adm_brk_config c;	/* this service's keys */
	__u8 priority;
	int automatic;			/* any breaker signal configured */
	struct brk brk;
	struct alim alim;
	__u64 cluster_cap;		/* rs_node_cap: 0 = none */
	__u64 enforced;			/* adm_conc.limit written: alim_enforced() */
	/* signals of the last tick */
	__u64 queue, queue_max;		/* accept queue depth, backlog (0: no listener) */
	int listening;
	struct adm_lat prev;		/* adm_lat summed over CPUs at the last read */
	int have_prev;
	__u64 lat_count, lat_mean_ns, lat_p50_ns, lat_p90_ns, lat_p99_ns;
	__u64 unanswered;		/* in the tick */
	/* the breaker's latency verdict: samples carried over ticks since vbase_ns */
	struct adm_lat vbase;
	__u64 vbase_ns;
	__u64 v_count;			/* this tick's verdict's samples, 0: none due */
	__u64 v_last, v_p90_ns, v_span_ns;	/* the last verdict's samples, p90, span */
	__u64 lat_total, unanswered_total;
	__u32 pressure;			/* reported level, 0 when lapsed */
	__u64 pressure_until_ns;
	int health;			/* enum brk_health of the last tick */
	char why[BK_WHY_MAX];		/* what made it bad (or good) */
	__u8 degrade;			/* effective level written */
	__u64 trans[ADM_BRK__MAX][ADM_BRK__MAX];
	struct bk_probe probe;
};

static struct {
	struct admd *ad;
	struct loop_timer *tick;
	int state_fd, lat_fd, conc_fd, diag_fd;
	struct adm_conc *conc;
	int ncpus;
	struct adm_lat *percpu;		/* lookup buffer: ncpus values */
	struct adm_lat_bpf *lat;	/* cgroup_skb stamping requests; NULL: not loaded */
	struct bpf_link *lat_link;
	char lat_cgroup[PATH_MAX];	/* where lat_link is attached */
	int lat_tried;
	__u8 port_id[1 << 16];		/* TCP port -> service id */
	struct bk_svc svc[ADM_MAX_SERVICES];
	__u8 manual_degrade;
	__u64 manual_degrade_until_ns;	/* 0: until changed */
	__u64 ticks;
	__u64 writes_ok;		/* breaker and degrade commands applied */
} bk = { .state_fd = -1, .lat_fd = -1, .conc_fd = -1, .diag_fd = -1 };

/* ---------------------------------------------------------------- helpers */

static const char *health_name(int h)
{
	return h == BRK_BAD ? "bad" : h == BRK_GOOD ? "good" : "unknown";
}

static struct bk_svc *bk_by_name(const char *name)
{
	__u32 id;

	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (bk.svc[id].active && !strcmp(bk.svc[id].name, name))
			return &bk.svc[id];
	return NULL;
}

/* "web, api": the services, for messages. */
static void bk_names(char *buf, size_t len)
{
	size_t used = 0;
	__u32 id;

	buf[0] = '\0';
	for (id = 1; id < ADM_MAX_SERVICES && used < len; id++)
		if (bk.svc[id].active)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", bk.svc[id].name);
}

static void bk_state_text(const struct bk_svc *s, char *buf, size_t len)
{
	__u8 st = brk_state(&s->brk);

	if (st == ADM_BRK_HALF_OPEN)
		snprintf(buf, len, "half-open %u/%d%s", brk_permille(&s->brk),
			 BK_PERMILLE, s->brk.manual ? " (manual)" : "");
	else
		snprintf(buf, len, "%s%s", adm_breaker_name(st),
			 s->brk.manual ? " (manual)" : "");
}

/* Write breaker, share and degradation of s into adm_state (other fields kept). */
static int bk_write_state(struct bk_svc *s)
{
	struct adm_state st = {};

	if (bpf_map_lookup_elem(bk.state_fd, &s->id, &st))
		return -errno;
	st.breaker = brk_state(&s->brk);
	st.half_open_permille = st.breaker == ADM_BRK_HALF_OPEN ? brk_permille(&s->brk) : 0;
	st.degrade = s->degrade;
	if (bpf_map_update_elem(bk.state_fd, &s->id, &st, BPF_EXIST))
		return -errno;
	return 0;
}

/* An automatic transition: log, metric, audit record (origin admd). */
static void bk_transition(struct bk_svc *s, const struct brk_change *c)
{
	struct adm_audit a;
	char after[BK_WHY_MAX];

	s->trans[c->from][c->to]++;
	bk_state_text(s, after, sizeof(after));
	adm_info("breaker %s: %s -> %s (%s; %s)", s->name,
		 adm_breaker_name(c->from), after, c->why, s->why);
	adm_audit_init(&a, "admd");
	snprintf(a.what, sizeof(a.what), "breaker %s (automatic: %.40s; %.120s)",
		 s->name, c->why, s->why);
	snprintf(a.before, sizeof(a.before), "%s %s", s->name,
		 adm_breaker_name(c->from));
	snprintf(a.after, sizeof(a.after), "%s %s", s->name, after);
	snprintf(a.result, sizeof(a.result), "ok");
	admd_audit(bk.ad, &a, NULL, 0);
}

/* ---------------------------------------------------------------- signals */

/*
 * Accept-queue depth of every TCP listening socket of a protected port, in
 * admd's network namespace: one inet_diag dump per family. 0 or -errno.
 */
static int bk_read_queues(void)
{
	static const __u8 families[] = { AF_INET, AF_INET6 };
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	char *buf = NULL;
	__u32 id;
	size_t f;
	int ret = 0;

	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		bk.svc[id].queue = bk.svc[id].queue_max = 0;
		bk.svc[id].listening = 0;
	}
	if (bk.diag_fd < 0)
		return -EBADF;
	buf = malloc(BK_DIAG_BUF);
	if (!buf)
		return -ENOMEM;
	for (f = 0; f < ADM_ARRAY_SIZE(families) && !ret; f++) {
		int done = 0;

		memset(&msg, 0, sizeof(msg));
		msg.nlh.nlmsg_len = sizeof(msg);
		msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		msg.req.sdiag_family = families[f];
		msg.req.sdiag_protocol = IPPROTO_TCP;
		msg.req.idiag_states = 1U << BK_TCP_LISTEN;
		if (send(bk.diag_fd, &msg, sizeof(msg), 0) < 0) {
			ret = -errno;
			break;
		}
		while (!done) {
			ssize_t n = recv(bk.diag_fd, buf, BK_DIAG_BUF, 0);
			struct nlmsghdr *h;

			if (n < 0) {
				ret = -errno;
				break;
			}
			for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n)) {
				struct inet_diag_msg *m = NLMSG_DATA(h);
				struct bk_svc *s;

				if (h->nlmsg_type == NLMSG_DONE) {
					done = 1;
					break;
				}
				if (h->nlmsg_type == NLMSG_ERROR) {
					ret = -EPROTO;
					done = 1;
					break;
				}
				id = bk.port_id[ntohs(m->id.idiag_sport)];
				if (!id)
					continue;
				s = &bk.svc[id];
				s->listening = 1;
				s->queue += m->idiag_rqueue;
				s->queue_max += m->idiag_wqueue;
			}
		}
	}
	free(buf);
	return ret;
}

/* Lower bound (ns) of histogram bucket b. */
static __u64 bk_bucket_start(__u32 b)
{
	return b ? adm_lat_bucket_end(b - 1) : 0;
}

/*
 * Value (ns) below which `permille` of the histogram's requests fell,
 * interpolated linearly inside its bucket (buckets are <= 25% wide).
 */
static __u64 bk_quantile(const __u64 *hist, __u64 count, __u32 permille)
{
	__u64 want = (count * permille + BK_PERMILLE - 1) / BK_PERMILLE, seen = 0;
	__u64 lo, hi;
	__u32 b;

	for (b = 0; b < ADM_LAT_BUCKETS - 1; b++) {
		if (seen + hist[b] >= want && hist[b]) {
			lo = bk_bucket_start(b);
			hi = adm_lat_bucket_end(b);
			return lo + (hi - lo) * (want - seen) / hist[b];
		}
		seen += hist[b];
	}
	return adm_lat_bucket_end(ADM_LAT_BUCKETS - 2);
}

/* d = a - base, every counter. */
static void bk_lat_diff(struct adm_lat *d, const struct adm_lat *a,
			const struct adm_lat *base)
{
	int b;

	d->count = a->count - base->count;
	d->sum_ns = a->sum_ns - base->sum_ns;
	d->unanswered = a->unanswered - base->unanswered;
	for (b = 0; b < ADM_LAT_BUCKETS; b++)
		d->hist[b] = a->hist[b] - base->hist[b];
}

/*
 * This tick's latency of s from adm_lat (differences since the last read),
 * for status and the adaptive limit; and the breaker's verdict latency,
 * over the samples since the last verdict once brk_lat_due says so.
 */
static void bk_read_latency(struct bk_svc *s, __u64 now)
{
	struct adm_lat sum = {}, d;
	int c, b;

	s->lat_count = s->unanswered = s->v_count = 0;
	if (bk.lat_fd < 0 || bpf_map_lookup_elem(bk.lat_fd, &s->id, bk.percpu))
		return;
	for (c = 0; c < bk.ncpus; c++) {
		sum.count += bk.percpu[c].count;
		sum.sum_ns += bk.percpu[c].sum_ns;
		sum.unanswered += bk.percpu[c].unanswered;
		for (b = 0; b < ADM_LAT_BUCKETS; b++)
			sum.hist[b] += bk.percpu[c].hist[b];
	}
	if (!s->have_prev || sum.count < s->prev.count) {
		s->prev = sum;		/* first read, or the map was recreated */
		s->vbase = sum;
		s->vbase_ns = now;
		s->have_prev = 1;
		return;
	}
	bk_lat_diff(&d, &sum, &s->prev);
	s->prev = sum;
	s->lat_count = d.count;
	s->unanswered = d.unanswered;
	s->lat_total += d.count;
	s->unanswered_total += d.unanswered;
	if (d.count) {
		s->lat_mean_ns = d.sum_ns / d.count;
		s->lat_p50_ns = bk_quantile(d.hist, d.count, 500);
		s->lat_p90_ns = bk_quantile(d.hist, d.count, BK_LAT_QUANTILE);
		s->lat_p99_ns = bk_quantile(d.hist, d.count, 990);
	}
	bk_lat_diff(&d, &sum, &s->vbase);
	if (brk_lat_due(d.count, s->vbase_ns, now, s->c.window_ns, BK_LAT_MIN_SAMPLES)) {
		s->v_count = s->v_last = d.count;
		s->v_p90_ns = bk_quantile(d.hist, d.count, BK_LAT_QUANTILE);
		s->v_span_ns = now - s->vbase_ns;
	} else if (d.count || now - s->vbase_ns < s->c.window_ns) {
		return;		/* carried to the next tick */
	}
	s->vbase = sum;		/* a verdict, or a window without a sample */
	s->vbase_ns = now;
}

/* One tick's verdict over s's configured signals; s->why says why. */
static int bk_health(struct bk_svc *s, __u64 now)
{
	const struct adm_brk_config *c = &s->c;
	int seen = 0;

	if (s->pressure && now >= s->pressure_until_ns)
		s->pressure = 0;
	if (c->latency_ns && s->v_count) {
		seen = 1;
		if (s->v_p90_ns > c->latency_ns) {
			snprintf(s->why, sizeof(s->why),
				 "p90 latency %llu ms > %llu ms (%llu requests in %llu ms)",
				 (unsigned long long)(s->v_p90_ns / BK_NS_PER_MS),
				 (unsigned long long)(c->latency_ns / BK_NS_PER_MS),
				 (unsigned long long)s->v_count,
				 (unsigned long long)(s->v_span_ns / BK_NS_PER_MS));
			return BRK_BAD;
		}
	}
	if (c->accept_queue && s->listening) {
		seen = 1;
		if (s->queue >= c->accept_queue) {
			snprintf(s->why, sizeof(s->why), "accept queue %llu >= %llu",
				 (unsigned long long)s->queue,
				 (unsigned long long)c->accept_queue);
			return BRK_BAD;
		}
	}
	if (c->probe_kind && s->probe.last_ok >= 0) {
		seen = 1;
		if (!s->probe.last_ok) {
			snprintf(s->why, sizeof(s->why), "probe failed: %s",
				 s->probe.last_err);
			return BRK_BAD;
		}
	}
	if (c->pressure) {
		seen = 1;
		if (s->pressure >= c->pressure) {
			snprintf(s->why, sizeof(s->why), "pressure %u >= %u",
				 s->pressure, c->pressure);
			return BRK_BAD;
		}
	}
	snprintf(s->why, sizeof(s->why), "%s", seen ? "signals healthy" :
		 "no signal has data");
	return seen ? BRK_GOOD : BRK_UNKNOWN;
}

/* ---------------------------------------------------------------- probe */

static void bk_probe_end(struct bk_svc *s, int ok, const char *err)
{
	struct bk_probe *p = &s->probe;

	if (p->fd >= 0) {
		loop_del_fd(bk.ad->loop, p->fd);
		close(p->fd);
	}
	p->fd = -1;
	p->phase = BK_PROBE_IDLE;
	p->last_ms = (adm_mono_ns() - p->started_ns) / BK_NS_PER_MS;
	if (p->last_ok != ok)
		adm_info("probe %s: %s%s%s", s->name, ok ? "ok" : "failed",
			 ok ? "" : ": ", ok ? "" : err);
	p->last_ok = ok;
	snprintf(p->last_err, sizeof(p->last_err), "%s", ok ? "" : err);
	if (ok)
		p->ok_total++;
	else
		p->fail_total++;
}

static void bk_probe_io(void *ctx, int fd, __u32 events)
{
	struct bk_svc *s = ctx;
	struct bk_probe *p = &s->probe;
	char req[ADM_PROBE_PATH_MAX + ADM_PROBE_ADDR_MAX + 128], err[BK_WHY_MAX * 2];
	int soerr = 0, code;
	socklen_t sl = sizeof(soerr);
	ssize_t n;

	if (p->phase == BK_PROBE_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
			snprintf(err, sizeof(err), "connect %s: %s", s->c.probe_addr,
				 strerror(soerr ? soerr : errno));
			bk_probe_end(s, 0, err);
			return;
		}
		if (s->c.probe_kind == ADM_PROBE_TCP) {
			bk_probe_end(s, 1, "");
			return;
		}
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
			 "User-Agent: admd-probe\r\nConnection: close\r\n\r\n",
			 s->c.probe_path, s->c.probe_addr);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
			snprintf(err, sizeof(err), "send: %s", strerror(errno));
			bk_probe_end(s, 0, err);
			return;
		}
		p->phase = BK_PROBE_READING;
		p->got = 0;
		loop_mod_fd(bk.ad->loop, fd, EPOLLIN);
		return;
	}
	(void)events;
	n = recv(fd, p->reply + p->got, sizeof(p->reply) - 1 - p->got, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		p->got += n;
		p->reply[p->got] = '\0';
		if (!strchr(p->reply, '\n') && p->got < sizeof(p->reply) - 1)
			return;		/* the status line is not complete yet */
	}
	if (sscanf(p->reply, "HTTP/1.%*d %d", &code) != 1 || p->got == 0) {
		snprintf(err, sizeof(err), "no HTTP status line from %s",
			 s->c.probe_addr);
		bk_probe_end(s, 0, err);
		return;
	}
	if (code < 200 || code > 399) {
		snprintf(err, sizeof(err), "HTTP %d from %s%s", code,
			 s->c.probe_addr, s->c.probe_path);
		bk_probe_end(s, 0, err);
		return;
	}
	bk_probe_end(s, 1, "");
}

static void bk_probe_timeout(void *ctx)
{
	struct bk_svc *s = ctx;
	char err[BK_WHY_MAX];

	if (s->probe.phase == BK_PROBE_IDLE)
		return;
	snprintf(err, sizeof(err), "no answer from %s within %llu ms",
		 s->c.probe_addr,
		 (unsigned long long)(s->c.probe_timeout_ns / BK_NS_PER_MS));
	bk_probe_end(s, 0, err);
}

static void bk_probe_start(void *ctx)
{
	struct bk_svc *s = ctx;
	struct bk_probe *p = &s->probe;
	struct sockaddr_storage ss;
	char err[BK_WHY_MAX];
	int fd;

	if (p->phase != BK_PROBE_IDLE)
		return;		/* the last one still runs: its timeout ends it */
	p->started_ns = adm_mono_ns();
	if (adm_parse_hostport(s->c.probe_addr, &ss)) {
		bk_probe_end(s, 0, "bad address");
		return;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, sizeof(err), "socket: %s", strerror(errno));
		bk_probe_end(s, 0, err);
		return;
	}
	p->fd = fd;
	if (connect(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) &&
	    errno != EINPROGRESS) {
		snprintf(err, sizeof(err), "connect %s: %s", s->c.probe_addr,
			 strerror(errno));
		close(fd);
		p->fd = -1;
		bk_probe_end(s, 0, err);
		return;
	}
	p->phase = BK_PROBE_CONNECTING;
	if (loop_add_fd(bk.ad->loop, fd, EPOLLOUT, bk_probe_io, s)) {
		close(fd);
		p->fd = -1;
		bk_probe_end(s, 0, "cannot watch the probe socket");
		return;
	}
	loop_timer_arm(p->timeout, s->c.probe_timeout_ns / BK_NS_PER_MS);
}

static void bk_probe_stop(struct bk_svc *s)
{
	struct bk_probe *p = &s->probe;

	if (p->phase != BK_PROBE_IDLE && p->fd >= 0) {
		loop_del_fd(bk.ad->loop, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	p->phase = BK_PROBE_IDLE;
	if (p->every)
		loop_del_timer(bk.ad->loop, p->every);
	if (p->timeout)
		loop_del_timer(bk.ad->loop, p->timeout);
	p->every = p->timeout = NULL;
}

static int bk_probe_setup(struct bk_svc *s)
{
	struct bk_probe *p = &s->probe;

	p->fd = -1;
	p->last_ok = -1;
	if (!s->c.probe_kind)
		return 0;
	p->every = loop_add_timer(bk.ad->loop, s->c.probe_interval_ns / BK_NS_PER_MS,
				  bk_probe_start, s);
	p->timeout = loop_add_timer(bk.ad->loop, 0, bk_probe_timeout, s);
	if (!p->every || !p->timeout)
		return -1;
	loop_timer_arm(p->every, 0);
	return 0;
}

/* ---------------------------------------------------------------- tick */

static __u8 bk_dep_level(const struct bk_svc *s)
{
	const struct bk_svc *d;
	__u8 st;

	if (!s->c.depends_on[0])
		return 0;
	d = bk_by_name(s->c.depends_on);
	if (!d)
		return 0;
	st = brk_state(&d->brk);
	return st == ADM_BRK_OPEN ? BK_DEP_OPEN_LEVEL :
	       st == ADM_BRK_HALF_OPEN ? BK_DEP_HALF_LEVEL : 0;
}

/* Effective degradation levels; 1 if any changed (and was written). */
static void bk_degrade(__u64 now)
{
	__u8 pressure = 0, lvl;
	__u32 id;

	if (bk.manual_degrade && bk.manual_degrade_until_ns &&
	    now >= bk.manual_degrade_until_ns) {
		adm_info("degrade: manual level %u expired, back to 0", bk.manual_degrade);
		bk.manual_degrade = 0;
		bk.manual_degrade_until_ns = 0;
	}
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (bk.svc[id].active && bk.svc[id].pressure > pressure)
			pressure = bk.svc[id].pressure;
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct bk_svc *s = &bk.svc[id];
		__u8 dep;

		if (!s->active)
			continue;
		dep = bk_dep_level(s);
		lvl = bk.manual_degrade;
		if (pressure > lvl)
			lvl = pressure;
		if (dep > lvl)
			lvl = dep;
		if (lvl == s->degrade)
			continue;
		adm_info("degrade %s: %u -> %u (manual %u, pressure %u, dependency %u)",
			 s->name, s->degrade, lvl, bk.manual_degrade, pressure, dep);
		s->degrade = lvl;
		bk_write_state(s);
	}
}

static void bk_tick(void *ctx)
{
	__u64 now = adm_mono_ns();
	struct brk_change c;
	__u32 id;
	int rc;

	(void)ctx;
	bk.ticks++;
	rc = bk_read_queues();
	if (rc && bk.ticks == 1)
		adm_warn("breaker: cannot read accept queues (inet_diag): %s", strerror(-rc));
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct bk_svc *s = &bk.svc[id];
		int changed;

		if (!s->active)
			continue;
		bk_read_latency(s, now);
		s->health = bk_health(s, now);
		if (s->automatic) {
			changed = brk_tick(&s->brk, now, s->health, &c);
		} else if (s->brk.manual && s->brk.manual_until_ns &&
			   now >= s->brk.manual_until_ns) {
			/* No signal to judge by: an override that ends closes. */
			c.from = brk_state(&s->brk);
			c.to = ADM_BRK_CLOSED;
			c.why = "manual override expired";
			brk_init(&s->brk, &s->brk.p, now);
			changed = c.from != c.to;
		} else {
			changed = 0;
		}
		if (changed) {
			bk_write_state(s);
			bk_transition(s, &c);
		}
		if (s->c.conn_limit_auto && bk.conc) {
			__u64 live = __atomic_load_n(&bk.conc[id].live, __ATOMIC_RELAXED);
			__u64 lim = alim_update(&s->alim, now, s->lat_count,
						s->lat_mean_ns, live), cap = 0;

			if (rs_node_cap(id, &cap))
				s->cluster_cap = cap;
			else
				s->cluster_cap = 0;
			lim = alim_enforced(lim, s->cluster_cap);
			s->enforced = lim;
			__atomic_store_n(&bk.conc[id].limit, lim, __ATOMIC_RELAXED);
		}
	}
	bk_degrade(now);
}

/* ---------------------------------------------------------------- config */

static void bk_params(const struct adm_brk_config *c, struct brk_params *p,
		      struct alim_params *ap)
{
	p->window_ns = c->window_ns;
	p->cooldown_ns = c->cooldown_ns;
	p->half_open_permille = c->half_open_permille;
	ap->min = c->conn_limit_min;
	ap->max = c->conn_limit_max;
}

/* The cgroup v2 directory sockops watches: [adm] cgroup, else the mount. */
static int bk_cgroup(const struct adm_config *cfg, char *buf, size_t len)
{
	char dev[64], dir[PATH_MAX], type[32];
	FILE *f;
	int ret = -ENOENT;

	if (cfg->cgroup[0]) {
		snprintf(buf, len, "%s", cfg->cgroup);
		return 0;
	}
	f = fopen("/proc/mounts", "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %4095s %31s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Attach the loaded adm_lat to cfg's cgroup: a new link first, then the
 * old one (if any) dropped, so a move leaves no gap. 0, or -errno with the
 * old link kept.
 */
static int bk_lat_attach(const struct adm_config *cfg)
{
	struct bpf_link *link;
	char cg[PATH_MAX];
	int rc, fd;

	rc = bk_cgroup(cfg, cg, sizeof(cg));
	if (rc)
		return rc;
	if (bk.lat_link && !strcmp(cg, bk.lat_cgroup))
		return 0;
	fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	link = bpf_program__attach_cgroup(bk.lat->progs.adm_lat_in, fd);
	rc = link ? 0 : -errno;
	close(fd);
	if (rc)
		return rc;
	if (bk.lat_link)
		adm_info("breaker: request-latency program moved from cgroup %s to %s",
			 bk.lat_cgroup, cg);
	bpf_link__destroy(bk.lat_link);
	bk.lat_link = link;
	snprintf(bk.lat_cgroup, sizeof(bk.lat_cgroup), "%s", cg);
	return 0;
}

/*
 * Load adm_lat (the request side of the latency measurement, sharing the
 * pinned maps) and attach it to sockops' cgroup, for as long as admd runs
 * (a reload that moves [adm] cgroup moves it too: bk_lat_attach).
 * Without it the latency signal has no data: a warning, not a failure
 * (the other signals still work).
 */
static void bk_lat_load(const struct adm_config *cfg)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = cfg->pin_root);
	int rc;

	bk.lat = adm_lat_bpf__open_opts(&opts);
	if (!bk.lat) {
		rc = -errno;
		goto fail;
	}
	rc = adm_lat_bpf__load(bk.lat);
	if (!rc)
		rc = bk_lat_attach(cfg);
	if (!rc)
		return;
fail:
	adm_warn("breaker: cannot attach the request-latency program (cgroup_skb ingress): %s; breaker_latency and conn_limit = auto have no data",
		 strerror(-rc));
	adm_lat_bpf__destroy(bk.lat);
	bk.lat = NULL;
}

/*
 * Take cfg's services: same-named ones keep their machines (new
 * parameters), new ones start from the map's state (a breaker an operator
 * set while admd was away is kept as a manual override), gone ones are
 * dropped. Probes are restarted.
 */
static int bk_configure(const struct adm_config *cfg, __u64 now)
{
	static struct bk_svc old[ADM_MAX_SERVICES];
	__u32 id;
	int i, p;

	for (i = 0; i < cfg->n_svcs && !bk.lat_tried; i++)
		if (cfg->svcs[i].brk.latency_ns || cfg->svcs[i].brk.conn_limit_auto) {
			bk.lat_tried = 1;	/* once, when a service first needs it */
			bk_lat_load(cfg);
		}
	memcpy(old, bk.svc, sizeof(old));
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		bk_probe_stop(&bk.svc[id]);
	memset(bk.svc, 0, sizeof(bk.svc));
	memset(bk.port_id, 0, sizeof(bk.port_id));
	for (i = 0; i < cfg->n_svcs; i++) {
		const struct adm_svc_config *sc = &cfg->svcs[i];
		struct bk_svc *s = &bk.svc[sc->id], *was = NULL;
		struct brk_params bp;
		struct alim_params ap;
		struct adm_state st = {};

		if (!sc->id || sc->id >= ADM_MAX_SERVICES)
			continue;
		for (id = 1; id < ADM_MAX_SERVICES; id++)
			if (old[id].active && !strcmp(old[id].name, sc->name))
				was = &old[id];
		bk_params(&sc->brk, &bp, &ap);
		if (was) {
			*s = *was;
			brk_set_params(&s->brk, &bp);
			if (sc->brk.conn_limit_auto && was->c.conn_limit_auto)
				alim_set_params(&s->alim, &ap);
			else
				alim_init(&s->alim, &ap, now);
		} else {
			memset(s, 0, sizeof(*s));
			brk_init(&s->brk, &bp, now);
			alim_init(&s->alim, &ap, now);
			bpf_map_lookup_elem(bk.state_fd, &sc->id, &st);
			if (st.breaker != ADM_BRK_CLOSED &&
			    !brk_override(&s->brk, now, st.breaker,
					  st.half_open_permille, 0, NULL))
				adm_info("breaker %s: %s as found in the maps, kept as a manual override",
					 sc->name, adm_breaker_name(st.breaker));
			s->degrade = st.degrade;
		}
		s->active = 1;
		s->id = sc->id;
		snprintf(s->name, sizeof(s->name), "%s", sc->name);
		s->c = sc->brk;
		s->priority = sc->priority;
		s->automatic = sc->brk.latency_ns || sc->brk.accept_queue ||
			       sc->brk.pressure || sc->brk.probe_kind;
		if (s->automatic && s->brk.manual && !was &&
		    !s->brk.manual_until_ns) {
			/* An automatic breaker found open: its machine resumes there. */
			brk_auto(&s->brk, now, NULL);
		}
		memset(&s->probe, 0, sizeof(s->probe));
		s->probe.fd = -1;
		if (bk_probe_setup(s))
			return -1;
		for (p = 0; p < sc->n_ports; p++)
			if (sc->port_proto[p] == IPPROTO_TCP)
				bk.port_id[sc->ports[p]] = (__u8)sc->id;
		bk_write_state(s);
	}
	return 0;
}

/* ---------------------------------------------------------------- commands */

/*
 * A request that is wrong: nothing changed, not audited; admctl exits 2
 * (the writer module's convention: "usage": true).
 */
static void __attribute__((format(printf, 2, 3)))
bk_usage(struct ctl_req *r, const char *fmt, ...)
{
	char msg[ADM_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_reply(r, json_pack("{s:b, s:s, s:b}", "ok", 0, "error", msg, "usage", 1));
}

/* "ttl_ms" of a request: 0 (none) or 1..BK_TTL_MAX_MS; -1 if invalid. */
static long long bk_ttl_ms(struct ctl_req *r)
{
	json_t *v = json_object_get(r->req, "ttl_ms");

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (unsigned long long)json_integer_value(v) > BK_TTL_MAX_MS)
		return -1;
	return json_integer_value(v);
}

/* The service a request names ("service"), or a failure answered. */
static struct bk_svc *bk_req_service(struct ctl_req *r, const char *cmd, int required)
{
	const char *name = json_string_value(json_object_get(r->req, "service"));
	char names[ADM_ERR_MAX];
	struct bk_svc *s;

	if (!name) {
		if (required)
			bk_usage(r, "%s needs \"service\": a service name", cmd);
		return NULL;
	}
	s = bk_by_name(name);
	if (!s) {
		bk_names(names, sizeof(names));
		bk_usage(r, "unknown service '%s'; services: %s", name, names);
	}
	return s;
}

/*
 * {"cmd":"breaker","action":"open|close|half-open|auto","service":NAME
 * (absent: every service),"permille":N,"ttl_ms":N}; also the writer's
 * form (userspace/lib/ops.c: "state" for "action", "all"), which admctl
 * sends without --ttl: this module is listed before the writer, so the
 * breaker's manual overrides all come here.
 */
static void bk_cmd_breaker(struct admd *ad, struct ctl_req *r)
{
	const char *action = json_string_value(json_object_get(r->req, "action")) ?:
			     json_string_value(json_object_get(r->req, "state"));
	json_t *pm = json_object_get(r->req, "permille");
	long long ttl = bk_ttl_ms(r);
	struct bk_svc *one = NULL;
	struct brk_change c;
	struct adm_audit a;
	char err[ADM_ERR_MAX], text[BK_WHY_MAX];
	__u64 now = adm_mono_ns();
	__u32 permille = 0, id;
	size_t ub = 0, ua = 0;
	int state = -1;

	if (!action) {
		bk_usage(r, "breaker needs \"action\": open, close, half-open or auto");
		return;
	}
	if (!strcmp(action, "open"))
		state = ADM_BRK_OPEN;
	else if (!strcmp(action, "close"))
		state = ADM_BRK_CLOSED;
	else if (!strcmp(action, "half-open"))
		state = ADM_BRK_HALF_OPEN;
	else if (strcmp(action, "auto")) {
		bk_usage(r, "unknown action '%s' (open, close, half-open, auto)", action);
		return;
	}
	if (state == ADM_BRK_HALF_OPEN) {
		if (!json_is_integer(pm) || json_integer_value(pm) < 1 ||
		    json_integer_value(pm) >= BK_PERMILLE) {
			bk_usage(r, "half-open needs \"permille\" 1..%d", BK_PERMILLE - 1);
			return;
		}
		permille = (__u32)json_integer_value(pm);
	}
	if (ttl < 0) {
		bk_usage(r, "\"ttl_ms\" must be 1..%llu", BK_TTL_MAX_MS);
		return;
	}
	if (json_object_get(r->req, "service")) {
		one = bk_req_service(r, "breaker", 1);
		if (!one)
			return;
		if (state < 0 && !one->automatic) {
			ctl_fail(r, "%s has no breaker signal (breaker_latency, breaker_accept_queue, breaker_pressure or breaker_probe) to follow; 'admctl breaker close %s' closes it",
				 one->name, one->name);
			return;
		}
	}
	if (state < 0 && !one) {
		for (id = 1; id < ADM_MAX_SERVICES; id++)
			if (bk.svc[id].active && bk.svc[id].automatic)
				break;
		if (id == ADM_MAX_SERVICES) {
			ctl_fail(r, "no service has a breaker signal (breaker_latency, breaker_accept_queue, breaker_pressure or breaker_probe) to follow");
			return;
		}
	}
	if (admd_audit_ready(ad, err, sizeof(err))) {
		ctl_fail(r, "breaker %s refused: %s", action, err);
		return;
	}
	/* The writer's wording (userspace/lib/ops.c), so audit readers see one form. */
	if (state == ADM_BRK_HALF_OPEN)
		ctl_audit_init(r, &a, "breaker half-open %s --permille %u%s",
			       one ? one->name : "every service", permille,
			       ttl ? " --ttl" : "");
	else
		ctl_audit_init(r, &a, "breaker %s %s%s", action,
			       one ? one->name : "every service", ttl ? " --ttl" : "");
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct bk_svc *s = &bk.svc[id];
		int changed;

		if (!s->active || (one && s != one))
			continue;
		if (state < 0 && !s->automatic)
			continue;	/* auto for every service: those that have signals */
		bk_state_text(s, text, sizeof(text));
		if (ub < sizeof(a.before))
			ub += snprintf(a.before + ub, sizeof(a.before) - ub, "%s%s %s",
				       ub ? ", " : "", s->name, text);
		if (state < 0)
			changed = brk_auto(&s->brk, now, &c);
		else
			changed = brk_override(&s->brk, now, (__u8)state, permille,
					       (__u64)ttl * BK_NS_PER_MS, &c);
		if (changed > 0)
			s->trans[c.from][c.to]++;
		bk_write_state(s);
		bk_state_text(s, text, sizeof(text));
		if (ua < sizeof(a.after))
			ua += snprintf(a.after + ua, sizeof(a.after) - ua, "%s%s %s",
				       ua ? ", " : "", s->name, text);
	}
	bk_degrade(now);
	snprintf(a.result, sizeof(a.result), "ok");
	admd_audit(ad, &a, NULL, 0);
	bk.writes_ok++;
	adm_info("breaker %s by %s: %s -> %s", action, a.user, a.before, a.after);
	ctl_reply(r, json_pack("{s:o}", "audit", adm_audit_to_json(&a)));
}

/* {"cmd":"degrade","level":0..3,"ttl_ms":N} (the writer's form has no ttl_ms) */
static void bk_cmd_degrade(struct admd *ad, struct ctl_req *r)
{
	json_t *lv = json_object_get(r->req, "level");
	long long ttl = bk_ttl_ms(r);
	struct adm_audit a;
	char err[ADM_ERR_MAX];
	__u64 now = adm_mono_ns();

	if (!json_is_integer(lv) || json_integer_value(lv) < 0 ||
	    json_integer_value(lv) > ADM_DEGRADE_MAX) {
		bk_usage(r, "degrade needs \"level\" 0..%d", ADM_DEGRADE_MAX);
		return;
	}
	if (ttl < 0) {
		bk_usage(r, "\"ttl_ms\" must be 1..%llu", BK_TTL_MAX_MS);
		return;
	}
	if (admd_audit_ready(ad, err, sizeof(err))) {
		ctl_fail(r, "degrade refused: %s", err);
		return;
	}
	ctl_audit_init(r, &a, "degrade %lld%s", (long long)json_integer_value(lv),
		       ttl ? " --ttl" : "");
	snprintf(a.before, sizeof(a.before), "manual level %u", bk.manual_degrade);
	bk.manual_degrade = (__u8)json_integer_value(lv);
	bk.manual_degrade_until_ns = ttl ? now + (__u64)ttl * BK_NS_PER_MS : 0;
	bk_degrade(now);
	snprintf(a.after, sizeof(a.after), "manual level %u%s", bk.manual_degrade,
		 ttl ? " (with a TTL)" : "");
	snprintf(a.result, sizeof(a.result), "ok");
	admd_audit(ad, &a, NULL, 0);
	bk.writes_ok++;
	ctl_reply(r, json_pack("{s:o}", "audit", adm_audit_to_json(&a)));
}

/* {"cmd":"pressure","service":NAME,"level":0..3,"ttl_ms":N}: the app's word. */
static void bk_cmd_pressure(struct admd *ad, struct ctl_req *r)
{
	json_t *lv = json_object_get(r->req, "level");
	long long ttl = bk_ttl_ms(r);
	struct bk_svc *s;
	__u64 now = adm_mono_ns();
	char err[ADM_ERR_MAX];
	struct adm_audit a;
	int changed;

	if (!json_is_integer(lv) || json_integer_value(lv) < 0 ||
	    json_integer_value(lv) > ADM_DEGRADE_MAX) {
		bk_usage(r, "pressure needs \"level\" 0..%d", ADM_DEGRADE_MAX);
		return;
	}
	if (ttl < 0) {
		bk_usage(r, "\"ttl_ms\" must be 1..%llu", BK_TTL_MAX_MS);
		return;
	}
	s = bk_req_service(r, "pressure", 1);
	if (!s)
		return;
	/* A change of level is an audit record; a report that renews it is not. */
	changed = s->pressure != (__u32)json_integer_value(lv);
	if (changed && admd_audit_ready(ad, err, sizeof(err))) {
		ctl_fail(r, "pressure refused: %s", err);
		return;
	}
	if (changed) {
		ctl_audit_init(r, &a, "pressure %s %lld (gid %u, %s)", s->name,
			       (long long)json_integer_value(lv), (unsigned int)r->gid,
			       r->pressure_socket ? "pressure socket" : "control socket");
		snprintf(a.before, sizeof(a.before), "pressure %u", s->pressure);
	}
	s->pressure = (__u32)json_integer_value(lv);
	s->pressure_until_ns = now + (__u64)(ttl ? ttl : BK_PRESSURE_TTL_MS) * BK_NS_PER_MS;
	bk_degrade(now);
	if (changed) {
		snprintf(a.after, sizeof(a.after), "pressure %u for %lld ms", s->pressure,
			 ttl ? ttl : (long long)BK_PRESSURE_TTL_MS);
		snprintf(a.result, sizeof(a.result), "ok");
		admd_audit(ad, &a, NULL, 0);
	}
	ctl_reply(r, json_pack("{s:s, s:i, s:I}", "service", s->name, "level",
			       (int)s->pressure, "ttl_ms",
			       (json_int_t)(ttl ? ttl : BK_PRESSURE_TTL_MS)));
}

static const struct admd_cmd bk_cmds[] = {
	{ .name = "breaker", .write = 1, .fn = bk_cmd_breaker },
	{ .name = "degrade", .write = 1, .fn = bk_cmd_degrade },
	{ .name = "pressure", .write = 1, .fn = bk_cmd_pressure },
	{}
};

/* ---------------------------------------------------------------- module */

static void bk_close(void)
{
	__u32 id;

	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (bk.ad)
			bk_probe_stop(&bk.svc[id]);
	if (bk.tick && bk.ad)
		loop_del_timer(bk.ad->loop, bk.tick);
	adm_conc_munmap(bk.conc);
	if (bk.state_fd >= 0)
		close(bk.state_fd);
	if (bk.lat_fd >= 0)
		close(bk.lat_fd);
	if (bk.conc_fd >= 0)
		close(bk.conc_fd);
	if (bk.diag_fd >= 0)
		close(bk.diag_fd);
	free(bk.percpu);
	bpf_link__destroy(bk.lat_link);
	adm_lat_bpf__destroy(bk.lat);
	memset(&bk, 0, sizeof(bk));
	bk.state_fd = bk.lat_fd = bk.conc_fd = bk.diag_fd = -1;
}

static int bk_start(struct admd *ad, char *err, size_t errlen)
{
	const char *pin = ad->cfg->pin_root;

	bk_close();
	bk.ad = ad;
	bk.ncpus = libbpf_num_possible_cpus();
	if (bk.ncpus <= 0) {
		snprintf(err, errlen, "breaker: cannot count CPUs: %s", strerror(-bk.ncpus));
		goto fail;
	}
	bk.percpu = calloc(bk.ncpus, sizeof(*bk.percpu));
	bk.state_fd = adm_map_open(pin, ADM_MAP_STATE, 0);
	bk.lat_fd = adm_map_open(pin, ADM_MAP_LAT, 1);
	bk.conc_fd = adm_map_open(pin, ADM_MAP_CONC, 0);
	if (!bk.percpu || bk.state_fd < 0 || bk.lat_fd < 0 || bk.conc_fd < 0) {
		snprintf(err, errlen, "breaker: cannot open %s, %s or %s under %s: is the data plane loaded?",
			 ADM_MAP_STATE, ADM_MAP_LAT, ADM_MAP_CONC, pin);
		goto fail;
	}
	bk.conc = adm_conc_mmap(bk.conc_fd);
	if (!bk.conc) {
		snprintf(err, errlen, "breaker: cannot map %s: %s", ADM_MAP_CONC, strerror(errno));
		goto fail;
	}
	bk.diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (bk.diag_fd < 0)
		adm_warn("breaker: no inet_diag socket (%s): breaker_accept_queue has no data",
			 strerror(errno));
	if (bk_configure(ad->cfg, adm_mono_ns())) {
		snprintf(err, errlen, "breaker: cannot start probes: %s", strerror(errno));
		goto fail;
	}
	bk.tick = loop_add_timer(ad->loop, BK_TICK_MS, bk_tick, NULL);
	if (!bk.tick) {
		snprintf(err, errlen, "breaker: no timer: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	bk_close();
	return -1;
}

static int bk_reload_apply(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	int rc;

	(void)ad;
	/* sockops moves in its module's reload_apply; the request side with it */
	if (bk.lat && (rc = bk_lat_attach(next))) {
		snprintf(err, errlen, "breaker: cannot move the request-latency program to the new [adm] cgroup: %s",
			 strerror(-rc));
		return -1;
	}
	if (bk_configure(next, adm_mono_ns())) {
		snprintf(err, errlen, "breaker: cannot start probes: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static json_t *bk_ns_ms(__u64 ns)
{
	return json_real((double)ns / BK_NS_PER_MS);
}

static void bk_status(struct admd *ad, json_t *out)
{
	__u64 now = adm_mono_ns();
	json_t *svcs = json_array();
	__u32 id;

	(void)ad;
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		const struct bk_svc *s = &bk.svc[id];
		json_t *o;

		if (!s->active)
			continue;
		o = json_pack("{s:s, s:s, s:i, s:s, s:b, s:s, s:s}",
			      "name", s->name,
			      "breaker", adm_breaker_name(brk_state(&s->brk)),
			      "half_open_permille", (int)(brk_state(&s->brk) == ADM_BRK_HALF_OPEN ?
							  brk_permille(&s->brk) : 0),
			      "control", s->brk.manual ? "manual" : s->automatic ? "automatic" : "manual only",
			      "automatic", s->automatic,
			      "health", health_name(s->health),
			      "why", s->why);
		json_object_set_new(o, "manual_ttl_ms", s->brk.manual && s->brk.manual_until_ns ?
				    json_integer((json_int_t)((s->brk.manual_until_ns - now) / BK_NS_PER_MS)) :
				    json_null());
		json_object_set_new(o, "transitions", json_integer((json_int_t)s->brk.transitions));
		json_object_set_new(o, "latency", json_pack("{s:I, s:o, s:o, s:o, s:o, s:I}",
			"requests", (json_int_t)s->lat_count,
			"mean_ms", bk_ns_ms(s->lat_mean_ns),
			"p50_ms", bk_ns_ms(s->lat_p50_ns),
			"p90_ms", bk_ns_ms(s->lat_p90_ns),
			"p99_ms", bk_ns_ms(s->lat_p99_ns),
			"unanswered", (json_int_t)s->unanswered));
		json_object_set_new(o, "latency_verdict", s->v_last ?
				    json_pack("{s:I, s:o, s:o}", "requests", (json_int_t)s->v_last,
					      "p90_ms", bk_ns_ms(s->v_p90_ns),
					      "span_ms", bk_ns_ms(s->v_span_ns)) : json_null());
		json_object_set_new(o, "accept_queue", s->listening ?
				    json_pack("{s:I, s:I}", "depth", (json_int_t)s->queue,
					      "backlog", (json_int_t)s->queue_max) : json_null());
		json_object_set_new(o, "probe", s->c.probe_kind ?
				    json_pack("{s:s, s:o, s:I, s:s}", "target", s->c.probe_addr,
					      "ok", s->probe.last_ok < 0 ? json_null() :
					      json_boolean(s->probe.last_ok),
					      "last_ms", (json_int_t)s->probe.last_ms,
					      "error", s->probe.last_err) : json_null());
		json_object_set_new(o, "pressure", json_integer(s->pressure));
		json_object_set_new(o, "degrade", json_integer(s->degrade));
		json_object_set_new(o, "depends_on", s->c.depends_on[0] ?
				    json_string(s->c.depends_on) : json_null());
		if (s->c.conn_limit_auto)
			json_object_set_new(o, "adaptive", json_pack(
				"{s:I, s:I, s:I, s:o, s:f, s:I}",
				"limit", (json_int_t)alim_limit(&s->alim),
				"min", (json_int_t)s->c.conn_limit_min,
				"max", (json_int_t)s->c.conn_limit_max,
				"min_rtt_ms", bk_ns_ms(s->alim.min_rtt_ns),
				"gradient", s->alim.last_gradient,
				"probes", (json_int_t)s->alim.probes));
		if (s->c.conn_limit_auto)
			json_object_set_new(json_object_get(o, "adaptive"), "enforced",
					    json_integer((json_int_t)s->enforced));
		if (s->c.conn_limit_auto && bk.conc)	/* the kernel's word, for tests */
			json_object_set_new(json_object_get(o, "adaptive"), "kernel_limit",
					    json_integer((json_int_t)__atomic_load_n(&bk.conc[id].limit,
										 __ATOMIC_RELAXED)));
		if (s->c.conn_limit_auto)
			json_object_set_new(json_object_get(o, "adaptive"), "cluster_cap",
					    s->cluster_cap ? json_integer((json_int_t)s->cluster_cap) :
					    json_null());
		json_array_append_new(svcs, o);
	}
	json_object_set_new(out, "services", svcs);
	json_object_set_new(out, "manual_degrade", json_integer(bk.manual_degrade));
	json_object_set_new(out, "manual_degrade_ttl_ms", bk.manual_degrade_until_ns ?
			    json_integer((json_int_t)((bk.manual_degrade_until_ns - now) /
						      BK_NS_PER_MS)) : json_null());
	json_object_set_new(out, "ticks", json_integer((json_int_t)bk.ticks));
	json_object_set_new(out, "latency_cgroup", bk.lat_link ?
			    json_string(bk.lat_cgroup) : json_null());
	json_object_set_new(out, "writes_ok", json_integer((json_int_t)bk.writes_ok));
}

static void bk_metrics(struct admd *ad, struct adm_buf *b)
{
	static const char *const st[] = { "closed", "open", "half_open" };
	__u32 id, i, j;

	(void)ad;
	adm_buf_family(b, "adm_breaker_transitions_total", "counter",
		       "Breaker state changes (automatic and manual) since admd started.");
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		for (i = 0; i < ADM_BRK__MAX && bk.svc[id].active; i++)
			for (j = 0; j < ADM_BRK__MAX; j++)
				if (i != j)
					adm_buf_printf(b, "adm_breaker_transitions_total{service=\"%s\",from=\"%s\",to=\"%s\"} %llu\n",
						       bk.svc[id].name, st[i], st[j],
						       (unsigned long long)bk.svc[id].trans[i][j]);
	adm_buf_family(b, "adm_breaker_automatic", "gauge",
		       "1 while the breaker follows its health signals, 0 under a manual override or without signals.");
	adm_buf_family(b, "adm_breaker_healthy", "gauge",
		       "The last tick's health verdict: 1 good, 0 bad, -1 no signal had data.");
	adm_buf_family(b, "adm_request_latency_seconds", "gauge",
		       "Request latency measured by sockops over the last breaker tick (250 ms), by quantile.");
	adm_buf_family(b, "adm_requests_total", "counter",
		       "Requests answered, measured by sockops (services with breaker_latency or conn_limit = auto).");
	adm_buf_family(b, "adm_requests_unanswered_total", "counter",
		       "Connections closed with a request pending.");
	adm_buf_family(b, "adm_accept_queue", "gauge",
		       "Connections waiting in the service's listen queues (inet_diag).");
	adm_buf_family(b, "adm_probe_up", "gauge",
		       "1 if the last active probe succeeded, 0 if it failed.");
	adm_buf_family(b, "adm_probe_failures_total", "counter", "Failed active probes.");
	adm_buf_family(b, "adm_pressure", "gauge", "Pressure level the application reported (0..3).");
	adm_buf_family(b, "adm_conn_limit_adaptive", "gauge",
		       "The adaptive concurrency limit (conn_limit = auto).");
	adm_buf_family(b, "adm_conn_limit_adaptive_min", "gauge",
		       "conn_limit_min: the floor of the adaptive limit.");
	adm_buf_family(b, "adm_conn_limit_adaptive_max", "gauge",
		       "conn_limit_max: the ceiling of the adaptive limit.");
	adm_buf_family(b, "adm_conn_limit_min_rtt_seconds", "gauge",
		       "The adaptive limit's unloaded latency estimate.");
	adm_buf_family(b, "adm_conn_limit_gradient", "gauge",
		       "The adaptive limit's last gradient (1: at the unloaded latency).");
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		const struct bk_svc *s = &bk.svc[id];

		if (!s->active)
			continue;
		adm_buf_printf(b, "adm_breaker_automatic{service=\"%s\"} %d\n", s->name,
			       s->automatic && !s->brk.manual);
		adm_buf_printf(b, "adm_breaker_healthy{service=\"%s\"} %d\n", s->name,
			       s->health == BRK_GOOD ? 1 : s->health == BRK_BAD ? 0 : -1);
		if (s->c.latency_ns || s->c.conn_limit_auto) {
			adm_buf_printf(b, "adm_request_latency_seconds{service=\"%s\",quantile=\"0.5\"} %.6f\n",
				       s->name, (double)s->lat_p50_ns / BK_NS_PER_SEC);
			adm_buf_printf(b, "adm_request_latency_seconds{service=\"%s\",quantile=\"0.9\"} %.6f\n",
				       s->name, (double)s->lat_p90_ns / BK_NS_PER_SEC);
			adm_buf_printf(b, "adm_request_latency_seconds{service=\"%s\",quantile=\"0.99\"} %.6f\n",
				       s->name, (double)s->lat_p99_ns / BK_NS_PER_SEC);
			adm_buf_printf(b, "adm_requests_total{service=\"%s\"} %llu\n", s->name,
				       (unsigned long long)s->lat_total);
			adm_buf_printf(b, "adm_requests_unanswered_total{service=\"%s\"} %llu\n",
				       s->name, (unsigned long long)s->unanswered_total);
		}
		if (s->listening)
			adm_buf_printf(b, "adm_accept_queue{service=\"%s\"} %llu\n", s->name,
				       (unsigned long long)s->queue);
		if (s->c.probe_kind) {
			adm_buf_printf(b, "adm_probe_up{service=\"%s\"} %d\n", s->name,
				       s->probe.last_ok > 0);
			adm_buf_printf(b, "adm_probe_failures_total{service=\"%s\"} %llu\n",
				       s->name, (unsigned long long)s->probe.fail_total);
		}
		adm_buf_printf(b, "adm_pressure{service=\"%s\"} %u\n", s->name, s->pressure);
		if (s->c.conn_limit_auto) {
			adm_buf_printf(b, "adm_conn_limit_adaptive{service=\"%s\"} %llu\n", s->name,
				       (unsigned long long)alim_limit(&s->alim));
			adm_buf_printf(b, "adm_conn_limit_adaptive_min{service=\"%s\"} %llu\n",
				       s->name, (unsigned long long)s->c.conn_limit_min);
			adm_buf_printf(b, "adm_conn_limit_adaptive_max{service=\"%s\"} %llu\n",
				       s->name, (unsigned long long)s->c.conn_limit_max);
			adm_buf_printf(b, "adm_conn_limit_min_rtt_seconds{service=\"%s\"} %.6f\n",
				       s->name, (double)s->alim.min_rtt_ns / BK_NS_PER_SEC);
			adm_buf_printf(b, "adm_conn_limit_gradient{service=\"%s\"} %.3f\n",
				       s->name, s->alim.last_gradient);
		}
	}
}

static void bk_stop(struct admd *ad, int aborted)
{
	(void)ad;
	(void)aborted;	/* nothing attached: the maps keep their last state */
	bk_close();
}

const struct admd_module bk_module = {
	.name = "breaker",
	.start = bk_start,
	.reload_apply = bk_reload_apply,
	.status = bk_status,
	.metrics = bk_metrics,
	.cmds = bk_cmds,
	.stop = bk_stop,
};
