// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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
#include "loader.h"
#include "log.h"
#include "pins.h"

#define PIN_MODE	0600

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
			 li.xdp.ifindex == (__u32)ifindex &&
			 !bpf_link_update(lfd, prog_fd, NULL);

		close(lfd);
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
