// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cluster sync logic without a kernel: the share rule and its bound
 * (share.c), the store-failure limits, backoff with full jitter, and the
 * round reply parser (rs_proto.c) fed raw RESP through hiredis' reader,
 * garbage included. The script itself runs against a real Redis in
 * test_rs_script.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include "rs_proto.h"
#include "share.h"
#include "util.h"

/* A cluster of up to 4 nodes as the round script sees it. */
struct sim {
	int n;
	__u64 limit, res[4], live[4], dem[4];
	int need[4];
};

/* The rule's inputs for node i: the others' reservations, everyone's live, demand and need. */
static struct share_in sim_in(const struct sim *s, int i)
{
	struct share_in in = { .limit = s->limit, .live = s->live[i], .demand = s->dem[i],
			       .need = s->need[i] };
	int j;

	for (j = 0; j < s->n; j++) {
		in.wsum += s->dem[j] + 1;
		in.wsum_lend += s->need[j] ? s->dem[j] + 1 : 1;
		in.cluster_live += s->live[j];
		if (j != i)
			in.others += s->res[j];
	}
	for (j = 0; j < s->n; j++)
		in.owed += share_owed(s->limit, s->live[j], s->dem[j], s->need[j], in.wsum);
	return in;
}

/* Node i's round: its reservation; returns its gate. */
static __u64 sim_round(struct sim *s, int i)
{
	struct share_in in = sim_in(s, i);

	s->res[i] = share_reserve(&in);
	return share_gate(&in, s->res[i]);
}

static __u64 reserve(__u64 limit, __u64 others, __u64 cluster_live, __u64 live,
		     __u64 demand, int need, __u64 wsum, __u64 wsum_lend, __u64 owed)
{
	struct share_in in = { limit, others, cluster_live, wsum, wsum_lend, owed, live,
			       demand, need };

	return share_reserve(&in);
}

static void test_reserve_rule(void **state)
{
	(void)state;
	assert_int_equal(share_fair(100, 70, 103), 68);
	assert_int_equal(share_fair(100, 0, 1), 100);
	/* a wsum below our own weight is read as our own weight */
	assert_int_equal(share_fair(100, 9, 1), 100);
	assert_int_equal(share_owed(100, 40, 70, 1, 103), 28);
	assert_int_equal(share_owed(100, 40, 70, 0, 103), 0);	/* needs nothing more */
	assert_int_equal(share_owed(100, 80, 70, 1, 103), 0);	/* holds its share */
	/* alone, no demand: everything free is ours */
	assert_int_equal(reserve(100, 0, 0, 0, 0, 0, 1, 1, 0), 100);
	/* three idle nodes: a third of what is free */
	assert_int_equal(reserve(100, 0, 0, 0, 0, 0, 3, 3, 0), 33);
	/* three satisfied nodes: a third each whatever their demand */
	assert_int_equal(reserve(100, 0, 0, 0, 70, 0, 103, 3, 0), 33);
	/* 70/20/10 demand, all refused at their gates: the fair shares */
	assert_int_equal(reserve(100, 0, 0, 0, 70, 1, 103, 103, 99), 68);
	assert_int_equal(reserve(100, 68, 0, 0, 20, 1, 103, 103, 99), 20);
	assert_int_equal(reserve(100, 88, 0, 0, 10, 1, 103, 103, 99), 10);
	/* never what the others hold */
	assert_int_equal(reserve(100, 95, 0, 0, 70, 1, 103, 103, 99), 5);
	/* live connections are always kept, even over the limit */
	assert_int_equal(reserve(100, 90, 110, 20, 5, 1, 10, 10, 0), 20);
	/* 40 live elsewhere, 10 here, nobody owed: half of the 50 free is ours */
	assert_int_equal(reserve(100, 50, 50, 10, 0, 0, 2, 2, 0), 35);
	/* ... while the other (demand 4) is owed 30 of it: a sixth of the other 20 */
	assert_int_equal(reserve(100, 50, 50, 10, 0, 0, 5, 6, 30), 13);
	/* needing more, owed 40: the fair share (50) + half of the other 10 */
	assert_int_equal(reserve(100, 0, 50, 10, 0, 1, 2, 2, 40), 55);
	/* no limit: nothing to reserve */
	assert_int_equal(reserve(0, 0, 5, 5, 5, 1, 6, 6, 0), 0);
}

