// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "admctl.h"
#include "stats.h"
#include "util.h"

static void stats_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl stats [--json]\n"
"\n"
"Packets and bytes per service, verdict and reason, summed over CPUs, since\n"
"the maps were created. Service 0 holds traffic judged before a service was\n"
"known (malformed packets). would_* verdicts are shadow-mode refusals.\n"
"\n"
"Example:\n"
"  admctl stats --json | jq '.services[] | select(.name==\"web\")'\n");
}

static json_t *service_json(const struct adm_stats_snapshot *s, __u32 id)
{
	json_t *svc = json_object(), *counters = json_array();
	int v, r;

	json_object_set_new(svc, "id", json_integer(id));
	json_object_set_new(svc, "name", json_string(id ? s->meta[id].name : "-"));
	json_object_set_new(svc, "live", json_integer((json_int_t)s->conc[id].live));
	json_object_set_new(svc, "limit", json_integer((json_int_t)s->conc[id].limit));
	for (v = 0; v < ADM_V__MAX; v++) {
		for (r = 0; r < ADM_R__MAX; r++) {
			const struct adm_stat *c = &s->c[id][v][r];
			json_t *o;

			if (!c->packets)
				continue;
			o = json_object();
			json_object_set_new(o, "verdict", json_string(adm_verdict_name(v)));
			json_object_set_new(o, "reason", json_string(adm_reason_name(r)));
			json_object_set_new(o, "packets", json_integer((json_int_t)c->packets));
			json_object_set_new(o, "bytes", json_integer((json_int_t)c->bytes));
			json_array_append_new(counters, o);
		}
	}
	json_object_set_new(svc, "counters", counters);
	return svc;
}

static void service_text(const struct adm_stats_snapshot *s, __u32 id)
{
	int v, r, any = 0;

	char limit[24] = "none";

	if (s->conc[id].limit)
		snprintf(limit, sizeof(limit), "%llu",
			 (unsigned long long)s->conc[id].limit);
	if (id)
		printf("service %s (id %u)  live %llu  limit %s\n",
		       s->meta[id].name[0] ? s->meta[id].name : "(removed)", id,
		       (unsigned long long)s->conc[id].live, limit);
	else
		printf("unclassified (id 0)\n");
	for (v = 0; v < ADM_V__MAX; v++) {
		for (r = 0; r < ADM_R__MAX; r++) {
			const struct adm_stat *c = &s->c[id][v][r];

			if (!c->packets)
				continue;
			if (!any++)
				printf("  %-14s %-24s %14s %16s\n", "verdict", "reason",
				       "packets", "bytes");
			printf("  %-14s %-24s %14llu %16llu\n", adm_verdict_name(v),
			       adm_reason_name(r), (unsigned long long)c->packets,
			       (unsigned long long)c->bytes);
		}
	}
	if (!any)
		printf("  (no traffic yet)\n");
}

int do_stats(struct ctl *ctl, int argc, char **argv)
{
	struct adm_stats_snapshot *s;
	int i, rc;
	__u32 id;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			ctl->json = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			stats_usage(stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "admctl stats: unknown argument '%s'\n", argv[i]);
			stats_usage(stderr);
			return EXIT_USAGE;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return EXIT_FAIL;
	rc = adm_stats_read(ctl->pin_root, s);
	if (rc) {
		free(s);
		return ctl_open_fail(ctl, "adm_stats", rc);
	}
	if (ctl->json) {
		json_t *root = json_object(), *arr = json_array();

		for (id = 0; id < ADM_MAX_SERVICES; id++)
			if (adm_stats_service_used(s, id))
				json_array_append_new(arr, service_json(s, id));
		json_object_set_new(root, "services", arr);
		json_object_set_new(root, "events_emitted", json_integer((json_int_t)s->events.emitted));
		json_object_set_new(root, "events_suppressed", json_integer((json_int_t)s->events.suppressed));
		json_object_set_new(root, "events_lost", json_integer((json_int_t)s->events.lost));
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(root);
	} else {
		for (id = 0; id < ADM_MAX_SERVICES; id++)
			if (adm_stats_service_used(s, id))
				service_text(s, id);
		printf("events: %llu emitted, %llu suppressed by the per-CPU budget, %llu lost\n",
		       (unsigned long long)s->events.emitted,
		       (unsigned long long)s->events.suppressed,
		       (unsigned long long)s->events.lost);
	}
	free(s);
	return EXIT_OK;
}
