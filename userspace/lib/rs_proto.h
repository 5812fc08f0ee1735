/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The cluster sync's wire contract with Redis (prefix rs_): the Lua script
 * one sync round runs (EVALSHA), the arguments a round sends and the reply
 * it gets, parsed strictly: a reply of the wrong shape or type is an error
 * that says what was wrong, never a crash or a half-applied round.
 *
 * Keys, all under "adm:{CLUSTER}:" (the hash tag keeps a cluster's keys in
 * one Redis Cluster slot): nodes (ZSET node -> heartbeat expiry, ms),
 * conc:SVC (HASH node -> "reserved live demand"), need:SVC (HASH node -> 1
 * while its gate refuses SYNs: it needs more than it holds), hits:SVC:WINDOW (HASH
 * source -> SYNs in that fixed window), blk + blkseq (ZSET of
 * "SVC|SOURCE|UNTIL_MS" by sequence number: the sources over their
 * cluster-wide rate), ops (STREAM of operator actions), opseen (HASH node
 * -> last action applied).
 */
#ifndef ADM_RS_PROTO_H
#define ADM_RS_PROTO_H

#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"

#define RS_KEY_PREFIX_MAX	96	/* "adm:{" CLUSTER "}:" */
#define RS_BLK_MAX		4096	/* blocks returned by one round */
#define RS_BLK_KEEP		100000	/* blocks kept in the log */
#define RS_OPS_MAX		64	/* operator actions returned by one round */
#define RS_OPS_KEEP		10000	/* actions kept in the stream (approximately) */
#define RS_OP_ID_MAX		48	/* "1700000000000-0" */
#define RS_SRC_TEXT_MAX		46	/* INET6_ADDRSTRLEN */

/* The round script (loaded with SCRIPT LOAD, run with EVALSHA). */
extern const char rs_script[];

/* One service's part of a round. */
struct rs_svc_in {
	const char *name;
	__u64 limit;		/* cluster-wide conn_limit, 0 = none */
	__u64 live;		/* what this node's gate counts: established + pending */
	__u64 demand;		/* SYNs that reached the concurrency gate last interval */
	__u64 need;		/* of these, refused by the gate (> 0: it needs more) */
	__u64 rate;		/* cluster_conn_rate count per window, 0 = none */
	__u64 window_ms;	/* its period */
	size_t n_src;		/* sources with a hit delta ... */
	const struct rs_src_delta *src;	/* ... these */
};

struct rs_src_delta {
	__u32 addr[4];		/* masked source address (IPv4-mapped) */
	__u64 delta;		/* SYNs since the last round, > 0 */
};

/* Arguments of one EVALSHA, built in one allocation-light vector. */
struct rs_args {
	size_t argc, cap;
	const char **argv;
	size_t *argvlen;
	char *text;		/* the numbers and addresses, NUL-separated */
	size_t text_len, text_cap;
	int oom;
};

/*
 * Build the EVALSHA of one round into a (reset first; free with
 * rs_args_free). last_op "" asks the store where this node stopped.
 * Returns 0 or -ENOMEM.
 */
int rs_args_round(struct rs_args *a, const char *cluster, const char *node,
		  __u64 ttl_ms, const char *last_op, __u64 last_blk,
		  const struct rs_svc_in *svcs, size_t n_svcs);
void rs_args_free(struct rs_args *a);

/* "adm:{CLUSTER}:" + suffix into buf; 0 or -ENAMETOOLONG. */
int rs_key(char *buf, size_t len, const char *cluster, const char *suffix);

struct rs_svc_out {
	__u64 reserved;		/* this node's limit: live + its share */
	__u64 cluster_live;	/* live connections of the live nodes */
	__u64 others;		/* capacity reserved by the other nodes */
	__u64 gate;		/* the limit to enforce (share_gate): <= reserved */
};

struct rs_block {
	char svc[ADM_META_NAME_LEN];
	__u32 addr[4];
	__s64 until_ms;		/* Redis clock */
};

struct rs_op {
	char id[RS_OP_ID_MAX];
	char *json;		/* the action, as stored (owned) */
};

struct rs_round_out {
	__s64 now_ms;		/* Redis clock (TIME) during the round */
	__u64 live_nodes;
	size_t n_svcs;
	struct rs_svc_out svc[ADM_MAX_SERVICES];
	__u64 blk_seq;		/* last block sequence returned (or the caller's) */
	size_t n_blocks;
	struct rs_block *blocks;	/* owned */
	size_t n_ops;
	struct rs_op ops[RS_OPS_MAX];
	char last_op[RS_OP_ID_MAX];
};

struct redisReply;
/*
 * Parse a round's reply for n_svcs services into out (zeroed first; free
 * with rs_round_free). Returns 0, or -1 with one sentence in err naming
 * what was wrong ("reply element 3: expected an array of 6 integers, got
 * a string"); on error out holds nothing to free.
 */
int rs_round_parse(const struct redisReply *r, size_t n_svcs, __u64 last_blk,
		   struct rs_round_out *out, char *err, size_t errlen);
void rs_round_free(struct rs_round_out *out);

/* The name of a hiredis reply type, for messages ("string", "error"...). */
const char *rs_reply_type(int type);

#endif /* ADM_RS_PROTO_H */
