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
#include <pthread.h>
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
#include "clock.h"
#include "cidr.h"
#include "log.h"
#include "pins.h"
#include "sockets.h"
#include "srcfilter.h"
#include "util.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE		71
#endif
#define SK_MAX_PENDING_SRC	4096
#define SK_BATCH		4096	/* entries per batch lookup */
#define SK_SECOND_PASS_MS	100

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
	int src_filter_fd, src_filter_next_fd, src_summary_fd;
	struct adm_src_filter filter;	/* marked before an adm_src entry is made */
	__s64 pending[ADM_MAX_SERVICES];	/* drift seen in the last quiet pass */
	struct src_drift *src_pending;
	int n_src_pending;
	__s64 untracked_prev[ADM_MAX_SERVICES];	/* last quiet pass's figure, -1: none */
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
	sk->src_recount_fd = sk->meta_fd = sk->prev_prog_fd = sk->src_filter_fd = -1;
	sk->src_summary_fd = -1;
	sk->src_filter_next_fd = sk->filter.sync_fd = sk->filter.sync_inner_fd = -1;
	for (int i = 0; i < ADM_MAX_SERVICES; i++)
		sk->untracked_prev[i] = -1;
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
	sk->src_conc_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC, 0);
	sk->recount_fd = adm_map_open(cfg->pin_root, ADM_MAP_RECOUNT, 0);
	sk->src_recount_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC_RECOUNT, 0);
	sk->meta_fd = adm_map_open(cfg->pin_root, ADM_MAP_META, 0);
	sk->src_filter_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC_FILTER, 0);
	sk->src_filter_next_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC_FILTER_NEXT, 0);
	sk->src_summary_fd = adm_map_open(cfg->pin_root, ADM_MAP_SRC_SUMMARY, 0);
	if (sk->conc_fd < 0 || sk->src_conc_fd < 0 || sk->recount_fd < 0 ||
	    sk->src_recount_fd < 0 || sk->meta_fd < 0 || sk->src_filter_fd < 0 ||
	    sk->src_filter_next_fd < 0 || sk->src_summary_fd < 0) {
		snprintf(err, errlen, "cannot open the socket layer's pinned maps under %s",
			 cfg->pin_root);
		goto fail;
	}
	sk->conc = adm_conc_mmap(sk->conc_fd);
	if (!sk->conc)
		goto fail_errno;
	rc = adm_src_filter_open(&sk->filter, sk->src_filter_fd, sk->src_filter_next_fd,
				 sk->src_summary_fd);
	if (rc) {
		snprintf(err, errlen, "cannot map %s, %s and %s: %s", ADM_MAP_SRC_FILTER,
			 ADM_MAP_SRC_FILTER_NEXT, ADM_MAP_SRC_SUMMARY, strerror(-rc));
		goto fail;
	}
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
/* One source's counter against the recount; see reconcile_sources. */
static void consider_source(struct sk_layer *sk, const struct adm_fp_key *key,
			    __u64 live, __u64 truth, struct src_drift *now,
			    int *n, __u64 *fixed, const __u64 *done0)
{
	__s64 drift = (__s64)(truth - live);
	int i;

	if (!drift || *n == SK_MAX_PENDING_SRC || key->service >= ADM_MAX_SERVICES ||
	    raced(sk, key->service, done0))
		return;
	now[*n].key = *key;
	now[*n].drift = drift;
	for (i = 0; i < sk->n_src_pending; i++) {
		__s64 fix;

		if (memcmp(&sk->src_pending[i].key, key, sizeof(*key)))
			continue;
		fix = same_sign_min(sk->src_pending[i].drift, drift);
		if (fix) {
			struct adm_src src = {};

			/*
			 * adm_src is one entry per source: the write carries
			 * the SYN state read here, which the data plane may
			 * advance meanwhile (a TAT microseconds old, a few
			 * hits lost). A source with live sockets completed a
			 * handshake, so creating its entry is right.
			 */
			bpf_map_lookup_elem(sk->src_conc_fd, key, &src);
			src.live = (__u32)(live + fix);
			if (!src.verified_s)
				src.verified_s = (__u32)(adm_mono_ns() / 1000000000ULL);
			adm_src_filter_set(&sk->filter, key);
			bpf_map_update_elem(sk->src_conc_fd, key, &src, BPF_ANY);
			fixed[key->service] += fix > 0 ? fix : -fix;
			now[*n].drift = 0;
		}
		break;
	}
	if (now[*n].drift)
		(*n)++;
}

