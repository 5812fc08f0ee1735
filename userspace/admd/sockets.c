// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module "sockets", the socket layer: loads adm_sockops (counts live
 * connections per service and source, marks verified sources) and attaches
 * it to the configured cgroup through a pinned link; loads the tcp
 * iterator that recounts the socket table every reconcile_ms, corrects
 * drift and reaps idle or over-lifetime connections; sweeps expired CIDR
 * entries on the same tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adm_iter.skel.h"
#include "adm_sockops.skel.h"
#include "admd.h"
#include "cidr.h"
#include "log.h"
#include "pins.h"
#include "sockets.h"
#include "util.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE		71
#endif
#define SK_MAX_PENDING_SRC	4096

struct src_drift {
	struct adm_fp_key key;
	__s64 drift;
};

struct sk_layer {
	struct adm_sockops_bpf *sockops;
	struct adm_iter_bpf *iter;
	struct bpf_link *iter_link;
	struct adm_conc *conc;
	int conc_fd, src_conc_fd, recount_fd, src_recount_fd, meta_fd;
	__s64 pending[ADM_MAX_SERVICES];	/* drift seen in the last quiet pass */
	struct src_drift *src_pending;
	int n_src_pending;
	char cgroup[PATH_MAX];		/* where the sockops link is attached */
	int created;			/* this start created the link (abort: remove it) */
	int prev_prog_fd;		/* this start replaced that program (abort: put it back) */
};

int sk_cgroup2_mount(char *buf, size_t len)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");
	int ret = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			ret = 0;
			break;
		}
	}
	endmntent(f);
	return ret;
}

static __u64 netns_cookie(void)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

/* The cgroup a config names: [adm] cgroup, or the cgroup v2 mount. */
static int cgroup_of(const struct adm_config *cfg, char *cg, size_t len,
		     char *err, size_t errlen)
{
	if (cfg->cgroup[0]) {
		snprintf(cg, len, "%s", cfg->cgroup);
		return 0;
	}
	if (sk_cgroup2_mount(cg, len)) {
		snprintf(err, errlen,
			 "no cgroup v2 mount in /proc/mounts; mount one or set [adm] cgroup");
		return -1;
	}
	return 0;
}

/* The cgroup a pinned sockops link is attached to (its id), and its program. */
static __u64 link_cgroup_id(int lfd, __u32 *prog_id)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);

	if (bpf_obj_get_info_by_fd(lfd, &li, &len))
		return 0;
	*prog_id = li.prog_id;
	return li.cgroup.cgroup_id;
}

