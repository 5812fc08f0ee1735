// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decision aggregation (userspace/lib/agg.c) on a fake clock: records of
 * one key in one window become one with the sum of counts and the first
 * and last times; keys differ by service, source prefix, verdict, reason;
 * windows end on the caller's clock (and a late timer cannot stretch
 * them); a full table flushes early; counts never overflow; and over a
 * random stream the counts out equal the counts in, key by key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "agg.h"
#include "util.h"

#define MS	1000000ULL
#define T0	(1700000000ULL * 1000000000ULL)

struct sink {
	int n;
	struct spool_decision d[64];
	__u64 count_sum;
};

static void on_emit(void *ctx, const struct spool_decision *d)
{
	struct sink *s = ctx;

	if (s->n < 64)
		s->d[s->n] = *d;
	s->n++;
	s->count_sum += d->count;
}

static void v4(struct spool_decision *d, const char *ip)
{
	d->addr[0] = d->addr[1] = 0;
	d->addr[2] = htonl(0xffff);
	assert_int_equal(inet_pton(AF_INET, ip, &d->addr[3]), 1);
}

static struct spool_decision rec(const char *ip, __u32 count, __u64 t)
{
	struct spool_decision d;

	memset(&d, 0, sizeof(d));
	d.type = SPOOL_T_DECISION;
	d.verdict = 2;
	d.reason = 3;
	d.proto = 6;
	d.dport = 8080;
	d.sport = 40000;
	d.service_id = 1;
	d.count = count;
	d.time_ns = t;
	strcpy(d.service, "web");
	v4(&d, ip);
	return d;
}

static void same_key_merges(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(16, 1000 * MS, 32, 128, on_emit, &s);
	struct spool_decision d;

	(void)state;
	assert_non_null(a);
	d = rec("10.0.0.1", 5, T0 + 100 * MS);
	d.sport = 1111;
	assert_int_equal(agg_add(a, &d, 0), 1);	/* starts the window */
	d = rec("10.0.0.1", 7, T0 + 300 * MS);
	d.sport = 2222;
	assert_int_equal(agg_add(a, &d, 200 * MS), 0);
	d = rec("10.0.0.1", 1, T0 + 50 * MS);	/* earlier: a slow CPU's record */
	assert_int_equal(agg_add(a, &d, 300 * MS), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(agg_entries(a), 1);
	assert_int_equal(agg_deadline(a), 1000 * MS);
	assert_int_equal(agg_tick(a, 999 * MS), 0);
	assert_int_equal(agg_tick(a, 1000 * MS), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.d[0].count, 13);
	assert_int_equal(s.d[0].time_ns, T0 + 50 * MS);
	assert_int_equal(s.d[0].time_last_ns, T0 + 300 * MS);
	assert_int_equal(s.d[0].sport, 1111);
	assert_int_equal(s.d[0].prefix_len, 32);
	assert_int_equal(agg_entries(a), 0);
	assert_int_equal(agg_stats(a)->in, 3);
	assert_int_equal(agg_stats(a)->out, 1);
	assert_int_equal(agg_stats(a)->flushes[AGG_FLUSH_WINDOW], 1);
	agg_free(a);
}

static void keys_differ(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(16, 1000 * MS, 32, 128, on_emit, &s);
	struct spool_decision d;

	(void)state;
	d = rec("10.0.0.1", 1, T0);
	agg_add(a, &d, 0);
	d.service_id = 2;
	agg_add(a, &d, 0);
	d = rec("10.0.0.1", 1, T0);
	d.verdict = 1;
	agg_add(a, &d, 0);
	d = rec("10.0.0.1", 1, T0);
	d.reason = 4;
	agg_add(a, &d, 0);
	d = rec("10.0.0.1", 1, T0);
	d.dport = 443;
	agg_add(a, &d, 0);
	d = rec("10.0.0.2", 1, T0);
	agg_add(a, &d, 0);
	d = rec("10.0.0.1", 1, T0);		/* the first again */
	agg_add(a, &d, 0);
	assert_int_equal(agg_entries(a), 6);
	assert_int_equal(agg_flush(a, AGG_FLUSH_STOP), 6);
	/* Arrival order, the first key with both of its records. */
	assert_int_equal(s.d[0].count, 2);
	assert_int_equal(s.d[1].service_id, 2);
	assert_int_equal(s.d[5].addr[3], htonl(0x0a000002));
	assert_int_equal(agg_stats(a)->flushes[AGG_FLUSH_STOP], 1);
	agg_free(a);
}

static void prefixes_merge_sources(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(16, 1000 * MS, 24, 64, on_emit, &s);
	struct spool_decision d;
	char text[64];

	(void)state;
	d = rec("10.0.0.1", 1, T0);
	agg_add(a, &d, 0);
	d = rec("10.0.0.200", 2, T0);
	agg_add(a, &d, 0);
	d = rec("10.0.1.1", 4, T0);
	agg_add(a, &d, 0);
	d = rec("10.0.0.1", 1, T0);
	memset(d.addr, 0, sizeof(d.addr));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", d.addr), 1);
	agg_add(a, &d, 0);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2:bbbb::9", d.addr), 1);
	agg_add(a, &d, 0);
	assert_int_equal(agg_flush(a, AGG_FLUSH_STOP), 3);
	assert_string_equal(adm_format_addr(s.d[0].addr, text, sizeof(text)), "10.0.0.0");
	assert_int_equal(s.d[0].count, 3);
	assert_int_equal(s.d[0].prefix_len, 24);
	assert_string_equal(adm_format_addr(s.d[1].addr, text, sizeof(text)), "10.0.1.0");
	assert_string_equal(adm_format_addr(s.d[2].addr, text, sizeof(text)), "2001:db8:1:2::");
	assert_int_equal(s.d[2].count, 2);
	assert_int_equal(s.d[2].prefix_len, 64);
	agg_free(a);
}

static void windows_tumble(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(16, 500 * MS, 32, 128, on_emit, &s);
	struct spool_decision d = rec("10.0.0.1", 1, T0);

	(void)state;
	assert_int_equal(agg_deadline(a), 0);
	assert_int_equal(agg_add(a, &d, 10 * MS), 1);
	assert_int_equal(agg_deadline(a), 510 * MS);
	assert_int_equal(agg_add(a, &d, 400 * MS), 0);
	/* The timer fired late: the next record closes the old window first. */
	assert_int_equal(agg_add(a, &d, 700 * MS), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.d[0].count, 2);
	assert_int_equal(agg_deadline(a), 1200 * MS);
	assert_int_equal(agg_tick(a, 1200 * MS), 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(agg_tick(a, 5000 * MS), 0);	/* empty: nothing */
	assert_int_equal(agg_stats(a)->flushes[AGG_FLUSH_WINDOW], 2);
	agg_free(a);
}

static void full_table_flushes_early(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(4, 1000 * MS, 32, 128, on_emit, &s);
	struct spool_decision d;
	char ip[32];
	int i;

	(void)state;
	for (i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		d = rec(ip, 1, T0);
		agg_add(a, &d, 0);
	}
	d = rec("10.0.0.2", 1, T0);		/* a known key still merges */
	agg_add(a, &d, 0);
	assert_int_equal(s.n, 0);
	d = rec("10.0.0.5", 1, T0);		/* a new one: full, flush first */
	assert_int_equal(agg_add(a, &d, 100 * MS), 1);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.count_sum, 5);
	assert_int_equal(agg_entries(a), 1);
	assert_int_equal(agg_deadline(a), 1100 * MS);
	assert_int_equal(agg_stats(a)->flushes[AGG_FLUSH_FULL], 1);
	agg_free(a);
}

static void off_passes_through(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(4, 0, 32, 128, on_emit, &s);
	struct spool_decision d = rec("10.0.0.1", 3, T0);

	(void)state;
	assert_int_equal(agg_add(a, &d, 0), 0);
	assert_int_equal(agg_add(a, &d, 0), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.d[1].time_last_ns, T0);
	assert_int_equal(agg_entries(a), 0);
	agg_free(a);
}

static void count_never_overflows(void **state)
{
	struct sink s = {};
	struct agg *a = agg_new(4, 1000 * MS, 32, 128, on_emit, &s);
	struct spool_decision d = rec("10.0.0.1", 3000000000U, T0);

	(void)state;
	agg_add(a, &d, 0);
	agg_add(a, &d, 0);			/* 6e9 does not fit: the first goes */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.d[0].count, 3000000000U);
	d.count = 5;
	agg_add(a, &d, 0);
	agg_flush(a, AGG_FLUSH_STOP);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.d[1].count, 3000000005U);
	assert_int_equal(s.count_sum, 6000000005ULL);
	assert_int_equal(agg_stats(a)->overflow, 1);
	agg_free(a);
}