/*
 * The bound: nodes reserving one after the other, each from the others'
 * current reservations, with live counts anywhere up to their previous
 * reservation and any demand and need, never hold more than the limit
 * together.
 */
static void test_reserve_bound(void **state)
{
	struct sim s = { .n = 4, .limit = 100 };
	unsigned int seed = 7;
	int round, i, j;

	(void)state;
	for (round = 0; round < 20000; round++) {
		__u64 sum = 0, gate;

		i = rand_r(&seed) % 4;
		s.live[i] = s.res[i] ? rand_r(&seed) % (s.res[i] + 1) : 0;
		s.dem[i] = rand_r(&seed) % 50;
		s.need[i] = rand_r(&seed) % 2;
		gate = sim_round(&s, i);
		assert_true(s.res[i] >= s.live[i]);
		assert_true(gate <= s.res[i]);
		for (j = 0; j < 4; j++)
			sum += s.res[j];
		if (sum > s.limit)
			fail_msg("round %d: reservations sum to %llu > %llu", round,
				 (unsigned long long)sum, (unsigned long long)s.limit);
	}
}

static void test_gate(void **state)
{
	struct share_in in = { .limit = 100, .wsum = 103, .wsum_lend = 103 };

	(void)state;
	/* free capacity beyond what is owed: the gate is the reservation */
	in.cluster_live = 80, in.live = 33, in.demand = 20, in.owed = 10;
	assert_int_equal(share_gate(&in, 40), 40);
	/* owed more than is free, under its fair share (70 of 100): the reservation */
	in.cluster_live = 100, in.live = 37, in.demand = 70, in.owed = 31;
	assert_int_equal(share_gate(&in, 37), 37);
	/* owed more than is free, over its fair share (20): gate at the share */
	in.live = 33, in.demand = 20;
	assert_int_equal(share_gate(&in, 33), 20);
	in.cluster_live = 60, in.owed = 41;
	assert_int_equal(share_gate(&in, 33), 20);
	/* nobody owed anything (nobody refused): the reservation, full or not */
	in.cluster_live = 100, in.owed = 0;
	assert_int_equal(share_gate(&in, 33), 33);
	/* a lone node: its fair share is the whole limit */
	in = (struct share_in){ .limit = 100, .cluster_live = 100, .wsum = 1, .live = 100,
				.need = 1 };
	assert_int_equal(share_gate(&in, 100), 100);
	/* no cluster-wide limit */
	in = (struct share_in){ .cluster_live = 5, .wsum = 6, .live = 5, .demand = 5 };
	assert_int_equal(share_gate(&in, 5), 5);
}

/*
 * Free capacity moves within 3 intervals: three idle nodes hold a third
 * each; demand appears on node 0 only (its gate refuses), rounds in turn
 * 0, 1, 2. Node 0 is reserved its fair share at its second round.
 */
static void test_moves_in_3_intervals(void **state)
{
	struct sim s = { .n = 3, .limit = 100 };
	int r, i;

	(void)state;
	for (r = 0; r < 2; r++)
		for (i = 0; i < 3; i++)
			sim_round(&s, i);
	assert_int_equal(s.res[0] + s.res[1] + s.res[2], 99);
	s.live[0] = 33;			/* its clients fill its third at once */
	s.dem[0] = 70;
	s.need[0] = 1;
	sim_round(&s, 0);
	assert_int_equal(s.res[0], 34);	/* what the others do not reserve */
	sim_round(&s, 1);
	sim_round(&s, 2);
	assert_int_equal(s.res[1] + s.res[2], 0);	/* idle: fair shares of 1/73 round to 0 */
	s.live[0] = 34;
	sim_round(&s, 0);
	assert_true(s.res[0] >= share_fair(100, 70, 73));	/* 97, + 2 lent */
}

