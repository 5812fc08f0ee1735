// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libadm util: numbers, rates, durations, CIDRs, address formatting, rate ->
 * GCRA conversion and the enum name tables. Every parser is driven by a
 * table of {input, expected result}; a failing parse must leave its output
 * untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "adm/gcra.h"
#include "util.h"

#define NS_PER_SEC	1000000000ULL
#define SENTINEL	0x5a5a5a5a5a5a5a5aULL

struct u64_case {
	const char *in;
	__u64 min, max;
	int ok;
	__u64 want;
};

static const struct u64_case u64_cases[] = {
	{ "0", 0, 10, 1, 0 },
	{ "7", 0, 10, 1, 7 },
	{ "007", 0, 10, 1, 7 },			/* leading zeros are decimal */
	{ "10", 6, 10, 1, 10 },			/* max is inclusive */
	{ "6", 6, 10, 1, 6 },			/* min is inclusive */
	{ "5", 6, 10, 0, 0 },			/* below min */
	{ "11", 6, 10, 0, 0 },			/* above max */
	{ "18446744073709551615", 0, UINT64_MAX, 1, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, 0, 0 },	/* overflow */
	{ "99999999999999999999", 0, UINT64_MAX, 0, 0 },
	{ "", 0, 10, 0, 0 },
	{ "-1", 0, 10, 0, 0 },
	{ "+1", 0, 10, 0, 0 },
	{ " 1", 0, 10, 0, 0 },
	{ "1 ", 0, 10, 0, 0 },
	{ "0x10", 0, 100, 0, 0 },
	{ "12a", 0, 100, 0, 0 },
	{ "1e3", 0, 10000, 0, 0 },
};

static void test_parse_u64(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(u64_cases); i++) {
		const struct u64_case *c = &u64_cases[i];
		__u64 v = SENTINEL;
		int rc = adm_parse_u64(c->in, c->min, c->max, &v);

		if (rc != (c->ok ? 0 : -1))
			fail_msg("adm_parse_u64('%s', %llu, %llu) = %d, want %d",
				 c->in, (unsigned long long)c->min,
				 (unsigned long long)c->max, rc, c->ok ? 0 : -1);
		assert_int_equal(v, c->ok ? c->want : SENTINEL);
	}
	assert_int_equal(adm_parse_u64(NULL, 0, 1, &(__u64){ 0 }), -1);
}

/* A row for input the parser must refuse. */
#define REFUSE(text)	{ .in = (text) }

struct rate_case {
	const char *in;
	int ok;
	__u64 count, period_ns;
};

static const struct rate_case rate_cases[] = {
	{ "20/s", 1, 20, NS_PER_SEC },
	{ "20/sec", 1, 20, NS_PER_SEC },
	{ "30/m", 1, 30, 60 * NS_PER_SEC },
	{ "30/min", 1, 30, 60 * NS_PER_SEC },
	{ "1/s", 1, 1, NS_PER_SEC },
	{ "1000000000/s", 1, ADM_RATE_COUNT_MAX, NS_PER_SEC },
	{ "off", 1, 0, 0 },
	{ "0", 1, 0, 0 },
	REFUSE("1000000001/s"),			/* above 10^9 */
	REFUSE("99999999999999999999/s"),	/* overflow */
	REFUSE("0/s"),				/* "0" alone means off */
	REFUSE("-1/s"),
	REFUSE("OFF"),
	REFUSE("20"),				/* no unit */
	REFUSE("20/"),
	REFUSE("20/h"),
	REFUSE("20/S"),
	REFUSE("/s"),
	REFUSE("20/ s"),
	REFUSE("20 /s"),
	REFUSE("20/s/"),
	REFUSE(""),
};

static void test_parse_rate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(rate_cases); i++) {
		const struct rate_case *c = &rate_cases[i];
		struct adm_rate r = { SENTINEL, SENTINEL };
		int rc = adm_parse_rate(c->in, &r);

		if (rc != (c->ok ? 0 : -1))
			fail_msg("adm_parse_rate('%s') = %d, want %d", c->in, rc,
				 c->ok ? 0 : -1);
		assert_int_equal(r.count, c->ok ? c->count : SENTINEL);
		assert_int_equal(r.period_ns, c->ok ? c->period_ns : SENTINEL);
	}
}

