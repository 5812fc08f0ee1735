// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * adm_xdp against an adversary who reads the code (issue 9), through
 * BPF_PROG_TEST_RUN: random-source SYN floods from the whole IPv4 space
 * and from a whole IPv6 /32 (strangers stay within their budget, verified
 * clients keep passing, no per-packet insert, no verified state evicted),
 * a spoofed packet flood that must not evict SYN state, one service's
 * flood that must not evict another's rate state, the rebuild of the
 * stranger filter (adm_src_filter), the per-CPU RST budget, the cluster
 * global block and the per-source SYN hit counts.
 * The packets never leave the kernel's test run.
 *
 * TAP, one line per case; without the privilege to load BPF, one SKIP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "adm/adm.h"
#include "adm_xdp.skel.h"
#include "harness.h"
#include "pkt.h"
#include "srcfilter.h"
#include "srchits.h"

#define SVC_ID		1
#define SVC_PORT	80
#define VERIFIED_N	50		/* verified clients during a flood */
#define FLOOD_N		200000		/* spoofed SYNs per flood case */
#define CLIENT_EVERY	100		/* one verified client SYN per this many flood SYNs */
#define PKT_FLOOD_N	(ADM_MAX_SOURCES + ADM_MAX_SOURCES / 4)
#define HOUR_NS		(3600ULL * H_NS_PER_SEC)
#define MINUTE_NS	(60ULL * H_NS_PER_SEC)

#define RATE(count, period_ns, burst) {					\
	.emission_ns = (period_ns) / (count),				\
	.tau_ns = ((burst) - 1ULL) * ((period_ns) / (count)),		\
}
#define PER_SEC(n, burst)	RATE(n, H_NS_PER_SEC, burst)
#define PER_MIN(n, burst)	RATE(n, MINUTE_NS, burst)

/* The shipped example's stranger budgets (scripts/adm.conf.example), on_rate reject. */
#define NEWSRC_RATE	500
#define NEWSRC_BURST	1000
static const struct adm_service example_verify = {
	.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .fp_mode = ADM_FP_IP,
	.ipv4_prefix = 32, .ipv6_prefix = 64, .priority = ADM_PRIO_NORMAL,
	.on_rate = ADM_A_REJECT, .on_conn_full = ADM_A_DEFER,
	.on_unverified = ADM_A_DROP,
	.unv_ipv4_prefix = 24, .unv_ipv6_prefix = 48,
	.syn = PER_SEC(1000, 1000),
	.unv_prefix = PER_SEC(50, 100),
	.new_sources = PER_SEC(NEWSRC_RATE, NEWSRC_BURST),
};

/* xorshift64*: a deterministic stream of source addresses (seed in the TAP output). */
static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Run one SYN (or ACK) from text address src; the XDP action or -errno. */
static int run_from(struct h_ctx *h, int family, const char *src, __u8 flags,
		    __u16 dport)
{
	static struct h_result r;
	struct pkt_spec p = {
		.family = family, .src = src, .tcp_flags = flags, .dport = dport,
		.seq = 1, .ack = flags & PKT_TCP_ACK ? 2 : 0,
	};
	__u8 f[PKT_MAX_LEN];
	int len = pkt_build(&p, f, sizeof(f), NULL, NULL, 0), err;

	if (len <= 0)
		return -EINVAL;
	err = h_run(h, h->xdp_fd, f, len, 1, &r);
	return err ? err : (int)r.action;
}

/*
 * Entries of every LRU hash map (partitions included) but adm_evsample
 * (sampling is bounded per CPU-second).
 */
static int lru_entries(struct h_ctx *h)
{
	struct bpf_map *map;
	int n = 0, c;

	bpf_object__for_each_map(map, h->skel->obj) {
		if ((bpf_map__type(map) != BPF_MAP_TYPE_LRU_HASH &&
		     bpf_map__type(map) != BPF_MAP_TYPE_ARRAY_OF_MAPS) ||
		    !strcmp(bpf_map__name(map), ADM_MAP_EVSAMPLE))
			continue;
		c = h_map_count(h, bpf_map__name(map));
		if (c < 0)
			return c;
		n += c;
	}
	return n;
}

static __u64 stat_packets(struct h_ctx *h, __u32 verdict, __u32 reason)
{
	struct adm_stat s = {};

	h_stat(h, SVC_ID, verdict, reason, &s);
	return s.packets;
}

static void client_addr(int family, int i, char *buf, size_t len)
{
	if (family == 4)
		snprintf(buf, len, "10.77.%d.%d", 200 + i / 200, 1 + i % 200);
	else
		snprintf(buf, len, "fd77:1:%x::%x", 0x100 + i, i + 1);
}

/*
 * issue 9 item 2: a SYN flood from random sources, the whole IPv4 space
 * (family 4) or one IPv6 /32 (family 6), at a verify service with the
 * example's stranger budgets, while VERIFIED_N verified clients connect.
 */
static bool test_random_flood(struct h_ctx *h, int family)
{
	char src[INET6_ADDRSTRLEN], what[160];
	__u64 t0, secs_x1000, admitted, bound, seed = rng_state;
	int i, c = 0, rc, before, after, client_ok = 0, client_n = 0;
	struct adm_fp_key k;
	bool ok = true;

	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &example_verify),
		       "write service"))
		return false;
	for (i = 0; i < VERIFIED_N; i++) {
		client_addr(family, i, src, sizeof(src));
		if (!ASSERT_OK(h_fp_key(&example_verify, SVC_ID, src, &k), "client key") ||
		    !ASSERT_OK(h_set_verified(h, &k, h_now_ns()), "mark client verified"))
			return false;
	}
	before = lru_entries(h);
	t0 = h_now_ns();
	for (i = 0; i < FLOOD_N; i++) {
		__u64 r = rng();
		__u32 a[4];

		if (family == 4) {
			a[0] = (__u32)r;
			inet_ntop(AF_INET, a, src, sizeof(src));
		} else {
			a[0] = htonl(0xfd770000);	/* fd77::/32, the rest random */
			a[1] = (__u32)r;
			a[2] = (__u32)(r >> 32);
			a[3] = (__u32)rng();
			inet_ntop(AF_INET6, a, src, sizeof(src));
		}
		rc = run_from(h, family, src, PKT_TCP_SYN, SVC_PORT);
		if (rc < 0 || (rc != XDP_PASS && rc != XDP_DROP)) {
			snprintf(what, sizeof(what), "flood SYN %d from %s: XDP_PASS or XDP_DROP", i, src);
			return ASSERT_ACTION(rc < 0 ? 99 : rc, XDP_DROP, what);
		}
		if (i % CLIENT_EVERY == 0) {
			client_addr(family, c, src, sizeof(src));
			c = (c + 1) % VERIFIED_N;
			client_n++;
			client_ok += run_from(h, family, src, PKT_TCP_SYN, SVC_PORT) == XDP_PASS;
		}
	}
	secs_x1000 = (h_now_ns() - t0) / H_NS_PER_MS + 1;
	after = lru_entries(h);
	admitted = stat_packets(h, ADM_V_PASS, ADM_R_NONE) - client_ok;
	/* new_source_rate x elapsed + burst, 20 ms of slack for the coarse clock. */
	bound = NEWSRC_BURST + NEWSRC_RATE * secs_x1000 / 1000 + NEWSRC_RATE / 50 + 1;
	tap_diag("IPv%d flood: %d SYNs in %.2f s (seed %#llx): %llu strangers admitted "
		 "(bound %llu), %d of %d verified SYNs admitted, %llu refused by prefix, "
		 "%llu by new sources, %llu rejected", family, FLOOD_N,
		 secs_x1000 / 1000.0, (unsigned long long)seed,
		 (unsigned long long)admitted, (unsigned long long)bound, client_ok,
		 client_n, (unsigned long long)stat_packets(h, ADM_V_DROP, ADM_R_RATE_PREFIX_UNVERIFIED),
		 (unsigned long long)stat_packets(h, ADM_V_DROP, ADM_R_RATE_NEW_SOURCES),
		 (unsigned long long)(stat_packets(h, ADM_V_REJECT, ADM_R_RATE_PREFIX_UNVERIFIED) +
				      stat_packets(h, ADM_V_REJECT, ADM_R_RATE_NEW_SOURCES)));
	ok &= ASSERT_TRUE(admitted <= bound, "strangers admitted within new_source_rate x time + burst");
	ok &= ASSERT_EQ(client_ok, client_n, "every verified client SYN admitted");
	ok &= ASSERT_EQ(after, before, "no per-source entry inserted or evicted by the flood");
	ok &= ASSERT_EQ(h_map_count(h, ADM_MAP_SRC), VERIFIED_N, "verified entries all still there");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_REJECT, ADM_R_RATE_PREFIX_UNVERIFIED) +
			stat_packets(h, ADM_V_REJECT, ADM_R_RATE_NEW_SOURCES), 0,
			"no RST toward a spoofed source");
	return ok;
}

/*
 * issue 9 item 4: a spoofed packet flood at a pkt_rate service, more
 * sources than ADM_MAX_SOURCES, must not give a source its SYN burst back.
 */
