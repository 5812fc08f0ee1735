/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd's control socket (prefix ctl_): a unix stream socket, root-only
 * (0600), one JSON request per line and one JSON answer per line
 * (docs/control-protocol.md). Module "control" (ctl_module) of admd's
 * event loop, single threaded, every socket non-blocking. Bounded:
 * CTL_MAX_CLIENTS clients, ADM_CTL_REQ_MAX bytes a request, CTL_OUT_MAX
 * bytes queued for a client (a client that reads slower than that is
 * disconnected, never waited for), CTL_IDLE_MS for an idle client.
 */
#ifndef ADMD_CONTROL_H
#define ADMD_CONTROL_H

#include <stddef.h>
#include <jansson.h>
#include "ctlproto.h"

#define CTL_MAX_CLIENTS	16
#define CTL_OUT_MAX	(4 << 20)	/* bytes queued for one client */
#define CTL_IDLE_MS	10000		/* a client that asks nothing for this long is closed */

struct admd_module;
struct ctl_server;

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

extern const struct admd_module ctl_module;

#endif /* ADMD_CONTROL_H */
