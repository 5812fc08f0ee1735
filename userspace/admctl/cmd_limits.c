// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl limits show|set: the live policy of each service. `show` reads the
 * maps; `set` goes through the one write path (ctl_op, userspace/lib/ops.c:
 * admd applies it while it runs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "admctl.h"
#include "live.h"
#include "pins.h"
#include "util.h"

#define VALUE_TEXT_MAX	64
#define KEYS_TEXT_MAX	256

static void limits_usage(FILE *f)
{
	char keys[KEYS_TEXT_MAX];

	adm_live_key_list(keys, sizeof(keys));
	fprintf(f,
"Usage: admctl limits show [SERVICE] [--json]\n"
"       admctl limits set SERVICE KEY VALUE\n"
"\n"
"show: the live policy of every service (or one), as the data plane applies it.\n"
"set:  change one key of one service in the running data plane, on the next\n"
"      packet. The value takes the config file's syntax and range:\n"
"        conn_limit, fp_conn_limit      N (0: unlimited / off)\n"
"        new_conn_rate, pkt_rate        N/s, N/m or off\n"
"        new_conn_burst, pkt_burst      N (needs its rate on; a new rate keeps the burst)\n"
"        on_rate, on_conn_full          drop, defer, reject or reply\n"
"        priority                       sheddable, normal or critical\n"
"      Live keys: %s.\n"
"      A reload ('admctl reload', SIGHUP) applies the config file again: a\n"
"      change that should last belongs in the config file too. admd makes\n"
"      the change while it runs (a write never races a reload); with admd\n"
"      down admctl makes it, and admd's next start applies the file again.\n"
"\n"
"Examples:\n"
"  admctl limits show\n"
"  admctl limits show web --json\n"
"  admctl limits set web conn_limit 200\n"
"  admctl limits set web new_conn_rate 50/s\n"
"  admctl limits set api on_rate reject\n", keys);
}

struct limits_maps {
	int services, conc;
};

static void close_maps(struct limits_maps *m)
{
	if (m->services >= 0)
		close(m->services);
	if (m->conc >= 0)
		close(m->conc);
}

static int open_maps(struct ctl *ctl, struct limits_maps *m, int rdonly)
{
	m->services = adm_map_open(ctl->pin_root, ADM_MAP_SERVICES, rdonly);
	if (m->services < 0)
		return ctl_open_fail(ctl, ADM_MAP_SERVICES, m->services);
	m->conc = adm_map_open(ctl->pin_root, ADM_MAP_CONC, rdonly);
	if (m->conc < 0)
		return ctl_open_fail(ctl, ADM_MAP_CONC, m->conc);
	return 0;
}

static json_t *service_json(__u32 id, const char *name,
			    const struct adm_service *s, const struct adm_conc *c)
{
	json_t *o = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "name", name,
			      "live", (json_int_t)c->live);
	char text[VALUE_TEXT_MAX];
	int k;

	for (k = 0; k < ADM_LIVE__MAX; k++) {
		json_t *v;

		adm_live_format(k, s, c->limit, text, sizeof(text));
		switch (k) {
		case ADM_LIVE_CONN_LIMIT:
			v = json_integer((json_int_t)c->limit);
			break;
		case ADM_LIVE_FP_CONN_LIMIT:
			v = json_integer(s->fp_conn_limit);
			break;
		case ADM_LIVE_NEW_CONN_BURST:
		case ADM_LIVE_PKT_BURST:
			v = strcmp(text, "-") ? json_integer(atoll(text)) : json_null();
			break;
		default:
			v = json_string(text);
			break;
		}
		json_object_set_new(o, adm_live_key_name(k), v);
	}
	return o;
}

static void service_text(__u32 id, const char *name, const struct adm_service *s,
			 const struct adm_conc *c)
{
	char text[VALUE_TEXT_MAX];
	int k;

	printf("%s (id %u): %llu live connections\n", name, id,
	       (unsigned long long)c->live);
	for (k = 0; k < ADM_LIVE__MAX; k++) {
		adm_live_format(k, s, c->limit, text, sizeof(text));
		printf("  %-16s %s%s\n", adm_live_key_name(k), text,
		       (k == ADM_LIVE_CONN_LIMIT && !c->limit) ||
		       (k == ADM_LIVE_FP_CONN_LIMIT && !s->fp_conn_limit) ?
		       " (unlimited)" : "");
	}
}

static int limits_show(struct ctl *ctl, const char *only)
{
	struct limits_maps m = { -1, -1 };
	struct adm_ms_names names;
	json_t *arr = json_array();
	__u32 id, want = 0;
	int rc, n = 0;

	if (only)
		rc = ctl_service(ctl, "limits show", only, &want, &names);
	else if ((rc = adm_ms_names_read(ctl->pin_root, &names)))
		rc = ctl_open_fail(ctl, ADM_MAP_META, rc);
	if (!rc)
		rc = open_maps(ctl, &m, 1);
	if (rc)
		goto out;
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_service s = {};
		struct adm_conc c = {};

		if (!names.name[id][0] || (want && id != want))
			continue;
		bpf_map_lookup_elem(m.services, &id, &s);
		bpf_map_lookup_elem(m.conc, &id, &c);
		if (ctl->json)
			json_array_append_new(arr, service_json(id, names.name[id], &s, &c));
		else
			service_text(id, names.name[id], &s, &c);
		n++;
	}
	if (ctl->json) {
		ctl_print_json(json_pack("{s:O}", "services", arr));
	} else {
		if (!n)
			printf("(no services)\n");
		else
			printf("'admctl limits set' changes these until the config file is applied again (reload).\n");
	}
out:
	json_decref(arr);
	close_maps(&m);
	return rc;
}

/* Judged and applied by the one write path (ctl_op: admd, or here when it is down). */
static int limits_set(struct ctl *ctl, const char *svc_name, const char *key_name,
		      const char *value)
{
	struct adm_op op = { .kind = ADM_OP_LIMITS_SET };

	if (ctl_op_str("limits set", "service", op.service, sizeof(op.service), svc_name) ||
	    ctl_op_str("limits set", "key", op.key, sizeof(op.key), key_name) ||
	    ctl_op_str("limits set", "value", op.value, sizeof(op.value), value))
		return EXIT_USAGE;
	return ctl_op(ctl, "limits set", &op);
}

int do_limits(struct ctl *ctl, int argc, char **argv)
{
	const char *pos[4];
	int n_pos, rc;

	if (argc < 2)
		return ctl_usage_error("limits", "show or set? see 'admctl limits --help'");
	rc = ctl_args(ctl, "limits", argc, argv, 1, NULL, pos, 4, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		limits_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos)
		return ctl_usage_error("limits", "show or set? see 'admctl limits --help'");
	if (!strcmp(pos[0], "show")) {
		if (n_pos > 2)
			return ctl_usage_error("limits show", "unexpected argument '%s'", pos[2]);
		return limits_show(ctl, n_pos > 1 ? pos[1] : NULL);
	}
	if (!strcmp(pos[0], "set")) {
		if (n_pos < 4)
			return ctl_usage_error("limits set", "needs SERVICE KEY VALUE, e.g. 'admctl limits set web conn_limit 200'");
		return limits_set(ctl, pos[1], pos[2], pos[3]);
	}
	return ctl_usage_error("limits", "unknown action '%s' (show, set)", pos[0]);
}
