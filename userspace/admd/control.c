// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket, module "control". Everything runs in admd's main
 * thread (its event loop): no locks. A client's request is handled as soon
 * as its line is complete; answers go to the client's output queue and are
 * written as far as the socket takes them, the rest when epoll says it can
 * take more. Built in: status, audit; every other command is served by
 * the module that registered it (struct admd_cmd). Records are read back
 * from the spool or MariaDB by `admctl logs`, never through this socket
 * (a slow reader must not stall admd). The optional pressure socket
 * (control.h) shares the client machinery with clients of its own, each
 * allowed one pressure report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <ctype.h>
#include <sys/epoll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "adm/adm.h"
#include "admd.h"
#include "clock.h"
#include "control.h"
#include "log.h"
#include "mapstatus.h"
#include "pins.h"
#include "util.h"

#define CTL_SOCK_MODE		0600
#define CTL_DIR_MODE		0755
#define CTL_SOCK_UMASK		0177
#define CTL_PROBE_MS		200	/* is another admd answering the old socket? */
#define LOG_LINE_MAX		(2 * sizeof(struct adm_audit))	/* room for escapes */
#define CTL_TICK_MS		1000	/* idle clients are looked for this often */
#define CTL_ALL_CLIENTS		(CTL_MAX_CLIENTS + CTL_PS_MAX_CLIENTS)
#define CTL_PS_USAGE		"the pressure socket takes one line 'SERVICE LEVEL' (LEVEL 0..3) or the request 'admctl pressure' sends"