/*
 * Capacity held by live connections moves as they close: nodes 1 and 2
 * hold 33 each (more than their fair shares of 20 and 10) with demand
 * 20 and 10 refused at their gates, node 0 needs 70. Nodes 1 and 2 admit
 * nothing new (gate at their shares) while node 0 is owed; node 0 gets
 * what is not live elsewhere at its next round, and each closed
 * connection at the round after.
 */
static void test_moves_as_held_close(void **state)
{
	struct sim s = { .n = 3, .limit = 100, .res = { 33, 33, 33 }, .live = { 33, 33, 10 },
			 .dem = { 70, 20, 10 }, .need = { 1, 1, 1 } };
	__u64 g1, g2;

	(void)state;
	sim_round(&s, 0);
	assert_int_equal(s.res[0], 34);
	g1 = sim_round(&s, 1);
	g2 = sim_round(&s, 2);
	assert_int_equal(g1, 20);	/* 100 x 21 / 103 */
	assert_int_equal(s.res[1], 33);
	assert_int_equal(g2, 10);	/* under its share: the reservation */
	assert_int_equal(s.res[2], 10);
	s.live[0] = 34;
	sim_round(&s, 0);
	assert_int_equal(s.res[0], 57);	/* 100 - 33 - 10 */
	s.live[1] = 20;			/* node 1's connections close, not refilled */
	sim_round(&s, 1);
	assert_int_equal(s.res[1], 20);
	s.live[0] = 57;
	sim_round(&s, 0);
	assert_true(s.res[0] >= 68);	/* its fair share (+ 1 lent) */
	assert_true(s.res[0] + s.res[1] + s.res[2] <= 100);
}

/*
 * Idle capacity is lent: a node of short requests (many SYNs, 10 live,
 * nothing refused) beside a node of long ones (few SYNs, refused): the
 * busy-but-satisfied node is owed nothing, so the other is not gated
 * at its small fair share and grows into what is free.
 */
static void test_lends_idle_capacity(void **state)
{
	struct sim s = { .n = 2, .limit = 100, .res = { 50, 50 }, .live = { 10, 50 },
			 .dem = { 100, 5 }, .need = { 0, 1 } };
	__u64 g;
	int r;

	(void)state;
	for (r = 0; r < 10; r++) {
		sim_round(&s, 0);
		g = sim_round(&s, 1);
		assert_true(g == s.res[1]);
		s.live[1] = g;		/* its clients fill what it is given */
	}
	print_message("# long-lived node holds %llu, the other reserves %llu (live 10)\n",
		      (unsigned long long)s.res[1], (unsigned long long)s.res[0]);
	assert_true(s.res[1] >= 85);
}

/*
 * Capacity follows demand under churn: three nodes start full at an even
 * split (33/33/33) with demand 70/20/10 SYNs an interval, every gate
 * refusing; every interval a fifth of each node's connections close and
 * its clients refill up to its gate, rounds in turn. The busy node's
 * gate reaches its fair share (68) as soon as the others' connections
 * have closed down to their shares (a fifth a round: 7 rounds), and the
 * reservations never sum past the limit.
 */
static void test_gate_converges(void **state)
{
	struct sim s = { .n = 3, .limit = 100, .res = { 33, 33, 33 }, .live = { 33, 33, 33 },
			 .dem = { 70, 20, 10 }, .need = { 1, 1, 1 } };
	__u64 gate[3] = { 33, 33, 33 };
	int r, i, j, reached = -1;

	(void)state;
	for (r = 0; r < 20 && reached < 0; r++) {
		for (i = 0; i < 3; i++) {
			__u64 sum = 0;

			s.live[i] -= s.live[i] / 5;		/* closes */
			if (s.live[i] < gate[i])
				s.live[i] = gate[i];		/* its clients refill */
			gate[i] = sim_round(&s, i);
			assert_true(gate[i] <= s.res[i]);
			for (j = 0; j < 3; j++)
				sum += s.res[j];
			assert_true(sum <= s.limit);
		}
		if (gate[0] >= 68)
			reached = r;
	}
	print_message("# busy node's gate %llu (%llu/%llu) after %d rounds each\n",
		      (unsigned long long)gate[0], (unsigned long long)gate[1],
		      (unsigned long long)gate[2], r);
	assert_true(reached >= 0 && reached <= 7);
}