static __u64 path_cgroup_id(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

static int attach_cgroup(struct sk_layer *sk, const struct adm_config *cfg,
			 char *err, size_t errlen)
{
	int prog_fd = bpf_program__fd(sk->sockops->progs.adm_sockops);
	char cg[PATH_MAX], path[PATH_MAX];
	int cg_fd, lfd;

	if (cgroup_of(cfg, cg, sizeof(cg), err, errlen))
		return -1;
	snprintf(sk->cgroup, sizeof(sk->cgroup), "%s", cg);
	adm_pin_path(path, sizeof(path), cfg->pin_root, ADM_SOCKOPS_LINK);
	lfd = bpf_obj_get(path);
	if (lfd >= 0) {
		__u32 old_id = 0;
		__u64 cg_id = link_cgroup_id(lfd, &old_id);
		int rc = -1;

		if (cg_id && cg_id == path_cgroup_id(cg)) {
			sk->prev_prog_fd = old_id ? bpf_prog_get_fd_by_id(old_id) : -1;
			rc = bpf_link_update(lfd, prog_fd, NULL);
			if (rc && sk->prev_prog_fd >= 0) {
				close(sk->prev_prog_fd);
				sk->prev_prog_fd = -1;
			}
		}
		close(lfd);
		if (!rc) {
			adm_info("sockops: kept the existing attachment to %s, program replaced in place",
				 cg);
			return 0;
		}
		adm_warn("sockops: link pin %s (%s) removed", path,
			 cg_id ? "another cgroup" : "stale");
		unlink(path);
	}
	cg_fd = open(cg, O_RDONLY | O_DIRECTORY);
	if (cg_fd < 0) {
		snprintf(err, errlen, "cannot open cgroup %s: %s", cg, strerror(errno));
		return -1;
	}
	lfd = bpf_link_create(prog_fd, cg_fd, BPF_CGROUP_SOCK_OPS, NULL);
	close(cg_fd);
	if (lfd < 0) {
		snprintf(err, errlen, "cannot attach sockops to cgroup %s: %s", cg,
			 strerror(errno));
		return -1;
	}
	if (bpf_obj_pin(lfd, path)) {
		snprintf(err, errlen, "cannot pin the sockops link at %s: %s", path,
			 strerror(errno));
		close(lfd);
		return -1;
	}
	chmod(path, 0600);
	close(lfd);
	sk->created = 1;
	adm_info("sockops: attached to cgroup %s", cg);
	return 0;
}

struct sk_layer *sk_start(const struct adm_config *cfg, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = cfg->pin_root);
	struct sk_layer *sk = calloc(1, sizeof(*sk));
	__u64 cookie = netns_cookie();
	int rc;

	if (!sk)
		return NULL;
	sk->conc_fd = sk->src_conc_fd = sk->recount_fd = -1;
	sk->src_recount_fd = sk->meta_fd = sk->prev_prog_fd = -1;
	sk->src_pending = calloc(SK_MAX_PENDING_SRC, sizeof(*sk->src_pending));
	if (!sk->src_pending)
		goto fail_errno;
	if (!cookie)
		adm_warn("SO_NETNS_COOKIE unavailable: the socket layer counts every network namespace");

	sk->sockops = adm_sockops_bpf__open_opts(&opts);
	if (!sk->sockops)
		goto fail_errno;
	sk->sockops->rodata->adm_netns_cookie = cookie;
	rc = adm_sockops_bpf__load(sk->sockops);
	if (rc) {
		snprintf(err, errlen, "cannot load adm_sockops: %s (run with -v)", strerror(-rc));
		goto fail;
	}
	if (!sk->sockops->bss) {
		snprintf(err, errlen, "adm_sockops: its .bss is not memory-mapped (needs BPF_F_MMAPABLE array maps)");
		goto fail;
	}
	sk->iter = adm_iter_bpf__open_opts(&opts);
	if (!sk->iter)
		goto fail_errno;
	sk->iter->rodata->adm_netns_cookie = cookie;
	rc = adm_iter_bpf__load(sk->iter);
	if (rc) {
		snprintf(err, errlen, "cannot load adm_iter (needs kernel >= 6.5 for bpf_sock_destroy): %s",
			 strerror(-rc));
		goto fail;
	}
	sk->iter_link = bpf_program__attach_iter(sk->iter->progs.adm_iter_tcp, NULL);
	if (!sk->iter_link) {
		snprintf(err, errlen, "cannot create the tcp iterator: %s", strerror(errno));
		goto fail;
	}
	sk->conc_fd = adm_map_open(cfg->pin_root, ADM_MAP_CONC, 0);
	sk->src_conc_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC_CONC, 0);
	sk->recount_fd = adm_map_open(cfg->pin_root, ADM_MAP_RECOUNT, 0);
	sk->src_recount_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC_RECOUNT, 0);
	sk->meta_fd = adm_map_open(cfg->pin_root, ADM_MAP_META, 0);
	if (sk->conc_fd < 0 || sk->src_conc_fd < 0 || sk->recount_fd < 0 ||
	    sk->src_recount_fd < 0 || sk->meta_fd < 0) {
		snprintf(err, errlen, "cannot open the socket layer's pinned maps under %s",
			 cfg->pin_root);
		goto fail;
	}
	sk->conc = adm_conc_mmap(sk->conc_fd);
	if (!sk->conc)
		goto fail_errno;
	if (attach_cgroup(sk, cfg, err, errlen))
		goto fail;
	return sk;
fail_errno:
	snprintf(err, errlen, "socket layer: %s", strerror(errno));
fail:
	sk_stop(sk);
	return NULL;
}

