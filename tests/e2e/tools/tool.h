/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tool.h: helpers shared by the e2e test tools (tcpprobe, tcphold, tcpsrv,
 * abortstorm, synflood) and the bench-only tools in tests/bench/tools
 * (admload, backend).
 *
 * Each tool is built from its one .c file, so this header is self-contained
 * and everything in it is `static inline`: a tool pays only for what it
 * uses, and what it does not use does not warn. A helper that prints takes
 * the tool's name first, so every message still names the tool it came
 * from ("tcpprobe: -n wants 1..1000000, got 'x'").
 */
#ifndef ADM_E2E_TOOL_H
#define ADM_E2E_TOOL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ stopping */

/* Set by SIGTERM/SIGINT once tool_catch_stop() (or signal()) installed
 * tool_on_signal; the tool's loops end when it is set. */
static volatile sig_atomic_t tool_stop __attribute__((unused));

/* Signal handler: only sets tool_stop. */
static inline void tool_on_signal(int sig)
{
	(void)sig;
	tool_stop = 1;
}

/* SIGTERM and SIGINT set tool_stop (sigaction, no SA_RESTART: a blocked
 * epoll_wait or nanosleep returns EINTR so the loop sees it at once). */
static inline void tool_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = tool_on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* ------------------------------------------------------------ clocks */

/* CLOCK_MONOTONIC in nanoseconds. */
static inline long long tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CLOCK_MONOTONIC in microseconds. */
static inline long long tool_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline long long tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ numbers */

/* Parse the decimal s of option opt into *out if it lies in [lo, hi].
 * Returns 0; or -1 with "TOOL: OPT wants LO..HI, got 'S'" on stderr and
 * *out untouched. */
static inline int tool_parse_long(const char *tool, const char *opt, const char *s,
				  long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "%s: %s wants %ld..%ld, got '%s'\n", tool, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* The same for a floating-point number (strtod syntax); NaN is refused. */
static inline int tool_parse_double(const char *tool, const char *opt, const char *s,
				    double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= lo && v <= hi)) {
		fprintf(stderr, "%s: %s wants %g..%g, got '%s'\n", tool, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ addresses */

/* Parse an IPv4 or IPv6 literal `host` with `port` into *ss and *len.
 * Returns 0, or -1 (no message) if host is neither; *ss is zeroed first. */
static inline int tool_parse_addr(const char *host, int port, struct sockaddr_storage *ss,
				  socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

/*
 * Parse "A.B.C.D:PORT" or "[V6]:PORT" (PORT in port_lo..65535) into *ss and
 * *len; "[v4]:port" and an unbracketed v6 are refused. Returns 0 or -1. The
 * caller reports a failure; only with tool non-NULL is a bad PORT also
 * reported as "TOOL: port wants PORT_LO..65535, got 'P'".
 */
static inline int tool_parse_addr_port(const char *tool, const char *s, long port_lo,
				       struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_s, *sep;
	int bracketed = s[0] == '[';
	size_t hl;
	char *end;
	long port;

	if (bracketed) {
		sep = strchr(s, ']');
		if (!sep || sep[1] != ':')
			return -1;
		hl = sep - s - 1;
		port_s = sep + 2;
		s++;
	} else {
		sep = strrchr(s, ':');
		if (!sep)
			return -1;
		hl = sep - s;
		port_s = sep + 1;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (tool) {
		if (tool_parse_long(tool, "port", port_s, port_lo, 65535, &port))
			return -1;
	} else {
		errno = 0;
		port = strtol(port_s, &end, 10);
		if (errno || *end || end == port_s || port < port_lo || port > 65535)
			return -1;
	}
	if (tool_parse_addr(host, (int)port, ss, len))
		return -1;
	return bracketed == (ss->ss_family == AF_INET6) ? 0 : -1;
}

/* ------------------------------------------------------------ files, limits */

/* Write `text` to path atomically (a temporary file renamed over it).
 * Returns 0, or -1 with errno set and no temporary file left behind. */
static inline int tool_write_file_atomic(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	if (fputs(text, f) < 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Raise the soft RLIMIT_NOFILE to the hard limit (best effort). Returns the
 * soft limit now in force, or RLIM_INFINITY if it cannot be read. */
static inline rlim_t tool_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return RLIM_INFINITY;
	return rl.rlim_cur;
}

/* ------------------------------------------------------------ HTTP heads */

/* The value of header `name` (case-insensitive) in the NUL-terminated head
 * whose lines end in CRLF, with *len its length; NULL if it is absent. */
static inline const char *tool_header_value(const char *head, const char *name,
					    size_t *len)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r' && p[2] != '\0') {
		const char *line = p + 2, *end = strstr(line, "\r\n");

		if (!end)
			return NULL;
		if ((size_t)(end - line) > nl && line[nl] == ':' &&
		    !strncasecmp(line, name, nl)) {
			const char *v = line + nl + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			*len = (size_t)(end - v);
			return v;
		}
		p = end;
	}
	return NULL;
}

/* 1 if `word` occurs (case-insensitive) in the len bytes at v, else 0;
 * v may be NULL (a missing header: 0). */
static inline int tool_has_token(const char *v, size_t len, const char *word)
{
	size_t wl = strlen(word), i;

	for (i = 0; v && i + wl <= len; i++)
		if (!strncasecmp(v + i, word, wl))
			return 1;
	return 0;
}

#endif /* ADM_E2E_TOOL_H */
