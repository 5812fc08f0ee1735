// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admload: the load generator of the overload benchmark and the demo. Many
 * users from many source addresses, one epoll loop, every request ending in
 * one outcome, latency from a log-linear histogram, one JSON result.
 *
 *   admload -d ADDR:PORT -s SRC... (-u USERS [--think-ms MS] | -r RATE [--poisson])
 *           [--abusive-sources N [--abusive-users M] [--abusive-rate R]]
 *           [-k REQS | --hold-ms MS] [--proto http|line] [--path P]
 *           [-T SECONDS] [--warmup SECONDS] [-t TIMEOUT_MS] [--max-inflight N]
 *           [-n MAX_REQUESTS] [--max-seconds N] [--ramp-ms MS] [--seed N]
 *           [-o FILE] [-q]
 *
 * Sources (-s, repeatable): an address (10.77.0.10, fd77::10), an IPv4
 * range (10.77.1.1-10.77.1.254) or an IPv4 prefix (10.77.1.0/24: its hosts).
 * The last N sources of the list are abusive (--abusive-sources N); the
 * others are normal, and normal user or arrival i uses normal source
 * i % (number of normal sources).
 *
 * Load:
 *   closed loop (-u N): N users, each: connect, request, response, think
 *     (exponential, mean --think-ms, default 1000), repeat. A user whose
 *     request was refused or failed also thinks before trying again. The
 *     first requests are spread over --ramp-ms (default 1000).
 *   open loop (-r RATE): RATE arrivals a second on a fixed schedule
 *     (--poisson: exponential gaps), each a new connection. Latency and the
 *     timeout are measured from the scheduled time, not from when a socket
 *     was free: no coordinated omission. An arrival that cannot start
 *     before its timeout (--max-inflight connections busy) is a timeout,
 *     also counted as not_started.
 *   abusive users (--abusive-users M, default 16 per abusive source), in
 *     either mode: closed-loop users on the abusive sources that ignore
 *     think time; --abusive-rate R caps their requests a second in total.
 *   -k K: K requests per connection (HTTP keep-alive; default 1, then
 *     "Connection: close"). In the open loop an arrival sends its K
 *     requests back to back.
 *   --hold-ms S: hold mode (WebSocket-like): connect, send nothing, hold
 *     the connection S ms, close. ok = it stayed up; latency = connect time.
 *   --proto line: send "probe\n", any reply is ok (tcpsrv, backend without
 *     --http).
 *
 * Outcomes (one per request):
 *   ok        a 2xx response (line: any reply; hold: held to the end)
 *   refused   ECONNREFUSED: the SYN was answered with a RST
 *   http_503  a 503 response (the status line is the outcome's time)
 *   timeout   no outcome within -t TIMEOUT_MS (default 5000); the subset
 *             timeout_connect never completed the handshake (SYN dropped)
 *   error     anything else: a reset or EOF mid-request, another status,
 *             a malformed response, a local failure (errno names listed)
 * admitted = ok + timeout and error after the handshake (the server took
 * the request); rejected = refused + http_503.
 *
 * Bounds: load starts for -T SECONDS (default 10); requests started in
 * [--warmup, T) are measured (the rest run but are not counted); requests
 * in flight at T finish or time out; -n caps requests started;
 * --max-seconds (default T + timeout + 10) ends everything, whatever is in
 * flight counting as timeout.
 *
 * Output: JSON to -o FILE (default stdout), a summary on stderr (-q: none).
 * Per class (normal, abusive, all): the counts above, latency percentiles
 * per outcome and for admitted and rejected requests, ok_per_s (goodput:
 * ok answers that arrived in [--warmup, T), whenever their request
 * started), ok per source. Host CPU from /proc/stat over [--warmup, T).
 * generator.start_lag_ms: how late requests started against their
 * schedule, the generator's own lag (a busy machine), which is inside
 * every latency reported. Exit 0 when the run completed (whatever the
 * outcomes), 1 on a setup failure, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif

#define AL_MAX_SOURCES		65536
#define AL_MAX_SLOTS		100000
#define AL_MAX_EVENTS		512
#define AL_HEAD_MAX		4096	/* a longer response head is an error */
#define AL_REQ_MAX		512
#define AL_MAX_ERRNOS		16
#define AL_MAX_STATUS		600
#define AL_MAX_TIMELINE		3600	/* seconds of per-second counts */
#define AL_FD_RESERVE		32	/* descriptors kept for everything else */
#define AL_DEFAULT_TIMEOUT_MS	5000
#define AL_DEFAULT_THINK_MS	1000
#define AL_DEFAULT_RAMP_MS	1000
#define AL_DEFAULT_SECONDS	10
#define AL_DEFAULT_ABUSE_USERS	16	/* per abusive source */
#define AL_MAX_WAIT_US		50000	/* the loop looks at the clock at least this often */
#define US_PER_S		1000000LL
#define US_PER_MS		1000LL

/* ------------------------------------------------------------ histogram */

/*
 * HdrHistogram-style log-linear buckets over microseconds: values below
 * 2^H_SUB_BITS are exact, above that each power of two is split into
 * H_HALF linear buckets, so a recorded value is off by less than
 * 1/H_HALF (0.2%). Values at or above 2^H_MAX_BITS us are clamped.
 */
#define H_SUB_BITS	10
#define H_SUB		(1 << H_SUB_BITS)
#define H_HALF		(H_SUB / 2)
#define H_MAX_BITS	40
#define H_BUCKETS	((H_MAX_BITS - H_SUB_BITS + 2) * H_HALF)

struct hist {
	unsigned long long n;
	long double sum;
	long long min, max;
	unsigned int b[H_BUCKETS];
};

static int hist_index(long long v)
{
	int e, g;

	if (v < 0)
		v = 0;
	if (v >= 1LL << H_MAX_BITS)
		v = (1LL << H_MAX_BITS) - 1;
	if (v < H_SUB)
		return (int)v;
	e = 63 - __builtin_clzll((unsigned long long)v);
	g = e - H_SUB_BITS + 1;
	return g * H_HALF + (int)(v >> g);
}

/* The highest value that lands in bucket idx. */
static long long hist_upper(int idx)
{
	int g, sub;

	if (idx < H_SUB)
		return idx;
	g = idx / H_HALF - 1;
	sub = idx - g * H_HALF;
	return ((long long)(sub + 1) << g) - 1;
}

static void hist_add(struct hist *h, long long v)
{
	if (v < 0)
		v = 0;
	if (!h->n || v < h->min)
		h->min = v;
	if (!h->n || v > h->max)
		h->max = v;
	h->n++;
	h->sum += v;
	h->b[hist_index(v)]++;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
	int i;

	if (!h->n)
		return;
	if (!into->n || h->min < into->min)
		into->min = h->min;
	if (!into->n || h->max > into->max)
		into->max = h->max;
	into->n += h->n;
	into->sum += h->sum;
	for (i = 0; i < H_BUCKETS; i++)
		into->b[i] += h->b[i];
}

/* Nearest-rank percentile p (0..1) in us: the bucket's highest value, at most max. */
static long long hist_pct(const struct hist *h, double p)
{
	unsigned long long want, seen = 0;
	int i;

	if (!h->n)
		return 0;
	want = (unsigned long long)ceil(p * (double)h->n);
	if (want < 1)
		want = 1;
	for (i = 0; i < H_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			long long v = hist_upper(i);

			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

/* ------------------------------------------------------------ outcomes, classes */

enum al_outcome {
	O_OK = 0,
	O_REFUSED,
	O_HTTP_503,
	O_TIMEOUT,
	O_ERROR,
	O__MAX,
};

static const char *const outcome_names[O__MAX] = {
	[O_OK] = "ok",
	[O_REFUSED] = "refused",
	[O_HTTP_503] = "http_503",
	[O_TIMEOUT] = "timeout",
	[O_ERROR] = "error",
};

enum al_class { C_NORMAL = 0, C_ABUSIVE, C__MAX };
static const char *const class_names[C__MAX] = { "normal", "abusive" };

struct al_stats {
	unsigned long long started;	/* measured requests */
	unsigned long long n[O__MAX];
	unsigned long long timeout_connect, error_connect, not_started;
	unsigned long long unmeasured;	/* run in warmup or after T */
	unsigned long long ok_in_window;	/* ok answers that arrived in [warmup, T) */
	struct hist h[O__MAX];
	struct hist admitted;		/* ok, and timeouts and errors after the handshake */
};

static struct al_stats stats[C__MAX];
/* How late requests started against their schedule: the generator's own lag. */
static struct hist start_lag;

struct al_tick {	/* outcomes completed in one second of the run */
	unsigned int ok[C__MAX], rejected, failed;
};
static struct al_tick *timeline;
static int timeline_len;

static struct {
	int err;
	unsigned long long n;
} errnos[AL_MAX_ERRNOS];
static unsigned long long status_count[AL_MAX_STATUS];

/* ------------------------------------------------------------ options */

struct al_source {
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned long long n, ok;	/* measured requests from this source */
};

static struct {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	const char *dst_text;
	struct al_source *src;
	int n_src, n_abusive;
	long users, abusive_users;
	double rate, abusive_rate;
	int poisson;
	long think_ms, ramp_ms;
	long reqs_per_conn;
	long hold_ms;
	int line;
	const char *path;
	double seconds, warmup;
	long timeout_ms;
	long max_inflight;
	long long max_requests;
	long max_seconds;
	unsigned long long seed;
	const char *out;
	int quiet;
} opt = {
	.abusive_users = -1,
	.think_ms = AL_DEFAULT_THINK_MS,
	.ramp_ms = AL_DEFAULT_RAMP_MS,
	.reqs_per_conn = 1,
	.path = "/",
	.seconds = AL_DEFAULT_SECONDS,
	.timeout_ms = AL_DEFAULT_TIMEOUT_MS,
	.max_requests = 100000000LL,
	.seed = 1,
};

/* ------------------------------------------------------------ slots */

enum al_state {
	S_FREE = 0,	/* open-loop pool: unused */
	S_THINK,	/* closed loop: waiting to start (timer), no connection */
	S_IDLE,		/* closed loop, keep-alive: thinking on an open connection */
	S_CONNECTING,	/* handshake in progress (timer: deadline) */
	S_RESPONSE,	/* request sent, reading the response (timer: deadline) */
	S_HOLD,		/* hold mode: connected, holding (timer: end of hold) */
	S_DONE,		/* closed loop: the run is over for this user */
};

enum rx_state {
	RX_HEAD = 0,
	RX_BODY_LEN,
	RX_BODY_EOF,
	RX_CHUNK_SIZE,
	RX_CHUNK_EXT,
	RX_CHUNK_DATA,
	RX_CHUNK_DATA_END,
	RX_TRAILER,
	RX_TRAILER_LINE,
	RX_DONE,
};

struct al_slot {
	int fd;
	unsigned int gen;	/* tells stale epoll events apart */
	unsigned char state;
	unsigned char klass;
	unsigned char closed_loop;	/* a user (else an open-loop arrival) */
	unsigned char measured;		/* the request in flight is measured */
	unsigned char connected;	/* the current request saw a handshake */
	int src;
	int heap_pos;			/* in the timer heap, or -1 */
	long long timer;		/* heap key, us */
	long long origin;		/* latency origin of the request in flight */
	long long connected_at;
	long reqs_left;			/* requests still to send on this connection */
	/* response parser */
	unsigned char rx;
	unsigned char rx_close;		/* the server will close after this response */
	int status;
	long long remaining;		/* body bytes, or chunk bytes */
	int hlen;
	char *head;
};

static struct al_slot *slots;
static long n_slots;
static int *free_stack;			/* open-loop pool */
static long n_free;

/* Timer heap: slot indices ordered by slot.timer. */
static int *heap;
static long heap_n;

static int ep = -1;
static long long t0, t_warm, t_stop, t_hard;
static long long started_total;
static long in_flight;
static unsigned long long rng_state;

/* open loop */
static long long next_arrival;		/* scheduled time of the next arrival */
static unsigned long long arrival_k;	/* arrivals so far */
/* abusive pacing */
static long long abuse_next;

static char req_keep[AL_REQ_MAX], req_close[AL_REQ_MAX];
static size_t req_keep_len, req_close_len;

/* CPU */
struct cpu_sample {
	unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
	int ok;
};
static struct cpu_sample cpu_a, cpu_b;

/* xorshift64*: uniform in (0, 1). */
static double rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * 2685821657736338717ULL >> 11) + 0.5) / 9007199254740992.0;
}

