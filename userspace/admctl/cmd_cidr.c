// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl block|allow add|del|list: the adm_deny / adm_allow LPM tries.
 * `list` reads them; add and del go through the one write path (ctl_op).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <jansson.h>
#include "admctl.h"
#include "cidr.h"
#include "clock.h"
#include "pins.h"
#include "util.h"


static void cidr_usage(FILE *f, const char *what)
{
	fprintf(f,
"Usage: admctl %s add CIDR [--ttl DURATION]\n"
"       admctl %s del CIDR\n"
"       admctl %s list [--json]\n"
"\n"
"%s\n"
"CIDR is an IPv4 or IPv6 prefix or a bare address; host bits must be zero.\n"
"DURATION: 30s, 10m, 2h, 1d (at most 3650d); without --ttl the entry never\n"
"expires. Changes apply on the next packet, and are audit records. admd\n"
"makes them while it runs; with admd down admctl makes them itself\n"
"(enforcement lives in the kernel), audited to syslog. Reloads keep them.\n"
"Applies to traffic of protected services only.\n"
"\n"
"Examples:\n"
"  admctl %s add 198.51.100.7\n"
"  admctl %s add 2001:db8::/32 --ttl 1h\n"
"  admctl %s del 198.51.100.7/32\n",
		what, what, what,
		!strcmp(what, "block") ?
		"block: new packets from the CIDR are dropped (reason deny_list)." :
		"allow: the CIDR bypasses every limit and the block list (reason allow_list).",
		what, what, what);
}

static int cidr_list(struct ctl *ctl, int fd, const char *what)
{
	struct adm_lpm_key key, next, *prev = NULL;
	__u64 now = adm_mono_ns();
	json_t *arr = json_array();
	char buf[80];
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct adm_cidr_val v = {};

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		adm_format_cidr(&key, buf, sizeof(buf));
		if (ctl->json) {
			json_t *o = json_object();

			json_object_set_new(o, "cidr", json_string(buf));
			if (v.expires_ns)
				json_object_set_new(o, "expires_in_s", json_integer(
					v.expires_ns > now ? (json_int_t)((v.expires_ns - now) / NS_PER_SEC) : 0));
			else
				json_object_set_new(o, "expires_in_s", json_null());
			json_object_set_new(o, "expired", json_boolean(v.expires_ns && v.expires_ns <= now));
			json_array_append_new(arr, o);
		} else {
			if (!n)
				printf("%-44s %s\n", "cidr", "expires");
			if (!v.expires_ns)
				printf("%-44s never\n", buf);
			else if (v.expires_ns <= now)
				printf("%-44s expired\n", buf);
			else
				printf("%-44s in %llus\n", buf,
				       (unsigned long long)((v.expires_ns - now) / NS_PER_SEC));
		}
		n++;
	}
	if (ctl->json) {
		json_t *root = json_object();

		json_object_set_new(root, what, arr);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(root);
	} else {
		json_decref(arr);
		if (!n)
			printf("(no %s entries)\n", what);
	}
	return EXIT_OK;
}

int do_cidr(struct ctl *ctl, int allow, int argc, char **argv)
{
	const char *what = allow ? "allow" : "block";
	const char *map = allow ? ADM_MAP_ALLOW : ADM_MAP_DENY;
	const char *ttl = NULL, *pos[2], *verb, *cidr;
	const struct ctl_opt opts[] = { { .name = "ttl", .value = &ttl }, {} };
	char cmd[CTL_CMD_MAX];
	struct adm_op op = {};
	int fd, rc, n_pos, ret;

	rc = ctl_args(ctl, what, argc, argv, 1, opts, pos, 2, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		cidr_usage(stdout, what);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos)
		return ctl_usage_error(what, "add, del or list? see 'admctl %s --help'", what);
	verb = pos[0];
	cidr = n_pos > 1 ? pos[1] : NULL;
	snprintf(cmd, sizeof(cmd), "%s %s", what, verb);

	if (!strcmp(verb, "list")) {
		if (cidr || ttl)
			return ctl_usage_error(cmd, "takes no CIDR or --ttl");
		fd = adm_map_open(ctl->pin_root, map, 1);
		if (fd < 0)
			return ctl_open_fail(ctl, map, fd);
		ret = cidr_list(ctl, fd, what);
		close(fd);
		return ret;
	}
	if (strcmp(verb, "add") && strcmp(verb, "del"))
		return ctl_usage_error(what, "unknown action '%s' (add, del, list)", verb);
	if (!cidr)
		return ctl_usage_error(cmd, "a CIDR is required, e.g. 'admctl %s %s 203.0.113.0/24'",
				       what, verb);
	/* The write path: admd applies it while it runs (ctl_op); it judges CIDR and TTL. */
	if (ctl_op_str(cmd, "CIDR", op.value, sizeof(op.value), cidr) ||
	    (ttl && ctl_op_str(cmd, "--ttl", op.ttl, sizeof(op.ttl), ttl)))
		return EXIT_USAGE;
	if (ttl && !op.ttl[0])
		return ctl_usage_error(cmd, "--ttl '' is not a duration (e.g. 30s, 10m, 2h, 1d)");
	op.kind = !strcmp(verb, "add") ? (allow ? ADM_OP_ALLOW_ADD : ADM_OP_BLOCK_ADD) :
					(allow ? ADM_OP_ALLOW_DEL : ADM_OP_BLOCK_DEL);
	return ctl_op(ctl, cmd, &op);
}