struct duration_case {
	const char *in;
	int ok;
	__u64 ns;
};

static const struct duration_case duration_cases[] = {
	{ "250ms", 1, 250000000ULL },
	{ "30s", 1, 30 * NS_PER_SEC },
	{ "5m", 1, 300 * NS_PER_SEC },
	{ "2h", 1, 7200 * NS_PER_SEC },
	{ "1d", 1, 86400 * NS_PER_SEC },
	{ "45", 1, 45 * NS_PER_SEC },		/* plain seconds */
	{ "1ms", 1, 1000000ULL },
	{ "213503d", 1, 213503ULL * 86400 * NS_PER_SEC },	/* largest day count */
	REFUSE("213504d"),			/* overflows __u64 ns */
	REFUSE("18446744073709551615s"),
	REFUSE("0"),				/* must be > 0 */
	REFUSE("0ms"),
	REFUSE(""),
	REFUSE("ms"),
	REFUSE("5x"),
	REFUSE("-5s"),
	REFUSE("1.5s"),
	REFUSE("5 s"),
	REFUSE("5S"),
};

static void test_parse_duration(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(duration_cases); i++) {
		const struct duration_case *c = &duration_cases[i];
		__u64 ns = SENTINEL;
		int rc = adm_parse_duration(c->in, &ns);

		if (rc != (c->ok ? 0 : -1))
			fail_msg("adm_parse_duration('%s') = %d, want %d", c->in,
				 rc, c->ok ? 0 : -1);
		assert_int_equal(ns, c->ok ? c->ns : SENTINEL);
	}
}

/* A valid CIDR: its key (words in host order, for readability) and its text. */
struct cidr_case {
	const char *in;
	__u32 prefixlen;
	__u32 addr[4];
	const char *text;
};

#define V4MAP	0x0000ffffU

static const struct cidr_case cidr_cases[] = {
	{ "10.0.0.0/8", 104, { 0, 0, V4MAP, 0x0a000000 }, "10.0.0.0/8" },
	{ "192.168.1.7", 128, { 0, 0, V4MAP, 0xc0a80107 }, "192.168.1.7/32" },
	{ "192.168.1.7/32", 128, { 0, 0, V4MAP, 0xc0a80107 }, "192.168.1.7/32" },
	{ "10.1.2.2/31", 127, { 0, 0, V4MAP, 0x0a010202 }, "10.1.2.2/31" },
	{ "0.0.0.0/0", 96, { 0, 0, V4MAP, 0 }, "0.0.0.0/0" },
	{ "2001:db8::/32", 32, { 0x20010db8, 0, 0, 0 }, "2001:db8::/32" },
	{ "2001:db8::1", 128, { 0x20010db8, 0, 0, 1 }, "2001:db8::1/128" },
	{ "fe80::/10", 10, { 0xfe800000, 0, 0, 0 }, "fe80::/10" },
	{ "::/0", 0, { 0, 0, 0, 0 }, "::/0" },
	{ "2001:db8:0:1::/64", 64, { 0x20010db8, 1, 0, 0 }, "2001:db8:0:1::/64" },
	/* written as IPv6 but IPv4-mapped: printed back as IPv4 */
	{ "::ffff:10.0.0.0/104", 104, { 0, 0, V4MAP, 0x0a000000 }, "10.0.0.0/8" },
	{ "::ffff:0.0.0.0/96", 96, { 0, 0, V4MAP, 0 }, "0.0.0.0/0" },
};

