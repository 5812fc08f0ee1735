// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl --cluster COMMAND: an operator action for every node of the
 * cluster. admd's cluster module stores it in Redis (a stream, announced
 * on pub/sub); every node, this one included, applies it on its next sync
 * round and audits it with the node it came from; a node that was away
 * applies it when it reconnects. Commands: block|allow add CIDR [--ttl D]
 * | del CIDR, breaker open|close|half-open [SERVICE] [--permille N],
 * degrade LEVEL, limits set SERVICE conn_limit N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "admctl.h"
#include "util.h"

static void cluster_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl --cluster block add CIDR [--ttl D] | block del CIDR\n"
"       admctl --cluster allow add CIDR [--ttl D] | allow del CIDR\n"
"       admctl --cluster breaker open|close|half-open [SERVICE] [--permille N]\n"
"       admctl --cluster degrade LEVEL\n"
"       admctl --cluster limits set SERVICE conn_limit N\n"
"\n"
"Stores the action in the cluster's Redis through admd; every node applies\n"
"it within one sync interval and audits it with the node it came from. A\n"
"node that was away applies it when it reconnects. Refused at once while\n"
"Redis is unreachable (act on each node without --cluster then).\n"
"\n"
"Examples:\n"
"  admctl --cluster block add 203.0.113.0/24 --ttl 10m\n"
"  admctl --cluster breaker open web\n"
"  admctl --cluster limits set web conn_limit 500\n");
}

static __u64 unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* The action object of argv, or NULL after a usage sentence. */
static json_t *cluster_action(int argc, char **argv)
{
	const char *cmd = argv[0], *ttl = NULL, *permille = NULL, *pos[4] = {};
	int n = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ttl") && i + 1 < argc)
			ttl = argv[++i];
		else if (!strcmp(argv[i], "--permille") && i + 1 < argc)
			permille = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return ctl_usage_error("--cluster", "unknown option '%s'", argv[i]), NULL;
		else if (n < 4)
			pos[n++] = argv[i];
		else
			return ctl_usage_error("--cluster", "too many arguments"), NULL;
	}
	if (!strcmp(cmd, "block") || !strcmp(cmd, "allow")) {
		struct adm_lpm_key key;
		__u64 ns = 0;

		if (n != 2 || (strcmp(pos[0], "add") && strcmp(pos[0], "del")))
			return ctl_usage_error("--cluster", "%s add CIDR [--ttl D] | %s del CIDR",
					       cmd, cmd), NULL;
		if (adm_parse_cidr(pos[1], &key))
			return ctl_usage_error("--cluster", "'%s' is not a CIDR (10.0.0.0/8, "
					       "2001:db8::/32, or an address)", pos[1]), NULL;
		if (ttl && (strcmp(pos[0], "add") || adm_parse_duration(ttl, &ns)))
			return ctl_usage_error("--cluster", "--ttl '%s': a duration (30s, 10m, 2h) "
					       "with add", ttl), NULL;
		return json_pack("{s:s, s:s, s:s, s:I}", "action", cmd, "op", pos[0], "cidr",
				 pos[1], "expires_ms", (json_int_t)(ns ? unix_ms() + ns / 1000000 : 0));
	}
	if (!strcmp(cmd, "breaker")) {
		__u64 pm = 100;

		if (n < 1 || n > 2 || (strcmp(pos[0], "open") && strcmp(pos[0], "close") &&
				       strcmp(pos[0], "half-open")))
			return ctl_usage_error("--cluster", "breaker open|close|half-open [SERVICE]"),
			       NULL;
		if (permille && adm_parse_u64(permille, 1, 1000, &pm))
			return ctl_usage_error("--cluster", "--permille '%s': 1..1000", permille),
			       NULL;
		return json_pack("{s:s, s:s, s:s?, s:I}", "action", cmd, "state", pos[0],
				 "service", n == 2 ? pos[1] : NULL, "permille", (json_int_t)pm);
	}
	if (!strcmp(cmd, "degrade")) {
		__u64 level;

		if (n != 1 || adm_parse_u64(pos[0], 0, ADM_DEGRADE_MAX, &level))
			return ctl_usage_error("--cluster", "degrade LEVEL with LEVEL 0..%d",
					       ADM_DEGRADE_MAX), NULL;
		return json_pack("{s:s, s:I}", "action", cmd, "level", (json_int_t)level);
	}
	if (!strcmp(cmd, "limits")) {
		__u64 v;

		if (n != 4 || strcmp(pos[0], "set") || strcmp(pos[2], "conn_limit") ||
		    adm_parse_u64(pos[3], 0, 10000000, &v))
			return ctl_usage_error("--cluster", "limits set SERVICE conn_limit N with N "
					       "0..10000000 (the cluster-wide limit; other keys: "
					       "per node, without --cluster)"), NULL;
		return json_pack("{s:s, s:s, s:s, s:s}", "action", cmd, "service", pos[1],
				 "key", pos[2], "value", pos[3]);
	}
	return ctl_usage_error("--cluster", "'%s' has no cluster-wide form; allowed: block, "
			       "allow, breaker, degrade, limits", cmd), NULL;
}

int do_cluster(struct ctl *ctl, int argc, char **argv)
{
	json_t *act, *resp = NULL;
	char err[ADM_ERR_MAX];
	int i, rc;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cluster_usage(stdout);
			return EXIT_OK;
		}
	act = cluster_action(argc, argv);
	if (!act)
		return EXIT_USAGE;
	rc = ctl_call(ctl, json_pack("{s:s, s:o}", "cmd", "cluster", "action", act), &resp,
		      err, sizeof(err));
	if (rc) {
		fprintf(stderr, "admctl --cluster: cannot reach admd: %s; the action was not stored\n",
			err);
		return EXIT_FAIL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "admctl --cluster: %s\n",
			json_string_value(json_object_get(resp, "error")) ?: "admd refused");
		json_decref(resp);
		return EXIT_FAIL;
	}
	if (ctl->json)
		ctl_print_json(json_incref(resp));
	else
		printf("%s: stored for every node of the cluster (from node %s); applied within one "
		       "sync interval\n", argv[0],
		       json_string_value(json_object_get(resp, "node")) ?: "?");
	json_decref(resp);
	return EXIT_OK;
}
