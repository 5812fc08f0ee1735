// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module "loader": loads adm_xdp over the maps pinned under pin_root
 * (refusing a pinned map of another layout), writes each service's policy,
 * attaches the program to the configured interfaces through pinned links
 * (an existing link gets the new program in place, no gap), and serves
 * `attach`/`detach`. A start that fails later (any module) puts every
 * interface back as this start found it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adm_xdp.skel.h"
#include "admd.h"
#include "clock.h"
#include "control.h"
#include "mapstatus.h"
#include "policy.h"
#include "loader.h"
#include "log.h"
#include "pins.h"
#include "srcfilter.h"

#define PIN_MODE	0600
#define LD_DETACH_WAIT_TRIES	200	/* x LD_DETACH_WAIT_US: 1 s at most */
#define LD_DETACH_WAIT_US	5000

/*
 * adm_src_summary holds nothing of its own: ld_load derives it from
 * adm_src_filter. One pinned at another size (32 KiB before the summary
 * became 128 KiB) is unpinned here, so the load creates and fills a new
 * one. Programs still attached keep the old map until they are replaced;
 * a source verified meanwhile is marked in the filter but not in the new
 * summary until the first rebuild (at start) repairs it.
 */
static bool replace_derived(struct bpf_map *map, const char *root,
			    const struct bpf_map_info *info)
{
	char path[PATH_MAX];

	if (strcmp(bpf_map__name(map), ADM_MAP_SRC_SUMMARY) ||
	    info->type != bpf_map__type(map) || info->key_size != bpf_map__key_size(map) ||
	    info->value_size != bpf_map__value_size(map) ||
	    info->max_entries == bpf_map__max_entries(map) ||
	    adm_pin_path(path, sizeof(path), root, ADM_MAP_SRC_SUMMARY))
		return false;
	if (unlink(path)) {
		adm_warn("cannot replace %s (%u entries, this admd: %u): %s", path,
			 info->max_entries, bpf_map__max_entries(map), strerror(errno));
		return false;
	}
	adm_info("%s: %u entries pinned, this admd uses %u: replaced, derived again from %s",
		 path, info->max_entries, bpf_map__max_entries(map), ADM_MAP_SRC_FILTER);
	return true;
}

/* A pinned map that exists must match what this build would create. */
static int check_pinned_layout(struct bpf_object *obj, const char *root,
			       char *err, size_t errlen)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd, rc;

		fd = adm_map_open(root, bpf_map__name(map), 1);
		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			snprintf(err, errlen, "cannot open pinned map %s/%s: %s",
				 root, bpf_map__name(map), strerror(-fd));
			return -1;
		}
		rc = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (rc) {
			snprintf(err, errlen, "cannot inspect pinned map %s/%s: %s",
				 root, bpf_map__name(map), strerror(errno));
			return -1;
		}
		if (replace_derived(map, root, &info))
			continue;
		if (info.type != bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map) ||
		    info.map_flags != bpf_map__map_flags(map)) {
			snprintf(err, errlen,
				 "pinned map %s/%s has another layout than this admd (key %u/%u, value %u/%u, entries %u/%u bytes/bytes/count); refusing to reset live state: migrate it, or run 'admd --cleanup' to start from empty maps",
				 root, bpf_map__name(map), info.key_size,
				 bpf_map__key_size(map), info.value_size,
				 bpf_map__value_size(map), info.max_entries,
				 bpf_map__max_entries(map));
			return -1;
		}
	}
	return 0;
}

static void restrict_pins(struct bpf_object *obj, const char *root)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map(map, obj) {
		if (!adm_pin_path(path, sizeof(path), root, bpf_map__name(map)) &&
		    chmod(path, PIN_MODE) && errno != ENOENT)
			adm_warn("cannot chmod %s: %s", path, strerror(errno));
	}
}

