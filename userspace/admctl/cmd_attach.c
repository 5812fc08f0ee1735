// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl attach|detach IFACE: admd attaches the XDP program it loaded to an
 * interface, or detaches it (removes the pinned link link_xdp_IFACE), on
 * request over the control socket. With admd down, detach still works: it
 * removes the link pin here.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "admctl.h"
#include "pins.h"

static void attach_usage(FILE *f, int detach)
{
	if (detach)
		fprintf(f,
"Usage: admctl detach IFACE\n"
"\n"
"Take adm's XDP program off IFACE: admd removes the pinned link\n"
"%sIFACE under the pin root; traffic on IFACE is no longer judged.\n"
"If admd does not answer, admctl removes the link pin itself. An interface\n"
"listed in [adm] interfaces is attached again when admd restarts.\n"
"\n"
"Example:\n"
"  admctl detach eth1\n", ADM_LINK_PREFIX);
	else
		fprintf(f,
"Usage: admctl attach IFACE [--force]\n"
"\n"
"admd attaches the XDP program it has loaded to IFACE (native XDP, or\n"
"generic as [adm] xdp_mode allows) through a link pinned under the pin root,\n"
"so it stays attached when admd stops and is kept by the next admd.\n"
"An interface that already has an XDP program adm did not attach is refused;\n"
"--force replaces that program. Needs admd running.\n"
"\n"
"Examples:\n"
"  admctl attach eth1\n"
"  admctl attach eth1 --force\n");
}

static int iface_ok(const char *name)
{
	size_t len = strlen(name);

	return len && len < IF_NAMESIZE && strcmp(name, ".") && strcmp(name, "..") &&
	       name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789_.:@-")] == '\0';
}

/* admd is down: remove the link pin here, and audit it through syslog. */
static int detach_here(struct ctl *ctl, const char *ifname, const char *why)
{
	char name[IF_NAMESIZE + sizeof(ADM_LINK_PREFIX)], path[PATH_MAX];
	char what[ADM_AUDIT_WHAT_MAX];

	snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", ifname);
	if (adm_pin_path(path, sizeof(path), ctl->pin_root, name) || unlink(path)) {
		if (errno == ENOENT)
			fprintf(stderr, "admctl detach: %s is not attached by adm (no %s), and admd does not answer (%s)\n",
				ifname, path, why);
		else
			fprintf(stderr, "admctl detach: admd does not answer (%s), and removing %s failed: %s\n",
				why, path, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(what, sizeof(what), "detach %s", ifname);
	ctl_audit(ctl, what, "attached by adm", "detached (link pin removed by admctl)",
		  "ok", NULL);
	return EXIT_OK;
}

int do_attach(struct ctl *ctl, int detach, int argc, char **argv)
{
	const char *cmd = detach ? "detach" : "attach", *pos[1];
	int force = 0, rc, n_pos;
	const struct ctl_opt opts[] = { { .name = "force", .flag = &force }, {} };
	char err[ADM_ERR_MAX];
	json_t *resp = NULL, *req;

	rc = ctl_args(ctl, cmd, argc, argv, 1, detach ? NULL : opts, pos, 1, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		attach_usage(stdout, detach);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos)
		return ctl_usage_error(cmd, "an interface is required, e.g. 'admctl %s eth0'", cmd);
	if (!iface_ok(pos[0]))
		return ctl_usage_error(cmd, "'%s' is not an interface name (1..%d characters [A-Za-z0-9_.:@-])",
				       pos[0], IF_NAMESIZE - 1);
	req = json_pack("{s:s, s:s, s:b}", "cmd", cmd, "iface", pos[0], "force", force);
	rc = ctl_call(ctl, req, &resp, err, sizeof(err));
	if (rc) {
		if (detach)
			return detach_here(ctl, pos[0], err);
		fprintf(stderr, "admctl attach: %s; attaching needs admd's loaded program: start admd (it attaches [adm] interfaces)\n",
			err);
		return EXIT_FAIL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "admctl %s: %s\n", cmd,
			json_string_value(json_object_get(resp, "error")) ?: "admd refused");
		json_decref(resp);
		return EXIT_FAIL;
	}
	if (ctl->json) {
		ctl_print_json(json_incref(json_object_get(resp, "audit")));
	} else {
		json_t *a = json_object_get(resp, "audit");

		printf("%s: %s -> %s\n", json_string_value(json_object_get(a, "what")),
		       json_string_value(json_object_get(a, "before")),
		       json_string_value(json_object_get(a, "after")));
	}
	json_decref(resp);
	return EXIT_OK;
}