struct ctl_client {
	int fd;				/* -1: free slot */
	uid_t uid;			/* SO_PEERCRED at accept */
	gid_t gid;
	pid_t pid;
	int ps;				/* a pressure socket client: one line, then closed */
	char user[ADM_AUDIT_USER_MAX];
	char in[ADM_CTL_REQ_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	int closing;			/* close once the output is written */
	__u64 deadline;			/* CLOCK_MONOTONIC ns */
};

struct ctl_server {
	struct admd *ad;
	struct loop_timer *tick;
	int lfd;
	int plfd;			/* the pressure socket, -1: none */
	char path[ADM_CTL_PATH_MAX];
	char ppath[ADM_CTL_PATH_MAX];
	char pin_root[PATH_MAX];
	/* control clients first, then CTL_PS_MAX_CLIENTS pressure clients */
	struct ctl_client c[CTL_ALL_CLIENTS];
};

/* ---------------------------------------------------------------- clients */

static struct ctl_server *the_server;	/* admd runs one control socket */

static void client_close(struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	if (the_server)
		loop_del_fd(the_server->ad->loop, c->fd);
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Write what the socket takes now; close a client that is done or gone. */
static void client_flush(struct ctl_client *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		c->out_off += n;
	}
	if (c->fd < 0)
		return;
	c->out_off = c->out_len = 0;
	if (c->closing)
		client_close(c);
}

/* Watch for output room only while something waits to be written. */
static void client_interest(struct ctl_server *s, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	loop_mod_fd(s->ad->loop, c->fd, (c->closing ? 0 : EPOLLIN) |
		    (c->out_len > c->out_off ? EPOLLOUT : 0));
}

/*
 * Queue `len` bytes for the client. A client that lets more than
 * CTL_OUT_MAX bytes pile up is disconnected: admd never waits for it.
 */
static void client_put(struct ctl_client *c, const char *text, size_t len)
{
	if (c->fd < 0)
		return;
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > CTL_OUT_MAX) {
		adm_warn("control: client pid %d reads too slowly (%zu bytes queued); disconnected",
			 (int)c->pid, c->out_len);
		client_close(c);
		return;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : ADM_CTL_REQ_MAX;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		if (cap > CTL_OUT_MAX)
			cap = CTL_OUT_MAX;
		p = realloc(c->out, cap);
		if (!p) {
			client_close(c);
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
}

/* Queue obj (consumed) as one line. */
static void client_send(struct ctl_client *c, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (!text) {
		static const char oom[] = "{\"ok\":false,\"error\":\"admd is out of memory\"}\n";

		client_put(c, oom, sizeof(oom) - 1);
		return;
	}
	client_put(c, text, strlen(text));
	client_put(c, "\n", 1);
	free(text);
}

static void client_error(struct ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void client_error(struct ctl_client *c, const char *fmt, ...)
{
	char msg[ADM_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	client_send(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/* ---------------------------------------------------------------- requests */

/* Only root (or admd's own user) may change anything. */
static int client_may_write(const struct ctl_client *c)
{
	return c->uid == 0 || c->uid == geteuid();
}

void ctl_audit_init(const struct ctl_req *r, struct adm_audit *a,
		    const char *fmt, ...)
{
	va_list ap;

	memset(a, 0, sizeof(*a));
	adm_time_text(a->time, sizeof(a->time));
	a->uid = r->uid;
	a->pid = r->pid;
	snprintf(a->user, sizeof(a->user), "%s", r->user);
	snprintf(a->origin, sizeof(a->origin), "admd");
	va_start(ap, fmt);
	vsnprintf(a->what, sizeof(a->what), fmt, ap);
	va_end(ap);
}

void ctl_reply(struct ctl_req *r, json_t *answer)
{
	if (r->answered) {
		json_decref(answer);
		return;
	}
	r->answered = 1;
	if (!answer)
		answer = json_object();
	if (answer && !json_object_get(answer, "ok"))
		json_object_set_new(answer, "ok", json_true());
	client_send(r->c, answer);
}

void ctl_fail(struct ctl_req *r, const char *fmt, ...)
{
	char msg[ADM_ERR_MAX];
	va_list ap;

	if (r->answered)
		return;
	r->answered = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	client_send(r->c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/* A write admctl made itself, reported for the record. */
static void req_audit(struct ctl_server *s, struct ctl_client *c, json_t *req)
{
	char err[ADM_ERR_MAX];
	struct adm_audit a;

	if (adm_audit_from_json(json_object_get(req, "record"), &a, err, sizeof(err))) {
		client_error(c, "%s", err);
		return;
	}
	/* Who it was is the kernel's word, not the client's. */
	a.uid = c->uid;
	a.pid = c->pid;
	snprintf(a.user, sizeof(a.user), "%s", c->user);
	if (!a.time[0])
		adm_time_text(a.time, sizeof(a.time));
	if (!a.origin[0])
		snprintf(a.origin, sizeof(a.origin), "admctl");
	if (admd_audit(s->ad, &a, err, sizeof(err)))
		client_error(c, "the record was not kept: %s", err);
	else
		client_send(c, json_pack("{s:b}", "ok", 1));
}

static void req_status(struct ctl_server *s, struct ctl_client *c)
{
	json_t *st;
	int err;

	st = adm_ms_status(s->pin_root, &err);
	if (!st)
		st = json_pack("{s:s, s:s}", "pin_root", s->pin_root,
			       "maps_error", strerror(-err));
	admd_status(s->ad, st);
	client_send(c, json_pack("{s:b, s:o}", "ok", 1, "status", st));
}

/* "status, audit, attach, ...": every command served, for errors. */
static void command_list(const struct admd *ad, char *buf, size_t len)
{
	const struct admd_module *const *m;
	const struct admd_cmd *k;
	size_t used;

	used = snprintf(buf, len, "status, audit");
	for (m = ad->mods; *m && used < len; m++)
		for (k = (*m)->cmds; k && k->name && used < len; k++)
			used += snprintf(buf + used, len - used, ", %s", k->name);
}

/* A command some module registered. */
static void req_module(struct ctl_server *s, struct ctl_client *c,
		       const char *cmd, json_t *req)
{
	const struct admd_cmd *k = admd_cmd_find(s->ad, cmd, NULL);
	struct ctl_req r = { .req = req, .uid = c->uid, .gid = c->gid,
			     .pid = c->pid, .user = c->user, .s = s, .c = c,
			     .pressure_socket = c->ps };
	char list[ADM_ERR_MAX];

	if (!k) {
		command_list(s->ad, list, sizeof(list));
		client_error(c, "unknown command '%.64s'; commands: %s", cmd, list);
		return;
	}
	/* The pressure socket's file mode already chose who may write there. */
	if (k->write && !client_may_write(c) && !(c->ps && !strcmp(cmd, "pressure"))) {
		client_error(c, "%s needs root", cmd);
		return;
	}
	k->fn(s->ad, &r);
	if (!r.answered)
		ctl_fail(&r, "%s: admd gave no answer (a bug: please report it)", cmd);
}

/*
 * The one line of a pressure socket client: "SERVICE LEVEL", or a JSON
 * request whose "cmd" is "pressure"; served by the module that serves
 * `admctl pressure`. Anything else is refused.
 */
static void handle_pressure_line(struct ctl_server *s, struct ctl_client *c,
				 const char *line, size_t len)
{
	char name[ADM_SVC_NAME_MAX];
	size_t i = 0, n = 0;
	json_t *req;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len && line[0] == '{') {
		req = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(req) ||
		    strcmp(json_string_value(json_object_get(req, "cmd")) ?: "", "pressure")) {
			client_error(c, "%s; refused", CTL_PS_USAGE);
			json_decref(req);
			return;
		}
		req_module(s, c, "pressure", req);
		json_decref(req);
		return;
	}
	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_' || line[i] == '-')) {
		if (n + 1 < sizeof(name))
			name[n++] = line[i];
		i++;
	}
	name[n] = '\0';
	if (!n || n != i || i + 2 != len || line[i] != ' ' ||
	    line[i + 1] < '0' || line[i + 1] > '0' + ADM_DEGRADE_MAX) {
		client_error(c, "%s; refused: '%.*s'", CTL_PS_USAGE,
			     (int)(len < 64 ? len : 64), line);
		return;
	}
	req = json_pack("{s:s, s:s, s:i}", "cmd", "pressure", "service", name,
			"level", line[i + 1] - '0');
	if (!req) {
		client_error(c, "admd is out of memory");
		return;
	}
	req_module(s, c, "pressure", req);
	json_decref(req);
}

static void handle_line(struct ctl_server *s, struct ctl_client *c,
			const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!req || !json_is_object(req)) {
		client_error(c, "a request is one JSON object per line: %s",
			     req ? "not an object" : jerr.text);
	} else if (!cmd) {
		client_error(c, "the request has no \"cmd\"");
	} else if (!strcmp(cmd, "status")) {
		req_status(s, c);
	} else if (!strcmp(cmd, "audit")) {
		req_audit(s, c, req);
	} else {
		req_module(s, c, cmd, req);
	}
	json_decref(req);
}

static void client_read(struct ctl_server *s, struct ctl_client *c)
{
	for (;;) {
		char *nl;
		ssize_t n;

		while (c->fd >= 0 && !c->closing &&
		       (nl = memchr(c->in, '\n', c->in_len))) {
			size_t len = nl - c->in;

			if (c->ps) {
				handle_pressure_line(s, c, c->in, len);
				c->closing = 1;		/* one line, one answer */
				return;
			}
			handle_line(s, c, c->in, len);
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
			if (c->fd >= 0)
				c->deadline = adm_mono_ns() + CTL_IDLE_MS * NS_PER_MS;
		}
		if (c->fd < 0 || c->closing)
			return;
		if (c->in_len == (c->ps ? CTL_PS_LINE_MAX : sizeof(c->in))) {
			if (c->ps)
				client_error(c, "%s, of at most %d bytes; refused", CTL_PS_USAGE,
					     CTL_PS_LINE_MAX);
			else
				client_error(c, "request longer than %d bytes", ADM_CTL_REQ_MAX);
			c->closing = 1;
			return;
		}
		n = recv(c->fd, c->in + c->in_len,
			 (c->ps ? CTL_PS_LINE_MAX : sizeof(c->in)) - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The client is done sending: finish its answers, then close. */
			c->closing = 1;
			return;
		}
		c->in_len += n;
	}
}

static void on_client(void *ctx, int fd, __u32 events);

/* Accept on the control socket (ps = 0) or the pressure socket (ps = 1). */
static void client_accept(struct ctl_server *s, int ps)
{
	int lo = ps ? CTL_MAX_CLIENTS : 0, hi = ps ? CTL_ALL_CLIENTS : CTL_MAX_CLIENTS;

	for (;;) {
		struct ucred cred = {};
		socklen_t clen = sizeof(cred);
		struct ctl_client *c = NULL;
		struct adm_audit who = {};
		int fd, i;

		fd = accept4(ps ? s->plfd : s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				adm_warn("control: accept failed: %s", strerror(errno));
			return;
		}
		for (i = lo; i < hi; i++) {
			if (s->c[i].fd < 0) {
				c = &s->c[i];
				break;
			}
		}
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"admd serves at most 16 control clients at once; try again\"}\n";
			static const char ps_busy[] =
				"{\"ok\":false,\"error\":\"admd serves at most 16 pressure clients at once; try again\"}\n";

			if (!c && ps)
				send(fd, ps_busy, sizeof(ps_busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			else if (!c)
				send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->pid = cred.pid;
		c->ps = ps;
		who.uid = cred.uid;
		adm_audit_set_user(&who);
		snprintf(c->user, sizeof(c->user), "%s", who.user);
		c->deadline = adm_mono_ns() +
			      (ps ? CTL_PS_IDLE_MS : CTL_IDLE_MS) * NS_PER_MS;
		if (loop_add_fd(s->ad->loop, fd, EPOLLIN, on_client, s)) {
			close(fd);
			c->fd = -1;
		}
	}
}

static void on_client(void *ctx, int fd, __u32 events)
{
	struct ctl_server *s = ctx;
	struct ctl_client *c = NULL;
	int i;

	for (i = 0; i < CTL_ALL_CLIENTS; i++)
		if (s->c[i].fd == fd)
			c = &s->c[i];
	if (!c)
		return;
	if (events & EPOLLERR) {
		client_close(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP))
		client_read(s, c);
	if (c->fd >= 0)
		client_flush(c);
	client_interest(s, c);
}

static void on_listen(void *ctx, int fd, __u32 events)
{
	struct ctl_server *s = ctx;

	(void)events;
	client_accept(s, fd == s->plfd);
}

/* Clients that asked nothing for CTL_IDLE_MS are closed. */
static void on_tick(void *ctx)
{
	struct ctl_server *s = ctx;
	__u64 now = adm_mono_ns();
	int i;

	for (i = 0; i < CTL_ALL_CLIENTS; i++)
		if (s->c[i].fd >= 0 && s->c[i].deadline && s->c[i].deadline <= now)
			client_close(&s->c[i]);
}

/* ---------------------------------------------------------------- lifecycle */

/*
 * An existing socket at path: stale (removed, 0) or served by a live admd
 * (-1). key: the config key that names it, for the message.
 */
static int clear_old_socket(const char *path, const char *key, char *err,
			    size_t errlen)
{
	struct stat st;
	int fd;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot inspect %s %s: %s", key, path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s exists and is not a socket; remove it or set another [adm] %s",
			 path, key);
		return -1;
	}
	fd = adm_ctl_connect(path, CTL_PROBE_MS);
	if (fd >= 0) {
		close(fd);
		snprintf(err, errlen,
			 "another admd answers on %s; stop it, or give this instance its own pin_root or [adm] %s",
			 path, key);
		return -1;
	}
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove the stale %s %s: %s",
			 key, path, strerror(errno));
		return -1;
	}
	return 0;
}

static struct ctl_server *ctl_start(struct admd *ad, const char *path,
				    const char *pin_root, char *err,
				    size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	char dir[ADM_CTL_PATH_MAX];
	mode_t old_mask;
	int i, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long (at most %zu characters)",
			 path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "control socket: %s", strerror(ENOMEM));
		return NULL;
	}
	s->lfd = s->plfd = -1;
	for (i = 0; i < CTL_ALL_CLIENTS; i++)
		s->c[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->pin_root, sizeof(s->pin_root), "%s", pin_root);
	s->ad = ad;
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), CTL_DIR_MODE) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the directory of control socket %s: %s",
			 path, strerror(errno));
		goto fail;
	}
	if (clear_old_socket(path, "control_socket", err, errlen))
		goto fail;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		goto fail;
	}
	strcpy(sa.sun_path, path);
	/* Root-only from the first moment: no window with a wider mode. */
	old_mask = umask(CTL_SOCK_UMASK);
	rc = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc || chmod(path, CTL_SOCK_MODE) || listen(s->lfd, CTL_MAX_CLIENTS)) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	s->tick = loop_add_timer(ad->loop, CTL_TICK_MS, on_tick, s);
	if (!s->tick || loop_add_fd(ad->loop, s->lfd, EPOLLIN, on_listen, s)) {
		snprintf(err, errlen, "control socket: cannot watch %s: %s", path,
			 strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	return s;
fail:
	loop_del_timer(ad->loop, s->tick);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s);
	return NULL;
}

