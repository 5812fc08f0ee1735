// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* admctl status: admd's view through the control socket, or the maps' own. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "admctl.h"
#include "pins.h"

#define SEC_PER_MIN	60
#define SEC_PER_HOUR	3600
#define SEC_PER_DAY	86400
#define MS_PER_SEC	1000.0
#define PORTS_TEXT_MAX	64

static void status_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl status [--json]\n"
"\n"
"What admd reports over its control socket: its pid and uptime, config,\n"
"interfaces and their XDP mode, the socket layer, and per service the\n"
"ports, mode, breaker, degradation, live connections and the results of\n"
"the last socket table recount. If admd does not answer, says so, shows\n"
"what the pinned maps tell, and exits 1.\n"
"\n"
"Examples:\n"
"  admctl status\n"
"  admctl status --json | jq '.services[] | {name, breaker}'\n");
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void duration(long long s, char *buf, size_t len)
{
	if (s >= SEC_PER_DAY)
		snprintf(buf, len, "%lldd%02lldh", s / SEC_PER_DAY,
			 s % SEC_PER_DAY / SEC_PER_HOUR);
	else if (s >= SEC_PER_HOUR)
		snprintf(buf, len, "%lldh%02lldm", s / SEC_PER_HOUR,
			 s % SEC_PER_HOUR / SEC_PER_MIN);
	else
		snprintf(buf, len, "%lldm%02llds", s / SEC_PER_MIN, s % SEC_PER_MIN);
}

static void print_admd(json_t *st)
{
	json_t *admd = json_object_get(st, "admd");
	json_t *sk = json_object_get(st, "sockets");
	json_t *ev = json_object_get(st, "events");
	json_t *ctl = json_object_get(st, "control");
	char up[32];

	if (!json_is_true(json_object_get(admd, "running"))) {
		printf("admd: NOT RUNNING (%s)\n"
		       "  enforcement lives in the kernel and goes on; this is what the pinned maps tell:\n",
		       str(admd, "error"));
		return;
	}
	duration(num(admd, "uptime_s"), up, sizeof(up));
	printf("admd: running, pid %lld, up %s, %s mode\n", num(admd, "pid"), up,
	       str(admd, "mode"));
	printf("  config %s, control socket %s\n", str(admd, "config"),
	       str(admd, "control_socket"));
	printf("  socket layer %s%s%s; %lld events drained, %lld kept for 'admctl logs'\n",
	       json_is_object(sk) ? "running" : "NOT running",
	       json_is_string(json_object_get(sk, "reconcile_error")) ?
	       ", last recount failed: " : "",
	       json_is_string(json_object_get(sk, "reconcile_error")) ?
	       str(sk, "reconcile_error") : "",
	       num(ev, "drained"), num(ctl, "records"));
	if (json_is_string(json_object_get(admd, "metrics")))
		printf("  metrics http://%s/metrics\n", str(admd, "metrics"));
}

static void print_status(json_t *st)
{
	json_t *v, *svcs = json_object_get(st, "services");
	size_t i, j;

	print_admd(st);
	printf("pin root %s, degradation level %lld, socket layer %s\n",
	       str(st, "pin_root"), num(st, "degrade"),
	       json_is_true(json_object_get(json_object_get(st, "socket_layer"), "attached")) ?
	       "attached" : "NOT attached");
	printf("interfaces:\n");
	if (!json_array_size(json_object_get(st, "interfaces")))
		printf("  (none: adm judges no traffic; 'admctl attach IFACE')\n");
	json_array_foreach(json_object_get(st, "interfaces"), i, v)
		printf("  %-16s %-8s prog id %lld\n", str(v, "name"), str(v, "mode"),
		       num(v, "prog_id"));
	printf("services:\n");
	if (!json_array_size(svcs)) {
		printf("  (none)\n");
		return;
	}
	printf("  %-3s %-16s %-18s %-8s %-18s %-10s %8s %8s  %s\n", "id", "name",
	       "ports", "mode", "breaker", "priority", "live", "limit", "last recount");
	json_array_foreach(svcs, i, v) {
		json_t *rec = json_object_get(v, "reconcile"), *p;
		char ports[PORTS_TEXT_MAX] = "", brk[32], lim[24], when[48];
		size_t used = 0;

		json_array_foreach(json_object_get(v, "ports"), j, p)
			if (used < sizeof(ports))
				used += snprintf(ports + used, sizeof(ports) - used, "%s%s",
						 j ? "," : "", json_string_value(p));
		if (!strcmp(str(v, "breaker"), "half-open"))
			snprintf(brk, sizeof(brk), "half-open %lld/1000", num(v, "half_open_permille"));
		else
			snprintf(brk, sizeof(brk), "%s", str(v, "breaker"));
		if (num(v, "conn_limit"))
			snprintf(lim, sizeof(lim), "%lld", num(v, "conn_limit"));
		else
			snprintf(lim, sizeof(lim), "none");
		if (json_is_integer(json_object_get(rec, "last_ms_ago")))
			snprintf(when, sizeof(when), "%.1fs ago, %lld+%lld corrections, %lld untracked",
				 num(rec, "last_ms_ago") / MS_PER_SEC,
				 num(rec, "corrections"), num(rec, "src_corrections"),
				 num(rec, "untracked"));
		else
			snprintf(when, sizeof(when), "never");
		printf("  %-3lld %-16s %-18s %-8s %-18s %-10s %8lld %8s  %s\n",
		       num(v, "id"), str(v, "name"), ports[0] ? ports : "-",
		       str(v, "mode"), brk, str(v, "priority"), num(v, "live"), lim, when);
	}
}

int do_status(struct ctl *ctl, int argc, char **argv)
{
	char err[ADM_ERR_MAX];
	json_t *resp = NULL, *st = NULL;
	int n_pos, rc, running = 0;

	rc = ctl_args(ctl, "status", argc, argv, 1, NULL, NULL, 0, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		status_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	rc = ctl_call(ctl, json_pack("{s:s}", "cmd", "status"), &resp, err, sizeof(err));
	if (!rc && json_is_true(json_object_get(resp, "ok")) &&
	    json_is_object(json_object_get(resp, "status"))) {
		st = json_incref(json_object_get(resp, "status"));
		running = 1;
	} else if (!rc) {
		snprintf(err, sizeof(err), "admd answered: %s",
			 str(resp, "error"));
	}
	json_decref(resp);
	if (!st) {
		int merr;

		st = adm_ms_status(ctl->pin_root, &merr);
		if (!st) {
			if (merr == -ENOENT && !adm_bpffs_present(ctl->pin_root))
				fprintf(stderr,
					"admctl status: admd is not running (%s) and nothing is pinned: no bpf filesystem holds %s (admd mounts one at %s when it starts)\n",
					err, ctl->pin_root, ADM_BPFFS_DEFAULT);
			else if (merr == -ENOENT)
				fprintf(stderr,
					"admctl status: admd is not running (%s) and there are no adm maps under %s; is this the right pin root (-c FILE, --pin-root DIR)?\n",
					err, ctl->pin_root);
			else
				fprintf(stderr,
					"admctl status: admd is not running (%s) and the maps under %s cannot be read: %s\n",
					err, ctl->pin_root, strerror(-merr));
			return EXIT_FAIL;
		}
		json_object_set_new(st, "admd", json_pack("{s:b, s:s}", "running", 0,
							  "error", err));
	}
	if (ctl->json) {
		ctl_print_json(st);
	} else {
		print_status(st);
		json_decref(st);
	}
	return running ? EXIT_OK : EXIT_FAIL;
}
