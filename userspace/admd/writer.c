// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module "writer": operator writes to the policy maps, served on the
 * control socket, audited (admd_audit_ready before, admd_audit after) and
 * answered with the audit record, as `attach` is. See writer.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "control.h"
#include "ops.h"
#include "writer.h"

/* Requests served since start, by how they ended. */
static struct {
	unsigned long long ok, failed, invalid;
} wr;

/* A request that is wrong (exit 2 for admctl): nothing written, not audited. */
static void wr_invalid(struct ctl_req *r, const char *err)
{
	wr.invalid++;
	ctl_reply(r, json_pack("{s:b, s:s, s:b}", "ok", 0, "error", err,
			       "usage", 1));
}

/*
 * Does the request's "pin_root" (the instance the client reads; absent: any)
 * name admd's own? Compared as real paths, so "/a/b/" and "/a/b" agree.
 */
static int wr_same_root(const struct admd *ad, const char *theirs)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!theirs || !strcmp(theirs, ad->cfg->pin_root))
		return 1;
	return realpath(theirs, a) && realpath(ad->cfg->pin_root, b) && !strcmp(a, b);
}

/*
 * A live conn_limit on a conn_limit = auto service would last until the
 * breaker module's next tick (250 ms): refused, with what to do instead.
 * 0, or -1 with err.
 */
static int wr_auto_limit(const struct admd *ad, const struct adm_op *op,
			 char *err, size_t errlen)
{
	const struct adm_config *cfg = ad->cfg;
	int i;

	if (op->kind != ADM_OP_LIMITS_SET || strcmp(op->key, "conn_limit"))
		return 0;
	for (i = 0; i < cfg->n_svcs; i++) {
		const struct adm_svc_config *sc = &cfg->svcs[i];

		if (strcmp(sc->name, op->service) || !sc->brk.conn_limit_auto)
			continue;
		snprintf(err, errlen,
			 "service %s has conn_limit = auto: admd sets its limit every 250 ms (within %llu..%llu); set conn_limit_min/conn_limit_max, or a fixed conn_limit = N, in %.300s and run 'admctl reload'",
			 sc->name, (unsigned long long)sc->brk.conn_limit_min,
			 (unsigned long long)sc->brk.conn_limit_max,
			 cfg->path);
		return -1;
	}
	return 0;
}

static void wr_serve(struct admd *ad, struct ctl_req *r)
{
	const char *cmd = json_string_value(json_object_get(r->req, "cmd"));
	char err[ADM_ERR_MAX] = "";
	struct adm_op_result res;
	struct adm_audit a;
	struct adm_op op;
	int rc;

	rc = adm_op_from_json(cmd ? cmd : "", r->req, &op, err, sizeof(err));
	if (rc) {
		wr_invalid(r, rc > 0 ? "not an operation" : err);
		return;
	}
	if (!wr_same_root(ad, json_string_value(json_object_get(r->req, "pin_root")))) {
		snprintf(err, sizeof(err),
			 "this admd writes the maps under %.150s, not %.150s; give admctl the matching --socket or --pin-root (or -c with the config)",
			 ad->cfg->pin_root, json_string_value(json_object_get(r->req, "pin_root")));
		wr_invalid(r, err);
		return;
	}
	if (adm_op_check(&op, err, sizeof(err)) ||
	    wr_auto_limit(ad, &op, err, sizeof(err))) {
		wr_invalid(r, err);
		return;
	}
	if (admd_audit_ready(ad, err, sizeof(err))) {
		wr.failed++;
		ctl_fail(r, "%s refused: %s", cmd, err);
		return;
	}
	rc = adm_op_apply(ad->cfg->pin_root, &op, &res, err, sizeof(err));
	if (rc == -EINVAL) {
		wr_invalid(r, err);
		return;
	}
	ctl_audit_init(r, &a, "%s", res.what);
	snprintf(a.before, sizeof(a.before), "%s", res.before);
	snprintf(a.after, sizeof(a.after), "%s", res.after);
	snprintf(a.result, sizeof(a.result), "%s%s", rc ? "failed: " : "ok",
		 rc ? err : "");
	admd_audit(ad, &a, NULL, 0);
	if (rc) {
		wr.failed++;
		ctl_fail(r, "%s", err);
		return;
	}
	wr.ok++;
	ctl_reply(r, json_pack("{s:o}", "audit", adm_audit_to_json(&a)));
}

static const struct admd_cmd wr_cmds[] = {
	{ .name = "limits_set", .write = 1, .fn = wr_serve },
	{ .name = "breaker", .write = 1, .fn = wr_serve },
	{ .name = "mode", .write = 1, .fn = wr_serve },
	{ .name = "degrade", .write = 1, .fn = wr_serve },
	{ .name = "block_add", .write = 1, .fn = wr_serve },
	{ .name = "block_del", .write = 1, .fn = wr_serve },
	{ .name = "allow_add", .write = 1, .fn = wr_serve },
	{ .name = "allow_del", .write = 1, .fn = wr_serve },
	{}
};

static int wr_start(struct admd *ad, char *err, size_t errlen)
{
	(void)ad;
	(void)err;
	(void)errlen;
	memset(&wr, 0, sizeof(wr));
	return 0;
}

static void wr_status(struct admd *ad, json_t *o)
{
	(void)ad;
	json_object_set_new(o, "writes_ok", json_integer((json_int_t)wr.ok));
	json_object_set_new(o, "writes_failed", json_integer((json_int_t)wr.failed));
	json_object_set_new(o, "writes_invalid", json_integer((json_int_t)wr.invalid));
}

static void wr_metrics(struct admd *ad, struct adm_buf *b)
{
	(void)ad;
	adm_buf_family(b, "adm_operator_writes_total", "counter",
		       "Operator writes (limits, breaker, mode, degrade, block, allow) admd served, by result.");
	adm_buf_printf(b, "adm_operator_writes_total{result=\"ok\"} %llu\n", wr.ok);
	adm_buf_printf(b, "adm_operator_writes_total{result=\"failed\"} %llu\n", wr.failed);
	adm_buf_printf(b, "adm_operator_writes_total{result=\"invalid\"} %llu\n", wr.invalid);
}

const struct admd_module wr_module = {
	.name = "writer",
	.start = wr_start,
	.status = wr_status,
	.metrics = wr_metrics,
	.cmds = wr_cmds,
};
