// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd: loads and pins the adm data plane, attaches it to the configured
 * interfaces, writes policy and runs the modules of the control path in
 * one event loop. Enforcement lives in the kernel: SIGTERM or kill -9 leave
 * it running; a restarted admd reuses the pinned maps and replaces the
 * program in place. This file is the command line and the list of modules.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "admd.h"
#include "breaker.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "cluster.h"
#include "ctlproto.h"
#include "events.h"
#include "host.h"
#include "loader.h"
#include "log.h"
#include "logpipe.h"
#include "mapstatus.h"
#include "metrics.h"
#include "pins.h"
#include "responder.h"
#include "sockets.h"
#include "writer.h"

/*
 * The modules, in start order (stop runs backwards). The control socket
 * comes first: a second admd on the same socket stops before it touches
 * anything. Sinks of decision and audit records are called in this order.
 */
static const struct admd_module *const modules[] = {
	&core_module,
	&ctl_module,
	&log_module,
	&spool_module,
	&mariadb_module,
	&ld_module,
	&bk_module,	/* before wr_module: it serves breaker and degrade (manual overrides) */
	&wr_module,
	&sk_module,
	&resp_module,	/* after loader (its maps) */
	&ev_module,
	&rs_module,
	&mx_module,
	NULL
};

static volatile sig_atomic_t stop;
static volatile sig_atomic_t reload;
static volatile sig_atomic_t hup_uid, hup_pid;	/* who sent the last SIGHUP */

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_hup(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	hup_uid = si->si_uid;
	hup_pid = si->si_pid;
	reload = 1;
}

/*
 * Installed before anything is touched: a SIGTERM during start ends the
 * start cleanly, a SIGHUP (systemctl reload) during start is kept for
 * when the loop runs instead of killing admd.
 */
