// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * backend: a capacity-limited TCP service that behaves like the one adm was
 * born from. WORKERS threads each serve one connection at a time: read a
 * request, spend the service time, answer, and (unless keep-alive) close.
 * What the workers cannot take waits in the listen backlog, so overload
 * shows as queueing delay and client timeouts, not as refusals. Requests
 * whose client gave up while they waited are still served (as the seed
 * service did): that wasted work is how overload lowers goodput.
 *
 *   backend -l ADDR:PORT [-w WORKERS] [--service-ms MS] [--jitter-ms MS]
 *           [--dist uniform|exp|lognormal] [--sigma S] [--contention F]
 *           [--http [--keepalive-ms MS] [--body-bytes N]]
 *           [--max-seconds N] [--ready-file F] [--service-file F]
 *           [--workers-file F]
 *
 * Protocol: by default read a request line (whatever arrives first) and
 * answer "ok\n". --http: read an HTTP/1.x request head (and a
 * Content-Length body), answer "HTTP/1.1 200 OK" with Content-Length
 * (--body-bytes, default 3: "ok\n"); keep the connection for the next
 * request when the client asks for keep-alive (HTTP/1.1 without
 * "Connection: close", or HTTP/1.0 with "Connection: keep-alive"), until it
 * is idle for --keepalive-ms (default 2000). A malformed head gets a 400.
 * nginx can proxy to it.
 *
 * Service time: --dist uniform (default): MS + uniform(0, jitter);
 * exp: exponential with mean MS; lognormal: mean MS, shape --sigma
 * (default 0.5). --jitter-ms is added in every case. Then multiplied by
 * (1 + F * (busy workers - 1)) with --contention F: the seed service's row
 * locks, where each request in flight slows the others.
 * --service-file F: F holds a number, the service time in ms; it is read
 * every 100 ms and replaces --service-ms, so a test changes the backend's
 * speed while it runs (a missing or unreadable file changes nothing).
 * --workers-file F: F holds the number of workers that take connections
 * (1..WORKERS; -w starts WORKERS threads, the most there can be), read
 * every 100 ms: a test changes the backend's capacity while it runs. A
 * worker over the number finishes its connection, then takes no other.
 * Prints served/failed counts on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define BK_BACKLOG		4096
#define BK_MAX_WORKERS		1024
#define BK_REQ_MAX		256
#define BK_HEAD_MAX		8192	/* HTTP request head */
#define BK_BODY_MAX		(1 << 20)	/* request body bytes read and dropped */
#define BK_REPLY_MAX		(1 << 20)	/* --body-bytes */
#define BK_READ_TIMEOUT_S	5
#define BK_DEFAULT_KEEPALIVE_MS	2000
#define US_PER_MS		1000.0

enum bk_dist { DIST_UNIFORM = 0, DIST_EXP, DIST_LOGNORMAL };

static struct {
	int workers;
	double service_ms, jitter_ms, contention, sigma;
	enum bk_dist dist;
	int http;
	long keepalive_ms;
	long body_bytes;
	int max_seconds;
	const char *ready_file;
	const char *service_file;
	const char *workers_file;
} opt = {
	.workers = 8, .service_ms = 20, .sigma = 0.5, .max_seconds = 300,
	.keepalive_ms = BK_DEFAULT_KEEPALIVE_MS, .body_bytes = 3,
};

static char *reply_body;	/* --http: body_bytes of "ok\n" repeated */

static int lfd = -1;
static atomic_long service_us = -1;	/* from --service-file; -1: opt.service_ms */
static atomic_int active_workers;	/* workers 1..this take connections */
#define BK_PARK_US		10000	/* a parked worker looks again this often */
#define BK_SERVICE_FILE_POLL_US	100000

/* The mean service time in ms now: --service-file's, else --service-ms. */
static double svc_ms(void)
{
	long us = atomic_load(&service_us);

	return us >= 0 ? us / US_PER_MS : opt.service_ms;
}

/* Read --service-file and --workers-file (what is missing changes nothing). */
static void read_files(void)
{
	{
		FILE *f = opt.service_file ? fopen(opt.service_file, "r") : NULL;
		double ms;
		int w;

		if (f) {
			if (fscanf(f, "%lf", &ms) == 1 && ms >= 0)
				atomic_store(&service_us, (long)(ms * US_PER_MS));
			fclose(f);
		}
		f = opt.workers_file ? fopen(opt.workers_file, "r") : NULL;
		if (f) {
			if (fscanf(f, "%d", &w) == 1 && w >= 1)
				atomic_store(&active_workers, w < opt.workers ? w : opt.workers);
			fclose(f);
		}
	}
}

/* Re-read them every 100 ms until the process ends. */
static void *service_file_poll(void *arg)
{
	(void)arg;
	for (;;) {
		read_files();
		usleep(BK_SERVICE_FILE_POLL_US);
	}
	return NULL;
}
static atomic_int busy;
static atomic_long served, failed;

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	int port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -1;
	port = atoi(colon + 1);
	if (port < 1 || port > 65535)
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
		return 0;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
		return 0;
	}
}

