/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test harness for the XDP programs: load adm_xdp (and adm_pass, the
 * benchmark floor) with every pin path cleared, so nothing is pinned or
 * reused; write policy; run one frame through BPF_PROG_TEST_RUN; read the
 * per-CPU statistics and the event ring buffer; reset the maps between
 * cases. Plus TAP output and assertions that name what they check and
 * return a bool, in the spirit of the kernel selftests' ASSERT_EQ.
 */
#ifndef ADM_TEST_HARNESS_H
#define ADM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"

#define H_MAX_FRAME	4096	/* > any frame BPF_PROG_TEST_RUN accepts in one page */
#define H_MAX_EVENTS	64	/* events kept per h_events_poll window */
#define H_NS_PER_SEC	1000000000ULL
#define H_NS_PER_MS	1000000ULL
#define H_MAX_PORT_KEYS	64	/* adm_ports keys remembered for h_reset */

struct adm_xdp_bpf;
struct adm_pass_bpf;
struct ring_buffer;

struct h_ctx {
	struct adm_xdp_bpf *skel;
	struct adm_pass_bpf *pass;	/* only after h_open_pass() */
	int xdp_fd;			/* adm_xdp program */
	int pass_fd;			/* adm_pass program, -1 until loaded */
	int ncpus;			/* possible CPUs: per-CPU value stride */
	int fd_services, fd_ports, fd_state, fd_conc, fd_src;
	int fd_allow, fd_deny, fd_stats, fd_events;
	struct ring_buffer *rb;
	struct adm_event events[H_MAX_EVENTS];
	int nevents;			/* records in events[] */
	int events_overflow;		/* records seen beyond H_MAX_EVENTS */
	__u32 port_keys[H_MAX_PORT_KEYS];	/* adm_ports keys h_add_service wrote */
	int nport_keys;
};

/* What one BPF_PROG_TEST_RUN returned. */
struct h_result {
	__u32 action;			/* XDP_* the program returned (the last run's) */
	__u32 duration;			/* kernel's mean ns per run */
	__u32 out_len;			/* bytes of frame in out[] */
	__u8 out[H_MAX_FRAME];
};

#define H_SKIP	1	/* h_open: no privilege to load BPF, reason in why */

/*
 * Open and load adm_xdp with every map's pin path cleared. Returns 0,
 * H_SKIP when the kernel refused for lack of privilege (EPERM), or a
 * negative errno; in the last two cases `why` says what happened and
 * nothing stays allocated.
 */
int h_open(struct h_ctx *h, char *why, size_t whylen);

/* Load adm_pass into h->pass / h->pass_fd. 0 or negative errno (why). */
int h_open_pass(struct h_ctx *h, char *why, size_t whylen);

/* Free everything h_open/h_open_pass created. Safe on a zeroed or closed ctx. */
void h_close(struct h_ctx *h);

/*
 * Return every map to its state after load: arrays zeroed, hash, LRU and
 * LPM maps emptied, the ring buffer drained and h->events cleared.
 * adm_ports is cleared by the keys h_add_service wrote (write it only
 * through h_add_service). 0 or negative errno.
 */
int h_reset(struct h_ctx *h);

/* Write adm_services[id] = *svc and adm_ports[(proto, port)] = id. 0 or -errno. */
int h_add_service(struct h_ctx *h, __u32 id, __u8 proto, __u16 port,
		  const struct adm_service *svc);
int h_set_state(struct h_ctx *h, __u32 id, const struct adm_state *st);
int h_set_conc(struct h_ctx *h, __u32 id, const struct adm_conc *c);

/*
 * The fingerprint key adm_xdp computes for text address `addr` under
 * service `id` (address IPv4-mapped and masked to the service's prefix,
 * sig 0). 0, or -EINVAL for a bad address.
 */
int h_fp_key(const struct adm_service *svc, __u32 id, const char *addr,
	     struct adm_fp_key *k);
/* Set one field of the source's adm_src entry (created if absent). 0 or -errno. */
int h_set_src_conc(struct h_ctx *h, const struct adm_fp_key *k, __u64 live);
int h_set_verified(struct h_ctx *h, const struct adm_fp_key *k, __u64 when_ns);

/* "10.77.1.0/24" or "fd77::/32" into adm_allow or adm_deny. 0 or -errno. */
int h_add_cidr(struct h_ctx *h, bool allow, const char *cidr, __u64 expires_ns);
/* adm_global_block[k] = *b; with mark, set adm_global's gblock bit first (as admd). */
int h_set_gblock(struct h_ctx *h, const struct adm_fp_key *k, const struct adm_gblock *b,
		 bool mark);