struct adm_xdp_bpf *ld_load(const struct adm_config *cfg, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = cfg->pin_root);
	struct adm_xdp_bpf *skel;
	int rc;

	if (mkdir(cfg->pin_root, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create pin root %s: %s",
			 cfg->pin_root, strerror(errno));
		return NULL;
	}
	skel = adm_xdp_bpf__open_opts(&opts);
	if (!skel) {
		snprintf(err, errlen, "cannot open the adm_xdp BPF object: %s",
			 strerror(errno));
		return NULL;
	}
	if (check_pinned_layout(skel->obj, cfg->pin_root, err, errlen))
		goto fail;
	rc = adm_xdp_bpf__load(skel);
	if (rc) {
		snprintf(err, errlen,
			 "cannot load adm_xdp into the kernel: %s (run with -v for the verifier log)",
			 strerror(-rc));
		goto fail;
	}
	/* A filter pinned before adm_src_summary existed: summarize it before any attach. */
	rc = adm_src_summary_rebuild(bpf_map__fd(skel->maps.adm_src_filter),
				     bpf_map__fd(skel->maps.adm_src_summary));
	if (rc) {
		snprintf(err, errlen, "cannot summarize %s into %s: %s", ADM_MAP_SRC_FILTER,
			 ADM_MAP_SRC_SUMMARY, strerror(-rc));
		goto fail;
	}
	restrict_pins(skel->obj, cfg->pin_root);
	return skel;
fail:
	adm_xdp_bpf__destroy(skel);
	return NULL;
}

static int link_create(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);

	return fd < 0 ? -errno : fd;
}

/*
 * --force: take a program adm does not own off the interface (netlink
 * attachments only: a bpf_link belongs to whoever holds it).
 */
static int detach_foreign(int ifindex, const char *ifname, __u32 prog_id,
			  char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int rc = 0;

	if (bpf_xdp_query(ifindex, 0, &q))
		q.attach_mode = XDP_ATTACHED_NONE;
	adm_warn("%s: --force: replacing XDP program id %u that adm did not attach",
		 ifname, prog_id);
	if (!rc && q.drv_prog_id)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (!rc && q.skb_prog_id)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	if (!rc && q.hw_prog_id)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_HW_MODE, NULL);
	if (rc) {
		snprintf(err, errlen,
			 "cannot take XDP program id %u off %s: %s%s", prog_id,
			 ifname, strerror(-rc), rc == -EBUSY ?
			 " (it is attached through a bpf_link: detach it with the tool that owns it)" : "");
		return -1;
	}
	return 0;
}

int ld_attach(struct adm_xdp_bpf *skel, const struct adm_config *cfg,
	      const char *ifname, const char **mode_out, char *err,
	      size_t errlen)
{
	return ld_attach_prev(skel, cfg, ifname, mode_out, NULL, err, errlen);
}

