// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcphold: open TCP connections, keep them open, close them on command, and
 * report what a client holding connections sees (the test's "user").
 *
 *   tcphold -d ADDR:PORT [-s SRCADDR]... [-n COUNT] [-t TIMEOUT_MS]
 *           [--send-ms N] [--ctl FIFO] [--status FILE] [--max-seconds N]
 *
 * At start COUNT connections are opened at once (every connect() is issued
 * before the first handshake is waited for). Each attempt ends in one of
 *   open     connected; held until closed by a command or by the peer
 *   refused  ECONNREFUSED (the SYN was answered with a RST)
 *   timeout  not connected within TIMEOUT_MS (default 3000)
 *   error    anything else
 * A held connection the peer ends is counted as `peer_reset` (ECONNRESET,
 * e.g. the server destroyed it) or `peer_eof` (a FIN), with the time from
 * establishment to that end in `ended_ms` (completion order).
 *
 * --no-read: an open connection is never read, so a peer's FIN or data
 * goes unnoticed and the connection stays open on this side (a client that
 * does not read, holding a server's slot until the server times it out).
 *
 * --send-ms N: every open connection writes one line every N ms (the
 * server's replies are read and discarded), so it is never idle.
 *
 * Commands, one per line on the FIFO given with --ctl:
 *   open K   open K more connections (sources keep rotating)
 *   close K  close the K oldest open connections with a FIN
 *   rst K    the same with a RST (SO_LINGER 0)
 *   closeall close every open connection with a FIN
 *   quit     close everything and exit
 * The initial batch is command 1 and every command line adds one to
 * `seq`. The status file (--status, JSON, replaced atomically) is
 * rewritten after every change; `seq` in it is the number of commands
 * fully carried out (their connects resolved), so a test writes its k-th
 * command and waits for the status to show seq k + 1.
 *
 * Bounded: the run ends after --max-seconds (default 120), on SIGTERM or
 * on `quit`; the final status is also printed on stdout. Exit 0 when the
 * run completed (whatever the outcomes), 1 on a setup failure, 2 on a
 * usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
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

#define HLD_MAX_SOURCES		256
#define HLD_MAX_CONNS		20000
#define HLD_MAX_ENDED		4096	/* ended_ms entries kept */
#define HLD_MAX_EVENTS		256
#define HLD_DEFAULT_TIMEOUT_MS	3000
#define HLD_DEFAULT_MAX_SEC	120
#define HLD_CTL_LINE		128
#define HLD_PING		"ping\n"
#define HLD_CTL_COOKIE		(~0ULL)

enum hld_state {
	HS_FREE = 0,
	HS_CONNECTING,
	HS_OPEN,
};

struct hld_conn {
	int fd;
	enum hld_state state;
	int src;
	long long start_ms;
	long long open_ms;	/* established at */
	long long next_send_ms;
	unsigned long long order;	/* opening order, for "oldest first" */
};

struct hld_source {
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t len;
};

static struct {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	const char *dst_text;
	struct hld_source src[HLD_MAX_SOURCES];
	int n_src;
	long count;
	long timeout_ms;
	long send_ms;
	int no_read;
	long max_seconds;
	const char *ctl;
	const char *status;
} opt = {
	.timeout_ms = HLD_DEFAULT_TIMEOUT_MS,
	.max_seconds = HLD_DEFAULT_MAX_SEC,
};

static struct {
	unsigned long long attempts, opened, refused, timeout, error;
	unsigned long long closed_fin, closed_rst, peer_reset, peer_eof, peer_error;
	unsigned long long sent_lines;
	long ended_ms[HLD_MAX_ENDED];
	int n_ended;
	unsigned long long seq, seq_done;
} tot;

static struct hld_conn *conns;
static long n_conns;		/* slots in use at the end of conns[] (high water) */
static unsigned long long next_order;
static unsigned long long next_attempt;
static int ep = -1;
static int status_dirty = 1;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tcphold -d ADDR:PORT [-s SRCADDR]... [-n COUNT] [-t TIMEOUT_MS]\n"
		"               [--send-ms N] [--no-read] [--ctl FIFO] [--status FILE]\n"
		"               [--max-seconds N]\n"
		"  -d ADDR:PORT   10.77.0.1:8080 or [fd77::1]:8080\n"
		"  -s SRCADDR     bind this source (repeat to rotate over several)\n"
		"  -n COUNT       connections opened at start (0..%d, default 0)\n"
		"  -t TIMEOUT_MS  per connect (default %d)\n"
		"  --send-ms N    every open connection sends a line every N ms\n"
		"  --no-read      never read an open connection (nor notice its end)\n"
		"  --ctl FIFO     read commands (open K, close K, rst K, closeall, quit)\n"
		"  --status FILE  JSON status, rewritten atomically on every change\n"
		"  --max-seconds  bound on the whole run (default %d)\n",
		HLD_MAX_CONNS, HLD_DEFAULT_TIMEOUT_MS, HLD_DEFAULT_MAX_SEC);
}

/* Write the status JSON to opt.status atomically (best effort). */
static void write_status(void)
{
	char tmp[4096];
	long connecting = 0, open = 0, i;
	FILE *f;
	int k;

	for (i = 0; i < n_conns; i++) {
		if (conns[i].state == HS_CONNECTING)
			connecting++;
		else if (conns[i].state == HS_OPEN)
			open++;
	}
	if (!opt.status) {
		f = stdout;
	} else {
		if (snprintf(tmp, sizeof(tmp), "%s.tmp", opt.status) >= (int)sizeof(tmp))
			return;
		f = fopen(tmp, "w");
		if (!f)
			return;
	}
	fprintf(f, "{\"target\":\"%s\",\"seq\":%llu,\"attempts\":%llu,\"connecting\":%ld,"
		"\"open\":%ld,\"opened\":%llu,\"refused\":%llu,\"timeout\":%llu,\"error\":%llu,"
		"\"closed_fin\":%llu,\"closed_rst\":%llu,\"peer_reset\":%llu,\"peer_eof\":%llu,"
		"\"peer_error\":%llu,\"sent_lines\":%llu,\"ended_ms\":[",
		opt.dst_text, tot.seq_done, tot.attempts, connecting, open, tot.opened,
		tot.refused, tot.timeout, tot.error, tot.closed_fin, tot.closed_rst,
		tot.peer_reset, tot.peer_eof, tot.peer_error, tot.sent_lines);
	for (k = 0; k < tot.n_ended; k++)
		fprintf(f, "%s%ld", k ? "," : "", tot.ended_ms[k]);
	fprintf(f, "]}\n");
	if (opt.status) {
		if (fclose(f) || rename(tmp, opt.status))
			unlink(tmp);
	} else {
		fflush(f);
	}
	status_dirty = 0;
}

static void conn_free(struct hld_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = HS_FREE;
	status_dirty = 1;
}

/* Close an open connection from this side, with a FIN or (rst) a RST. */
static void conn_close(struct hld_conn *c, int rst)
{
	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		tot.closed_rst++;
	} else {
		tot.closed_fin++;
	}
	conn_free(c);
}