static void signals_install(void)
{
	struct sigaction sa_stop = { .sa_handler = on_stop };
	struct sigaction sa_hup = { .sa_sigaction = on_hup, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa_stop.sa_mask);
	sigemptyset(&sa_hup.sa_mask);
	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGHUP, &sa_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A SIGHUP reload, audited with the sender's uid. */
static void reload_on_hup(struct admd *ad)
{
	char err[ADM_ERR_MAX];
	struct adm_audit a = {};

	adm_time_text(a.time, sizeof(a.time));
	a.uid = hup_uid;
	a.pid = hup_pid;
	adm_audit_set_user(&a);
	snprintf(a.what, sizeof(a.what), "reload (SIGHUP)");
	snprintf(a.origin, sizeof(a.origin), "admd");
	if (admd_reload(ad, &a, err, sizeof(err)))
		snprintf(a.result, sizeof(a.result), "failed: %s", err);
	else
		snprintf(a.result, sizeof(a.result), "ok");
	admd_audit(ad, &a, NULL, 0);
}

/* Between loop wakeups: what the signal handlers asked for. */
static void on_idle(void *ctx)
{
	if (reload) {
		reload = 0;
		reload_on_hup(ctx);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: admd -c FILE [-i IFACE]... [--shadow] [--force] [-v]\n"
"       admd --cleanup -c FILE\n"
"       admd --check -c FILE\n"
"       admd --replay-spool DIR -c FILE\n"
"\n"
"Loads the adm XDP admission-control program, pins its maps under the\n"
"config's pin_root, attaches it to the configured interfaces and writes\n"
"each service's policy. Runs in the foreground until SIGTERM; the data\n"
"plane keeps enforcing after admd exits. SIGHUP re-reads the config.\n"
"admctl talks to it through the control socket ([adm] control_socket,\n"
"default /run/adm/<basename of pin_root>.sock).\n"
"\n"
"  -c, --config FILE   INI configuration (see adm.conf.example)\n"
"  -i, --interface IF  attach to IF instead of [adm] interfaces (repeatable)\n"
"      --shadow        count would-be refusals, refuse nothing\n"
"      --force         replace an XDP program adm did not attach\n"
"      --check         validate the config and exit (0 valid, 2 invalid)\n"
"      --cleanup       detach from every interface, remove all pins (resets state)\n"
"      --replay-spool DIR  send the log spool in DIR (another node's, an earlier\n"
"                      install's) to the config's [mariadb]; DIR is not changed,\n"
"                      rows already there are not inserted twice\n"
"  -v, --verbose       debug logging, including libbpf and the verifier\n"
"  -h, --help          this text\n"
"\n"
"Examples:\n"
"  admd -c /etc/adm/adm.conf\n"
"  admd -c /etc/adm/adm.conf -i eth1 --shadow\n"
"  admd --cleanup -c /etc/adm/adm.conf\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interface", required_argument, NULL, 'i' },
		{ "shadow", no_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'F' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'K' },
		{ "replay-spool", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = NULL, *cli_ifaces[ADM_MAX_IFACES], *replay = NULL;
	int n_cli = 0, shadow = 0, cleanup = 0, check = 0, verbose = 0, force = 0;
	struct admd ad = { .started_ns = adm_mono_ns(), .mods = modules };
	struct adm_config *cfg = NULL;
	char err[ADM_ERR_MAX];
	sigset_t start_mask, old_mask;
	int opt, i, rc, ret = 1;
	gid_t gid;

	signals_install();
	sigemptyset(&start_mask);
	sigaddset(&start_mask, SIGHUP);
	sigaddset(&start_mask, SIGINT);
	sigaddset(&start_mask, SIGTERM);
	adm_log_prog = "admd";
	while ((opt = getopt_long(argc, argv, "c:i:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'i':
			if (n_cli == ADM_MAX_IFACES) {
				fprintf(stderr, "admd: at most %d interfaces\n", ADM_MAX_IFACES);
				return 2;
			}
			cli_ifaces[n_cli++] = optarg;
			break;
		case 'S': shadow = 1; break;
		case 'F': force = 1; break;
		case 'C': cleanup = 1; break;
		case 'K': check = 1; break;
		case 'R': replay = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "admd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!path) {
		fprintf(stderr, "admd: a config file is required (-c FILE)\n");
		usage(stderr);
		return 2;
	}
	if (verbose)
		adm_log_level = ADM_LOG_DEBUG;
	adm_log_libbpf(verbose);
	if (replay)
		return mdb_replay(path, replay);

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		goto out;
	if (adm_config_load(path, cfg, err, sizeof(err))) {
		adm_err("%s", err);
		ret = 2;
		goto out;
	}
	if (n_cli) {
		cfg->n_ifaces = n_cli;
		for (i = 0; i < n_cli; i++) {
			if (strlen(cli_ifaces[i]) >= IF_NAMESIZE) {
				adm_err("-i %s: interface names are at most %d characters",
					cli_ifaces[i], IF_NAMESIZE - 1);
				ret = 2;
				goto out;
			}
			snprintf(cfg->ifaces[i], IF_NAMESIZE, "%s", cli_ifaces[i]);
		}
	}
	if (shadow)
		cfg->shadow = 1;
	cfg->force = force;
	if (adm_pin_root_check(cfg->pin_root, err, sizeof(err))) {
		adm_err("%s: %s", path, err);
		ret = 2;
		goto out;
	}
	if (cleanup) {
		int n = ld_cleanup(cfg->pin_root, err, sizeof(err));

		if (n < 0) {
			adm_err("%s", err);
			goto out;
		}
		adm_info("cleanup: removed %d pinned objects under %s", n, cfg->pin_root);
		ret = 0;
		goto out;
	}
	/* Everything is validated before anything is touched. */
	for (i = 0; i < cfg->n_ifaces; i++) {
		if (!if_nametoindex(cfg->ifaces[i])) {
			adm_err("%s: interface '%s' does not exist (ip link show)",
				path, cfg->ifaces[i]);
			ret = 2;
			goto out;
		}
	}
	if (cfg->pin_group[0] && adm_group_lookup(cfg->pin_group, &gid, err, sizeof(err))) {
		adm_err("%s: %s", path, err);
		ret = 2;
		goto out;
	}
	if (adm_ctl_path(cfg, ad.ctl_path, sizeof(ad.ctl_path))) {
		adm_err("%s: the control socket path derived from pin_root is too long; set [adm] control_socket",
			path);
		ret = 2;
		goto out;
	}
	if (check) {
		printf("%s: valid: %d services, %d interfaces\n", path,
		       cfg->n_svcs, cfg->n_ifaces);
		ret = 0;
		goto out;
	}

	ad.path = path;
	ad.cfg = cfg;
	ad.shadow_flag = shadow;
	ad.n_cli = n_cli;
	ad.force_flag = force;
	ad.verbose = verbose;
	ad.loop = loop_new();
	if (!ad.loop) {
		adm_err("cannot create the event loop: %s", strerror(errno));
		goto out;
	}
	/*
	 * The verifier gives up on a pending signal (EAGAIN): signals wait
	 * until the start is over, then their flags are acted on.
	 */
	sigprocmask(SIG_BLOCK, &start_mask, &old_mask);
	rc = admd_start(&ad, err, sizeof(err));
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (rc)
		goto out;
	if (stop) {
		adm_info("stopping: asked to during start");
		admd_stop(&ad);
		ret = 0;
		goto out;
	}
	adm_info("ready: %d services, %d interfaces, %s mode, pins under %s",
		 cfg->n_svcs, cfg->n_ifaces, cfg->shadow ? "shadow" : "enforce",
		 cfg->pin_root);
	on_idle(&ad);		/* a SIGHUP that came during start */
	rc = loop_run(ad.loop, &stop, on_idle, &ad);
	if (rc)
		adm_err("event loop failed: %s", strerror(-rc));
	adm_info("stopping: the data plane stays attached and enforcing (admd --cleanup detaches)");
	admd_stop(&ad);
	ret = rc ? 1 : 0;
out:
	loop_free(ad.loop);
	free(cfg);
	return ret;
}
