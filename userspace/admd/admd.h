/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd as a host of modules: the daemon's shared state (struct admd), the
 * interface every module implements (struct admd_module), and the fan-out
 * of decision and audit records to every sink. main.c lists the modules;
 * each one owns one concern and lives in one file (prefix per module).
 *
 * Lifecycle, in list order: start. On SIGHUP or `admctl reload`: every
 * module's reload_check with the new config (nothing applied yet; any
 * refusal refuses the reload), then reload_apply in order; if one fails,
 * the modules already applied get reload_apply with the old config again
 * (all or nothing). Stop runs in reverse order. A start that fails part way
 * stops the modules already started, and the one that failed, with
 * `aborted` set: each puts the host back as it found it (nothing newly
 * attached stays attached); so stop must cope with a half-done start.
 */
#ifndef ADMD_ADMD_H
#define ADMD_ADMD_H

#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>
#include <linux/types.h>
#include "config.h"
#include "ctlproto.h"
#include "loop.h"
#include "strbuf.h"

struct adm_event;
struct ctl_server;
struct admd_module;

struct admd {
	const char *path;		/* the config file */
	struct adm_config *cfg;		/* the config in force */
	struct adm_loop *loop;
	const struct admd_module *const *mods;	/* NULL-terminated, main.c's list */
	int shadow_flag;		/* --shadow */
	int force_flag;			/* --force */
	int n_cli;			/* -i given: interfaces from the command line */
	int verbose;
	__u64 started_ns;		/* CLOCK_MONOTONIC */
	char ctl_path[ADM_CTL_PATH_MAX];
	struct ctl_server *ctl;		/* the control socket (module "control") */
};

/*
 * A control-socket command a module serves. The handler answers exactly
 * once, with ctl_reply or ctl_fail (control.h). `write` commands are
 * refused before the handler runs unless the client is root (or admd's
 * own user).
 */
struct ctl_req;
struct admd_cmd {
	const char *name;		/* the request's "cmd" */
	int write;
	void (*fn)(struct admd *ad, struct ctl_req *r);
};

/*
 * One concern of admd. Every hook is optional (NULL). Hooks run on the
 * main thread; none may block for longer than a map update.
 */
struct admd_module {
	const char *name;		/* also its key in `status` */
	/* Acquire resources, register fds and timers. 0, or -1 with err. */
	int (*start)(struct admd *ad, char *err, size_t errlen);
	/*
	 * Accept or refuse `next` without changing anything; a refusal names
	 * the key ("[metrics] listen: cannot bind ...: restart admd for
	 * that"). 0 or -1 with err.
	 */
	int (*reload_check)(struct admd *ad, const struct adm_config *next,
			    char *err, size_t errlen);
	/* Put `next` in force (ad->cfg is still the old one). 0 or -1 with err. */
	int (*reload_apply)(struct admd *ad, const struct adm_config *next,
			    char *err, size_t errlen);
	/* Fill `out`, this module's object in `admctl status --json`. */
	void (*status)(struct admd *ad, json_t *out);
	/* Append this module's metric families (Prometheus text) to b. */
	void (*metrics)(struct admd *ad, struct adm_buf *b);
	/* Decision sink: one sampled decision record from the kernel. */
	void (*event)(struct admd *ad, const struct adm_event *e);
	/*
	 * Audit sinks. audit_ready: can a record be taken durably right now?
	 * (0, or -1 with err: the write that would produce it is refused.)
	 * audit: take one record (0, or -1 with err).
	 */
	int (*audit_ready)(struct admd *ad, char *err, size_t errlen);
	int (*audit)(struct admd *ad, const struct adm_audit *a, char *err,
		     size_t errlen);
	/* Commands this module serves on the control socket; {} ends it. */
	const struct admd_cmd *cmds;
	/* Release everything; `aborted`: admd's start failed, undo changes. */
	void (*stop)(struct admd *ad, int aborted);
};

/* Fan-out to every module's `event` hook. */
void admd_event(struct admd *ad, const struct adm_event *e);
/*
 * An operator action, to every audit sink. admd_audit_ready before the
 * change is applied: a write whose record cannot be kept is refused.
 * admd_audit returns 0, or -1 with err when a durable sink failed.
 */
int admd_audit_ready(struct admd *ad, char *err, size_t errlen);
int admd_audit(struct admd *ad, const struct adm_audit *a, char *err,
	       size_t errlen);

/* The command `name` of any module, or NULL. */
const struct admd_cmd *admd_cmd_find(const struct admd *ad, const char *name,
				     const struct admd_module **mod);

/* Every module's status object, under its name, into out. */
void admd_status(struct admd *ad, json_t *out);
/* Every module's metric families into b. */
void admd_metrics(struct admd *ad, struct adm_buf *b);

#endif /* ADMD_ADMD_H */