/* A free slot, growing the high-water mark. NULL when all are in use. */
static struct hld_conn *slot_get(long *idx)
{
	long i;

	for (i = 0; i < n_conns; i++)
		if (conns[i].state == HS_FREE)
			break;
	if (i == n_conns) {
		if (n_conns == HLD_MAX_CONNS)
			return NULL;
		n_conns++;
	}
	*idx = i;
	return &conns[i];
}

/* Start one connection attempt. Local failures are recorded at once. */
static void conn_start(long long now)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP };
	struct hld_conn *c;
	int one = 1;
	long idx;

	c = slot_get(&idx);
	tot.attempts++;
	status_dirty = 1;
	if (!c) {
		tot.error++;
		return;
	}
	memset(c, 0, sizeof(*c));
	c->src = opt.n_src ? (int)(next_attempt % opt.n_src) : -1;
	next_attempt++;
	c->start_ms = now;
	c->state = HS_CONNECTING;
	c->order = next_order++;
	c->fd = socket(opt.dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	if (c->src >= 0) {
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&opt.src[c->src].ss, opt.src[c->src].len))
			goto fail;
	}
	if (connect(c->fd, (struct sockaddr *)&opt.dst, opt.dst_len) &&
	    errno != EINPROGRESS) {
		if (errno == ECONNREFUSED) {
			tot.refused++;
			conn_free(c);
			return;
		}
		goto fail;
	}
	ev.data.u64 = (unsigned long long)idx;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		goto fail;
	return;
fail:
	tot.error++;
	conn_free(c);
}

static void on_connected(struct hld_conn *c, long idx, long long now)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	socklen_t el = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		if (err == ECONNREFUSED)
			tot.refused++;
		else if (err == ETIMEDOUT)
			tot.timeout++;
		else
			tot.error++;
		conn_free(c);
		return;
	}
	ev.data.u64 = (unsigned long long)idx;
	if (opt.no_read)
		ev.events = 0;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev)) {
		tot.error++;
		conn_free(c);
		return;
	}
	c->state = HS_OPEN;
	c->open_ms = now;
	c->next_send_ms = now + opt.send_ms;
	tot.opened++;
	status_dirty = 1;
}