int ld_attach_prev(struct adm_xdp_bpf *skel, const struct adm_config *cfg,
		   const char *ifname, const char **mode_out,
		   struct ld_prev *prev, char *err, size_t errlen)
{
	int prog_fd = bpf_program__fd(skel->progs.adm_xdp), lfd, ifindex;
	char path[PATH_MAX], name[64];
	__u32 prog_id = 0;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		snprintf(err, errlen, "interface '%s' does not exist", ifname);
		return -1;
	}
	snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", ifname);
	if (adm_pin_path(path, sizeof(path), cfg->pin_root, name)) {
		snprintf(err, errlen, "pin path for %s too long", ifname);
		return -1;
	}

	lfd = bpf_obj_get(path);
	if (lfd >= 0) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);
		int ok = !bpf_obj_get_info_by_fd(lfd, &li, &len) &&
			 li.xdp.ifindex == (__u32)ifindex, old_fd = -1;

		if (ok && prev)
			old_fd = bpf_prog_get_fd_by_id(li.prog_id);
		ok = ok && !bpf_link_update(lfd, prog_fd, NULL);
		close(lfd);
		if (ok && prev)
			prev->prog_fd = old_fd;
		else if (old_fd >= 0)
			close(old_fd);
		if (ok) {
			if (!bpf_xdp_query(ifindex, 0, &q))
				*mode_out = q.attach_mode == XDP_ATTACHED_SKB ?
					    "generic" : "native";
			adm_info("%s: kept the existing attachment, program replaced in place",
				 ifname);
			return 0;
		}
		/* The interface went away (or was recreated): start over. */
		adm_warn("%s: stale link pin %s removed", ifname, path);
		unlink(path);
	}

	if (!bpf_xdp_query_id(ifindex, 0, &prog_id) && prog_id) {
		if (!cfg->force) {
			snprintf(err, errlen,
				 "interface %s already has an XDP program (id %u) that adm did not attach; detach it first ('ip link set dev %s xdp off'), or replace it with --force",
				 ifname, prog_id, ifname);
			return -1;
		}
		if (detach_foreign(ifindex, ifname, prog_id, err, errlen))
			return -1;
	}

	lfd = -EOPNOTSUPP;
	if (cfg->xdp_mode != ADM_XDP_GENERIC) {
		lfd = link_create(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		*mode_out = "native";
		if (lfd < 0 && cfg->xdp_mode == ADM_XDP_AUTO)
			adm_warn("%s: native XDP unavailable (%s), using generic XDP (slower)",
				 ifname, strerror(-lfd));
	}
	if (lfd < 0 && cfg->xdp_mode != ADM_XDP_NATIVE) {
		lfd = link_create(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
		*mode_out = "generic";
	}
	if (lfd < 0) {
		snprintf(err, errlen, "cannot attach XDP to %s: %s", ifname,
			 strerror(-lfd));
		return -1;
	}
	if (bpf_obj_pin(lfd, path)) {
		snprintf(err, errlen, "cannot pin the XDP link of %s at %s: %s",
			 ifname, path, strerror(errno));
		close(lfd);	/* detaches: nothing half-done stays behind */
		return -1;
	}
	chmod(path, PIN_MODE);
	close(lfd);
	if (prev)
		prev->created = 1;
	return 0;
}

int ld_cleanup(const char *pin_root, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	int removed = 0, pass;
	DIR *d;

	d = opendir(pin_root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open pin root %s: %s", pin_root,
			 strerror(errno));
		return -1;
	}
	/* Links first (that detaches), maps after. */
	for (pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((de = readdir(d))) {
			int is_link = !strncmp(de->d_name, ADM_LINK_PIN_PREFIX,
					       strlen(ADM_LINK_PIN_PREFIX));

			if (de->d_name[0] == '.' || is_link != (pass == 0))
				continue;
			if (adm_pin_path(path, sizeof(path), pin_root, de->d_name))
				continue;
			if (unlink(path)) {
				adm_warn("cannot remove %s: %s", path, strerror(errno));
				continue;
			}
			if (is_link)
				adm_info("detached: %s",
					 de->d_name + strlen(ADM_LINK_PIN_PREFIX));
			removed++;
		}
	}
	closedir(d);
	if (rmdir(pin_root) && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove pin root %s: %s", pin_root,
			 strerror(errno));
		return -1;
	}
	return removed;
}

/* ---------------------------------------------------------------- module */

static struct {
	struct adm_xdp_bpf *skel;
	int n;
	struct ld_iface {
		char name[IF_NAMESIZE];
		struct ld_prev prev;	/* what this start changed, for an abort */
	} ifs[ADM_MAX_IFACES];
} ld;

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

/* Remove the link pin of ifname: that detaches. 0, or -1 with err. */
static int ld_detach(const struct adm_config *cfg, const char *ifname,
		     char *err, size_t errlen)
{
	char name[IF_NAMESIZE + sizeof(ADM_LINK_PREFIX)], path[PATH_MAX];

	snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", ifname);
	if (adm_pin_path(path, sizeof(path), cfg->pin_root, name)) {
		snprintf(err, errlen, "pin path for %s too long", ifname);
		return -1;
	}
	/*
	 * The pin holds the link's last reference: removing it detaches, but
	 * the kernel releases the link in a work item, so wait for it (a
	 * re-attach right after would find the old program still there).
	 */
	if (!unlink(path)) {
		int ifindex = if_nametoindex(ifname), i;
		__u32 id = 0;

		for (i = 0; ifindex && i < LD_DETACH_WAIT_TRIES; i++) {
			if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
				break;
			usleep(LD_DETACH_WAIT_US);
		}
		return 0;
	}
	if (errno == ENOENT)
		snprintf(err, errlen,
			 "%s is not attached by adm (no %.200s); 'admctl status' lists the interfaces",
			 ifname, path);
	else
		snprintf(err, errlen, "cannot remove %.200s: %s", path, strerror(errno));
	return -1;
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
		if (ld_attach(ld.skel, ad->cfg, ifname, &mode, err, sizeof(err)))
			adm_warn("%s (attached earlier with admctl): %s", ifname, err);
		else
			adm_info("%s: attached (%s XDP), kept from an earlier admctl attach",
				 ifname, mode);
	}
	closedir(d);
}

