// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * backend: a capacity-limited TCP service that behaves like the one adm was
 * born from. WORKERS threads each serve one connection at a time: read a
 * request line, spend the service time, answer "ok\n", close. What the
 * workers cannot take waits in the listen backlog, so overload shows as
 * queueing delay and client timeouts, not as refusals.
 *
 *   backend -l ADDR:PORT [-w WORKERS] [--service-ms MS] [--jitter-ms MS]
 *           [--contention F] [--max-seconds N] [--ready-file F]
 *
 * Service time = MS + uniform(0, jitter), multiplied by
 * (1 + F * (busy workers - 1)) with --contention F: the seed service's row
 * locks, where each request in flight slows the others and overload lowers
 * goodput instead of only queueing. Prints served/failed counts on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BK_BACKLOG		4096
#define BK_MAX_WORKERS		1024
#define BK_REQ_MAX		256
#define BK_READ_TIMEOUT_S	5
#define US_PER_MS		1000.0

static struct {
	int workers;
	double service_ms, jitter_ms, contention;
	int max_seconds;
	const char *ready_file;
} opt = { .workers = 8, .service_ms = 20, .max_seconds = 300 };

static int lfd = -1;
static atomic_int busy;
static atomic_long served, failed;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

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

static void serve(int fd, unsigned int *seed)
{
	struct timeval tv = { .tv_sec = BK_READ_TIMEOUT_S };
	char req[BK_REQ_MAX];
	double ms;
	ssize_t n;
	int b;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(fd, req, sizeof(req));
	if (n <= 0) {
		atomic_fetch_add(&failed, 1);
		return;
	}
	b = atomic_fetch_add(&busy, 1) + 1;
	ms = opt.service_ms + opt.jitter_ms * (rand_r(seed) / (double)RAND_MAX);
	ms *= 1.0 + opt.contention * (b - 1);
	usleep((useconds_t)(ms * US_PER_MS));
	atomic_fetch_sub(&busy, 1);
	if (write(fd, "ok\n", 3) == 3)
		atomic_fetch_add(&served, 1);
	else
		atomic_fetch_add(&failed, 1);
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg * 2654435761u;

	while (!stop) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		serve(fd, &seed);
		close(fd);
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: backend -l ADDR:PORT [-w WORKERS] [--service-ms MS] [--jitter-ms MS]\n"
		   "               [--contention F] [--max-seconds N] [--ready-file F]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "service-ms", required_argument, NULL, 's' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "contention", required_argument, NULL, 'C' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "ready-file", required_argument, NULL, 'r' },
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
		case 'm': opt.max_seconds = atoi(optarg); break;
		case 'r': opt.ready_file = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen_at || parse_addr(listen_at, &ss, &sl) || opt.workers < 1 ||
	    opt.workers > BK_MAX_WORKERS || opt.service_ms < 0 || opt.jitter_ms < 0 ||
	    opt.contention < 0 || opt.max_seconds < 1) {
		usage(stderr);
		return 2;
	}
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, BK_BACKLOG)) {
		perror("backend: listen");
		return 1;
	}
	/* accept() wakes every 200 ms so workers notice stop. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < opt.workers; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)(i + 1));
	if (opt.ready_file) {
		FILE *f = fopen(opt.ready_file, "w");

		if (f) {
			fprintf(f, "%d\n", getpid());
			fclose(f);
		}
	}
	end = time(NULL) + opt.max_seconds;
	while (!stop && time(NULL) < end)
		usleep(100000);
	stop = 1;
	for (i = 0; i < opt.workers; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "backend: served=%ld failed=%ld\n", atomic_load(&served),
		atomic_load(&failed));
	return 0;
}