static bool test_pkt_flood_isolation(struct h_ctx *h)
{
	const struct adm_service svc = {
		.flags = ADM_SVC_ACTIVE, .fp_mode = ADM_FP_IP, .ipv4_prefix = 32,
		.ipv6_prefix = 64, .on_rate = ADM_A_DROP, .on_conn_full = ADM_A_DEFER,
		.unv_ipv4_prefix = 24, .unv_ipv6_prefix = 48,
		.syn = PER_MIN(1, 1), .pkt = PER_SEC(1000, 1000),
	};
	const char *verified = "10.77.1.1", *known = "10.77.1.2";
	char src[INET_ADDRSTRLEN];
	struct adm_fp_key k;
	bool ok = true;
	int i, rc;

	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, verified, &k), "key") ||
	    !ASSERT_OK(h_set_verified(h, &k, h_now_ns()), "mark verified"))
		return false;
	/* Both spend their one SYN: the verified one (adm_src), the other (adm_rate). */
	ok &= ASSERT_ACTION(run_from(h, 4, verified, PKT_TCP_SYN, SVC_PORT), XDP_PASS, "verified SYN 1");
	ok &= ASSERT_ACTION(run_from(h, 4, known, PKT_TCP_SYN, SVC_PORT), XDP_PASS, "known SYN 1");
	ok &= ASSERT_ACTION(run_from(h, 4, verified, PKT_TCP_SYN, SVC_PORT), XDP_DROP, "verified SYN 2");
	ok &= ASSERT_ACTION(run_from(h, 4, known, PKT_TCP_SYN, SVC_PORT), XDP_DROP, "known SYN 2");
	for (i = 0; ok && i < PKT_FLOOD_N; i++) {
		__u32 a = (__u32)rng();

		inet_ntop(AF_INET, &a, src, sizeof(src));
		rc = run_from(h, 4, src, PKT_TCP_ACK, SVC_PORT);
		if (rc != XDP_PASS)
			ok &= ASSERT_ACTION(rc < 0 ? 99 : rc, XDP_PASS, "flood ACK admitted (one per source)");
	}
	tap_diag("%d spoofed ACKs; adm_pkt_rate holds %d entries", PKT_FLOOD_N,
		 h_map_count(h, ADM_MAP_PKT_RATE));
	ok &= ASSERT_ACTION(run_from(h, 4, verified, PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "after the flood the verified source's SYN is still over its rate");
	ok &= ASSERT_ACTION(run_from(h, 4, known, PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "after the flood the known source's SYN is still over its rate");
	return ok;
}

/*
 * Services apart (issue 9 item 4): spoofed sources at service A's port,
 * many times what A's partitions hold, ACKs (adm_pkt_rate) and SYNs
 * (adm_rate, A without verify), must leave service B's partitions as they
 * were: B's abusive client stays over its packet and SYN rates instead of
 * getting a fresh burst. Partitions at the smallest size. The flood has
 * more distinct sources than the one LRU adm_rate and adm_pkt_rate each
 * were before the partitions (ISO_SHARED_OLD entries, commit 278e944^):
 * there it evicts B's entries, and this case fails (checked on that
 * commit with the same loop: B's SYN and packet admitted again).
 */
#define ISO_A		1
#define ISO_B		2
#define ISO_PORT_A	80
#define ISO_PORT_B	81
#define ISO_PART	ADM_RATE_SOURCES_MIN
#define ISO_SHARED_OLD	262144
#define ISO_FLOOD_N	(ISO_SHARED_OLD + ISO_SHARED_OLD / 4)

static bool test_service_isolation(struct h_ctx *h)
{
	const struct adm_service svc = {
		.flags = ADM_SVC_ACTIVE, .fp_mode = ADM_FP_IP, .ipv4_prefix = 32,
		.ipv6_prefix = 64, .on_rate = ADM_A_DROP, .on_conn_full = ADM_A_DEFER,
		.unv_ipv4_prefix = 24, .unv_ipv6_prefix = 48,
		.syn = PER_MIN(1, 1), .pkt = PER_MIN(1, 1),
	};
	const char *abuser = "10.77.2.9";
	static const char *const maps[] = { ADM_MAP_RATE, ADM_MAP_PKT_RATE };
	char src[INET_ADDRSTRLEN];
	struct adm_stat st = {};
	bool ok = true;
	int i, m, rc, a_syn = 0, a_ack = 0;

	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, ISO_A, IPPROTO_TCP, ISO_PORT_A, &svc), "write service A") ||
	    !ASSERT_OK(h_add_service(h, ISO_B, IPPROTO_TCP, ISO_PORT_B, &svc), "write service B"))
		return false;
	for (m = 0; m < 2; m++)
		for (i = ISO_A; i <= ISO_B; i++)
			if (!ASSERT_OK(h_part_size(h, maps[m], i, ISO_PART), "size a partition"))
				return false;
	/* B's abusive client spends its one SYN and its one packet. */
	ok &= ASSERT_ACTION(run_from(h, 4, abuser, PKT_TCP_SYN, ISO_PORT_B), XDP_PASS, "B: SYN 1");
	ok &= ASSERT_ACTION(run_from(h, 4, abuser, PKT_TCP_SYN, ISO_PORT_B), XDP_DROP, "B: SYN 2");
	ok &= ASSERT_ACTION(run_from(h, 4, abuser, PKT_TCP_ACK, ISO_PORT_B), XDP_PASS, "B: ACK 1");
	ok &= ASSERT_ACTION(run_from(h, 4, abuser, PKT_TCP_ACK, ISO_PORT_B), XDP_DROP, "B: ACK 2");
	for (i = 0; ok && i < ISO_FLOOD_N; i++) {
		__u32 a = (__u32)(i + 1) * 0x9e3779b1U;	/* distinct: odd multiplier */

		inet_ntop(AF_INET, &a, src, sizeof(src));
		/*
		 * Twice each, as B's client did: the second lookup marks the
		 * entry used, so the flood's entries compete with B's in an
		 * LRU's active list (sent once, they were evicted first and
		 * the old shared map kept B's entries).
		 */
		rc = run_from(h, 4, src, PKT_TCP_SYN, ISO_PORT_A);
		a_syn += rc == XDP_PASS;
		run_from(h, 4, src, PKT_TCP_SYN, ISO_PORT_A);
		rc = run_from(h, 4, src, PKT_TCP_ACK, ISO_PORT_A);
		a_ack += rc == XDP_PASS;
		rc = run_from(h, 4, src, PKT_TCP_ACK, ISO_PORT_A);
		if (rc < 0)
			ok &= ASSERT_OK(rc, "flood packet runs");
	}
	tap_diag("%d spoofed sources at A (2 SYNs + 2 ACKs each): %d SYNs and %d ACKs admitted; "
		 "partitions A %d + %d entries, B %d + %d (capacity %d each)", ISO_FLOOD_N,
		 a_syn, a_ack, h_part_count(h, ADM_MAP_RATE, ISO_A),
		 h_part_count(h, ADM_MAP_PKT_RATE, ISO_A), h_part_count(h, ADM_MAP_RATE, ISO_B),
		 h_part_count(h, ADM_MAP_PKT_RATE, ISO_B), ISO_PART);
	/* The flood really churned A's partitions: each source got its fresh bucket. */
	ok &= ASSERT_EQ(a_syn, ISO_FLOOD_N, "A: every spoofed source's first SYN admitted");
	ok &= ASSERT_GE(h_part_count(h, ADM_MAP_PKT_RATE, ISO_A), ISO_PART / 2,
			"A's packet partition filled");
	ok &= ASSERT_EQ(h_part_count(h, ADM_MAP_RATE, ISO_B), 1, "B's SYN partition: only its client");
	ok &= ASSERT_EQ(h_part_count(h, ADM_MAP_PKT_RATE, ISO_B), 1,
			"B's packet partition: only its client");
	ok &= ASSERT_ACTION(run_from(h, 4, abuser, PKT_TCP_SYN, ISO_PORT_B), XDP_DROP,
			    "B: after the flood at A the abusive client's SYN is still over its rate");
	ok &= ASSERT_ACTION(run_from(h, 4, abuser, PKT_TCP_ACK, ISO_PORT_B), XDP_DROP,
			    "B: after the flood at A the abusive client's packet is still over its rate");
	h_stat(h, ISO_B, ADM_V_DROP, ADM_R_RATE_PACKET, &st);
	ok &= ASSERT_EQ(st.packets, 2, "B: packet-rate drops counted under B");
	return ok;
}

/*
 * The verify service SVC_ID of the filter tests and, after a reset, an
 * adm_src entry for addr far over its rate, without its filter bit.
 */
#define SF_SVC		{						\
	.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .fp_mode = ADM_FP_IP,	\
	.ipv4_prefix = 32, .ipv6_prefix = 64, .on_rate = ADM_A_DROP,	\
	.on_conn_full = ADM_A_DEFER, .on_unverified = ADM_A_DROP,	\
	.unv_ipv4_prefix = 24, .unv_ipv6_prefix = 48,			\
	.syn = PER_MIN(1, 1), .new_sources = PER_MIN(1, 1000),		\
}

