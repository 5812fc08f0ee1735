/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd's control socket, both ends (prefix adm_ctl_): where it lives, how a
 * request travels, and the audit record every operator write produces.
 *
 * Protocol (docs/control-protocol.md): a unix stream socket; the client
 * sends one JSON object per line, admd answers each with one JSON object
 * per line, {"ok": true, ...} or {"ok": false, "error": "one sentence"}.
 * `logs` answers with its header line, then one {"event": {...}} line per
 * record (and, when following, more as they come).
 */
#ifndef ADM_CTLPROTO_H
#define ADM_CTLPROTO_H

#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>
#include "config.h"

#define ADM_CTL_DIR		"/run/adm"	/* default socket directory */
#define ADM_CTL_SUFFIX		".sock"
#define ADM_CTL_REQ_MAX		16384		/* bytes in one request line */
#define ADM_CTL_LINE_MAX	65536		/* bytes in one response line */
#define ADM_CTL_TIMEOUT_MS	5000		/* an answer takes at most this */

/* Field sizes of an audit record; longer texts are cut (NUL included). */
#define ADM_AUDIT_USER_MAX	64
#define ADM_AUDIT_WHAT_MAX	256
#define ADM_AUDIT_STATE_MAX	1024		/* before, after */
#define ADM_AUDIT_RESULT_MAX	(ADM_ERR_MAX + 16)	/* "failed: " and an error */
#define ADM_TIME_TEXT_MAX	32		/* "2025-01-31T23:59:59.123Z" */

/*
 * One operator action: who did what, the state before and after, and how
 * it ended. admd fills uid/user/pid from the socket's SO_PEERCRED, so a
 * client cannot claim to be someone else. Kept flat (strings and numbers)
 * so a log pipeline can forward it as a row.
 */
struct adm_audit {
	char time[ADM_TIME_TEXT_MAX];	/* UTC, ISO 8601 with ms */
	uid_t uid;
	char user[ADM_AUDIT_USER_MAX];
	pid_t pid;
	char what[ADM_AUDIT_WHAT_MAX];	/* the command, e.g. "block add 10.0.0.0/8" */
	char before[ADM_AUDIT_STATE_MAX];
	char after[ADM_AUDIT_STATE_MAX];
	char result[ADM_AUDIT_RESULT_MAX];	/* "ok" or "failed: why" */
	char origin[16];		/* "admctl" (wrote the maps) or "admd" */
};

/*
 * The control socket of a config: [adm] control_socket, or
 * ADM_CTL_DIR/<basename of pin_root>.sock. Returns 0, or -ENAMETOOLONG when
 * the result does not fit a unix socket address (buf holds "" then).
 */
int adm_ctl_default_path(const char *pin_root, char *buf, size_t len);
int adm_ctl_path(const struct adm_config *cfg, char *buf, size_t len);

/* Current wall-clock time, or a CLOCK_MONOTONIC stamp, as UTC ISO 8601 text. */
void adm_time_text(char *buf, size_t len);
void adm_mono_time_text(__u64 mono_ns, char *buf, size_t len);

/* Fill who/when of *a from the calling process (uid, user name, pid, now). */
void adm_audit_init(struct adm_audit *a, const char *origin);
/* Fill the user name of a->uid ("uid N" when it has none). */
void adm_audit_set_user(struct adm_audit *a);

/* As {"type": "audit", ...}. NULL when out of memory. */
json_t *adm_audit_to_json(const struct adm_audit *a);
/*
 * From a JSON object; string fields that are missing stay "", too long are
 * cut. Returns 0, or -1 with one sentence in err when `what` is missing or
 * a field has the wrong type (*a is then unspecified).
 */
int adm_audit_from_json(json_t *o, struct adm_audit *a, char *err, size_t errlen);
/* One log line without the prefix: uid=0 user=root ... what="..." ... */
void adm_audit_format(const struct adm_audit *a, char *buf, size_t len);

/*
 * Client side. adm_ctl_connect: connect to the socket at path within
 * timeout_ms. Returns an fd, or -errno (-ENOENT, -ECONNREFUSED: admd is not
 * running there; -EACCES: not allowed).
 */
int adm_ctl_connect(const char *path, int timeout_ms);

/* Send obj as one line. 0, or -errno. */
int adm_ctl_send(int fd, json_t *obj);

/* Reads lines from a socket; buffer grows up to ADM_CTL_LINE_MAX. */
struct adm_ctl_reader {
	char *buf;
	size_t len, cap;
};

/*
 * Next line as a JSON object into *out (caller decrefs). timeout_ms < 0
 * waits forever. Returns 0; -ETIMEDOUT; -EPIPE when admd closed the
 * connection; -EMSGSIZE for an over-long line; -EPROTO for a line that is
 * not a JSON object; other -errno.
 */
int adm_ctl_read(int fd, struct adm_ctl_reader *r, int timeout_ms, json_t **out);
void adm_ctl_reader_free(struct adm_ctl_reader *r);

/*
 * One request, one answer: connect, send req, read the answer line. The
 * answer may still be {"ok": false}; that is for the caller to judge.
 * Returns 0 with *resp set, or -errno with one sentence in err.
 */
int adm_ctl_call(const char *path, json_t *req, json_t **resp, int timeout_ms,
		 char *err, size_t errlen);

#endif /* ADM_CTLPROTO_H */
