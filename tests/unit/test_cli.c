// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What admctl and admd's control socket share, without a kernel:
 *  - live policy keys (userspace/lib/live.c): every invalid value gets the
 *    config file's own error sentence; valid values change exactly one
 *    field of the service's map value; rates and bursts print back in
 *    config syntax;
 *  - the control socket's default path from the pin root;
 *  - the audit record: JSON round trip, and the log line with its quoting;
 *  - the line protocol over a socketpair: one JSON object per line, long
 *    and malformed lines refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "adm/gcra.h"
#include "ctlproto.h"
#include "live.h"
#include "policy.h"
#include "util.h"

#define NS_PER_SEC	1000000000ULL
#define NS_PER_MIN	(60 * NS_PER_SEC)

/* ---------------------------------------------------------------- live keys: errors */

struct live_bad {
	const char *key;
	const char *value;
	const char *err;	/* exact sentence */
};

static const struct live_bad live_bad[] = {
	{ "conn_limit", "-1", "[service web] conn_limit = '-1': not a decimal number; allowed: 0..10000000 or auto" },
	{ "conn_limit", "10000001", "[service web] conn_limit = '10000001': out of range; allowed: 0..10000000 or auto" },
	{ "conn_limit", "99999999999999999999", "[service web] conn_limit = '99999999999999999999': out of range; allowed: 0..10000000 or auto" },
	{ "conn_limit", "lots", "[service web] conn_limit = 'lots': not a decimal number; allowed: 0..10000000 or auto" },
	{ "conn_limit", "+5", "[service web] conn_limit = '+5': not a decimal number; allowed: 0..10000000 or auto" },
	{ "conn_limit", "1e3", "[service web] conn_limit = '1e3': not a decimal number; allowed: 0..10000000 or auto" },
	{ "conn_limit", "auto", "[service web] conn_limit = 'auto' cannot change live; set it in the config file and run 'admctl reload'" },
	{ "fp_conn_limit", "1000001", "[service web] fp_conn_limit = '1000001': out of range; allowed: 0..1000000" },
	{ "new_conn_rate", "0/s", "[service web] new_conn_rate = '0/s': out of range; allowed: N/s or N/m (also N/sec, N/min) with N 1..1000000000, or off" },
	{ "new_conn_rate", "20", "[service web] new_conn_rate = '20': not a rate; allowed: N/s or N/m (also N/sec, N/min) with N 1..1000000000, or off" },
	{ "new_conn_rate", "5/h", "[service web] new_conn_rate = '5/h': not a rate; allowed: N/s or N/m (also N/sec, N/min) with N 1..1000000000, or off" },
	{ "new_conn_rate", "-5/s", "[service web] new_conn_rate = '-5/s': not a rate; allowed: N/s or N/m (also N/sec, N/min) with N 1..1000000000, or off" },
	{ "pkt_rate", "1000000001/s", "[service web] pkt_rate = '1000000001/s': out of range; allowed: N/s or N/m (also N/sec, N/min) with N 1..1000000000, or off" },
	{ "new_conn_burst", "0", "[service web] new_conn_burst = '0': out of range; allowed: 1..1000000" },
	{ "pkt_burst", "1000001", "[service web] pkt_burst = '1000001': out of range; allowed: 1..1000000" },
	{ "on_rate", "none", "[service web] on_rate = 'none': unknown value; allowed: drop, defer, reject, reply" },
	{ "on_conn_full", "REJECT", "[service web] on_conn_full = 'REJECT': unknown value; allowed: drop, defer, reject, reply" },
	{ "priority", "high", "[service web] priority = 'high': unknown value; allowed: sheddable, normal, critical" },
	/* What could break out of the one-line INI fragment is refused first. */
	{ "conn_limit", "5\n[service x]", "[service web] conn_limit = '5\n[service x]': not a value a config file could hold; see 'admctl limits set --help'" },
	{ "conn_limit", "5;6", "[service web] conn_limit = '5;6': not a value a config file could hold; see 'admctl limits set --help'" },
	{ "conn_limit", "5 # x", "[service web] conn_limit = '5 # x': not a value a config file could hold; see 'admctl limits set --help'" },
	{ "conn_limit", "", "[service web] conn_limit = '': not a value a config file could hold; see 'admctl limits set --help'" },
};

static void test_live_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(live_bad); i++) {
		const struct live_bad *c = &live_bad[i];
		struct adm_live_value v, keep;
		char err[ADM_ERR_MAX] = "";
		int key = adm_live_key_lookup(c->key, err, sizeof(err));

		assert_true(key >= 0);
		memset(&v, 0x5a, sizeof(v));
		keep = v;
		if (!adm_live_parse("web", key, c->value, &v, err, sizeof(err)))
			fail_msg("%s = '%s' accepted", c->key, c->value);
		if (strcmp(err, c->err))
			fail_msg("%s = '%s':\n got:  %s\n want: %s", c->key, c->value,
				 err, c->err);
		assert_memory_equal(&v, &keep, sizeof(v));	/* untouched */
	}
}