static long long exp_us(double mean_us)
{
	return (long long)(-mean_us * log(rnd()));
}

static void cpu_read(struct cpu_sample *c)
{
	FILE *f = fopen("/proc/stat", "r");

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	c->ok = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &c->user,
		       &c->nice, &c->system, &c->idle, &c->iowait, &c->irq,
		       &c->softirq, &c->steal) == 8;
	fclose(f);
}

/* ------------------------------------------------------------ timer heap */

static int heap_less(long a, long b)
{
	return slots[heap[a]].timer < slots[heap[b]].timer;
}

static void heap_swap(long a, long b)
{
	int t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	slots[heap[a]].heap_pos = (int)a;
	slots[heap[b]].heap_pos = (int)b;
}

static void heap_up(long i)
{
	while (i > 0 && heap_less(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(long i)
{
	for (;;) {
		long l = 2 * i + 1, r = l + 1, m = i;

		if (l < heap_n && heap_less(l, m))
			m = l;
		if (r < heap_n && heap_less(r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

static void timer_set(struct al_slot *s, long long at)
{
	long i;

	s->timer = at;
	if (s->heap_pos < 0) {
		i = heap_n++;
		heap[i] = (int)(s - slots);
		s->heap_pos = (int)i;
		heap_up(i);
		return;
	}
	heap_up(s->heap_pos);
	heap_down(s->heap_pos);
}

static void timer_clear(struct al_slot *s)
{
	long i = s->heap_pos;

	if (i < 0)
		return;
	s->heap_pos = -1;
	heap_n--;
	if (i == heap_n)
		return;
	heap[i] = heap[heap_n];
	slots[heap[i]].heap_pos = (int)i;
	heap_up(i);
	heap_down(slots[heap[i]].heap_pos);
}

/* ------------------------------------------------------------ recording */

static void note_errno(int err)
{
	int i;

	for (i = 0; i < AL_MAX_ERRNOS; i++) {
		if (errnos[i].n && errnos[i].err != err)
			continue;
		errnos[i].err = err;
		errnos[i].n++;
		return;
	}
}

static void tick(int klass, enum al_outcome o, long long at)
{
	long sec = (long)((at - t0) / US_PER_S);
	struct al_tick *t;

	if (sec < 0 || sec >= timeline_len)
		return;
	t = &timeline[sec];
	if (o == O_OK)
		t->ok[klass]++;
	else if (o == O_REFUSED || o == O_HTTP_503)
		t->rejected++;
	else
		t->failed++;
}

/*
 * Count one outcome of class klass from source src with latency us.
 * connected: the request got past the handshake (for the admitted split).
 */
static void record(int klass, int src, int measured, enum al_outcome o,
		   long long us, int connected, int err, long long at)
{
	struct al_stats *st = &stats[klass];

	tick(klass, o, at);
	if (o == O_ERROR && err)
		note_errno(err);
	if (o == O_OK && at >= t_warm && at < t_stop)
		st->ok_in_window++;
	if (!measured) {
		st->unmeasured++;
		return;
	}
	st->started++;
	st->n[o]++;
	hist_add(&st->h[o], us);
	if (o == O_OK || ((o == O_TIMEOUT || o == O_ERROR) && connected))
		hist_add(&st->admitted, us);
	if (o == O_TIMEOUT && !connected)
		st->timeout_connect++;
	if (o == O_ERROR && !connected)
		st->error_connect++;
	opt.src[src].n++;
	if (o == O_OK)
		opt.src[src].ok++;
}

/* ------------------------------------------------------------ requests */

static void slot_close(struct al_slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->gen++;
}

static unsigned long long slot_cookie(const struct al_slot *s)
{
	return (unsigned long long)s->gen << 32 | (unsigned int)(s - slots);
}

static void user_next(struct al_slot *s, long long now);
static void request_begin(struct al_slot *s, long long origin, long long now);

/*
 * The request in flight on s ended with outcome o at time now. keep: the
 * connection may carry the next request. Then the slot moves on: a user
 * thinks, an arrival sends its next request or returns to the pool.
 */
static void request_end(struct al_slot *s, enum al_outcome o, long long now,
			int err, int keep)
{
	long long us = now - s->origin;

	if (o == O_OK && opt.hold_ms)
		us = s->connected_at - s->origin;
	record(s->klass, s->src, s->measured, o, us, s->connected, err, now);
	in_flight--;
	timer_clear(s);
	if (!keep || s->reqs_left <= 0)
		slot_close(s);
	if (s->closed_loop) {
		user_next(s, now);
		return;
	}
	if (s->fd >= 0 && s->reqs_left > 0 && !tool_stop && now < t_stop) {
		request_begin(s, now, now);
		return;
	}
	slot_close(s);
	s->state = S_FREE;
	free_stack[n_free++] = (int)(s - slots);
}

/* Fail the request on s before or during connect (local failure). */
static void request_fail_now(struct al_slot *s, int err, long long now)
{
	if (err == ECONNREFUSED)
		request_end(s, O_REFUSED, now, 0, 0);
	else
		request_end(s, O_ERROR, now, err, 0);
}

static int send_request(struct al_slot *s)
{
	const char *req;
	size_t len;
	ssize_t n;

	s->reqs_left--;
	if (opt.line) {
		req = "probe\n";
		len = 6;
	} else if (s->reqs_left > 0) {
		req = req_keep;
		len = req_keep_len;
	} else {
		req = req_close;
		len = req_close_len;
	}
	/* A few hundred bytes into a fresh socket buffer: all or nothing. */
	n = write(s->fd, req, len);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? errno : EMSGSIZE;
}

static void rx_reset(struct al_slot *s)
{
	s->rx = RX_HEAD;
	s->rx_close = 0;
	s->status = 0;
	s->remaining = 0;
	s->hlen = 0;
}

/*
 * Start a request on s whose latency and deadline count from origin: on
 * its open keep-alive connection, or on a new one.
 */
static void request_begin(struct al_slot *s, long long origin, long long now)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP };
	struct al_source *src = &opt.src[s->src];
	int one = 1, err;

	started_total++;
	in_flight++;
	s->origin = origin;
	s->measured = origin >= t_warm && origin < t_stop;
	if (s->measured)
		hist_add(&start_lag, now - origin);
	rx_reset(s);
	timer_set(s, origin + opt.timeout_ms * US_PER_MS);
	if (s->fd >= 0) {	/* keep-alive: the handshake is behind us */
		s->connected = 1;
		s->state = S_RESPONSE;
		err = send_request(s);
		if (err)
			request_end(s, O_ERROR, now, err, 0);
		return;
	}
	s->connected = 0;
	s->state = S_CONNECTING;
	s->reqs_left = opt.reqs_per_conn;
	s->fd = socket(opt.dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		request_fail_now(s, errno, now);
		return;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Choose the port at connect(), not bind(): no early exhaustion. */
	setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&src->ss, src->len)) {
		request_fail_now(s, errno, now);
		return;
	}
	if (connect(s->fd, (struct sockaddr *)&opt.dst, opt.dst_len) &&
	    errno != EINPROGRESS) {
		request_fail_now(s, errno, tool_now_us());
		return;
	}
	ev.data.u64 = slot_cookie(s);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev))
		request_fail_now(s, errno, now);
}

/*
 * A closed-loop user finished a request (or is starting): think, then go
 * again; or stop when the load phase is over.
 */
static void user_next(struct al_slot *s, long long now)
{
	long long at;

	if (now >= t_stop || started_total >= opt.max_requests || tool_stop) {
		slot_close(s);
		timer_clear(s);
		s->state = S_DONE;
		return;
	}
	if (s->klass == C_ABUSIVE) {
		at = now;	/* no think time */
		if (opt.abusive_rate > 0) {
			if (abuse_next > at)
				at = abuse_next;
			abuse_next = at + (long long)(US_PER_S / opt.abusive_rate);
		}
	} else {
		at = now + (opt.think_ms ? exp_us(opt.think_ms * (double)US_PER_MS) : 0);
	}
	/* Never due in this pass of the timer loop: no spinning on instant failures. */
	if (at <= now)
		at = now + 1;
	s->state = s->fd >= 0 ? S_IDLE : S_THINK;
	timer_set(s, at);
}

/* ------------------------------------------------------------ response parsing */

/*
 * The head (hlen bytes, ending in CRLFCRLF) is complete: status and body
 * framing. Returns 0, or -1 if it is not an HTTP/1.x response.
 */
static int parse_head(struct al_slot *s)
{
	const char *v;
	size_t len;
	int minor;
	char *end;

	s->head[s->hlen] = '\0';
	if (strncmp(s->head, "HTTP/1.", 7) || !(s->head[7] == '0' || s->head[7] == '1') ||
	    s->head[8] != ' ')
		return -1;
	minor = s->head[7] - '0';
	s->status = (int)strtol(s->head + 9, &end, 10);
	if (end != s->head + 12 || s->status < 100 || s->status >= AL_MAX_STATUS)
		return -1;
	v = tool_header_value(s->head, "connection", &len);
	s->rx_close = minor == 0 ? !(v && tool_has_token(v, len, "keep-alive"))
				 : (v && tool_has_token(v, len, "close"));
	if ((s->status >= 100 && s->status < 200) || s->status == 204 || s->status == 304) {
		s->rx = RX_DONE;
		return 0;
	}
	v = tool_header_value(s->head, "transfer-encoding", &len);
	if (v && tool_has_token(v, len, "chunked")) {
		s->rx = RX_CHUNK_SIZE;
		s->remaining = 0;
		return 0;
	}
	v = tool_header_value(s->head, "content-length", &len);
	if (v) {
		s->remaining = strtoll(v, &end, 10);
		if (end == v || s->remaining < 0)
			return -1;
		s->rx = s->remaining ? RX_BODY_LEN : RX_DONE;
		return 0;
	}
	s->rx = RX_BODY_EOF;	/* until the server closes */
	s->rx_close = 1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Body bytes p[0..n-1]. Returns -1 on a malformed chunked body, else 0. */
static int feed_body(struct al_slot *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && s->rx != RX_DONE) {
		char c = p[i];
		size_t take;

		switch (s->rx) {
		case RX_BODY_LEN:
		case RX_CHUNK_DATA:
			take = n - i;
			if ((long long)take > s->remaining)
				take = (size_t)s->remaining;
			s->remaining -= (long long)take;
			i += take;
			if (!s->remaining)
				s->rx = s->rx == RX_BODY_LEN ? RX_DONE : RX_CHUNK_DATA_END;
			continue;
		case RX_BODY_EOF:
			return 0;
		case RX_CHUNK_SIZE:
			if (hexval(c) >= 0) {
				if (s->remaining > (1LL << 40))
					return -1;
				s->remaining = s->remaining * 16 + hexval(c);
			} else if (c == ';' || c == ' ' || c == '\t') {
				s->rx = RX_CHUNK_EXT;
			} else if (c == '\n') {
				s->rx = s->remaining ? RX_CHUNK_DATA : RX_TRAILER;
			} else if (c != '\r') {
				return -1;
			}
			break;
		case RX_CHUNK_EXT:
			if (c == '\n')
				s->rx = s->remaining ? RX_CHUNK_DATA : RX_TRAILER;
			break;
		case RX_CHUNK_DATA_END:
			if (c == '\n') {
				s->rx = RX_CHUNK_SIZE;
				s->remaining = 0;
			} else if (c != '\r') {
				return -1;
			}
			break;
		case RX_TRAILER:	/* at the start of a trailer line */
			if (c == '\n')
				s->rx = RX_DONE;
			else if (c != '\r')
				s->rx = RX_TRAILER_LINE;
			break;
		case RX_TRAILER_LINE:
			if (c == '\n')
				s->rx = RX_TRAILER;
			break;
		default:
			return -1;
		}
		i++;
	}
	return 0;
}

/*
 * Response bytes p[0..n-1] on s. Returns 1 when the response is complete
 * (or its outcome is known: a 503), 0 for more, -1 on a malformed one.
 */
static int feed(struct al_slot *s, const char *p, size_t n)
{
	if (s->rx == RX_HEAD) {
		size_t room = AL_HEAD_MAX - 1 - s->hlen, take = n < room ? n : room;
		int from = s->hlen > 3 ? s->hlen - 3 : 0;
		char *end;

		memcpy(s->head + s->hlen, p, take);
		s->hlen += (int)take;
		end = memmem(s->head + from, s->hlen - from, "\r\n\r\n", 4);
		if (!end)
			return take < n || s->hlen >= AL_HEAD_MAX - 1 ? -1 : 0;
		take -= (size_t)(s->hlen - (end + 4 - s->head));	/* body bytes in p */
		s->hlen = (int)(end + 4 - s->head);
		if (parse_head(s))
			return -1;
		if (s->status == 503)
			return 1;
		p += take;
		n -= take;
	}
	if (feed_body(s, p, n))
		return -1;
	return s->rx == RX_DONE;
}

static enum al_outcome status_outcome(int status)
{
	if (status >= 200 && status < 300)
		return O_OK;
	return status == 503 ? O_HTTP_503 : O_ERROR;
}

/* The response on s is complete (or decided). */
static void response_done(struct al_slot *s, long long now)
{
	enum al_outcome o = status_outcome(s->status);

	status_count[s->status]++;
	request_end(s, o, now, o == O_ERROR ? EPROTO : 0,
		    o == O_OK && !s->rx_close && s->rx == RX_DONE);
}

/* ------------------------------------------------------------ events */

static void on_connected(struct al_slot *s, long long now)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	socklen_t el = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		if (err == ETIMEDOUT)
			request_end(s, O_TIMEOUT, now, 0, 0);
		else
			request_fail_now(s, err, now);
		return;
	}
	s->connected = 1;
	s->connected_at = now;
	ev.data.u64 = slot_cookie(s);
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev)) {
		request_end(s, O_ERROR, now, errno, 0);
		return;
	}
	if (opt.hold_ms) {
		s->state = S_HOLD;
		timer_set(s, now + opt.hold_ms * US_PER_MS);
		return;
	}
	s->state = S_RESPONSE;
	err = send_request(s);
	if (err)
		request_end(s, O_ERROR, now, err, 0);
}

