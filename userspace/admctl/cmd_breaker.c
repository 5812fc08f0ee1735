// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl breaker: manual control of each service's circuit breaker
 * (adm_state.breaker). The data plane answers a SYN of a service whose
 * breaker is open with a RST (reason breaker_open), and admits
 * half_open_permille of them while it is half-open.
 */
#include <stdio.h>
#include <string.h>
#include "admctl.h"
#include "util.h"

#define PERMILLE	1000	/* half_open_permille counts in thousandths */
#define PERMILLE_MIN	1
#define PERMILLE_MAX	(PERMILLE - 1)	/* 0 is "open", PERMILLE is "closed" */
#define STATE_TEXT_MAX	64

static void breaker_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl breaker show [SERVICE] [--json]\n"
"       admctl breaker open SERVICE|--all\n"
"       admctl breaker half-open SERVICE|--all --permille N\n"
"       admctl breaker close [SERVICE]\n"
"       admctl breaker auto [SERVICE]\n"
"\n"
"A service's circuit breaker, under manual control, on the next packet:\n"
"  open       every new connection of the service is refused at once (RST,\n"
"             reason breaker_open); established ones go on\n"
"  half-open  N of every 1000 new connections are admitted (N %d..%d), the\n"
"             rest refused as when open\n"
"  close      admitted again (without SERVICE: every service)\n"
"  auto       automatic breakers (health signals) are not built yet: this\n"
"             says so and exits 1\n"
"open and half-open name a service, or --all to mean every service.\n"
"Breakers survive reloads and admd restarts. admd makes the change while it\n"
"runs; with admd down admctl makes it (audited to syslog).\n"
"\n"
"Examples:\n"
"  admctl breaker open web\n"
"  admctl breaker half-open web --permille 100\n"
"  admctl breaker close web\n"
"  admctl breaker show --json\n", PERMILLE_MIN, PERMILLE_MAX);
}

static void show_breaker(const struct adm_state *st, char *buf, size_t len)
{
	if (st->breaker == ADM_BRK_HALF_OPEN)
		snprintf(buf, len, "half-open %u/%d", st->half_open_permille, PERMILLE);
	else
		snprintf(buf, len, "%s", adm_breaker_name(st->breaker));
}

static int breaker_show(struct ctl *ctl, const char *svc)
{
	struct adm_state st[ADM_MAX_SERVICES];
	struct ctl_sel sel;
	char text[STATE_TEXT_MAX];
	json_t *arr;
	__u32 id;
	int rc;

	rc = ctl_select(ctl, "breaker show", svc, &sel);
	if (!rc)
		rc = ctl_state_read(ctl, st);
	if (rc)
		return rc;
	arr = json_array();
	if (!ctl->json)
		printf("%-16s %s\n", "service", "breaker");
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		if (!sel.pick[id])
			continue;
		show_breaker(&st[id], text, sizeof(text));
		if (ctl->json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:I}",
				"name", sel.names.name[id],
				"breaker", adm_breaker_name(st[id].breaker),
				"half_open_permille", (json_int_t)st[id].half_open_permille));
		else
			printf("%-16s %s\n", sel.names.name[id], text);
	}
	if (ctl->json)
		ctl_print_json(json_pack("{s:o, s:b}", "services", arr, "automatic", 0));
	else {
		json_decref(arr);
		printf("control: manual (automatic breakers are not built yet)\n");
	}
	return EXIT_OK;
}

int do_breaker(struct ctl *ctl, int argc, char **argv)
{
	const char *permille = NULL, *pos[2], *verb, *svc;
	int all = 0, rc, n_pos;
	const struct ctl_opt opts[] = {
		{ .name = "permille", .value = &permille },
		{ .name = "all", .flag = &all },
		{}
	};
	struct adm_op op = { .kind = ADM_OP_BREAKER };
	struct ctl_sel sel;
	char cmd[CTL_CMD_MAX];
	__u64 pm = 0;

	rc = ctl_args(ctl, "breaker", argc, argv, 1, opts, pos, 2, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		breaker_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos)
		return ctl_usage_error("breaker", "show, open, half-open, close or auto? see 'admctl breaker --help'");
	verb = pos[0];
	svc = n_pos > 1 ? pos[1] : NULL;
	snprintf(cmd, sizeof(cmd), "breaker %s", verb);
	if (strcmp(verb, "show") && strcmp(verb, "open") && strcmp(verb, "close") &&
	    strcmp(verb, "half-open") && strcmp(verb, "auto"))
		return ctl_usage_error("breaker", "unknown action '%s' (show, open, half-open, close, auto)",
				       verb);
	if (permille && strcmp(verb, "half-open"))
		return ctl_usage_error(cmd, "--permille goes with half-open only");
	if (all && svc)
		return ctl_usage_error(cmd, "name a service or give --all, not both");
	if (all && (!strcmp(verb, "show") || !strcmp(verb, "auto")))
		return ctl_usage_error(cmd, "--all goes with open, half-open and close");
	if (!strcmp(verb, "show"))
		return breaker_show(ctl, svc);
	if (!strcmp(verb, "auto")) {
		rc = ctl_select(ctl, cmd, svc, &sel);
		if (rc)
			return rc;
		fprintf(stderr, "admctl breaker auto: automatic breakers are not built yet; the breaker stays under manual control\n");
		return EXIT_FAIL;
	}
	if (!svc && !all && strcmp(verb, "close"))
		return ctl_usage_error(cmd, "name the service (or --all): an open breaker refuses every new connection");
	if (!strcmp(verb, "half-open")) {
		if (!permille)
			return ctl_usage_error(cmd, "needs --permille N (%d..%d): how many of %d new connections to admit",
					       PERMILLE_MIN, PERMILLE_MAX, PERMILLE);
		if (adm_parse_u64(permille, PERMILLE_MIN, PERMILLE_MAX, &pm))
			return ctl_usage_error(cmd, "--permille '%s' is not a number %d..%d ('breaker open' is 0, 'breaker close' is %d)",
					       permille, PERMILLE_MIN, PERMILLE_MAX, PERMILLE);
		op.breaker = ADM_BRK_HALF_OPEN;
		op.permille = (__u32)pm;
	} else {
		op.breaker = !strcmp(verb, "open") ? ADM_BRK_OPEN : ADM_BRK_CLOSED;
	}
	/* The write path: admd applies it while it runs (ctl_op). */
	op.all = all;
	if (svc && ctl_op_str(cmd, "service", op.service, sizeof(op.service), svc))
		return EXIT_USAGE;
	return ctl_op(ctl, cmd, &op);
}