/*
 * Correct per-source counters whose drift repeated across two passes.
 * Both maps are read with batch lookups (SK_BATCH entries a syscall), so a
 * pass over a full adm_src costs milliseconds, not a syscall per
 * entry. Sources with a counter are checked against the tally; sources in
 * the tally without a counter (evicted, or never counted) after that.
 */
static void reconcile_sources(struct sk_layer *sk, __u64 *fixed,
			      const __u64 *done0)
{
	struct src_drift *now = calloc(SK_MAX_PENDING_SRC, sizeof(*now));
	struct adm_fp_key *keys = calloc(SK_BATCH, sizeof(*keys));
	__u64 *vals = calloc(SK_BATCH, sizeof(*vals));
	struct adm_src *srcs = calloc(SK_BATCH, sizeof(*srcs));
	int n = 0, pass, fd;
	__u32 count, i, tok;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (!now || !keys || !vals || !srcs)
		goto out;
	for (pass = 0; pass < 2; pass++) {
		fd = pass ? sk->src_recount_fd : sk->src_conc_fd;
		for (int first = 1, rc = 0; !rc; first = 0) {
			count = SK_BATCH;
			/* adm_src values are struct adm_src, the tally's counts. */
			rc = bpf_map_lookup_batch(fd, first ? NULL : &tok, &tok, keys,
						  pass ? (void *)vals : (void *)srcs, &count, &opts);
			if (rc && errno != ENOENT)
				break;
			for (i = 0; i < count; i++) {
				struct adm_src src = {};
				__u64 other = 0;

				if (!pass) {	/* srcs: counters */
					if (!srcs[i].live)
						continue;	/* stale entry: the tally has none either, or pass 2 sees it */
					bpf_map_lookup_elem(sk->src_recount_fd, &keys[i], &other);
					consider_source(sk, &keys[i], srcs[i].live, other, now, &n,
							fixed, done0);
				} else {	/* vals: tallies */
					if (!bpf_map_lookup_elem(sk->src_conc_fd, &keys[i], &src) && src.live)
						continue;	/* seen in the first pass */
					consider_source(sk, &keys[i], src.live, vals[i], now, &n,
							fixed, done0);
				}
			}
		}
	}
	memcpy(sk->src_pending, now, sizeof(*now) * n);
	sk->n_src_pending = n;
out:
	free(now);
	free(keys);
	free(vals);
	free(srcs);
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
		__s64 drift, fix, slack;
		int svc_quiet, stable;
		__u64 changes;

		if (bpf_map_lookup_elem(sk->meta_fd, &id, &meta) || !meta.name[0])
			continue;
		if (bpf_map_lookup_elem(sk->recount_fd, &id, &rc))
			continue;
		after = __atomic_load_n(&sk->conc[id].live, __ATOMIC_ACQUIRE);
		meta.reaped_idle += rc.reaped_idle;
		meta.reaped_lifetime += rc.reaped_lifetime;
		meta.reconcile_ns = adm_mono_ns();
		if (rc.reaped_idle || rc.reaped_lifetime)
			adm_info("reaped %llu idle and %llu over-lifetime connections of %s",
				 (unsigned long long)rc.reaped_idle,
				 (unsigned long long)rc.reaped_lifetime, meta.name);
		/*
		 * The tally can be off from the counter by at most the takes
		 * and releases that overlapped the pass (begun now - done at
		 * the start): a drift beyond that is real even on a busy
		 * service, and is corrected by the excess when two passes in a
		 * row agree on its sign. A pass that raced nothing compares
		 * exactly. Live connections the socket layer never saw (they
		 * predate it) are in `live` too, as meta.untracked, so
		 * conn_limit holds from the first pass.
		 */
		changes = __atomic_load_n(&sk->sockops->bss->adm_chg_begun[id],
					  __ATOMIC_ACQUIRE) - done0[id];
		if (changes || before[id] != after || rc.reaped_idle || rc.reaped_lifetime)
			quiet = 0;
		drift = (__s64)(rc.tracked + meta.untracked - after);
		slack = (__s64)changes + (rc.reaped_idle || rc.reaped_lifetime ?
					   (__s64)(rc.reaped_idle + rc.reaped_lifetime) : 0);
		if (drift > slack) {
			drift -= slack;
		} else if (drift < -slack) {
			drift += slack;
		} else if (slack) {
			/* This pass cannot tell: keep what the last one saw. */
			goto untracked;
		}
		fix = same_sign_min(sk->pending[id], drift);
		if (fix) {
			__atomic_fetch_add(&sk->conc[id].live, (__u64)fix, __ATOMIC_ACQ_REL);
			meta.corrections += fix > 0 ? fix : -fix;
			adm_warn("reconcile: %s live counter corrected by %+lld to the socket table's %llu%s",
				 meta.name, (long long)fix,
				 (unsigned long long)(rc.tracked + meta.untracked),
				 changes ? " (during churn)" : "");
			drift = 0;
		}
		sk->pending[id] = drift;
untracked:
		/*
		 * Sockets in transition (established before sockops ran,
		 * released before their state changed) look untracked for a
		 * moment: only a figure two quiet passes agree on moves `live`.
		 */
		svc_quiet = !changes && before[id] == after && !rc.reaped_idle &&
			    !rc.reaped_lifetime;
		stable = svc_quiet && sk->untracked_prev[id] == (__s64)rc.untracked;
		sk->untracked_prev[id] = svc_quiet ? (__s64)rc.untracked : -1;
		if (stable && rc.untracked != meta.untracked) {
			__s64 d = (__s64)(rc.untracked - meta.untracked);

			__atomic_fetch_add(&sk->conc[id].live, (__u64)d, __ATOMIC_ACQ_REL);
			if (d > 0)
				adm_info("reconcile: %s has %llu live connections the socket layer did not see open; counted",
					 meta.name, (unsigned long long)rc.untracked);
			meta.untracked = rc.untracked;
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

int sk_filter_rebuild(struct sk_layer *sk, struct adm_src_filter_pass *p)
{
	return adm_src_filter_rebuild(&sk->filter, sk->src_conc_fd, p, NULL, NULL);
}

__u64 sk_filter_bits(struct sk_layer *sk)
{
	return adm_src_bits_count(sk->filter.live, ADM_SRC_FILTER_WORDS);
}

__u64 sk_summary_bits(struct sk_layer *sk)
{
	return adm_src_bits_count(sk->filter.sum, ADM_SRC_SUMMARY_WORDS);
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
	adm_src_filter_close(&sk->filter);
	if (sk->src_filter_fd >= 0)
		close(sk->src_filter_fd);
	if (sk->src_summary_fd >= 0)
		close(sk->src_summary_fd);
	if (sk->src_filter_next_fd >= 0)
		close(sk->src_filter_next_fd);
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

/*
 * The recount walks the socket table and, in a quiet pass, every per-source
 * counter: on full maps that is long enough to stall the loop, so it runs
 * in a thread of its own. The thread touches only the BPF maps and
 * sk_reconcile's own state; what the loop reads of it is under `lock`.
 */
static struct {
	struct sk_layer *sk;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	__u64 period_ms;
	__u64 filter_period_ns;		/* [adm] src_filter_rebuild_s */
	char pin_root[PATH_MAX];
	int reconcile_err;		/* last sk_reconcile result */
	__u64 passes;
	__u64 last_pass_ns;		/* how long the last pass took */
	int filter_err;			/* last sk_filter_rebuild result */
	__u64 filter_rebuilds;
	__u64 filter_at_ns;		/* when the last rebuild ended */
	struct adm_src_filter_pass filter;	/* what it did */
} sl = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *sl_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sl.lock);
	while (!sl.stop) {
		struct timespec until;
		__u64 t0, wait_ms;
		int rc;

		pthread_mutex_unlock(&sl.lock);
		t0 = adm_mono_ns();
		rc = sk_reconcile(sl.sk);
		if (rc)
			adm_warn("socket table recount failed: %s", strerror(-rc));
		adm_cidr_sweep(sl.pin_root);
		pthread_mutex_lock(&sl.lock);
		sl.reconcile_err = rc;
		sl.passes++;
		sl.last_pass_ns = adm_mono_ns() - t0;
		/* In this thread: the recount's adm_src writes never overlap a rebuild. */
		if (!sl.filter_rebuilds ||
		    adm_mono_ns() - sl.filter_at_ns >= sl.filter_period_ns) {
			struct adm_src_filter_pass fp;

			pthread_mutex_unlock(&sl.lock);
			rc = sk_filter_rebuild(sl.sk, &fp);
			if (rc)
				adm_warn("%s rebuild failed (it keeps its bits): %s",
					 ADM_MAP_SRC_FILTER, strerror(-rc));
			pthread_mutex_lock(&sl.lock);
			sl.filter_err = rc;
			sl.filter_rebuilds++;
			sl.filter_at_ns = adm_mono_ns();
			if (!rc)
				sl.filter = fp;
		}
		/* The second pass soon after the first: two agree before live moves. */
		wait_ms = sl.passes == 1 && sl.period_ms > SK_SECOND_PASS_MS ?
			  SK_SECOND_PASS_MS : sl.period_ms;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (wait_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!sl.stop &&
		       pthread_cond_timedwait(&sl.cond, &sl.lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sl.lock);
	return NULL;
}

static int sl_start(struct admd *ad, char *err, size_t errlen)
{
	sl.sk = sk_start(ad->cfg, err, errlen);
	if (!sl.sk)
		return -1;
	sl.period_ms = ad->cfg->reconcile_ms;
	sl.filter_period_ns = ad->cfg->src_filter_rebuild_s * 1000000000ULL;
	snprintf(sl.pin_root, sizeof(sl.pin_root), "%s", ad->cfg->pin_root);
	/* The first recount at once: connections that predate admd are seen now. */
	if (pthread_create(&sl.thread, NULL, sl_main, NULL)) {
		snprintf(err, errlen, "socket layer: cannot start the recount thread");
		return -1;
	}
	sl.started = 1;
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
	char cg[PATH_MAX], path[PATH_MAX];
	int prog_fd = bpf_program__fd(sl.sk->sockops->progs.adm_sockops);
	int cg_fd, lfd;

	pthread_mutex_lock(&sl.lock);
	sl.period_ms = next->reconcile_ms;
	sl.filter_period_ns = next->src_filter_rebuild_s * 1000000000ULL;
	pthread_mutex_unlock(&sl.lock);
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
	/*
	 * The new link is attached before the old pin goes: no gap. A socket
	 * both cgroups see is still counted once (its storage says so).
	 * bpffs refuses rename, so the old pin is removed, then the new one
	 * pinned; if that fails the fd still holds the link, and the old
	 * program is attached again.
	 */
	adm_pin_path(path, sizeof(path), ad->cfg->pin_root, ADM_SOCKOPS_LINK);
	unlink(path);
	if (bpf_obj_pin(lfd, path)) {
		snprintf(err, errlen, "[adm] cgroup = %s: cannot pin the sockops link: %s",
			 cg, strerror(errno));
		close(lfd);
		return -1;
	}
	chmod(path, 0600);
	close(lfd);
	adm_info("sockops: moved from cgroup %s to %s", sl.sk->cgroup, cg);
	pthread_mutex_lock(&sl.lock);
	snprintf(sl.sk->cgroup, sizeof(sl.sk->cgroup), "%s", cg);
	pthread_mutex_unlock(&sl.lock);
	return 0;
}

static void sl_status(struct admd *ad, json_t *out)
{
	(void)ad;
	pthread_mutex_lock(&sl.lock);
	json_object_set_new(out, "cgroup", json_string(sl.sk ? sl.sk->cgroup : ""));
	json_object_set_new(out, "recounts", json_integer((json_int_t)sl.passes));
	json_object_set_new(out, "last_recount_ms", json_real((double)sl.last_pass_ns / 1e6));
	json_object_set_new(out, "reconcile_error", sl.reconcile_err ?
			    json_string(strerror(-sl.reconcile_err)) : json_null());
	json_object_set_new(out, "src_filter", json_pack(
		"{s:I, s:f, s:I, s:I, s:I, s:f, s:o}",
		"rebuilds", (json_int_t)sl.filter_rebuilds,
		"last_rebuild_ms", (double)sl.filter.ns / 1e6,
		"keys", (json_int_t)sl.filter.keys,
		"bits_before", (json_int_t)sl.filter.bits_before,
		"bits_after", (json_int_t)sl.filter.bits_after,
		"age_s", sl.filter_rebuilds ?
			 (double)(adm_mono_ns() - sl.filter_at_ns) / 1e9 : -1.0,
		"error", sl.filter_err ? json_string(strerror(-sl.filter_err)) : json_null()));
	pthread_mutex_unlock(&sl.lock);
}

static void sl_metrics(struct admd *ad, struct adm_buf *b)
{
	struct adm_src_filter_pass fp;
	__u64 ns, bits, sbits, rebuilds;

	(void)ad;
	pthread_mutex_lock(&sl.lock);
	ns = sl.last_pass_ns;
	pthread_mutex_unlock(&sl.lock);
	adm_buf_family(b, "adm_recount_seconds", "gauge",
		       "How long the last socket table recount took (its own thread).");
	adm_buf_printf(b, "adm_recount_seconds %.6f\n", (double)ns / 1e9);
	if (!sl.sk)
		return;
	bits = sk_filter_bits(sl.sk);
	sbits = sk_summary_bits(sl.sk);
	pthread_mutex_lock(&sl.lock);
	fp = sl.filter;
	rebuilds = sl.filter_rebuilds;
	pthread_mutex_unlock(&sl.lock);
	adm_buf_family(b, "adm_src_filter_bits_set", "gauge",
		       "Bits set in adm_src_filter (of adm_src_filter_bits).");
	adm_buf_printf(b, "adm_src_filter_bits_set %llu\n", (unsigned long long)bits);
	adm_buf_family(b, "adm_src_filter_bits", "gauge", "Bits in adm_src_filter.");
	adm_buf_printf(b, "adm_src_filter_bits %llu\n", (unsigned long long)ADM_SRC_FILTER_BITS);
	adm_buf_family(b, "adm_src_filter_fill_ratio", "gauge",
		       "Share of bits set: the chance that a never-verified source's SYN "
		       "still looks up adm_src (the filter's false-positive rate).");
	adm_buf_printf(b, "adm_src_filter_fill_ratio %.6f\n",
		       (double)bits / (double)ADM_SRC_FILTER_BITS);
	adm_buf_family(b, "adm_src_summary_fill_ratio", "gauge",
		       "Share of adm_src_summary bits set: the chance that a never-verified "
		       "source's SYN reads adm_src_filter (a cache miss under a flood).");
	adm_buf_printf(b, "adm_src_summary_fill_ratio %.6f\n",
		       (double)sbits / (double)ADM_SRC_SUMMARY_BITS);
	adm_buf_family(b, "adm_src_filter_rebuilds_total", "counter",
		       "Rebuilds of adm_src_filter from the adm_src keys (failed ones included).");
	adm_buf_printf(b, "adm_src_filter_rebuilds_total %llu\n", (unsigned long long)rebuilds);
	adm_buf_family(b, "adm_src_filter_rebuild_seconds", "gauge",
		       "How long the last successful rebuild took.");
	adm_buf_printf(b, "adm_src_filter_rebuild_seconds %.6f\n", (double)fp.ns / 1e9);
	adm_buf_family(b, "adm_src_filter_rebuild_keys", "gauge",
		       "adm_src keys the last successful rebuild read.");
	adm_buf_printf(b, "adm_src_filter_rebuild_keys %llu\n", (unsigned long long)fp.keys);
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
	if (sl.started) {
		pthread_mutex_lock(&sl.lock);
		sl.stop = 1;
		pthread_cond_signal(&sl.cond);
		pthread_mutex_unlock(&sl.lock);
		pthread_join(sl.thread, NULL);
		sl.started = 0;
	}
	if (aborted)
		sl_abort(ad);
	sk_stop(sl.sk);
	sl.sk = NULL;
	sl.stop = 0;
}

const struct admd_module sk_module = {
	.name = "sockets",
	.start = sl_start,
	.reload_check = sl_reload_check,
	.reload_apply = sl_reload_apply,
	.status = sl_status,
	.metrics = sl_metrics,
	.stop = sl_stop,
};
