// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module "responder", the polite refusal: a SYN that adm_xdp refused with
 * `reply` is handed by adm_lookup (sk_lookup, attached to admd's network
 * namespace through a pinned link) to one of this module's listening
 * sockets (127.0.0.1 and ::1, any port: sk_lookup ignores the address),
 * which answers at once with
 *
 *   HTTP/1.1 503 Service Unavailable, Retry-After: N (retry_after plus a
 *   uniform 0..retry_after_jitter), Connection: close
 *
 * then shuts its side down and drains what the client sends until the
 * client closes (so the close is a FIN, never an RST that could destroy
 * the response in flight), or reply_timeout passes.
 *
 * Bounded: at reply_max open connections the module sets
 * adm_reply_ctl.full and XDP answers new refusals with an RST instead;
 * a connection accepted past the cap anyway (a SYN already in flight) is
 * reset (SO_LINGER 0). Every RESP_TICK_MS it renews adm_reply_ctl's
 * heartbeat: when admd stops or dies, XDP falls back to RST within
 * RESP_ALIVE_MS. The responder's sockets carry ADM_REPLY_MARK, which the
 * socket layer skips: a refused client never holds a service's slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adm_lookup.skel.h"
#include "admd.h"
#include "clock.h"
#include "http503.h"
#include "log.h"
#include "pins.h"
#include "responder.h"
#include "util.h"

#define RESP_TICK_MS		100	/* heartbeat and reaping */
#define RESP_ALIVE_MS		1000	/* XDP trusts a heartbeat this long */
#define RESP_ACCEPT_BATCH	64	/* accepts per wakeup, so others get a turn */
#define RESP_BACKLOG_MIN	128
#define RESP_DRAIN_BYTES	4096
#define RESP_NS_PER_MS		1000000ULL

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND		78
#endif

struct resp_conn {
	int fd;			/* -1: free slot */
	__u64 deadline_ns;	/* CLOCK_MONOTONIC: closed then, drained or not */
};

static struct {
	struct admd *ad;
	struct adm_lookup_bpf *skel;
	struct adm_reply_ctl *ctl;	/* mmapped adm_reply_ctl[0] */
	size_t ctl_len;
	int ctl_fd, sockmap_fd;
	int lfd[ADM_RESPONDER_SLOTS];	/* listening sockets, -1: none */
	struct loop_timer *tick;
	struct resp_conn *conns;	/* CFG max slots, by index */
	int *free_slots, n_free;	/* stack of free indexes */
	__u32 cap;			/* slots allocated */
	__u32 open;
	struct adm_reply_config rc;
	int in_use;			/* the config has a service that refuses with reply */
	int created_link;		/* this start created the link (abort: remove) */
	unsigned int seed;
	/* since admd started */
	__u64 accepted, sent, cap_rst, timeouts, write_errors;
} rp = { .ctl_fd = -1, .sockmap_fd = -1, .lfd = { -1, -1 } };

static void resp_update_full(void)
{
	if (rp.ctl)
		__atomic_store_n(&rp.ctl->full, rp.open >= rp.rc.reply_max,
				 __ATOMIC_RELAXED);
}

static void resp_heartbeat(void)
{
	if (!rp.ctl)
		return;
	__atomic_store_n(&rp.ctl->alive_until_ns,
			 adm_mono_ns() + RESP_ALIVE_MS * RESP_NS_PER_MS,
			 __ATOMIC_RELEASE);
}