static void on_readable(struct al_slot *s, long long now)
{
	char buf[16384];
	ssize_t n;
	int r;

	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			if (s->state == S_HOLD)
				continue;	/* holding: discard */
			if (opt.line) {
				s->status = 200;
				s->rx = RX_DONE;
				s->rx_close = 1;
				response_done(s, now);
				return;
			}
			r = feed(s, buf, (size_t)n);
			if (r < 0) {
				request_end(s, O_ERROR, now, EBADMSG, 0);
				return;
			}
			if (r > 0) {
				response_done(s, now);
				return;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && s->state == S_RESPONSE && s->rx == RX_BODY_EOF) {
			s->rx = RX_DONE;
			response_done(s, now);
			return;
		}
		/* EOF before the response / during the hold, or a reset. */
		request_end(s, O_ERROR, now, n < 0 ? errno : ECONNABORTED, 0);
		return;
	}
}

static void on_event(struct al_slot *s, unsigned int events, long long now)
{
	switch (s->state) {
	case S_CONNECTING:
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			on_connected(s, now);
		if (s->state != S_RESPONSE && s->state != S_HOLD)
			return;
		if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
			return;
		on_readable(s, now);
		return;
	case S_RESPONSE:
	case S_HOLD:
		on_readable(s, now);
		return;
	case S_IDLE:
		/* The server closed the idle keep-alive connection: reconnect next time. */
		slot_close(s);
		s->state = S_THINK;
		return;
	default:
		return;
	}
}

