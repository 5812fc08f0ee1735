// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd: loads and pins the adm data plane, attaches it to the configured
 * interfaces, writes policy, drains decision events. Enforcement lives in
 * the kernel: SIGTERM or kill -9 leave it running; a restarted admd
 * reuses the pinned maps and replaces the program in place.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adm_xdp.skel.h"
#include "cidr.h"
#include "config.h"
#include "control.h"
#include "ctlproto.h"
#include "events.h"
#include "loader.h"
#include "log.h"
#include "mapstatus.h"
#include "metrics.h"
#include "pins.h"
#include "policy.h"
#include "sockets.h"

#define POLL_MS		200
#define NS_PER_SEC	1000000000ULL

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

/* What the control socket's actions need of the running daemon. */
struct admd {
	const char *path;		/* the config file */
	struct adm_config *cfg;
	struct adm_xdp_bpf *skel;
	struct sk_layer *sk;
	struct ev_drain *ev;
	struct ctl_server *ctl;
	int shadow_flag, n_cli, force_flag;
	__u64 started_ns;
	char ctl_path[ADM_CTL_PATH_MAX];
	int reconcile_err;		/* last sk_reconcile result */
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: admd -c FILE [-i IFACE]... [--shadow] [--force] [-v]\n"
"       admd --cleanup -c FILE\n"
"       admd --check -c FILE\n"
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
"  -v, --verbose       debug logging, including libbpf and the verifier\n"
"  -h, --help          this text\n"
"\n"
"Examples:\n"
"  admd -c /etc/adm/adm.conf\n"
"  admd -c /etc/adm/adm.conf -i eth1 --shadow\n"
"  admd --cleanup -c /etc/adm/adm.conf\n");
}

/* "3 services (web, api, dns), enforce" for audit records. */
static void policy_text(const struct adm_config *cfg, char *buf, size_t len)
{
	size_t used;
	int i;

	used = snprintf(buf, len, "%d services (", cfg->n_svcs);
	for (i = 0; i < cfg->n_svcs && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 cfg->svcs[i].name);
	if (used < len)
		snprintf(buf + used, len - used, "), %s",
			 cfg->shadow ? "shadow" : "enforce");
}

/*
 * Re-read the config and apply it; live state is kept. On failure the old
 * policy stays and err says why. The control socket's path only changes
 * on restart.
 */
static int reload_policy(struct admd *ad, struct adm_audit *a, char *err,
			 size_t errlen)
{
	const char *path = ad->path;
	struct adm_config *cur = ad->cfg, *next = calloc(1, sizeof(*next));
	int shadow_flag = ad->shadow_flag, n_cli_ifaces = ad->n_cli;
	char perr[ADM_ERR_MAX];
	int ret = -1;

	if (!next) {
		snprintf(err, errlen, "reload: out of memory");
		return -1;
	}
	policy_text(cur, a->before, sizeof(a->before));
	snprintf(a->after, sizeof(a->after), "%s", a->before);
	if (adm_config_load(path, next, perr, sizeof(perr))) {
		snprintf(err, errlen, "reload refused, old policy kept: %s", perr);
		adm_err("%s", err);
		goto out;
	}
	if (shadow_flag)
		next->shadow = 1;
	if (strcmp(next->pin_root, cur->pin_root)) {
		snprintf(err, errlen,
			 "reload refused, old policy kept: pin_root changed (%s -> %s); restart admd for that",
			 cur->pin_root, next->pin_root);
		adm_err("%s", err);
		goto out;
	}
	if (strcmp(next->control_socket, cur->control_socket)) {
		adm_warn("reload: a new control_socket takes effect on restart");
		memcpy(next->control_socket, cur->control_socket,
		       sizeof(cur->control_socket));
	}
	next->force = cur->force;
	if (n_cli_ifaces || next->n_ifaces != cur->n_ifaces ||
	    memcmp(next->ifaces, cur->ifaces, sizeof(cur->ifaces))) {
		if (!n_cli_ifaces)
			adm_warn("reload: interface changes take effect on restart");
		next->n_ifaces = cur->n_ifaces;
		memcpy(next->ifaces, cur->ifaces, sizeof(cur->ifaces));
	}
	if (adm_policy_apply(next, perr, sizeof(perr))) {
		snprintf(err, errlen, "reload failed: %s", perr);
		adm_err("%s", err);
		goto out;
	}
	if (adm_pins_share(next->pin_root, next->pin_group, perr, sizeof(perr)))
		adm_warn("reload: %s", perr);
	*cur = *next;
	policy_text(cur, a->after, sizeof(a->after));
	adm_info("reloaded %s: %d services", path, cur->n_svcs);
	ret = 0;
out:
	free(next);
	return ret;
}

