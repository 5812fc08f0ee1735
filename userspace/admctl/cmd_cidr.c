// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* admctl block|allow add|del|list: the adm_deny / adm_allow LPM tries. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <jansson.h>
#include "admctl.h"
#include "pins.h"
#include "util.h"

#define NS_PER_SEC	1000000000ULL

static void cidr_usage(FILE *f, const char *what)
{
	fprintf(f,
"Usage: admctl %s add CIDR [--ttl DURATION]\n"
"       admctl %s del CIDR\n"
"       admctl %s list [--json]\n"
"\n"
"%s\n"
"CIDR is an IPv4 or IPv6 prefix or a bare address; host bits must be zero.\n"
"DURATION: 30s, 10m, 2h, 1d; without --ttl the entry never expires.\n"
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
	const char *verb, *cidr = NULL, *ttl = NULL;
	struct adm_lpm_key key;
	struct adm_cidr_val val = {};
	__u64 ttl_ns = 0;
	int i, fd, ret = EXIT_FAIL;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cidr_usage(argc < 2 ? stderr : stdout, what);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	verb = argv[1];
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ttl") && i + 1 < argc)
			ttl = argv[++i];
		else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			ctl->json = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cidr_usage(stdout, what);
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !cidr)
			cidr = argv[i];
		else {
			fprintf(stderr, "admctl %s: unexpected argument '%s'\n", what, argv[i]);
			return EXIT_USAGE;
		}
	}

	if (!strcmp(verb, "list")) {
		if (cidr || ttl) {
			fprintf(stderr, "admctl %s list: takes no CIDR or --ttl\n", what);
			return EXIT_USAGE;
		}
		fd = adm_map_open(ctl->pin_root, map, 1);
		if (fd < 0)
			return ctl_open_fail(ctl, map, fd);
		ret = cidr_list(ctl, fd, what);
		close(fd);
		return ret;
	}
	if (strcmp(verb, "add") && strcmp(verb, "del")) {
		fprintf(stderr, "admctl %s: unknown action '%s' (add, del, list)\n", what, verb);
		return EXIT_USAGE;
	}
	if (!cidr) {
		fprintf(stderr, "admctl %s %s: a CIDR is required\n", what, verb);
		return EXIT_USAGE;
	}
	if (adm_parse_cidr(cidr, &key)) {
		fprintf(stderr,
			"admctl %s %s: '%s' is not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32, with zero host bits)\n",
			what, verb, cidr);
		return EXIT_USAGE;
	}
	if (ttl && !strcmp(verb, "del")) {
		fprintf(stderr, "admctl %s del: --ttl only goes with add\n", what);
		return EXIT_USAGE;
	}
	if (ttl && adm_parse_duration(ttl, &ttl_ns)) {
		fprintf(stderr, "admctl %s add: --ttl '%s' is not a duration (e.g. 30s, 10m, 2h, 1d)\n",
			what, ttl);
		return EXIT_USAGE;
	}

	fd = adm_map_open(ctl->pin_root, map, 0);
	if (fd < 0)
		return ctl_open_fail(ctl, map, fd);
	if (!strcmp(verb, "add")) {
		val.expires_ns = ttl_ns ? adm_mono_ns() + ttl_ns : 0;
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY)) {
			fprintf(stderr, "admctl %s add %s: %s%s\n", what, cidr, strerror(errno),
				errno == ENOSPC ? " (the list is full)" : "");
			goto out;
		}
	} else if (bpf_map_delete_elem(fd, &key)) {
		fprintf(stderr, "admctl %s del %s: %s\n", what, cidr,
			errno == ENOENT ? "no such entry" : strerror(errno));
		goto out;
	}
	ret = EXIT_OK;
out:
	close(fd);
	return ret;
}