static int run_iter(struct sk_layer *sk)
{
	char buf[256];
	int fd = bpf_iter_create(bpf_link__fd(sk->iter_link));
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

static void clear_src_recount(int fd)
{
	struct adm_fp_key key, next;
	int have = 0;

	/* Deleting the key we stand on restarts the walk: always take the first. */
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		if (have && !memcmp(&key, &next, sizeof(key)))
			break;		/* delete failed: stop rather than spin */
		key = next;
		have = 1;
		bpf_map_delete_elem(fd, &key);
	}
}

/*
 * Whether a take or release of service id's connections began after
 * done0 was read (or was in flight then): adm_sockops brackets each one
 * with adm_chg_begun / adm_chg_done. A pass that did not race saw a still
 * set of counted sockets; only its recount may be compared to the counter.
 */
static int raced(const struct sk_layer *sk, __u32 id, const __u64 *done0)
{
	return __atomic_load_n(&sk->sockops->bss->adm_chg_begun[id], __ATOMIC_ACQUIRE) !=
	       done0[id];
}

static __s64 same_sign_min(__s64 a, __s64 b)
{
	if (!a || !b || (a > 0) != (b > 0))
		return 0;
	if (a > 0)
		return a < b ? a : b;
	return a > b ? a : b;
}

/*
 * Correct per-source counters whose drift repeated across two quiet
 * passes; fixed[service] accumulates the size of the corrections. A
 * source whose service took or released a connection since the pass
 * began (done0) is left alone: its counter may be newer than the recount,
 * and a read-modify-write of it could lose that change.
 */
static void reconcile_sources(struct sk_layer *sk, __u64 *fixed,
			      const __u64 *done0)
{
	struct src_drift *now = calloc(SK_MAX_PENDING_SRC, sizeof(*now));
	struct adm_fp_key key, *prev = NULL;
	int n = 0, i;

	if (!now)
		return;
	while (!bpf_map_get_next_key(sk->src_conc_fd, prev, &key)) {
		__u64 live = 0, truth = 0;
		__s64 drift;

		prev = &key;
		if (key.service >= ADM_MAX_SERVICES ||
		    bpf_map_lookup_elem(sk->src_conc_fd, &key, &live) ||
		    raced(sk, key.service, done0))
			continue;
		bpf_map_lookup_elem(sk->src_recount_fd, &key, &truth);
		drift = (__s64)(truth - live);
		if (!drift || n == SK_MAX_PENDING_SRC)
			continue;
		now[n].key = key;
		now[n].drift = drift;
		for (i = 0; i < sk->n_src_pending; i++) {
			__s64 fix;

			if (memcmp(&sk->src_pending[i].key, &key, sizeof(key)))
				continue;
			fix = same_sign_min(sk->src_pending[i].drift, drift);
			if (fix) {
				live += fix;
				bpf_map_update_elem(sk->src_conc_fd, &key, &live, BPF_EXIST);
				fixed[key.service] += fix > 0 ? fix : -fix;
				now[n].drift = 0;
			}
			break;
		}
		if (now[n].drift)
			n++;
	}
	memcpy(sk->src_pending, now, sizeof(*now) * n);
	sk->n_src_pending = n;
	free(now);
}

