// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl: reads the adm data plane through its pinned maps, and asks admd
 * (control socket) for what only the daemon can do. Policy writes go to
 * admd, their single writer while it runs (ctl_op); with admd down admctl
 * applies them itself with the same library code, so an operator can
 * still block at 3 a.m., and audits them to syslog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admctl.h"
#include "config.h"
#include "log.h"

struct command {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
	const char *summary;
};

static int run_block(struct ctl *ctl, int argc, char **argv)
{
	return do_cidr(ctl, 0, argc, argv);
}

static int run_allow(struct ctl *ctl, int argc, char **argv)
{
	return do_cidr(ctl, 1, argc, argv);
}

static int run_attach(struct ctl *ctl, int argc, char **argv)
{
	return do_attach(ctl, 0, argc, argv);
}

static int run_detach(struct ctl *ctl, int argc, char **argv)
{
	return do_attach(ctl, 1, argc, argv);
}

static const struct command commands[] = {
	{ "status", do_status, "status [--json]                      admd, interfaces, services, breakers, reconcile results" },
	{ "stats", do_stats, "stats [--watch S [--count N]]        counters per service, verdict and reason" },
	{ "top", do_top, "top [-n N] [--by drops|rate|conns]   heaviest sources" },
	{ "limits", do_limits, "limits show [SERVICE]                live policy of each service\n"
			     "  limits set SERVICE KEY VALUE         change one limit now (until reload)" },
	{ "block", run_block, "block add CIDR [--ttl D] | del CIDR | list\n"
			    "                                       drop new traffic from CIDR" },
	{ "allow", run_allow, "allow add|del|list ...               the same for the allow list (allow wins)" },
	{ "breaker", do_breaker, "breaker show|open|close|half-open|auto [SERVICE]\n"
			       "                                       circuit breaker: manual override or automatic" },
	{ "mode", do_mode, "mode [enforce|shadow [SERVICE]]      refuse, or only count would-be refusals" },
	{ "degrade", do_degrade, "degrade [LEVEL] [--ttl D]            shed services by priority (0..3)" },
	{ "pressure", do_pressure, "pressure SERVICE LEVEL [--ttl D]     the application reports its load (0..3)" },
	{ "attach", run_attach, "attach IFACE [--force]               admd attaches its XDP program to IFACE" },
	{ "detach", run_detach, "detach IFACE                         admd detaches from IFACE" },
	{ "reload", do_reload, "reload                               admd re-reads its config (as SIGHUP)" },
	{ "logs", do_logs, "logs tail|query                      decision and audit records (MariaDB or spool)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
"Usage: admctl [-c FILE | --pin-root DIR] [--socket PATH] [--json] [--cluster] COMMAND [ARGS]\n"
"\n"
"Reads and steers the adm data plane through its pinned maps, and asks\n"
"admd for what only the daemon can do (status, attach, detach, reload, logs).\n"
"\n"
"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].summary);
	fprintf(f,
"\n"
"Options:\n"
"  -c, --config FILE   take pin_root and control_socket from admd's config\n"
"      --pin-root DIR  pin root (default " ADM_DEFAULT_PIN_ROOT ")\n"
"      --socket PATH   admd's control socket (default " ADM_CTL_DIR "/<basename of the pin root>" ADM_CTL_SUFFIX ")\n"
"  -j, --json          machine-readable output\n"
"      --cluster       block, allow, breaker, degrade, limits for every node ([redis]);\n"
"                      'admctl --cluster block --help'\n"
"  -h, --help          this text; 'admctl COMMAND --help' for a command\n"
"\n"
"Examples:\n"
"  admctl status\n"
"  admctl stats --watch 2\n"
"  admctl block add 203.0.113.0/24 --ttl 10m\n"
"  admctl limits set web new_conn_rate 50/s\n"
"  admctl --pin-root /sys/fs/bpf/adm-test allow list --json\n"
"  admctl --cluster block add 203.0.113.0/24 --ttl 10m\n"
"\n"
"Writes (limits set, block, allow, breaker, mode, degrade) are made by admd\n"
"while it runs; with admd down admctl makes them itself. Every write is an\n"
"audit record (admd logs it; syslog when admd is down).\n"
"Exit status: 0 ok, 1 operation failed, 2 usage error.\n");
}

static int set_path(char *dst, size_t len, const char *opt, const char *v)
{
	if (!v[0] || snprintf(dst, len, "%s", v) >= (int)len) {
		fprintf(stderr, "admctl: %s: %s\n", opt,
			v[0] ? "path too long" : "empty path");
		return -1;
	}
	return 0;
}

/* The value of option argv[*i]; NULL (with the sentence) if there is none. */
static const char *take_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "admctl: option '%s' needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .pin_root = ADM_DEFAULT_PIN_ROOT };
	const char *cfg_path = NULL, *cmd, *pin_root = NULL, *socket = NULL;
	size_t c;
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
		} else if (!strcmp(a, "--cluster")) {
			ctl.cluster = 1;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (!(cfg_path = take_value(argc, argv, &i)))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--pin-root")) {
			if (!(pin_root = take_value(argc, argv, &i)))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--socket")) {
			if (!(socket = take_value(argc, argv, &i)))
				return EXIT_USAGE;
		} else {
			fprintf(stderr, "admctl: unknown option '%s'; see 'admctl --help'\n", a);
			return EXIT_USAGE;
		}
	}
	if (cfg_path && pin_root) {
		fprintf(stderr, "admctl: -c and --pin-root both name the pin root; give one\n");
		return EXIT_USAGE;
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
		snprintf(ctl.config, sizeof(ctl.config), "%s", cfg_path);
		if (!socket && adm_ctl_path(cfg, ctl.socket, sizeof(ctl.socket)))
			ctl.socket[0] = '\0';
		free(cfg);
	}
	if (pin_root) {
		if (set_path(ctl.pin_root, sizeof(ctl.pin_root), "--pin-root", pin_root))
			return EXIT_USAGE;
		if (pin_root[0] != '/') {
			fprintf(stderr, "admctl: --pin-root '%s' must be an absolute path\n",
				pin_root);
			return EXIT_USAGE;
		}
	}
	if (socket && set_path(ctl.socket, sizeof(ctl.socket), "--socket", socket))
		return EXIT_USAGE;
	if (!ctl.socket[0])
		adm_ctl_default_path(ctl.pin_root, ctl.socket, sizeof(ctl.socket));
	if (i >= argc) {
		fprintf(stderr, "admctl: a command is required; see 'admctl --help'\n");
		return EXIT_USAGE;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (ctl.cluster)
		return do_cluster(&ctl, argc, argv);
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(cmd, commands[c].name))
			return commands[c].run(&ctl, argc, argv);
	fprintf(stderr, "admctl: unknown command '%s'; see 'admctl --help'\n", cmd);
	return EXIT_USAGE;
}