/* What is on ifname now, in words, for audit records. */
static void describe_xdp(const struct admd *ad, const char *ifname, char *buf,
			 size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[IF_NAMESIZE + sizeof(ADM_LINK_PREFIX)], path[PATH_MAX];
	int ifindex = if_nametoindex(ifname);
	struct stat st;

	snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", ifname);
	adm_pin_path(path, sizeof(path), ad->cfg->pin_root, name);
	if (!ifindex)
		snprintf(buf, len, "%s: no such interface", ifname);
	else if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		snprintf(buf, len, "%s: no XDP program", ifname);
	else
		snprintf(buf, len, "%s: %s XDP program id %u (%s)", ifname,
			 stat(path, &st) ? "foreign" : "adm",
			 q.prog_id, q.attach_mode == XDP_ATTACHED_SKB ? "generic" : "native");
}

static int op_attach(void *ctx, const char *ifname, int force,
		     struct adm_audit *a, char *err, size_t errlen)
{
	struct admd *ad = ctx;
	const char *mode = "?";
	int rc;

	describe_xdp(ad, ifname, a->before, sizeof(a->before));
	ad->cfg->force = force || ad->force_flag;
	rc = ld_attach(ad->skel, ad->cfg, ifname, &mode, err, errlen);
	ad->cfg->force = ad->force_flag;
	describe_xdp(ad, ifname, a->after, sizeof(a->after));
	if (!rc)
		adm_info("%s: attached (%s XDP) on request of %s", ifname, mode,
			 a->user);
	return rc;
}

static int op_detach(void *ctx, const char *ifname, struct adm_audit *a,
		     char *err, size_t errlen)
{
	struct admd *ad = ctx;
	char name[IF_NAMESIZE + sizeof(ADM_LINK_PREFIX)], path[PATH_MAX];

	describe_xdp(ad, ifname, a->before, sizeof(a->before));
	snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", ifname);
	if (adm_pin_path(path, sizeof(path), ad->cfg->pin_root, name)) {
		snprintf(err, errlen, "pin path for %s too long", ifname);
		return -1;
	}
	/* The pin holds the link's last reference: removing it detaches. */
	if (unlink(path)) {
		if (errno == ENOENT)
			snprintf(err, errlen,
				 "%s is not attached by adm (no %s); 'admctl status' lists the interfaces",
				 ifname, path);
		else
			snprintf(err, errlen, "cannot remove %s: %s", path,
				 strerror(errno));
		return -1;
	}
	describe_xdp(ad, ifname, a->after, sizeof(a->after));
	adm_info("%s: detached on request of %s", ifname, a->user);
	return 0;
}

static int op_reload(void *ctx, struct adm_audit *a, char *err, size_t errlen)
{
	return reload_policy(ctx, a, err, errlen);
}

static void op_status(void *ctx, json_t *out)
{
	struct admd *ad = ctx;
	json_t *o = json_object(), *ifs = json_array();
	int i;

	for (i = 0; i < ad->cfg->n_ifaces; i++)
		json_array_append_new(ifs, json_string(ad->cfg->ifaces[i]));
	json_object_set_new(o, "running", json_true());
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s", json_integer(
		(json_int_t)((adm_mono_ns() - ad->started_ns) / NS_PER_SEC)));
	json_object_set_new(o, "config", json_string(ad->path));
	json_object_set_new(o, "control_socket", json_string(ad->ctl_path));
	json_object_set_new(o, "mode", json_string(ad->cfg->shadow ? "shadow" : "enforce"));
	json_object_set_new(o, "configured_interfaces", ifs);
	json_object_set_new(o, "socket_layer", json_boolean(ad->sk != NULL));
	json_object_set_new(o, "reconcile_error", ad->reconcile_err ?
			    json_string(strerror(-ad->reconcile_err)) : json_null());
	json_object_set_new(o, "metrics", ad->cfg->metrics_listen[0] ?
			    json_string(ad->cfg->metrics_listen) : json_null());
	json_object_set_new(o, "pin_group", ad->cfg->pin_group[0] ?
			    json_string(ad->cfg->pin_group) : json_null());
	json_object_set_new(o, "events_drained", json_integer(
		ad->ev ? (json_int_t)ev_total(ad->ev) : 0));
	json_object_set_new(o, "log_records", json_integer(ctl_records(ad->ctl)));
	json_object_set_new(o, "log_followers", json_integer(ctl_followers(ad->ctl)));
	json_object_set_new(out, "admd", o);
}

/*
 * Interfaces attached earlier with `admctl attach` (their link pins) get
 * this admd's program too, in place, like the configured ones.
 */