/* The peer ended a held connection: note how and when, free the slot. */
static void peer_ended(struct hld_conn *c, int err, long long now)
{
	if (err == ECONNRESET)
		tot.peer_reset++;
	else if (!err)
		tot.peer_eof++;
	else
		tot.peer_error++;
	if (tot.n_ended < HLD_MAX_ENDED)
		tot.ended_ms[tot.n_ended++] = (long)(now - c->open_ms);
	conn_free(c);
}

static void on_readable(struct hld_conn *c, long long now)
{
	char buf[1024];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		peer_ended(c, n < 0 ? errno : 0, now);
		return;
	}
}

/* Open connections, oldest first, for close/rst. Returns how many closed. */
static long close_oldest(long k, int rst)
{
	long done = 0;

	while (done < k) {
		struct hld_conn *best = NULL;
		long i;

		for (i = 0; i < n_conns; i++) {
			if (conns[i].state != HS_OPEN)
				continue;
			if (!best || conns[i].order < best->order)
				best = &conns[i];
		}
		if (!best)
			break;
		conn_close(best, rst);
		done++;
	}
	return done;
}

/* Carry out one command line. Returns -1 on `quit`. */
static int run_command(char *line, long long now)
{
	char cmd[16];
	long k = 0, i;
	int n;

	n = sscanf(line, "%15s %ld", cmd, &k);
	if (n < 1)
		return 0;
	tot.seq++;
	status_dirty = 1;
	if (!strcmp(cmd, "quit"))
		return -1;
	if (!strcmp(cmd, "closeall")) {
		close_oldest(HLD_MAX_CONNS, 0);
	} else if (n == 2 && k >= 0 && k <= HLD_MAX_CONNS && !strcmp(cmd, "open")) {
		for (i = 0; i < k; i++)
			conn_start(now);
	} else if (n == 2 && k >= 0 && !strcmp(cmd, "close")) {
		close_oldest(k, 0);
	} else if (n == 2 && k >= 0 && !strcmp(cmd, "rst")) {
		close_oldest(k, 1);
	} else {
		fprintf(stderr, "tcphold: unknown command '%s' (open K, close K, rst K, closeall, quit)\n",
			line);
	}
	return 0;
}

