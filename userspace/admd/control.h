/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd's control socket (prefix ctl_): a unix stream socket, root-only
 * (0600), one JSON request per line and one JSON answer per line
 * (docs/control-protocol.md). Served from admd's main loop, single
 * threaded: ctl_poll waits on the listening socket, the clients and one
 * extra fd (the ring buffer's), with every socket non-blocking. Bounded:
 * CTL_MAX_CLIENTS clients, ADM_CTL_REQ_MAX bytes a request, CTL_OUT_MAX
 * bytes queued for a client (a client that reads slower than that is
 * disconnected, never waited for), CTL_IDLE_MS for an idle client.
 *
 * It also keeps the last CTL_RING records (decisions drained from the
 * kernel and audit records) for `logs`, and streams new ones to clients
 * that follow.
 */
#ifndef ADMD_CONTROL_H
#define ADMD_CONTROL_H

#include <stddef.h>
#include <jansson.h>
#include "ctlproto.h"

#define CTL_MAX_CLIENTS	16
#define CTL_RING	1000		/* records kept for `logs` */
#define CTL_OUT_MAX	(4 << 20)	/* bytes queued for one client */
#define CTL_IDLE_MS	10000		/* a client that asks nothing for this long is closed */

struct adm_event;
struct ctl_server;

/*
 * What only the daemon can do, implemented by admd's main. Each action
 * fills a->before and a->after (the audit record, made and logged by the
 * control server) and returns 0, or -1 with one sentence in err.
 */
struct ctl_ops {
	void *ctx;
	/* Add admd's own view ({"running": true, "pid": ...}) to `out`. */
	void (*status)(void *ctx, json_t *out);
	int (*attach)(void *ctx, const char *ifname, int force,
		      struct adm_audit *a, char *err, size_t errlen);
	int (*detach)(void *ctx, const char *ifname, struct adm_audit *a,
		      char *err, size_t errlen);
	int (*reload)(void *ctx, struct adm_audit *a, char *err, size_t errlen);
};

/*
 * Listen on `path` (its directory is created 0755 if missing; a stale
 * socket left by a killed admd is replaced; a live one, or a file that is
 * not a socket, is refused). Returns the server, or NULL with one sentence
 * in err.
 */
struct ctl_server *ctl_start(const char *path, const char *pin_root,
			     const struct ctl_ops *ops, char *err, size_t errlen);

/*
 * Wait up to timeout_ms for a client or for extra_fd (-1: none) to become
 * readable, and serve what the clients sent. Returns 0, or a negative
 * errno of poll itself (EINTR is 0: a signal ends the wait early).
 */
int ctl_poll(struct ctl_server *s, int extra_fd, int timeout_ms);

/*
 * One request a module's command handler (struct admd_cmd) is serving:
 * the request object and who sent it (the kernel's word: SO_PEERCRED).
 * The handler answers exactly once with ctl_reply or ctl_fail.
 */
struct ctl_client;
struct ctl_req {
	json_t *req;
	uid_t uid;
	pid_t pid;
	const char *user;
	struct ctl_server *s;
	struct ctl_client *c;
	int answered;
};

/* Answer with `answer` (stolen; may be NULL), "ok": true added. */
void ctl_reply(struct ctl_req *r, json_t *answer);
/* Answer {"ok": false, "error": "..."}. */
void ctl_fail(struct ctl_req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An audit record of an action done for r's client: who, when, what. */
void ctl_audit_init(const struct ctl_req *r, struct adm_audit *a,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A decision record drained from the kernel (an ev_tap_fn; ctx = server). */
void ctl_event(void *ctx, const struct adm_event *e);

/* Log an audit record ("admd: audit: ...") and keep it for `logs`. */
void ctl_audit(struct ctl_server *s, const struct adm_audit *a);

/* Records kept, log followers connected. */
unsigned int ctl_records(const struct ctl_server *s);
unsigned int ctl_followers(const struct ctl_server *s);

/* Close every client and the socket, and remove the socket file. */
void ctl_stop(struct ctl_server *s);

#endif /* ADMD_CONTROL_H */