static void resp_close(struct resp_conn *c)
{
	loop_del_fd(rp.ad->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	rp.free_slots[rp.n_free++] = (int)(c - rp.conns);
	rp.open--;
	resp_update_full();
}

/* Read and discard what arrived; close on EOF or error. */
static void on_conn(void *ctx, int fd, __u32 events)
{
	struct resp_conn *c = ctx;
	char buf[RESP_DRAIN_BYTES];
	ssize_t n;
	int i;

	(void)events;
	for (i = 0; i < 16; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		resp_close(c);
		return;
	}
}

/* Close with an RST (SO_LINGER 0): past the cap, nothing is sent. */
static void resp_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void resp_serve(int fd)
{
	char msg[ADM_HTTP503_MAX];
	struct resp_conn *c;
	int len, one = 1;
	ssize_t n;

	rp.accepted++;
	if (rp.open >= rp.rc.reply_max || !rp.n_free) {
		rp.cap_rst++;
		resp_reset(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	len = adm_http503(msg, sizeof(msg),
			  adm_http503_retry_after(rp.rc.retry_after,
						  rp.rc.retry_after_jitter, &rp.seed));
	if (len < 0) {
		rp.write_errors++;
		resp_reset(fd);
		return;
	}
	/* A fresh socket's send buffer holds the whole answer at once. */
	n = send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n != len) {
		rp.write_errors++;
		resp_reset(fd);
		return;
	}
	rp.sent++;
	shutdown(fd, SHUT_WR);
	c = &rp.conns[rp.free_slots[--rp.n_free]];
	c->fd = fd;
	c->deadline_ns = adm_mono_ns() + rp.rc.reply_timeout_ns;
	if (loop_add_fd(rp.ad->loop, fd, EPOLLIN | EPOLLRDHUP, on_conn, c)) {
		close(fd);
		c->fd = -1;
		rp.free_slots[rp.n_free++] = (int)(c - rp.conns);
		return;
	}
	rp.open++;
	resp_update_full();
}

static void on_listen(void *ctx, int fd, __u32 events)
{
	int i, cfd;

	(void)ctx;
	(void)events;
	for (i = 0; i < RESP_ACCEPT_BATCH; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				adm_warn("responder: accept: %s", strerror(errno));
			return;
		}
		resp_serve(cfd);
	}
}

static void on_tick(void *ctx)
{
	__u64 now = adm_mono_ns();
	__u32 i;

	(void)ctx;
	resp_heartbeat();
	for (i = 0; i < rp.cap; i++) {
		struct resp_conn *c = &rp.conns[i];

		if (c->fd < 0 || c->deadline_ns > now)
			continue;
		rp.timeouts++;
		/* Whatever the client sent is read first, so the close is a FIN. */
		on_conn(c, c->fd, 0);
		if (c->fd >= 0)
			resp_close(c);
	}
}

/* A listening socket of `family` on loopback, any port, marked. */
static int resp_listen(int family, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	int fd, one = 1, mark = ADM_REPLY_MARK;
	int backlog = rp.rc.reply_max > RESP_BACKLOG_MIN ? (int)rp.rc.reply_max :
		      RESP_BACKLOG_MIN;
	socklen_t len;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		/* Loopback may be down in admd's namespace: bind regardless. */
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog))
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "responder: cannot open its %s listening socket: %s",
		 family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Attach adm_lookup to this network namespace, or update the pinned link in place. */
static int resp_attach(const struct adm_config *cfg, char *err, size_t errlen)
{
	int prog_fd = bpf_program__fd(rp.skel->progs.adm_lookup);
	char path[PATH_MAX];
	int lfd, nsfd;

	adm_pin_path(path, sizeof(path), cfg->pin_root, ADM_SKLOOKUP_LINK);
	lfd = bpf_obj_get(path);
	if (lfd >= 0) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);
		struct stat st;
		int same = !stat("/proc/self/ns/net", &st) &&
			   !bpf_obj_get_info_by_fd(lfd, &li, &len) &&
			   li.netns.netns_ino == st.st_ino;
		int rc = same ? bpf_link_update(lfd, prog_fd, NULL) : -1;

		close(lfd);
		if (!rc) {
			adm_info("responder: kept the existing sk_lookup attachment, program replaced in place");
			return 0;
		}
		adm_warn("responder: sk_lookup link pin %s (%s) removed", path,
			 same ? "stale" : "another network namespace");
		unlink(path);
	}
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		snprintf(err, errlen, "responder: cannot open /proc/self/ns/net: %s",
			 strerror(errno));
		return -1;
	}
	lfd = bpf_link_create(prog_fd, nsfd, BPF_SK_LOOKUP, NULL);
	close(nsfd);
	if (lfd < 0) {
		snprintf(err, errlen, "responder: cannot attach sk_lookup to admd's network namespace: %s",
			 strerror(errno));
		return -1;
	}
	if (bpf_obj_pin(lfd, path)) {
		snprintf(err, errlen, "responder: cannot pin the sk_lookup link at %s: %s",
			 path, strerror(errno));
		close(lfd);
		return -1;
	}
	chmod(path, 0600);
	close(lfd);
	rp.created_link = 1;
	adm_info("responder: sk_lookup attached to admd's network namespace");
	return 0;
}

static int resp_slots(__u32 want, char *err, size_t errlen)
{
	struct resp_conn *conns;
	int *fr;
	__u32 i;

	if (want <= rp.cap)
		return 0;
	conns = realloc(rp.conns, want * sizeof(*conns));
	if (conns)
		rp.conns = conns;
	fr = realloc(rp.free_slots, want * sizeof(*fr));
	if (fr)
		rp.free_slots = fr;
	if (!conns || !fr) {
		snprintf(err, errlen, "responder: %s", strerror(ENOMEM));
		return -1;
	}
	/* Loop callbacks hold &conns[i]: grown only while none is open. */
	for (i = rp.cap; i < want; i++) {
		rp.conns[i].fd = -1;
		rp.free_slots[rp.n_free++] = (int)i;
	}
	rp.cap = want;
	return 0;
}

