/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admctl: one handler per subcommand (cmd_*.c), helpers in common.c.
 * Exit codes: 0 ok, 1 the operation failed, 2 usage error. A usage error
 * prints one sentence on stderr and changes nothing.
 */
#ifndef ADMCTL_H
#define ADMCTL_H

#include <limits.h>
#include <stdio.h>
#include <jansson.h>
#include "config.h"
#include "ctlproto.h"
#include "mapstatus.h"
#include "ops.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define CTL_CMD_MAX	32	/* "breaker half-open": a command and its action */

struct ctl {
	char pin_root[PATH_MAX];
	char socket[ADM_CTL_PATH_MAX];	/* admd's control socket */
	int json;			/* --json: machine-readable output */
	int cluster;			/* --cluster: act on every node (through Redis) */
	char config[PATH_MAX];		/* -c FILE, "" if not given */
};

/*
 * Every handler gets argv[0] = its command name. Returns an exit code.
 */
int do_status(struct ctl *ctl, int argc, char **argv);
int do_stats(struct ctl *ctl, int argc, char **argv);
int do_top(struct ctl *ctl, int argc, char **argv);
int do_limits(struct ctl *ctl, int argc, char **argv);
int do_cidr(struct ctl *ctl, int allow, int argc, char **argv);
int do_breaker(struct ctl *ctl, int argc, char **argv);
int do_mode(struct ctl *ctl, int argc, char **argv);
int do_degrade(struct ctl *ctl, int argc, char **argv);
int do_attach(struct ctl *ctl, int detach, int argc, char **argv);
int do_reload(struct ctl *ctl, int argc, char **argv);
int do_logs(struct ctl *ctl, int argc, char **argv);
int do_pressure(struct ctl *ctl, int argc, char **argv);

/* ---------------------------------------------------------- cmd_breaker.c */

#define CTL_NO_MODULE	(-100)	/* admd unreachable, or without the module */
#define CTL_TTL_MIN_NS	1000000000ULL			/* --ttl 1s.. */
#define CTL_TTL_MAX_NS	(7ULL * 24 * 3600 * 1000000000ULL)	/* ..7d */

/*
 * Ask admd to do `req` (stolen), a write one of its modules serves. Prints
 * the audit record it answers with; EXIT_OK, EXIT_USAGE or EXIT_FAIL (admd
 * refused, said why, "usage" in its answer telling which), or
 * CTL_NO_MODULE (admd unreachable or without that command; nothing
 * printed, the caller may fall back).
 */
int ctl_module_write(struct ctl *ctl, const char *cmd, json_t *req);

/* --ttl D: 0 with *ms set (0 when ttl is NULL), or EXIT_USAGE (said why). */
int ctl_parse_ttl(const char *cmd, const char *ttl, json_int_t *ms);
/* admctl --cluster COMMAND ... (cmd_cluster.c) */
int do_cluster(struct ctl *ctl, int argc, char **argv);

/* ---------------------------------------------------------------- common.c */

/* An option of a subcommand: a flag (flag != NULL) or one with a value. */
struct ctl_opt {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 0: none */
	int *flag;		/* set to 1 when present */
	const char **value;	/* the option's value */
};

#define CTL_ARGS_HELP	(-1)	/* --help was asked for */

/*
 * Parse argv[first..argc) of command `cmd` ("block add"): options from
 * opts (plus --json/-j and --help/-h, always known; "--" ends options)
 * and at most max_pos positionals into pos, counted in *n_pos. An argument
 * that starts with '-' and a digit ("-1") is a positional: it is a value
 * to be judged, not an option. Returns 0, CTL_ARGS_HELP, or EXIT_USAGE
 * after printing one sentence.
 */
int ctl_args(struct ctl *ctl, const char *cmd, int argc, char **argv, int first,
	     const struct ctl_opt *opts, const char **pos, int max_pos,
	     int *n_pos);

/* One-sentence usage error "admctl CMD: ..." on stderr; returns EXIT_USAGE. */
int ctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report a map that cannot be opened in one sentence with what to do. */
int ctl_open_fail(const struct ctl *ctl, const char *map, int err);

/*
 * Service id of `name` (adm_meta). Unknown: one sentence naming the
 * services, EXIT_USAGE. No pins: EXIT_FAIL. 0 with *id set otherwise;
 * names (optional) gets every name.
 */
int ctl_service(struct ctl *ctl, const char *cmd, const char *name, __u32 *id,
		struct adm_ms_names *names);

/* Print a JSON value (indented) and a newline; takes the reference. */
void ctl_print_json(json_t *v);

/*
 * After a write admctl made to the maps: report it to admd for the audit
 * trail (admd logs it and keeps it for `logs`); if admd cannot be reached,
 * warn and write the record to syslog (LOG_AUTHPRIV) instead. Then print
 * "WHAT: BEFORE -> AFTER" and `note` (or the record, with --json).
 * result: "ok" or "failed: ...".
 */
void ctl_audit(struct ctl *ctl, const char *what, const char *before,
	       const char *after, const char *result, const char *note);

/* One request to admd and its answer; -errno with err when unreachable. */
int ctl_call(struct ctl *ctl, json_t *req, json_t **resp, char *err,
	     size_t errlen);

/* The services a state command acts on: one, or every configured one. */
struct ctl_sel {
	struct adm_ms_names names;
	char pick[ADM_MAX_SERVICES];	/* 1: selected */
};

/*
 * Select service `name`, or every configured service when name is NULL.
 * Returns 0, or an exit code after one sentence (unknown service, no pins).
 */
int ctl_select(struct ctl *ctl, const char *cmd, const char *name,
	       struct ctl_sel *sel);

/* adm_state of every service id, read-only. EXIT_OK or EXIT_FAIL (said why). */
int ctl_state_read(struct ctl *ctl, struct adm_state st[ADM_MAX_SERVICES]);

/*
 * Apply an operator write (limits set, breaker, mode, degrade, block,
 * allow): through admd when it answers on the control socket (while it
 * runs it is the only writer of policy, so a write never races a reload);
 * when admd is not running (no socket, or nobody listening) with the same
 * library function here, the audit record to syslog (ctl_audit). Prints
 * "WHAT: BEFORE -> AFTER[; NOTE]", or the audit record with --json.
 * Returns an exit code: 2 for a request that is wrong (nothing changed).
 */
int ctl_op(struct ctl *ctl, const char *cmd, const struct adm_op *op);

/* Copy src into an op field of len bytes; EXIT_USAGE (one sentence) if too long. */
int ctl_op_str(const char *cmd, const char *what, char *dst, size_t len,
	       const char *src);

#endif /* ADMCTL_H */
