// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fakeredis: a server on a unix socket that speaks just enough RESP to be
 * mistaken for Redis and then answers garbage, for the cluster tests'
 * bad-input cases.
 *
 *   fakeredis -u SOCKET_PATH -m MODE [--max-seconds N] [--ready-file F]
 *
 * Every request (an array of bulk strings) is read whole, then answered
 * according to MODE:
 *   int        ":42" to everything (wrong type for every reply)
 *   junk       bytes that are not RESP at all ("%%garbage")
 *   scripterr  SCRIPT LOAD gets a plausible SHA1, EVALSHA an unknown
 *              script error ("-ERR user_script:1: boom")
 *   shape      SCRIPT LOAD gets a SHA1, EVALSHA an array of the wrong
 *              shape (6 elements of the wrong types)
 *   hang       reads requests and never answers (a stalled Redis)
 * Bounded: FR_CLIENTS clients at a time (admd opens a round connection and
 * a subscriber), --max-seconds (default 60), SIGTERM.
 * Exit 0, 1 on a setup failure, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tool.h"

#define FR_BUF		65536
#define FR_CLIENTS	8

enum fr_mode { FR_INT, FR_JUNK, FR_SCRIPTERR, FR_SHAPE, FR_HANG };

/*
 * Length of the first complete RESP array of bulk strings in buf, or 0 if
 * incomplete; *cmd gets its first word (upper case compared by caller).
 */
static size_t fr_request(const char *buf, size_t len, char *cmd, size_t cmdlen)
{
	const char *p = buf, *end = buf + len, *nl;
	long n, i, blen;

	if (len < 1 || *p != '*')
		return len;	/* inline command: take the whole buffer */
	nl = memchr(p, '\n', end - p);
	if (!nl)
		return 0;
	n = strtol(p + 1, NULL, 10);
	p = nl + 1;
	cmd[0] = '\0';
	for (i = 0; i < n; i++) {
		if (p >= end || *p != '$')
			return p >= end ? 0 : len;
		nl = memchr(p, '\n', end - p);
		if (!nl)
			return 0;
		blen = strtol(p + 1, NULL, 10);
		p = nl + 1;
		if (end - p < blen + 2)
			return 0;
		if (i == 0)
			snprintf(cmd, cmdlen, "%.*s", (int)(blen < (long)cmdlen ? blen : (long)cmdlen - 1), p);
		p += blen + 2;
	}
	return p - buf;
}

static const char *fr_answer(enum fr_mode m, const char *cmd)
{
	static const char sha[] = "$40\r\n0123456789abcdef0123456789abcdef01234567\r\n";

	switch (m) {
	case FR_INT:
		return ":42\r\n";
	case FR_JUNK:
		return "%%garbage\x01\x02\r\n";
	case FR_SCRIPTERR:
		if (!strcasecmp(cmd, "SCRIPT"))
			return sha;
		if (!strcasecmp(cmd, "EVALSHA"))
			return "-ERR user_script:1: boom\r\n";
		return "+OK\r\n";
	case FR_SHAPE:
		if (!strcasecmp(cmd, "SCRIPT"))
			return sha;
		if (!strcasecmp(cmd, "EVALSHA"))
			return "*6\r\n$2\r\nno\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n";
		return "+OK\r\n";
	case FR_HANG:
		return NULL;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-seconds", required_argument, NULL, 's' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ 0 },
	};
	const char *path = NULL, *ready = NULL, *mode_s = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long secs = 60;
	long long end;
	enum fr_mode mode;
	struct fr_client {
		int fd;
		size_t have;
		char buf[FR_BUF];
	} *cl;
	struct pollfd p[FR_CLIENTS + 1];
	int lfd, c, i;

	while ((c = getopt_long(argc, argv, "u:m:", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			path = optarg;
			break;
		case 'm':
			mode_s = optarg;
			break;
		case 's':
			if (tool_parse_long("fakeredis", "--max-seconds", optarg, 1, 3600, &secs))
				return 2;
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!path || !mode_s || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fakeredis -u SOCKET -m int|junk|scripterr|shape|hang "
			"[--max-seconds N] [--ready-file F]\n");
		return 2;
	}
	if (!strcmp(mode_s, "int"))
		mode = FR_INT;
	else if (!strcmp(mode_s, "junk"))
		mode = FR_JUNK;
	else if (!strcmp(mode_s, "scripterr"))
		mode = FR_SCRIPTERR;
	else if (!strcmp(mode_s, "shape"))
		mode = FR_SHAPE;
	else if (!strcmp(mode_s, "hang"))
		mode = FR_HANG;
	else {
		fprintf(stderr, "fakeredis: unknown mode '%s'\n", mode_s);
		return 2;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16)) {
		fprintf(stderr, "fakeredis: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (ready && tool_write_file_atomic(ready, "ready\n")) {
		fprintf(stderr, "fakeredis: %s: %s\n", ready, strerror(errno));
		return 1;
	}
	tool_catch_stop();
	end = tool_now_ms() + secs * 1000;
	cl = calloc(FR_CLIENTS, sizeof(*cl));
	if (!cl) {
		fprintf(stderr, "fakeredis: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < FR_CLIENTS; i++)
		cl[i].fd = -1;
	while (!tool_stop && tool_now_ms() < end) {
		int free_slot = -1;

		for (i = 0; i < FR_CLIENTS; i++) {
			p[i].fd = cl[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
			if (cl[i].fd < 0 && free_slot < 0)
				free_slot = i;
		}
		/* A full house leaves the newcomer in the backlog. */
		p[FR_CLIENTS].fd = free_slot >= 0 ? lfd : -1;
		p[FR_CLIENTS].events = POLLIN;
		p[FR_CLIENTS].revents = 0;
		if (poll(p, FR_CLIENTS + 1, 100) <= 0)
			continue;
		if (p[FR_CLIENTS].revents & POLLIN) {
			cl[free_slot].fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			cl[free_slot].have = 0;
		}
		for (i = 0; i < FR_CLIENTS; i++) {
			struct fr_client *k = &cl[i];
			ssize_t n;

			if (k->fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(k->fd, k->buf + k->have, sizeof(k->buf) - k->have);
			if (n <= 0) {
				close(k->fd);
				k->fd = -1;
				continue;
			}
			k->have += n;
			for (;;) {
				char cmd[32];
				size_t used = fr_request(k->buf, k->have, cmd, sizeof(cmd));
				const char *ans;

				if (!used)
					break;
				ans = fr_answer(mode, cmd);
				if (ans && write(k->fd, ans, strlen(ans)) < 0)
					break;
				memmove(k->buf, k->buf + used, k->have - used);
				k->have -= used;
			}
			if (k->have == sizeof(k->buf))
				k->have = 0;	/* a request larger than the buffer: drop it */
		}
	}
	for (i = 0; i < FR_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	free(cl);
	close(lfd);
	unlink(path);
	return 0;
}