static bool src_entry_unmarked(struct h_ctx *h, const char *addr, struct adm_fp_key *k)
{
	const struct adm_service svc = SF_SVC;
	struct adm_src src = { .syn_tat = h_now_ns() + HOUR_NS };

	return ASSERT_OK(h_reset(h), "reset maps") &&
	       ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") &&
	       ASSERT_OK(h_fp_key(&svc, SVC_ID, addr, k), "key") &&
	       ASSERT_OK(bpf_map_update_elem(h->fd_src, k, &src, BPF_ANY) ? -errno : 0,
			 "write an adm_src entry without its filter bit");
}

/*
 * adm_src_summary: XDP reads a key's adm_src_filter word only when the
 * key's summary bit is set. A filter bit without its summary bit (a
 * filter pinned before the summary existed) hides the entry until
 * adm_src_summary_rebuild (admd's loader) summarizes the filter; the
 * rebuild sets the bit of each non-empty group of filter bits
 * (ADM_SRC_SUMMARY_SHIFT) and no other.
 */
static bool test_src_summary(struct h_ctx *h)
{
	const char *addr = "10.77.3.4";
	int ffd = h_map_fd(h, ADM_MAP_SRC_FILTER), sfd = h_map_fd(h, ADM_MAP_SRC_SUMMARY);
	__u64 word = 0, sword = 0, other = 1ULL << 40, set_words = 0;
	__u32 bit, fw, sbit, sw, i;
	struct adm_fp_key k;
	bool ok = true;

	if (!src_entry_unmarked(h, addr, &k))
		return false;
	bit = adm_src_filter_bit(&k);
	fw = bit / 64;
	sbit = bit >> ADM_SRC_SUMMARY_SHIFT;
	sw = sbit / 64;
	/* The filter bit alone, as a filter pinned before the summary; and a bit far from it. */
	word = 1ULL << (bit % 64);
	ok &= ASSERT_OK(bpf_map_update_elem(ffd, &fw, &word, BPF_ANY) ? -errno : 0,
			"set the key's filter bit only");
	i = (fw + ADM_SRC_FILTER_WORDS / 2) % ADM_SRC_FILTER_WORDS;
	ok &= ASSERT_OK(bpf_map_update_elem(ffd, &i, &other, BPF_ANY) ? -errno : 0,
			"set one filter bit of another group");
	ok &= ASSERT_ACTION(run_from(h, 4, addr, PKT_TCP_SYN, SVC_PORT), XDP_PASS,
			    "summary bit clear: the filter is not read, judged as a stranger, admitted");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DROP, ADM_R_RATE_SOURCE), 0, "no rate_source refusal");
	ok &= ASSERT_OK(adm_src_summary_rebuild(ffd, sfd), "summarize the filter");
	ok &= ASSERT_ACTION(run_from(h, 4, addr, PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "after the rebuild: its adm_src entry is read, over its rate, dropped");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DROP, ADM_R_RATE_SOURCE), 1, "one rate_source refusal");
	bpf_map_lookup_elem(sfd, &sw, &sword);
	ok &= ASSERT_EQ(sword >> (sbit % 64) & 1, 1, "the key's summary bit is set");
	for (i = 0; i < ADM_SRC_SUMMARY_WORDS; i++) {
		__u64 v = 0;

		bpf_map_lookup_elem(sfd, &i, &v);
		set_words += __builtin_popcountll(v);
	}
	ok &= ASSERT_EQ(set_words, 2, "two summary bits set: one per non-empty group");
	ok &= ASSERT_OK(adm_src_summary_rebuild(ffd, sfd), "summarize again (idempotent)");
	bpf_map_lookup_elem(sfd, &sw, &word);
	ok &= ASSERT_EQ(word, sword, "the summary word is unchanged");
	return ok;
}

/*
 * adm_src_filter: XDP looks a source up in adm_src only when its bit is
 * set, so writers set it before the entry. An entry without its bit is
 * not seen (the source is judged as a stranger); with it, it is.
 */
static bool test_src_filter(struct h_ctx *h)
{
	const char *addr = "10.77.3.3";
	struct adm_fp_key k;
	bool ok = true;

	if (!src_entry_unmarked(h, addr, &k))
		return false;
	ok &= ASSERT_ACTION(run_from(h, 4, addr, PKT_TCP_SYN, SVC_PORT), XDP_PASS,
			    "unmarked: judged as a stranger (new-source budget), admitted");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DROP, ADM_R_RATE_SOURCE), 0, "no rate_source refusal");
	ok &= ASSERT_OK(adm_src_filter_mark(h_map_fd(h, ADM_MAP_SRC_FILTER),
					    h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					    h_map_fd(h, ADM_MAP_SRC_SUMMARY), &k), "mark the key");
	ok &= ASSERT_ACTION(run_from(h, 4, addr, PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "marked: its adm_src entry is read, over its rate, dropped");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DROP, ADM_R_RATE_SOURCE), 1, "one rate_source refusal");
	return ok;
}

/*
 * adm_src_filter forgets (issue 9): admd's rebuild sets exactly the bits of
 * the keys adm_src holds, so a key whose entry was deleted reads clear
 * afterwards; the writers' order (next, live, then the entry) keeps every
 * key that has an entry set in adm_src_filter at every moment, including
 * keys established while a rebuild runs. Real maps, the real rebuild.
 */
#define SF_BULK		20000		/* keys of the forget case (several batch reads) */
#define SF_RACE_KEYS	12000		/* entries while keys are established mid-rebuild */
#define SF_STRESS_REBUILDS 25
#define SF_STRESS_KEYS	2000		/* at least this many established during them */

static bool sf_bit(const __u64 *w, const struct adm_fp_key *k)
{
	__u32 bit = adm_src_filter_bit(k);

	return __atomic_load_n(&w[bit / 64], __ATOMIC_SEQ_CST) >> (bit % 64) & 1;
}

/* What XDP sees of k: its summary bit and its filter bit both set. */
static bool sf_seen(const struct adm_src_filter *f, const struct adm_fp_key *k)
{
	__u32 sbit = adm_src_filter_bit(k) >> ADM_SRC_SUMMARY_SHIFT;

	return sf_bit(f->live, k) &&
	       (__atomic_load_n(&f->sum[sbit / 64], __ATOMIC_SEQ_CST) >> (sbit % 64) & 1);
}

/* The summary words derived from the filter words w (one bit per group). */
static __u64 *sf_summary_of(const __u64 *w)
{
	__u64 *s = calloc(ADM_SRC_SUMMARY_WORDS, sizeof(*s));
	__u32 bit;

	for (bit = 0; s && bit < ADM_SRC_FILTER_WORDS * 64; bit++)
		if (w[bit / 64] >> (bit % 64) & 1)
			s[(bit >> ADM_SRC_SUMMARY_SHIFT) / 64] |=
				1ULL << ((bit >> ADM_SRC_SUMMARY_SHIFT) % 64);
	return s;
}

/* Distinct keys of service SVC_ID: an IPv4-mapped address per n. */
static void sf_key(__u32 n, struct adm_fp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->service = SVC_ID;
	k->addr[2] = htonl(0xffff);
	k->addr[3] = htonl(0x0b000000 + n);	/* 11.0.0.0/8: no test address */
}

/* As sockops at an established handshake: mark (next, live), then the entry. */
static int sf_establish(const struct adm_src_filter *f, int src_fd,
			const struct adm_fp_key *k, __u64 syn_tat)
{
	struct adm_src src = { .syn_tat = syn_tat, .live = 1 };

	adm_src_filter_set(f, k);
	return bpf_map_update_elem(src_fd, k, &src, BPF_NOEXIST) ? -errno : 0;
}

/* The bits the rebuild must leave: those of keys[i] for present[i]. */
static __u64 *sf_expected(const struct adm_fp_key *keys, const bool *present, size_t n)
{
	__u64 *w = calloc(ADM_SRC_FILTER_WORDS, sizeof(*w));
	size_t i;

	for (i = 0; w && i < n; i++) {
		__u32 bit = adm_src_filter_bit(&keys[i]);

		if (present[i])
			w[bit / 64] |= 1ULL << (bit % 64);
	}
	return w;
}

