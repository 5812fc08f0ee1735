// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl breaker: each service's circuit breaker (adm_state.breaker). The
 * data plane answers a SYN of a service whose breaker is open with a RST
 * (reason breaker_open), and admits half_open_permille of them while it is
 * half-open. While admd runs, its breaker module owns the breaker: open,
 * close and half-open are manual overrides it applies (with --ttl, for a
 * while), auto hands the breaker back to its health signals. Without admd
 * the maps are written directly (no TTL, no auto).
 * Also ctl_module_write, shared by degrade and pressure.
 */
#include <errno.h>
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
"       admctl breaker open SERVICE|--all [--ttl D]\n"
"       admctl breaker half-open SERVICE|--all --permille N [--ttl D]\n"
"       admctl breaker close [SERVICE] [--ttl D]\n"
"       admctl breaker auto [SERVICE]\n"
"\n"
"A service's circuit breaker, on the next packet:\n"
"  open       every new connection of the service is refused at once (RST,\n"
"             reason breaker_open); established ones go on\n"
"  half-open  N of every 1000 new connections are admitted (N %d..%d), the\n"
"             rest refused as when open\n"
"  close      admitted again (without SERVICE: every service)\n"
"  auto       the breaker follows its health signals again (breaker_latency,\n"
"             breaker_accept_queue, breaker_pressure, breaker_probe); without\n"
"             SERVICE: every service that has one. Needs admd.\n"
"open, close and half-open are manual overrides: with --ttl D (e.g. 10m)\n"
"admd hands the breaker back to its signals (or closes one without\n"
"signals) after D; without --ttl they hold until 'breaker auto'. --ttl needs\n"
"admd; without admd the maps are written directly. open and half-open\n"
"name a service, or --all to mean every service.\n"
"Breakers survive reloads and admd restarts.\n"
"\n"
"Examples:\n"
"  admctl breaker open web --ttl 5m\n"
"  admctl breaker half-open web --permille 100\n"
"  admctl breaker close web\n"
"  admctl breaker auto web\n"
"  admctl breaker show --json\n", PERMILLE_MIN, PERMILLE_MAX);
}

static void show_breaker(const struct adm_state *st, char *buf, size_t len)
{
	if (st->breaker == ADM_BRK_HALF_OPEN)
		snprintf(buf, len, "half-open %u/%d", st->half_open_permille, PERMILLE);
	else
		snprintf(buf, len, "%s", adm_breaker_name(st->breaker));
}

int ctl_module_write(struct ctl *ctl, const char *cmd, json_t *req)
{
	char err[ADM_ERR_MAX];
	json_t *resp = NULL, *a;
	const char *e;
	int rc;

	rc = ctl_call(ctl, req, &resp, err, sizeof(err));
	if (rc)
		return CTL_NO_MODULE;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		e = json_string_value(json_object_get(resp, "error")) ?: "admd refused";
		if (!strncmp(e, "unknown command", strlen("unknown command"))) {
			json_decref(resp);
			return CTL_NO_MODULE;
		}
		fprintf(stderr, "admctl %s: %s\n", cmd, e);
		rc = json_is_true(json_object_get(resp, "usage")) ? EXIT_USAGE : EXIT_FAIL;
		json_decref(resp);
		return rc;
	}
	a = json_object_get(resp, "audit");
	if (ctl->json)
		ctl_print_json(json_incref(a ? a : resp));
	else if (a)
		printf("%s: %s -> %s\n", json_string_value(json_object_get(a, "what")),
		       json_string_value(json_object_get(a, "before")),
		       json_string_value(json_object_get(a, "after")));
	json_decref(resp);
	return EXIT_OK;
}

int ctl_parse_ttl(const char *cmd, const char *ttl, json_int_t *ms)
{
	__u64 ns;

	*ms = 0;
	if (!ttl)
		return 0;
	if (adm_parse_duration(ttl, &ns) || ns < CTL_TTL_MIN_NS || ns > CTL_TTL_MAX_NS)
		return ctl_usage_error(cmd, "--ttl '%s' is not a duration 1s..7d (e.g. 30s, 10m, 2h)",
				       ttl);
	*ms = (json_int_t)(ns / 1000000ULL);
	return 0;
}

