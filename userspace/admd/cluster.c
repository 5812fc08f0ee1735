// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd module "cluster" (prefix rs_): cluster-wide limits through Redis,
 * with Redis never on the packet path. A thread of its own talks to Redis
 * with hiredis' blocking API and bounded timeouts (connect, every call:
 * [redis] timeout_ms), so a slow or dead Redis never stalls admd's loop.
 * Every sync_interval_ms it runs one round (one EVALSHA, rs_proto.c): it
 * publishes this node's live connections and demand per service, adds the
 * per-source SYN deltas, and gets back its reservation of each global
 * conn_limit (share.h), the sources over their cluster-wide rate and the
 * operator actions stored since its last round. It writes the limits into
 * adm_conc and the blocks into adm_global_block itself (map writes are
 * thread-safe); operator actions go to the main thread through an eventfd
 * and a locked mailbox, where they are applied and audited.
 *
 * Redis down: every service falls back to its on_store_failure mode
 * (share.h) and the thread reconnects with exponential backoff and full
 * jitter, re-resolving the master through Sentinel each time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <hiredis/hiredis.h>
#include "admd.h"
#include "cidr.h"
#include "clock.h"
#include "cluster.h"
#include "control.h"
#include "log.h"
#include "pins.h"
#include "rs_proto.h"
#include "share.h"
#include "srchits.h"
#include "util.h"

#define RS_NS_PER_MS		1000000ULL
#define RS_BACKOFF_BASE_MS	100
#define RS_BACKOFF_CAP_MS	5000
#define RS_OPQ_MAX		64	/* actions waiting to be stored */
#define RS_PULL_GAP_MS		20	/* announced actions: at most one extra round per */
#define RS_ERR_MAX		256
#define RS_PASSWORD_MAX		512
#define RS_SHA_MAX		48
#define RS_ENDPOINT_MAX		(ADM_RS_HOST_MAX + 16)
#define RS_STR(x)		#x
#define RS_XSTR(x)		RS_STR(x)

/* One service as the thread sees it (copied from the config under mu). */
struct rs_svc {
	char name[ADM_SVC_NAME_MAX];
	__u32 id;
	__u64 conn_limit;		/* cluster-wide, 0 = none */
	int auto_limit;			/* conn_limit = auto: breaker writes adm_conc (rs_node_cap) */
	__u64 rate, window_ms;		/* cluster_conn_rate */
	__u8 on_fail;			/* enum adm_store_failure (resolved) */
	/* thread-owned state */
	__u64 prev_demand_ctr;		/* admitted + conc_global SYNs, cumulative */
	__u64 prev_refused_ctr;		/* conc_global SYNs, cumulative */
	int have_prev;
	/* shared with the main thread (under mu) */
	unsigned int mode;		/* enum share_mode */
	__u64 mode_since_ns;		/* CLOCK_MONOTONIC */
	__u64 reserved;
	int have_reserved;
	__u64 enforced;			/* what adm_conc.limit holds */
	__u64 cluster_live;
	__u64 demand;
	__u64 refused;			/* of the demand, refused by the gate */
};

/* The module's state: one per admd. */
struct rs {
	struct admd *ad;
	pthread_t th;
	int th_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;			/* under mu */
	int efd;			/* eventfd: the thread wakes the loop */
	int wfd;			/* eventfd: the loop wakes the thread (with cv) */

	/*
	 * [redis]: rc is the thread's (it reads it freely; it is written only
	 * by the thread, or before it starts, under mu); a reload leaves the
	 * new one in rc_next for the thread to take at its next wakeup.
	 */
	struct adm_redis_config rc, rc_next;
	int rc_pending;
	int n_svcs;
	struct rs_svc svcs[ADM_MAX_SERVICES];
	__u64 cfg_gen;

	/* maps */
	char pin_root[PATH_MAX];
	struct adm_conc *conc;
	struct adm_global *global;
	int conc_fd, global_fd, stats_fd, hits_fd, rate_fd, gblock_fd, state_fd, pend_fd;
	int ncpus;
	struct adm_stat *percpu;

	/* thread-owned */
	redisContext *c;
	redisContext *sc;		/* the Sentinel that answered last */
	redisContext *sub;		/* SUBSCRIBEd to the actions' channel */
	__u64 sub_retry_ns;		/* next SUBSCRIBE attempt after a failure */
	int pull;			/* an action was announced: pull it now */
	__u64 round_t0;			/* when the last round started */
	unsigned int sc_i;		/* its index in rc.sentinels */
	char sha[RS_SHA_MAX];
	char endpoint[RS_ENDPOINT_MAX];	/* where we are connected */
	char moved[RS_ENDPOINT_MAX];	/* a MOVED/ASK target to try next */
	unsigned int failures;		/* in a row; 0 after a good round */
	int redirect;			/* the last failure was a failover or MOVED */
	int reconnect;			/* under mu: [redis] changed, connect anew */
	__u64 next_try_ns;
	char last_op[RS_OP_ID_MAX];
	__u64 last_blk;
	struct adm_src_hits hits;
	int hits_ok;
	int hits_primed;		/* hits holds counts read by a previous round */
	struct adm_src_delta *deltas;
	size_t n_deltas, cap_deltas;
	struct rs_src_delta *sdeltas;
	size_t cap_sdeltas;
	struct rs_args args;

	/* status (under mu) */
	int connected;
	int subscribed;			/* rs->sub is up */
	char status_endpoint[RS_ENDPOINT_MAX];
	char last_err[RS_ERR_MAX];
	__u64 last_err_ns, last_ok_ns, down_since_ns;
	__u64 rounds, round_failures, reconnects;
	__u64 round_ns_last, round_ns_max;
	__u64 live_nodes;
	__u64 blocks_applied, actions_applied, actions_stored, actions_failed;
	__u64 sources_sent;
	__u64 asked;			/* rounds run on an ASK target */

	/* mailboxes (under mu) */
	char *opq[RS_OPQ_MAX];		/* actions to store (JSON) */
	int n_opq;
	struct rs_op *inbox;		/* actions to apply on the main thread */
	size_t n_inbox, cap_inbox;
};

static struct rs *rs_g;

static __u64 rs_mono_ns(void)
{
	return adm_mono_ns();
}

static __u64 rs_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / RS_NS_PER_MS;
}

/* ------------------------------------------------------------ config */

/* The thread's view of cfg. Caller holds mu (or the thread is not running yet). */
static void rs_take_config(struct rs *rs, const struct adm_config *cfg)
{
	int i;

	if (rs->th_started) {
		rs->rc_next = cfg->redis;
		rs->rc_pending = 1;
	} else {
		rs->rc = cfg->redis;
	}
	for (i = 0; i < cfg->n_svcs; i++) {
		const struct adm_svc_config *sc = &cfg->svcs[i];
		struct rs_svc *s = &rs->svcs[i];

		if (strcmp(s->name, sc->name) || s->id != sc->id) {
			memset(s, 0, sizeof(*s));
			s->mode = SHARE_SYNCED;
			s->mode_since_ns = rs_mono_ns();
		}
		snprintf(s->name, sizeof(s->name), "%s", sc->name);
		s->id = sc->id;
		s->auto_limit = sc->brk.conn_limit_auto;
		s->conn_limit = s->auto_limit ? sc->cluster_conn_limit : sc->conn_limit;
		s->rate = sc->cluster_conn_rate.count;
		s->window_ms = sc->cluster_conn_rate.period_ns / RS_NS_PER_MS;
		s->on_fail = sc->on_store_failure ? sc->on_store_failure :
						    cfg->redis.on_store_failure;
	}
	rs->n_svcs = cfg->n_svcs;
	rs->cfg_gen++;
}

/* ------------------------------------------------------------ maps */

static void rs_close_maps(struct rs *rs)
{
	if (rs->conc)
		adm_conc_munmap(rs->conc);
	if (rs->global)
		munmap(rs->global, (size_t)sysconf(_SC_PAGESIZE));
	rs->conc = NULL;
	rs->global = NULL;
	if (rs->conc_fd >= 0)
		close(rs->conc_fd);
	if (rs->global_fd >= 0)
		close(rs->global_fd);
	if (rs->stats_fd >= 0)
		close(rs->stats_fd);
	if (rs->hits_fd >= 0)
		close(rs->hits_fd);
	if (rs->rate_fd >= 0)
		close(rs->rate_fd);
	if (rs->gblock_fd >= 0)
		close(rs->gblock_fd);
	if (rs->state_fd >= 0)
		close(rs->state_fd);
	if (rs->pend_fd >= 0)
		close(rs->pend_fd);
	rs->conc_fd = rs->global_fd = rs->stats_fd = rs->hits_fd = rs->rate_fd = -1;
	rs->gblock_fd = rs->state_fd = rs->pend_fd = -1;
	free(rs->percpu);
	rs->percpu = NULL;
}

