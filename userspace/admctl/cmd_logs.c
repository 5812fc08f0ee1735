// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl logs tail: the records admd keeps (the last CTL_RING decision
 * records it drained from the kernel, and audit records), and with
 * --follow every new one as admd gets it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "admctl.h"
#include "util.h"

#define LOGS_DEFAULT_N	10
#define LOGS_MAX_N	1000		/* admd keeps this many */
#define AUDIT_LINE_MAX	(2 * sizeof(struct adm_audit))

static void logs_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl logs tail [-n N] [--follow] [--json]\n"
"\n"
"The last N records admd keeps (default %d, at most %d): sampled decisions\n"
"drained from the kernel (the first refusal per source per second, with how\n"
"many it stands for) and audit records of every operator action. --follow\n"
"then prints new records as admd drains them, until Ctrl-C. --json prints\n"
"one JSON object per line. Needs admd running.\n"
"\n"
"Examples:\n"
"  admctl logs tail\n"
"  admctl logs tail -n 100 --json | jq 'select(.type == \"audit\")'\n"
"  admctl logs tail -n 0 --follow\n", LOGS_DEFAULT_N, LOGS_MAX_N);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static void print_record(struct ctl *ctl, json_t *rec)
{
	const char *type = str(rec, "type");

	if (ctl->json) {
		json_dumpf(rec, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (!strcmp(type, "audit")) {
		char err[ADM_ERR_MAX], line[AUDIT_LINE_MAX];
		struct adm_audit a;

		if (adm_audit_from_json(rec, &a, err, sizeof(err)))
			snprintf(line, sizeof(line), "(unreadable: %s)", err);
		else
			adm_audit_format(&a, line, sizeof(line));
		printf("%s audit %s\n", str(rec, "time"), line);
	} else {
		printf("%s %s %s %s:%lld -> :%lld/%s %s %s x%lld\n", str(rec, "time"),
		       type, str(rec, "service"), str(rec, "src"),
		       json_integer_value(json_object_get(rec, "sport")),
		       json_integer_value(json_object_get(rec, "dport")),
		       str(rec, "proto"), str(rec, "verdict"), str(rec, "reason"),
		       json_integer_value(json_object_get(rec, "count")));
	}
	fflush(stdout);
}

int do_logs(struct ctl *ctl, int argc, char **argv)
{
	const char *n_text = NULL, *pos[1];
	int follow = 0, rc, n_pos, fd = -1, ret = EXIT_FAIL;
	const struct ctl_opt opts[] = {
		{ .name = "count", .short_name = 'n', .value = &n_text },
		{ .name = "follow", .short_name = 'f', .flag = &follow },
		{}
	};
	struct adm_ctl_reader r = {};
	json_t *resp = NULL, *req;
	__u64 n = LOGS_DEFAULT_N;
	json_int_t count, i;

	rc = ctl_args(ctl, "logs", argc, argv, 1, opts, pos, 1, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		logs_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos)
		return ctl_usage_error("logs", "tail? see 'admctl logs --help'");
	if (strcmp(pos[0], "tail"))
		return ctl_usage_error("logs", "unknown action '%s' (tail)", pos[0]);
	if (n_text && adm_parse_u64(n_text, 0, LOGS_MAX_N, &n))
		return ctl_usage_error("logs tail", "-n '%s' is not a number 0..%d",
				       n_text, LOGS_MAX_N);
	fd = adm_ctl_connect(ctl->socket, ADM_CTL_TIMEOUT_MS);
	if (fd < 0) {
		fprintf(stderr, "admctl logs: cannot reach admd at %s: %s; the records live in admd (and its log: journalctl -u admd)\n",
			ctl->socket, strerror(-fd));
		return EXIT_FAIL;
	}
	req = json_pack("{s:s, s:I, s:b}", "cmd", "logs", "n", (json_int_t)n,
			"follow", follow);
	rc = adm_ctl_send(fd, req);
	json_decref(req);
	if (!rc)
		rc = adm_ctl_read(fd, &r, ADM_CTL_TIMEOUT_MS, &resp);
	if (rc) {
		fprintf(stderr, "admctl logs: no answer from admd at %s: %s\n",
			ctl->socket, strerror(-rc));
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "admctl logs: %s\n", str(resp, "error"));
		goto out;
	}
	count = json_integer_value(json_object_get(resp, "count"));
	for (i = 0; ; i++) {
		json_t *line = NULL;

		if (!follow && i >= count)
			break;
		rc = adm_ctl_read(fd, &r, follow && i >= count ? -1 : ADM_CTL_TIMEOUT_MS,
				  &line);
		if (rc) {
			fprintf(stderr, "admctl logs: %s\n", rc == -EPIPE ?
				"admd closed the stream (did it stop?)" : strerror(-rc));
			goto out;
		}
		print_record(ctl, json_object_get(line, "event"));
		json_decref(line);
	}
	ret = EXIT_OK;
out:
	json_decref(resp);
	adm_ctl_reader_free(&r);
	close(fd);
	return ret;
}