int sk_reconcile(struct sk_layer *sk)
{
	struct adm_recount zero = {}, rc;
	__u64 before[ADM_MAX_SERVICES], after, src_fixed[ADM_MAX_SERVICES] = {};
	__u64 done0[ADM_MAX_SERVICES];
	int quiet = 1, err;
	__u32 id;

	/* done0 before anything else: a take or release in flight now or
	 * begun later shows as raced() at the end of the pass. */
	for (id = 0; id < ADM_MAX_SERVICES; id++) {
		done0[id] = __atomic_load_n(&sk->sockops->bss->adm_chg_done[id],
					    __ATOMIC_ACQUIRE);
		bpf_map_update_elem(sk->recount_fd, &id, &zero, BPF_ANY);
		before[id] = __atomic_load_n(&sk->conc[id].live, __ATOMIC_ACQUIRE);
	}
	clear_src_recount(sk->src_recount_fd);
	err = run_iter(sk);
	if (err)
		return err;

	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_meta meta;
		__s64 drift, fix;

		if (bpf_map_lookup_elem(sk->meta_fd, &id, &meta) || !meta.name[0])
			continue;
		if (bpf_map_lookup_elem(sk->recount_fd, &id, &rc))
			continue;
		after = __atomic_load_n(&sk->conc[id].live, __ATOMIC_ACQUIRE);
		meta.untracked = rc.untracked;
		meta.reaped_idle += rc.reaped_idle;
		meta.reaped_lifetime += rc.reaped_lifetime;
		meta.reconcile_ns = adm_mono_ns();
		if (rc.reaped_idle || rc.reaped_lifetime)
			adm_info("reaped %llu idle and %llu over-lifetime connections of %s",
				 (unsigned long long)rc.reaped_idle,
				 (unsigned long long)rc.reaped_lifetime, meta.name);
		/*
		 * Only a pass that raced no take or release can be compared
		 * with the counter (reaped sockets release theirs through
		 * sockops meanwhile, which races too).
		 */
		if (raced(sk, id, done0) || before[id] != after ||
		    rc.reaped_idle || rc.reaped_lifetime) {
			quiet = 0;
			sk->pending[id] = 0;
		} else {
			drift = (__s64)(rc.tracked - after);
			fix = same_sign_min(sk->pending[id], drift);
			if (fix) {
				__atomic_fetch_add(&sk->conc[id].live, (__u64)fix, __ATOMIC_ACQ_REL);
				meta.corrections += fix > 0 ? fix : -fix;
				adm_warn("reconcile: %s live counter corrected by %+lld to the socket table's %llu",
					 meta.name, (long long)fix,
					 (unsigned long long)rc.tracked);
				drift = 0;
			}
			sk->pending[id] = drift;
		}
		bpf_map_update_elem(sk->meta_fd, &id, &meta, BPF_EXIST);
	}
	if (!quiet) {
		sk->n_src_pending = 0;
		return 0;
	}
	reconcile_sources(sk, src_fixed, done0);
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_meta meta;

		if (!src_fixed[id] || bpf_map_lookup_elem(sk->meta_fd, &id, &meta))
			continue;
		meta.src_corrections += src_fixed[id];
		bpf_map_update_elem(sk->meta_fd, &id, &meta, BPF_EXIST);
		adm_warn("reconcile: %s per-source connection counts corrected by %llu",
			 meta.name, (unsigned long long)src_fixed[id]);
	}
	return 0;
}

void sk_stop(struct sk_layer *sk)
{
	if (!sk)
		return;
	adm_conc_munmap(sk->conc);
	if (sk->conc_fd >= 0)
		close(sk->conc_fd);
	if (sk->src_conc_fd >= 0)
		close(sk->src_conc_fd);
	if (sk->recount_fd >= 0)
		close(sk->recount_fd);
	if (sk->src_recount_fd >= 0)
		close(sk->src_recount_fd);
	if (sk->meta_fd >= 0)
		close(sk->meta_fd);
	if (sk->prev_prog_fd >= 0)
		close(sk->prev_prog_fd);
	bpf_link__destroy(sk->iter_link);
	adm_iter_bpf__destroy(sk->iter);
	adm_sockops_bpf__destroy(sk->sockops);
	free(sk->src_pending);
	free(sk);
}

/* ---------------------------------------------------------------- module */

static struct {
	struct sk_layer *sk;
	struct loop_timer *tick;
	int reconcile_err;		/* last sk_reconcile result */
	__u64 passes;
} sl;

static void sl_tick(void *ctx)
{
	struct admd *ad = ctx;
	int rc = sk_reconcile(sl.sk);

	sl.reconcile_err = rc;
	sl.passes++;
	if (rc)
		adm_warn("socket table recount failed: %s", strerror(-rc));
	adm_cidr_sweep(ad->cfg->pin_root);
}

static int sl_start(struct admd *ad, char *err, size_t errlen)
{
	sl.sk = sk_start(ad->cfg, err, errlen);
	if (!sl.sk)
		return -1;
	sl.tick = loop_add_timer(ad->loop, ad->cfg->reconcile_ms, sl_tick, ad);
	if (!sl.tick) {
		snprintf(err, errlen, "socket layer: no timer: %s", strerror(errno));
		return -1;
	}
	/* The first recount now: connections that predate admd are seen at once. */
	loop_timer_arm(sl.tick, 0);
	return 0;
}