static void test_limit_modes(void **state)
{
	(void)state;
	assert_int_equal(share_limit(SHARE_SYNCED, 100, 40, 1, 3), 40);
	assert_int_equal(share_limit(SHARE_LOCAL_SHARE, 100, 40, 1, 3), 40);
	assert_int_equal(share_limit(SHARE_LOCAL_SHARE, 100, 0, 0, 3), 33);
	assert_int_equal(share_limit(SHARE_LOCAL_SHARE, 2, 0, 0, 3), 1);
	assert_int_equal(share_limit(SHARE_LOCAL_SHARE, 100, 0, 0, 0), 100);
	assert_int_equal(share_limit(SHARE_OPEN, 100, 40, 1, 3), 100);
	assert_true(share_limit(SHARE_CLOSED, 100, 40, 1, 3) == ADM_CONC_REFUSE_ALL);
	assert_true(share_limit(SHARE_CLOSED, 0, 0, 0, 3) == ADM_CONC_REFUSE_ALL);
	assert_int_equal(share_limit(SHARE_OPEN, 0, 0, 0, 3), 0);
	assert_string_equal(share_mode_name(SHARE_LOCAL_SHARE), "local-share");
	assert_string_equal(share_mode_name(SHARE__MAX), "?");
}

static void test_backoff(void **state)
{
	(void)state;
	/* full jitter: rnd picks within [0, ceiling], at least 1 ms */
	assert_int_equal(share_backoff_ms(1, 100, 5000, 0), 1);
	assert_int_equal(share_backoff_ms(1, 100, 5000, 0xffffffffU), 99);
	assert_int_equal(share_backoff_ms(2, 100, 5000, 0x80000000U), 100);
	assert_int_equal(share_backoff_ms(3, 100, 5000, 0x80000000U), 200);
	assert_int_equal(share_backoff_ms(6, 100, 5000, 0x80000000U), 1600);
	/* capped */
	assert_int_equal(share_backoff_ms(7, 100, 5000, 0x80000000U), 2500);
	assert_int_equal(share_backoff_ms(1000, 100, 5000, 0xffffffffU), 4999);
}

/* Parse RESP text as one reply. The caller frees it. */
static redisReply *resp(const char *text)
{
	redisReader *rd = redisReaderCreate();
	void *r = NULL;

	assert_non_null(rd);
	assert_int_equal(redisReaderFeed(rd, text, strlen(text)), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &r), REDIS_OK);
	assert_non_null(r);
	redisReaderFree(rd);
	return r;
}

/* A good reply for 2 services: one block, one action. */
#define GOOD_HEAD	"*6\r\n:1700000000123\r\n:3\r\n*8\r\n:40\r\n:55\r\n:30\r\n:35\r\n:0\r\n:0\r\n:0\r\n:0\r\n"
#define GOOD_BLOCKS	"*2\r\n$25\r\nweb|10.77.1.9|17000000010\r\n$1\r\n7\r\n"
#define GOOD_OPS	"*2\r\n$15\r\n1700000000000-0\r\n$16\r\n{\"action\":\"x\"}  \r\n"
#define GOOD_LAST	"$15\r\n1700000000000-0\r\n"