static int resp_start(struct admd *ad, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = ad->cfg->pin_root);
	long page = sysconf(_SC_PAGESIZE);
	int i, rc;
	__u32 key;

	rp.ad = ad;
	rp.rc = ad->cfg->reply;
	rp.in_use = adm_config_uses_reply(ad->cfg);
	if (getrandom(&rp.seed, sizeof(rp.seed), 0) != sizeof(rp.seed))
		rp.seed = (unsigned int)adm_mono_ns();
	/* Every slot up front: pointers to them live in the loop. */
	if (resp_slots(ADM_REPLY_MAX_LIMIT, err, errlen))
		return -1;

	rp.skel = adm_lookup_bpf__open_opts(&opts);
	if (!rp.skel) {
		snprintf(err, errlen, "responder: cannot open the adm_lookup BPF object: %s",
			 strerror(errno));
		return -1;
	}
	rc = adm_lookup_bpf__load(rp.skel);
	if (rc) {
		snprintf(err, errlen,
			 "responder: cannot load adm_lookup (sk_lookup) into the kernel: %s",
			 strerror(-rc));
		return -1;
	}
	rp.ctl_fd = adm_map_open(ad->cfg->pin_root, ADM_MAP_REPLY_CTL, 0);
	rp.sockmap_fd = adm_map_open(ad->cfg->pin_root, ADM_MAP_RESPONDER, 0);
	if (rp.ctl_fd < 0 || rp.sockmap_fd < 0) {
		snprintf(err, errlen, "responder: cannot open %s/%s or %s: %s",
			 ad->cfg->pin_root, ADM_MAP_REPLY_CTL, ADM_MAP_RESPONDER,
			 strerror(-(rp.ctl_fd < 0 ? rp.ctl_fd : rp.sockmap_fd)));
		return -1;
	}
	rp.ctl_len = (sizeof(*rp.ctl) + page - 1) / page * page;
	rp.ctl = mmap(NULL, rp.ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      rp.ctl_fd, 0);
	if (rp.ctl == MAP_FAILED) {
		rp.ctl = NULL;
		snprintf(err, errlen, "responder: cannot map %s: %s",
			 ADM_MAP_REPLY_CTL, strerror(errno));
		return -1;
	}
	for (i = 0; i < ADM_RESPONDER_SLOTS; i++) {
		__u64 fd;

		rp.lfd[i] = resp_listen(i == ADM_RESPONDER_V4 ? AF_INET : AF_INET6,
					err, errlen);
		if (rp.lfd[i] < 0)
			return -1;
		key = i;
		fd = (__u64)rp.lfd[i];
		if (bpf_map_update_elem(rp.sockmap_fd, &key, &fd, BPF_ANY)) {
			snprintf(err, errlen, "responder: cannot put its socket in %s: %s",
				 ADM_MAP_RESPONDER, strerror(errno));
			return -1;
		}
		if (loop_add_fd(ad->loop, rp.lfd[i], EPOLLIN, on_listen, NULL)) {
			snprintf(err, errlen, "responder: cannot watch its socket: %s",
				 strerror(errno));
			return -1;
		}
	}
	if (resp_attach(ad->cfg, err, errlen))
		return -1;
	rp.tick = loop_add_timer(ad->loop, RESP_TICK_MS, on_tick, NULL);
	if (!rp.tick) {
		snprintf(err, errlen, "responder: cannot add its timer: %s",
			 strerror(errno));
		return -1;
	}
	resp_update_full();
	resp_heartbeat();
	return 0;
}

static int resp_reload_apply(struct admd *ad, const struct adm_config *next,
			     char *err, size_t errlen)
{
	(void)ad;
	(void)err;
	(void)errlen;
	rp.rc = next->reply;
	rp.in_use = adm_config_uses_reply(next);
	resp_update_full();
	resp_heartbeat();
	return 0;
}

static void resp_status(struct admd *ad, json_t *out)
{
	struct adm_reply_ctl c = {};

	(void)ad;
	if (rp.ctl)
		memcpy(&c, rp.ctl, sizeof(c));
	json_object_set_new(out, "in_use", json_boolean(rp.in_use || c.in_use));
	json_object_set_new(out, "open", json_integer(rp.open));
	json_object_set_new(out, "reply_max", json_integer(rp.rc.reply_max));
	json_object_set_new(out, "full", json_boolean(c.full));
	json_object_set_new(out, "retry_after", json_integer(rp.rc.retry_after));
	json_object_set_new(out, "retry_after_jitter",
			    json_integer(rp.rc.retry_after_jitter));
	json_object_set_new(out, "reply_timeout_ms",
			    json_integer(rp.rc.reply_timeout_ns / RESP_NS_PER_MS));
	json_object_set_new(out, "sent", json_integer(rp.sent));
	json_object_set_new(out, "cap_rst", json_integer(rp.cap_rst));
	json_object_set_new(out, "timeouts", json_integer(rp.timeouts));
	json_object_set_new(out, "steered", json_integer(c.steered));
	json_object_set_new(out, "missed", json_integer(c.missed));
	json_object_set_new(out, "fallback_full", json_integer(c.fallback_full));
	json_object_set_new(out, "fallback_down", json_integer(c.fallback_down));
}