/* Read what arrived on the control FIFO; run complete lines. -1 on quit. */
static int on_ctl(int fd, char *buf, size_t *len, long long now)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, HLD_CTL_LINE - 1 - *len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		*len += n;
		buf[*len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (run_command(buf, now) < 0)
				return -1;
			*len -= nl + 1 - buf;
			memmove(buf, nl + 1, *len + 1);
		}
		if (*len == HLD_CTL_LINE - 1)
			*len = 0;	/* an overlong line: drop it */
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "send-ms", required_argument, NULL, 'S' },
		{ "no-read", no_argument, NULL, 'R' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "status", required_argument, NULL, 'J' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct epoll_event evs[HLD_MAX_EVENTS];
	char ctl_buf[HLD_CTL_LINE];
	size_t ctl_len = 0;
	long long t0, deadline;
	int ctl_fd = -1, rc = 1, c, quit = 0;
	long i;

	while ((c = getopt_long(argc, argv, "d:s:n:t:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.dst_text = optarg;
			if (tool_parse_addr_port(NULL, optarg, 1, &opt.dst, &opt.dst_len)) {
				fprintf(stderr, "tcphold: -d '%s' is not ADDR:PORT\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (opt.n_src == HLD_MAX_SOURCES) {
				fprintf(stderr, "tcphold: at most %d -s\n", HLD_MAX_SOURCES);
				return 2;
			}
			if (tool_parse_addr(optarg, 0, &opt.src[opt.n_src].ss,
					    &opt.src[opt.n_src].len)) {
				fprintf(stderr, "tcphold: -s '%s' is not an address\n", optarg);
				return 2;
			}
			snprintf(opt.src[opt.n_src].text, sizeof(opt.src[0].text), "%s", optarg);
			opt.n_src++;
			break;
		case 'n':
			if (tool_parse_long("tcphold", "-n", optarg, 0, HLD_MAX_CONNS, &opt.count))
				return 2;
			break;
		case 't':
			if (tool_parse_long("tcphold", "-t", optarg, 1, 600000, &opt.timeout_ms))
				return 2;
			break;
		case 'S':
			if (tool_parse_long("tcphold", "--send-ms", optarg,
					    1, 600000, &opt.send_ms))
				return 2;
			break;
		case 'R':
			opt.no_read = 1;
			break;
		case 'C':
			opt.ctl = optarg;
			break;
		case 'J':
			opt.status = optarg;
			break;
		case 'm':
			if (tool_parse_long("tcphold", "--max-seconds", optarg,
					    1, 3600, &opt.max_seconds))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !opt.dst_text) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < opt.n_src; i++) {
		if (opt.src[i].ss.ss_family != opt.dst.ss_family) {
			fprintf(stderr, "tcphold: source %s and destination %s are not the same family\n",
				opt.src[i].text, opt.dst_text);
			return 2;
		}
	}
	tool_raise_nofile();
	tool_catch_stop();
	signal(SIGPIPE, SIG_IGN);

	conns = calloc(HLD_MAX_CONNS, sizeof(*conns));
	if (!conns) {
		fprintf(stderr, "tcphold: out of memory\n");
		return 1;
	}
	for (i = 0; i < HLD_MAX_CONNS; i++)
		conns[i].fd = -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "tcphold: epoll_create1: %s\n", strerror(errno));
		goto cleanup;
	}
	if (opt.ctl) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = HLD_CTL_COOKIE };

		/* O_RDWR: the FIFO never reports EOF when a writer goes away. */
		ctl_fd = open(opt.ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (ctl_fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ctl_fd, &ev)) {
			fprintf(stderr, "tcphold: cannot open control FIFO %s: %s\n",
				opt.ctl, strerror(errno));
			goto cleanup;
		}
	}

	t0 = tool_now_ms();
	deadline = t0 + opt.max_seconds * 1000LL;
	tot.seq = 1;	/* the initial batch */
	for (i = 0; i < opt.count; i++)
		conn_start(t0);

	while (!tool_stop && !quit) {
		long long now = tool_now_ms(), wake = deadline;
		int n, k, pending = 0;

		if (now >= deadline)
			break;
		for (i = 0; i < n_conns; i++) {
			struct hld_conn *cn = &conns[i];

			if (cn->state == HS_CONNECTING) {
				pending = 1;
				if (now >= cn->start_ms + opt.timeout_ms) {
					tot.timeout++;
					conn_free(cn);
					continue;
				}
				if (cn->start_ms + opt.timeout_ms < wake)
					wake = cn->start_ms + opt.timeout_ms;
			} else if (cn->state == HS_OPEN && opt.send_ms) {
				if (now >= cn->next_send_ms) {
					if (write(cn->fd, HLD_PING, sizeof(HLD_PING) - 1) > 0) {
						tot.sent_lines++;
						status_dirty = 1;
					}
					cn->next_send_ms = now + opt.send_ms;
				}
				if (cn->next_send_ms < wake)
					wake = cn->next_send_ms;
			}
		}
		/* A command is done once the connects it started resolved. */
		if (!pending && tot.seq_done != tot.seq) {
			tot.seq_done = tot.seq;
			status_dirty = 1;
		}
		if (status_dirty)
			write_status();
		n = epoll_wait(ep, evs, HLD_MAX_EVENTS,
			       wake - now > 1000 ? 1000 : (int)(wake - now));
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "tcphold: epoll_wait: %s\n", strerror(errno));
			goto cleanup;
		}
		now = tool_now_ms();
		for (k = 0; k < n; k++) {
			struct hld_conn *cn;
			long idx;

			if (evs[k].data.u64 == HLD_CTL_COOKIE) {
				if (on_ctl(ctl_fd, ctl_buf, &ctl_len, now) < 0)
					quit = 1;
				continue;
			}
			idx = (long)evs[k].data.u64;
			if (idx < 0 || idx >= n_conns)
				continue;
			cn = &conns[idx];
			if (cn->state == HS_CONNECTING) {
				if (!(evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
					continue;
				on_connected(cn, idx, now);
				if (cn->state != HS_OPEN)
					continue;
			}
			if (cn->state == HS_OPEN && !opt.no_read &&
			    (evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
				on_readable(cn, now);
		}
	}
	for (i = 0; i < n_conns; i++) {
		if (conns[i].state == HS_CONNECTING) {
			tot.timeout++;
			conn_free(&conns[i]);
		} else if (conns[i].state == HS_OPEN) {
			conn_close(&conns[i], 0);
		}
	}
	tot.seq_done = tot.seq;
	write_status();
	if (opt.status) {
		const char *st = opt.status;

		opt.status = NULL;
		write_status();
		opt.status = st;
	}
	rc = 0;
cleanup:
	if (ctl_fd >= 0)
		close(ctl_fd);
	if (ep >= 0)
		close(ep);
	free(conns);
	return rc;
}
