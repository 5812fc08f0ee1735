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

/* "cluster: off", or the store, the nodes and each service's mode and share. */
static void print_cluster(json_t *cl)
{
	const char *name;
	json_t *v;

	if (!json_is_object(cl))
		return;
	if (!strcmp(str(cl, "state"), "off")) {
		printf("  cluster: off (no [redis] section: local limits)\n");
		return;
	}
	printf("  cluster '%s', node '%s': %s, store %s, %lld live nodes, round %.1f ms\n",
	       str(cl, "cluster"), str(cl, "node"), str(cl, "state"), str(cl, "store"),
	       num(cl, "live_nodes"), json_number_value(json_object_get(cl, "last_round_ms")));
	if (json_is_string(json_object_get(cl, "last_error")))
		printf("    last error %.0f s ago: %s\n",
		       json_number_value(json_object_get(cl, "last_error_ago_s")),
		       str(cl, "last_error"));
	json_object_foreach(json_object_get(cl, "services"), name, v) {
		printf("    %-16s %s for %.0f s (on_store_failure %s)", name, str(v, "mode"),
		       json_number_value(json_object_get(v, "mode_for_s")),
		       str(v, "on_store_failure"));
		if (json_is_integer(json_object_get(v, "enforced")))
			printf(", enforcing %lld of conn_limit %lld (cluster live %lld)",
			       num(v, "enforced"), num(v, "conn_limit"), num(v, "cluster_live"));
		else if (json_is_string(json_object_get(v, "enforced")))
			printf(", refusing every new connection");
		printf("\n");
	}
}

/* admd's HTTP 503 responder (reply), when some service uses it. */
static void print_responder(json_t *rp)
{
	if (!json_is_true(json_object_get(rp, "in_use")))
		return;
	printf("  reply: %lld of %lld responder connections open%s, Retry-After %lld+0..%lld s; "
	       "%lld sent, RST instead: %lld full, %lld over the cap, %lld responder down\n",
	       num(rp, "open"), num(rp, "reply_max"),
	       json_is_true(json_object_get(rp, "full")) ? " (FULL: refusals get RST)" : "",
	       num(rp, "retry_after"), num(rp, "retry_after_jitter"), num(rp, "sent"),
	       num(rp, "fallback_full"), num(rp, "cap_rst"), num(rp, "fallback_down"));
}

static void print_admd(json_t *st)
{
	json_t *admd = json_object_get(st, "admd");
	json_t *sk = json_object_get(st, "sockets");
	json_t *ev = json_object_get(st, "events");
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
	printf("  socket layer %s%s%s; %lld events drained\n",
	       json_is_object(sk) ? "running" : "NOT running",
	       json_is_string(json_object_get(sk, "reconcile_error")) ?
	       ", last recount failed: " : "",
	       json_is_string(json_object_get(sk, "reconcile_error")) ?
	       str(sk, "reconcile_error") : "",
	       num(ev, "drained"));
	if (json_is_string(json_object_get(admd, "metrics")))
		printf("  metrics http://%s/metrics\n", str(admd, "metrics"));
	print_responder(json_object_get(st, "responder"));
	print_cluster(json_object_get(st, "cluster"));
}

/* The log pipeline (admd's spool and mariadb modules), when admd runs. */
static void print_logs(json_t *st)
{
	json_t *sp = json_object_get(st, "spool"), *db = json_object_get(st, "mariadb"), *ag;

	if (!json_is_object(sp))
		return;
	printf("logs: spool %s, %lld of %lld MiB, %lld queued, %lld dropped%s%s\n",
	       str(sp, "dir"), num(sp, "bytes") >> 20, num(sp, "max_bytes") >> 20,
	       num(sp, "queued"), num(sp, "dropped_queue_full") + num(sp, "dropped_spool_full"),
	       json_is_false(json_object_get(sp, "writing")) ? ", NOT WRITING: " : "",
	       json_is_false(json_object_get(sp, "writing")) ? str(sp, "error") : "");
	ag = json_object_get(sp, "aggregate");
	if (json_is_object(ag) && num(ag, "window_ms"))
		printf("      aggregation %lld ms: %lld kernel records -> %lld, %lld keys now, %lld early flushes (table full)\n",
		       num(ag, "window_ms"), num(ag, "records_in"), num(ag, "records_out"),
		       num(ag, "entries"), num(ag, "flushes_full"));
	else if (json_is_object(ag))
		printf("      aggregation off\n");
	if (!json_is_true(json_object_get(db, "configured"))) {
		printf("      no [mariadb] server: the spool is a rotating local log\n");
		return;
	}
	printf("      MariaDB %s %s: %lld rows (%.0f/s), oldest unsent %.1f s, %lld retries, %lld dead letters%s%s\n",
	       str(db, "server"), json_is_true(json_object_get(db, "up")) ? "up" : "DOWN",
	       num(db, "rows"), json_real_value(json_object_get(db, "rows_per_sec")),
	       json_real_value(json_object_get(db, "oldest_unsent_seconds")),
	       num(db, "retries"), num(db, "dead_letters"),
	       json_object_get(db, "error") ? "; " : "",
	       json_object_get(db, "error") ? str(db, "error") : "");
}

/* adm_src_filter's fill (maps) and its last rebuild (admd's socket layer). */
static void print_src_filter(json_t *st)
{
	json_t *f = json_object_get(st, "src_filter");
	json_t *r = json_object_get(json_object_get(st, "sockets"), "src_filter");

	if (!json_is_object(f))
		return;
	printf("src filter: %lld of %lld bits set (%.2f%%: a never-verified source's SYN looks up adm_src that often)\n",
	       num(f, "bits_set"), num(f, "bits"),
	       100.0 * json_number_value(json_object_get(f, "fill")));
	if (json_object_get(f, "summary_bits"))
		printf("  summary: %lld of %lld bits set (%.2f%%: such a SYN reads the filter that often)\n",
		       num(f, "summary_bits_set"), num(f, "summary_bits"),
		       100.0 * json_number_value(json_object_get(f, "summary_fill")));
	if (!json_is_object(r))
		return;
	if (!num(r, "rebuilds"))
		printf("  not rebuilt yet\n");
	else if (json_is_string(json_object_get(r, "error")))
		printf("  last rebuild failed: %s\n", str(r, "error"));
	else
		printf("  rebuilt %.0f s ago from %lld adm_src keys in %.1f ms (%lld bits before, %lld after); %lld rebuilds\n",
		       json_number_value(json_object_get(r, "age_s")), num(r, "keys"),
		       json_number_value(json_object_get(r, "last_rebuild_ms")),
		       num(r, "bits_before"), num(r, "bits_after"), num(r, "rebuilds"));
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
	print_src_filter(st);
	print_logs(st);
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
