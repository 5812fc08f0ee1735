// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcpprobe: make TCP connections and report what a client sees.
 *
 *   tcpprobe -d ADDR:PORT [-s SRCADDR]... -n COUNT [-c CONCURRENCY]
 *            [-t TIMEOUT_MS] [--interval-ms N] [--hold-ms N]
 *            [--max-seconds N] [--rst] [--json [--each]] [-v]
 *
 * Each attempt ends in one outcome, timed from connect() to that outcome:
 *   ok       connected and got a reply to "probe\n" (with --hold-ms:
 *            connected and stayed up for N ms; the time is time to connect)
 *   refused  ECONNREFUSED: the SYN was answered with a RST
 *   timeout  no outcome within TIMEOUT_MS (e.g. the SYN was silently dropped
 *            and TCP is retransmitting it)
 *   error    anything else (reset after connect, EOF without reply, ...)
 *
 * Sources are rotated over the -s list (attempt i binds source i % n).
 * One process drives up to CONCURRENCY non-blocking sockets with epoll; a new
 * attempt starts at most every --interval-ms. The run is bounded: COUNT
 * attempts and --max-seconds (default 120); attempts still open at that
 * point count as timeouts, attempts never started as not_started.
 *
 * --rst closes every socket with a RST (SO_LINGER 0) instead of a FIN: with
 * --hold-ms an admitted connection is then exactly SYN, ACK, RST from the
 * client, which lets a test predict per-packet counters exactly.
 *
 * Output: "ok=N refused=N timeout=N error=N" and per-outcome
 * min/p50/p99/max ms; --json prints one object with the same plus
 * per-source counts (--each adds every attempt: source, outcome, ms). Exit 0 when the run completed (whatever the outcomes),
 * 1 on a setup failure, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
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

#define PRB_MAX_SOURCES		1024
#define PRB_MAX_COUNT		1000000
#define PRB_MAX_CONC		10000
#define PRB_MAX_EVENTS		256
#define PRB_DEFAULT_TIMEOUT_MS	3000
#define PRB_DEFAULT_MAX_SEC	120
#define PRB_REQUEST		"probe\n"
#define US_PER_MS		1000LL

enum prb_outcome {
	PRB_OK = 0,
	PRB_REFUSED,
	PRB_TIMEOUT,
	PRB_ERROR,
	PRB__MAX,
};

static const char *const outcome_names[PRB__MAX] = {
	[PRB_OK] = "ok",
	[PRB_REFUSED] = "refused",
	[PRB_TIMEOUT] = "timeout",
	[PRB_ERROR] = "error",
};

enum prb_state {
	ST_FREE = 0,
	ST_CONNECTING,	/* waiting for the handshake */
	ST_REPLY,	/* request sent, waiting for the reply */
	ST_HOLD,	/* connected, holding until hold_end */
};

struct prb_slot {
	int fd;
	enum prb_state state;
	unsigned int gen;	/* tells stale epoll events apart */
	int attempt;
	int src;
	long long start_us;
	long long deadline_us;
	long long connected_us;
};

struct prb_source {
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned long long count[PRB__MAX];
};

/* Errno values seen in `error` outcomes, for the report. */
#define PRB_MAX_ERRNOS	16
static struct {
	int err;
	unsigned long long n;
} errnos[PRB_MAX_ERRNOS];

static struct {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	const char *dst_text;
	struct prb_source *src;
	int n_src;
	long count;
	long conc;
	long timeout_ms;
	long interval_ms;
	long hold_ms;
	long max_seconds;
	int json;
	int each;
	int rst;
	int verbose;
} opt = {
	.count = 1,
	.conc = 1,
	.timeout_ms = PRB_DEFAULT_TIMEOUT_MS,
	.max_seconds = PRB_DEFAULT_MAX_SEC,
};

/* Per-outcome times in microseconds, completion order. */
static long long *times[PRB__MAX];
static long n_times[PRB__MAX];