static const char *const cidr_bad[] = {
	"10.0.0.1/8",		/* host bits set */
	"10.1.2.3/31",
	"2001:db8::1/32",
	"fe80::1/10",
	"10.0.0.0/33",
	"::/129",
	"10.0.0.0/",
	"10.0.0.0/-1",
	"10.0.0.0/+8",
	"10.0.0.0/ 8",
	"10.0.0.0/8/9",
	"10.0.0/8",
	"256.0.0.0/8",
	"bogus",
	"",
	"2001:db8::/32 ",
	"2001:0db8:0000:0000:0000:0000:0000:0000:0000/32",	/* too long */
};

static void test_parse_cidr(void **state)
{
	char buf[64];
	size_t i, w;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(cidr_cases); i++) {
		const struct cidr_case *c = &cidr_cases[i];
		struct adm_lpm_key k;

		if (adm_parse_cidr(c->in, &k))
			fail_msg("adm_parse_cidr('%s') failed", c->in);
		assert_int_equal(k.prefixlen, c->prefixlen);
		for (w = 0; w < 4; w++)
			assert_int_equal(ntohl(k.addr[w]), c->addr[w]);
		assert_string_equal(adm_format_cidr(&k, buf, sizeof(buf)), c->text);
	}
	for (i = 0; i < ADM_ARRAY_SIZE(cidr_bad); i++) {
		struct adm_lpm_key k = { .prefixlen = 0xdead };

		if (adm_parse_cidr(cidr_bad[i], &k) != -1)
			fail_msg("adm_parse_cidr('%s') accepted", cidr_bad[i]);
		assert_int_equal(k.prefixlen, 0xdead);
	}
	assert_int_equal(adm_parse_cidr(NULL, &(struct adm_lpm_key){}), -1);
}

static void test_format_addr(void **state)
{
	__u32 v4[4] = { 0, 0, htonl(V4MAP), htonl(0xc0000201) };
	__u32 v6[4] = { htonl(0x20010db8), 0, 0, htonl(1) };
	__u32 any[4] = { 0, 0, 0, 0 };
	/* Mapped address, prefix shorter than the mapped space: IPv6 text. */
	struct adm_lpm_key short_map = { 80, { 0, 0, htonl(V4MAP), 0 } };
	char buf[64], small[4];

	(void)state;
	assert_string_equal(adm_format_cidr(&short_map, buf, sizeof(buf)),
			    "::ffff:0.0.0.0/80");
	assert_string_equal(adm_format_addr(v4, buf, sizeof(buf)), "192.0.2.1");
	assert_string_equal(adm_format_addr(v6, buf, sizeof(buf)), "2001:db8::1");
	assert_string_equal(adm_format_addr(any, buf, sizeof(buf)), "::");
	/* A short buffer is truncated, still terminated, and returned. */
	assert_ptr_equal(adm_format_addr(v4, small, sizeof(small)), small);
	assert_string_equal(small, "192");
}

struct gcra_case {
	const char *what;
	struct adm_rate rate;
	__u32 burst;
	__u64 emission_ns, tau_ns;
};

static const struct gcra_case gcra_cases[] = {
	{ "off", { 0, 0 }, 5, 0, 0 },
	{ "off with a period", { 0, NS_PER_SEC }, 0, 0, 0 },
	{ "100/s, default burst 100", { 100, NS_PER_SEC }, 0,
	  10000000ULL, 99 * 10000000ULL },
	{ "100/s, burst 10", { 100, NS_PER_SEC }, 10,
	  10000000ULL, 9 * 10000000ULL },
	{ "30/m, default burst 30", { 30, 60 * NS_PER_SEC }, 0,
	  2 * NS_PER_SEC, 29 * 2 * NS_PER_SEC },
	{ "5/s, burst 1: tau 0", { 5, NS_PER_SEC }, 1, 200000000ULL, 0 },
	{ "10^9/s: default burst clamped to 10^6", { ADM_RATE_COUNT_MAX, NS_PER_SEC },
	  0, 1, ADM_BURST_MAX - 1 },
	{ "burst above the maximum clamped", { 10, NS_PER_SEC }, 2 * ADM_BURST_MAX,
	  100000000ULL, (ADM_BURST_MAX - 1) * 100000000ULL },
	{ "finer than 1/ns still limits", { 10, 5 }, 1, 1, 0 },
};

