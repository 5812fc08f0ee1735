// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The host of admd's modules: start and stop in list order, all-or-nothing
 * reload, the fan-out of records to sinks, status and metrics of every
 * module, command lookup; and module "admd", the daemon's own view and its
 * `reload` command. See admd.h for the lifecycle contract.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "admd.h"
#include "clock.h"
#include "control.h"
#include "host.h"
#include "log.h"
#include "pins.h"


void admd_event(struct admd *ad, const struct adm_event *e)
{
	const struct admd_module *const *m;

	for (m = ad->mods; *m; m++)
		if ((*m)->event)
			(*m)->event(ad, e);
}

int admd_audit_ready(struct admd *ad, char *err, size_t errlen)
{
	const struct admd_module *const *m;

	for (m = ad->mods; *m; m++)
		if ((*m)->audit_ready && (*m)->audit_ready(ad, err, errlen))
			return -1;
	return 0;
}

int admd_audit(struct admd *ad, const struct adm_audit *a, char *err,
	       size_t errlen)
{
	const struct admd_module *const *m;
	char e[ADM_ERR_MAX];
	int ret = 0;

	/* Every sink gets the record, whatever an earlier one said. */
	for (m = ad->mods; *m; m++) {
		if (!(*m)->audit || !(*m)->audit(ad, a, e, sizeof(e)))
			continue;
		adm_err("audit record not kept by %s: %s", (*m)->name, e);
		if (!ret && err && errlen)
			snprintf(err, errlen, "%s: %s", (*m)->name, e);
		ret = -1;
	}
	return ret;
}

const struct admd_cmd *admd_cmd_find(const struct admd *ad, const char *name,
				     const struct admd_module **mod)
{
	const struct admd_module *const *m;
	const struct admd_cmd *k;

	for (m = ad->mods; *m; m++) {
		for (k = (*m)->cmds; k && k->name; k++) {
			if (strcmp(k->name, name))
				continue;
			if (mod)
				*mod = *m;
			return k;
		}
	}
	return NULL;
}

void admd_status(struct admd *ad, json_t *out)
{
	const struct admd_module *const *m;

	for (m = ad->mods; *m; m++) {
		json_t *o;

		if (!(*m)->status)
			continue;
		o = json_object_get(out, (*m)->name);
		if (!json_is_object(o)) {
			o = json_object();
			json_object_set_new(out, (*m)->name, o);
		}
		(*m)->status(ad, o);
	}
}

void admd_metrics(struct admd *ad, struct adm_buf *b)
{
	const struct admd_module *const *m;

	for (m = ad->mods; *m; m++)
		if ((*m)->metrics)
			(*m)->metrics(ad, b);
}

int admd_start(struct admd *ad, char *err, size_t errlen)
{
	const struct admd_module *const *m;

	for (m = ad->mods; *m; m++) {
		if (!(*m)->start || !(*m)->start(ad, err, errlen))
			continue;
		adm_err("%s: %s", (*m)->name, err);
		/* Everything started so far, the failed one too, in reverse, undone. */
		for (m++; m-- > ad->mods;)
			if ((*m)->stop)
				(*m)->stop(ad, 1);
		return -1;
	}
	return 0;
}

void admd_stop(struct admd *ad)
{
	const struct admd_module *const *m;

	for (m = ad->mods; *m; m++)
		;
	while (m-- > ad->mods)
		if ((*m)->stop)
			(*m)->stop(ad, 0);
}

/*
 * Check with every module, then apply in order; a failed apply re-applies
 * the old config to the modules already applied (and to the one that
 * failed, which may have gone part way).
 */
static int apply_all(struct admd *ad, const struct adm_config *next, char *err,
		     size_t errlen)
{
	const struct admd_module *const *m, *const *f;
	struct adm_config *old;
	char rerr[ADM_ERR_MAX];

	for (m = ad->mods; *m; m++) {
		if ((*m)->reload_check && (*m)->reload_check(ad, next, err, errlen))
			return -1;
	}
	for (m = ad->mods; *m; m++) {
		if (!(*m)->reload_apply || !(*m)->reload_apply(ad, next, err, errlen))
			continue;
		adm_err("reload: %s: %s; rolling back", (*m)->name, err);
		/* Each module sees the step back as a change from next to old. */
		old = ad->cfg;
		ad->cfg = (struct adm_config *)next;
		for (f = m; f >= ad->mods; f--) {
			if ((*f)->reload_apply &&
			    (*f)->reload_apply(ad, old, rerr, sizeof(rerr)))
				adm_err("reload: rollback of %s failed: %s", (*f)->name, rerr);
		}
		ad->cfg = old;
		return -1;
	}
	return 0;
}