/*
 * The pressure socket at path, mode 0660 owned by root:gid (from the first
 * moment: bound under a umask that leaves the group nothing, then opened
 * to it). 0, or -1 with err and nothing left behind.
 */
static int ps_start(struct ctl_server *s, const char *path, gid_t gid,
		    char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[ADM_CTL_PATH_MAX];
	mode_t old_mask;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "[adm] pressure_socket %s is too long (at most %zu characters)",
			 path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (!strcmp(path, s->path)) {
		snprintf(err, errlen, "[adm] pressure_socket %s is the control socket; give it a path of its own",
			 path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), CTL_DIR_MODE) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the directory of [adm] pressure_socket %s: %s",
			 path, strerror(errno));
		return -1;
	}
	if (clear_old_socket(path, "pressure_socket", err, errlen))
		return -1;
	s->plfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->plfd < 0) {
		snprintf(err, errlen, "pressure socket: %s", strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, path);
	old_mask = umask(CTL_SOCK_UMASK);
	rc = bind(s->plfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc || chown(path, 0, gid) || chmod(path, CTL_PS_SOCK_MODE) ||
	    listen(s->plfd, CTL_PS_MAX_CLIENTS) ||
	    loop_add_fd(s->ad->loop, s->plfd, EPOLLIN, on_listen, s)) {
		snprintf(err, errlen, "cannot listen on [adm] pressure_socket %s: %s", path,
			 strerror(errno ? errno : ENOMEM));
		if (!rc)
			unlink(path);
		close(s->plfd);
		s->plfd = -1;
		return -1;
	}
	snprintf(s->ppath, sizeof(s->ppath), "%s", path);
	return 0;
}