/* Uniform in (0, 1). */
static double unif(unsigned int *seed)
{
	return (rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);
}

/* One service time in ms from the configured distribution, before contention. */
static double service_time(unsigned int *seed)
{
	double ms;

	switch (opt.dist) {
	case DIST_EXP:
		ms = -svc_ms() * log(unif(seed));
		break;
	case DIST_LOGNORMAL: {
		/* Box-Muller; mu chosen so that the mean is service_ms. */
		double z = sqrt(-2.0 * log(unif(seed))) * cos(2.0 * M_PI * unif(seed));
		double mean = svc_ms();
		double mu = log(mean > 0 ? mean : 1e-9) - opt.sigma * opt.sigma / 2.0;

		ms = mean > 0 ? exp(mu + opt.sigma * z) : 0;
		break;
	}
	default:
		ms = svc_ms();
		break;
	}
	return ms + opt.jitter_ms * unif(seed);
}

/* Spend one request's service time, slowed by the other requests in flight. */
static void work(unsigned int *seed)
{
	int b = atomic_fetch_add(&busy, 1) + 1;
	double ms = service_time(seed) * (1.0 + opt.contention * (b - 1));

	if (ms > 0)
		usleep((useconds_t)(ms * US_PER_MS));
	atomic_fetch_sub(&busy, 1);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Head and body in one writev: one segment for a small response (a second
 * small write would wait for the ACK of the first: Nagle against delayed
 * ACK, 40 ms on keep-alive connections).
 */
static int write_response(int fd, const char *hdr, size_t hlen)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = hlen },
		{ .iov_base = reply_body, .iov_len = (size_t)opt.body_bytes },
	};
	ssize_t n;

	do
		n = writev(fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n < hlen)
		return write_all(fd, hdr + n, hlen - (size_t)n) ||
		       write_all(fd, reply_body, (size_t)opt.body_bytes);
	n -= (ssize_t)hlen;
	return write_all(fd, reply_body + n, (size_t)(opt.body_bytes - n));
}

static void serve_line(int fd, unsigned int *seed)
{
	struct timeval tv = { .tv_sec = BK_READ_TIMEOUT_S };
	char req[BK_REQ_MAX];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(fd, req, sizeof(req));
	if (n <= 0) {
		atomic_fetch_add(&failed, 1);
		return;
	}
	work(seed);
	if (write(fd, "ok\n", 3) == 3)
		atomic_fetch_add(&served, 1);
	else
		atomic_fetch_add(&failed, 1);
}

/*
 * --http: serve requests on fd until the client closes, asks to close, is
 * idle for keepalive_ms, or sends something that is not HTTP/1.x (400).
 * buf holds what was read beyond the current request (pipelining).
 */
static void serve_http(int fd, unsigned int *seed)
{
	char buf[BK_HEAD_MAX + 1], hdr[160];
	size_t have = 0;
	int first = 1;

	for (;;) {
		long ms = first ? BK_READ_TIMEOUT_S * 1000L : opt.keepalive_ms;
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
		const char *v;
		char *end = NULL;
		size_t len, hl;
		long long body = 0;
		int keep, minor, hn;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* Read until the end of the head. */
		for (;;) {
			ssize_t n;

			buf[have] = '\0';
			end = strstr(buf, "\r\n\r\n");
			if (end || have >= BK_HEAD_MAX)
				break;
			n = read(fd, buf + have, BK_HEAD_MAX - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* Closed or idle between requests is normal; mid-head is not. */
				if (first || have)
					atomic_fetch_add(&failed, 1);
				return;
			}
			have += (size_t)n;
		}
		first = 0;
		if (!end || strncmp(buf + strcspn(buf, " "), " /", 2) ||
		    !strstr(buf, " HTTP/1.") || strstr(buf, " HTTP/1.") > strstr(buf, "\r\n")) {
			static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
						  "Connection: close\r\n\r\n";

			write_all(fd, bad, sizeof(bad) - 1);
			atomic_fetch_add(&failed, 1);
			return;
		}
		hl = (size_t)(end + 4 - buf);
		end[2] = '\0';	/* the head alone, its last line still ending in CRLF */
		minor = strstr(buf, " HTTP/1.")[8] == '0' ? 0 : 1;
		v = tool_header_value(buf, "connection", &len);
		keep = minor ? !tool_has_token(v, len, "close")
			     : tool_has_token(v, len, "keep-alive");
		v = tool_header_value(buf, "content-length", &len);
		if (v)
			body = strtoll(v, NULL, 10);
		if (body < 0 || body > BK_BODY_MAX) {
			atomic_fetch_add(&failed, 1);
			return;
		}
		/* Drop the request body: what is buffered, then the rest. */
		memmove(buf, buf + hl, have - hl);
		have -= hl;
		while (body > 0) {
			ssize_t n;

			if (have) {
				size_t k = (long long)have < body ? have : (size_t)body;

				memmove(buf, buf + k, have - k);
				have -= k;
				body -= (long long)k;
				continue;
			}
			n = read(fd, buf, BK_HEAD_MAX);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				atomic_fetch_add(&failed, 1);
				return;
			}
			have = (size_t)n;
		}
		work(seed);
		hn = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			      "Content-Length: %ld\r\nConnection: %s\r\n\r\n",
			      opt.body_bytes, keep ? "keep-alive" : "close");
		if (write_response(fd, hdr, (size_t)hn)) {
			atomic_fetch_add(&failed, 1);
			return;
		}
		atomic_fetch_add(&served, 1);
		if (!keep)
			return;
	}
}

