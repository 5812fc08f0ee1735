// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cluster round script (userspace/lib/rs_proto.c) run against a real
 * redis-server the test starts on a unix socket in a temp dir (stopped by
 * pid at the end): reservations against the C statement of the rule and
 * their bound, demand moving capacity, a dead node's capacity coming back
 * after its TTL, cluster-wide source rates, stored operator actions, and
 * a key of the wrong type. Skips (saying why) without redis-server.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include "rs_proto.h"
#include "share.h"
#include "util.h"

#define WAIT_MS		5000

static char dir[64], sock[128];
static pid_t redis_pid = -1;
static redisContext *rc;
static char sha[48];
static int cluster_no;
static char cluster[32];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int start_redis(void **state)
{
	struct stat st;
	redisReply *r;
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/adm-rs-unit.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	redis_pid = fork();
	if (redis_pid == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
		       "--dir", dir, "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < WAIT_MS / 10 && stat(sock, &st); i++)
		sleep_ms(10);
	rc = redisConnectUnix(sock);
	if (!rc || rc->err)
		return -1;
	r = redisCommand(rc, "SCRIPT LOAD %s", rs_script);
	if (!r || r->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "SCRIPT LOAD: %s\n", r ? r->str : rc->errstr);
		return -1;
	}
	snprintf(sha, sizeof(sha), "%s", r->str);
	freeReplyObject(r);
	return 0;
}

static int stop_redis(void **state)
{
	(void)state;
	if (rc)
		redisFree(rc);
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	unlink(sock);
	rmdir(dir);
	return 0;
}

/* A fresh cluster name per test: no state carried over. */
static int fresh(void **state)
{
	(void)state;
	snprintf(cluster, sizeof(cluster), "t%d", ++cluster_no);
	return 0;
}

/* One round of `node`; the reply must parse. */
static void round_of(const char *node, __u64 ttl_ms, const char *last_op,
		     __u64 last_blk, const struct rs_svc_in *in, size_t n,
		     struct rs_round_out *out)
{
	struct rs_args a = {};
	char err[256];
	redisReply *r;

	assert_int_equal(rs_args_round(&a, cluster, node, ttl_ms, last_op, last_blk, in, n), 0);
	a.argv[1] = sha;
	a.argvlen[1] = strlen(sha);
	r = redisCommandArgv(rc, a.argc, a.argv, a.argvlen);
	assert_non_null(r);
	if (rs_round_parse(r, n, last_blk, out, err, sizeof(err)))
		fail_msg("round of %s: %s", node, err);
	freeReplyObject(r);
	rs_args_free(&a);
}

/* Every reservation is the C rule applied to what the others held; the sum stays within the limit. */
static void test_reserve_matches_c(void **state)
{
	static const char *const nodes[] = { "n1", "n2", "n3" };
	__u64 res[3] = {}, live[3] = {}, dem[3] = {}, limit = 100;
	int seen[3] = {}, need[3] = {};
	unsigned int seed = 11;
	int round, i, j;

	(void)state;
	for (round = 0; round < 300; round++) {
		struct rs_svc_in in = { .name = "web", .limit = limit };
		struct share_in c = { .limit = limit };
		struct rs_round_out out;
		__u64 sum = 0, want;

		i = rand_r(&seed) % 3;
		live[i] = res[i] ? rand_r(&seed) % (res[i] + 1) : 0;
		dem[i] = rand_r(&seed) % 40;
		need[i] = rand_r(&seed) % 2;
		in.live = live[i];
		in.demand = dem[i];
		in.need = need[i] ? 1 + rand_r(&seed) % 5 : 0;
		seen[i] = 1;
		for (j = 0; j < 3; j++) {
			if (!seen[j])
				continue;
			if (j != i)
				c.others += res[j];
			c.cluster_live += live[j];
			c.wsum += dem[j] + 1;
			c.wsum_lend += need[j] ? dem[j] + 1 : 1;
		}
		for (j = 0; j < 3; j++)
			if (seen[j])
				c.owed += share_owed(limit, live[j], dem[j], need[j], c.wsum);
		c.live = live[i];
		c.demand = dem[i];
		c.need = need[i];
		want = share_reserve(&c);
		round_of(nodes[i], 60000, "", 0, &in, 1, &out);
		if (out.svc[0].reserved != want)
			fail_msg("round %d node %s: script reserved %llu, rule says %llu",
				 round, nodes[i], (unsigned long long)out.svc[0].reserved,
				 (unsigned long long)want);
		want = share_gate(&c, want);
		if (out.svc[0].gate != want)
			fail_msg("round %d node %s: script gate %llu, rule says %llu",
				 round, nodes[i], (unsigned long long)out.svc[0].gate,
				 (unsigned long long)want);
		assert_int_equal(out.svc[0].others, c.others);
		res[i] = out.svc[0].reserved;
		for (j = 0; j < 3; j++)
			sum += res[j];
		assert_true(sum <= limit);
		rs_round_free(&out);
	}
}

