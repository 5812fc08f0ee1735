// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * abortstorm: open TCP connections and end them in every way a client can,
 * many at once, from many sources, to check that a server-side connection
 * counter never drifts.
 *
 *   abortstorm -d ADDR:PORT [-d ADDR:PORT]... -s SRCADDR [-s SRCADDR]...
 *              -n COUNT [-c CONCURRENCY] [--ghosts N] [--step-ms N]
 *              [--max-seconds N] [--seed N] [--json]
 *
 * Attempt i uses source i % (number of -s) and the destinations of that
 * source's family in turn; its way of ending is drawn from a seeded PRNG:
 *
 *   syn_abort    connect() then at once close with SO_LINGER 0, in SYN_SENT:
 *                the server's SYN-ACK meets a closed port and is answered
 *                with a RST (mid-handshake)
 *   est_rst      established, then a RST (SO_LINGER 0)
 *   req_rst      request written, RST right behind it
 *   reply_rst    request, wait for the reply, RST with the reply unread
 *   shut_rst     shutdown(SHUT_WR) (a FIN) then at once a RST: FIN/RST race
 *   shut_wait    request + FIN, wait for the reply or the server's FIN, RST
 *   fin          request, read the reply, close() (a FIN): a normal close
 *   fin_noreq    established, close() at once without a request
 *   fin_unread   request, wait for the reply, close() with it unread (the
 *                kernel turns that close into a RST)
 *   ghost_req    request, then vanish without a trace (TCP_REPAIR, close):
 *                the server's reply meets a closed port and draws a RST
 *   ghost        established, then vanish without a trace: the server keeps
 *                a half-open connection until it writes or is told. Only
 *                --ghosts N attempts (default 0), spread over the run.
 *
 * A step that does not progress within --step-ms (default 2000; e.g. a
 * SYN that was dropped) ends the attempt with a RST and counts as stalled.
 * Bounded: COUNT attempts and --max-seconds (default 60); attempts not
 * started by then are reported as not_started.
 *
 * Output: one line per mode (or one JSON object with --json): attempts,
 * connected, refused, stalled, error; totals and elapsed time. Exit 0 when
 * the run completed, 1 on a setup failure, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif
#ifndef TCP_REPAIR
#define TCP_REPAIR		19
#endif

#define AS_MAX_SOURCES		256
#define AS_MAX_DESTS		8
#define AS_MAX_COUNT		10000000
#define AS_MAX_CONC		20000
#define AS_MAX_EVENTS		512
#define AS_DEFAULT_STEP_MS	2000
#define AS_DEFAULT_MAX_SEC	60
#define AS_REQUEST		"probe\n"

enum as_mode {
	M_SYN_ABORT = 0,
	M_EST_RST,
	M_REQ_RST,
	M_REPLY_RST,
	M_SHUT_RST,
	M_SHUT_WAIT,
	M_FIN,
	M_FIN_NOREQ,
	M_FIN_UNREAD,
	M_GHOST_REQ,
	M_GHOST,	/* only --ghosts N of them: never drawn at random */
	M__MAX,
};
#define M__RANDOM	M_GHOST

static const char *const mode_names[M__MAX] = {
	[M_SYN_ABORT] = "syn_abort",
	[M_EST_RST] = "est_rst",
	[M_REQ_RST] = "req_rst",
	[M_REPLY_RST] = "reply_rst",
	[M_SHUT_RST] = "shut_rst",
	[M_SHUT_WAIT] = "shut_wait",
	[M_FIN] = "fin",
	[M_FIN_NOREQ] = "fin_noreq",
	[M_FIN_UNREAD] = "fin_unread",
	[M_GHOST_REQ] = "ghost_req",
	[M_GHOST] = "ghost",
};

enum as_state {
	ST_FREE = 0,
	ST_CONNECTING,
	ST_WAIT_READ,	/* request sent, waiting for the reply (or EOF) */
};

struct as_slot {
	int fd;
	enum as_state state;
	enum as_mode mode;
	unsigned int gen;
	long long deadline_us;
};