static bool test_src_filter_forget(struct h_ctx *h)
{
	const struct adm_service svc = SF_SVC;
	const int src_fd = h->fd_src;
	struct adm_fp_key kept, gone, *keys = calloc(SF_BULK + 2, sizeof(*keys));
	bool *present = calloc(SF_BULK + 2, sizeof(*present));
	struct adm_src_filter_pass p = {};
	struct adm_src_filter f = { .sync_fd = -1, .sync_inner_fd = -1 };
	__u64 over = h_now_ns() + HOUR_NS, *want = NULL, *sum_want = NULL;
	__u32 bk, bg;
	bool ok = true;
	int i, n_present = 0;

	if (!ASSERT_TRUE(keys && present, "memory") ||
	    !ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, "10.77.4.1", &kept), "key") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, "10.77.4.2", &gone), "key") ||
	    !ASSERT_OK(adm_src_filter_open(&f, h_map_fd(h, ADM_MAP_SRC_FILTER),
					   h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					   h_map_fd(h, ADM_MAP_SRC_SUMMARY)), "map the filter"))
		goto out;
	bk = adm_src_filter_bit(&kept);
	bg = adm_src_filter_bit(&gone);
	ok &= ASSERT_TRUE(bk != bg, "the two addresses hash to different bits");
	ok &= ASSERT_OK(sf_establish(&f, src_fd, &kept, over), "establish 10.77.4.1");
	ok &= ASSERT_OK(sf_establish(&f, src_fd, &gone, over), "establish 10.77.4.2");
	keys[0] = kept;
	keys[1] = gone;
	present[0] = true;
	for (i = 2; ok && i < SF_BULK + 2; i++) {
		sf_key(i, &keys[i]);
		ok &= ASSERT_OK(sf_establish(&f, src_fd, &keys[i], 0), "establish a bulk key");
		present[i] = i % 2;	/* every other one is deleted below */
	}
	ok &= ASSERT_ACTION(run_from(h, 4, "10.77.4.2", PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "10.77.4.2 with its entry: over its rate, dropped");
	for (i = 1; ok && i < SF_BULK + 2; i++)
		if (!present[i])
			ok &= ASSERT_OK(bpf_map_delete_elem(src_fd, &keys[i]) ? -errno : 0,
					"delete an entry");
	ok &= ASSERT_TRUE(sf_bit(f.live, &gone), "before the rebuild the deleted key's bit is set");
	for (i = 0; i < SF_BULK + 2; i++)
		n_present += present[i];
	want = sf_expected(keys, present, SF_BULK + 2);
	if (!ok || !ASSERT_TRUE(want != NULL, "memory") ||
	    !ASSERT_OK(adm_src_filter_rebuild(&f, src_fd, &p, NULL, NULL), "rebuild"))
		goto out;
	tap_diag("forget: %d keys, %d deleted: %llu adm_src keys read, bits %llu -> %llu "
		 "in %.2f ms (wait for programs %.2f ms)", SF_BULK + 2, SF_BULK + 2 - n_present,
		 (unsigned long long)p.keys, (unsigned long long)p.bits_before,
		 (unsigned long long)p.bits_after, p.ns / 1e6, p.sync_ns / 1e6);
	ok &= ASSERT_EQ(p.keys, n_present, "the rebuild read every adm_src key");
	ok &= ASSERT_EQ(p.bits_after, adm_src_bits_count(want, ADM_SRC_FILTER_WORDS),
			"bits after: exactly those of the keys present");
	ok &= ASSERT_MEMEQ(f.live, ADM_SRC_FILTER_WORDS * sizeof(__u64), want,
			   ADM_SRC_FILTER_WORDS * sizeof(__u64), "adm_src_filter: the keys present");
	ok &= ASSERT_MEMEQ(f.next, ADM_SRC_FILTER_WORDS * sizeof(__u64), want,
			   ADM_SRC_FILTER_WORDS * sizeof(__u64), "adm_src_filter_next: the same");
	ok &= ASSERT_TRUE(!sf_bit(f.live, &gone), "the deleted key reads clear");
	ok &= ASSERT_TRUE(sf_seen(&f, &kept), "the kept key reads set (filter and summary)");
	sum_want = sf_summary_of(want);
	ok &= ASSERT_TRUE(sum_want != NULL, "memory") &&
	      ASSERT_MEMEQ(f.sum, ADM_SRC_SUMMARY_WORDS * sizeof(__u64), sum_want,
			   ADM_SRC_SUMMARY_WORDS * sizeof(__u64),
			   "adm_src_summary: exactly the groups of the keys present");
	ok &= ASSERT_ACTION(run_from(h, 4, "10.77.4.1", PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "10.77.4.1: its entry still read, over its rate, dropped");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DROP, ADM_R_RATE_SOURCE), 2, "two rate_source refusals");
	/* Every entry gone: a rebuild leaves nothing set. */
	for (i = 0; i < SF_BULK + 2; i++)
		if (present[i])
			bpf_map_delete_elem(src_fd, &keys[i]);
	ok &= ASSERT_OK(adm_src_filter_rebuild(&f, src_fd, &p, NULL, NULL), "rebuild an empty adm_src");
	ok &= ASSERT_EQ(p.bits_after, 0, "no entry, no bit");
	for (i = 0; i < ADM_SRC_SUMMARY_WORDS; i++)
		if (f.sum[i]) {
			ok &= ASSERT_EQ(f.sum[i], 0, "no entry, no summary bit");
			break;
		}
out:
	adm_src_filter_close(&f);
	free(sum_want);
	free(want);
	free(keys);
	free(present);
	return ok;
}

/* State of the mid-rebuild case, seen by its step callback. */
struct sf_race {
	struct h_ctx *h;
	struct adm_src_filter *f;
	struct adm_fp_key keys[SF_RACE_KEYS + 64];
	char probe[INET_ADDRSTRLEN];	/* the first key established mid-rebuild */
	int n, steps, missing, errors, dropped;
	struct adm_fp_key late;		/* established inside the copy of its word */
	__u32 late_word;
	int late_done;
};

/*
 * At every stage of the rebuild (next cleared, the wait done, each batch
 * read, next copied) a new key is established, then every key so far must
 * read set in adm_src_filter, and the first mid-rebuild key's SYN (over
 * its rate) must be judged by its entry. In the copy, `late` is
 * established after its word of next was read and before the swap: the
 * swap must fail and be retried, not drop the bit.
 */
static void sf_race_step(void *arg, enum adm_src_filter_step s, __u32 word)
{
	struct sf_race *r = arg;
	int i;

	if (s == ADM_SF_COPY_WORD) {
		if (word == r->late_word && !r->late_done) {
			r->late_done = 1;
			if (sf_establish(r->f, r->h->fd_src, &r->late, 0))
				r->errors++;
		}
		return;
	}
	r->steps++;
	if (r->n < SF_RACE_KEYS + 64) {
		sf_key(1000000 + r->n, &r->keys[r->n]);
		if (sf_establish(r->f, r->h->fd_src, &r->keys[r->n], h_now_ns() + HOUR_NS))
			r->errors++;
		r->n++;
	}
	for (i = 0; i < r->n; i++)
		r->missing += !sf_seen(r->f, &r->keys[i]);
	r->dropped += run_from(r->h, 4, r->probe, PKT_TCP_SYN, SVC_PORT) == XDP_DROP;
}

static bool test_src_filter_rebuild_race(struct h_ctx *h)
{
	const struct adm_service svc = SF_SVC;
	static struct sf_race r;
	struct adm_src_filter_pass p = {};
	struct adm_src_filter f = { .sync_fd = -1, .sync_inner_fd = -1 };
	struct adm_fp_key first, stale;
	__u32 n, stale_bit;
	bool ok = true, shared = false;
	int i, during;

	memset(&r, 0, sizeof(r));
	r.h = h;
	r.f = &f;
	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(adm_src_filter_open(&f, h_map_fd(h, ADM_MAP_SRC_FILTER),
					   h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					   h_map_fd(h, ADM_MAP_SRC_SUMMARY)), "map the filter"))
		goto out;
	for (i = 0; ok && i < SF_RACE_KEYS; i++) {
		sf_key(1000000 + i, &r.keys[i]);
		ok &= ASSERT_OK(sf_establish(&f, h->fd_src, &r.keys[i], h_now_ns() + HOUR_NS),
				"establish a key");
	}
	r.n = SF_RACE_KEYS;
	/*
	 * A deleted key whose bit shares late's word: live and next differ
	 * there at the copy, so the copy reaches the swap of that word.
	 */
	sf_key(5000000, &r.late);
	r.late_word = adm_src_filter_bit(&r.late) / 64;
	for (n = 5000001;; n++) {
		sf_key(n, &stale);
		stale_bit = adm_src_filter_bit(&stale);
		if (stale_bit / 64 == r.late_word && stale_bit != adm_src_filter_bit(&r.late))
			break;
	}
	ok &= ASSERT_OK(sf_establish(&f, h->fd_src, &stale, 0), "establish the stale key") &&
	      ASSERT_OK(bpf_map_delete_elem(h->fd_src, &stale) ? -errno : 0, "delete it");
	sf_key(1000000 + SF_RACE_KEYS, &first);
	inet_ntop(AF_INET, &first.addr[3], r.probe, sizeof(r.probe));
	ok &= ASSERT_OK(h_fp_key(&svc, SVC_ID, r.probe, &r.keys[SF_RACE_KEYS]), "key") &&
	      ASSERT_MEMEQ(&r.keys[SF_RACE_KEYS], sizeof(first), &first, sizeof(first),
			   "the probe's key is the first mid-rebuild key's");
	if (!ok || !ASSERT_OK(adm_src_filter_rebuild(&f, h->fd_src, &p, sf_race_step, &r), "rebuild"))
		goto out;
	during = r.n - SF_RACE_KEYS;
	tap_diag("mid-rebuild: %d keys established during %d stages of a rebuild over %d; "
		 "%d key reads clear, probe dropped at %d stages", during, r.steps, SF_RACE_KEYS,
		 r.missing, r.dropped);
	ok &= ASSERT_EQ(r.errors, 0, "every mid-rebuild key established");
	ok &= ASSERT_GE(r.steps, 2 + SF_RACE_KEYS / 4096 + 1, "stages: cleared, waited, batches, copied");
	ok &= ASSERT_EQ(r.missing, 0, "no key with an entry read clear at any stage");
	ok &= ASSERT_EQ(r.dropped, r.steps, "the probe's entry was read at every stage");
	ok &= ASSERT_EQ(r.late_done, 1, "a key was established inside the copy of its word");
	ok &= ASSERT_TRUE(sf_seen(&f, &r.late) && sf_bit(f.next, &r.late),
			  "... and reads set after the rebuild (the swap retried)");
	for (i = 0; i < r.n; i++)
		shared |= adm_src_filter_bit(&r.keys[i]) == stale_bit;
	if (!shared)
		ok &= ASSERT_TRUE(!sf_bit(f.live, &stale), "the deleted key in that word reads clear");
	for (i = 0; i < r.n; i++) {
		if (!sf_seen(&f, &r.keys[i]) || !sf_bit(f.next, &r.keys[i])) {
			ok &= ASSERT_TRUE(false, "after the rebuild every key reads set in both arrays");
			break;
		}
	}
	/* Established after the last batch read: the next rebuild still keeps it. */
	ok &= ASSERT_OK(adm_src_filter_rebuild(&f, h->fd_src, &p, NULL, NULL), "rebuild again");
	ok &= ASSERT_EQ(p.keys, r.n + 1, "the second rebuild read every key (and late)");
	ok &= ASSERT_TRUE(sf_seen(&f, &r.keys[r.n - 1]), "the key established last reads set");