/* A slot's timer fired at now. */
static void on_timer(struct al_slot *s, long long now)
{
	long long at = s->timer;

	switch (s->state) {
	case S_THINK:
	case S_IDLE:
		if (now >= t_stop || started_total >= opt.max_requests || tool_stop) {
			user_next(s, now);
			return;
		}
		request_begin(s, at, now);
		return;
	case S_CONNECTING:
	case S_RESPONSE:
		request_end(s, O_TIMEOUT, now, 0, 0);
		return;
	case S_HOLD:
		request_end(s, O_OK, now, 0, 0);
		return;
	default:
		timer_clear(s);
		return;
	}
}

/* ------------------------------------------------------------ open loop */

static void arrival_advance(void)
{
	arrival_k++;
	if (opt.poisson)
		next_arrival += exp_us(US_PER_S / opt.rate);
	else
		next_arrival = t0 + (long long)((double)arrival_k * US_PER_S / opt.rate);
}

/* Start every arrival that is due and has a free slot. */
static void arrivals_pump(long long now)
{
	long n_normal = opt.n_src - opt.n_abusive;

	while (opt.rate > 0 && next_arrival <= now && next_arrival < t_stop &&
	       started_total < opt.max_requests && !tool_stop) {
		int src = (int)(arrival_k % (unsigned long long)n_normal);
		long long deadline = next_arrival + opt.timeout_ms * US_PER_MS;

		if (deadline <= now) {
			/* Could not start before its timeout: the generator's limit. */
			int measured = next_arrival >= t_warm;

			record(C_NORMAL, src, measured, O_TIMEOUT, deadline - next_arrival, 0, 0, now);
			if (measured)
				stats[C_NORMAL].not_started++;
			started_total++;
			arrival_advance();
			continue;
		}
		if (!n_free)
			return;
		{
			struct al_slot *s = &slots[free_stack[--n_free]];

			s->src = src;
			request_begin(s, next_arrival, now);
		}
		arrival_advance();
	}
}