struct as_addr {
	char text[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage ss;
	socklen_t len;
};

struct as_count {
	unsigned long long attempts, connected, refused, stalled, error;
};

static struct {
	struct as_addr dst[AS_MAX_DESTS];
	int n_dst;
	struct as_addr src[AS_MAX_SOURCES];
	int n_src;
	long count;
	long conc;
	long ghosts;
	long step_ms;
	long max_seconds;
	unsigned long long seed;
	int json;
} opt = {
	.conc = 256,
	.step_ms = AS_DEFAULT_STEP_MS,
	.max_seconds = AS_DEFAULT_MAX_SEC,
	.seed = 1,
};

static struct as_count cnt[M__MAX];
static unsigned long long err_last;	/* errno of the latest error, for the report */
static int ep = -1;

/* splitmix64: the mode of attempt i depends only on the seed and i. */
static unsigned long long mix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: abortstorm -d ADDR:PORT [-d ADDR:PORT]... -s SRCADDR [-s SRCADDR]...\n"
		"                  -n COUNT [-c CONCURRENCY] [--ghosts N] [--step-ms N]\n"
		"                  [--max-seconds N] [--seed N] [--json]\n"
		"  -d ADDR:PORT   destination (up to %d; each source uses those of its family)\n"
		"  -s SRCADDR     source address (up to %d), attempts rotate over them\n"
		"  -n COUNT       attempts (1..%d)\n"
		"  -c CONCURRENCY attempts in flight (default 256, max %d)\n"
		"  --ghosts N     attempts that vanish silently after the handshake\n"
		"  --step-ms N    give up a step after N ms with a RST (default %d)\n"
		"  --max-seconds  bound on the whole run (default %d)\n"
		"  --seed N       PRNG seed for the modes (default 1)\n",
		AS_MAX_DESTS, AS_MAX_SOURCES, AS_MAX_COUNT, AS_MAX_CONC,
		AS_DEFAULT_STEP_MS, AS_DEFAULT_MAX_SEC);
}

/* -d: "A.B.C.D:PORT" or "[V6]:PORT" into *a, text included. Returns 0 or -1. */
static int parse_dest(const char *s, struct as_addr *a)
{
	if (tool_parse_addr_port(NULL, s, 1, &a->ss, &a->len))
		return -1;
	snprintf(a->text, sizeof(a->text), "%s", s);
	return 0;
}

/* Close the slot's socket: rst = SO_LINGER 0; ghost = TCP_REPAIR first
 * (the kernel then sends nothing at all). */
static void slot_end(struct as_slot *s, int rst, int ghost)
{
	if (ghost) {
		int on = 1;

		if (setsockopt(s->fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on))) {
			err_last = errno;
			cnt[s->mode].error++;
			rst = 1;
		}
	}
	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	s->state = ST_FREE;
	s->gen++;
}

static int send_request(struct as_slot *s)
{
	if (write(s->fd, AS_REQUEST, sizeof(AS_REQUEST) - 1) ==
	    (ssize_t)(sizeof(AS_REQUEST) - 1))
		return 0;
	err_last = errno;
	cnt[s->mode].error++;
	slot_end(s, 1, 0);
	return -1;
}

/* Wait for the reply: EPOLLIN only from now on. */
static void wait_read(struct as_slot *s, long idx, long long now)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	ev.data.u64 = (unsigned long long)s->gen << 32 | (unsigned int)idx;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev)) {
		err_last = errno;
		cnt[s->mode].error++;
		slot_end(s, 1, 0);
		return;
	}
	s->state = ST_WAIT_READ;
	s->deadline_us = now + opt.step_ms * 1000LL;
}

static void start(struct as_slot *s, long idx, long attempt, long long now)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP };
	const struct as_addr *src = &opt.src[attempt % opt.n_src], *dst = NULL;
	long same = 0, pick, k;
	int one = 1;

	/* Destinations of the source's family, in turn. */
	for (k = 0; k < opt.n_dst; k++)
		if (opt.dst[k].ss.ss_family == src->ss.ss_family)
			same++;
	pick = (attempt / opt.n_src) % (same ? same : 1);
	for (k = 0; k < opt.n_dst; k++) {
		if (opt.dst[k].ss.ss_family != src->ss.ss_family)
			continue;
		if (!pick--) {
			dst = &opt.dst[k];
			break;
		}
	}
	/* --ghosts N: attempts spread evenly over the run. */
	if (opt.ghosts && attempt % (opt.count / opt.ghosts) == 0 &&
	    attempt / (opt.count / opt.ghosts) < opt.ghosts)
		s->mode = M_GHOST;
	else
		s->mode = (enum as_mode)(mix64(opt.seed ^ (unsigned long long)attempt) % M__RANDOM);
	cnt[s->mode].attempts++;
	s->deadline_us = now + opt.step_ms * 1000LL;
	s->state = ST_CONNECTING;
	s->fd = socket(src->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || !dst) {
		err_last = s->fd < 0 ? errno : EAFNOSUPPORT;
		cnt[s->mode].error++;
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		s->state = ST_FREE;
		return;
	}
	setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(s->fd, (const struct sockaddr *)&src->ss, src->len) ||
	    (connect(s->fd, (const struct sockaddr *)&dst->ss, dst->len) &&
	     errno != EINPROGRESS)) {
		if (errno == ECONNREFUSED) {
			cnt[s->mode].refused++;
		} else {
			err_last = errno;
			cnt[s->mode].error++;
		}
		slot_end(s, 1, 0);
		return;
	}
	if (s->mode == M_SYN_ABORT) {
		slot_end(s, 1, 0);	/* still in SYN_SENT */
		return;
	}
	ev.data.u64 = (unsigned long long)s->gen << 32 | (unsigned int)idx;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev)) {
		err_last = errno;
		cnt[s->mode].error++;
		slot_end(s, 1, 0);
	}
}