static void serve(int fd, unsigned int *seed)
{
	if (opt.http)
		serve_http(fd, seed);
	else
		serve_line(fd, seed);
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg * 2654435761u;
	int one = 1, me = (int)(long)arg;

	while (!tool_stop) {
		int fd;

		if (me > atomic_load(&active_workers)) {
			usleep(BK_PARK_US);
			continue;
		}
		fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if (opt.http)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(fd, &seed);
		close(fd);
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: backend -l ADDR:PORT [-w WORKERS] [--service-ms MS] [--jitter-ms MS]\n"
		   "               [--dist uniform|exp|lognormal] [--sigma S] [--contention F]\n"
		   "               [--http [--keepalive-ms MS] [--body-bytes N]]\n"
		   "               [--max-seconds N] [--ready-file F] [--service-file F]\n"
		   "               [--workers-file F]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "service-ms", required_argument, NULL, 's' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "contention", required_argument, NULL, 'C' },
		{ "dist", required_argument, NULL, 'D' },
		{ "sigma", required_argument, NULL, 'S' },
		{ "http", no_argument, NULL, 'H' },
		{ "keepalive-ms", required_argument, NULL, 'K' },
		{ "body-bytes", required_argument, NULL, 'B' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "service-file", required_argument, NULL, 'F' },
		{ "workers-file", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	pthread_t th[BK_MAX_WORKERS];
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	socklen_t sl = 0;
	const char *listen_at = NULL;
	int c, i, one = 1;
	time_t end;

	while ((c = getopt_long(argc, argv, "l:w:h", lo, NULL)) != -1) {
		switch (c) {
		case 'l': listen_at = optarg; break;
		case 'w': opt.workers = atoi(optarg); break;
		case 's': opt.service_ms = atof(optarg); break;
		case 'j': opt.jitter_ms = atof(optarg); break;
		case 'C': opt.contention = atof(optarg); break;
		case 'D':
			if (!strcmp(optarg, "uniform")) {
				opt.dist = DIST_UNIFORM;
			} else if (!strcmp(optarg, "exp")) {
				opt.dist = DIST_EXP;
			} else if (!strcmp(optarg, "lognormal")) {
				opt.dist = DIST_LOGNORMAL;
			} else {
				fprintf(stderr, "backend: --dist wants uniform, exp or lognormal, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'S': opt.sigma = atof(optarg); break;
		case 'H': opt.http = 1; break;
		case 'K': opt.keepalive_ms = atol(optarg); break;
		case 'B': opt.body_bytes = atol(optarg); break;
		case 'm': opt.max_seconds = atoi(optarg); break;
		case 'r': opt.ready_file = optarg; break;
		case 'F': opt.service_file = optarg; break;
		case 'W': opt.workers_file = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen_at || parse_addr(listen_at, &ss, &sl) || opt.workers < 1 ||
	    opt.workers > BK_MAX_WORKERS || opt.service_ms < 0 || opt.jitter_ms < 0 ||
	    opt.contention < 0 || opt.max_seconds < 1 || opt.sigma < 0 || opt.sigma > 5 ||
	    opt.keepalive_ms < 1 || opt.body_bytes < 0 || opt.body_bytes > BK_REPLY_MAX) {
		usage(stderr);
		return 2;
	}
	if (opt.http) {
		long i;

		reply_body = malloc((size_t)opt.body_bytes + 1);
		if (!reply_body) {
			fprintf(stderr, "backend: out of memory\n");
			return 1;
		}
		for (i = 0; i < opt.body_bytes; i++)
			reply_body[i] = "ok\n"[i % 3];
	}
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, BK_BACKLOG)) {
		perror("backend: listen");
		return 1;
	}
	/* accept() wakes every 200 ms so workers notice tool_stop. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	signal(SIGTERM, tool_on_signal);
	signal(SIGINT, tool_on_signal);
	signal(SIGPIPE, SIG_IGN);
	atomic_store(&active_workers, opt.workers);
	read_files();
	for (i = 0; i < opt.workers; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)(i + 1));
	if (opt.service_file || opt.workers_file) {
		pthread_t poller;	/* detached: ends with the process */

		if (!pthread_create(&poller, NULL, service_file_poll, NULL))
			pthread_detach(poller);
	}
	if (opt.ready_file) {
		FILE *f = fopen(opt.ready_file, "w");

		if (f) {
			fprintf(f, "%d\n", getpid());
			fclose(f);
		}
	}
	end = time(NULL) + opt.max_seconds;
	while (!tool_stop && time(NULL) < end)
		usleep(100000);
	tool_stop = 1;
	for (i = 0; i < opt.workers; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "backend: served=%ld failed=%ld\n", atomic_load(&served),
		atomic_load(&failed));
	free(reply_body);
	return 0;
}