static void test_rate_to_gcra(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(gcra_cases); i++) {
		const struct gcra_case *c = &gcra_cases[i];
		struct adm_gcra g = adm_rate_to_gcra(&c->rate, c->burst);

		if (g.emission_ns != c->emission_ns || g.tau_ns != c->tau_ns)
			fail_msg("%s: emission %llu tau %llu, want %llu %llu",
				 c->what, (unsigned long long)g.emission_ns,
				 (unsigned long long)g.tau_ns,
				 (unsigned long long)c->emission_ns,
				 (unsigned long long)c->tau_ns);
	}
}

struct name_case {
	unsigned int value;
	const char *name;
};

static const struct name_case verdicts[] = {
	{ ADM_V_PASS, "pass" }, { ADM_V_DROP, "drop" }, { ADM_V_DEFER, "defer" },
	{ ADM_V_REJECT, "reject" }, { ADM_V_WOULD_DROP, "would_drop" },
	{ ADM_V_WOULD_DEFER, "would_defer" },
	{ ADM_V_WOULD_REJECT, "would_reject" },
	{ ADM_V_REPLY, "reply" }, { ADM_V_WOULD_REPLY, "would_reply" },
};

static const struct name_case reasons[] = {
	{ ADM_R_NONE, "none" }, { ADM_R_DENY_LIST, "deny_list" },
	{ ADM_R_RATE_SOURCE, "rate_source" },
	{ ADM_R_RATE_PREFIX_UNVERIFIED, "rate_prefix_unverified" },
	{ ADM_R_RATE_NEW_SOURCES, "rate_new_sources" },
	{ ADM_R_CONC_GLOBAL, "conc_global" }, { ADM_R_CONC_SOURCE, "conc_source" },
	{ ADM_R_BREAKER_OPEN, "breaker_open" }, { ADM_R_DEGRADED, "degraded" },
	{ ADM_R_MALFORMED, "malformed" }, { ADM_R_GLOBAL_BLOCK, "global_block" },
	{ ADM_R_RATE_PACKET, "rate_packet" }, { ADM_R_ALLOW_LIST, "allow_list" },
	{ ADM_R_IDLE, "idle" }, { ADM_R_LIFETIME, "lifetime" },
	  { ADM_R_FLOW, "flow" },
};

static const struct name_case actions[] = {
	{ ADM_A_NONE, "none" }, { ADM_A_DROP, "drop" }, { ADM_A_DEFER, "defer" },
	{ ADM_A_REJECT, "reject" }, { ADM_A_REPLY, "reply" },
};

static const struct name_case priorities[] = {
	{ ADM_PRIO_SHEDDABLE, "sheddable" }, { ADM_PRIO_NORMAL, "normal" },
	{ ADM_PRIO_CRITICAL, "critical" },
};

static const struct name_case fp_modes[] = {
	{ ADM_FP_IP, "ip" }, { ADM_FP_PREFIX, "prefix" }, { ADM_FP_SYN, "syn" },
};

/*
 * Every value below max has exactly the expected name (a table covering
 * each enum value once), and max itself is "?".
 */
static void check_names(const char *(*name)(unsigned int),
			const struct name_case *cases, size_t n, unsigned int max)
{
	size_t i;

	assert_int_equal(n, max);
	for (i = 0; i < n; i++)
		assert_string_equal(name(cases[i].value), cases[i].name);
	assert_string_equal(name(max), "?");
	assert_string_equal(name(~0U), "?");
}

static void test_names(void **state)
{
	(void)state;
	check_names(adm_verdict_name, verdicts, ADM_ARRAY_SIZE(verdicts), ADM_V__MAX);
	check_names(adm_reason_name, reasons, ADM_ARRAY_SIZE(reasons), ADM_R__MAX);
	check_names(adm_action_name, actions, ADM_ARRAY_SIZE(actions), ADM_A__MAX);
	check_names(adm_priority_name, priorities, ADM_ARRAY_SIZE(priorities),
		    ADM_PRIO__MAX);
	check_names(adm_fp_mode_name, fp_modes, ADM_ARRAY_SIZE(fp_modes),
		    ADM_FP__MAX);
}