/* The handshake finished: end the connection the way its mode says. */
static void on_connected(struct as_slot *s, long idx, long long now)
{
	socklen_t el = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		if (err == ECONNREFUSED) {
			cnt[s->mode].refused++;
		} else {
			err_last = err;
			cnt[s->mode].error++;
		}
		slot_end(s, 1, 0);
		return;
	}
	cnt[s->mode].connected++;
	switch (s->mode) {
	case M_EST_RST:
		slot_end(s, 1, 0);
		break;
	case M_REQ_RST:
		if (!send_request(s))
			slot_end(s, 1, 0);
		break;
	case M_SHUT_RST:
		shutdown(s->fd, SHUT_WR);
		slot_end(s, 1, 0);
		break;
	case M_SHUT_WAIT:
		if (send_request(s))
			break;
		shutdown(s->fd, SHUT_WR);
		wait_read(s, idx, now);
		break;
	case M_REPLY_RST:
	case M_FIN:
	case M_FIN_UNREAD:
		if (!send_request(s))
			wait_read(s, idx, now);
		break;
	case M_FIN_NOREQ:
		slot_end(s, 0, 0);
		break;
	case M_GHOST_REQ:
		if (!send_request(s))
			slot_end(s, 0, 1);
		break;
	case M_GHOST:
		slot_end(s, 0, 1);
		break;
	default:
		slot_end(s, 1, 0);
		break;
	}
}

/* The reply (or the server's FIN, or a reset) arrived. */
static void on_reply(struct as_slot *s)
{
	char buf[512];

	switch (s->mode) {
	case M_FIN:
		while (read(s->fd, buf, sizeof(buf)) > 0)
			;
		slot_end(s, 0, 0);
		break;
	case M_FIN_UNREAD:
		slot_end(s, 0, 0);
		break;
	default:		/* reply_rst, shut_wait */
		slot_end(s, 1, 0);
		break;
	}
}

