// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd's control socket, both ends (prefix adm_ctl_): paths, framing of
 * one JSON object per line, timestamps and audit records; see ctlproto.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ctlproto.h"
#include "clock.h"

#define PWBUF_MAX	4096
#define READ_CHUNK	4096

int adm_ctl_default_path(const char *pin_root, char *buf, size_t len)
{
	const char *base = pin_root, *end, *p;
	size_t blen;
	int n;

	/* basename without trailing slashes: "/sys/fs/bpf/adm/" -> "adm" */
	end = pin_root + strlen(pin_root);
	while (end > pin_root + 1 && end[-1] == '/')
		end--;
	for (p = pin_root; p < end; p++)
		if (*p == '/' && p + 1 < end)
			base = p + 1;
	blen = end - base;
	if (!blen || (blen == 1 && *base == '/')) {
		base = "adm";
		blen = strlen(base);
	}
	n = snprintf(buf, len, "%s/%.*s%s", ADM_CTL_DIR, (int)blen, base,
		     ADM_CTL_SUFFIX);
	if (n < 0 || (size_t)n >= len || (size_t)n >= ADM_CTL_PATH_MAX) {
		if (len)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

int adm_ctl_path(const struct adm_config *cfg, char *buf, size_t len)
{
	if (!cfg->control_socket[0])
		return adm_ctl_default_path(cfg->pin_root, buf, len);
	if (snprintf(buf, len, "%s", cfg->control_socket) >= (int)len) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

static void time_text(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char sec[ADM_TIME_TEXT_MAX];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.19s.%03dZ", sec, (int)(ts->tv_nsec / (long)NS_PER_MS % 1000));
}

void adm_time_text(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	time_text(&ts, buf, len);
}

void adm_mono_time_text(__u64 mono_ns, char *buf, size_t len)
{
	struct timespec now;
	__u64 mono_now = adm_mono_ns(), real, ago;

	clock_gettime(CLOCK_REALTIME, &now);
	real = (__u64)now.tv_sec * NS_PER_SEC + now.tv_nsec;
	ago = mono_now > mono_ns ? mono_now - mono_ns : 0;
	real = real > ago ? real - ago : 0;
	now.tv_sec = real / NS_PER_SEC;
	now.tv_nsec = real % NS_PER_SEC;
	time_text(&now, buf, len);
}

void adm_audit_set_user(struct adm_audit *a)
{
	struct passwd pw, *res = NULL;
	char buf[PWBUF_MAX];

	if (!getpwuid_r(a->uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(a->user, sizeof(a->user), "%s", pw.pw_name);
	else
		snprintf(a->user, sizeof(a->user), "uid %u", (unsigned int)a->uid);
}

void adm_audit_init(struct adm_audit *a, const char *origin)
{
	memset(a, 0, sizeof(*a));
	adm_time_text(a->time, sizeof(a->time));
	a->uid = getuid();
	a->pid = getpid();
	adm_audit_set_user(a);
	snprintf(a->origin, sizeof(a->origin), "%s", origin);
}

json_t *adm_audit_to_json(const struct adm_audit *a)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
			 "type", "audit", "time", a->time,
			 "uid", (json_int_t)a->uid, "user", a->user,
			 "pid", (json_int_t)a->pid, "what", a->what,
			 "before", a->before, "after", a->after,
			 "result", a->result, "origin", a->origin);
}

/* Copy string member `key` of o into buf, cut to fit. -1 if not a string. */
static int get_text(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	snprintf(buf, len, "%s", json_string_value(v));
	return 0;
}

int adm_audit_from_json(json_t *o, struct adm_audit *a, char *err, size_t errlen)
{
	static const struct { const char *key; size_t off, len; } fields[] = {
#define FIELD(m) { #m, offsetof(struct adm_audit, m), sizeof(((struct adm_audit *)0)->m) }
		FIELD(time), FIELD(user), FIELD(what), FIELD(before),
		FIELD(after), FIELD(result), FIELD(origin),
#undef FIELD
	};
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "the audit record is not a JSON object");
		return -1;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (get_text(o, fields[i].key, (char *)a + fields[i].off,
			     fields[i].len)) {
			snprintf(err, errlen, "audit field '%s' must be a string",
				 fields[i].key);
			return -1;
		}
	}
	if (json_is_integer(json_object_get(o, "uid")))
		a->uid = (uid_t)json_integer_value(json_object_get(o, "uid"));
	if (json_is_integer(json_object_get(o, "pid")))
		a->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	if (!a->what[0]) {
		snprintf(err, errlen, "the audit record has no 'what'");
		return -1;
	}
	return 0;
}

/* s as a double-quoted string with ", \ and control characters escaped. */
static size_t put_quoted(char *buf, size_t len, size_t used, const char *s)
{
	static const char hex[] = "0123456789abcdef";

#define PUT(c) do { if (used + 1 < len) buf[used] = (c); used++; } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT(c);
		} else if (c < 0x20 || c == 0x7f) {
			PUT('\\');
			PUT('x');
			PUT(hex[c >> 4]);
			PUT(hex[c & 0xf]);
		} else {
			PUT(c);
		}
	}
	PUT('"');
