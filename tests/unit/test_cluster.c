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

static void test_reserve_rule(void **state)
{
	(void)state;
	/* alone, no demand: everything free is ours */
	assert_int_equal(share_reserve(100, 0, 0, 0, 0, 1), 100);
	/* three idle nodes: a third of what is free */
	assert_int_equal(share_reserve(100, 0, 0, 0, 0, 3), 33);
	/* 70/20/10 demand: proportional to demand + 1 */
	assert_int_equal(share_reserve(100, 0, 0, 0, 70, 103), 68);
	assert_int_equal(share_reserve(100, 68, 0, 0, 20, 103), 20);
	assert_int_equal(share_reserve(100, 88, 0, 0, 10, 103), 10);
	/* never what the others hold */
	assert_int_equal(share_reserve(100, 95, 0, 0, 70, 103), 5);
	/* live connections are always kept, even over the limit */
	assert_int_equal(share_reserve(100, 90, 110, 20, 5, 10), 20);
	/* 40 live elsewhere, 10 here: 50 free, half of it ours */
	assert_int_equal(share_reserve(100, 50, 50, 10, 0, 2), 35);
	/* no limit: nothing to reserve */
	assert_int_equal(share_reserve(0, 0, 5, 5, 5, 6), 0);
	/* a wsum below our own weight is read as our own weight */
	assert_int_equal(share_reserve(100, 0, 0, 0, 9, 1), 100);
}

/*
 * The bound: nodes reserving one after the other, each from the others'
 * current reservations, with live counts anywhere up to their previous
 * reservation, never hold more than the limit together.
 */
static void test_reserve_bound(void **state)
{
	__u64 res[4] = {}, live[4] = {}, dem[4] = {}, limit = 100;
	unsigned int seed = 7;
	int round, i, j;

	(void)state;
	for (round = 0; round < 20000; round++) {
		__u64 others = 0, wsum = 0, sum = 0, total = 0;

		i = rand_r(&seed) % 4;
		live[i] = res[i] ? rand_r(&seed) % (res[i] + 1) : 0;
		dem[i] = rand_r(&seed) % 50;
		for (j = 0; j < 4; j++) {
			wsum += dem[j] + 1;
			total += live[j];
			if (j != i)
				others += res[j];
		}
		res[i] = share_reserve(limit, others, total, live[i], dem[i], wsum);
		assert_true(res[i] >= live[i]);
		for (j = 0; j < 4; j++)
			sum += res[j];
		if (sum > limit)
			fail_msg("round %d: reservations sum to %llu > %llu", round,
				 (unsigned long long)sum, (unsigned long long)limit);
	}
}

static void test_gate(void **state)
{
	(void)state;
	/* free capacity left: the gate is the reservation */
	assert_int_equal(share_gate(100, 40, 80, 33, 20, 103), 40);
	/* full, under its fair share (70 of 100): the reservation */
	assert_int_equal(share_gate(100, 37, 100, 37, 70, 103), 37);
	/* full, over its fair share (20): gate at the share, below what it holds */
	assert_int_equal(share_gate(100, 33, 100, 33, 20, 103), 20);
	/* nearly full (free <= 5%) counts as full */
	assert_int_equal(share_gate(100, 33, 96, 33, 20, 103), 20);
	assert_int_equal(share_gate(100, 33, 94, 33, 20, 103), 33);
	/* a lone node: its fair share is the whole limit */
	assert_int_equal(share_gate(100, 100, 100, 100, 0, 1), 100);
	/* no cluster-wide limit */
	assert_int_equal(share_gate(0, 5, 5, 5, 5, 6), 5);
}

/*
 * Capacity follows demand under churn: three nodes start full at an even
 * split (33/33/33) with demand 70/20/10 SYNs an interval; every interval
 * a fifth of each node's connections close and its clients refill up to
 * its gate, rounds in turn. The busy node reaches >= 55 of 100 within 20
 * rounds of each node, and the gates never sum past the limit.
 */
static void test_gate_converges(void **state)
{
	__u64 res[3] = { 33, 33, 33 }, gate[3] = { 33, 33, 33 }, live[3] = { 33, 33, 33 };
	__u64 dem[3] = { 70, 20, 10 }, limit = 100;
	int r, i, j, reached = -1;

	(void)state;
	for (r = 0; r < 20 && reached < 0; r++) {
		for (i = 0; i < 3; i++) {
			__u64 others = 0, total = 0, wsum = 0, sum = 0;

			live[i] -= live[i] / 5;			/* closes */
			if (live[i] < gate[i])
				live[i] = gate[i];		/* its clients refill */
			for (j = 0; j < 3; j++) {
				wsum += dem[j] + 1;
				total += live[j];
				if (j != i)
					others += res[j];
			}
			res[i] = share_reserve(limit, others, total, live[i], dem[i], wsum);
			gate[i] = share_gate(limit, res[i], total, live[i], dem[i], wsum);
			assert_true(gate[i] <= res[i]);
			for (j = 0; j < 3; j++)
				sum += res[j];
			assert_true(sum <= limit);
		}
		if (gate[0] >= 55)
			reached = r;
	}
	print_message("# busy node's gate %llu (%llu/%llu) after %d rounds each\n",
		      (unsigned long long)gate[0], (unsigned long long)gate[1],
		      (unsigned long long)gate[2], r);
	assert_true(reached >= 0);
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
		{ .name = "web", .limit = 100, .live = 4, .demand = 9, .rate = 20,
		  .window_ms = 1000, .n_src = 2, .src = src },
		{ .name = "api" },
	};
	static const char *const want[] = {
		"EVALSHA", "", "1", "adm:{c1}:", "n1", "1000", "", "42", "2",
		"web", "100", "4", "9", "20", "1000", "2", "10.77.0.1", "3", "fd77::1", "1",
		"api", "0", "0", "0", "0", "1000", "0",
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
	assert_int_equal(a.argc, 16);
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