static void report(long not_started, double elapsed_ms)
{
	struct as_count all = {};
	int m;

	for (m = 0; m < M__MAX; m++) {
		all.attempts += cnt[m].attempts;
		all.connected += cnt[m].connected;
		all.refused += cnt[m].refused;
		all.stalled += cnt[m].stalled;
		all.error += cnt[m].error;
	}
	if (!opt.json) {
		for (m = 0; m < M__MAX; m++)
			printf("%-10s attempts=%llu connected=%llu refused=%llu stalled=%llu error=%llu\n",
			       mode_names[m], cnt[m].attempts, cnt[m].connected,
			       cnt[m].refused, cnt[m].stalled, cnt[m].error);
		printf("total attempts=%llu connected=%llu refused=%llu stalled=%llu error=%llu "
		       "not_started=%ld elapsed_ms=%.0f\n", all.attempts, all.connected,
		       all.refused, all.stalled, all.error, not_started, elapsed_ms);
		return;
	}
	printf("{\"attempts\":%llu,\"connected\":%llu,\"refused\":%llu,\"stalled\":%llu,"
	       "\"error\":%llu,\"not_started\":%ld,\"elapsed_ms\":%.3f,\"last_errno\":\"%s\","
	       "\"modes\":{", all.attempts, all.connected, all.refused, all.stalled,
	       all.error, not_started, elapsed_ms,
	       err_last ? strerrorname_np((int)err_last) : "");
	for (m = 0; m < M__MAX; m++)
		printf("%s\"%s\":{\"attempts\":%llu,\"connected\":%llu,\"refused\":%llu,"
		       "\"stalled\":%llu,\"error\":%llu}", m ? "," : "", mode_names[m],
		       cnt[m].attempts, cnt[m].connected, cnt[m].refused,
		       cnt[m].stalled, cnt[m].error);
	printf("}}\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "ghosts", required_argument, NULL, 'g' },
		{ "step-ms", required_argument, NULL, 'S' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct epoll_event evs[AS_MAX_EVENTS];
	struct as_slot *slots = NULL;
	long started = 0, i, v;
	long long t0, deadline;
	int rc = 1, c;
	rlim_t nofile;

	while ((c = getopt_long(argc, argv, "d:s:n:c:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (opt.n_dst == AS_MAX_DESTS ||
			    parse_dest(optarg, &opt.dst[opt.n_dst])) {
				fprintf(stderr, "abortstorm: -d '%s' is not ADDR:PORT (or more than %d)\n",
					optarg, AS_MAX_DESTS);
				return 2;
			}
			opt.n_dst++;
			break;
		case 's':
			if (opt.n_src == AS_MAX_SOURCES ||
			    tool_parse_addr(optarg, 0, &opt.src[opt.n_src].ss,
					    &opt.src[opt.n_src].len)) {
				fprintf(stderr, "abortstorm: -s '%s' is not an address (or more than %d)\n",
					optarg, AS_MAX_SOURCES);
				return 2;
			}
			snprintf(opt.src[opt.n_src].text, sizeof(opt.src[0].text), "%s", optarg);
			opt.n_src++;
			break;
		case 'n':
			if (tool_parse_long("abortstorm", "-n", optarg,
					    1, AS_MAX_COUNT, &opt.count))
				return 2;
			break;
		case 'c':
			if (tool_parse_long("abortstorm", "-c", optarg, 1, AS_MAX_CONC, &opt.conc))
				return 2;
			break;
		case 'g':
			if (tool_parse_long("abortstorm", "--ghosts", optarg,
					    0, AS_MAX_COUNT, &opt.ghosts))
				return 2;
			break;
		case 'S':
			if (tool_parse_long("abortstorm", "--step-ms", optarg,
					    1, 600000, &opt.step_ms))
				return 2;
			break;
		case 'm':
			if (tool_parse_long("abortstorm", "--max-seconds", optarg,
					    1, 3600, &opt.max_seconds))
				return 2;
			break;
		case 'r':
			if (tool_parse_long("abortstorm", "--seed", optarg, 0, 1L << 30, &v))
				return 2;
			opt.seed = (unsigned long long)v;
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !opt.n_dst || !opt.n_src || !opt.count) {
		usage(stderr);
		return 2;
	}
	if (opt.ghosts > opt.count)
		opt.ghosts = opt.count;
	if (opt.conc > opt.count)
		opt.conc = opt.count;
	nofile = tool_raise_nofile();
	if ((rlim_t)opt.conc + 16 > nofile) {
		fprintf(stderr, "abortstorm: -c %ld needs more file descriptors than the limit %llu\n",
			opt.conc, (unsigned long long)nofile);
		return 2;
	}
	tool_catch_stop();
	signal(SIGPIPE, SIG_IGN);

	slots = calloc(opt.conc, sizeof(*slots));
	if (!slots) {
		fprintf(stderr, "abortstorm: out of memory\n");
		return 1;
	}
	for (i = 0; i < opt.conc; i++)
		slots[i].fd = -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "abortstorm: epoll_create1: %s\n", strerror(errno));
		goto cleanup;
	}

	t0 = tool_now_us();
	deadline = t0 + opt.max_seconds * 1000000LL;
	for (;;) {
		long long now = tool_now_us();
		long in_flight = 0;
		int n, k;

		if (tool_stop || now >= deadline)
			break;
		for (i = 0; i < opt.conc; i++) {
			struct as_slot *s = &slots[i];

			if (s->state != ST_FREE && now >= s->deadline_us) {
				cnt[s->mode].stalled++;
				slot_end(s, 1, 0);
			}
			if (s->state == ST_FREE && started < opt.count)
				start(s, i, started++, now);
			if (s->state != ST_FREE)
				in_flight++;
		}
		if (!in_flight && started >= opt.count)
			break;
		n = epoll_wait(ep, evs, AS_MAX_EVENTS, 10);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "abortstorm: epoll_wait: %s\n", strerror(errno));
			goto cleanup;
		}
		now = tool_now_us();
		for (k = 0; k < n; k++) {
			unsigned int idx = (unsigned int)evs[k].data.u64;
			unsigned int gen = evs[k].data.u64 >> 32;
			struct as_slot *s;

			if (idx >= (unsigned long)opt.conc)
				continue;
			s = &slots[idx];
			if (s->gen != gen || s->state == ST_FREE)
				continue;
			if (s->state == ST_CONNECTING) {
				if (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
					on_connected(s, idx, now);
				continue;
			}
			if (evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
				on_reply(s);
		}
	}
	/* Bounded: whatever is still open ends with a RST. */
	for (i = 0; i < opt.conc; i++) {
		if (slots[i].state != ST_FREE) {
			cnt[slots[i].mode].stalled++;
			slot_end(&slots[i], 1, 0);
		}
	}
	report(opt.count - started, (tool_now_us() - t0) / 1000.0);
	rc = 0;
cleanup:
	if (ep >= 0)
		close(ep);
	free(slots);
	return rc;
}
