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

/*
 * The pressure socket ([adm] pressure_socket, mode 0660 root:pressure_group):
 * an application in that group sends one line, "SERVICE LEVEL" or the
 * request `admctl pressure` sends, gets one answer and is closed. Anything
 * else is refused. Its clients have slots of their own (a crowd of them
 * cannot take the control socket's), a shorter line and a shorter idle time.
 */
#define CTL_PS_MAX_CLIENTS	16
#define CTL_PS_LINE_MAX		256	/* bytes of the one line, '\n' included */
#define CTL_PS_IDLE_MS		2000
#define CTL_PS_SOCK_MODE	0660

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
	gid_t gid;
	pid_t pid;
	const char *user;
	int pressure_socket;		/* came on the pressure socket */
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