static void ctl_stop(struct ctl_server *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < CTL_ALL_CLIENTS; i++)
		client_close(&s->c[i]);
	loop_del_timer(s->ad->loop, s->tick);
	if (s->lfd >= 0) {
		loop_del_fd(s->ad->loop, s->lfd);
		close(s->lfd);
		unlink(s->path);
	}
	if (s->plfd >= 0) {
		loop_del_fd(s->ad->loop, s->plfd);
		close(s->plfd);
		unlink(s->ppath);
	}
	free(s);
}

/* ---------------------------------------------------------------- module */

/* Before anything is loaded: a second admd on the same socket stops here. */
static int ctl_mod_start(struct admd *ad, char *err, size_t errlen)
{
	const struct adm_config *cfg = ad->cfg;
	gid_t gid = 0;

	ad->ctl = ctl_start(ad, ad->ctl_path, cfg->pin_root, err, errlen);
	if (!ad->ctl)
		return -1;
	the_server = ad->ctl;
	adm_info("control socket: %s", ad->ctl_path);
	if (!cfg->pressure_socket[0])
		return 0;
	err[0] = '\0';
	if (adm_group_lookup(cfg->pressure_group, &gid, err, errlen))
		snprintf(err, errlen,
			 "[adm] pressure_group '%s': no such group; create it (groupadd %s) or remove pressure_socket and pressure_group",
			 cfg->pressure_group, cfg->pressure_group);
	if (err[0] || ps_start(ad->ctl, cfg->pressure_socket, gid, err, errlen)) {
		ctl_stop(ad->ctl);
		ad->ctl = NULL;
		the_server = NULL;
		return -1;
	}
	adm_info("pressure socket: %s (group %s)", cfg->pressure_socket,
		 cfg->pressure_group);
	return 0;
}

