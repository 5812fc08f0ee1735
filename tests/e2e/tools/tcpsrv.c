// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcpsrv: a small epoll TCP server for the e2e tests.
 *
 *   tcpsrv -l ADDR:PORT [-l ADDR:PORT]... [--hold] [--reply TEXT]
 *          [--pidfile F] [--ready-file F] [--max-seconds N]
 *
 * Default: accept, read one request line (or whatever arrives first), write
 * the reply, close. --hold: answer each request line but keep the
 * connection open until the peer closes it. Listens on IPv4 (10.77.0.1:8080)
 * and IPv6 ([fd77::1]:8080) addresses, backlog 4096, SO_REUSEADDR.
 *
 * The server always stops by itself after --max-seconds (default 300), and
 * on SIGTERM/SIGINT; it then prints one line of totals to stderr. The ready
 * file is written (atomically) once every listener is up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#define SRV_MAX_LISTEN		16
#define SRV_BACKLOG		4096
#define SRV_MAX_EVENTS		256
#define SRV_REQ_MAX		512	/* a request line longer than this is answered anyway */
#define SRV_IDLE_MS		30000	/* default mode: close a silent client after this */
#define SRV_DEFAULT_MAX_SEC	300
#define SRV_DEFAULT_REPLY	"ok\n"

/* One accepted connection; listeners use the same struct with is_listener. */
struct srv_conn {
	int fd;
	int is_listener;
	size_t req_len;		/* bytes of the current request line */
	long long last_ms;	/* last activity, for the idle timeout */
	struct srv_conn *next, *prev;	/* list of open connections */
};

static struct {
	int hold;
	const char *reply;
	size_t reply_len;
	const char *pidfile;
	const char *ready_file;
	long max_seconds;
} opt = {
	.reply = SRV_DEFAULT_REPLY,
	.max_seconds = SRV_DEFAULT_MAX_SEC,
};

static struct {
	unsigned long long accepted, replied, closed, errors;
	unsigned long long open, max_open;
} tot;

static struct srv_conn *conns;	/* open connections (not listeners) */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tcpsrv -l ADDR:PORT [-l ADDR:PORT]... [--hold] [--reply TEXT]\n"
		"              [--pidfile F] [--ready-file F] [--max-seconds N]\n"
		"  ADDR:PORT    10.77.0.1:8080 or [fd77::1]:8080 (up to %d listeners)\n"
		"  --hold       keep connections open until the peer closes them\n"
		"  --reply TEXT reply to each request line (default \"ok\\n\")\n"
		"  --max-seconds N  exit by itself after N seconds (default %d)\n",
		SRV_MAX_LISTEN, SRV_DEFAULT_MAX_SEC);
}

/* Open a non-blocking listener on `spec`. Returns the fd or -1 (message printed). */
static int open_listener(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (tool_parse_addr_port(NULL, spec, 0, &ss, &len)) {
		fprintf(stderr, "tcpsrv: '%s' is not ADDR:PORT (10.77.0.1:8080 or [fd77::1]:8080)\n",
			spec);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "tcpsrv: socket for %s: %s\n", spec, strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))) {
		fprintf(stderr, "tcpsrv: setsockopt on %s: %s\n", spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SRV_BACKLOG)) {
		fprintf(stderr, "tcpsrv: cannot listen on %s: %s "
			"(is the address configured and not tentative?)\n",
			spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void conn_close(int ep, struct srv_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	tot.closed++;
	tot.open--;
}

static void accept_all(int ep, struct srv_conn *l)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct srv_conn *c;
		int fd;

		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				tot.errors++;
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			tot.errors++;
			continue;
		}
		c->fd = fd;
		c->last_ms = tool_now_ms();
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			tot.errors++;
			continue;
		}
		c->next = conns;
		if (conns)
			conns->prev = c;
		conns = c;
		tot.accepted++;
		if (++tot.open > tot.max_open)
			tot.max_open = tot.open;
	}
}

/* Read what is there; answer each complete request line. */
static void serve(int ep, struct srv_conn *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		ssize_t i;

		if (n == 0) {
			conn_close(ep, c);	/* the peer closed */
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno != ECONNRESET)
				tot.errors++;
			conn_close(ep, c);
			return;
		}
		c->last_ms = tool_now_ms();
		for (i = 0; i < n; i++) {
			c->req_len++;
			if (buf[i] != '\n' && c->req_len < SRV_REQ_MAX)
				continue;
			/* One request line: reply (best effort, it is small). */
			if (write(c->fd, opt.reply, opt.reply_len) ==
			    (ssize_t)opt.reply_len)
				tot.replied++;
			else
				tot.errors++;
			c->req_len = 0;
			if (!opt.hold) {
				conn_close(ep, c);
				return;
			}
		}
	}
}