static int ld_start(struct admd *ad, char *err, size_t errlen)
{
	struct adm_config *cfg = ad->cfg;
	int i;

	if (!cfg->n_ifaces)
		adm_warn("no interfaces configured: maps and policy only, nothing enforced");
	if (adm_bpffs_ensure(cfg->pin_root, err, errlen))
		return -1;
	ld.skel = ld_load(cfg, err, errlen);
	if (!ld.skel)
		return -1;
	if (adm_policy_apply(cfg, err, errlen))
		return -1;
	for (i = 0; i < cfg->n_ifaces; i++) {
		struct ld_iface *f = &ld.ifs[ld.n];
		const char *mode = "?";

		snprintf(f->name, sizeof(f->name), "%s", cfg->ifaces[i]);
		f->prev = (struct ld_prev){ .prog_fd = -1 };
		ld.n++;
		if (ld_attach_prev(ld.skel, cfg, cfg->ifaces[i], &mode, &f->prev,
				   err, errlen))
			return -1;
		adm_info("%s: attached (%s XDP)", cfg->ifaces[i], mode);
	}
	attach_pinned(ad);
	if (adm_pins_share(cfg->pin_root, cfg->pin_group, err, errlen))
		return -1;
	return 0;
}

static int ld_reload_check(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	gid_t gid;
	int i;

	if (strcmp(next->pin_root, ad->cfg->pin_root)) {
		snprintf(err, errlen, "[adm] pin_root changed (%s -> %s); restart admd for that",
			 ad->cfg->pin_root, next->pin_root);
		return -1;
	}
	for (i = 0; i < next->n_ifaces; i++) {
		if (!if_nametoindex(next->ifaces[i])) {
			snprintf(err, errlen, "[adm] interfaces: '%s' does not exist (ip link show)",
				 next->ifaces[i]);
			return -1;
		}
	}
	if (next->pin_group[0] && adm_group_lookup(next->pin_group, &gid, err, errlen))
		return -1;
	return 0;
}

static int has_iface(const struct adm_config *cfg, const char *name)
{
	int i;

	for (i = 0; i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i], name))
			return 1;
	return 0;
}

/*
 * Policy, then interfaces: removed ones detached, added ones attached, and
 * with a new xdp_mode every one re-attached in that mode (detach, attach:
 * the kernel holds one XDP mode per interface at a time).
 */
static int ld_reload_apply(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	const struct adm_config *cur = ad->cfg;
	int i, remode = next->xdp_mode != cur->xdp_mode;
	char derr[ADM_ERR_MAX];

	if (adm_policy_apply((struct adm_config *)next, err, errlen))
		return -1;
	for (i = 0; i < cur->n_ifaces; i++) {
		if ((remode || !has_iface(next, cur->ifaces[i])) &&
		    !ld_detach(cur, cur->ifaces[i], derr, sizeof(derr)))
			adm_info("%s: detached (%s)", cur->ifaces[i],
				 remode ? "xdp_mode changed" : "no longer configured");
	}
	for (i = 0; i < next->n_ifaces; i++) {
		const char *mode = "?";

		if (!remode && has_iface(cur, next->ifaces[i]))
			continue;
		if (ld_attach(ld.skel, next, next->ifaces[i], &mode, err, errlen))
			return -1;
		adm_info("%s: attached (%s XDP)", next->ifaces[i], mode);
	}
	if (adm_pins_share(next->pin_root, next->pin_group, err, errlen))
		return -1;
	return 0;
}

static void ld_status(struct admd *ad, json_t *out)
{
	json_t *ifs = json_array();
	char buf[128];
	int i;

	for (i = 0; i < ad->cfg->n_ifaces; i++) {
		describe_xdp(ad, ad->cfg->ifaces[i], buf, sizeof(buf));
		json_array_append_new(ifs, json_string(buf));
	}
	json_object_set_new(out, "interfaces", ifs);
	json_object_set_new(out, "xdp_mode", json_string(
		ad->cfg->xdp_mode == ADM_XDP_NATIVE ? "native" :
		ad->cfg->xdp_mode == ADM_XDP_GENERIC ? "generic" : "auto"));
}