/* ------------------------------------------------------------ setup */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: admload -d ADDR:PORT -s SRC... (-u USERS [--think-ms MS] | -r RATE [--poisson])\n"
		"               [--abusive-sources N [--abusive-users M] [--abusive-rate R]]\n"
		"               [-k REQS | --hold-ms MS] [--proto http|line] [--path P]\n"
		"               [-T SECONDS] [--warmup SECONDS] [-t TIMEOUT_MS] [--max-inflight N]\n"
		"               [-n MAX_REQUESTS] [--max-seconds N] [--ramp-ms MS] [--seed N]\n"
		"               [-o FILE] [-q]\n"
		"  -s SRC            address, IPv4 range A-B, or IPv4 prefix A/N (repeat)\n"
		"  -u USERS          closed loop: users (think, request, repeat)\n"
		"  -r RATE           open loop: arrivals per second (latency from the schedule)\n"
		"  --abusive-sources N  the last N sources are abusive (no think time)\n"
		"  --abusive-users M    users on them (default %d per abusive source)\n"
		"  --abusive-rate R     cap on their requests per second (default none)\n"
		"  -k REQS           requests per connection (keep-alive; default 1)\n"
		"  --hold-ms MS      hold mode: connect and hold MS ms\n"
		"  -T SECONDS        load phase (default %d); --warmup: not measured (default 0)\n"
		"  -t TIMEOUT_MS     per request (default %d)\n"
		"See the comment at the top of admload.c for outcomes and bounds.\n",
		AL_DEFAULT_ABUSE_USERS, AL_DEFAULT_SECONDS, AL_DEFAULT_TIMEOUT_MS);
}

static int add_source_v4(uint32_t host_order)
{
	struct sockaddr_in *a;

	if (opt.n_src >= AL_MAX_SOURCES) {
		fprintf(stderr, "admload: at most %d sources\n", AL_MAX_SOURCES);
		return -1;
	}
	a = (struct sockaddr_in *)&opt.src[opt.n_src].ss;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(host_order);
	opt.src[opt.n_src].len = sizeof(*a);
	opt.n_src++;
	return 0;
}

/* -s: ADDR, IPv4 FIRST-LAST, or IPv4 PREFIX/N (its host addresses). */
static int parse_source(const char *arg)
{
	char a[INET6_ADDRSTRLEN + 8], *sep;
	struct in_addr x, y;
	uint32_t lo, hi, v;
	long bits;

	if (strlen(arg) >= sizeof(a))
		goto bad;
	strcpy(a, arg);
	if ((sep = strchr(a, '-'))) {
		*sep = '\0';
		if (inet_pton(AF_INET, a, &x) != 1 || inet_pton(AF_INET, sep + 1, &y) != 1)
			goto bad;
		lo = ntohl(x.s_addr);
		hi = ntohl(y.s_addr);
		if (hi < lo || hi - lo >= AL_MAX_SOURCES)
			goto bad;
	} else if ((sep = strchr(a, '/'))) {
		*sep = '\0';
		if (inet_pton(AF_INET, a, &x) != 1 ||
		    tool_parse_long("admload", "-s prefix length", sep + 1, 16, 32, &bits))
			goto bad;
		lo = ntohl(x.s_addr) & (bits ? ~0u << (32 - bits) : 0);
		hi = lo | ~(bits ? ~0u << (32 - bits) : 0);
		if (bits <= 30) {	/* without the network and broadcast addresses */
			lo++;
			hi--;
		}
	} else {
		struct al_source *s = &opt.src[opt.n_src];

		if (opt.n_src >= AL_MAX_SOURCES || tool_parse_addr(a, 0, &s->ss, &s->len))
			goto bad;
		opt.n_src++;
		return 0;
	}
	for (v = lo;; v++) {
		if (add_source_v4(v))
			return -1;
		if (v == hi)
			break;
	}
	return 0;
bad:
	fprintf(stderr, "admload: -s '%s' is not ADDR, IPv4 FIRST-LAST or IPv4 PREFIX/16..32\n", arg);
	return -1;
}

/* ------------------------------------------------------------ report */

static void json_hist(FILE *f, const char *name, const struct hist *h, int comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", name);
	if (!h->n) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"n\":%llu,\"mean\":%.3f,\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,"
		"\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
		h->n, (double)(h->sum / h->n) / 1000.0, h->min / 1000.0,
		hist_pct(h, 0.50) / 1000.0, hist_pct(h, 0.90) / 1000.0,
		hist_pct(h, 0.99) / 1000.0, hist_pct(h, 0.999) / 1000.0, h->max / 1000.0);
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * ok per source among the sources of class klass that sent measured
 * requests: how many were served at all, min/median/max, and Jain's
 * fairness index (1: every source served alike).
 */
static void json_fairness(FILE *f, int klass)
{
	int first = klass == C_NORMAL ? 0 : opt.n_src - opt.n_abusive;
	int last = klass == C_NORMAL ? opt.n_src - opt.n_abusive : opt.n_src;
	unsigned long long *v = calloc(opt.n_src, sizeof(*v));
	long double sum = 0, sq = 0;
	int i, n = 0, served = 0;

	if (!v) {
		fprintf(f, "null");
		return;
	}
	for (i = first; i < last; i++) {
		if (!opt.src[i].n)
			continue;
		v[n++] = opt.src[i].ok;
		served += opt.src[i].ok > 0;
		sum += opt.src[i].ok;
		sq += (long double)opt.src[i].ok * opt.src[i].ok;
	}
	if (!n) {
		fprintf(f, "null");
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_ull);
	fprintf(f, "{\"sources\":%d,\"served\":%d,\"min\":%llu,\"p50\":%llu,\"max\":%llu,"
		"\"jain\":%.4f}", n, served, v[0], v[(n - 1) / 2], v[n - 1],
		sq > 0 ? (double)(sum * sum / (n * sq)) : 1.0);
	free(v);
}

/* Admitted: the server took the request (ok, or a timeout or error after the handshake). */
static unsigned long long class_admitted(const struct al_stats *st)
{
	return st->admitted.n;
}

