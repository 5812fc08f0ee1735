// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* admctl reload: admd re-reads its config, as on SIGHUP. */
#include <stdio.h>
#include "admctl.h"

static void reload_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl reload\n"
"\n"
"admd re-reads its config file and applies it at once, as on SIGHUP. Live\n"
"state is kept: rate-limit buckets, connection counters, statistics, verified\n"
"sources, breakers and the degradation level. Policy changed with 'admctl\n"
"limits set' and 'admctl mode' goes back to the config file's. An invalid\n"
"config is refused (exit 1, with the reason) and the running policy kept.\n"
"Interface changes and a new pin_root or control_socket need a restart.\n"
"\n"
"Examples:\n"
"  admctl reload\n"
"  admctl -c /etc/adm/edge.conf reload\n");
}

int do_reload(struct ctl *ctl, int argc, char **argv)
{
	char err[ADM_ERR_MAX];
	json_t *resp = NULL, *a;
	int rc, n_pos;

	rc = ctl_args(ctl, "reload", argc, argv, 1, NULL, NULL, 0, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		reload_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	rc = ctl_call(ctl, json_pack("{s:s}", "cmd", "reload"), &resp, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "admctl reload: %s; send admd SIGHUP instead (systemctl reload admd, or kill -HUP with its pid)\n",
			err);
		return EXIT_FAIL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "admctl reload: %s\n",
			json_string_value(json_object_get(resp, "error")) ?: "admd refused");
		json_decref(resp);
		return EXIT_FAIL;
	}
	a = json_object_get(resp, "audit");
	if (ctl->json)
		ctl_print_json(json_incref(a));
	else
		printf("reload: %s -> %s\n", json_string_value(json_object_get(a, "before")),
		       json_string_value(json_object_get(a, "after")));
	json_decref(resp);
	return EXIT_OK;
}