/* Every attempt, by attempt number (--each). */
struct prb_result {
	signed char outcome;	/* enum prb_outcome, -1 = never finished */
	int src;
	long long us;
};
static struct prb_result *results;
static struct prb_source any_source = { .text = "any" };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tcpprobe -d ADDR:PORT [-s SRCADDR]... -n COUNT [-c CONCURRENCY]\n"
		"                [-t TIMEOUT_MS] [--interval-ms N] [--hold-ms N]\n"
		"                [--max-seconds N] [--rst] [--json [--each]] [-v]\n"
		"  -d ADDR:PORT   10.77.0.1:8080 or [fd77::1]:8080\n"
		"  -s SRCADDR     bind this source (repeat to rotate over several)\n"
		"  -n COUNT       attempts (1..%d)\n"
		"  -c CONCURRENCY attempts in flight at once (default 1, max %d)\n"
		"  -t TIMEOUT_MS  per attempt (default %d)\n"
		"  --interval-ms  minimum time between starting two attempts (default 0)\n"
		"  --hold-ms N    hold each connection N ms instead of a request/reply\n"
		"  --max-seconds  bound on the whole run (default %d)\n"
		"  --rst          close with a RST (SO_LINGER 0) instead of a FIN\n"
		"  --json         one JSON object instead of text\n"
		"  --each         with --json: every attempt (source, outcome, ms)\n"
		"  -v             one line per attempt on stderr\n",
		PRB_MAX_COUNT, PRB_MAX_CONC, PRB_DEFAULT_TIMEOUT_MS,
		PRB_DEFAULT_MAX_SEC);
}

static void note_errno(int err)
{
	int i;

	for (i = 0; i < PRB_MAX_ERRNOS; i++) {
		if (errnos[i].n && errnos[i].err != err)
			continue;
		errnos[i].err = err;
		errnos[i].n++;
		return;
	}
}

static struct prb_source *slot_source(const struct prb_slot *s)
{
	return opt.n_src ? &opt.src[s->src] : &any_source;
}

/* Record the outcome of the attempt in slot s and free the slot. */
static void finish(struct prb_slot *s, enum prb_outcome o, long long at_us,
		   int err)
{
	long long t = at_us - s->start_us;

	if (o == PRB_OK && opt.hold_ms)
		t = s->connected_us - s->start_us;
	if (t < 0)
		t = 0;
	times[o][n_times[o]++] = t;
	results[s->attempt].outcome = o;
	results[s->attempt].src = s->src;
	results[s->attempt].us = t;
	slot_source(s)->count[o]++;
	if (o == PRB_ERROR)
		note_errno(err);
	if (opt.verbose)
		fprintf(stderr, "tcpprobe: attempt %d src %s %s %.3f ms%s%s\n",
			s->attempt, slot_source(s)->text, outcome_names[o],
			t / 1000.0, err ? " " : "", err ? strerror(err) : "");
	if (s->fd >= 0 && opt.rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = ST_FREE;
	s->gen++;
}

/* epoll cookie of slot s: its index and generation. */
static unsigned long long slot_cookie(const struct prb_slot *s, long idx)
{
	return (unsigned long long)s->gen << 32 | (unsigned int)idx;
}

/*
 * Start attempt `attempt` in the free slot s (index idx). On a local
 * failure (socket, bind, connect other than EINPROGRESS) the attempt is
 * recorded at once (ECONNREFUSED as refused, the rest as error).
 */
static void start(int ep, struct prb_slot *s, long idx, int attempt, long long now)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP };
	int one = 1, err;

	s->attempt = attempt;
	s->src = opt.n_src ? attempt % opt.n_src : 0;
	s->start_us = now;
	s->deadline_us = now + opt.timeout_ms * US_PER_MS;
	s->connected_us = 0;
	s->state = ST_CONNECTING;
	s->fd = socket(opt.dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		finish(s, PRB_ERROR, now, errno);
		return;
	}
	if (opt.n_src) {
		struct prb_source *src = &opt.src[s->src];

		/* Choose the port at connect(), not bind(): no early exhaustion. */
		setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(s->fd, (struct sockaddr *)&src->ss, src->len)) {
			finish(s, PRB_ERROR, now, errno);
			return;
		}
	}
	if (connect(s->fd, (struct sockaddr *)&opt.dst, opt.dst_len) &&
	    errno != EINPROGRESS) {
		err = errno;
		finish(s, err == ECONNREFUSED ? PRB_REFUSED : PRB_ERROR, tool_now_us(),
		       err == ECONNREFUSED ? 0 : err);
		return;
	}
	ev.data.u64 = slot_cookie(s, idx);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev))
		finish(s, PRB_ERROR, now, errno);
}