/* Capacity follows demand: a node with all the demand holds most of the limit within 3 rounds each. */
static void test_demand_moves_capacity(void **state)
{
	static const char *const nodes[] = { "a", "b", "c" };
	__u64 dem[3] = { 0, 0, 0 }, res[3] = {};
	int r, i;

	(void)state;
	/* idle: a third each */
	for (r = 0; r < 2; r++)
		for (i = 0; i < 3; i++) {
			struct rs_svc_in in = { .name = "web", .limit = 99, .demand = dem[i] };
			struct rs_round_out out;

			round_of(nodes[i], 60000, "", 0, &in, 1, &out);
			res[i] = out.svc[0].reserved;
			rs_round_free(&out);
		}
	assert_true(res[0] + res[1] + res[2] <= 99);
	/* node a gets 70 SYNs an interval, b 20, c 10; nothing is live yet */
	dem[0] = 70;
	dem[1] = 20;
	dem[2] = 10;
	for (r = 0; r < 3; r++)
		for (i = 0; i < 3; i++) {
			struct rs_svc_in in = { .name = "web", .limit = 99, .demand = dem[i],
						.need = dem[i] };
			struct rs_round_out out;

			round_of(nodes[i], 60000, "", 0, &in, 1, &out);
			res[i] = out.svc[0].reserved;
			rs_round_free(&out);
		}
	print_message("# reservations after 3 rounds of 70/20/10 demand: %llu/%llu/%llu\n",
		      (unsigned long long)res[0], (unsigned long long)res[1],
		      (unsigned long long)res[2]);
	assert_true(res[0] >= 60);
	assert_true(res[0] + res[1] + res[2] >= 90);
	assert_true(res[0] > res[1] && res[1] >= res[2]);
	assert_true(res[0] + res[1] + res[2] <= 99);
}

/* A node that stops heartbeating stops holding capacity after its TTL. */
static void test_dead_node(void **state)
{
	struct rs_svc_in in = { .name = "web", .limit = 100, .live = 60, .demand = 5 };
	struct rs_round_out out;

	(void)state;
	round_of("dying", 300, "", 0, &in, 1, &out);
	assert_int_equal(out.live_nodes, 1);
	rs_round_free(&out);
	in.live = 0;
	in.demand = 50;
	round_of("alive", 300, "", 0, &in, 1, &out);
	assert_int_equal(out.live_nodes, 2);
	assert_true(out.svc[0].reserved <= 40);
	rs_round_free(&out);
	sleep_ms(400);
	round_of("alive", 300, "", 0, &in, 1, &out);
	assert_int_equal(out.live_nodes, 1);
	assert_int_equal(out.svc[0].others, 0);
	assert_int_equal(out.svc[0].reserved, 100);
	rs_round_free(&out);
}