static int rs_open_maps(struct rs *rs, char *err, size_t errlen)
{
	static const char *const names[] = {
		ADM_MAP_CONC, ADM_MAP_GLOBAL, ADM_MAP_STATS, ADM_MAP_SRC,
		ADM_MAP_RATE, ADM_MAP_GLOBAL_BLOCK, ADM_MAP_STATE, ADM_MAP_PENDING,
	};
	int *fds[] = { &rs->conc_fd, &rs->global_fd, &rs->stats_fd, &rs->hits_fd,
		       &rs->rate_fd, &rs->gblock_fd, &rs->state_fd, &rs->pend_fd };
	size_t i;
	void *p;

	for (i = 0; i < ADM_ARRAY_SIZE(names); i++) {
		*fds[i] = adm_map_open(rs->pin_root, names[i], 0);
		if (*fds[i] < 0) {
			snprintf(err, errlen, "[redis]: cannot open the pinned map %s under %s: %s; "
				 "is this build's data plane loaded?", names[i], rs->pin_root,
				 strerror(-*fds[i]));
			goto fail;
		}
	}
	rs->conc = adm_conc_mmap(rs->conc_fd);
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		 MAP_SHARED, rs->global_fd, 0);
	rs->global = p == MAP_FAILED ? NULL : p;
	rs->ncpus = libbpf_num_possible_cpus();
	rs->percpu = rs->ncpus > 0 ? calloc(rs->ncpus, sizeof(*rs->percpu)) : NULL;
	if (!rs->conc || !rs->global || !rs->percpu) {
		snprintf(err, errlen, "[redis]: cannot map adm_conc/adm_global: %s",
			 strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	return 0;
fail:
	rs_close_maps(rs);
	return -1;
}

/* Packets counted for (service, verdict, reason), summed over CPUs. */
static __u64 rs_stat(struct rs *rs, __u32 id, __u32 verdict, __u32 reason)
{
	__u32 idx = adm_stat_index(id, verdict, reason);
	__u64 sum = 0;
	int i;

	if (bpf_map_lookup_elem(rs->stats_fd, &idx, rs->percpu))
		return 0;
	for (i = 0; i < rs->ncpus; i++)
		sum += rs->percpu[i].packets;
	return sum;
}

/* SYNs the concurrency gate refused, whatever the verdict. */
static __u64 rs_refused_ctr(struct rs *rs, __u32 id)
{
	__u64 n = 0;
	__u32 v;

	for (v = 0; v < ADM_V__MAX; v++)
		n += rs_stat(rs, id, v, ADM_R_CONC_GLOBAL);
	return n;
}

/* Counters are cumulative: what they grew by since the last reading (0 on a reset). */
static __u64 rs_delta(__u64 ctr, __u64 *prev, int have_prev)
{
	__u64 d = have_prev && ctr >= *prev ? ctr - *prev : 0;

	*prev = ctr;
	return d;
}

/*
 * Handshakes of a service the data plane admitted and sockops has not seen
 * established (adm_pending, counted at the gate with live). The epoch is
 * CLOCK_MONOTONIC's, as the data plane's coarse clock.
 */
static __u64 rs_pending(struct rs *rs, __u32 id)
{
	struct adm_pending p;

	if (bpf_map_lookup_elem(rs->pend_fd, &id, &p))
		return 0;
	return adm_pending_count(&p, adm_pending_epoch(adm_mono_ns()));
}

/* What a service's gate counts: established connections and pending handshakes. */
static __u64 rs_live(struct rs *rs, const struct rs_svc *s)
{
	return __atomic_load_n(&rs->conc[s->id].live, __ATOMIC_RELAXED) +
	       (s->conn_limit ? rs_pending(rs, s->id) : 0);
}

/* adm_conc.limit of a service: 0 means "unlimited" there, so a zero share refuses all. */
static void rs_enforce(struct rs *rs, struct rs_svc *s, __u64 limit)
{
	if (s->conn_limit && !limit)
		limit = ADM_CONC_REFUSE_ALL;
	if (!s->conn_limit && s->mode != SHARE_CLOSED)
		return;		/* nothing cluster-wide: the policy's limit stands */
	s->enforced = limit;
	if (!s->auto_limit)	/* auto: the breaker module writes it, capped (rs_node_cap) */
		__atomic_store_n(&rs->conc[s->id].limit, limit, __ATOMIC_RELAXED);
}

/*
 * Whether the cluster's share is what this node's gate enforces (under
 * mu): with conn_limit = auto the breaker may enforce a lower adaptive
 * limit, and refusals at that limit are no need for more of the cluster.
 */
static int rs_share_binds(const struct rs *rs, const struct rs_svc *s)
{
	return !s->auto_limit ||
	       __atomic_load_n(&rs->conc[s->id].limit, __ATOMIC_RELAXED) >= s->enforced;
}

int rs_node_cap(__u32 id, __u64 *cap)
{
	struct rs *rs = rs_g;
	int k, found = 0;

	if (!rs)
		return 0;
	pthread_mutex_lock(&rs->mu);
	for (k = 0; k < rs->n_svcs; k++) {
		const struct rs_svc *s = &rs->svcs[k];

		if (s->id == id && (s->conn_limit || s->mode == SHARE_CLOSED)) {
			*cap = s->enforced;
			found = 1;
		}
	}
	pthread_mutex_unlock(&rs->mu);
	return found;
}

/* The "may be non-empty" bit of adm_global_block, before any insert. */
static void rs_gblock_mark(struct rs *rs)
{
	__u64 *w = &rs->global->gblock_word;
	__u64 old = __atomic_load_n(w, __ATOMIC_ACQUIRE), next;

	if (old & ADM_CIDR_MAYBE)
		return;
	do {
		next = (old + ADM_CIDR_ADD) | ADM_CIDR_MAYBE;
	} while (!__atomic_compare_exchange_n(w, &old, next, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
}

/* ------------------------------------------------------------ Redis */

static void rs_set_err(struct rs *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void rs_set_err(struct rs *rs, const char *fmt, ...)
{
	char msg[RS_ERR_MAX];
	va_list ap;
	int again;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&rs->mu);
	again = !strcmp(msg, rs->last_err);
	snprintf(rs->last_err, sizeof(rs->last_err), "%s", msg);
	rs->last_err_ns = rs_mono_ns();
	pthread_mutex_unlock(&rs->mu);
	if (!again)
		adm_warn("cluster: %s", msg);
}

static void rs_sub_close(struct rs *rs);

static void rs_disconnect(struct rs *rs)
{
	if (rs->c)
		redisFree(rs->c);
	rs->c = NULL;
	rs->sha[0] = '\0';
	rs_sub_close(rs);
}

static struct timeval rs_tv(__u32 ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

static redisContext *rs_dial(struct rs *rs, const char *host, int port,
			     const char *sock)
{
	struct timeval tv = rs_tv(rs->rc.timeout_ms);
	redisContext *c;

	c = sock ? redisConnectUnixWithTimeout(sock, tv) :
		   redisConnectWithTimeout(host, port, tv);
	if (!c) {
		rs_set_err(rs, "cannot allocate a Redis context");
		return NULL;
	}
	if (c->err) {
		rs_set_err(rs, "cannot connect to %s%s%s%.0d: %s", sock ? "unix:" : "",
			   sock ? sock : host, sock ? "" : ":", sock ? 0 : port, c->errstr);
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

/* A command with a reply that is not an error; NULL (and err set) otherwise. */
static redisReply *rs_cmd(struct rs *rs, redisContext *c, const char *what,
			  int argc, const char **argv, const size_t *lens)
{
	redisReply *r = redisCommandArgv(c, argc, argv, lens);

	if (!r) {
		rs_set_err(rs, "%s: %s", what, c->errstr[0] ? c->errstr : "no reply");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		rs_set_err(rs, "%s: Redis answered: %.*s", what,
			   (int)(r->len > 160 ? 160 : r->len), r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/*
 * The master's address from the Sentinels: the one that answered last
 * time (kept connected), then the others in order. 0 or -1 (error set).
 */
static int rs_sentinel_master(struct rs *rs, char *host, size_t hlen, int *port)
{
	const char *argv[] = { "SENTINEL", "get-master-addr-by-name", rs->rc.master_name };
	int i, tries;

	for (tries = 0; tries <= rs->rc.n_sentinels; tries++) {
		redisReply *r;

		if (!rs->sc) {
			i = rs->sc_i % rs->rc.n_sentinels;
			rs->sc = rs_dial(rs, rs->rc.sentinels[i], rs->rc.sentinel_ports[i], NULL);
			if (!rs->sc) {
				rs->sc_i++;
				continue;
			}
		}
		i = rs->sc_i % rs->rc.n_sentinels;
		r = rs_cmd(rs, rs->sc, "SENTINEL get-master-addr-by-name", 3, argv, NULL);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    r->element[1]->type == REDIS_REPLY_STRING && r->element[0]->len < hlen) {
			snprintf(host, hlen, "%s", r->element[0]->str);
			*port = atoi(r->element[1]->str);
			freeReplyObject(r);
			return 0;
		}
		if (r)
			rs_set_err(rs, "Sentinel %s:%u does not know master '%s' (answered %s)",
				   rs->rc.sentinels[i], rs->rc.sentinel_ports[i],
				   rs->rc.master_name, rs_reply_type(r->type));
		freeReplyObject(r);
		redisFree(rs->sc);
		rs->sc = NULL;
		rs->sc_i++;
	}
	return -1;
}

/*
 * Sentinel mode, every round: do the Sentinels still name the master we
 * talk to? A failover is followed within one interval (the old master
 * keeps accepting writes until the Sentinels demote it, which can take
 * seconds). 0: yes, or no Sentinel answered (keep syncing); -1: moved.
 */
static int rs_sentinel_check(struct rs *rs)
{
	char host[ADM_RS_HOST_MAX], ep[RS_ENDPOINT_MAX];
	int port;

	if (!rs->rc.n_sentinels || rs_sentinel_master(rs, host, sizeof(host), &port))
		return 0;
	snprintf(ep, sizeof(ep), "%s:%d", host, port);
	if (!strcmp(ep, rs->endpoint))
		return 0;
	rs_set_err(rs, "the Sentinels name %s as master '%s' now (failover): moving from %s",
		   ep, rs->rc.master_name, rs->endpoint);
	rs->redirect = 1;
	return -1;
}

/*
 * The password from password_file: it must be a regular file owned by
 * root and unreadable by group and others. 0, or -1 with the error set.
 */
static int rs_password(struct rs *rs, char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(rs->rc.password_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rs_set_err(rs, "[redis] password_file %s: cannot open: %s",
			   rs->rc.password_file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077)) {
		rs_set_err(rs, "[redis] password_file %s: must be a regular file owned by "
			   "root with mode 0600 or 0400 (chown root; chmod 600)",
			   rs->rc.password_file);
		close(fd);
		return -1;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		rs_set_err(rs, "[redis] password_file %s: empty or unreadable",
			   rs->rc.password_file);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* AUTH on c when [redis] has a password_file. 0, or -1 (error set). */
static int rs_auth(struct rs *rs, redisContext *c, const char *what)
{
	char pw[RS_PASSWORD_MAX];
	const char *argv[3];
	redisReply *r;

	if (!rs->rc.password_file[0])
		return 0;
	if (rs_password(rs, pw, sizeof(pw)))
		return -1;
	argv[0] = "AUTH";
	argv[1] = rs->rc.user[0] ? rs->rc.user : pw;
	argv[2] = pw;
	r = rs_cmd(rs, c, what, rs->rc.user[0] ? 3 : 2, argv, NULL);
	memset(pw, 0, sizeof(pw));
	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

/* "host:port" -> a connection (timeouts set), or NULL (error set). */
static redisContext *rs_dial_endpoint(struct rs *rs, const char *ep)
{
	char host[ADM_RS_HOST_MAX];
	const char *colon = strrchr(ep, ':');

	if (!colon || colon == ep || (size_t)(colon - ep) >= sizeof(host)) {
		rs_set_err(rs, "cannot parse the endpoint '%s' (host:port)", ep);
		return NULL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - ep), ep);
	return rs_dial(rs, host, atoi(colon + 1), NULL);
}

/* Connect (Sentinel: resolve, then confirm with ROLE), AUTH, load the script. 0 or -1. */
static int rs_connect(struct rs *rs)
{
	char host[ADM_RS_HOST_MAX];
	const char *argv[3];
	redisReply *r;
	int port = 0;

	rs_disconnect(rs);
	if (rs->moved[0]) {
		char *colon = strrchr(rs->moved, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - rs->moved), rs->moved);
		port = atoi(colon + 1);
		rs->moved[0] = '\0';
		rs->c = rs_dial(rs, host, port, NULL);
	} else if (rs->rc.socket[0]) {
		rs->c = rs_dial(rs, NULL, 0, rs->rc.socket);
		snprintf(rs->endpoint, sizeof(rs->endpoint), "unix:%s", rs->rc.socket);
	} else if (rs->rc.n_sentinels) {
		if (rs_sentinel_master(rs, host, sizeof(host), &port))
			return -1;
		rs->c = rs_dial(rs, host, port, NULL);
	} else {
		snprintf(host, sizeof(host), "%s", rs->rc.host);
		port = rs->rc.port;
		rs->c = rs_dial(rs, host, port, NULL);
	}
	if (!rs->c)
		return -1;
	if (port)
		snprintf(rs->endpoint, sizeof(rs->endpoint), "%s:%d", host, port);

	if (rs_auth(rs, rs->c, "AUTH"))
		goto fail;
	if (rs->rc.n_sentinels) {
		argv[0] = "ROLE";
		r = rs_cmd(rs, rs->c, "ROLE", 1, argv, NULL);
		if (!r)
			goto fail;
		if (r->type != REDIS_REPLY_ARRAY || !r->elements ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    strcmp(r->element[0]->str, "master")) {
			rs_set_err(rs, "%s, named master '%s' by the Sentinels, is not a "
				   "master (yet): will ask again", rs->endpoint,
				   rs->rc.master_name);
			freeReplyObject(r);
			goto fail;
		}
		freeReplyObject(r);
	}
	argv[0] = "SCRIPT";
	argv[1] = "LOAD";
	argv[2] = rs_script;
	r = rs_cmd(rs, rs->c, "SCRIPT LOAD", 3, argv, NULL);
	if (!r)
		goto fail;
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof(rs->sha)) {
		rs_set_err(rs, "SCRIPT LOAD: expected the script's SHA1, got %s",
			   rs_reply_type(r->type));
		freeReplyObject(r);
		goto fail;
	}
	memcpy(rs->sha, r->str, r->len);
	rs->sha[r->len] = '\0';
	freeReplyObject(r);
	return 0;
fail:
	rs_disconnect(rs);
	return -1;
}

/* ------------------------------------------------------------ pub/sub */

static void rs_sub_set(struct rs *rs, int up)
{
	pthread_mutex_lock(&rs->mu);
	rs->subscribed = up;
	pthread_mutex_unlock(&rs->mu);
}

/* Caller does not hold mu. */
static void rs_sub_close(struct rs *rs)
{
	if (!rs->sub)
		return;
	redisFree(rs->sub);
	rs->sub = NULL;
	rs_sub_set(rs, 0);
}

/*
 * A second connection to the store we sync with, SUBSCRIBEd to the
 * actions' channel: an announced action wakes the thread to pull it at
 * once instead of at the next round. Best effort: without it (refused,
 * or the store is gone) actions still arrive with the rounds; a failed
 * attempt is retried after a second.
 */
static void rs_sub_open(struct rs *rs, __u64 now)
{
	char chan[RS_KEY_PREFIX_MAX + 8];
	const char *argv[3];
	redisReply *r;

	if (rs->sub || now < rs->sub_retry_ns || rs_key(chan, sizeof(chan), rs->rc.cluster, "ops"))
		return;
	rs->sub_retry_ns = now + 1000 * RS_NS_PER_MS;
	rs->sub = !strncmp(rs->endpoint, "unix:", 5) ? rs_dial(rs, NULL, 0, rs->endpoint + 5) :
		  rs_dial_endpoint(rs, rs->endpoint);
	if (!rs->sub)
		return;
	if (rs_auth(rs, rs->sub, "AUTH (subscriber)"))
		goto fail;
	argv[0] = "SUBSCRIBE";
	argv[1] = chan;
	r = rs_cmd(rs, rs->sub, "SUBSCRIBE", 2, argv, NULL);
	if (!r)
		goto fail;
	freeReplyObject(r);
	rs_sub_set(rs, 1);
	return;
fail:
	rs_sub_close(rs);
}

/* The subscriber is readable: consume what arrived; any message means "pull now". */
static void rs_sub_read(struct rs *rs)
{
	void *reply;

	if (redisBufferRead(rs->sub) != REDIS_OK) {
		rs_set_err(rs, "subscriber: %s (actions arrive with the rounds until it is back)",
			   rs->sub->errstr[0] ? rs->sub->errstr : "closed");
		rs_sub_close(rs);
		return;
	}
	while (redisGetReplyFromReader(rs->sub, &reply) == REDIS_OK && reply) {
		freeReplyObject(reply);
		rs->pull = 1;
	}
}

/* Wake the thread (caller holds mu): the condition variable, and the eventfd it polls with a subscriber. */
static void rs_wake(struct rs *rs)
{
	__u64 one = 1;

	pthread_cond_signal(&rs->cv);
	if (rs->wfd >= 0 && write(rs->wfd, &one, sizeof(one)) < 0)
		adm_dbg("cluster: eventfd: %s", strerror(errno));
}

/*
 * Wait until deadline (CLOCK_MONOTONIC ns) or a wakeup; mu held on entry
 * and on return. With a subscriber, poll it and the eventfd without mu.
 */
static void rs_wait(struct rs *rs, __u64 deadline)
{
	struct pollfd p[2];
	__u64 now = rs_mono_ns(), drain;
	int ms, n;

	if (!rs->sub) {
		struct timespec ts = { .tv_sec = deadline / 1000000000ULL,
				       .tv_nsec = deadline % 1000000000ULL };

		pthread_cond_timedwait(&rs->cv, &rs->mu, &ts);
		return;
	}
	ms = deadline > now ? (int)((deadline - now + RS_NS_PER_MS - 1) / RS_NS_PER_MS) : 0;
	p[0] = (struct pollfd){ .fd = rs->wfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = rs->sub->fd, .events = POLLIN };
	pthread_mutex_unlock(&rs->mu);
	n = poll(p, 2, ms);
	if (n > 0 && (p[0].revents & POLLIN) && read(rs->wfd, &drain, sizeof(drain)) < 0)
		adm_dbg("cluster: eventfd: %s", strerror(errno));
	if (n > 0 && p[1].revents)
		rs_sub_read(rs);
	pthread_mutex_lock(&rs->mu);
}

/* ------------------------------------------------------------ one round */

/* Store the queued operator actions (XADD + PUBLISH). -1: connection trouble. */
static int rs_store_ops(struct rs *rs)
{
	char key[RS_KEY_PREFIX_MAX + 8], chan[RS_KEY_PREFIX_MAX + 8];
	char *op;
	redisReply *r;

	if (rs_key(key, sizeof(key), rs->rc.cluster, "ops") ||
	    rs_key(chan, sizeof(chan), rs->rc.cluster, "ops"))
		return 0;
	for (;;) {
		const char *argv[8];

		pthread_mutex_lock(&rs->mu);
		op = rs->n_opq ? rs->opq[0] : NULL;
		pthread_mutex_unlock(&rs->mu);
		if (!op)
			return 0;
		argv[0] = "XADD";
		argv[1] = key;
		argv[2] = "MAXLEN";
		argv[3] = "~";
		argv[4] = RS_XSTR(RS_OPS_KEEP);
		argv[5] = "*";
		argv[6] = "op";
		argv[7] = op;
		r = rs_cmd(rs, rs->c, "XADD (storing an operator action)", 8, argv, NULL);
		if (!r)
			return -1;
		if (r->type == REDIS_REPLY_STRING) {
			const char *pub[] = { "PUBLISH", chan, r->str };

			freeReplyObject(r);
			r = rs_cmd(rs, rs->c, "PUBLISH", 3, pub, NULL);
		}
		freeReplyObject(r);
		pthread_mutex_lock(&rs->mu);
		free(rs->opq[0]);
		memmove(rs->opq, rs->opq + 1, (rs->n_opq - 1) * sizeof(rs->opq[0]));
		rs->n_opq--;
		rs->actions_stored++;
		pthread_mutex_unlock(&rs->mu);
	}
}

/* Group the hit deltas of cluster-rate services by service (index into svcs). */
static int rs_collect(struct rs *rs, struct rs_svc_in *in, int first)
{
	struct adm_src_report rep[ADM_MAX_SERVICES] = {};
	size_t i, n = 0;
	int err, k, any = 0;

	pthread_mutex_lock(&rs->mu);
	for (k = 0; k < rs->n_svcs; k++)
		if (rs->svcs[k].rate && rs->svcs[k].id < ADM_MAX_SERVICES) {
			rep[rs->svcs[k].id].window_ms = rs->svcs[k].window_ms;
			rep[rs->svcs[k].id].min = share_report_min(rs->svcs[k].rate,
								   rs->live_nodes);
			any = 1;
		}
	pthread_mutex_unlock(&rs->mu);
	if (!any) {
		/*
		 * No cluster_conn_rate: nothing to read. SYNs left in the maps
		 * would report the whole gap as new: start again from a
		 * baseline when a rate comes back.
		 */
		rs->hits_primed = 0;
		return 0;
	}
	rs->n_deltas = 0;
	err = adm_src_hits_read(&rs->hits, first || !rs->hits_primed, rep, rs_unix_ms(),
				&rs->deltas, &rs->n_deltas, &rs->cap_deltas);
	if (!err)
		rs->hits_primed = 1;
	/* What was read before an error was taken from the maps: it is sent. */
	if (err)
		rs_set_err(rs, "cannot read %s and %s: %s", ADM_MAP_SRC, ADM_MAP_RATE, strerror(-err));
	if (rs->n_deltas > rs->cap_sdeltas) {
		struct rs_src_delta *p = realloc(rs->sdeltas, rs->n_deltas * sizeof(*p));

		if (!p)
			return -ENOMEM;
		rs->sdeltas = p;
		rs->cap_sdeltas = rs->n_deltas;
	}
	for (k = 0; k < rs->n_svcs; k++) {
		in[k].src = rs->sdeltas + n;
		in[k].n_src = 0;
		if (!rs->svcs[k].rate)
			continue;
		for (i = 0; i < rs->n_deltas; i++) {
			if (rs->deltas[i].key.service != rs->svcs[k].id)
				continue;
			memcpy(rs->sdeltas[n].addr, rs->deltas[i].key.addr,
			       sizeof(rs->sdeltas[n].addr));
			rs->sdeltas[n++].delta = rs->deltas[i].delta;
			in[k].n_src++;
		}
	}
	return 0;
}

static int rs_svc_index(struct rs *rs, const char *name)
{
	int k;

	for (k = 0; k < rs->n_svcs; k++)
		if (!strcmp(rs->svcs[k].name, name))
			return k;
	return -1;
}

/* Put a successful round in force: limits, blocks, actions for the main thread. */
static void rs_apply(struct rs *rs, struct rs_round_out *out, __u64 now_ns)
{
	size_t i;
	int k, marked = 0, wake = 0;

	pthread_mutex_lock(&rs->mu);
	for (k = 0; k < rs->n_svcs; k++) {
		struct rs_svc *s = &rs->svcs[k];

		if (s->mode != SHARE_SYNCED) {
			adm_info("cluster: [service %s] synced again after %s mode",
				 s->name, share_mode_name(s->mode));
			s->mode = SHARE_SYNCED;
			s->mode_since_ns = now_ns;
		}
		if (s->conn_limit) {
			s->reserved = out->svc[k].reserved;
			s->have_reserved = 1;
			s->cluster_live = out->svc[k].cluster_live;
			rs_enforce(rs, s, out->svc[k].gate);
		}
	}
	rs->live_nodes = out->live_nodes;
	for (i = 0; i < out->n_blocks; i++) {
		const struct rs_block *b = &out->blocks[i];
		struct adm_fp_key key = {};
		struct adm_gblock v;
		__s64 left_ms = b->until_ms - out->now_ms;

		k = rs_svc_index(rs, b->svc);
		if (k < 0 || left_ms <= 0)
			continue;
		key.service = rs->svcs[k].id;
		memcpy(key.addr, b->addr, sizeof(key.addr));
		v.until_ns = now_ns + (__u64)left_ms * RS_NS_PER_MS;
		if (!marked) {
			rs_gblock_mark(rs);
			marked = 1;
		}
		if (!bpf_map_update_elem(rs->gblock_fd, &key, &v, BPF_ANY))
			rs->blocks_applied++;
	}
	rs->last_blk = out->blk_seq;
	for (i = 0; i < out->n_ops; i++) {
		if (rs->n_inbox == rs->cap_inbox) {
			size_t cap = rs->cap_inbox ? rs->cap_inbox * 2 : 16;
			struct rs_op *p = realloc(rs->inbox, cap * sizeof(*p));

			if (!p)
				break;
			rs->inbox = p;
			rs->cap_inbox = cap;
		}
		rs->inbox[rs->n_inbox++] = out->ops[i];
		out->ops[i].json = NULL;
		wake = 1;
	}
	snprintf(rs->last_op, sizeof(rs->last_op), "%s", out->last_op);
	pthread_mutex_unlock(&rs->mu);
	if (wake) {
		__u64 one = 1;

		if (write(rs->efd, &one, sizeof(one)) < 0)
			adm_dbg("cluster: eventfd: %s", strerror(errno));
	}
}

/* Redis is unreachable or answered nonsense: every service to its failure mode. */
static void rs_fail_modes(struct rs *rs, __u64 now_ns)
{
	int k;

	pthread_mutex_lock(&rs->mu);
	for (k = 0; k < rs->n_svcs; k++) {
		struct rs_svc *s = &rs->svcs[k];
		unsigned int mode = s->on_fail == ADM_SF_OPEN ? SHARE_OPEN :
				    s->on_fail == ADM_SF_CLOSED ? SHARE_CLOSED :
				    SHARE_LOCAL_SHARE;

		if (s->mode != mode) {
			adm_warn("cluster: [service %s] store unreachable: %s mode "
				 "(on_store_failure)", s->name, share_mode_name(mode));
			s->mode = mode;
			s->mode_since_ns = now_ns;
		}
		if (s->conn_limit || mode == SHARE_CLOSED)
			rs_enforce(rs, s, share_limit(mode, s->conn_limit, s->reserved,
						      s->have_reserved,
						      rs->live_nodes ? rs->live_nodes : 1));
	}
	pthread_mutex_unlock(&rs->mu);
}

/*
 * Redis Cluster's ASK (the slot is migrating, this command's keys are on
 * the importing node): run this one round on `target`, ASKING first, on a
 * connection of its own; the slot's owner stays the node we sync with.
 * Returns the round's reply, or NULL (error set).
 */
static redisReply *rs_round_ask(struct rs *rs, const char *target)
{
	redisContext *c = rs_dial_endpoint(rs, target);
	redisReply *r = NULL, *ok = NULL;
	int tries;

	if (!c || rs_auth(rs, c, "AUTH (ASK target)"))
		goto out;
	for (tries = 0; tries < 2; tries++) {
		ok = r = NULL;
		redisAppendCommand(c, "ASKING");
		redisAppendCommandArgv(c, rs->args.argc, rs->args.argv, rs->args.argvlen);
		if (redisGetReply(c, (void **)&ok) != REDIS_OK ||
		    redisGetReply(c, (void **)&r) != REDIS_OK) {
			freeReplyObject(ok);
			freeReplyObject(r);
			r = NULL;
			rs_set_err(rs, "round: ASK %s: %s", target,
				   c->errstr[0] ? c->errstr : "no reply");
			goto out;
		}
		freeReplyObject(ok);
		if (tries || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOSCRIPT", 8))
			break;
		/* the same script has the same SHA1 everywhere: load it there */
		freeReplyObject(r);
		r = redisCommand(c, "SCRIPT LOAD %s", rs_script);
		if (!r || r->type != REDIS_REPLY_STRING) {
			rs_set_err(rs, "round: ASK %s: SCRIPT LOAD failed", target);
			freeReplyObject(r);
			r = NULL;
			goto out;
		}
		freeReplyObject(r);
		r = NULL;
	}
out:
	if (c)
		redisFree(c);
	return r;
}

/*
 * One round: read the maps, EVALSHA (loading the script again on
 * NOSCRIPT), apply. Returns 0, or -1 (error set; the caller disconnects).
 */
static int rs_round(struct rs *rs, int first, int extra)
{
	struct rs_svc_in in[ADM_MAX_SERVICES];
	struct rs_round_out out;
	char err[RS_ERR_MAX], last_op[RS_OP_ID_MAX];
	__u64 t0 = rs_mono_ns(), last_blk, ttl;
	redisReply *r;
	int k, tries;

	pthread_mutex_lock(&rs->mu);
	snprintf(last_op, sizeof(last_op), "%s", rs->last_op);
	last_blk = rs->last_blk;
	ttl = rs->rc.node_ttl_ms;
	for (k = 0; k < rs->n_svcs; k++) {
		struct rs_svc *s = &rs->svcs[k];

		/* an extra round (an action announced) keeps the last interval's demand */
		if (!extra) {
			__u64 refused = rs_refused_ctr(rs, s->id);

			/* demand: SYNs that reached the gate, admitted or refused */
			s->demand = rs_delta(rs_stat(rs, s->id, ADM_V_PASS, ADM_R_NONE) + refused,
					     &s->prev_demand_ctr, s->have_prev);
			s->refused = rs_delta(refused, &s->prev_refused_ctr, s->have_prev);
			s->have_prev = 1;
		}
		in[k] = (struct rs_svc_in){
			.name = s->name,
			.limit = s->conn_limit,
			.demand = s->demand,
			.need = rs_share_binds(rs, s) ? s->refused : 0,
			.rate = s->rate,
			.window_ms = s->window_ms,
		};
	}
	pthread_mutex_unlock(&rs->mu);
	/* an extra round sends no sources: their counts wait for the next round */
	if (rs->hits_ok && !extra && rs_collect(rs, in, first))
		return -1;
	/*
	 * live last, just before the round trip: what the gate admits between
	 * this reading and the new gate being written is not in Redis' view
	 * (the sync's share of the overshoot when this node's reservation shrinks)
	 */
	pthread_mutex_lock(&rs->mu);
	for (k = 0; k < rs->n_svcs; k++)
		in[k].live = rs_live(rs, &rs->svcs[k]);
	pthread_mutex_unlock(&rs->mu);
	if (rs_args_round(&rs->args, rs->rc.cluster, rs->rc.node, ttl, last_op,
			  last_blk, in, rs->n_svcs)) {
		rs_set_err(rs, "cannot build a round: out of memory");
		return -1;
	}
	for (tries = 0; tries < 2; tries++) {
		rs->args.argv[1] = rs->sha;
		rs->args.argvlen[1] = strlen(rs->sha);
		r = redisCommandArgv(rs->c, rs->args.argc, rs->args.argv, rs->args.argvlen);
		if (!r) {
			rs_set_err(rs, "round: %s", rs->c->errstr[0] ? rs->c->errstr : "no reply");
			return -1;
		}
		if (r->type != REDIS_REPLY_ERROR)
			break;
		if (!strncmp(r->str, "NOSCRIPT", 8) && tries == 0) {
			const char *argv[] = { "SCRIPT", "LOAD", rs_script };
			redisReply *l = rs_cmd(rs, rs->c, "SCRIPT LOAD", 3, argv, NULL);

			freeReplyObject(r);
			if (!l)
				return -1;
			if (l->type == REDIS_REPLY_STRING && l->len < sizeof(rs->sha)) {
				memcpy(rs->sha, l->str, l->len);
				rs->sha[l->len] = '\0';
			}
			freeReplyObject(l);
			continue;
		}
		if (!strncmp(r->str, "ASK ", 4)) {
			char target[RS_ENDPOINT_MAX];
			const char *at = strrchr(r->str, ' ');

			snprintf(target, sizeof(target), "%s", at ? at + 1 : "");
			freeReplyObject(r);
			r = rs_round_ask(rs, target);
			if (!r)
				return -1;
			if (r->type == REDIS_REPLY_ERROR) {
				rs_set_err(rs, "round: ASK %s: Redis answered: %.*s", target,
					   (int)(r->len > 200 ? 200 : r->len), r->str);
				freeReplyObject(r);
				return -1;
			}
			pthread_mutex_lock(&rs->mu);
			rs->asked++;
			pthread_mutex_unlock(&rs->mu);
			break;
		}
		if (!strncmp(r->str, "MOVED ", 6)) {
			const char *at = strrchr(r->str, ' ');

			snprintf(rs->moved, sizeof(rs->moved), "%s", at ? at + 1 : "");
			rs->redirect = 1;
			rs_set_err(rs, "round: Redis Cluster moved the slot to %s: following",
				   rs->moved);
		} else if (strstr(r->str, "READONLY")) {
			rs->redirect = 1;
			rs_set_err(rs, "round: %s is a replica now (failover): resolving the "
				   "master again", rs->endpoint);
		} else {
			rs_set_err(rs, "round: Redis answered: %.*s",
				   (int)(r->len > 200 ? 200 : r->len), r->str);
		}
		freeReplyObject(r);
		return -1;
	}
	if (rs_round_parse(r, rs->n_svcs, last_blk, &out, err, sizeof(err))) {
		rs_set_err(rs, "round: unexpected reply from %s: %s", rs->endpoint, err);
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	for (k = 0; k < rs->n_svcs; k++)
		if (in[k].limit)
			adm_dbg("cluster: round at %llu ms [service %s] live+pending %llu demand %llu"
				" refused %llu -> reserved %llu gate %llu cluster_live %llu others %llu"
				" nodes %llu", (unsigned long long)(t0 / RS_NS_PER_MS), in[k].name,
				(unsigned long long)in[k].live, (unsigned long long)in[k].demand,
				(unsigned long long)in[k].need,
				(unsigned long long)out.svc[k].reserved,
				(unsigned long long)out.svc[k].gate,
				(unsigned long long)out.svc[k].cluster_live,
				(unsigned long long)out.svc[k].others,
				(unsigned long long)out.live_nodes);
	rs_apply(rs, &out, rs_mono_ns());
	rs_round_free(&out);
	pthread_mutex_lock(&rs->mu);
	rs->rounds++;
	rs->round_ns_last = rs_mono_ns() - t0;
	if (rs->round_ns_last > rs->round_ns_max)
		rs->round_ns_max = rs->round_ns_last;
	rs->last_ok_ns = rs_mono_ns();
	for (k = 0; k < rs->n_svcs; k++)
		rs->sources_sent += in[k].n_src;
	pthread_mutex_unlock(&rs->mu);
	return 0;
}

/* The next connection attempt after one more failure: backoff with full jitter. */
static void rs_backoff(struct rs *rs, __u64 now)
{
	__u32 rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = (__u32)now;
	rs->failures++;
	rs->next_try_ns = now + share_backoff_ms(rs->failures, RS_BACKOFF_BASE_MS,
						 RS_BACKOFF_CAP_MS, rnd) * RS_NS_PER_MS;
}

static void *rs_thread(void *arg)
{
	struct rs *rs = arg;
	__u64 next = rs_mono_ns(), now;
	int first = 1, ok;

	pthread_mutex_lock(&rs->mu);
	while (!rs->stop) {
		__u64 interval = rs->rc.sync_interval_ms * RS_NS_PER_MS;
		/* announced actions are pulled at once, at most one extra round per gap */
		__u64 gap = interval / 10 < RS_PULL_GAP_MS * RS_NS_PER_MS ? interval / 10 :
			    RS_PULL_GAP_MS * RS_NS_PER_MS;
		__u64 pull_at = rs->round_t0 + gap;
		int extra = 0;

		now = rs_mono_ns();
		/* a reload's new [redis] settings are taken at once, not at the old interval's round */
		if (rs->rc_pending || rs->reconnect)
			next = now;
		if (now < next && !rs->n_opq) {
			if (!rs->pull || !rs->c) {
				rs_wait(rs, next);
				continue;
			}
			if (now < pull_at) {
				rs_wait(rs, pull_at);
				continue;
			}
			extra = 1;
		}
		rs->pull = 0;
		if (rs->rc_pending) {
			rs->rc = rs->rc_next;
			rs->rc_pending = 0;
		}
		if (rs->reconnect) {
			rs->reconnect = 0;
			rs->failures = 0;
			rs->next_try_ns = 0;
			pthread_mutex_unlock(&rs->mu);
			rs_disconnect(rs);
			if (rs->sc)
				redisFree(rs->sc);
			rs->sc = NULL;
		} else {
			pthread_mutex_unlock(&rs->mu);
		}

		ok = 0;
		if (!rs->c && now >= rs->next_try_ns) {
			if (!rs_connect(rs))
				adm_info("cluster: connected to %s as node '%s' of cluster '%s'",
					 rs->endpoint, rs->rc.node, rs->rc.cluster);
			else
				rs_backoff(rs, now);
		}
		if (rs->c) {
			rs->round_t0 = now;
			if (!rs_sentinel_check(rs) && !rs_store_ops(rs) && !rs_round(rs, first, extra)) {
				ok = 1;
				rs_sub_open(rs, now);
			} else {
				rs_disconnect(rs);
				if (rs->redirect && !rs->failures)
					rs->next_try_ns = now;	/* failover or MOVED: once at once */
				else
					rs_backoff(rs, now);
				rs->redirect = 0;
			}
		}
		if (ok) {
			rs->failures = 0;
			first = 0;
			pthread_mutex_lock(&rs->mu);
			if (!rs->connected) {
				rs->connected = 1;
				rs->reconnects++;
				rs->down_since_ns = 0;
			}
			if (strcmp(rs->status_endpoint, rs->endpoint))
				snprintf(rs->status_endpoint, sizeof(rs->status_endpoint), "%s",
					 rs->endpoint);
			pthread_mutex_unlock(&rs->mu);
		} else if (!rs->c || now >= rs->next_try_ns) {
			rs_fail_modes(rs, rs_mono_ns());
			pthread_mutex_lock(&rs->mu);
			if (rs->connected || !rs->down_since_ns)
				rs->down_since_ns = rs_mono_ns();
			if (rs->connected)
				rs->round_failures++;
			rs->connected = 0;
			pthread_mutex_unlock(&rs->mu);
		}
		now = rs_mono_ns();
		if (!extra)
			next += interval;
		if (next < now)
			next = now + interval;	/* a round took longer than the interval: skip, don't queue */
		pthread_mutex_lock(&rs->mu);
	}
	pthread_mutex_unlock(&rs->mu);
	rs_disconnect(rs);
	if (rs->sc)
		redisFree(rs->sc);
	rs->sc = NULL;
	return NULL;
}

/* ------------------------------------------------------------ actions */

/*
 * Apply one stored operator action on this node and audit it (main
 * thread). Actions are JSON: {"action": "block"|"allow", "op": "add"|"del",
 * "cidr", "expires_ms" (unix ms, 0 = never)} | {"action": "breaker",
 * "service" (or null: all), "state", "permille"} | {"action": "degrade",
 * "level"} | {"action": "limits", "service", "key": "conn_limit", "value"};
 * each with "node" and "user" of its origin.
 */
static void rs_apply_op(struct rs *rs, const struct rs_op *op)
{
	struct admd *ad = rs->ad;
	const char *action, *node, *user, *what_op;
	char err[ADM_ERR_MAX] = "", aerr[ADM_ERR_MAX];
	struct adm_audit a;
	json_error_t jerr;
	json_t *o;
	int rc = -1;

	adm_audit_init(&a, "cluster");
	o = json_loads(op->json, 0, &jerr);
	action = o ? json_string_value(json_object_get(o, "action")) : NULL;
	node = o ? json_string_value(json_object_get(o, "node")) : NULL;
	user = o ? json_string_value(json_object_get(o, "user")) : NULL;
	if (!action) {
		snprintf(a.what, sizeof(a.what), "cluster action %s", op->id);
		snprintf(err, sizeof(err), "not an adm action (%s)", o ? "no \"action\"" : jerr.text);
		goto out;
	}
	snprintf(a.user, sizeof(a.user), "%s@%s", user ? user : "?", node ? node : "?");
	if (!strcmp(action, "block") || !strcmp(action, "allow")) {
		const char *cidr = json_string_value(json_object_get(o, "cidr"));
		__u64 exp_ms = json_integer_value(json_object_get(o, "expires_ms"));
		struct adm_lpm_key key;
		__u64 now_ms = rs_unix_ms(), exp_ns = 0;

		what_op = json_string_value(json_object_get(o, "op"));
		snprintf(a.what, sizeof(a.what), "cluster %s %s %s (from node %s)", action,
			 what_op ? what_op : "?", cidr ? cidr : "?", node ? node : "?");
		if (!cidr || adm_parse_cidr(cidr, &key) || !what_op) {
			snprintf(err, sizeof(err), "malformed action %s", op->id);
			goto out;
		}
		if (!strcmp(what_op, "del")) {
			rc = adm_cidr_del(rs->pin_root, action[0] == 'a', &key);
			if (rc == -ENOENT)
				rc = 0;
		} else {
			if (exp_ms && exp_ms <= now_ms) {
				snprintf(a.result, sizeof(a.result), "ok: expired before it reached this node");
				rc = 0;
				goto audit;
			}
			if (exp_ms)
				exp_ns = rs_mono_ns() + (exp_ms - now_ms) * RS_NS_PER_MS;
			rc = adm_cidr_add(rs->pin_root, action[0] == 'a', &key, exp_ns);
		}
		if (rc)
			snprintf(err, sizeof(err), "%s", strerror(-rc));
	} else if (!strcmp(action, "breaker") || !strcmp(action, "degrade")) {
		const char *svc = json_string_value(json_object_get(o, "service"));
		const char *state = json_string_value(json_object_get(o, "state"));
		json_int_t level = json_integer_value(json_object_get(o, "level"));
		json_int_t permille = json_integer_value(json_object_get(o, "permille"));
		int brk = action[0] == 'b';
		__u32 id;

		if (brk)
			snprintf(a.what, sizeof(a.what), "cluster breaker %s %s (from node %s)",
				 state ? state : "?", svc ? svc : "(every service)", node ? node : "?");
		else
			snprintf(a.what, sizeof(a.what), "cluster degrade %lld (from node %s)",
				 (long long)level, node ? node : "?");
		if (brk && (!state || (strcmp(state, "open") && strcmp(state, "close") &&
				       strcmp(state, "half-open")))) {
			snprintf(err, sizeof(err), "malformed action %s", op->id);
			goto out;
		}
		if (!brk && (level < 0 || level > ADM_DEGRADE_MAX)) {
			snprintf(err, sizeof(err), "degradation level %lld out of range 0..%d",
				 (long long)level, ADM_DEGRADE_MAX);
			goto out;
		}
		rc = 0;
		for (id = 1; id < ADM_MAX_SERVICES; id++) {
			struct adm_state st = {};
			int k;

			if (brk && svc) {
				k = rs_svc_index(rs, svc);
				if (k < 0 || rs->svcs[k].id != id)
					continue;
			}
			if (bpf_map_lookup_elem(rs->state_fd, &id, &st))
				continue;
			if (brk) {
				st.breaker = state[0] == 'o' ? ADM_BRK_OPEN :
					     state[0] == 'c' ? ADM_BRK_CLOSED : ADM_BRK_HALF_OPEN;
				if (st.breaker == ADM_BRK_HALF_OPEN)
					st.half_open_permille = permille > 0 && permille <= 1000 ?
								permille : 100;
			} else {
				st.degrade = level;
			}
			if (bpf_map_update_elem(rs->state_fd, &id, &st, BPF_ANY)) {
				rc = -errno;
				snprintf(err, sizeof(err), "%s: %s", ADM_MAP_STATE, strerror(errno));
			}
		}
	} else if (!strcmp(action, "limits")) {
		const char *svc = json_string_value(json_object_get(o, "service"));
		const char *key = json_string_value(json_object_get(o, "key"));
		const char *value = json_string_value(json_object_get(o, "value"));
		__u64 v;
		int k = svc ? rs_svc_index(rs, svc) : -1;

		snprintf(a.what, sizeof(a.what), "cluster limits set %s %s %s (from node %s)",
			 svc ? svc : "?", key ? key : "?", value ? value : "?", node ? node : "?");
		if (k < 0) {
			snprintf(err, sizeof(err), "no service '%s' on this node", svc ? svc : "?");
			goto out;
		}
		if (!key || !value || strcmp(key, "conn_limit") ||
		    adm_parse_u64(value, 0, 10000000, &v)) {
			snprintf(err, sizeof(err), "malformed action %s", op->id);
			goto out;
		}
		pthread_mutex_lock(&rs->mu);
		snprintf(a.before, sizeof(a.before), "conn_limit %llu",
			 (unsigned long long)rs->svcs[k].conn_limit);
		rs->svcs[k].conn_limit = v;
		pthread_mutex_unlock(&rs->mu);
		snprintf(a.after, sizeof(a.after), "conn_limit %llu (cluster-wide, until the next reload)",
			 (unsigned long long)v);
		rc = 0;
	} else {
		snprintf(a.what, sizeof(a.what), "cluster %s (from node %s)", action,
			 node ? node : "?");
		snprintf(err, sizeof(err), "unknown action '%s' (a newer adm?)", action);
	}
out:
	if (rc)
		snprintf(a.result, sizeof(a.result), "failed: %s", err);
	else if (!a.result[0])
		snprintf(a.result, sizeof(a.result), "ok");
audit:
	if (admd_audit(ad, &a, aerr, sizeof(aerr)))
		adm_warn("cluster: audit of %s: %s", a.what, aerr);
	pthread_mutex_lock(&rs->mu);
	if (rc)
		rs->actions_failed++;
	else
		rs->actions_applied++;
	pthread_mutex_unlock(&rs->mu);
	json_decref(o);
}

/* The eventfd: actions the thread received. */
static void rs_on_wake(void *ctx, int fd, __u32 events)
{
	struct rs *rs = ctx;
	struct rs_op *ops;
	size_t n, i;
	__u64 v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		adm_dbg("cluster: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&rs->mu);
	ops = rs->inbox;
	n = rs->n_inbox;
	rs->inbox = NULL;
	rs->n_inbox = rs->cap_inbox = 0;
	pthread_mutex_unlock(&rs->mu);
	for (i = 0; i < n; i++) {
		rs_apply_op(rs, &ops[i]);
		free(ops[i].json);
	}
	free(ops);
}

/* ------------------------------------------------------------ module hooks */

static void rs_free(struct rs *rs)
{
	int i;

	if (!rs)
		return;
	if (rs->efd >= 0) {
		loop_del_fd(rs->ad->loop, rs->efd);
		close(rs->efd);
	}
	if (rs->wfd >= 0)
		close(rs->wfd);
	rs_close_maps(rs);
	adm_src_hits_free(&rs->hits);
	free(rs->deltas);
	free(rs->sdeltas);
	rs_args_free(&rs->args);
	for (i = 0; i < rs->n_opq; i++)
		free(rs->opq[i]);
	for (i = 0; i < (int)rs->n_inbox; i++)
		free(rs->inbox[i].json);
	free(rs->inbox);
	pthread_mutex_destroy(&rs->mu);
	pthread_cond_destroy(&rs->cv);
	free(rs);
}

static int rs_start(struct admd *ad, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	struct rs *rs;
	int k;

	if (!ad->cfg->redis.enabled)
		return 0;
	rs = calloc(1, sizeof(*rs));
	if (!rs) {
		snprintf(err, errlen, "[redis]: out of memory");
		return -1;
	}
	rs->ad = ad;
	rs->efd = rs->wfd = -1;
	rs->conc_fd = rs->global_fd = rs->stats_fd = rs->hits_fd = rs->rate_fd = -1;
	rs->gblock_fd = rs->state_fd = rs->pend_fd = -1;
	pthread_mutex_init(&rs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rs->cv, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(rs->pin_root, sizeof(rs->pin_root), "%s", ad->cfg->pin_root);
	if (rs_open_maps(rs, err, errlen))
		goto fail;
	k = adm_src_hits_init(&rs->hits, rs->hits_fd, rs->rate_fd);
	rs->hits_ok = !k;
	if (k)
		adm_warn("cluster: cannot load adm_hits (%s): no per-source "
			 "hits are sent, cluster_conn_rate is not enforced", strerror(-k));
	rs_take_config(rs, ad->cfg);
	/*
	 * Until the first round (milliseconds away), no new connection: a
	 * capacity this node has not reserved in Redis may be another's. The
	 * policy writer just put the whole conn_limit there.
	 */
	for (k = 0; k < rs->n_svcs; k++) {
		struct rs_svc *s = &rs->svcs[k];

		s->mode = SHARE_SYNCED;
		if (s->conn_limit)
			rs_enforce(rs, s, __atomic_load_n(&rs->conc[s->id].live, __ATOMIC_RELAXED));
	}
	rs->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rs->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rs->efd < 0 || rs->wfd < 0 ||
	    loop_add_fd(ad->loop, rs->efd, EPOLLIN, rs_on_wake, rs)) {
		snprintf(err, errlen, "[redis]: cannot create the thread's eventfd: %s",
			 strerror(errno));
		goto fail;
	}
	rs->down_since_ns = rs_mono_ns();
	if (pthread_create(&rs->th, NULL, rs_thread, rs)) {
		snprintf(err, errlen, "[redis]: cannot start the sync thread: %s", strerror(errno));
		goto fail;
	}
	rs->th_started = 1;
	rs_g = rs;
	adm_info("cluster: node '%s' of cluster '%s', round every %u ms", rs->rc.node,
		 rs->rc.cluster, rs->rc.sync_interval_ms);
	return 0;
fail:
	rs_free(rs);
	return -1;
}

static void rs_stop(struct admd *ad, int aborted)
{
	struct rs *rs = rs_g;

	(void)ad;
	(void)aborted;	/* nothing to undo: limits and blocks stay in force */
	if (!rs)
		return;
	pthread_mutex_lock(&rs->mu);
	rs->stop = 1;
	rs_wake(rs);
	pthread_mutex_unlock(&rs->mu);
	if (rs->th_started)
		pthread_join(rs->th, NULL);	/* bounded: every Redis call has a timeout */
	rs_free(rs);
	rs_g = NULL;
}

static int rs_reload_check(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	(void)ad;
	if (!!next->redis.enabled != !!rs_g) {
		snprintf(err, errlen, "[redis]: %s the section needs a restart of admd",
			 rs_g ? "removing" : "adding");
		return -1;
	}
	return 0;
}

static int rs_reload_apply(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	struct rs *rs = rs_g;
	int reconnect, k;

	(void)ad;
	(void)err;
	(void)errlen;
	if (!rs)
		return 0;
	pthread_mutex_lock(&rs->mu);
	reconnect = strcmp(rs->rc.socket, next->redis.socket) ||
		    strcmp(rs->rc.host, next->redis.host) || rs->rc.port != next->redis.port ||
		    rs->rc.n_sentinels != next->redis.n_sentinels ||
		    strcmp(rs->rc.password_file, next->redis.password_file) ||
		    strcmp(rs->rc.user, next->redis.user) ||
		    strcmp(rs->rc.cluster, next->redis.cluster) ||
		    strcmp(rs->rc.node, next->redis.node);
	rs_take_config(rs, next);
	if (reconnect) {
		rs->last_op[0] = '\0';
		rs->last_blk = 0;
		rs->reconnect = 1;
	}
	/* The policy writer put conn_limit back in adm_conc: the share again, now. */
	for (k = 0; k < rs->n_svcs; k++) {
		struct rs_svc *s = &rs->svcs[k];

		if (s->conn_limit)
			rs_enforce(rs, s, share_limit(s->mode == SHARE_SYNCED ?
					SHARE_LOCAL_SHARE : s->mode, s->conn_limit,
					s->reserved, s->have_reserved,
					rs->live_nodes ? rs->live_nodes : 1));
	}
	rs_wake(rs);
	pthread_mutex_unlock(&rs->mu);
	if (reconnect)
		adm_info("cluster: [redis] changed: reconnecting");
	return 0;
}

static double rs_ago_s(__u64 then_ns, __u64 now_ns)
{
	return then_ns && now_ns >= then_ns ? (now_ns - then_ns) / 1e9 : 0;
}

static void rs_status(struct admd *ad, json_t *out)
{
	struct rs *rs = rs_g;
	__u64 now = rs_mono_ns();
	json_t *svcs;
	int k;

	(void)ad;
	if (!rs) {
		json_object_set_new(out, "state", json_string("off"));
		return;
	}
	pthread_mutex_lock(&rs->mu);
	json_object_set_new(out, "state", json_string(rs->connected ? "synced" : "store-down"));
	json_object_set_new(out, "cluster", json_string(rs->rc.cluster));
	json_object_set_new(out, "node", json_string(rs->rc.node));
	json_object_set_new(out, "store", json_string(rs->status_endpoint[0] ?
						      rs->status_endpoint : "(never connected)"));
	json_object_set_new(out, "live_nodes", json_integer(rs->live_nodes));
	json_object_set_new(out, "sync_interval_ms", json_integer(rs->rc.sync_interval_ms));
	json_object_set_new(out, "subscribed", json_boolean(rs->subscribed));
	json_object_set_new(out, "ask_rounds", json_integer(rs->asked));
	json_object_set_new(out, "rounds", json_integer(rs->rounds));
	json_object_set_new(out, "round_failures", json_integer(rs->round_failures));
	json_object_set_new(out, "last_round_ms", json_real(rs->round_ns_last / 1e6));
	json_object_set_new(out, "max_round_ms", json_real(rs->round_ns_max / 1e6));
	if (!rs->connected)
		json_object_set_new(out, "down_for_s", json_real(rs_ago_s(rs->down_since_ns, now)));
	if (rs->last_err[0]) {
		json_object_set_new(out, "last_error", json_string(rs->last_err));
		json_object_set_new(out, "last_error_ago_s", json_real(rs_ago_s(rs->last_err_ns, now)));
	}
	json_object_set_new(out, "blocks_applied", json_integer(rs->blocks_applied));
	json_object_set_new(out, "actions_applied", json_integer(rs->actions_applied));
	svcs = json_object();
	for (k = 0; k < rs->n_svcs; k++) {
		const struct rs_svc *s = &rs->svcs[k];
		json_t *o = json_object();

		json_object_set_new(o, "mode", json_string(share_mode_name(s->mode)));
		json_object_set_new(o, "mode_for_s", json_real(rs_ago_s(s->mode_since_ns, now)));
		json_object_set_new(o, "on_store_failure", json_string(adm_store_failure_name(s->on_fail)));
		json_object_set_new(o, "conn_limit", json_integer(s->conn_limit));
		if (s->conn_limit) {
			json_object_set_new(o, "enforced", s->enforced == ADM_CONC_REFUSE_ALL ?
					    json_string("refuse-all") : json_integer(s->enforced));
			json_object_set_new(o, "cluster_live", json_integer(s->cluster_live));
			/* the share rule's inputs and result, last round */
			json_object_set_new(o, "reserved", json_integer(s->reserved));
			json_object_set_new(o, "demand", json_integer(s->demand));
			json_object_set_new(o, "refused", json_integer(s->refused));
		}
		if (s->rate)
			json_object_set_new(o, "cluster_conn_rate", json_integer(s->rate));
		json_object_set_new(svcs, s->name, o);
	}
	json_object_set_new(out, "services", svcs);
	pthread_mutex_unlock(&rs->mu);
}

static void rs_metrics(struct admd *ad, struct adm_buf *b)
{
	struct rs *rs = rs_g;
	__u64 now = rs_mono_ns();
	unsigned int m;
	int k;

	(void)ad;
	adm_buf_family(b, "adm_cluster_up", "gauge",
		       "1 while the last sync round with Redis succeeded ([redis] set)");
	if (!rs) {
		adm_buf_printf(b, "adm_cluster_up 0\n");
		return;
	}
	pthread_mutex_lock(&rs->mu);
	adm_buf_printf(b, "adm_cluster_up %d\n", rs->connected);
	adm_buf_family(b, "adm_cluster_live_nodes", "gauge", "nodes with a live heartbeat, last round");
	adm_buf_printf(b, "adm_cluster_live_nodes %llu\n", (unsigned long long)rs->live_nodes);
	adm_buf_family(b, "adm_cluster_rounds_total", "counter", "sync rounds that succeeded");
	adm_buf_printf(b, "adm_cluster_rounds_total %llu\n", (unsigned long long)rs->rounds);
	adm_buf_family(b, "adm_cluster_round_failures_total", "counter",
		       "times the store became unreachable or answered nonsense");
	adm_buf_printf(b, "adm_cluster_round_failures_total %llu\n",
		       (unsigned long long)rs->round_failures);
	adm_buf_family(b, "adm_cluster_round_seconds", "gauge", "duration of the last round");
	adm_buf_printf(b, "adm_cluster_round_seconds %.6f\n", rs->round_ns_last / 1e9);
	adm_buf_family(b, "adm_cluster_blocks_total", "counter",
		       "global_block entries written (sources over their cluster-wide rate)");
	adm_buf_printf(b, "adm_cluster_blocks_total %llu\n", (unsigned long long)rs->blocks_applied);
	adm_buf_family(b, "adm_cluster_sources_sent_total", "counter",
		       "per-source hit deltas sent to Redis");
	adm_buf_printf(b, "adm_cluster_sources_sent_total %llu\n",
		       (unsigned long long)rs->sources_sent);
	adm_buf_family(b, "adm_cluster_actions_total", "counter",
		       "operator actions received from the cluster, by result");
	adm_buf_printf(b, "adm_cluster_actions_total{result=\"ok\"} %llu\n",
		       (unsigned long long)rs->actions_applied);
	adm_buf_printf(b, "adm_cluster_actions_total{result=\"failed\"} %llu\n",
		       (unsigned long long)rs->actions_failed);
	adm_buf_family(b, "adm_cluster_mode", "gauge",
		       "1 for the mode each service is in (synced, local-share, open, closed)");
	for (k = 0; k < rs->n_svcs; k++)
		for (m = 0; m < SHARE__MAX; m++)
			adm_buf_printf(b, "adm_cluster_mode{service=\"%s\",mode=\"%s\"} %d\n",
				       rs->svcs[k].name, share_mode_name(m), rs->svcs[k].mode == m);
	adm_buf_family(b, "adm_cluster_mode_seconds", "gauge", "time each service has been in its mode");
	for (k = 0; k < rs->n_svcs; k++)
		adm_buf_printf(b, "adm_cluster_mode_seconds{service=\"%s\"} %.3f\n",
			       rs->svcs[k].name, rs_ago_s(rs->svcs[k].mode_since_ns, now));
	adm_buf_family(b, "adm_cluster_conn_limit", "gauge",
		       "this node's enforced share of the cluster-wide conn_limit (-1: refuse all)");
	for (k = 0; k < rs->n_svcs; k++)
		if (rs->svcs[k].conn_limit)
			adm_buf_printf(b, "adm_cluster_conn_limit{service=\"%s\"} %lld\n",
				       rs->svcs[k].name, rs->svcs[k].enforced == ADM_CONC_REFUSE_ALL ?
				       -1LL : (long long)rs->svcs[k].enforced);
	adm_buf_family(b, "adm_cluster_live", "gauge", "live connections of the whole cluster, last round");
	for (k = 0; k < rs->n_svcs; k++)
		if (rs->svcs[k].conn_limit)
			adm_buf_printf(b, "adm_cluster_live{service=\"%s\"} %llu\n",
				       rs->svcs[k].name, (unsigned long long)rs->svcs[k].cluster_live);
	pthread_mutex_unlock(&rs->mu);
}

/*
 * Control command "cluster": {"cmd": "cluster", "action": {...}} (see
 * rs_apply_op for the action objects, without node/user: added here).
 * The action is queued for the sync thread, which stores it in Redis
 * within milliseconds; refused at once while Redis is unreachable.
 */
static void rs_cmd_cluster(struct admd *ad, struct ctl_req *r)
{
	struct rs *rs = rs_g;
	json_t *act = json_object_get(r->req, "action"), *copy;
	const char *name = act ? json_string_value(json_object_get(act, "action")) : NULL;
	char *text, aerr[ADM_ERR_MAX], node[ADM_RS_NAME_MAX];
	struct adm_audit a;

	if (!rs) {
		ctl_fail(r, "cluster: off (no [redis] section in the config): use the command without --cluster");
		return;
	}
	if (!name || (strcmp(name, "block") && strcmp(name, "allow") && strcmp(name, "breaker") &&
		      strcmp(name, "degrade") && strcmp(name, "limits"))) {
		ctl_fail(r, "cluster: expected an action block, allow, breaker, degrade or limits");
		return;
	}
	pthread_mutex_lock(&rs->mu);
	snprintf(node, sizeof(node), "%s", rs->rc_pending ? rs->rc_next.node : rs->rc.node);
	pthread_mutex_unlock(&rs->mu);
	copy = json_deep_copy(act);
	json_object_set_new(copy, "node", json_string(node));
	json_object_set_new(copy, "user", json_string(r->user ? r->user : "?"));
	text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	pthread_mutex_lock(&rs->mu);
	if (!rs->connected || rs->n_opq >= RS_OPQ_MAX || !text) {
		int down = !rs->connected;

		pthread_mutex_unlock(&rs->mu);
		free(text);
		ctl_fail(r, "cluster: %s: the action was not stored; retry, or act on this node "
			 "alone without --cluster", down ? "Redis is unreachable" : "too many actions waiting");
		return;
	}
	rs->opq[rs->n_opq++] = text;
	rs_wake(rs);
	pthread_mutex_unlock(&rs->mu);
	ctl_audit_init(r, &a, "cluster %s (stored for every node)", name);
	snprintf(a.after, sizeof(a.after), "queued for the cluster store");
	snprintf(a.result, sizeof(a.result), "ok");
	if (admd_audit(ad, &a, aerr, sizeof(aerr)))
		adm_warn("cluster: audit: %s", aerr);
	ctl_reply(r, json_pack("{s:b, s:s}", "queued", 1, "node", node));
}

static const struct admd_cmd rs_cmds[] = {
	{ .name = "cluster", .write = 1, .fn = rs_cmd_cluster },
	{ 0 },
};

const struct admd_module rs_module = {
	.name = "cluster",
	.start = rs_start,
	.reload_check = rs_reload_check,
	.reload_apply = rs_reload_apply,
	.status = rs_status,
	.metrics = rs_metrics,
	.cmds = rs_cmds,
	.stop = rs_stop,
};
