// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl degrade: the degradation level (adm_state.degrade of every
 * service id). At level L the data plane refuses new connections (RST,
 * reason degraded) of services whose priority is below L.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "admctl.h"
#include "pins.h"
#include "util.h"

static void degrade_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl degrade [--json]\n"
"       admctl degrade LEVEL [--ttl D]\n"
"\n"
"Shed load by priority, on the next packet. At LEVEL (0..%d) new connections\n"
"of services with a priority below LEVEL are refused (RST, reason degraded):\n"
"  0  nothing is shed\n"
"  1  sheddable services are shed\n"
"  2  sheddable and normal services are shed\n"
"  3  every service is shed, critical ones too\n"
"The level applies to every service, also to those a reload adds later, and\n"
"survives reloads and admd restarts. Without LEVEL: the current level.\n"
"admd makes the change while it runs; with admd down admctl makes it.\n"
"While admd runs it also raises a service's level on its own: to the\n"
"highest pressure an application reports ('admctl pressure'), and to 2\n"
"(1) while the service its depends_on names has an open (half-open)\n"
"breaker; the level set here is the floor. --ttl D (needs admd): back to\n"
"0 after D.\n"
"\n"
"Examples:\n"
"  admctl degrade 1\n"
"  admctl degrade 2 --ttl 15m\n"
"  admctl degrade 0\n"
"  admctl degrade --json\n", ADM_DEGRADE_MAX);
}

/* Would a service of this priority be shed at `level`? */
static int shed(unsigned int priority, unsigned int level)
{
	return level > priority;
}

static int read_priorities(struct ctl *ctl, __u8 prio[ADM_MAX_SERVICES])
{
	int fd = adm_map_open(ctl->pin_root, ADM_MAP_SERVICES, 1);
	__u32 id;

	if (fd < 0)
		return ctl_open_fail(ctl, ADM_MAP_SERVICES, fd);
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_service s = {};

		bpf_map_lookup_elem(fd, &id, &s);
		prio[id] = s.priority;
	}
	close(fd);
	return EXIT_OK;
}

int do_degrade(struct ctl *ctl, int argc, char **argv)
{
	struct adm_state st[ADM_MAX_SERVICES];
	__u8 prio[ADM_MAX_SERVICES];
	json_t *arr;
	struct adm_op op = { .kind = ADM_OP_DEGRADE };
	const char *pos[1];
	struct ctl_sel sel;
	int rc, n_pos;
	__u64 level;
	__u32 id;

	const char *ttl = NULL;
	const struct ctl_opt opts[] = { { .name = "ttl", .value = &ttl }, {} };
	json_int_t ttl_ms = 0;
	json_t *req;

	rc = ctl_args(ctl, "degrade", argc, argv, 1, opts, pos, 1, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		degrade_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (n_pos && adm_parse_u64(pos[0], 0, ADM_DEGRADE_MAX, &level))
		return ctl_usage_error("degrade", "level '%s' is not a number 0..%d",
				       pos[0], ADM_DEGRADE_MAX);
	if (ttl && !n_pos)
		return ctl_usage_error("degrade", "--ttl goes with a LEVEL");
	rc = ctl_parse_ttl("degrade", ttl, &ttl_ms);
	if (rc)
		return rc;
	if (n_pos && ttl_ms) {
		/* A TTL: the breaker module's manual level (needs admd). */
		req = json_pack("{s:s, s:I, s:I}", "cmd", "degrade", "level",
				(json_int_t)level, "ttl_ms", ttl_ms);
		rc = ctl_module_write(ctl, "degrade", req);
		if (rc == CTL_NO_MODULE) {
			fprintf(stderr, "admctl degrade: --ttl needs admd (its breaker module), which is not reachable at %s; nothing changed\n",
				ctl->socket);
			return EXIT_FAIL;
		}
		return rc;
	}
	if (n_pos) {
		/* The write path: admd applies it while it runs (ctl_op). */
		op.level = (__u32)level;
		return ctl_op(ctl, "degrade", &op);
	}
	rc = ctl_select(ctl, "degrade", NULL, &sel);
	if (rc)
		return rc;
	rc = ctl_state_read(ctl, st);
	if (!rc)
		rc = read_priorities(ctl, prio);
	if (rc)
		return rc;
	arr = json_array();
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		if (!sel.pick[id])
			continue;
		if (ctl->json)
			json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:b}",
				"name", sel.names.name[id],
				"degrade", (json_int_t)st[id].degrade,
				"priority", adm_priority_name(prio[id]),
				"shed", shed(prio[id], st[id].degrade)));
		else
			printf("%-16s level %u, priority %-10s %s\n", sel.names.name[id],
			       st[id].degrade, adm_priority_name(prio[id]),
			       shed(prio[id], st[id].degrade) ? "SHED" : "admitted");
	}
	if (ctl->json)
		ctl_print_json(json_pack("{s:o}", "services", arr));
	else
		json_decref(arr);
	return EXIT_OK;
}