/* A source spreading its SYNs over nodes is blocked everywhere once the sum passes the rate. */
static void test_cluster_rate(void **state)
{
	struct rs_src_delta s = { .addr = { 0, 0, htonl(0xffff), htonl(0x0a4d0909) } };
	struct rs_svc_in in = { .name = "web", .rate = 10, .window_ms = 60000, .n_src = 1,
				.src = &s };
	struct rs_round_out out;
	__u64 blk[3] = {};
	static const char *const nodes[] = { "x", "y", "z" };
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		s.delta = 3;		/* 9 in total: under the rate */
		round_of(nodes[i], 60000, "", blk[i], &in, 1, &out);
		assert_int_equal(out.n_blocks, 0);
		blk[i] = out.blk_seq;
		rs_round_free(&out);
	}
	s.delta = 2;			/* 11: over */
	round_of("x", 60000, "", blk[0], &in, 1, &out);
	assert_int_equal(out.n_blocks, 1);
	assert_string_equal(out.blocks[0].svc, "web");
	assert_memory_equal(out.blocks[0].addr, s.addr, sizeof(s.addr));
	assert_true(out.blocks[0].until_ms > out.now_ms);
	assert_true(out.blocks[0].until_ms <= out.now_ms + 60000);
	blk[0] = out.blk_seq;
	rs_round_free(&out);
	/* the others learn it on their next round, without sending the source */
	in.n_src = 0;
	for (i = 1; i < 3; i++) {
		round_of(nodes[i], 60000, "", blk[i], &in, 1, &out);
		assert_int_equal(out.n_blocks, 1);
		blk[i] = out.blk_seq;
		rs_round_free(&out);
	}
	/* ... once */
	round_of("y", 60000, "", blk[1], &in, 1, &out);
	assert_int_equal(out.n_blocks, 0);
	rs_round_free(&out);
	/* more hits in the same window: no second block */
	in.n_src = 1;
	s.delta = 5;
	round_of("z", 60000, "", blk[2], &in, 1, &out);
	assert_int_equal(out.n_blocks, 0);
	rs_round_free(&out);
}

/* Stored actions reach every node once; a node that starts fresh resumes where it stopped. */
static void test_actions(void **state)
{
	struct rs_svc_in in = { .name = "web" };
	struct rs_round_out out;
	char key[RS_KEY_PREFIX_MAX], last[RS_OP_ID_MAX];
	redisReply *r;

	(void)state;
	round_of("p", 60000, "", 0, &in, 1, &out);
	assert_int_equal(out.n_ops, 0);
	assert_string_equal(out.last_op, "0-0");
	rs_round_free(&out);
	assert_int_equal(rs_key(key, sizeof(key), cluster, "ops"), 0);
	r = redisCommand(rc, "XADD %s * op %s", key, "{\"action\":\"degrade\",\"level\":1}");
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	freeReplyObject(r);
	round_of("p", 60000, "0-0", 0, &in, 1, &out);
	assert_int_equal(out.n_ops, 1);
	assert_string_equal(out.ops[0].json, "{\"action\":\"degrade\",\"level\":1}");
	snprintf(last, sizeof(last), "%s", out.last_op);
	rs_round_free(&out);
	round_of("p", 60000, last, 0, &in, 1, &out);
	assert_int_equal(out.n_ops, 0);
	rs_round_free(&out);
	/* a restarted node (no last id) resumes from the store: nothing new */
	round_of("p", 60000, "", 0, &in, 1, &out);
	assert_int_equal(out.n_ops, 0);
	rs_round_free(&out);
	/* a node that never saw the stream gets everything stored */
	round_of("q", 60000, "", 0, &in, 1, &out);
	assert_int_equal(out.n_ops, 1);
	rs_round_free(&out);
}

/* A key of the wrong type: the round fails with Redis' own words, nothing else. */
static void test_wrong_type(void **state)
{
	struct rs_svc_in in = { .name = "web", .limit = 10 };
	struct rs_args a = {};
	struct rs_round_out out;
	char key[RS_KEY_PREFIX_MAX], err[256] = "";
	redisReply *r;

	(void)state;
	assert_int_equal(rs_key(key, sizeof(key), cluster, "conc:web"), 0);
	r = redisCommand(rc, "SET %s garbage", key);
	freeReplyObject(r);
	assert_int_equal(rs_args_round(&a, cluster, "w", 1000, "", 0, &in, 1), 0);
	a.argv[1] = sha;
	a.argvlen[1] = strlen(sha);
	r = redisCommandArgv(rc, a.argc, a.argv, a.argvlen);
	assert_int_equal(rs_round_parse(r, 1, 0, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WRONGTYPE"));
	freeReplyObject(r);
	rs_args_free(&a);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reserve_matches_c, fresh),
		cmocka_unit_test_setup(test_demand_moves_capacity, fresh),
		cmocka_unit_test_setup(test_dead_node, fresh),
		cmocka_unit_test_setup(test_cluster_rate, fresh),
		cmocka_unit_test_setup(test_actions, fresh),
		cmocka_unit_test_setup(test_wrong_type, fresh),
	};

	if (system("command -v redis-server >/dev/null 2>&1")) {
		printf("1..1\nok 1 - rs_script # SKIP redis-server is not installed "
		       "(scripts/deps.sh installs it)\n");
		return 0;
	}
	return cmocka_run_group_tests_name("rs_script", tests, start_redis, stop_redis);
}