out:
	adm_src_filter_close(&f);
	return ok;
}

/* The no-op or case: the key established inside the swap of its word, whose bit a deleted key had set. */
struct sf_noop {
	struct adm_src_filter *f;
	int src_fd, errors, done;
	__u32 word;
	struct adm_fp_key twin;
	bool clear_after_copy;		/* the twin read clear between the swaps and the repair */
};

static void sf_noop_step(void *arg, enum adm_src_filter_step s, __u32 word)
{
	struct sf_noop *r = arg;

	if (s == ADM_SF_COPY_WORD && word == r->word && !r->done) {
		r->done = 1;
		if (sf_establish(r->f, r->src_fd, &r->twin, 0))
			r->errors++;
	} else if (s == ADM_SF_SUMMARIZED) {
		r->clear_after_copy = !sf_seen(r->f, &r->twin);
	}
}

/*
 * A deleted key's bit is still set in adm_src_filter; a second key with
 * the same bit is established after the copy read next's word and before
 * its swap: its or on the live word changes nothing, so the swap succeeds
 * and clears the bit under an entry. The rebuild's repair (after its
 * second wait for running programs) must set it again before it returns.
 */
static bool test_src_filter_repair(struct h_ctx *h)
{
	const struct adm_service svc = SF_SVC;
	struct adm_src_filter f = { .sync_fd = -1, .sync_inner_fd = -1 };
	struct sf_noop r = { .f = &f, .src_fd = h->fd_src };
	struct adm_fp_key dead;
	__u32 n, bit;
	bool ok = true;

	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(adm_src_filter_open(&f, h_map_fd(h, ADM_MAP_SRC_FILTER),
					   h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					   h_map_fd(h, ADM_MAP_SRC_SUMMARY)), "map the filter"))
		goto out;
	sf_key(7000000, &dead);
	bit = adm_src_filter_bit(&dead);
	for (n = 7000001; n < 7000001 + (64U << 20); n++) {
		sf_key(n, &r.twin);
		if (adm_src_filter_bit(&r.twin) == bit)
			break;
	}
	if (!ASSERT_EQ(adm_src_filter_bit(&r.twin), bit, "a second key with the same bit"))
		goto out;
	r.word = bit / 64;
	ok &= ASSERT_OK(sf_establish(&f, h->fd_src, &dead, 0), "establish the first key") &&
	      ASSERT_OK(bpf_map_delete_elem(h->fd_src, &dead) ? -errno : 0, "delete its entry");
	ok &= ASSERT_OK(adm_src_filter_rebuild(&f, h->fd_src, NULL, sf_noop_step, &r), "rebuild");
	ok &= ASSERT_EQ(r.done, 1, "the twin was established inside the swap of its word");
	ok &= ASSERT_EQ(r.errors, 0, "... without error");
	tap_diag("repair: the twin read %s between the swaps and the repair",
		 r.clear_after_copy ? "clear (the no-op or)" : "set");
	ok &= ASSERT_TRUE(sf_seen(&f, &r.twin), "after the rebuild the twin reads set (filter and summary)");
out:
	adm_src_filter_close(&f);
	return ok;
}

/*
 * The stress case: a writer establishing keys as sockops does and deleting
 * a third of them again (those with index % 3 == 2, 64 keys later), a
 * checker reading the bits of the others, while rebuilds run back to back.
 * The rebuild's waits for running BPF programs do not wait for a
 * userspace thread: the writer marks and creates each key under a read
 * lock, and the rebuild's steps before each wait take the write lock, as
 * the kernel's wait does for sockops (a writer preempted between its mark
 * and its entry would otherwise outlast the wait, a harness artifact:
 * admd's own userspace writer runs in the rebuild's thread).
 */
struct sf_stress {
	struct adm_src_filter *f;
	pthread_rwlock_t lk;
	int src_fd;
	struct adm_fp_key *keys;
	unsigned char *state;		/* 0 none, 1 present, 2 deleted */
	int cap, stop, n, errors;
	long checks, missing;
};

#define SF_DOOMED(i)	((i) % 3 == 2)

static void *sf_writer(void *arg)
{
	struct sf_stress *s = arg;
	int i;

	for (i = 0; i < s->cap && !__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST); i++) {
		sf_key(2000000 + i, &s->keys[i]);
		pthread_rwlock_rdlock(&s->lk);
		if (sf_establish(s->f, s->src_fd, &s->keys[i], 0)) {
			pthread_rwlock_unlock(&s->lk);
			s->errors++;
			continue;
		}
		pthread_rwlock_unlock(&s->lk);
		__atomic_store_n(&s->state[i], 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&s->n, i + 1, __ATOMIC_SEQ_CST);
		if (i >= 64 && SF_DOOMED(i - 64)) {
			__atomic_store_n(&s->state[i - 64], 2, __ATOMIC_SEQ_CST);
			bpf_map_delete_elem(s->src_fd, &s->keys[i - 64]);
		}
	}
	return NULL;
}

/* Before each of the rebuild's waits: the writer's establish in flight ends. */
static void sf_stress_step(void *arg, enum adm_src_filter_step st, __u32 word)
{
	struct sf_stress *s = arg;

	(void)word;
	if (st == ADM_SF_CLEARED || st == ADM_SF_SUMMARIZED) {
		pthread_rwlock_wrlock(&s->lk);
		pthread_rwlock_unlock(&s->lk);
	}
}

static void *sf_checker(void *arg)
{
	struct sf_stress *s = arg;
	int i, n;

	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		n = __atomic_load_n(&s->n, __ATOMIC_SEQ_CST);
		for (i = 0; i < n; i++) {
			/* A key published in n has its entry, and keeps it unless doomed. */
			if (SF_DOOMED(i))
				continue;
			s->checks++;
			s->missing += !sf_seen(s->f, &s->keys[i]);
		}
	}
	return NULL;
}