static int ctl_mod_reload_check(struct admd *ad, const struct adm_config *next,
				char *err, size_t errlen)
{
	char path[ADM_CTL_PATH_MAX];

	if (adm_ctl_path(next, path, sizeof(path)) || strcmp(path, ad->ctl_path)) {
		snprintf(err, errlen,
			 "[adm] control_socket (or the pin_root it derives from) changed to %s; restart admd for that",
			 path[0] ? path : "a path that is too long");
		return -1;
	}
	if (strcmp(next->pressure_socket, ad->cfg->pressure_socket) ||
	    strcmp(next->pressure_group, ad->cfg->pressure_group)) {
		snprintf(err, errlen,
			 "[adm] pressure_socket or pressure_group changed; restart admd for that");
		return -1;
	}
	return 0;
}

static void ctl_mod_status(struct admd *ad, json_t *out)
{
	json_object_set_new(out, "socket", json_string(ad->ctl_path));
	json_object_set_new(out, "pressure_socket", ad->ctl->ppath[0] ?
			    json_string(ad->ctl->ppath) : json_null());
}

static void ctl_mod_stop(struct admd *ad, int aborted)
{
	(void)aborted;
	ctl_stop(ad->ctl);
	ad->ctl = NULL;
	the_server = NULL;
}

const struct admd_module ctl_module = {
	.name = "control",
	.start = ctl_mod_start,
	.reload_check = ctl_mod_reload_check,
	.status = ctl_mod_status,
	.stop = ctl_mod_stop,
};