#undef PUT
	if (len)
		buf[used < len ? used : len - 1] = '\0';
	return used;
}

/* A value that needs no quotes: a plain word (user names, "ok"). */
static int is_word(const char *s)
{
	return *s && s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789._-")] == '\0';
}

static size_t put_value(char *buf, size_t len, size_t used, const char *s)
{
	if (!is_word(s))
		return put_quoted(buf, len, used, s);
	if (used < len)
		used += snprintf(buf + used, len - used, "%s", s);
	return used;
}

void adm_audit_format(const struct adm_audit *a, char *buf, size_t len)
{
	size_t used;
	int n;

	if (!len)
		return;
	n = snprintf(buf, len, "uid=%u user=", (unsigned int)a->uid);
	used = n < 0 ? 0 : (size_t)n;
	used = put_value(buf, len, used, a->user);
	if (used < len)
		used += snprintf(buf + used, len - used, " pid=%d what=", (int)a->pid);
	used = put_quoted(buf, len, used, a->what);
	if (used < len)
		used += snprintf(buf + used, len - used, " before=");
	used = put_quoted(buf, len, used, a->before);
	if (used < len)
		used += snprintf(buf + used, len - used, " after=");
	used = put_quoted(buf, len, used, a->after);
	if (used < len)
		used += snprintf(buf + used, len - used, " result=");
	used = put_value(buf, len, used, a->result);
	if (used < len)
		snprintf(buf + used, len - used, " via=%s", a->origin);
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do {
		rc = poll(&p, 1, timeout_ms);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	return rc ? 0 : -ETIMEDOUT;
}

int adm_ctl_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc, soerr = 0;
	socklen_t slen = sizeof(soerr);

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		/* EAGAIN on a unix socket: admd's backlog is full, not "in progress". */
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto fail;
		}
		rc = wait_fd(fd, POLLOUT, timeout_ms);
		if (rc)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) || soerr) {
			rc = soerr ? -soerr : -errno;
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return rc;
}

int adm_ctl_send(int fd, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	size_t len, off = 0;
	int rc = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len++] = '\n';	/* json_dumps' NUL becomes the line end */
	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			rc = wait_fd(fd, POLLOUT, ADM_CTL_TIMEOUT_MS);
			if (rc)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		off += n;
	}
	free(text);
	return rc;
}

/* Take one complete line out of r into *out. 1 if there was one. */
static int take_line(struct adm_ctl_reader *r, json_t **out, int *rc)
{
	char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
	json_error_t jerr;
	size_t n;

	if (!nl)
		return 0;
	n = nl - r->buf;
	*out = json_loadb(r->buf, n, JSON_REJECT_DUPLICATES, &jerr);
	memmove(r->buf, nl + 1, r->len - n - 1);
	r->len -= n + 1;
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		*rc = -EPROTO;
	} else {
		*rc = 0;
	}
	return 1;
}

int adm_ctl_read(int fd, struct adm_ctl_reader *r, int timeout_ms, json_t **out)
{
	int rc;

	*out = NULL;
	for (;;) {
		ssize_t n;

		if (take_line(r, out, &rc))
			return rc;
		if (r->len == ADM_CTL_LINE_MAX)
			return -EMSGSIZE;
		if (r->cap - r->len < READ_CHUNK && r->cap < ADM_CTL_LINE_MAX) {
			size_t cap = r->cap ? r->cap * 2 : READ_CHUNK * 4;
			char *p;

			if (cap > ADM_CTL_LINE_MAX)
				cap = ADM_CTL_LINE_MAX;
			p = realloc(r->buf, cap);
			if (!p)
				return -ENOMEM;
			r->buf = p;
			r->cap = cap;
		}
		n = recv(fd, r->buf + r->len, r->cap - r->len, 0);
		if (n > 0) {
			r->len += n;
			continue;
		}
		if (!n)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		rc = wait_fd(fd, POLLIN, timeout_ms);
		if (rc)
			return rc;
	}
}

void adm_ctl_reader_free(struct adm_ctl_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

int adm_ctl_call(const char *path, json_t *req, json_t **resp, int timeout_ms,
		 char *err, size_t errlen)
{
	struct adm_ctl_reader r = {};
	int fd, rc;

	*resp = NULL;
	fd = adm_ctl_connect(path, timeout_ms);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reach admd at %s: %s", path,
			 strerror(-fd));
		return fd;
	}
	rc = adm_ctl_send(fd, req);
	if (rc) {
		snprintf(err, errlen, "cannot send to admd at %s: %s", path,
			 strerror(-rc));
		goto out;
	}
	rc = adm_ctl_read(fd, &r, timeout_ms, resp);
	if (rc)
		snprintf(err, errlen, "no answer from admd at %s: %s", path,
			 rc == -EPIPE ? "it closed the connection" :
			 rc == -EPROTO ? "the answer is not JSON" : strerror(-rc));
out:
	adm_ctl_reader_free(&r);
	close(fd);
	return rc;
}