/* Random stream: per key (64 sources x 2 reasons) the sums in and out meet. */
struct tally {
	__u64 sum[256][2];
	__u64 total;
	unsigned long emitted;
};

static void on_tally(void *ctx, const struct spool_decision *d)
{
	struct tally *t = ctx;

	t->sum[ntohl(d->addr[3]) & 0xff][d->reason & 1] += d->count;
	t->total += d->count;
	t->emitted++;
}

static void counts_conserved(void **state)
{
	static struct tally out;
	__u64 in[256][2] = {}, now = 0, total = 0;
	struct spool_decision d;
	struct agg *a = agg_new(256, 250 * MS, 32, 128, on_tally, &out);
	char ip[32];
	int i, src, r;

	(void)state;
	srand(7);
	for (i = 0; i < 100000; i++) {
		src = rand() % 64;
		r = rand() % 2;
		snprintf(ip, sizeof(ip), "10.0.0.%d", src);
		d = rec(ip, 1 + rand() % 1000, T0 + now);
		d.reason = r;
		agg_add(a, &d, now);
		in[src][r] += d.count;
		total += d.count;
		now += rand() % (MS / 10);
		if (rand() % 100 == 0)
			agg_tick(a, now);
	}
	agg_flush(a, AGG_FLUSH_STOP);
	assert_int_equal(out.total, total);
	assert_memory_equal(out.sum, in, sizeof(in));
	assert_true(out.emitted < 100000 / 4);	/* and it did aggregate */
	assert_int_equal(agg_stats(a)->in, 100000);
	assert_int_equal(agg_stats(a)->out, out.emitted);
	assert_int_equal(agg_stats(a)->flushes[AGG_FLUSH_FULL], 0);
	assert_true(agg_stats(a)->flushes[AGG_FLUSH_WINDOW] > 0);
	agg_free(a);
}

static void bad_arguments(void **state)
{
	struct sink s = {};

	(void)state;
	assert_null(agg_new(0, MS, 32, 128, on_emit, &s));
	assert_null(agg_new(4, MS, 33, 128, on_emit, &s));
	assert_null(agg_new(4, MS, 32, 129, on_emit, &s));
	assert_null(agg_new(4, MS, 32, 128, NULL, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_key_merges),
		cmocka_unit_test(keys_differ),
		cmocka_unit_test(prefixes_merge_sources),
		cmocka_unit_test(windows_tumble),
		cmocka_unit_test(full_table_flushes_early),
		cmocka_unit_test(off_passes_through),
		cmocka_unit_test(count_never_overflows),
		cmocka_unit_test(counts_conserved),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
