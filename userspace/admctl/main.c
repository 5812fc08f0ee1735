// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admctl.h"
#include "config.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: admctl [-c FILE | --pin-root DIR] [--json] COMMAND [ARGS]\n"
"\n"
"Reads and steers the adm data plane through its pinned maps.\n"
"\n"
"Commands:\n"
"  stats [--json]                       counters per service, verdict and reason\n"
"  block add CIDR [--ttl DURATION]      drop new traffic from CIDR to protected services\n"
"  block del CIDR                       remove a block entry\n"
"  block list [--json]                  list block entries\n"
"  allow add|del|list ...               the same for the allow list (allow wins)\n"
"\n"
"Options:\n"
"  -c, --config FILE   take pin_root from admd's config\n"
"      --pin-root DIR  pin root (default " ADM_DEFAULT_PIN_ROOT ")\n"
"  -j, --json          machine-readable output\n"
"  -h, --help          this text; 'admctl COMMAND --help' for a command\n"
"\n"
"Examples:\n"
"  admctl stats\n"
"  admctl block add 203.0.113.0/24 --ttl 10m\n"
"  admctl --pin-root /sys/fs/bpf/adm-test allow list --json\n"
"\n"
"Exit status: 0 ok, 1 operation failed, 2 usage error.\n");
}

int ctl_open_fail(const struct ctl *ctl, const char *map, int err)
{
	if (err == -ENOENT)
		fprintf(stderr,
			"admctl: no adm maps under %s (%s missing); is admd running with this pin_root? Use -c FILE or --pin-root DIR\n",
			ctl->pin_root, map);
	else
		fprintf(stderr, "admctl: cannot open %s/%s: %s\n", ctl->pin_root,
			map, strerror(-err));
	return EXIT_FAIL;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .pin_root = ADM_DEFAULT_PIN_ROOT };
	const char *cfg_path = NULL, *cmd;
	int i;

	adm_log_prog = "admctl";
	adm_log_libbpf(0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			ctl.json = 1;
		} else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argc) {
			cfg_path = argv[++i];
		} else if (!strcmp(a, "--pin-root") && i + 1 < argc) {
			if (snprintf(ctl.pin_root, sizeof(ctl.pin_root), "%s",
				     argv[++i]) >= (int)sizeof(ctl.pin_root)) {
				fprintf(stderr, "admctl: --pin-root: path too long\n");
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "admctl: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (cfg_path) {
		struct adm_config *cfg = calloc(1, sizeof(*cfg));
		char err[ADM_ERR_MAX];

		if (!cfg)
			return EXIT_FAIL;
		if (adm_config_load(cfg_path, cfg, err, sizeof(err))) {
			fprintf(stderr, "admctl: %s\n", err);
			free(cfg);
			return EXIT_USAGE;
		}
		snprintf(ctl.pin_root, sizeof(ctl.pin_root), "%s", cfg->pin_root);
		free(cfg);
	}
	if (i >= argc) {
		fprintf(stderr, "admctl: a command is required\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (!strcmp(cmd, "stats"))
		return do_stats(&ctl, argc, argv);
	if (!strcmp(cmd, "block"))
		return do_cidr(&ctl, 0, argc, argv);
	if (!strcmp(cmd, "allow"))
		return do_cidr(&ctl, 1, argc, argv);
	fprintf(stderr, "admctl: unknown command '%s'; see admctl --help\n", cmd);
	return EXIT_USAGE;
}
