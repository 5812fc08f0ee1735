// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl mode: enforce or shadow, per service (adm_state.shadow). In shadow
 * mode the data plane computes every verdict and counts refusals as
 * would_*, but lets the packet pass.
 */
#include <stdio.h>
#include <string.h>
#include "admctl.h"

static void mode_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl mode [--json]\n"
"       admctl mode enforce|shadow [SERVICE]\n"
"\n"
"Without arguments: the mode of each service.\n"
"  enforce  refusals happen (drop, defer, reject as configured)\n"
"  shadow   nothing is refused: would-be refusals are counted as would_drop,\n"
"           would_defer, would_reject ('admctl stats'), the packet passes\n"
"Without SERVICE the mode applies to every service. A reload or SIGHUP\n"
"applies the config file's [adm] mode again (so does admd's start). admd\n"
"makes the change while it runs; with admd down admctl makes it.\n"
"\n"
"Examples:\n"
"  admctl mode shadow web\n"
"  admctl mode enforce\n"
"  admctl mode --json\n");
}

int do_mode(struct ctl *ctl, int argc, char **argv)
{
	struct adm_state st[ADM_MAX_SERVICES];
	struct adm_op op = { .kind = ADM_OP_MODE };
	char cmd[CTL_CMD_MAX];
	const char *pos[2];
	struct ctl_sel sel;
	int rc, n_pos;
	__u32 id;

	rc = ctl_args(ctl, "mode", argc, argv, 1, NULL, pos, 2, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		mode_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos) {
		json_t *arr = json_array();

		rc = ctl_select(ctl, "mode", NULL, &sel);
		if (!rc)
			rc = ctl_state_read(ctl, st);
		if (rc) {
			json_decref(arr);
			return rc;
		}
		for (id = 1; id < ADM_MAX_SERVICES; id++) {
			if (!sel.pick[id])
				continue;
			if (ctl->json)
				json_array_append_new(arr, json_pack("{s:s, s:s}",
					"name", sel.names.name[id],
					"mode", st[id].shadow ? "shadow" : "enforce"));
			else
				printf("%-16s %s\n", sel.names.name[id],
				       st[id].shadow ? "shadow" : "enforce");
		}
		if (ctl->json)
			ctl_print_json(json_pack("{s:o}", "services", arr));
		else
			json_decref(arr);
		return EXIT_OK;
	}
	if (strcmp(pos[0], "enforce") && strcmp(pos[0], "shadow"))
		return ctl_usage_error("mode", "unknown mode '%s' (enforce, shadow)", pos[0]);
	op.shadow = !strcmp(pos[0], "shadow");
	snprintf(cmd, sizeof(cmd), "mode %s", pos[0]);
	if (n_pos > 1 && ctl_op_str(cmd, "service", op.service, sizeof(op.service), pos[1]))
		return EXIT_USAGE;
	return ctl_op(ctl, cmd, &op);
}