static void check_lookup(int (*lookup)(const char *),
			 const struct name_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(lookup(cases[i].name), cases[i].value);
	assert_int_equal(lookup("?"), -1);
	assert_int_equal(lookup(""), -1);
	assert_int_equal(lookup(NULL), -1);
}

static void test_lookups(void **state)
{
	(void)state;
	check_lookup(adm_action_lookup, actions, ADM_ARRAY_SIZE(actions));
	check_lookup(adm_priority_lookup, priorities, ADM_ARRAY_SIZE(priorities));
	check_lookup(adm_fp_mode_lookup, fp_modes, ADM_ARRAY_SIZE(fp_modes));
	/* Names are exact: no case folding, no prefixes, no padding. */
	assert_int_equal(adm_action_lookup("DROP"), -1);
	assert_int_equal(adm_action_lookup("dro"), -1);
	assert_int_equal(adm_action_lookup("drop "), -1);
	assert_int_equal(adm_priority_lookup("high"), -1);
	assert_int_equal(adm_fp_mode_lookup("mac"), -1);
}

/* Events admitted in `secs` seconds by a GCRA read through a clock of
 * `tick` resolution, with one event offered every `every` ns. */
static __u64 admitted_coarse(const struct adm_gcra *g, __u64 tick, __u64 every,
			     __u64 secs)
{
	__u64 t, tat = 0, next, n = 0, end = secs * 1000000000ULL;

	for (t = tick; t < end; t += every) {
		__u64 now = t / tick * tick;

		if (adm_gcra_conforms(tat, now, g->emission_ns, g->tau_ns, &next)) {
			tat = next;
			n++;
		}
	}
	return n;
}

/* adm_rate_to_gcra_dp: tolerance at least one tick, rates exact again. */
static void test_rate_to_gcra_dp(void **state)
{
	struct adm_rate fast = { .count = 1000, .period_ns = 1000000000ULL };
	struct adm_rate slow = { .count = 1, .period_ns = 60000000000ULL };
	struct adm_rate off = { 0 };
	__u64 tick = adm_clock_tick_ns();
	struct adm_gcra raw, dp;
	__u64 n_raw, n_dp;

	(void)state;
	assert_true(tick > 0 && tick <= 100000000ULL);
	raw = adm_rate_to_gcra(&fast, 1);
	dp = adm_rate_to_gcra_dp(&fast, 1);
	assert_int_equal(dp.emission_ns, raw.emission_ns);
	assert_int_equal(raw.tau_ns, 0);
	assert_int_equal(dp.tau_ns, tick > raw.tau_ns ? tick : raw.tau_ns);
	/* 1000/s burst 1, offered 10000/s, through a 4 ms clock for 10 s:
	 * without the floor one event a tick (250/s), with it the rate. */
	n_raw = admitted_coarse(&raw, 4000000ULL, 100000ULL, 10);
	dp.tau_ns = 4000000ULL;
	n_dp = admitted_coarse(&dp, 4000000ULL, 100000ULL, 10);
	assert_true(n_raw >= 2500 - 1 && n_raw <= 2500 + 1);
	assert_true(n_dp >= 10000 - 5 && n_dp <= 10000 + 5);
	/* Slow rates already tolerate more than a tick: unchanged. */
	raw = adm_rate_to_gcra(&slow, 5);
	dp = adm_rate_to_gcra_dp(&slow, 5);
	assert_int_equal(dp.tau_ns, raw.tau_ns);
	/* Off stays off. */
	dp = adm_rate_to_gcra_dp(&off, 0);
	assert_int_equal(dp.emission_ns, 0);
	assert_int_equal(dp.tau_ns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_cidr),
		cmocka_unit_test(test_format_addr),
		cmocka_unit_test(test_rate_to_gcra),
		cmocka_unit_test(test_rate_to_gcra_dp),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_lookups),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
