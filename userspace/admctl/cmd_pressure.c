// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl pressure: an application tells admd how loaded it feels (level
 * 0..3). admd's breaker module raises every service's degradation level to
 * the highest pressure reported (so sheddable services go first), and a
 * service with breaker_pressure = N counts a level >= N as unhealthy. A
 * level lapses after its TTL (default 60 s): report it periodically.
 */
#include <stdio.h>
#include <string.h>
#include "admctl.h"
#include "util.h"

static void pressure_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl pressure [--socket PATH] SERVICE LEVEL [--ttl D]\n"
"\n"
"Report the pressure SERVICE is under, LEVEL 0..%d (0: none). admd (its\n"
"breaker module) raises the degradation level of every service to at least\n"
"LEVEL ('admctl degrade --help'), and trips SERVICE's breaker when LEVEL\n"
"reaches its breaker_pressure. The level lapses after D (default 60s, at\n"
"most 7d): an application reports it again while the pressure lasts.\n"
"Needs admd.\n"
"\n"
"  --socket PATH  send it on admd's pressure socket ([adm] pressure_socket):\n"
"                 an application in [adm] pressure_group may report there\n"
"                 without root; admd checks the service name\n"
"\n"
"Examples:\n"
"  admctl pressure web 2\n"
"  admctl pressure web 0\n"
"  admctl pressure db 3 --ttl 30s\n"
"  admctl pressure --socket /run/adm/pressure.sock web 1   # as the app's user\n"
"  echo 'web 1' | socat - UNIX-CONNECT:/run/adm/pressure.sock   # the same, without admctl\n",
		ADM_DEGRADE_MAX);
}

int do_pressure(struct ctl *ctl, int argc, char **argv)
{
	const char *ttl = NULL, *sock = NULL, *pos[2];
	const struct ctl_opt opts[] = { { .name = "ttl", .value = &ttl },
					{ .name = "socket", .value = &sock }, {} };
	json_int_t ttl_ms = 0;
	char err[ADM_ERR_MAX];
	json_t *req, *resp = NULL;
	__u64 level;
	__u32 id;
	int rc, n_pos;

	rc = ctl_args(ctl, "pressure", argc, argv, 1, opts, pos, 2, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		pressure_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (n_pos != 2)
		return ctl_usage_error("pressure", "needs SERVICE and LEVEL (0..%d), e.g. 'admctl pressure web 2'",
				       ADM_DEGRADE_MAX);
	if (adm_parse_u64(pos[1], 0, ADM_DEGRADE_MAX, &level))
		return ctl_usage_error("pressure", "level '%s' is not a number 0..%d",
				       pos[1], ADM_DEGRADE_MAX);
	rc = ctl_parse_ttl("pressure", ttl, &ttl_ms);
	if (rc)
		return rc;
	if (sock) {
		/* The app may not read the pins: admd knows the names. */
		if (sock[0] != '/' || strlen(sock) >= sizeof(ctl->socket))
			return ctl_usage_error("pressure", "--socket '%s' must be an absolute path shorter than %zu characters",
					       sock, sizeof(ctl->socket));
		snprintf(ctl->socket, sizeof(ctl->socket), "%s", sock);
	} else {
		rc = ctl_service(ctl, "pressure", pos[0], &id, NULL);
		if (rc)
			return rc;
	}
	req = json_pack("{s:s, s:s, s:I}", "cmd", "pressure", "service", pos[0],
			"level", (json_int_t)level);
	if (ttl_ms)
		json_object_set_new(req, "ttl_ms", json_integer(ttl_ms));
	rc = ctl_call(ctl, req, &resp, err, sizeof(err));
	if (rc && strstr(err, "ermission denied")) {
		fprintf(stderr, "admctl pressure: %s; without root, report on admd's pressure socket ([adm] pressure_socket) with --socket PATH, as a member of its pressure_group\n",
			err);
		return EXIT_FAIL;
	}
	if (rc) {
		fprintf(stderr, "admctl pressure: %s; pressure goes to admd (its breaker module): start admd\n",
			err);
		return EXIT_FAIL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "admctl pressure: %s\n",
			json_string_value(json_object_get(resp, "error")) ?: "admd refused");
		rc = json_is_true(json_object_get(resp, "usage")) ? EXIT_USAGE : EXIT_FAIL;
		json_decref(resp);
		return rc;
	}
	if (ctl->json)
		ctl_print_json(json_incref(resp));
	else
		printf("pressure %s: %lld for %lld ms\n", pos[0],
		       (long long)json_integer_value(json_object_get(resp, "level")),
		       (long long)json_integer_value(json_object_get(resp, "ttl_ms")));
	json_decref(resp);
	return EXIT_OK;
}
