// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Operator writes without a kernel: a live rate or burst (live.c, the
 * path of `admctl limits set`) gives exactly the GCRA parameters the
 * config file gives for the same values, one-tick floor included, and so
 * the same admitted rate on the data plane's coarse clock; and the
 * request checks and the control-socket form of every operation (ops.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "adm/gcra.h"
#include "config.h"
#include "live.h"
#include "ops.h"
#include "policy.h"
#include "util.h"

#define NS_PER_SEC	1000000000ULL
#define CONF_MAX	512

/* The adm_services value the config file gives for [service web] + lines. */
static struct adm_service from_config(const char *lines)
{
	struct adm_config *cfg = calloc(1, sizeof(*cfg));
	struct adm_service svc;
	char text[CONF_MAX], err[ADM_ERR_MAX];

	assert_non_null(cfg);
	snprintf(text, sizeof(text), "[service web]\nports = 80\n%s", lines);
	if (adm_config_parse_string(text, "test", cfg, err, sizeof(err)))
		fail_msg("config: %s", err);
	adm_policy_service(&cfg->svcs[0], &svc);
	free(cfg);
	return svc;
}

/* svc after `limits set web KEY VALUE`. */
static void live_set(struct adm_service *svc, const char *key, const char *value)
{
	struct adm_live_value v;
	char err[ADM_ERR_MAX];
	__u64 limit = 0;
	int k = adm_live_key_lookup(key, err, sizeof(err));

	assert_true(k >= 0);
	if (adm_live_parse("web", k, value, &v, err, sizeof(err)) ||
	    adm_live_apply(&v, svc, &limit, err, sizeof(err)))
		fail_msg("limits set web %s %s: %s", key, value, err);
}

/* The case: 1000/s with burst 1 set live = the config's 1000/s burst 1. */
static void test_burst_live_equals_config(void **state)
{
	static const struct { const char *rate, *burst; } cases[] = {
		{ "1000/s", "1" }, { "1000/s", "2" }, { "5000/s", "3" },
		{ "100/s", "1" }, { "20/s", "10" }, { "90/m", "4" },
		{ "1000000/s", "1" },
	};
	char lines[CONF_MAX];
	size_t i;

	(void)state;
	assert_true(adm_clock_tick_ns() > 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct adm_service want, got;

		snprintf(lines, sizeof(lines),
			 "new_conn_rate = %s\nnew_conn_burst = %s\npkt_rate = %s\npkt_burst = %s\n",
			 cases[i].rate, cases[i].burst, cases[i].rate, cases[i].burst);
		want = from_config(lines);
		/* Live: from a different burst, to the case's burst. */
		snprintf(lines, sizeof(lines),
			 "new_conn_rate = %s\nnew_conn_burst = 50\npkt_rate = %s\npkt_burst = 50\n",
			 cases[i].rate, cases[i].rate);
		got = from_config(lines);
		live_set(&got, "new_conn_burst", cases[i].burst);
		live_set(&got, "pkt_burst", cases[i].burst);
		assert_int_equal(got.syn.emission_ns, want.syn.emission_ns);
		assert_int_equal(got.syn.tau_ns, want.syn.tau_ns);
		assert_int_equal(got.pkt.emission_ns, want.pkt.emission_ns);
		assert_int_equal(got.pkt.tau_ns, want.pkt.tau_ns);
		/* Never below one tick: the floor the config applies. */
		assert_true(got.syn.tau_ns >= adm_clock_tick_ns());
	}
}

/* A live rate keeps the burst and converts as the config does. */
static void test_rate_live_equals_config(void **state)
{
	struct adm_service want, got;

	(void)state;
	want = from_config("new_conn_rate = 50/s\nnew_conn_burst = 20\n");
	got = from_config("new_conn_rate = 10/s\nnew_conn_burst = 20\n");
	live_set(&got, "new_conn_rate", "50/s");
	assert_int_equal(got.syn.emission_ns, want.syn.emission_ns);
	assert_int_equal(got.syn.tau_ns, want.syn.tau_ns);
}

/*
 * Admitted per second by one key under GCRA(emission, tau), offered
 * `offered` evenly spread events a second for `secs`, on a clock that
 * reads in steps of `tick` (the data plane's coarse clock).
 */
static unsigned long admitted_per_sec(__u64 emission, __u64 tau, __u64 tick,
				      unsigned long offered, unsigned int secs)
{
	unsigned long n = offered * secs, i, ok = 0;
	__u64 tat = 0, gap = NS_PER_SEC / offered, t0 = 1000 * NS_PER_SEC;

	for (i = 0; i < n; i++) {
		__u64 now = t0 + i * gap;

		now -= now % tick;
		ok += adm_gcra_conforms(tat, now, emission, tau, &tat);
	}
	return ok / secs;
}

/*
 * Why the floor matters: on a 4 ms clock, 1000/s with tau 0 (the old
 * live path) admits one event per tick, 250/s; with the config's floor
 * (tau = one tick) it admits the rate.
 */
static void test_floor_admits_the_rate(void **state)
{
	const __u64 tick = 4000000, emission = NS_PER_SEC / 1000;
	unsigned long without = admitted_per_sec(emission, 0, tick, 2000, 10);
	unsigned long with = admitted_per_sec(emission, tick, tick, 2000, 10);

	(void)state;
	assert_true(without >= 249 && without <= 251);
	assert_true(with >= 999 && with <= 1001);
}

static int check(const struct adm_op *op, const char *want_err)
{
	char err[ADM_ERR_MAX] = "";
	int rc = adm_op_check(op, err, sizeof(err));

	if (want_err && !strstr(err, want_err))
		fail_msg("want '%s' in '%s'", want_err, err);
	return rc;
}

static void test_op_check(void **state)
{
	struct adm_op op;

	(void)state;
	op = (struct adm_op){ .kind = ADM_OP_LIMITS_SET, .service = "web",
			      .key = "new_conn_burst", .value = "1" };
	assert_int_equal(check(&op, NULL), 0);
	snprintf(op.value, sizeof(op.value), "0");
	assert_int_equal(check(&op, "out of range"), -EINVAL);
	snprintf(op.key, sizeof(op.key), "ports");
	assert_int_equal(check(&op, "cannot change live"), -EINVAL);

	op = (struct adm_op){ .kind = ADM_OP_BREAKER, .breaker = ADM_BRK_OPEN };
	assert_int_equal(check(&op, "name the service (or --all)"), -EINVAL);
	op.all = 1;
	assert_int_equal(check(&op, NULL), 0);
	op = (struct adm_op){ .kind = ADM_OP_BREAKER, .breaker = ADM_BRK_HALF_OPEN,
			      .service = "web", .permille = 1000 };
	assert_int_equal(check(&op, "allowed: 1..999"), -EINVAL);
	op.permille = 999;
	assert_int_equal(check(&op, NULL), 0);
	op = (struct adm_op){ .kind = ADM_OP_BREAKER, .breaker = ADM_BRK_CLOSED };
	assert_int_equal(check(&op, NULL), 0);

	op = (struct adm_op){ .kind = ADM_OP_DEGRADE, .level = ADM_DEGRADE_MAX + 1 };
	assert_int_equal(check(&op, "allowed: 0..3"), -EINVAL);

	op = (struct adm_op){ .kind = ADM_OP_BLOCK_ADD, .value = "10.0.0.1/8" };
	assert_int_equal(check(&op, "is not a CIDR"), -EINVAL);
	op = (struct adm_op){ .kind = ADM_OP_BLOCK_ADD, .value = "10.0.0.0/8", .ttl = "4000d" };
	assert_int_equal(check(&op, "longer than 3650 days"), -EINVAL);
	op = (struct adm_op){ .kind = ADM_OP_BLOCK_DEL, .value = "10.0.0.0/8", .ttl = "5m" };
	assert_int_equal(check(&op, "--ttl only goes with add"), -EINVAL);
	op = (struct adm_op){ .kind = ADM_OP_ALLOW_ADD, .value = "fd77::/16", .ttl = "1h" };
	assert_int_equal(check(&op, NULL), 0);
}

/* Every operation survives its trip over the control socket unchanged. */
static void test_op_json_roundtrip(void **state)
{
	const struct adm_op ops[] = {
		{ .kind = ADM_OP_LIMITS_SET, .service = "web", .key = "conn_limit", .value = "200" },
		{ .kind = ADM_OP_BREAKER, .service = "web", .breaker = ADM_BRK_HALF_OPEN, .permille = 100 },
		{ .kind = ADM_OP_BREAKER, .all = 1, .breaker = ADM_BRK_OPEN },
		{ .kind = ADM_OP_BREAKER, .breaker = ADM_BRK_CLOSED },
		{ .kind = ADM_OP_MODE, .service = "api", .shadow = 1 },
		{ .kind = ADM_OP_MODE },
		{ .kind = ADM_OP_DEGRADE, .level = 2 },
		{ .kind = ADM_OP_BLOCK_ADD, .value = "203.0.113.0/24", .ttl = "10m" },
		{ .kind = ADM_OP_BLOCK_DEL, .value = "203.0.113.0/24" },
		{ .kind = ADM_OP_ALLOW_ADD, .value = "2001:db8::/32" },
		{ .kind = ADM_OP_ALLOW_DEL, .value = "198.51.100.7" },
	};
	char err[ADM_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		json_t *j = adm_op_to_json(&ops[i]);
		const char *cmd = json_string_value(json_object_get(j, "cmd"));
		struct adm_op back;

		assert_non_null(j);
		assert_string_equal(cmd, adm_op_cmd(ops[i].kind));
		if (adm_op_from_json(cmd, j, &back, err, sizeof(err)))
			fail_msg("%s: %s", cmd, err);
		assert_memory_equal(&back, &ops[i], sizeof(back));
		json_decref(j);
	}
}

static void test_op_from_json_refuses(void **state)
{
	char err[ADM_ERR_MAX];
	struct adm_op op;
	json_t *j;

	(void)state;
	j = json_pack("{s:s}", "cmd", "status");
	assert_int_equal(adm_op_from_json("status", j, &op, err, sizeof(err)), 1);
	json_decref(j);
	j = json_pack("{s:s, s:s}", "cmd", "limits_set", "service", "web");
	assert_int_equal(adm_op_from_json("limits_set", j, &op, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs \"key\""));
	json_decref(j);
	j = json_pack("{s:s, s:i}", "cmd", "degrade", "level", 9);
	assert_int_equal(adm_op_from_json("degrade", j, &op, err, sizeof(err)), -EINVAL);
	json_decref(j);
	j = json_pack("{s:s, s:s}", "cmd", "breaker", "state", "explode");
	assert_int_equal(adm_op_from_json("breaker", j, &op, err, sizeof(err)), -EINVAL);
	json_decref(j);
	j = json_pack("{s:s, s:i}", "cmd", "block_add", "cidr", 7);
	assert_int_equal(adm_op_from_json("block_add", j, &op, err, sizeof(err)), -EINVAL);
	json_decref(j);
	/* A service name longer than a service name can be. */
	j = json_pack("{s:s, s:s, s:s}", "cmd", "mode", "mode", "shadow", "service",
		      "a-service-name-that-is-much-too-long-for-adm");
	assert_int_equal(adm_op_from_json("mode", j, &op, err, sizeof(err)), -EINVAL);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_live_equals_config),
		cmocka_unit_test(test_rate_live_equals_config),
		cmocka_unit_test(test_floor_admits_the_rate),
		cmocka_unit_test(test_op_check),
		cmocka_unit_test(test_op_json_roundtrip),
		cmocka_unit_test(test_op_from_json_refuses),
	};

	return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