static void resp_metrics(struct admd *ad, struct adm_buf *b)
{
	struct adm_reply_ctl c = {};

	(void)ad;
	if (rp.ctl)
		memcpy(&c, rp.ctl, sizeof(c));
	adm_buf_family(b, "adm_reply_open", "gauge",
		       "Open connections of admd's HTTP 503 responder (reply).");
	adm_buf_printf(b, "adm_reply_open %u\n", rp.open);
	adm_buf_family(b, "adm_reply_max", "gauge",
		       "[reply] reply_max: open responder connections before refusals fall back to RST.");
	adm_buf_printf(b, "adm_reply_max %u\n", rp.rc.reply_max);
	adm_buf_family(b, "adm_reply_sent_total", "counter",
		       "HTTP 503 answers the responder sent since admd started.");
	adm_buf_printf(b, "adm_reply_sent_total %llu\n", (unsigned long long)rp.sent);
	adm_buf_family(b, "adm_reply_timeouts_total", "counter",
		       "Responder connections closed at reply_timeout since admd started.");
	adm_buf_printf(b, "adm_reply_timeouts_total %llu\n",
		       (unsigned long long)rp.timeouts);
	adm_buf_family(b, "adm_reply_steered_total", "counter",
		       "SYNs sk_lookup handed to the responder (since the maps were created).");
	adm_buf_printf(b, "adm_reply_steered_total %llu\n",
		       (unsigned long long)c.steered);
	adm_buf_family(b, "adm_reply_fallback_total", "counter",
		       "Refusals with reply answered with an RST instead, by cause: full (data plane saw reply_max), cap (accepted past reply_max, reset), down (no responder heartbeat), missed (no responder socket: the kernel's RST).");
	adm_buf_printf(b, "adm_reply_fallback_total{cause=\"full\"} %llu\n",
		       (unsigned long long)c.fallback_full);
	adm_buf_printf(b, "adm_reply_fallback_total{cause=\"cap\"} %llu\n",
		       (unsigned long long)rp.cap_rst);
	adm_buf_printf(b, "adm_reply_fallback_total{cause=\"down\"} %llu\n",
		       (unsigned long long)c.fallback_down);
	adm_buf_printf(b, "adm_reply_fallback_total{cause=\"missed\"} %llu\n",
		       (unsigned long long)c.missed);
}

/*
 * Stop: the heartbeat is withdrawn (XDP answers reply with RST at once);
 * the sk_lookup link stays pinned like every other link, and with the
 * sockets closed (the kernel takes them out of adm_responder) it refuses
 * a steered SYN (RST) rather than pass it to the service that refused it.
 */
static void resp_stop(struct admd *ad, int aborted)
{
	char path[PATH_MAX];
	__u32 i;

	if (rp.ctl) {
		__atomic_store_n(&rp.ctl->alive_until_ns, 0, __ATOMIC_RELEASE);
		munmap(rp.ctl, rp.ctl_len);
	}
	if (rp.tick)
		loop_del_timer(ad->loop, rp.tick);
	for (i = 0; i < rp.cap; i++) {
		if (rp.conns[i].fd >= 0) {
			loop_del_fd(ad->loop, rp.conns[i].fd);
			close(rp.conns[i].fd);
		}
	}
	for (i = 0; i < ADM_RESPONDER_SLOTS; i++) {
		if (rp.lfd[i] >= 0) {
			loop_del_fd(ad->loop, rp.lfd[i]);
			close(rp.lfd[i]);
		}
	}
	if (aborted && rp.created_link) {
		adm_pin_path(path, sizeof(path), ad->cfg->pin_root, ADM_SKLOOKUP_LINK);
		unlink(path);
	}
	if (rp.ctl_fd >= 0)
		close(rp.ctl_fd);
	if (rp.sockmap_fd >= 0)
		close(rp.sockmap_fd);
	adm_lookup_bpf__destroy(rp.skel);
	free(rp.conns);
	free(rp.free_slots);
	memset(&rp, 0, sizeof(rp));
	rp.ctl_fd = rp.sockmap_fd = -1;
	rp.lfd[0] = rp.lfd[1] = -1;
}

const struct admd_module resp_module = {
	.name = "responder",
	.start = resp_start,
	.reload_apply = resp_reload_apply,
	.status = resp_status,
	.metrics = resp_metrics,
	.stop = resp_stop,
};