static void test_parse_good(void **state)
{
	redisReply *r = resp(GOOD_HEAD GOOD_BLOCKS GOOD_OPS GOOD_LAST);
	struct rs_round_out out;
	char err[256] = "";
	char want[4][16] = {};

	(void)state;
	(void)want;
	if (rs_round_parse(r, 2, 5, &out, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_int_equal(out.now_ms, 1700000000123LL);
	assert_int_equal(out.live_nodes, 3);
	assert_int_equal(out.svc[0].reserved, 40);
	assert_int_equal(out.svc[0].cluster_live, 55);
	assert_int_equal(out.svc[0].others, 30);
	assert_int_equal(out.svc[0].gate, 35);
	assert_int_equal(out.n_blocks, 1);
	assert_string_equal(out.blocks[0].svc, "web");
	assert_int_equal(out.blocks[0].until_ms, 17000000010LL);
	assert_int_equal(out.blocks[0].addr[2], htonl(0xffff));
	assert_int_equal(out.blocks[0].addr[3], htonl(0x0a4d0109));
	assert_int_equal(out.blk_seq, 7);
	assert_int_equal(out.n_ops, 1);
	assert_string_equal(out.ops[0].id, "1700000000000-0");
	assert_string_equal(out.ops[0].json, "{\"action\":\"x\"}  ");
	assert_string_equal(out.last_op, "1700000000000-0");
	rs_round_free(&out);
	freeReplyObject(r);
}

struct bad_reply {
	const char *what;
	const char *resp;
	const char *err;
};

static const struct bad_reply bad_replies[] = {
	{ "script error", "-ERR user_script:1: WRONGTYPE Operation against a key\r\n",
	  "script error: ERR user_script:1: WRONGTYPE" },
	{ "status instead of array", "+OK\r\n",
	  "expected an array of 6 elements, got a status" },
	{ "integer instead of array", ":1\r\n", "expected an array of 6 elements, got an integer" },
	{ "short array", "*2\r\n:1\r\n:2\r\n", "expected an array of 6 elements, got an array of another length" },
	{ "time as string", "*6\r\n$1\r\n1\r\n:3\r\n*0\r\n*0\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 1 (time): expected a positive integer, got a string" },
	{ "zero nodes", "*6\r\n:1\r\n:0\r\n*0\r\n*0\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 2 (live nodes): expected an integer >= 1, got an integer" },
	{ "services: wrong count", "*6\r\n:1\r\n:1\r\n*3\r\n:1\r\n:1\r\n:1\r\n*0\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 3 (services): expected an array of 8 integers, got an array" },
	{ "services: nil inside", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n$-1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*0\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 3 (services), item 2: expected an integer >= 0, got nil" },
	{ "services: negative", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:-4\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*0\r\n*0\r\n$3\r\n0-0\r\n",
	  "item 2: expected an integer >= 0, got an integer" },
	{ "blocks: odd", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*1\r\n$1\r\nx\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 4 (blocks): expected an array of member/score pairs" },
	{ "blocks: bad address", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*2\r\n$13\r\nweb|10.77.1|9\r\n$1\r\n1\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 4 (blocks), item 1: expected \"SERVICE|ADDRESS|UNTIL_MS\"" },
	{ "blocks: no until", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*2\r\n$13\r\nweb|10.77.1.9\r\n$1\r\n1\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 4 (blocks), item 1" },
	{ "blocks: score not a number", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*2\r\n$15\r\nweb|10.77.1.9|5\r\n$3\r\nabc\r\n*0\r\n$3\r\n0-0\r\n",
	  "reply element 4 (blocks), item 1" },
	{ "ops: integer id", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*0\r\n*2\r\n:5\r\n$2\r\n{}\r\n$3\r\n0-0\r\n",
	  "reply element 5 (actions), item 1: expected an id and a string" },
	{ "last op nil", "*6\r\n:1\r\n:1\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n*0\r\n*0\r\n$-1\r\n",
	  "reply element 6 (last action id): expected a string, got nil" },
};

static void test_parse_bad(void **state)
{
	const struct bad_reply *b = *state;
	redisReply *r = resp(b->resp);
	struct rs_round_out out;
	char err[256] = "";

	assert_int_equal(rs_round_parse(r, 2, 0, &out, err, sizeof(err)), -1);
	if (!strstr(err, b->err))
		fail_msg("error:    %s\nexpected: %s", err, b->err);
	assert_null(out.blocks);
	assert_int_equal(out.n_ops, 0);
	freeReplyObject(r);
}

static void test_parse_null(void **state)
{
	struct rs_round_out out;
	char err[64];

	(void)state;
	assert_int_equal(rs_round_parse(NULL, 1, 0, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "no reply");
}

static void test_args(void **state)
{
	struct rs_src_delta src[2] = {
		{ .addr = { 0, 0, htonl(0xffff), htonl(0x0a4d0001) }, .delta = 3 },
		{ .addr = { htonl(0xfd770000), 0, 0, htonl(1) }, .delta = 1 },
	};
	struct rs_svc_in in[2] = {
		{ .name = "web", .limit = 100, .live = 4, .demand = 9, .need = 2, .rate = 20,
		  .window_ms = 1000, .n_src = 2, .src = src },
		{ .name = "api" },
	};
	static const char *const want[] = {
		"EVALSHA", "", "1", "adm:{c1}:", "n1", "1000", "", "42", "2",
		"web", "100", "4", "9", "2", "20", "1000", "2", "10.77.0.1", "3", "fd77::1", "1",
		"api", "0", "0", "0", "0", "0", "1000", "0",
	};
	struct rs_args a = {};
	char key[RS_KEY_PREFIX_MAX];
	size_t i;

	(void)state;
	assert_int_equal(rs_args_round(&a, "c1", "n1", 1000, "", 42, in, 2), 0);
	assert_int_equal(a.argc, ADM_ARRAY_SIZE(want));
	for (i = 0; i < a.argc; i++) {
		assert_int_equal(a.argvlen[i], strlen(want[i]));
		assert_memory_equal(a.argv[i], want[i], a.argvlen[i]);
	}
	/* rebuilt into the same vector */
	assert_int_equal(rs_args_round(&a, "c1", "n1", 1000, "1-0", 0, in + 1, 1), 0);
	assert_int_equal(a.argc, 17);
	rs_args_free(&a);
	assert_int_equal(rs_key(key, sizeof(key), "c1", "nodes"), 0);
	assert_string_equal(key, "adm:{c1}:nodes");
}

static void test_report_min(void **state)
{
	(void)state;
	assert_int_equal(share_report_min(10, 3), 2);	/* ceil(10 / 6) */
	assert_int_equal(share_report_min(100, 1), 50);
	assert_int_equal(share_report_min(100, 0), 50);
	assert_int_equal(share_report_min(5, 4), 1);
	assert_int_equal(share_report_min(0, 4), 1);
	assert_int_equal(share_report_min(1000000, 100), 5000);
}

static const struct CMUnitTest fixed[] = {
	cmocka_unit_test(test_report_min),
	cmocka_unit_test(test_reserve_rule),
	cmocka_unit_test(test_reserve_bound),
	cmocka_unit_test(test_gate),
	cmocka_unit_test(test_moves_in_3_intervals),
	cmocka_unit_test(test_moves_as_held_close),
	cmocka_unit_test(test_lends_idle_capacity),
	cmocka_unit_test(test_gate_converges),
	cmocka_unit_test(test_limit_modes),
	cmocka_unit_test(test_backoff),
	cmocka_unit_test(test_parse_good),
	cmocka_unit_test(test_parse_null),
	cmocka_unit_test(test_args),
};

int main(void)
{
	struct CMUnitTest tests[ADM_ARRAY_SIZE(fixed) + ADM_ARRAY_SIZE(bad_replies)];
	size_t i, n = 0;

	for (i = 0; i < ADM_ARRAY_SIZE(fixed); i++)
		tests[n++] = fixed[i];
	for (i = 0; i < ADM_ARRAY_SIZE(bad_replies); i++) {
		struct CMUnitTest t = {
			.name = bad_replies[i].what,
			.test_func = test_parse_bad,
			.initial_state = (void *)&bad_replies[i],
		};

		tests[n++] = t;
	}
	return cmocka_run_group_tests_name("cluster", tests, NULL, NULL);
}