static void json_class(FILE *f, const char *name, const struct al_stats *st,
		       int klass, double measured_s, int comma)
{
	static struct hist rej;
	unsigned long long admitted = class_admitted(st);
	int o;

	memset(&rej, 0, sizeof(rej));
	hist_merge(&rej, &st->h[O_REFUSED]);
	hist_merge(&rej, &st->h[O_HTTP_503]);
	fprintf(f, "%s\"%s\":{\"requests\":%llu", comma ? "," : "", name, st->started);
	for (o = 0; o < O__MAX; o++)
		fprintf(f, ",\"%s\":%llu", outcome_names[o], st->n[o]);
	fprintf(f, ",\"timeout_connect\":%llu,\"error_connect\":%llu,\"not_started\":%llu,"
		"\"unmeasured\":%llu,\"admitted\":%llu,\"rejected\":%llu,"
		"\"ok_per_s\":%.2f,\"admitted_pct\":%.2f,\"success_of_admitted_pct\":%.2f,"
		"\"success_pct\":%.2f",
		st->timeout_connect, st->error_connect, st->not_started, st->unmeasured,
		admitted, st->n[O_REFUSED] + st->n[O_HTTP_503],
		measured_s > 0 ? st->ok_in_window / measured_s : 0.0,
		st->started ? 100.0 * admitted / st->started : 0.0,
		admitted ? 100.0 * st->n[O_OK] / admitted : 0.0,
		st->started ? 100.0 * st->n[O_OK] / st->started : 0.0);
	fprintf(f, ",\"latency_ms\":{");
	for (o = 0; o < O__MAX; o++)
		json_hist(f, outcome_names[o], &st->h[o], o);
	json_hist(f, "admitted", &st->admitted, 1);
	json_hist(f, "rejected", &rej, 1);
	fprintf(f, "},\"ok_per_source\":");
	if (klass >= 0)
		json_fairness(f, klass);
	else
		fprintf(f, "null");
	fprintf(f, "}");
}

static double cpu_pct(unsigned long long part, unsigned long long total)
{
	return total ? 100.0 * part / total : 0.0;
}

static void report(FILE *f, double elapsed_s)
{
	static struct al_stats all;
	double measured_s = opt.seconds - opt.warmup;
	unsigned long long tot = 0;
	int c, o, i, comma;

	memset(&all, 0, sizeof(all));
	for (c = 0; c < C__MAX; c++) {
		all.started += stats[c].started;
		all.timeout_connect += stats[c].timeout_connect;
		all.error_connect += stats[c].error_connect;
		all.not_started += stats[c].not_started;
		all.unmeasured += stats[c].unmeasured;
		all.ok_in_window += stats[c].ok_in_window;
		for (o = 0; o < O__MAX; o++) {
			all.n[o] += stats[c].n[o];
			hist_merge(&all.h[o], &stats[c].h[o]);
		}
		hist_merge(&all.admitted, &stats[c].admitted);
	}
	fprintf(f, "{\"tool\":\"admload\",\"target\":\"%s\",\"mode\":\"%s\",\"users\":%ld,"
		"\"rate\":%.2f,\"poisson\":%s,\"think_ms\":%ld,\"requests_per_conn\":%ld,"
		"\"hold_ms\":%ld,\"proto\":\"%s\",\"timeout_ms\":%ld,\"seconds\":%.3f,"
		"\"warmup_s\":%.3f,\"measured_s\":%.3f,\"elapsed_s\":%.3f,\"max_inflight\":%ld,",
		opt.dst_text, opt.rate > 0 ? "open" : "closed", opt.users, opt.rate,
		opt.poisson ? "true" : "false", opt.think_ms, opt.reqs_per_conn, opt.hold_ms,
		opt.hold_ms ? "hold" : opt.line ? "line" : "http", opt.timeout_ms,
		opt.seconds, opt.warmup, measured_s, elapsed_s, opt.max_inflight);
	fprintf(f, "\"sources\":{\"normal\":%d,\"abusive\":%d},\"abusive_users\":%ld,"
		"\"abusive_rate\":%.2f,",
		opt.n_src - opt.n_abusive, opt.n_abusive, opt.abusive_users, opt.abusive_rate);
	if (cpu_a.ok && cpu_b.ok) {
		unsigned long long u = cpu_b.user + cpu_b.nice - cpu_a.user - cpu_a.nice;
		unsigned long long sy = cpu_b.system - cpu_a.system;
		unsigned long long irq = cpu_b.irq - cpu_a.irq;
		unsigned long long si = cpu_b.softirq - cpu_a.softirq;
		unsigned long long idle = cpu_b.idle + cpu_b.iowait - cpu_a.idle - cpu_a.iowait;
		unsigned long long st = cpu_b.steal - cpu_a.steal;

		tot = u + sy + irq + si + idle + st;
		fprintf(f, "\"cpu\":{\"ncpu\":%ld,\"busy_pct\":%.2f,\"user_pct\":%.2f,"
			"\"system_pct\":%.2f,\"softirq_pct\":%.2f,\"irq_pct\":%.2f},",
			sysconf(_SC_NPROCESSORS_ONLN), cpu_pct(tot - idle, tot), cpu_pct(u, tot),
			cpu_pct(sy, tot), cpu_pct(si, tot), cpu_pct(irq, tot));
	} else {
		fprintf(f, "\"cpu\":null,");
	}
	fprintf(f, "\"generator\":{");
	json_hist(f, "start_lag_ms", &start_lag, 0);
	fprintf(f, "},\"classes\":{");
	json_class(f, "normal", &stats[C_NORMAL], C_NORMAL, measured_s, 0);
	json_class(f, "abusive", &stats[C_ABUSIVE], C_ABUSIVE, measured_s, 1);
	json_class(f, "all", &all, -1, measured_s, 1);
	fprintf(f, "},\"http_status\":{");
	for (i = 0, comma = 0; i < AL_MAX_STATUS; i++) {
		if (!status_count[i])
			continue;
		fprintf(f, "%s\"%d\":%llu", comma++ ? "," : "", i, status_count[i]);
	}
	fprintf(f, "},\"errors\":{");
	for (i = 0; i < AL_MAX_ERRNOS && errnos[i].n; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "",
			strerrorname_np(errnos[i].err) ? strerrorname_np(errnos[i].err) : "?",
			errnos[i].n);
	fprintf(f, "},\"timeline\":[");
	for (i = 0; i < timeline_len && i < (int)ceil(elapsed_s); i++)
		fprintf(f, "%s{\"s\":%d,\"ok\":%u,\"ok_abusive\":%u,\"rejected\":%u,\"failed\":%u}",
			i ? "," : "", i, timeline[i].ok[C_NORMAL], timeline[i].ok[C_ABUSIVE],
			timeline[i].rejected, timeline[i].failed);
	fprintf(f, "]}\n");
}