/* A new [adm] cgroup: the link moves there (attach new, then drop old). */
static int sl_reload_check(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	char cg[PATH_MAX];
	struct stat st;

	(void)ad;
	if (cgroup_of(next, cg, sizeof(cg), err, errlen))
		return -1;
	if (strcmp(cg, sl.sk->cgroup) && (stat(cg, &st) || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "[adm] cgroup = %s: not a cgroup v2 directory", cg);
		return -1;
	}
	return 0;
}

static int sl_reload_apply(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	char cg[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
	int prog_fd = bpf_program__fd(sl.sk->sockops->progs.adm_sockops);
	int cg_fd, lfd;

	loop_timer_period(sl.tick, next->reconcile_ms);
	if (cgroup_of(next, cg, sizeof(cg), err, errlen))
		return -1;
	if (!strcmp(cg, sl.sk->cgroup))
		return 0;
	cg_fd = open(cg, O_RDONLY | O_DIRECTORY);
	if (cg_fd < 0) {
		snprintf(err, errlen, "[adm] cgroup = %s: %s", cg, strerror(errno));
		return -1;
	}
	lfd = bpf_link_create(prog_fd, cg_fd, BPF_CGROUP_SOCK_OPS, NULL);
	close(cg_fd);
	if (lfd < 0) {
		snprintf(err, errlen, "[adm] cgroup = %s: cannot attach sockops: %s", cg,
			 strerror(errno));
		return -1;
	}
	/* Pin the new link beside the old one, then rename over it: no gap. */
	adm_pin_path(path, sizeof(path), ad->cfg->pin_root, ADM_SOCKOPS_LINK);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	if (bpf_obj_pin(lfd, tmp) || rename(tmp, path)) {
		snprintf(err, errlen, "[adm] cgroup = %s: cannot pin the sockops link: %s",
			 cg, strerror(errno));
		unlink(tmp);
		close(lfd);
		return -1;
	}
	chmod(path, 0600);
	close(lfd);
	adm_info("sockops: moved from cgroup %s to %s", sl.sk->cgroup, cg);
	snprintf(sl.sk->cgroup, sizeof(sl.sk->cgroup), "%s", cg);
	return 0;
}

static void sl_status(struct admd *ad, json_t *out)
{
	(void)ad;
	json_object_set_new(out, "cgroup", json_string(sl.sk ? sl.sk->cgroup : ""));
	json_object_set_new(out, "recounts", json_integer((json_int_t)sl.passes));
	json_object_set_new(out, "reconcile_error", sl.reconcile_err ?
			    json_string(strerror(-sl.reconcile_err)) : json_null());
}

/* Undo what this start did to the host: the previous generation, or nothing. */
static void sl_abort(struct admd *ad)
{
	char path[PATH_MAX];
	int lfd;

	adm_pin_path(path, sizeof(path), ad->cfg->pin_root, ADM_SOCKOPS_LINK);
	if (sl.sk->created) {
		unlink(path);
		adm_info("sockops: detached from %s (start failed)", sl.sk->cgroup);
	} else if (sl.sk->prev_prog_fd >= 0 && (lfd = bpf_obj_get(path)) >= 0) {
		if (!bpf_link_update(lfd, sl.sk->prev_prog_fd, NULL))
			adm_info("sockops: previous program back in place (start failed)");
		close(lfd);
	}
}

static void sl_stop(struct admd *ad, int aborted)
{
	if (!sl.sk)
		return;
	if (aborted)
		sl_abort(ad);
	loop_del_timer(ad->loop, sl.tick);
	sk_stop(sl.sk);
	memset(&sl, 0, sizeof(sl));
}

const struct admd_module sk_module = {
	.name = "sockets",
	.start = sl_start,
	.reload_check = sl_reload_check,
	.reload_apply = sl_reload_apply,
	.status = sl_status,
	.stop = sl_stop,
};
