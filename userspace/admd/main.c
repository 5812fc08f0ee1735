// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd: loads and pins the adm data plane, attaches it to the configured
 * interfaces, writes policy, drains decision events. Enforcement lives in
 * the kernel: SIGTERM or kill -9 leave it running; a restarted admd
 * reuses the pinned maps and replaces the program in place.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "adm_xdp.skel.h"
#include "config.h"
#include "events.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "pins.h"
#include "policy.h"
#include "sockets.h"

#define POLL_MS		200

static volatile sig_atomic_t stop;
static volatile sig_atomic_t reload;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: admd -c FILE [-i IFACE]... [--shadow] [-v]\n"
"       admd --cleanup -c FILE\n"
"       admd --check -c FILE\n"
"\n"
"Loads the adm XDP admission-control program, pins its maps under the\n"
"config's pin_root, attaches it to the configured interfaces and writes\n"
"each service's policy. Runs in the foreground until SIGTERM; the data\n"
"plane keeps enforcing after admd exits. SIGHUP re-reads the config.\n"
"\n"
"  -c, --config FILE   INI configuration (see adm.conf.example)\n"
"  -i, --interface IF  attach to IF instead of [adm] interfaces (repeatable)\n"
"      --shadow        count would-be refusals, refuse nothing\n"
"      --check         validate the config and exit (0 valid, 2 invalid)\n"
"      --cleanup       detach from every interface, remove all pins (resets state)\n"
"  -v, --verbose       debug logging, including libbpf and the verifier\n"
"  -h, --help          this text\n"
"\n"
"Examples:\n"
"  admd -c /etc/adm/adm.conf\n"
"  admd -c /etc/adm/adm.conf -i eth1 --shadow\n"
"  admd --cleanup -c /etc/adm/adm.conf\n");
}

static int reload_policy(const char *path, struct adm_config *cur,
			 int shadow_flag, int n_cli_ifaces)
{
	struct adm_config *next = calloc(1, sizeof(*next));
	char err[ADM_ERR_MAX];
	int ret = -1;

	if (!next)
		return -1;
	if (adm_config_load(path, next, err, sizeof(err))) {
		adm_err("reload refused, old policy kept: %s", err);
		goto out;
	}
	if (shadow_flag)
		next->shadow = 1;
	if (strcmp(next->pin_root, cur->pin_root)) {
		adm_err("reload refused, old policy kept: pin_root changed (%s -> %s); restart admd for that",
			cur->pin_root, next->pin_root);
		goto out;
	}
	if (n_cli_ifaces || next->n_ifaces != cur->n_ifaces ||
	    memcmp(next->ifaces, cur->ifaces, sizeof(cur->ifaces))) {
		if (!n_cli_ifaces)
			adm_warn("reload: interface changes take effect on restart");
		next->n_ifaces = cur->n_ifaces;
		memcpy(next->ifaces, cur->ifaces, sizeof(cur->ifaces));
	}
	if (adm_policy_apply(next, err, sizeof(err))) {
		adm_err("reload failed: %s", err);
		goto out;
	}
	*cur = *next;
	adm_info("reloaded %s: %d services", path, cur->n_svcs);
	ret = 0;
out:
	free(next);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interface", required_argument, NULL, 'i' },
		{ "shadow", no_argument, NULL, 'S' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = NULL, *cli_ifaces[ADM_MAX_IFACES];
	int n_cli = 0, shadow = 0, cleanup = 0, check = 0, verbose = 0;
	struct adm_config *cfg = NULL;
	struct adm_xdp_bpf *skel = NULL;
	struct ev_drain *ev = NULL;
	struct sk_layer *sk = NULL;
	struct mx_server *mx = NULL;
	__u64 next_reconcile = 0;
	char err[ADM_ERR_MAX];
	int opt, i, ret = 1;

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
		case 'C': cleanup = 1; break;
		case 'K': check = 1; break;
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
	if (check) {
		printf("%s: valid: %d services, %d interfaces\n", path,
		       cfg->n_svcs, cfg->n_ifaces);
		ret = 0;
		goto out;
	}
	if (!cfg->n_ifaces)
		adm_warn("no interfaces configured: maps and policy only, nothing enforced");

	skel = ld_load(cfg, err, sizeof(err));
	if (!skel) {
		adm_err("%s", err);
		goto out;
	}
	if (adm_policy_apply(cfg, err, sizeof(err))) {
		adm_err("%s", err);
		goto out;
	}
	for (i = 0; i < cfg->n_ifaces; i++) {
		const char *mode = "?";

		if (ld_attach(skel, cfg, cfg->ifaces[i], &mode, err, sizeof(err))) {
			adm_err("%s", err);
			goto out;
		}
		adm_info("%s: attached (%s XDP)", cfg->ifaces[i], mode);
	}
	sk = sk_start(cfg, err, sizeof(err));
	if (!sk) {
		adm_err("%s", err);
		goto out;
	}
	ev = ev_open(cfg->pin_root);
	if (!ev) {
		adm_err("cannot open the decision ring buffer: %s", strerror(errno));
		goto out;
	}
	if (cfg->metrics_listen[0]) {
		mx = mx_start(cfg->metrics_listen, cfg->pin_root, err, sizeof(err));
		if (!mx) {
			adm_err("%s ([metrics] listen = off disables it)", err);
			goto out;
		}
		adm_info("metrics: http://%s/metrics", cfg->metrics_listen);
	}

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);
	adm_info("ready: %d services, %d interfaces, %s mode, pins under %s",
		 cfg->n_svcs, cfg->n_ifaces, cfg->shadow ? "shadow" : "enforce",
		 cfg->pin_root);

	while (!stop) {
		if (ev_poll(ev, POLL_MS) < 0 && errno != EINTR)
			adm_warn("ring buffer poll failed: %s", strerror(errno));
		if (reload) {
			reload = 0;
			reload_policy(path, cfg, shadow, n_cli);
		}
		if (adm_mono_ns() >= next_reconcile) {
			int rc = sk_reconcile(sk);

			if (rc)
				adm_warn("socket table recount failed: %s", strerror(-rc));
			next_reconcile = adm_mono_ns() + cfg->reconcile_ms * 1000000ULL;
		}
	}
	adm_info("stopping: the data plane stays attached and enforcing (admd --cleanup detaches)");
	ret = 0;
out:
	mx_stop(mx);
	ev_close(ev);
	sk_stop(sk);
	adm_xdp_bpf__destroy(skel);
	free(cfg);
	return ret;
}