static bool test_src_filter_stress(struct h_ctx *h)
{
	struct adm_src_filter f = { .sync_fd = -1, .sync_inner_fd = -1 };
	struct adm_src_filter_pass p = {};
	struct sf_stress s = { .f = &f, .src_fd = h->fd_src, .cap = 100000 };
	pthread_t w, c;
	bool ok = true, *present = NULL;
	__u64 *want = NULL;
	int i, rebuilds = 0;

	pthread_rwlock_init(&s.lk, NULL);
	s.keys = calloc(s.cap, sizeof(*s.keys));
	s.state = calloc(s.cap, 1);
	present = calloc(s.cap, sizeof(*present));
	if (!ASSERT_TRUE(s.keys && s.state && present, "memory") ||
	    !ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(adm_src_filter_open(&f, h_map_fd(h, ADM_MAP_SRC_FILTER),
					   h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					   h_map_fd(h, ADM_MAP_SRC_SUMMARY)), "map the filter"))
		goto out;
	if (!ASSERT_OK(-pthread_create(&w, NULL, sf_writer, &s), "start the writer"))
		goto out;
	if (pthread_create(&c, NULL, sf_checker, &s)) {
		__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(w, NULL);
		ok = ASSERT_TRUE(false, "start the checker");
		goto out;
	}
	/* At least SF_STRESS_REBUILDS, and on until the writer got going (bounded). */
	for (i = 0; i < SF_STRESS_REBUILDS ||
		    (__atomic_load_n(&s.n, __ATOMIC_SEQ_CST) < SF_STRESS_KEYS && i < 100000); i++) {
		if (!ASSERT_OK(adm_src_filter_rebuild(&f, h->fd_src, &p, sf_stress_step, &s),
			       "rebuild"))
			break;
		rebuilds++;
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(w, NULL);
	pthread_join(c, NULL);
	/* Quiet now: one more rebuild leaves exactly the keys present. */
	ok &= ASSERT_OK(adm_src_filter_rebuild(&f, h->fd_src, &p, NULL, NULL), "final rebuild");
	for (i = 0; i < s.n; i++)
		present[i] = s.state[i] == 1;
	want = sf_expected(s.keys, present, s.n);
	tap_diag("stress: %d rebuilds while a writer established %d keys and deleted %d; "
		 "%ld checks of present keys, %ld read clear", rebuilds, s.n, s.n - (int)p.keys,
		 s.checks, s.missing);
	ok &= ASSERT_GE(rebuilds, SF_STRESS_REBUILDS, "rebuilds ran");
	ok &= ASSERT_GE(s.n, SF_STRESS_KEYS, "keys established during them");
	ok &= ASSERT_EQ(s.errors, 0, "every key established");
	ok &= ASSERT_GE(s.checks, 1, "the checker ran");
	ok &= ASSERT_EQ(s.missing, 0, "no present key ever read clear");
	ok &= ASSERT_GE(s.n - p.keys, 1, "keys were deleted meanwhile");
	ok &= ASSERT_TRUE(want != NULL, "memory") &&
	      ASSERT_MEMEQ(f.live, ADM_SRC_FILTER_WORDS * sizeof(__u64), want,
			   ADM_SRC_FILTER_WORDS * sizeof(__u64),
			   "after the churn: exactly the bits of the keys present");
out:
	adm_src_filter_close(&f);
	free(want);
	free(present);
	free(s.keys);
	free(s.state);
	pthread_rwlock_destroy(&s.lk);
	return ok;
}

/*
 * The rebuild's cost over a full adm_src (ADM_MAX_SOURCES entries): one
 * pass, its time in the TAP output; the bits left are those of the keys.
 */
static bool test_src_filter_full(struct h_ctx *h)
{
	const __u32 n = ADM_MAX_SOURCES, batch = 8192;
	struct adm_src_filter f = { .sync_fd = -1, .sync_inner_fd = -1 };
	struct adm_src_filter_pass p = {};
	struct adm_fp_key *keys = calloc(n, sizeof(*keys));
	struct adm_src *vals = calloc(batch, sizeof(*vals)), v;
	bool *present = calloc(n, sizeof(*present)), ok = true;
	__u64 *want = NULL;
	__u32 i, cnt, held = 0;

	if (!ASSERT_TRUE(keys && vals && present, "memory") ||
	    !ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(adm_src_filter_open(&f, h_map_fd(h, ADM_MAP_SRC_FILTER),
					   h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					   h_map_fd(h, ADM_MAP_SRC_SUMMARY)), "map the filter"))
		goto out;
	for (i = 0; i < n; i++) {
		sf_key(3000000 + i, &keys[i]);
		adm_src_filter_set(&f, &keys[i]);
	}
	for (i = 0; ok && i < n; i += batch) {
		cnt = n - i < batch ? n - i : batch;
		ok &= ASSERT_OK(bpf_map_update_batch(h->fd_src, &keys[i], vals, &cnt, NULL) ?
				-errno : 0, "fill adm_src");
	}
	/* An LRU may evict a few before it is full: the truth is what it holds. */
	for (i = 0; ok && i < n; i++) {
		present[i] = !bpf_map_lookup_elem(h->fd_src, &keys[i], &v);
		held += present[i];
	}
	want = sf_expected(keys, present, n);
	if (!ok || !ASSERT_TRUE(want != NULL, "memory") ||
	    !ASSERT_OK(adm_src_filter_rebuild(&f, h->fd_src, &p, NULL, NULL), "rebuild"))
		goto out;
	tap_diag("full adm_src: %u of %u entries held; rebuild read %llu keys in %.1f ms "
		 "(wait for programs %.2f ms), %llu bits set (%.2f%% of %llu)", held, n,
		 (unsigned long long)p.keys, p.ns / 1e6, p.sync_ns / 1e6,
		 (unsigned long long)p.bits_after, 100.0 * p.bits_after / ADM_SRC_FILTER_BITS,
		 (unsigned long long)ADM_SRC_FILTER_BITS);
	ok &= ASSERT_GE(held, n - n / 64, "adm_src holds (nearly) all of them");
	ok &= ASSERT_EQ(p.keys, held, "every key read");
	ok &= ASSERT_EQ(p.bits_after, adm_src_bits_count(want, ADM_SRC_FILTER_WORDS), "exactly their bits");
out:
	adm_src_filter_close(&f);
	free(want);
	free(present);
	free(keys);
	free(vals);
	return ok;
}

/*
 * issue 9 item 6: at most ADM_RST_PER_SEC REJECT replies per CPU per
 * second; the rest are dropped and counted.
 */
static bool test_rst_budget(struct h_ctx *h)
{
	const struct adm_service svc = {
		.flags = ADM_SVC_ACTIVE, .ipv4_prefix = 32, .ipv6_prefix = 64,
		.on_rate = ADM_A_REJECT, .on_conn_full = ADM_A_REJECT,
	};
	const struct adm_state open = { .breaker = ADM_BRK_OPEN };
	const int extra = 5, n = ADM_RST_PER_SEC + extra;
	struct adm_rstbudget *b = NULL;
	cpu_set_t saved, one;
	__u32 zero = 0;
	int i, cpu, tx = 0, drop = 0, rc, fd;
	__u64 second;
	bool ok = false;

	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(h_set_state(h, SVC_ID, &open), "open the breaker"))
		return false;
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(saved), &saved) ? -errno : 0, "get affinity") ||
	    !ASSERT_OK(sched_setaffinity(0, sizeof(one), &one) ? -errno : 0, "pin to one CPU"))
		return false;
	b = calloc(h->ncpus, sizeof(*b));
	if (!ASSERT_TRUE(b != NULL, "allocate per-CPU values"))
		goto out;
	h_sleep_ns(H_NS_PER_SEC - h_now_ns() % H_NS_PER_SEC + 20 * H_NS_PER_MS);
	second = h_now_ns() / H_NS_PER_SEC;
	for (i = 0; i < n; i++) {
		rc = run_from(h, 4, "10.77.1.1", PKT_TCP_SYN, SVC_PORT);
		tx += rc == XDP_TX;
		drop += rc == XDP_DROP;
	}
	ok = ASSERT_EQ(h_now_ns() / H_NS_PER_SEC, second, "all in one second");
	ok &= ASSERT_EQ(tx, ADM_RST_PER_SEC, "RSTs sent (XDP_TX)");
	ok &= ASSERT_EQ(drop, extra, "refusals past the budget dropped");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_REJECT, ADM_R_BREAKER_OPEN), ADM_RST_PER_SEC,
			"counted reject/breaker_open");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DROP, ADM_R_BREAKER_OPEN), extra,
			"counted drop/breaker_open");
	fd = h_map_fd(h, ADM_MAP_RSTBUDGET);
	ok &= ASSERT_OK(fd < 0 ? fd : bpf_map_lookup_elem(fd, &zero, b) ? -errno : 0,
			"read adm_rstbudget");
	ok &= ASSERT_EQ(b[cpu].suppressed, extra, "adm_rstbudget.suppressed on the pinned CPU");
out:
	sched_setaffinity(0, sizeof(saved), &saved);
	free(b);
	return ok;
}

/*
 * The cluster contract: adm_global_block is read only once its writer set
 * adm_global.gblock_word; a live entry refuses with global_block and the
 * service's on_rate; an expired one does not.
 */
static bool test_global_block(struct h_ctx *h)
{
	struct adm_service svc = example_verify;
	struct adm_gblock until = { .until_ns = h_now_ns() + HOUR_NS };
	struct adm_gblock gone = { .until_ns = h_now_ns() - H_NS_PER_SEC };
	struct adm_global *g = NULL;
	struct adm_fp_key k1, k2;
	int gfd = h_map_fd(h, ADM_MAP_GLOBAL), bfd = h_map_fd(h, ADM_MAP_GLOBAL_BLOCK);
	__u32 zero = 0;
	bool ok = true;

	svc.on_rate = ADM_A_DEFER;
	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, "10.77.1.1", &k1), "key 1") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, "10.77.1.2", &k2), "key 2") ||
	    !ASSERT_OK(h_set_verified(h, &k1, h_now_ns()), "verified 1") ||
	    !ASSERT_OK(h_set_verified(h, &k2, h_now_ns()), "verified 2") ||
	    !ASSERT_OK(bpf_map_update_elem(bfd, &k1, &until, BPF_ANY) ? -errno : 0, "block 1") ||
	    !ASSERT_OK(bpf_map_update_elem(bfd, &k2, &gone, BPF_ANY) ? -errno : 0, "expired block 2"))
		return false;
	ok &= ASSERT_ACTION(run_from(h, 4, "10.77.1.1", PKT_TCP_SYN, SVC_PORT), XDP_PASS,
			    "flag clear: the map is not read");
	g = calloc(1, sizeof(*g));
	if (!ASSERT_TRUE(g && !bpf_map_lookup_elem(gfd, &zero, g), "read adm_global"))
		goto out;
	g->gblock_word |= ADM_CIDR_MAYBE;
	ok &= ASSERT_OK(bpf_map_update_elem(gfd, &zero, g, BPF_ANY) ? -errno : 0, "set gblock_word");
	ok &= ASSERT_ACTION(run_from(h, 4, "10.77.1.1", PKT_TCP_SYN, SVC_PORT), XDP_DROP,
			    "blocked source refused");
	ok &= ASSERT_EQ(stat_packets(h, ADM_V_DEFER, ADM_R_GLOBAL_BLOCK), 1,
			"counted defer/global_block (on_rate)");
	ok &= ASSERT_ACTION(run_from(h, 4, "10.77.1.2", PKT_TCP_SYN, SVC_PORT), XDP_PASS,
			    "expired block admits");
	ok &= ASSERT_ACTION(run_from(h, 4, "10.77.1.1", PKT_TCP_ACK, SVC_PORT), XDP_PASS,
			    "established flow of a blocked source passes");