/* "3 services (web, api, dns), enforce" for audit records. */
static void policy_text(const struct adm_config *cfg, char *buf, size_t len)
{
	size_t used;
	int i;

	used = snprintf(buf, len, "%d services (", cfg->n_svcs);
	for (i = 0; i < cfg->n_svcs && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 cfg->svcs[i].name);
	if (used < len)
		snprintf(buf + used, len - used, "), %s",
			 cfg->shadow ? "shadow" : "enforce");
}

int admd_reload(struct admd *ad, struct adm_audit *a, char *err, size_t errlen)
{
	struct adm_config *next = calloc(1, sizeof(*next));
	char perr[ADM_ERR_MAX];
	int ret = -1;

	policy_text(ad->cfg, a->before, sizeof(a->before));
	snprintf(a->after, sizeof(a->after), "%s", a->before);
	if (!next) {
		snprintf(err, errlen, "reload: out of memory");
		return -1;
	}
	if (adm_config_load(ad->path, next, perr, sizeof(perr))) {
		snprintf(err, errlen, "reload refused, old policy kept: %s", perr);
		goto out;
	}
	if (ad->shadow_flag)
		next->shadow = 1;
	next->force = ad->force_flag;
	if (ad->n_cli) {	/* -i wins over [adm] interfaces, as at start */
		next->n_ifaces = ad->cfg->n_ifaces;
		memcpy(next->ifaces, ad->cfg->ifaces, sizeof(next->ifaces));
	}
	if (apply_all(ad, next, perr, sizeof(perr))) {
		snprintf(err, errlen, "reload refused, old policy kept: %s", perr);
		goto out;
	}
	*ad->cfg = *next;
	policy_text(ad->cfg, a->after, sizeof(a->after));
	adm_info("reloaded %s: %d services", ad->path, ad->cfg->n_svcs);
	ret = 0;
out:
	if (ret)
		adm_err("%s", err);
	free(next);
	return ret;
}

/* ---------------------------------------------------------------- module "admd" */

static void core_status(struct admd *ad, json_t *o)
{
	json_t *ifs = json_array();
	int i;

	for (i = 0; i < ad->cfg->n_ifaces; i++)
		json_array_append_new(ifs, json_string(ad->cfg->ifaces[i]));
	json_object_set_new(o, "running", json_true());
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s", json_integer(
		(json_int_t)((adm_mono_ns() - ad->started_ns) / NS_PER_SEC)));
	json_object_set_new(o, "config", json_string(ad->path));
	json_object_set_new(o, "control_socket", json_string(ad->ctl_path));
	json_object_set_new(o, "mode", json_string(ad->cfg->shadow ? "shadow" : "enforce"));
	json_object_set_new(o, "configured_interfaces", ifs);
	json_object_set_new(o, "metrics", ad->cfg->metrics_listen[0] ?
			    json_string(ad->cfg->metrics_listen) : json_null());
	json_object_set_new(o, "pin_group", ad->cfg->pin_group[0] ?
			    json_string(ad->cfg->pin_group) : json_null());
}

static void cmd_reload(struct admd *ad, struct ctl_req *r)
{
	char err[ADM_ERR_MAX] = "";
	struct adm_audit a;
	int rc;

	if (admd_audit_ready(ad, err, sizeof(err))) {
		ctl_fail(r, "reload refused: %s", err);
		return;
	}
	ctl_audit_init(r, &a, "reload");
	rc = admd_reload(ad, &a, err, sizeof(err));
	snprintf(a.result, sizeof(a.result), "%s%s", rc ? "failed: " : "ok",
		 rc ? err : "");
	admd_audit(ad, &a, NULL, 0);
	if (rc)
		ctl_fail(r, "%s", err);
	else
		ctl_reply(r, json_pack("{s:o}", "audit", adm_audit_to_json(&a)));
}

static const struct admd_cmd core_cmds[] = {
	{ .name = "reload", .write = 1, .fn = cmd_reload },
	{}
};

const struct admd_module core_module = {
	.name = "admd",
	.status = core_status,
	.cmds = core_cmds,
};