/*
 * Run prog_fd over the frame (len bytes) `repeat` times (0 = once).
 * Non-live mode: the input is copied into the kernel once and every
 * repetition runs on that same buffer, modified or not by the previous
 * run. A frame shorter than an Ethernet header is fed behind XDP
 * metadata (BPF_PROG_TEST_RUN wants 14 bytes of input); kernels that
 * also want 14 bytes after the metadata (6.18 does) answer -EINVAL.
 * 0 or negative errno.
 */
int h_run(struct h_ctx *h, int prog_fd, const void *frame, __u32 len,
	  __u32 repeat, struct h_result *r);

/* adm_stats[(svc, verdict, reason)] summed over CPUs. 0 or -errno. */
int h_stat(struct h_ctx *h, __u32 svc, __u32 verdict, __u32 reason,
	   struct adm_stat *out);

/* Every adm_stats entry summed over CPUs into all[ADM_STATS_ENTRIES]. 0 or -errno. */
int h_stats_read(struct h_ctx *h, struct adm_stat *all);

/* Consume the ring buffer into h->events (appending). Returns records read or -errno. */
int h_events_poll(struct h_ctx *h);
void h_events_clear(struct h_ctx *h);

/* File descriptor of adm_xdp's map called `name`, or -ENOENT. */
int h_map_fd(struct h_ctx *h, const char *name);

/*
 * Number of keys in the hash/LRU/LPM map called `name` (a partitioned
 * map, adm_rate or adm_pkt_rate: in all its partitions), or -errno.
 */
int h_map_count(struct h_ctx *h, const char *name);

/*
 * Service id's partition of the partitioned map `name` (part.h): a new fd
 * (caller closes) or -errno (-ENOENT: none); its number of keys; give it
 * `entries` entries (created, or replaced keeping what fits). h_add_service
 * creates the partitions a service's rates need (default size); h_reset
 * empties partitions but keeps them.
 */
int h_part_fd(struct h_ctx *h, const char *name, __u32 id);
int h_part_count(struct h_ctx *h, const char *name, __u32 id);
int h_part_size(struct h_ctx *h, const char *name, __u32 id, __u32 entries);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(). */
__u64 h_now_ns(void);
void h_sleep_ns(__u64 ns);

/* XDP action name for diagnostics ("?" when out of range). Verdict and
 * reason names come from libadm (util.h: adm_verdict_name, adm_reason_name). */
const char *h_action_name(__u32 xdp_action);

/*
 * TAP. tap_diag() lines are buffered and printed as "# ..." right after
 * the next tap_result() line, so a failure's explanation follows its
 * "not ok". tap_result() returns ok.
 */
void tap_plan(int n);
bool tap_result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *desc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_failures(void);

/* Assertions: each names what it checks, logs "# WHAT: expected X got Y" and returns a bool. */
bool h_assert_u64(bool ok, unsigned long long got, unsigned long long want,
		  const char *op, const char *what);
bool h_assert_ok(long long err, const char *what);	/* err is 0 or -errno */
bool h_assert_str(bool ok, const char *got, const char *want, const char *what);
bool h_assert_mem(const void *got, size_t got_len, const void *want,
		  size_t want_len, const char *what);

#define ASSERT_EQ(got, want, what) ({					\
	unsigned long long ___g = (got), ___w = (want);			\
	h_assert_u64(___g == ___w, ___g, ___w, "", (what));		\
})
#define ASSERT_GE(got, want, what) ({					\
	unsigned long long ___g = (got), ___w = (want);			\
	h_assert_u64(___g >= ___w, ___g, ___w, ">= ", (what));		\
})
#define ASSERT_OK(err, what) h_assert_ok((err), (what))
#define ASSERT_TRUE(cond, what) ({					\
	bool ___c = (cond);						\
	h_assert_u64(___c, ___c, 1, "", (what));			\
})
#define ASSERT_ACTION(got, want, what) ({				\
	__u32 ___g = (got), ___w = (want);				\
	h_assert_str(___g == ___w, h_action_name(___g),			\
		     h_action_name(___w), (what));			\
})
#define ASSERT_MEMEQ(got, glen, want, wlen, what)			\
	h_assert_mem((got), (glen), (want), (wlen), (what))

#endif /* ADM_TEST_HARNESS_H */