static void attach_pinned(struct admd *ad)
{
	DIR *d = opendir(ad->cfg->pin_root);
	char err[ADM_ERR_MAX];
	struct dirent *de;
	int i;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *ifname = de->d_name + strlen(ADM_LINK_PREFIX);
		const char *mode = "?";
		int configured = 0;

		if (strncmp(de->d_name, ADM_LINK_PREFIX, strlen(ADM_LINK_PREFIX)))
			continue;
		for (i = 0; i < ad->cfg->n_ifaces; i++)
			configured |= !strcmp(ad->cfg->ifaces[i], ifname);
		if (configured)
			continue;
		if (ld_attach(ad->skel, ad->cfg, ifname, &mode, err, sizeof(err)))
			adm_warn("%s (attached earlier with admctl): %s", ifname, err);
		else
			adm_info("%s: attached (%s XDP), kept from an earlier admctl attach",
				 ifname, mode);
	}
	closedir(d);
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
	if (reload_policy(ad, &a, err, sizeof(err)))
		snprintf(a.result, sizeof(a.result), "failed: %s", err);
	else
		snprintf(a.result, sizeof(a.result), "ok");
	ctl_audit(ad->ctl, &a);
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = NULL, *cli_ifaces[ADM_MAX_IFACES];
	int n_cli = 0, shadow = 0, cleanup = 0, check = 0, verbose = 0, force = 0;
	struct ctl_ops ops = { .status = op_status, .attach = op_attach,
			       .detach = op_detach, .reload = op_reload };
	struct admd ad = { .started_ns = adm_mono_ns() };
	struct sigaction sa_hup = { .sa_sigaction = on_hup, .sa_flags = SA_SIGINFO };
	gid_t gid;
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
		case 'F': force = 1; break;
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
	if (!cfg->n_ifaces)
		adm_warn("no interfaces configured: maps and policy only, nothing enforced");

	/* Before anything is loaded: a second admd on the same socket stops here. */
	ad.path = path;
	ad.cfg = cfg;
	ad.shadow_flag = shadow;
	ad.n_cli = n_cli;
	ad.force_flag = force;
	ops.ctx = &ad;
	ad.ctl = ctl_start(ad.ctl_path, cfg->pin_root, &ops, err, sizeof(err));
	if (!ad.ctl) {
		adm_err("%s", err);
		goto out;
	}
	if (adm_bpffs_ensure(cfg->pin_root, err, sizeof(err))) {
		adm_err("%s", err);
		goto out;
	}
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
	ad.skel = skel;
	attach_pinned(&ad);
	sk = sk_start(cfg, err, sizeof(err));
	if (!sk) {
		adm_err("%s", err);
		goto out;
	}
	ad.sk = sk;
	if (adm_pins_share(cfg->pin_root, cfg->pin_group, err, sizeof(err))) {
		adm_err("%s", err);
		goto out;
	}
	ev = ev_open(cfg->pin_root);
	if (!ev) {
		adm_err("cannot open the decision ring buffer: %s", strerror(errno));
		goto out;
	}
	ad.ev = ev;
	ev_set_tap(ev, ctl_event, ad.ctl);
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
	sigemptyset(&sa_hup.sa_mask);
	sigaction(SIGHUP, &sa_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	adm_info("control socket: %s", ad.ctl_path);
	adm_info("ready: %d services, %d interfaces, %s mode, pins under %s",
		 cfg->n_svcs, cfg->n_ifaces, cfg->shadow ? "shadow" : "enforce",
		 cfg->pin_root);

	while (!stop) {
		int rc = ctl_poll(ad.ctl, ev_epoll_fd(ev), POLL_MS);

		if (rc)
			adm_warn("control socket poll failed: %s", strerror(-rc));
		if (ev_poll(ev, 0) < 0 && errno != EINTR)
			adm_warn("ring buffer poll failed: %s", strerror(errno));
		if (reload) {
			reload = 0;
			reload_on_hup(&ad);
		}
		if (adm_mono_ns() >= next_reconcile) {
			rc = sk_reconcile(sk);
			ad.reconcile_err = rc;
			if (rc)
				adm_warn("socket table recount failed: %s", strerror(-rc));
			adm_cidr_sweep(cfg->pin_root);
			next_reconcile = adm_mono_ns() + cfg->reconcile_ms * 1000000ULL;
		}
	}
	adm_info("stopping: the data plane stays attached and enforcing (admd --cleanup detaches)");
	ret = 0;
out:
	ctl_stop(ad.ctl);
	mx_stop(mx);
	ev_close(ev);
	sk_stop(sk);
	adm_xdp_bpf__destroy(skel);
	free(cfg);
	return ret;
}
