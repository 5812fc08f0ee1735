/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Operator writes to the policy maps (prefix adm_op_): `limits set`,
 * `breaker`, `mode`, `degrade`, `block`/`allow` `add`/`del`. One function
 * applies each, whoever calls it: admd serves them on its control socket
 * (userspace/admd/ops.c), the single writer while it runs; admctl calls
 * the same function itself only when admd is not running. Also the
 * request's JSON form on the control socket and its audit text.
 *
 * Every rate and burst goes through the config's conversion
 * (adm_rate_to_gcra_dp, via live.c): a burst set by hand gets the same
 * one-tick floor as one from the config file.
 */
#ifndef ADM_OPS_H
#define ADM_OPS_H

#include <stddef.h>
#include <linux/types.h>
#include <jansson.h>
#include "config.h"
#include "ctlproto.h"

enum adm_op_kind {
	ADM_OP_LIMITS_SET = 0,
	ADM_OP_BREAKER,
	ADM_OP_MODE,
	ADM_OP_DEGRADE,
	ADM_OP_BLOCK_ADD,
	ADM_OP_BLOCK_DEL,
	ADM_OP_ALLOW_ADD,
	ADM_OP_ALLOW_DEL,
	ADM_OP__MAX,
};

#define ADM_OP_KEY_MAX		32
#define ADM_OP_VALUE_MAX	64	/* a limit's value, a CIDR */
#define ADM_OP_TTL_MAX		32
#define ADM_OP_PERMILLE		1000	/* half_open_permille counts in thousandths */
#define ADM_OP_TTL_MAX_DAYS	3650	/* --ttl at most ten years */

/*
 * One parsed request. Fields a kind does not use stay zero.
 *   LIMITS_SET  service, key, value (config syntax: "200", "50/s", "reject")
 *   BREAKER     service ("" with all = 1, or "" to close every service),
 *               breaker (ADM_BRK_*), permille (half-open: 1..999)
 *   MODE        service ("" = every service), shadow (0 enforce, 1 shadow)
 *   DEGRADE     level (0..ADM_DEGRADE_MAX), for every service id
 *   BLOCK/ALLOW value (a CIDR), ttl (add only, "" = never expires)
 */
struct adm_op {
	enum adm_op_kind kind;
	char service[ADM_SVC_NAME_MAX];
	int all;
	char key[ADM_OP_KEY_MAX];
	char value[ADM_OP_VALUE_MAX];
	char ttl[ADM_OP_TTL_MAX];
	__u32 breaker, permille, shadow, level;
};

/* What an applied operation did: its audit texts. */
struct adm_op_result {
	char what[ADM_AUDIT_WHAT_MAX];		/* "limits set web conn_limit 200" */
	char before[ADM_AUDIT_STATE_MAX];	/* "web conn_limit=500" */
	char after[ADM_AUDIT_STATE_MAX];
};

/* The control-socket command of a kind ("limits_set", "block_add", ...). */
const char *adm_op_cmd(enum adm_op_kind kind);

/*
 * Judge the request without the maps: key, value, range, CIDR, TTL.
 * Returns 0, or -EINVAL with one sentence in err (a usage error).
 */
int adm_op_check(const struct adm_op *op, char *err, size_t errlen);

/*
 * Apply op to the maps under pin_root: check it, find its service(s),
 * read the state before, write, read it after. res gets the audit texts
 * (what, and before/after even on failure). Returns 0; -EINVAL with one
 * sentence in err when the request is wrong (unknown service, a burst
 * whose rate is off: nothing written); another -errno with one sentence
 * when the write failed (-ENOENT: no pins, or `del` of an absent entry).
 */
int adm_op_apply(const char *pin_root, const struct adm_op *op,
		 struct adm_op_result *res, char *err, size_t errlen);

/* What an operator should know after it ("in effect until ..."), or NULL. */
const char *adm_op_note(enum adm_op_kind kind);

/* The request as a control-socket object {"cmd": ..., ...}. NULL: no memory. */
json_t *adm_op_to_json(const struct adm_op *op);

/*
 * The request of control-socket command `cmd` from its object. Returns 0,
 * 1 when cmd is not an operation, or -EINVAL with one sentence in err
 * (a field missing, of the wrong type or too long). Judges no values:
 * adm_op_apply does.
 */
int adm_op_from_json(const char *cmd, json_t *req, struct adm_op *op,
		     char *err, size_t errlen);

#endif /* ADM_OPS_H */