static int iface_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	return len && len < IF_NAMESIZE && strcmp(name, ".") && strcmp(name, "..") &&
	       name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789_.:@-")] == '\0';
}

/* attach and detach: performed here, audited, answered with the record. */
static void cmd_iface(struct admd *ad, struct ctl_req *r, int attach)
{
	const char *ifname = json_string_value(json_object_get(r->req, "iface"));
	int force = json_is_true(json_object_get(r->req, "force")), rc;
	const char *cmd = attach ? "attach" : "detach", *mode = "?";
	char err[ADM_ERR_MAX] = "";
	struct adm_audit a;

	if (!iface_ok(ifname)) {
		ctl_fail(r, "%s needs \"iface\": an interface name of 1..%d characters",
			 cmd, IF_NAMESIZE - 1);
		return;
	}
	if (admd_audit_ready(ad, err, sizeof(err))) {
		ctl_fail(r, "%s refused: %s", cmd, err);
		return;
	}
	ctl_audit_init(r, &a, "%s %s%s", cmd, ifname, force ? " --force" : "");
	describe_xdp(ad, ifname, a.before, sizeof(a.before));
	if (attach) {
		ad->cfg->force = force || ad->force_flag;
		rc = ld_attach(ld.skel, ad->cfg, ifname, &mode, err, sizeof(err));
		ad->cfg->force = ad->force_flag;
	} else {
		rc = ld_detach(ad->cfg, ifname, err, sizeof(err));
	}
	describe_xdp(ad, ifname, a.after, sizeof(a.after));
	if (!rc)
		adm_info("%s: %s%s%s on request of %s", ifname,
			 attach ? "attached (" : "detached", attach ? mode : "",
			 attach ? " XDP)" : "", a.user);
	snprintf(a.result, sizeof(a.result), "%s%s", rc ? "failed: " : "ok",
		 rc ? err : "");
	admd_audit(ad, &a, NULL, 0);
	if (rc)
		ctl_fail(r, "%s", err);
	else
		ctl_reply(r, json_pack("{s:o}", "audit", adm_audit_to_json(&a)));
}

static void cmd_attach(struct admd *ad, struct ctl_req *r)
{
	cmd_iface(ad, r, 1);
}

static void cmd_detach(struct admd *ad, struct ctl_req *r)
{
	cmd_iface(ad, r, 0);
}

static const struct admd_cmd ld_cmds[] = {
	{ .name = "attach", .write = 1, .fn = cmd_attach },
	{ .name = "detach", .write = 1, .fn = cmd_detach },
	{}
};

/* An aborted start: every interface back as this start found it. */
static void ld_abort(struct admd *ad)
{
	char err[ADM_ERR_MAX];
	int i;

	for (i = 0; i < ld.n; i++) {
		struct ld_iface *f = &ld.ifs[i];
		char name[IF_NAMESIZE + sizeof(ADM_LINK_PREFIX)], path[PATH_MAX];
		int lfd;

		if (f->prev.created) {
			if (!ld_detach(ad->cfg, f->name, err, sizeof(err)))
				adm_info("%s: detached (start failed)", f->name);
			continue;
		}
		if (f->prev.prog_fd < 0)
			continue;
		snprintf(name, sizeof(name), ADM_LINK_PREFIX "%s", f->name);
		adm_pin_path(path, sizeof(path), ad->cfg->pin_root, name);
		lfd = bpf_obj_get(path);
		if (lfd >= 0 && !bpf_link_update(lfd, f->prev.prog_fd, NULL))
			adm_info("%s: previous program back in place (start failed)", f->name);
		if (lfd >= 0)
			close(lfd);
	}
}

static void ld_stop(struct admd *ad, int aborted)
{
	int i;

	if (aborted)
		ld_abort(ad);
	for (i = 0; i < ld.n; i++)
		if (ld.ifs[i].prev.prog_fd >= 0)
			close(ld.ifs[i].prev.prog_fd);
	adm_xdp_bpf__destroy(ld.skel);
	memset(&ld, 0, sizeof(ld));
}

const struct admd_module ld_module = {
	.name = "loader",
	.start = ld_start,
	.reload_check = ld_reload_check,
	.reload_apply = ld_reload_apply,
	.status = ld_status,
	.cmds = ld_cmds,
	.stop = ld_stop,
};