/* admd's breaker module status ({"services": [...]}), or NULL. */
static json_t *breaker_module_status(struct ctl *ctl)
{
	char err[ADM_ERR_MAX];
	json_t *resp = NULL, *b;

	if (ctl_call(ctl, json_pack("{s:s}", "cmd", "status"), &resp, err, sizeof(err)))
		return NULL;
	b = json_object_get(json_object_get(resp, "status"), "breaker");
	if (b)
		json_incref(b);
	json_decref(resp);
	return b;
}

static __u32 id_of(const struct ctl_sel *sel, const char *name)
{
	__u32 id;

	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (!strcmp(sel->names.name[id], name))
			return id;
	return 0;
}

static int breaker_show(struct ctl *ctl, const char *svc)
{
	struct adm_state st[ADM_MAX_SERVICES];
	json_t *auto_, *v;
	size_t i;
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
	auto_ = breaker_module_status(ctl);
	if (ctl->json) {
		ctl_print_json(json_pack("{s:o, s:o}", "services", arr, "admd",
					 auto_ ? auto_ : json_null()));
		return EXIT_OK;
	}
	json_decref(arr);
	if (!auto_) {
		printf("control: manual (admd with its breaker module is not reachable)\n");
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(auto_, "services"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));

		if (!name || !sel.pick[id_of(&sel, name)])
			continue;
		printf("%-16s control %s, health %s (%s)\n", name,
		       json_string_value(json_object_get(v, "control")) ?: "?",
		       json_string_value(json_object_get(v, "health")) ?: "?",
		       json_string_value(json_object_get(v, "why")) ?: "");
	}
	json_decref(auto_);
	return EXIT_OK;
}

int do_breaker(struct ctl *ctl, int argc, char **argv)
{
	const char *permille = NULL, *pos[2], *verb, *svc;
	const char *ttl = NULL;
	int all = 0, rc, n_pos;
	const struct ctl_opt opts[] = {
		{ .name = "permille", .value = &permille },
		{ .name = "all", .flag = &all },
		{ .name = "ttl", .value = &ttl },
		{}
	};
	struct adm_op op = { .kind = ADM_OP_BREAKER };
	json_int_t ttl_ms = 0;
	json_t *req;
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
	if (ttl && (!strcmp(verb, "show") || !strcmp(verb, "auto")))
		return ctl_usage_error(cmd, "--ttl goes with open, half-open and close");
	rc = ctl_parse_ttl(cmd, ttl, &ttl_ms);
	if (rc)
		return rc;
	if (!strcmp(verb, "show"))
		return breaker_show(ctl, svc);
	if (!strcmp(verb, "auto")) {
		rc = ctl_select(ctl, cmd, svc, &sel);
		if (rc)
			return rc;
		req = json_pack("{s:s, s:s}", "cmd", "breaker", "action", "auto");
		if (svc)
			json_object_set_new(req, "service", json_string(svc));
		rc = ctl_module_write(ctl, cmd, req);
		if (rc == CTL_NO_MODULE) {
			fprintf(stderr, "admctl breaker auto: automatic breakers run in admd (its breaker module), which is not reachable at %s; start admd\n",
				ctl->socket);
			return EXIT_FAIL;
		}
		return rc;
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
	if (ttl_ms) {
		/* A TTL: the breaker module's manual override (needs admd). */
		rc = ctl_select(ctl, cmd, svc, &sel);
		if (rc)
			return rc;
		req = json_pack("{s:s, s:s, s:I}", "cmd", "breaker", "action", verb,
				"ttl_ms", ttl_ms);
		if (svc)
			json_object_set_new(req, "service", json_string(svc));
		if (op.breaker == ADM_BRK_HALF_OPEN)
			json_object_set_new(req, "permille", json_integer(op.permille));
		rc = ctl_module_write(ctl, cmd, req);
		if (rc == CTL_NO_MODULE) {
			fprintf(stderr, "admctl %s: --ttl needs admd (its breaker module), which is not reachable at %s; nothing changed\n",
				cmd, ctl->socket);
			return EXIT_FAIL;
		}
		return rc;
	}
	/* The write path: admd applies it while it runs (ctl_op). */
	op.all = all;
	if (svc && ctl_op_str(cmd, "service", op.service, sizeof(op.service), svc))
		return EXIT_USAGE;
	return ctl_op(ctl, cmd, &op);
}