out:
	free(g);
	return ok;
}

/* The cluster contract: syn_hits counts every SYN charged to a source. */
static bool test_syn_hits(struct h_ctx *h)
{
	struct adm_service svc = example_verify;
	struct adm_src src = {};
	struct adm_src_tat tat = {};
	struct adm_fp_key kv, kn;
	bool ok = true;
	int i, part;

	svc.flags = ADM_SVC_ACTIVE | ADM_SVC_HITS;	/* no verify: strangers get adm_rate entries */
	svc.syn = (struct adm_gcra)PER_MIN(1, 2);
	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, "10.77.1.1", &kv), "key v") ||
	    !ASSERT_OK(h_fp_key(&svc, SVC_ID, "10.77.1.2", &kn), "key n") ||
	    !ASSERT_OK(h_set_verified(h, &kv, h_now_ns()), "verified"))
		return false;
	for (i = 0; i < 3; i++) {
		run_from(h, 4, "10.77.1.1", PKT_TCP_SYN, SVC_PORT);
		run_from(h, 4, "10.77.1.2", PKT_TCP_SYN, SVC_PORT);
	}
	run_from(h, 4, "10.77.1.1", PKT_TCP_ACK, SVC_PORT);
	ok &= ASSERT_OK(bpf_map_lookup_elem(h->fd_src, &kv, &src) ? -errno : 0, "read adm_src");
	ok &= ASSERT_EQ(src.syn_hits, 3, "adm_src.syn_hits: admitted and refused SYNs, no ACK");
	part = h_part_fd(h, ADM_MAP_RATE, SVC_ID);
	ok &= ASSERT_OK(part < 0 ? part : bpf_map_lookup_elem(part, &kn, &tat) ? -errno : 0,
			"read the service's adm_rate partition");
	if (part >= 0)
		close(part);
	ok &= ASSERT_EQ(tat.syn_hits, 3, "adm_rate.syn_hits");
	{
		struct adm_src_hits sh;
		struct adm_src_delta *d = NULL;
		size_t n = 0, cap = 0, i;
		__u64 sum_v = 0, sum_n = 0;

		ok &= ASSERT_OK(adm_src_hits_init(&sh, h->fd_src, h_map_fd(h, ADM_MAP_RATE)),
				"adm_src_hits_init (loads adm_hits on the harness' maps)");
		ok &= ASSERT_OK(adm_src_hits_read(&sh, 0, NULL, 0, &d, &n, &cap), "adm_src_hits_read");
		for (i = 0; i < n; i++) {
			if (!memcmp(&d[i].key, &kv, sizeof(kv)))
				sum_v += d[i].delta;
			if (!memcmp(&d[i].key, &kn, sizeof(kn)))
				sum_n += d[i].delta;
		}
		ok &= ASSERT_EQ(sum_v, 3, "adm_src_hits_read: the verified source's hits (adm_src)");
		ok &= ASSERT_EQ(sum_n, 3, "adm_src_hits_read: the other source's hits (adm_rate)");
		n = 0;
		run_from(h, 4, "10.77.1.2", PKT_TCP_SYN, SVC_PORT);
		ok &= ASSERT_OK(adm_src_hits_read(&sh, 0, NULL, 0, &d, &n, &cap), "adm_src_hits_read again");
		ok &= ASSERT_EQ(n, 1, "adm_src_hits_read: only the source with a new SYN, once");
		ok &= ASSERT_EQ(n ? d[0].delta : 0, 1, "adm_src_hits_read: its delta is 1");
		free(d);
		adm_src_hits_free(&sh);
	}
	/* Without cluster_conn_rate (no ADM_SVC_HITS) nobody reads them: no locked add. */
	svc.flags = ADM_SVC_ACTIVE;
	memset(&src, 0, sizeof(src));
	if (!ASSERT_OK(h_reset(h), "reset maps") ||
	    !ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc), "write service") ||
	    !ASSERT_OK(h_set_verified(h, &kv, h_now_ns()), "verified"))
		return false;
	run_from(h, 4, "10.77.1.1", PKT_TCP_SYN, SVC_PORT);
	ok &= ASSERT_OK(bpf_map_lookup_elem(h->fd_src, &kv, &src) ? -errno : 0, "read adm_src");
	ok &= ASSERT_EQ(src.syn_hits, 0, "without ADM_SVC_HITS no syn_hits are counted");
	return ok;
}

/*
 * adm_src_hits_read (the adm_hits program) against a model: 300 sources
 * in a hash map laid out as adm_src; each of 40 passes adds SYNs to some
 * (as the data plane: to the word's low half), deletes 30 and adds 30 new
 * ones. With no rule every pass's deltas are exactly the model's: new
 * sources in full, the others by what they gained, deleted ones never.
 */
#define SH_LIVE		300
#define SH_KEYS		(SH_LIVE + 40 * 30)

/* The data plane's add: `n` more SYNs on the entry of k (created if new). */
static int sh_add(int fd, const struct adm_fp_key *k, __u64 n)
{
	struct adm_src v = {};

	bpf_map_lookup_elem(fd, k, &v);
	v.syn_hits += n;
	return bpf_map_update_elem(fd, k, &v, BPF_ANY) ? -errno : 0;
}

/*
 * A hash map of `entries` laid out as adm_src (in *fd) and the hits reader
 * over it: what each srchits test reads from. 0 or -errno.
 */
static int sh_open(struct adm_src_hits *sh, const char *name, __u32 entries, int *fd)
{
	*fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(struct adm_fp_key),
			     sizeof(struct adm_src), entries, NULL);
	if (*fd < 0)
		return -errno;
	return adm_src_hits_init(sh, *fd, -1);
}

static bool test_srchits_model(void)
{
	static __u64 cnt[SH_KEYS], seen[SH_KEYS];
	static bool live[SH_KEYS];
	struct adm_src_hits sh;
	struct adm_src_delta *d = NULL;
	size_t n = 0, cap = 0, i;
	unsigned int seed = 5, next = 0;
	bool ok = true;
	int fd, pass;

	if (!ASSERT_OK(sh_open(&sh, "sh_model", 4096, &fd), "a map and adm_src_hits_init"))
		return false;
	for (pass = 0; pass < 40 && ok; pass++) {
		struct adm_fp_key k = { .service = 1 };
		size_t j, wrong = 0, got = 0;

		if (!pass) {
			for (; next < SH_LIVE; next++)
				live[next] = true;
		} else {
			for (j = 0; j < 30; j++) {
				i = rand_r(&seed) % next;
				if (!live[i])
					continue;
				k.addr[3] = i;
				bpf_map_delete_elem(fd, &k);
				live[i] = false;
			}
			for (j = 0; j < 30; j++)
				live[next++] = true;
		}
		for (i = 0; i < next; i++) {
			__u64 add;

			if (!live[i] || (cnt[i] && rand_r(&seed) % 3))
				continue;
			add = 1 + rand_r(&seed) % 5;
			cnt[i] += add;
			k.addr[3] = i;
			ok &= ASSERT_OK(sh_add(fd, &k, add), "add SYNs");
		}
		n = 0;
		ok &= ASSERT_OK(adm_src_hits_read(&sh, 0, NULL, 0, &d, &n, &cap),
				"adm_src_hits_read");
		for (j = 0; j < n; j++) {
			i = d[j].key.addr[3];
			if (i >= next || !live[i] || d[j].delta != cnt[i] - seen[i])
				wrong++;
			else
				got++;
			if (i < next)
				seen[i] = cnt[i];
		}
		for (i = 0; i < next; i++)
			if (live[i] && seen[i] != cnt[i])
				wrong++;		/* a gain not reported */
		if (wrong)
			ok &= ASSERT_EQ(wrong, 0, "pass with deltas different from the model");
	}
	free(d);
	adm_src_hits_free(&sh);
	close(fd);
	return ok;
}

/*
 * More sources to report than one run of adm_hits holds (ADM_HITS_OUT):
 * the read runs it again, and every source comes once with its SYNs.
 */