/* Default mode only: close connections that sent nothing for SRV_IDLE_MS. */
static void reap_idle(int ep, long long now)
{
	struct srv_conn *c = conns, *next;

	if (opt.hold)
		return;
	for (; c; c = next) {
		next = c->next;
		if (now - c->last_ms >= SRV_IDLE_MS)
			conn_close(ep, c);
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "hold", no_argument, NULL, 'H' },
		{ "reply", required_argument, NULL, 'r' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct srv_conn listeners[SRV_MAX_LISTEN] = {};
	const char *specs[SRV_MAX_LISTEN];
	struct epoll_event evs[SRV_MAX_EVENTS];
	int n_listen = 0, n_open = 0, wrote_pid = 0, ep = -1, rc = 1, i, c;
	long long deadline;
	char pidbuf[32];

	while ((c = getopt_long(argc, argv, "l:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (n_listen == SRV_MAX_LISTEN) {
				fprintf(stderr, "tcpsrv: at most %d -l\n", SRV_MAX_LISTEN);
				return 2;
			}
			specs[n_listen++] = optarg;
			break;
		case 'H':
			opt.hold = 1;
			break;
		case 'r':
			opt.reply = optarg;
			break;
		case 'p':
			opt.pidfile = optarg;
			break;
		case 'R':
			opt.ready_file = optarg;
			break;
		case 'm':
			if (tool_parse_long("tcpsrv", "--max-seconds", optarg, 1, 86400,
					    &opt.max_seconds))
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
	if (optind != argc || n_listen == 0) {
		usage(stderr);
		return 2;
	}
	opt.reply_len = strlen(opt.reply);

	/* Many concurrent clients: use the whole fd allowance. */
	tool_raise_nofile();
	tool_catch_stop();
	signal(SIGPIPE, SIG_IGN);

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "tcpsrv: epoll_create1: %s\n", strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < n_listen; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		listeners[i].fd = open_listener(specs[i]);
		if (listeners[i].fd < 0)
			goto cleanup;
		n_open++;
		listeners[i].is_listener = 1;
		ev.data.ptr = &listeners[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, listeners[i].fd, &ev)) {
			fprintf(stderr, "tcpsrv: epoll_ctl: %s\n", strerror(errno));
			goto cleanup;
		}
	}

	snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	if (opt.pidfile && tool_write_file_atomic(opt.pidfile, pidbuf)) {
		fprintf(stderr, "tcpsrv: cannot write pidfile %s: %s\n", opt.pidfile,
			strerror(errno));
		goto cleanup;
	}
	wrote_pid = opt.pidfile != NULL;
	if (opt.ready_file && tool_write_file_atomic(opt.ready_file, pidbuf)) {
		fprintf(stderr, "tcpsrv: cannot write ready file %s: %s\n",
			opt.ready_file, strerror(errno));
		goto cleanup;
	}

	deadline = tool_now_ms() + opt.max_seconds * 1000LL;
	while (!tool_stop) {
		long long now = tool_now_ms();
		int n, wait_ms;

		if (now >= deadline) {
			fprintf(stderr, "tcpsrv: --max-seconds %ld reached, exiting\n",
				opt.max_seconds);
			break;
		}
		reap_idle(ep, now);
		wait_ms = deadline - now < 1000 ? (int)(deadline - now) : 1000;
		n = epoll_wait(ep, evs, SRV_MAX_EVENTS, wait_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tcpsrv: epoll_wait: %s\n", strerror(errno));
			goto cleanup;
		}
		for (i = 0; i < n; i++) {
			struct srv_conn *sc = evs[i].data.ptr;

			if (sc->is_listener)
				accept_all(ep, sc);
			else
				serve(ep, sc);
		}
	}
	rc = 0;

cleanup:
	while (conns)
		conn_close(ep, conns);
	for (i = 0; i < n_open; i++)
		close(listeners[i].fd);
	if (ep >= 0)
		close(ep);
	if (wrote_pid)
		unlink(opt.pidfile);
	fprintf(stderr, "tcpsrv: accepted=%llu replied=%llu max_open=%llu errors=%llu\n",
		tot.accepted, tot.replied, tot.max_open, tot.errors);
	return rc;
}