static void summary(double elapsed_s)
{
	double measured_s = opt.seconds - opt.warmup;
	int c;

	for (c = 0; c < C__MAX; c++) {
		const struct al_stats *st = &stats[c];

		if (!st->started)
			continue;
		fprintf(stderr, "admload: %-7s requests=%llu ok=%llu refused=%llu http_503=%llu "
			"timeout=%llu error=%llu ok/s=%.1f ok p50=%.1f p99=%.1f ms\n",
			class_names[c], st->started, st->n[O_OK], st->n[O_REFUSED],
			st->n[O_HTTP_503], st->n[O_TIMEOUT], st->n[O_ERROR],
			measured_s > 0 ? st->ok_in_window / measured_s : 0.0,
			hist_pct(&st->h[O_OK], 0.5) / 1000.0, hist_pct(&st->h[O_OK], 0.99) / 1000.0);
	}
	fprintf(stderr, "admload: %.1f s\n", elapsed_s);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	enum {
		OPT_THINK = 256, OPT_POISSON, OPT_AB_SRC, OPT_AB_USERS, OPT_AB_RATE,
		OPT_HOLD, OPT_PROTO, OPT_PATH, OPT_WARMUP, OPT_INFLIGHT, OPT_MAXSEC,
		OPT_RAMP, OPT_SEED,
	};
	static const struct option lopts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "users", required_argument, NULL, 'u' },
		{ "rate", required_argument, NULL, 'r' },
		{ "think-ms", required_argument, NULL, OPT_THINK },
		{ "poisson", no_argument, NULL, OPT_POISSON },
		{ "abusive-sources", required_argument, NULL, OPT_AB_SRC },
		{ "abusive-users", required_argument, NULL, OPT_AB_USERS },
		{ "abusive-rate", required_argument, NULL, OPT_AB_RATE },
		{ "requests-per-conn", required_argument, NULL, 'k' },
		{ "hold-ms", required_argument, NULL, OPT_HOLD },
		{ "proto", required_argument, NULL, OPT_PROTO },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "seconds", required_argument, NULL, 'T' },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "max-inflight", required_argument, NULL, OPT_INFLIGHT },
		{ "max-requests", required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, OPT_MAXSEC },
		{ "ramp-ms", required_argument, NULL, OPT_RAMP },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct epoll_event evs[AL_MAX_EVENTS];
	long n_open = 0, i, l;
	long long now;
	double d;
	rlim_t nofile;
	FILE *out = stdout;
	int rc = 1, c, cpu_phase = 0, stopped = 0;

	opt.src = calloc(AL_MAX_SOURCES, sizeof(*opt.src));
	if (!opt.src) {
		fprintf(stderr, "admload: out of memory\n");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "d:s:u:r:k:T:t:n:o:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.dst_text = optarg;
			if (tool_parse_addr_port("admload", optarg, 1, &opt.dst, &opt.dst_len)) {
				fprintf(stderr, "admload: -d '%s' is not ADDR:PORT "
					"(10.77.0.1:8080 or [fd77::1]:8080)\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_source(optarg))
				return 2;
			break;
		case 'u':
			if (tool_parse_long("admload", "-u", optarg, 0, AL_MAX_SLOTS, &opt.users))
				return 2;
			break;
		case 'r':
			if (tool_parse_double("admload", "-r", optarg, 0.001, 1e6, &opt.rate))
				return 2;
			break;
		case OPT_THINK:
			if (tool_parse_long("admload", "--think-ms", optarg,
					    0, 3600000, &opt.think_ms))
				return 2;
			break;
		case OPT_POISSON:
			opt.poisson = 1;
			break;
		case OPT_AB_SRC:
			if (tool_parse_long("admload", "--abusive-sources", optarg,
					    0, AL_MAX_SOURCES, &l))
				return 2;
			opt.n_abusive = (int)l;
			break;
		case OPT_AB_USERS:
			if (tool_parse_long("admload", "--abusive-users", optarg,
					    0, AL_MAX_SLOTS, &opt.abusive_users))
				return 2;
			break;
		case OPT_AB_RATE:
			if (tool_parse_double("admload", "--abusive-rate", optarg,
					      0, 1e6, &opt.abusive_rate))
				return 2;
			break;
		case 'k':
			if (tool_parse_long("admload", "-k", optarg,
					    1, 1000000, &opt.reqs_per_conn))
				return 2;
			break;
		case OPT_HOLD:
			if (tool_parse_long("admload", "--hold-ms", optarg,
					    1, 3600000, &opt.hold_ms))
				return 2;
			break;
		case OPT_PROTO:
			if (!strcmp(optarg, "line")) {
				opt.line = 1;
			} else if (strcmp(optarg, "http")) {
				fprintf(stderr, "admload: --proto wants http or line, got '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_PATH:
			if (optarg[0] != '/' || strlen(optarg) > 200 || strpbrk(optarg, " \r\n")) {
				fprintf(stderr, "admload: --path wants /..., at most 200 characters\n");
				return 2;
			}
			opt.path = optarg;
			break;
		case 'T':
			if (tool_parse_double("admload", "-T", optarg, 0.1, 3600, &opt.seconds))
				return 2;
			break;
		case OPT_WARMUP:
			if (tool_parse_double("admload", "--warmup", optarg, 0, 3600, &opt.warmup))
				return 2;
			break;
		case 't':
			if (tool_parse_long("admload", "-t", optarg, 1, 600000, &opt.timeout_ms))
				return 2;
			break;
		case OPT_INFLIGHT:
			if (tool_parse_long("admload", "--max-inflight", optarg,
					    1, AL_MAX_SLOTS, &opt.max_inflight))
				return 2;
			break;
		case 'n':
			if (tool_parse_double("admload", "-n", optarg, 1, 1e12, &d))
				return 2;
			opt.max_requests = (long long)d;
			break;
		case OPT_MAXSEC:
			if (tool_parse_long("admload", "--max-seconds", optarg,
					    1, 7200, &opt.max_seconds))
				return 2;
			break;
		case OPT_RAMP:
			if (tool_parse_long("admload", "--ramp-ms", optarg,
					    0, 3600000, &opt.ramp_ms))
				return 2;
			break;
		case OPT_SEED:
			if (tool_parse_double("admload", "--seed", optarg, 1, 1e18, &d))
				return 2;
			opt.seed = (unsigned long long)d;
			break;
		case 'o':
			opt.out = optarg;
			break;
		case 'q':
			opt.quiet = 1;
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
	if ((opt.users > 0) == (opt.rate > 0)) {
		fprintf(stderr, "admload: give either -u USERS (closed loop) or -r RATE (open loop)\n");
		return 2;
	}
	if (!opt.n_src || opt.n_abusive >= opt.n_src) {
		fprintf(stderr, "admload: need -s sources, at least one of them normal "
			"(%d given, %d abusive)\n", opt.n_src, opt.n_abusive);
		return 2;
	}
	for (i = 0; i < opt.n_src; i++) {
		if (opt.src[i].ss.ss_family != opt.dst.ss_family) {
			fprintf(stderr, "admload: source %ld and destination %s are not the same family\n",
				i, opt.dst_text);
			return 2;
		}
	}
	if (opt.warmup >= opt.seconds) {
		fprintf(stderr, "admload: --warmup %.1f leaves nothing of -T %.1f to measure\n",
			opt.warmup, opt.seconds);
		return 2;
	}
	if (opt.hold_ms && opt.reqs_per_conn > 1) {
		fprintf(stderr, "admload: --hold-ms and -k do not go together\n");
		return 2;
	}
	if (opt.abusive_users < 0)
		opt.abusive_users = opt.n_abusive * AL_DEFAULT_ABUSE_USERS;
	if (!opt.n_abusive)
		opt.abusive_users = 0;
	if (opt.rate > 0 && !opt.max_inflight)
		opt.max_inflight = (long)fmin(AL_MAX_SLOTS / 2,
					      fmax(64, opt.rate * opt.timeout_ms / 1000.0 * 1.1));
	if (!opt.max_seconds)
		opt.max_seconds = (long)ceil(opt.seconds) + (opt.timeout_ms + opt.hold_ms) / 1000 + 10;
	n_open = opt.rate > 0 ? opt.max_inflight : 0;
	n_slots = opt.users + opt.abusive_users + n_open;
	if (n_slots > AL_MAX_SLOTS) {
		fprintf(stderr, "admload: %ld users and connections in flight; at most %d\n",
			n_slots, AL_MAX_SLOTS);
		return 2;
	}

	/* One descriptor per slot: ask for the hard limit, then check. */
	nofile = tool_raise_nofile();
	if ((rlim_t)n_slots + AL_FD_RESERVE > nofile) {
		fprintf(stderr, "admload: %ld connections at once need more file descriptors than "
			"the limit %llu: lower -u/--max-inflight/--abusive-users or raise "
			"`ulimit -n`\n", n_slots, (unsigned long long)nofile);
		return 2;
	}
	tool_catch_stop();
	signal(SIGPIPE, SIG_IGN);
	if (opt.out) {
		out = fopen(opt.out, "w");
		if (!out) {
			fprintf(stderr, "admload: cannot write %s: %s\n", opt.out, strerror(errno));
			return 1;
		}
	}

	if (opt.line) {
		req_keep_len = req_close_len = 0;
	} else {
		char host[INET6_ADDRSTRLEN + 8];
		const char *colon = strrchr(opt.dst_text, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - opt.dst_text), opt.dst_text);
		req_keep_len = snprintf(req_keep, sizeof(req_keep),
					"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: admload\r\n"
					"Connection: keep-alive\r\n\r\n", opt.path, host);
		req_close_len = snprintf(req_close, sizeof(req_close),
					 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: admload\r\n"
					 "Connection: close\r\n\r\n", opt.path, host);
	}
	rng_state = opt.seed * 0x9E3779B97F4A7C15ULL | 1;
	timeline_len = (int)fmin(AL_MAX_TIMELINE, opt.max_seconds + 1);
	slots = calloc(n_slots ? n_slots : 1, sizeof(*slots));
	heap = calloc(n_slots ? n_slots : 1, sizeof(*heap));
	free_stack = calloc(n_open ? n_open : 1, sizeof(*free_stack));
	timeline = calloc(timeline_len, sizeof(*timeline));
	if (!slots || !heap || !free_stack || !timeline) {
		fprintf(stderr, "admload: out of memory\n");
		goto cleanup;
	}
	for (i = 0; i < n_slots; i++) {
		slots[i].fd = -1;
		slots[i].heap_pos = -1;
		slots[i].head = opt.line || opt.hold_ms ? NULL : malloc(AL_HEAD_MAX);
		if (!opt.line && !opt.hold_ms && !slots[i].head) {
			fprintf(stderr, "admload: out of memory\n");
			goto cleanup;
		}
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "admload: epoll_create1: %s\n", strerror(errno));
		goto cleanup;
	}

	t0 = tool_now_us();
	t_warm = t0 + (long long)(opt.warmup * US_PER_S);
	t_stop = t0 + (long long)(opt.seconds * US_PER_S);
	t_hard = t0 + opt.max_seconds * US_PER_S;
	next_arrival = t0;
	abuse_next = t0;
	if (!opt.warmup) {
		cpu_read(&cpu_a);
		cpu_phase = 1;
	}
	/* Users: normal ones first (source i % normal), then the abusive ones. */
	for (i = 0; i < opt.users + opt.abusive_users; i++) {
		struct al_slot *s = &slots[i];
		int normal = i < opt.users;
		long k = normal ? i : i - opt.users;

		s->closed_loop = 1;
		s->klass = normal ? C_NORMAL : C_ABUSIVE;
		s->src = normal ? (int)(k % (opt.n_src - opt.n_abusive))
				: opt.n_src - opt.n_abusive + (int)(k % opt.n_abusive);
		s->state = S_THINK;
		timer_set(s, t0 + (long long)(rnd() * opt.ramp_ms * US_PER_MS));
	}
	for (i = 0; i < n_open; i++) {
		struct al_slot *s = &slots[opt.users + opt.abusive_users + i];

		s->klass = C_NORMAL;
		free_stack[n_free++] = (int)(s - slots);
	}

	for (;;) {
		long long wake;
		struct timespec ts;
		int n, k;

		now = tool_now_us();
		if (tool_stop || now >= t_hard)
			break;
		if (cpu_phase == 0 && now >= t_warm) {
			cpu_read(&cpu_a);
			cpu_phase = 1;
		}
		if (cpu_phase == 1 && now >= t_stop) {
			cpu_read(&cpu_b);
			cpu_phase = 2;
		}
		arrivals_pump(now);
		while (heap_n && slots[heap[0]].timer <= now)
			on_timer(&slots[heap[0]], now);
		if (!stopped && (now >= t_stop || started_total >= opt.max_requests)) {
			/* The load phase is over: users still thinking stop here. */
			stopped = 1;
			for (i = 0; i < n_slots; i++)
				if (slots[i].state == S_THINK || slots[i].state == S_IDLE)
					user_next(&slots[i], now);
		}
		if (stopped && !in_flight &&
		    !(opt.rate > 0 && next_arrival < t_stop && started_total < opt.max_requests))
			break;

		wake = now + AL_MAX_WAIT_US;
		if (heap_n && slots[heap[0]].timer < wake)
			wake = slots[heap[0]].timer;
		if (opt.rate > 0 && n_free && next_arrival < wake && next_arrival < t_stop)
			wake = next_arrival;
		if (cpu_phase == 0 && t_warm < wake)
			wake = t_warm;
		if (cpu_phase == 1 && t_stop < wake)
			wake = t_stop;
		if (wake < now)
			wake = now;
		ts.tv_sec = (wake - now) / US_PER_S;
		ts.tv_nsec = (wake - now) % US_PER_S * 1000;
		n = epoll_pwait2(ep, evs, AL_MAX_EVENTS, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "admload: epoll_pwait2: %s\n", strerror(errno));
			goto cleanup;
		}
		now = tool_now_us();
		for (k = 0; k < n; k++) {
			unsigned int idx = (unsigned int)evs[k].data.u64;
			unsigned int gen = evs[k].data.u64 >> 32;
			struct al_slot *s;

			if (idx >= (unsigned long)n_slots)
				continue;
			s = &slots[idx];
			if (s->gen != gen || s->fd < 0)
				continue;
			on_event(s, evs[k].events, now);
		}
	}
	/*
	 * Bounded: whatever is still in flight when time is up is a timeout
	 * (a hold that lasted until now counts as held).
	 */
	now = tool_now_us();
	for (i = 0; i < n_slots; i++) {
		struct al_slot *s = &slots[i];

		if (s->state == S_CONNECTING || s->state == S_RESPONSE || s->state == S_HOLD)
			record(s->klass, s->src, s->measured,
			       s->state == S_HOLD ? O_OK : O_TIMEOUT,
			       s->state == S_HOLD ? s->connected_at - s->origin : now - s->origin,
			       s->connected, 0, now);
		slot_close(s);
		s->state = S_DONE;
	}
	if (cpu_phase == 1)
		cpu_read(&cpu_b);
	report(out, (now - t0) / (double)US_PER_S);
	if (!opt.quiet)
		summary((now - t0) / (double)US_PER_S);
	rc = 0;

cleanup:
	if (out && out != stdout && fclose(out) && !rc) {
		fprintf(stderr, "admload: writing %s: %s\n", opt.out, strerror(errno));
		rc = 1;
	}
	if (ep >= 0)
		close(ep);
	for (i = 0; slots && i < n_slots; i++)
		free(slots[i].head);
	free(slots);
	free(heap);
	free(free_stack);
	free(timeline);
	free(opt.src);
	return rc;
}