static void test_live_keys(void **state)
{
	char err[ADM_ERR_MAX];

	(void)state;
	assert_int_equal(adm_live_key_lookup("conn_limit", err, sizeof(err)), ADM_LIVE_CONN_LIMIT);
	assert_int_equal(adm_live_key_lookup("priority", err, sizeof(err)), ADM_LIVE_PRIORITY);
	assert_int_equal(adm_live_key_lookup("ports", err, sizeof(err)), -1);
	assert_string_equal(err, "'ports' cannot change live; edit the config file and run 'admctl reload'");
	assert_int_equal(adm_live_key_lookup("idle_timeout", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot change live"));
	assert_int_equal(adm_live_key_lookup("speed", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown key 'speed'; live keys: conn_limit, fp_conn_limit, "
			    "new_conn_rate, new_conn_burst, pkt_rate, pkt_burst, on_rate, "
			    "on_conn_full, priority");
	assert_null(adm_live_key_name(ADM_LIVE__MAX));
}

/* ---------------------------------------------------------------- live keys: effects */

/* A service as the policy writer would store it: 20/s burst 40, 100/s pkt. */
static struct adm_service base_service(void)
{
	struct adm_svc_config sc = {
		.new_conn_rate = { 20, NS_PER_SEC }, .new_conn_burst = 40,
		.pkt_rate = { 100, NS_PER_SEC }, .pkt_burst = 0,
		.on_rate = ADM_A_DROP, .on_conn_full = ADM_A_DEFER,
		.priority = ADM_PRIO_NORMAL, .fp_conn_limit = 5,
		.ipv4_prefix = 32, .ipv6_prefix = 64,
	};
	struct adm_service s;

	adm_policy_service(&sc, &s);
	return s;
}

static void set(struct adm_service *s, __u64 *limit, const char *key,
		const char *value)
{
	char err[ADM_ERR_MAX];
	struct adm_live_value v;
	int k = adm_live_key_lookup(key, err, sizeof(err));

	assert_true(k >= 0);
	if (adm_live_parse("web", k, value, &v, err, sizeof(err)))
		fail_msg("%s = %s: %s", key, value, err);
	if (adm_live_apply(&v, s, limit, err, sizeof(err)))
		fail_msg("%s = %s: %s", key, value, err);
}

static void text(const struct adm_service *s, __u64 limit, const char *key,
		 const char *want)
{
	char err[ADM_ERR_MAX], buf[64];

	adm_live_format(adm_live_key_lookup(key, err, sizeof(err)), s, limit, buf,
			sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("%s: got '%s', want '%s'", key, buf, want);
}

static void test_live_apply(void **state)
{
	struct adm_service s = base_service(), before;
	__u64 limit = 500;

	(void)state;
	text(&s, limit, "new_conn_rate", "20/s");
	text(&s, limit, "new_conn_burst", "40");
	text(&s, limit, "pkt_burst", "100");	/* default: the rate's count */

	/* conn_limit changes only the limit, nothing in the service. */
	before = s;
	set(&s, &limit, "conn_limit", "7");
	assert_int_equal(limit, 7);
	assert_memory_equal(&s, &before, sizeof(s));

	/* A new rate keeps the burst. */
	set(&s, &limit, "new_conn_rate", "50/s");
	assert_int_equal(s.syn.emission_ns, NS_PER_SEC / 50);
	assert_int_equal(s.syn.tau_ns, 39 * (NS_PER_SEC / 50));
	text(&s, limit, "new_conn_rate", "50/s");
	text(&s, limit, "new_conn_burst", "40");
	/* ... the burst changes alone ... */
	set(&s, &limit, "new_conn_burst", "3");
	assert_int_equal(s.syn.tau_ns, adm_gcra_tau(NS_PER_SEC / 50, 3));
	text(&s, limit, "new_conn_burst", "3");
	/* ... "off" turns the limit off, and a burst then has nothing to apply to. */
	set(&s, &limit, "new_conn_rate", "off");
	assert_int_equal(s.syn.emission_ns, 0);
	text(&s, limit, "new_conn_rate", "off");
	text(&s, limit, "new_conn_burst", "-");
	{
		char err[ADM_ERR_MAX];
		struct adm_live_value v;

		before = s;
		assert_int_equal(adm_live_parse("web", ADM_LIVE_NEW_CONN_BURST, "5", &v,
						err, sizeof(err)), 0);
		assert_int_equal(adm_live_apply(&v, &s, &limit, err, sizeof(err)), -1);
		assert_string_equal(err, "new_conn_rate is off for this service, so a burst "
				    "has nothing to apply to; set new_conn_rate first");
		assert_memory_equal(&s, &before, sizeof(s));
	}
	/* From off, a rate takes the config default burst: its count. */
	set(&s, &limit, "new_conn_rate", "7/min");
	text(&s, limit, "new_conn_rate", "7/m");
	text(&s, limit, "new_conn_burst", "7");

	set(&s, &limit, "on_rate", "reply");
	assert_int_equal(s.on_rate, ADM_A_REPLY);
	text(&s, limit, "on_rate", "reply");
	/* A TLS service (policy sets the flag) sends reply as reject. */
	s.flags |= ADM_SVC_TLS;
	set(&s, &limit, "on_conn_full", "reply");
	assert_int_equal(s.on_conn_full, ADM_A_REJECT);
	s.flags &= ~ADM_SVC_TLS;
	set(&s, &limit, "on_rate", "reject");
	assert_int_equal(s.on_rate, ADM_A_REJECT);
	set(&s, &limit, "on_conn_full", "drop");
	assert_int_equal(s.on_conn_full, ADM_A_DROP);
	set(&s, &limit, "priority", "critical");
	assert_int_equal(s.priority, ADM_PRIO_CRITICAL);
	text(&s, limit, "priority", "critical");
	set(&s, &limit, "fp_conn_limit", "0");
	assert_int_equal(s.fp_conn_limit, 0);
	set(&s, &limit, "pkt_rate", "30/m");
	text(&s, limit, "pkt_rate", "30/m");
	text(&s, limit, "pkt_burst", "100");
	/* Fields no live key names never change. */
	assert_int_equal(s.ipv4_prefix, 32);
	assert_int_equal(s.ipv6_prefix, 64);
	assert_int_equal(s.flags, ADM_SVC_ACTIVE);
}

struct rate_case {
	__u64 count, period_ns;
	const char *want;
};

static const struct rate_case rate_cases[] = {
	{ 0, 0, "off" },
	{ 1, NS_PER_SEC, "1/s" },
	{ 3, NS_PER_SEC, "3/s" },		/* emission truncated: 333333333 */
	{ 7, NS_PER_SEC, "7/s" },
	{ 1000000000, NS_PER_SEC, "1000000000/s" },
	{ 60, NS_PER_MIN, "1/s" },		/* the same rate */
	{ 7, NS_PER_MIN, "7/m" },
	{ 1, NS_PER_MIN, "1/m" },
	{ 90, NS_PER_MIN, "90/m" },
};

static void test_rate_text(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(rate_cases); i++) {
		const struct rate_case *c = &rate_cases[i];
		struct adm_rate r = { c->count, c->period_ns };
		struct adm_gcra g = adm_rate_to_gcra(&r, 0);
		char buf[32];

		adm_gcra_rate_text(&g, buf, sizeof(buf));
		if (strcmp(buf, c->want))
			fail_msg("%llu per %llu ns: got '%s', want '%s'",
				 (unsigned long long)c->count,
				 (unsigned long long)c->period_ns, buf, c->want);
	}
}

/* ---------------------------------------------------------------- socket path */

struct path_case {
	const char *pin_root;
	const char *want;	/* NULL: too long */
};

static void test_default_path(void **state)
{
	static const struct path_case cases[] = {
		{ "/sys/fs/bpf/adm", "/run/adm/adm.sock" },
		{ "/sys/fs/bpf/adm-edge", "/run/adm/adm-edge.sock" },
		{ "/sys/fs/bpf/adm/", "/run/adm/adm.sock" },
		{ "/sys/fs/bpf/adm//", "/run/adm/adm.sock" },
		{ "/", "/run/adm/adm.sock" },
		{ "/sys/fs/bpf/0123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789012345678901234567890", NULL },
	};
	struct adm_config cfg = {};
	char buf[ADM_CTL_PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(cases); i++) {
		int rc = adm_ctl_default_path(cases[i].pin_root, buf, sizeof(buf));

		if (!cases[i].want) {
			assert_int_equal(rc, -ENAMETOOLONG);
			assert_string_equal(buf, "");
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(buf, cases[i].want);
	}
	strcpy(cfg.pin_root, "/sys/fs/bpf/x");
	assert_int_equal(adm_ctl_path(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/adm/x.sock");
	strcpy(cfg.control_socket, "/tmp/admd.sock");
	assert_int_equal(adm_ctl_path(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/admd.sock");
}

/* ---------------------------------------------------------------- audit record */

static void test_audit_json(void **state)
{
	struct adm_audit a = {}, b;
	char err[ADM_ERR_MAX];
	json_t *o, *bad;

	(void)state;
	adm_audit_init(&a, "admctl");
	assert_int_equal(a.uid, getuid());
	assert_int_equal(a.pid, getpid());
	assert_true(a.user[0] != '\0');
	assert_int_equal(strlen(a.time), strlen("2025-01-31T23:59:59.123Z"));
	snprintf(a.what, sizeof(a.what), "block add 10.0.0.0/8");
	snprintf(a.before, sizeof(a.before), "absent");
	snprintf(a.after, sizeof(a.after), "present, never expires");
	snprintf(a.result, sizeof(a.result), "ok");
	o = adm_audit_to_json(&a);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "type")), "audit");
	assert_int_equal(adm_audit_from_json(o, &b, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	json_decref(o);

	bad = json_pack("{s:s}", "before", "x");
	assert_int_equal(adm_audit_from_json(bad, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "the audit record has no 'what'");
	json_decref(bad);
	bad = json_pack("{s:s, s:i}", "what", "x", "after", 5);
	assert_int_equal(adm_audit_from_json(bad, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "audit field 'after' must be a string");
	json_decref(bad);
	assert_int_equal(adm_audit_from_json(NULL, &b, err, sizeof(err)), -1);
}

static void test_audit_format(void **state)
{
	struct adm_audit a = { .uid = 0, .pid = 42 };
	char line[2 * sizeof(struct adm_audit)], tiny[16];

	(void)state;
	strcpy(a.user, "root");
	strcpy(a.what, "block add 10.0.0.0/8");
	strcpy(a.before, "absent");
	strcpy(a.after, "say \"hi\"\\\n");
	strcpy(a.result, "ok");
	strcpy(a.origin, "admctl");
	adm_audit_format(&a, line, sizeof(line));
	assert_string_equal(line, "uid=0 user=root pid=42 what=\"block add 10.0.0.0/8\" "
			    "before=\"absent\" after=\"say \\\"hi\\\"\\\\\\x0a\" "
			    "result=ok via=admctl");
	strcpy(a.user, "uid 1000");
	strcpy(a.result, "failed: no such device");
	adm_audit_format(&a, line, sizeof(line));
	assert_non_null(strstr(line, "user=\"uid 1000\""));
	assert_non_null(strstr(line, "result=\"failed: no such device\""));
	/* A short buffer is cut, never overrun, and stays a string. */
	adm_audit_format(&a, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* ---------------------------------------------------------------- line protocol */

static void test_lines(void **state)
{
	struct adm_ctl_reader r = {};
	json_t *o = NULL, *req;
	char *big;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	req = json_pack("{s:s, s:i}", "cmd", "logs", "n", 3);
	assert_int_equal(adm_ctl_send(sv[0], req), 0);
	assert_int_equal(adm_ctl_send(sv[0], req), 0);
	json_decref(req);
	/* Two lines sent at once come out as two objects. */
	assert_int_equal(adm_ctl_read(sv[1], &r, 1000, &o), 0);
	assert_string_equal(json_string_value(json_object_get(o, "cmd")), "logs");
	json_decref(o);
	assert_int_equal(adm_ctl_read(sv[1], &r, 1000, &o), 0);
	json_decref(o);
	/* Nothing more: a timeout, not a hang. */
	assert_int_equal(adm_ctl_read(sv[1], &r, 50, &o), -ETIMEDOUT);
	/* Not an object, not JSON. */
	assert_int_equal(write(sv[0], "[1,2]\nnope\n", 11), 11);
	assert_int_equal(adm_ctl_read(sv[1], &r, 1000, &o), -EPROTO);
	assert_null(o);
	assert_int_equal(adm_ctl_read(sv[1], &r, 1000, &o), -EPROTO);
	/* A line of ADM_CTL_LINE_MAX bytes without its end is refused, not grown. */
	big = malloc(ADM_CTL_LINE_MAX);
	assert_non_null(big);
	memset(big, 'x', ADM_CTL_LINE_MAX);
	assert_int_equal(write(sv[0], big, ADM_CTL_LINE_MAX), ADM_CTL_LINE_MAX);
	assert_int_equal(adm_ctl_read(sv[1], &r, 1000, &o), -EMSGSIZE);
	free(big);
	/* The peer closing is EPIPE. */
	adm_ctl_reader_free(&r);
	close(sv[0]);
	assert_int_equal(adm_ctl_read(sv[1], &r, 1000, &o), -EPIPE);
	adm_ctl_reader_free(&r);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_keys),
		cmocka_unit_test(test_live_bad),
		cmocka_unit_test(test_live_apply),
		cmocka_unit_test(test_rate_text),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_audit_json),
		cmocka_unit_test(test_audit_format),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