/* The handshake finished (or failed) on slot s (index idx). */
static void on_connect(int ep, struct prb_slot *s, long idx, long long now)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	socklen_t el = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		if (err == ECONNREFUSED)
			finish(s, PRB_REFUSED, now, 0);
		else if (err == ETIMEDOUT)
			finish(s, PRB_TIMEOUT, now, 0);
		else
			finish(s, PRB_ERROR, now, err);
		return;
	}
	s->connected_us = now;
	/* Connected: stop asking for EPOLLOUT (level-triggered, always ready). */
	ev.data.u64 = slot_cookie(s, idx);
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev)) {
		finish(s, PRB_ERROR, now, errno);
		return;
	}
	if (opt.hold_ms) {
		s->state = ST_HOLD;
		s->deadline_us = now + opt.hold_ms * US_PER_MS;
		return;
	}
	if (write(s->fd, PRB_REQUEST, sizeof(PRB_REQUEST) - 1) !=
	    (ssize_t)(sizeof(PRB_REQUEST) - 1)) {
		finish(s, PRB_ERROR, now, errno);
		return;
	}
	s->state = ST_REPLY;
}

/* Data, EOF or an error on a connected slot. */
static void on_readable(struct prb_slot *s, long long now)
{
	char buf[512];
	ssize_t n;

	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			if (s->state == ST_REPLY) {
				finish(s, PRB_OK, now, 0);
				return;
			}
			continue;	/* holding: discard */
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		/* EOF before the reply / during the hold, or a reset. */
		finish(s, PRB_ERROR, now, n < 0 ? errno : ECONNABORTED);
		return;
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1], in ms. */
static double pct_ms(const long long *v, long n, double p)
{
	long rank = (long)ceil(p * n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

static void report(long not_started, double elapsed_ms)
{
	int o, i;

	for (o = 0; o < PRB__MAX; o++)
		qsort(times[o], n_times[o], sizeof(long long), cmp_ll);

	if (!opt.json) {
		printf("ok=%ld refused=%ld timeout=%ld error=%ld\n", n_times[PRB_OK],
		       n_times[PRB_REFUSED], n_times[PRB_TIMEOUT], n_times[PRB_ERROR]);
		for (o = 0; o < PRB__MAX; o++) {
			long n = n_times[o];

			if (!n)
				continue;
			printf("%-8s n=%ld min=%.3f p50=%.3f p99=%.3f max=%.3f ms\n",
			       outcome_names[o], n, times[o][0] / 1000.0,
			       pct_ms(times[o], n, 0.50), pct_ms(times[o], n, 0.99),
			       times[o][n - 1] / 1000.0);
		}
		for (i = 0; i < opt.n_src; i++)
			printf("source %s ok=%llu refused=%llu timeout=%llu error=%llu\n",
			       opt.src[i].text, opt.src[i].count[PRB_OK],
			       opt.src[i].count[PRB_REFUSED], opt.src[i].count[PRB_TIMEOUT],
			       opt.src[i].count[PRB_ERROR]);
		for (i = 0; i < PRB_MAX_ERRNOS && errnos[i].n; i++)
			printf("error %s: %llu\n", strerrorname_np(errnos[i].err) ?
			       strerrorname_np(errnos[i].err) : "?", errnos[i].n);
		if (not_started)
			printf("not_started=%ld (--max-seconds reached)\n", not_started);
		return;
	}

	printf("{\"target\":\"%s\",\"attempts\":%ld", opt.dst_text, opt.count);
	for (o = 0; o < PRB__MAX; o++)
		printf(",\"%s\":%ld", outcome_names[o], n_times[o]);
	printf(",\"not_started\":%ld,\"elapsed_ms\":%.3f,\"ms\":{", not_started,
	       elapsed_ms);
	for (o = 0; o < PRB__MAX; o++) {
		long n = n_times[o];

		printf("%s\"%s\":", o ? "," : "", outcome_names[o]);
		if (!n) {
			printf("null");
			continue;
		}
		printf("{\"min\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
		       times[o][0] / 1000.0, pct_ms(times[o], n, 0.50),
		       pct_ms(times[o], n, 0.99), times[o][n - 1] / 1000.0);
	}
	printf("},\"sources\":{");
	if (!opt.n_src) {
		printf("\"any\":{");
		for (o = 0; o < PRB__MAX; o++)
			printf("%s\"%s\":%llu", o ? "," : "", outcome_names[o],
			       any_source.count[o]);
		printf("}");
	}
	for (i = 0; i < opt.n_src; i++) {
		printf("%s\"%s\":{", i ? "," : "", opt.src[i].text);
		for (o = 0; o < PRB__MAX; o++)
			printf("%s\"%s\":%llu", o ? "," : "", outcome_names[o],
			       opt.src[i].count[o]);
		printf("}");
	}
	printf("},\"errors\":{");
	for (i = 0; i < PRB_MAX_ERRNOS && errnos[i].n; i++)
		printf("%s\"%s\":%llu", i ? "," : "",
		       strerrorname_np(errnos[i].err) ? strerrorname_np(errnos[i].err) : "?",
		       errnos[i].n);
	printf("}");
	if (opt.each) {
		printf(",\"each\":[");
		for (i = 0; i < opt.count; i++) {
			const struct prb_result *r = &results[i];

			if (r->outcome < 0) {
				printf("%s{\"outcome\":\"not_started\"}", i ? "," : "");
				continue;
			}
			printf("%s{\"src\":\"%s\",\"outcome\":\"%s\",\"ms\":%.3f}",
			       i ? "," : "", opt.n_src ? opt.src[r->src].text : "any",
			       outcome_names[r->outcome], r->us / 1000.0);
		}
		printf("]");
	}
	printf("}\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "each", no_argument, NULL, 'e' },
		{ "rst", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct epoll_event evs[PRB_MAX_EVENTS];
	struct prb_slot *slots = NULL;
	long started = 0, done = 0, in_flight = 0, i;
	long long t0, deadline, next_start;
	int ep = -1, rc = 1, c, o;
	rlim_t nofile;

	opt.src = calloc(PRB_MAX_SOURCES, sizeof(*opt.src));
	if (!opt.src) {
		fprintf(stderr, "tcpprobe: out of memory\n");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "d:s:n:c:t:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.dst_text = optarg;
			if (tool_parse_addr_port(NULL, optarg, 1, &opt.dst, &opt.dst_len)) {
				fprintf(stderr, "tcpprobe: -d '%s' is not ADDR:PORT "
					"(10.77.0.1:8080 or [fd77::1]:8080)\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (opt.n_src == PRB_MAX_SOURCES) {
				fprintf(stderr, "tcpprobe: at most %d -s\n", PRB_MAX_SOURCES);
				return 2;
			}
			if (tool_parse_addr(optarg, 0, &opt.src[opt.n_src].ss,
					    &opt.src[opt.n_src].len)) {
				fprintf(stderr, "tcpprobe: -s '%s' is not an IPv4 or IPv6 address\n",
					optarg);
				return 2;
			}
			snprintf(opt.src[opt.n_src].text, sizeof(opt.src[0].text), "%s", optarg);
			opt.n_src++;
			break;
		case 'n':
			if (tool_parse_long("tcpprobe", "-n", optarg, 1, PRB_MAX_COUNT, &opt.count))
				return 2;
			break;
		case 'c':
			if (tool_parse_long("tcpprobe", "-c", optarg, 1, PRB_MAX_CONC, &opt.conc))
				return 2;
			break;
		case 't':
			if (tool_parse_long("tcpprobe", "-t", optarg, 1, 600000, &opt.timeout_ms))
				return 2;
			break;
		case 'i':
			if (tool_parse_long("tcpprobe", "--interval-ms", optarg,
					    0, 600000, &opt.interval_ms))
				return 2;
			break;
		case 'H':
			if (tool_parse_long("tcpprobe", "--hold-ms", optarg,
					    0, 600000, &opt.hold_ms))
				return 2;
			break;
		case 'm':
			if (tool_parse_long("tcpprobe", "--max-seconds", optarg,
					    1, 3600, &opt.max_seconds))
				return 2;
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'e':
			opt.each = 1;
			break;
		case 'r':
			opt.rst = 1;
			break;
		case 'v':
			opt.verbose = 1;
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
			fprintf(stderr, "tcpprobe: source %s and destination %s are not the same family\n",
				opt.src[i].text, opt.dst_text);
			return 2;
		}
	}
	if (opt.conc > opt.count)
		opt.conc = opt.count;

	nofile = tool_raise_nofile();
	if ((rlim_t)opt.conc + 16 > nofile) {
		fprintf(stderr, "tcpprobe: -c %ld needs more file descriptors than the limit %llu\n",
			opt.conc, (unsigned long long)nofile);
		return 2;
	}
	tool_catch_stop();
	signal(SIGPIPE, SIG_IGN);

	slots = calloc(opt.conc, sizeof(*slots));
	results = calloc(opt.count, sizeof(*results));
	for (o = 0; o < PRB__MAX; o++)
		times[o] = calloc(opt.count, sizeof(long long));
	if (!slots || !results || !times[PRB_OK] || !times[PRB_REFUSED] ||
	    !times[PRB_TIMEOUT] || !times[PRB_ERROR]) {
		fprintf(stderr, "tcpprobe: out of memory\n");
		goto cleanup;
	}
	for (i = 0; i < opt.count; i++)
		results[i].outcome = -1;
	for (i = 0; i < opt.conc; i++)
		slots[i].fd = -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "tcpprobe: epoll_create1: %s\n", strerror(errno));
		goto cleanup;
	}

	t0 = tool_now_us();
	deadline = t0 + opt.max_seconds * 1000000LL;
	next_start = t0;
	while (done < opt.count && !tool_stop) {
		long long now = tool_now_us(), wake;
		int n, wait_ms, k;

		if (now >= deadline)
			break;
		/* Start what the concurrency and the interval allow. */
		for (i = 0; i < opt.conc && started < opt.count && now >= next_start; i++) {
			if (slots[i].state != ST_FREE)
				continue;
			start(ep, &slots[i], i, started, now);
			started++;
			next_start = opt.interval_ms ? now + opt.interval_ms * US_PER_MS : now;
		}

		/* Sleep until the next event, deadline or start. */
		wake = deadline;
		in_flight = 0;
		for (i = 0; i < opt.conc; i++) {
			if (slots[i].state == ST_FREE)
				continue;
			in_flight++;
			if (slots[i].deadline_us < wake)
				wake = slots[i].deadline_us;
		}
		if (started < opt.count && in_flight < opt.conc && next_start < wake)
			wake = next_start;
		wait_ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
		if (wait_ms > 1000)
			wait_ms = 1000;
		if (!in_flight && started >= opt.count)
			wait_ms = 0;
		n = epoll_wait(ep, evs, PRB_MAX_EVENTS, wait_ms);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "tcpprobe: epoll_wait: %s\n", strerror(errno));
			goto cleanup;
		}
		now = tool_now_us();
		for (k = 0; k < n; k++) {
			unsigned int idx = (unsigned int)evs[k].data.u64;
			unsigned int gen = evs[k].data.u64 >> 32;
			struct prb_slot *s;

			if (idx >= (unsigned long)opt.conc)
				continue;
			s = &slots[idx];
			if (s->gen != gen || s->state == ST_FREE)
				continue;
			if (s->state == ST_CONNECTING) {
				if (!(evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
					continue;
				on_connect(ep, s, idx, now);
				if (s->state == ST_FREE || !(evs[k].events & (EPOLLIN | EPOLLRDHUP)))
					continue;
			}
			if (s->state == ST_REPLY || s->state == ST_HOLD) {
				if (evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
					on_readable(s, now);
			}
		}
		/* Deadlines: a timeout, or the end of a successful hold. */
		for (i = 0; i < opt.conc; i++) {
			struct prb_slot *s = &slots[i];

			if (s->state == ST_FREE || now < s->deadline_us)
				continue;
			finish(s, s->state == ST_HOLD ? PRB_OK : PRB_TIMEOUT, now, 0);
		}
		done = 0;
		for (o = 0; o < PRB__MAX; o++)
			done += n_times[o];
	}
	/* Bounded: whatever is still open when time is up is a timeout. */
	for (i = 0; i < opt.conc; i++)
		if (slots[i].state != ST_FREE)
			finish(&slots[i], PRB_TIMEOUT, tool_now_us(), 0);
	report(opt.count - started, (tool_now_us() - t0) / 1000.0);
	rc = 0;

cleanup:
	if (ep >= 0)
		close(ep);
	free(slots);
	free(results);
	for (o = 0; o < PRB__MAX; o++)
		free(times[o]);
	free(opt.src);
	return rc;
}