#define SH_MANY		(ADM_HITS_OUT + ADM_HITS_OUT / 4)
static bool test_srchits_many(void)
{
	struct adm_fp_key *keys = calloc(SH_MANY, sizeof(*keys));
	struct adm_src *vals = calloc(SH_MANY, sizeof(*vals));
	unsigned char *seen = calloc(SH_MANY, 1);
	struct adm_src_delta *d = NULL;
	struct adm_src_hits sh;
	size_t n = 0, cap = 0, i, wrong = 0;
	__u32 cnt = SH_MANY;
	bool ok = true;
	int fd;

	if (!ASSERT_OK(!keys || !vals || !seen ? -ENOMEM : 0, "allocate") ||
	    !ASSERT_OK(sh_open(&sh, "sh_many", SH_MANY, &fd), "a map and adm_src_hits_init"))
		return false;
	for (i = 0; i < SH_MANY; i++) {
		keys[i].service = 1;
		keys[i].addr[3] = i;
		vals[i].syn_hits = 1 + i % 3;
	}
	ok &= ASSERT_OK(bpf_map_update_batch(fd, keys, vals, &cnt, NULL) ? -errno : 0,
			"write the counts");
	ok &= ASSERT_OK(adm_src_hits_read(&sh, 0, NULL, 0, &d, &n, &cap), "adm_src_hits_read");
	ok &= ASSERT_EQ(n, SH_MANY, "one record per source");
	for (i = 0; i < n; i++) {
		__u32 k = d[i].key.addr[3];

		if (k >= SH_MANY || seen[k]++ || d[i].delta != 1 + k % 3)
			wrong++;
	}
	ok &= ASSERT_EQ(wrong, 0, "records repeated, unknown or with the wrong count");
	n = 0;
	ok &= ASSERT_OK(adm_src_hits_read(&sh, 0, NULL, 0, &d, &n, &cap), "read again");
	ok &= ASSERT_EQ(n, 0, "nothing new: nothing reported");
	free(d);
	free(keys);
	free(vals);
	free(seen);
	adm_src_hits_free(&sh);
	close(fd);
	return ok;
}

/*
 * The report rule in adm_hits against the rule as srchits.c applied it
 * in userspace before (kept here as the reference): per source a window
 * id and a count; reaching min reports all the window had, then every
 * new SYN; a new window starts from zero; window_ms 0 never reports; the
 * first read is a baseline. 3 services (window 1000 ms min 7, window
 * 300 ms min 1, window 0), 200 sources each, 120 passes 50-130 ms apart,
 * sources deleted and recreated (count in full again). Every pass's
 * report must equal the reference's, source by source.
 */
struct sh_ref {
	__u64 wid, wcount;
	bool present;
};

static __u64 sh_ref_report(struct sh_ref *e, __u64 delta, const struct adm_src_report *r,
			   __u64 now_ms)
{
	__u64 wid, before;

	if (!r->window_ms)
		return 0;
	wid = now_ms / r->window_ms;
	if (e->wid != wid) {
		e->wid = wid;
		e->wcount = 0;
	}
	before = e->wcount;
	e->wcount += delta;
	if (e->wcount < r->min)
		return 0;
	return before < r->min ? e->wcount : delta;
}

#define SR_SVCS		3
#define SR_PER		200
static bool test_srchits_rule(void)
{
	static struct sh_ref ref[SR_SVCS * SR_PER];
	static __u64 want[SR_SVCS * SR_PER];
	struct adm_src_report rep[ADM_MAX_SERVICES] = {
		[1] = { .window_ms = 1000, .min = 7 },
		[2] = { .window_ms = 300, .min = 1 },
		[3] = { .window_ms = 0, .min = 1 },
	};
	struct adm_src_hits sh;
	struct adm_src_delta *d = NULL;
	size_t n = 0, cap = 0, i, j, reported = 0, wrong = 0;
	unsigned int seed = 11;
	__u64 now = 1000000 * 1000ULL + 900;	/* just before a window starts */
	bool ok = true;
	int fd, pass;

	if (!ASSERT_OK(sh_open(&sh, "sh_rule", 4096, &fd), "a map and adm_src_hits_init"))
		return false;
	for (pass = 0; pass < 120 && ok; pass++) {
		memset(want, 0, sizeof(want));
		for (i = 0; i < SR_SVCS * SR_PER; i++) {
			struct adm_fp_key k = { .service = 1 + i / SR_PER };
			__u64 add = rand_r(&seed) % 4 ? 0 : rand_r(&seed) % 4;

			k.addr[3] = i;
			if (ref[i].present && rand_r(&seed) % 50 == 0) {
				bpf_map_delete_elem(fd, &k);
				ref[i].present = false;
				ref[i].wid = ref[i].wcount = 0;	/* forgotten with the entry */
			}
			if (!add)
				continue;
			ok &= ASSERT_OK(sh_add(fd, &k, add), "add SYNs");
			if (!ref[i].present) {
				ref[i].present = true;
				if (!pass)
					continue;
			}
			if (pass)
				want[i] = sh_ref_report(&ref[i], add, &rep[k.service], now);
		}
		n = 0;
		ok &= ASSERT_OK(adm_src_hits_read(&sh, !pass, rep, now, &d, &n, &cap),
				"adm_src_hits_read");
		for (j = 0; j < n; j++) {
			i = d[j].key.addr[3];
			if (i >= SR_SVCS * SR_PER || d[j].delta != want[i]) {
				if (wrong++ < 5)
					tap_diag("pass %d source %zu: %llu reported, %llu expected", pass, i,
						 (unsigned long long)d[j].delta,
						 (unsigned long long)(i < SR_SVCS * SR_PER ? want[i] : 0));
			} else {
				want[i] = 0;
				reported++;
			}
		}
		for (i = 0; i < SR_SVCS * SR_PER; i++)
			if (want[i] && wrong++ < 5)
				tap_diag("pass %d source %zu: %llu not reported", pass, i,
					 (unsigned long long)want[i]);
		now += 50 + rand_r(&seed) % 80;
	}
	ok &= ASSERT_EQ(wrong, 0, "reports different from the reference rule");
	ok &= ASSERT_OK(reported > 1000 ? 0 : -1, "the rule reported sources (not a vacuous pass)");
	free(d);
	adm_src_hits_free(&sh);
	close(fd);
	return ok;
}

int main(void)
{
	struct h_ctx h;
	char why[256];
	int err;

	err = h_open(&h, why, sizeof(why));
	if (err == H_SKIP) {
		tap_plan(1);
		tap_skip("adm_xdp loads", "no BPF privilege (%s; run as root or with "
			 "CAP_BPF and CAP_NET_ADMIN)", why);
		return 0;
	}
	tap_plan(18);
	if (err) {
		tap_diag("%s", why);
		tap_result(false, "adm_xdp loads");
		return 1;
	}
	tap_result(true, "adm_xdp loads");
	tap_result(test_random_flood(&h, 4),
		   "flood: random sources from the whole IPv4 space: strangers within budget, "
		   "verified clients pass, no insert, no RST");
	tap_result(test_random_flood(&h, 6),
		   "flood: random sources from a whole IPv6 /32: the same");
	tap_result(test_pkt_flood_isolation(&h),
		   "flood: a spoofed packet flood does not give any source its SYN burst back");
	tap_result(test_service_isolation(&h),
		   "isolation: a spoofed flood at one service's port evicts none of another "
		   "service's rate state");
	tap_result(test_src_filter(&h),
		   "src_filter: adm_src is read only for keys whose adm_src_filter bit is set");
	tap_result(test_src_summary(&h),
		   "src_summary: the filter is read only under a set adm_src_summary bit; "
		   "a pre-summary filter is summarized by adm_src_summary_rebuild");
	tap_result(test_src_filter_forget(&h),
		   "src_filter: after a rebuild exactly the bits of adm_src's keys are set, "
		   "a deleted key reads clear");
	tap_result(test_src_filter_rebuild_race(&h),
		   "src_filter: keys established at every stage of a rebuild never read clear");
	tap_result(test_src_filter_repair(&h),
		   "src_filter: a key whose or changed nothing inside a swap is repaired before the rebuild returns");
	tap_result(test_src_filter_stress(&h),
		   "src_filter: rebuilds under concurrent establish/delete never clear a present key");
	tap_result(test_src_filter_full(&h),
		   "src_filter: a rebuild over a full adm_src (ADM_MAX_SOURCES keys), timed");
	tap_result(test_rst_budget(&h),
		   "reject: at most ADM_RST_PER_SEC RSTs per CPU per second, the rest dropped and counted");
	tap_result(test_global_block(&h),
		   "global_block: read after gblock_word is set; live entries refuse with on_rate");
	tap_result(test_syn_hits(&h), "syn_hits: every SYN charged to a source is counted "
		   "(cluster_conn_rate services only), adm_src_hits_read sees them");
	tap_result(test_srchits_model(), "srchits: adm_hits' exact deltas while "
		   "sources come and go");
	tap_result(test_srchits_many(), "srchits: more sources to report than one run of "
		   "adm_hits holds: each exactly once");
	tap_result(test_srchits_rule(), "srchits: adm_hits' report rule (window, min, "
		   "baseline, window_ms 0) equals the reference rule, pass by pass");
	err = tap_failures() ? 1 : 0;
	h_close(&h);
	return err;
}
