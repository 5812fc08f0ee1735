// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Differential check of adm_xdp against a reference model of its verdict
 * written here in plain C from the same headers (include/adm): random
 * policies (flags, limits, actions, breaker, degradation, shadow,
 * allow/deny lists, verified sources and their live connections) and
 * random packet sequences (SYNs and ACKs from a small pool of IPv4 and
 * IPv6 sources, UDP and other ports) go through BPF_PROG_TEST_RUN; every
 * packet's XDP action and the adm_stats entry it moved must be the
 * model's. Rates are per minute, so within a test (milliseconds) a GCRA
 * admits exactly `burst` events: the model counts; no handshake completes,
 * so every SYN admitted under a conn_limit stays pending. The stranger table's
 * hash key is set by the test, so the model computes the same slots.
 *
 * TAP: one line per block of cases; the first disagreement is printed
 * with the case's seed, policy and packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf.h>

#include "adm/adm.h"
#include "adm/stranger.h"
#include "harness.h"
#include "pkt.h"
#include "util.h"

#define SVC_ID		1
#define SVC_PORT	80
#define OPEN_PORT	8080
#define BLOCKS		4
#define CASES_PER_BLOCK	100
#define PKTS_PER_CASE	40
#define MAX_KEYS	64
#define MINUTE_NS	(60ULL * H_NS_PER_SEC)
#define TEST_SEED	0x5eed5eed5eed5eedULL

static const char *const pool4[] = { "10.77.1.1", "10.77.1.2", "10.77.2.1", "10.78.1.1" };
static const char *const pool6[] = { "fd77:1::1", "fd77:1::2", "fd77:1:0:1::1", "fd77:2::1" };
static const char *const cidrs[] = { "10.77.1.0/24", "10.77.1.1/32", "fd77:1::/32", "10.77.0.0/16" };
#define POOL_N	4
#define CIDR_N	4

static __u64 rng_state;

static __u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rng() % n);
}

/* ---- The reference model. */

struct m_entry {
	bool used;
	struct adm_fp_key key;
	__u32 count;		/* events charged that conformed */
	__u32 live;		/* adm_src only */
};

struct model {
	struct adm_service svc;
	struct adm_state st;
	struct adm_conc conc;
	bool allow[CIDR_N], deny[CIDR_N];
	struct m_entry src[MAX_KEYS], rate[MAX_KEYS], pkt[MAX_KEYS];
	__u32 slots[MAX_KEYS], slot_count[MAX_KEYS];
	int nslots;
	__u32 newsrc;
	__u32 pending;		/* admitted SYNs not established (no sockops here: all) */
};

static __u32 burst_of(const struct adm_gcra *g)
{
	return g->emission_ns ? (__u32)(g->tau_ns / g->emission_ns) + 1 : 0;
}

/* One GCRA event: true if it conforms (counts it). */
static bool m_charge(const struct adm_gcra *g, __u32 *count)
{
	if (!g->emission_ns)
		return true;
	if (*count >= burst_of(g))
		return false;
	(*count)++;
	return true;
}

static struct m_entry *m_find(struct m_entry *t, const struct adm_fp_key *k, bool create)
{
	int i;

	for (i = 0; i < MAX_KEYS; i++)
		if (t[i].used && !memcmp(&t[i].key, k, sizeof(*k)))
			return &t[i];
	if (!create)
		return NULL;
	for (i = 0; i < MAX_KEYS; i++)
		if (!t[i].used) {
			memset(&t[i], 0, sizeof(t[i]));
			t[i].used = true;
			t[i].key = *k;
			return &t[i];
		}
	return NULL;
}

/* Whether mapped address a lies in CIDR text c. */
static bool m_in_cidr(const __u32 *a, const char *c)
{
	struct adm_service all = { .ipv4_prefix = 32, .ipv6_prefix = 128 };
	char buf[64], *slash;
	struct adm_fp_key net, x;
	int plen, i, bits;

	snprintf(buf, sizeof(buf), "%s", c);
	slash = strchr(buf, '/');
	*slash = '\0';
	plen = atoi(slash + 1);
	h_fp_key(&all, 0, buf, &net);
	if (strchr(buf, '.'))
		plen += 96;
	memcpy(x.addr, a, 16);
	for (i = 0; i < 4; i++) {
		bits = plen - 32 * i;
		if (bits <= 0)
			break;
		if (bits >= 32) {
			if (x.addr[i] != net.addr[i])
				return false;
		} else if ((ntohl(x.addr[i]) ^ ntohl(net.addr[i])) >> (32 - bits)) {
			return false;
		}
	}
	return true;
}

struct m_pkt {
	int family;
	const char *src;
	bool syn, udp;
	__u16 dport;
};

struct m_out {
	bool judged;
	__u32 verdict, reason, xdp;
};

/* The adm_stranger slot of a source's unverified prefix. */
static __u32 m_slot(const struct model *m, const char *src)
{
	struct adm_service unv = m->svc;
	struct adm_fp_key k;

	unv.ipv4_prefix = m->svc.unv_ipv4_prefix;
	unv.ipv6_prefix = m->svc.unv_ipv6_prefix;
	h_fp_key(&unv, SVC_ID, src, &k);
	return adm_stranger_slot(TEST_SEED, SVC_ID, k.addr);
}

static __u32 *m_slot_count(struct model *m, __u32 slot)
{
	int i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] == slot)
			return &m->slot_count[i];
	m->slots[m->nslots] = slot;
	m->slot_count[m->nslots] = 0;
	return &m->slot_count[m->nslots++];
}

/* The SYN judgement: reason, and the action of a refusal in *action. */
static __u32 m_judge_syn(struct model *m, const struct m_pkt *p, __u32 *action)
{
	const struct adm_service *s = &m->svc;
	struct adm_fp_key fp;
	struct m_entry *src, *e;

	*action = ADM_A_REJECT;
	if (m->st.breaker == ADM_BRK_OPEN ||
	    (m->st.breaker == ADM_BRK_HALF_OPEN && m->st.half_open_permille == 0))
		return ADM_R_BREAKER_OPEN;
	if (m->st.degrade > s->priority)
		return ADM_R_DEGRADED;
	h_fp_key(s, SVC_ID, p->src, &fp);
	*action = s->on_rate;
	src = m_find(m->src, &fp, false);
	if (src) {
		if (!m_charge(&s->syn, &src->count))
			return ADM_R_RATE_SOURCE;
	} else if (s->flags & ADM_SVC_VERIFY) {
		*action = s->on_unverified ? s->on_unverified : ADM_A_DROP;
		if (!s->new_sources.emission_ns || m->newsrc >= burst_of(&s->new_sources))
			return ADM_R_RATE_NEW_SOURCES;	/* spent: refused before the prefix is charged */
		if (s->unv_prefix.emission_ns &&
		    !m_charge(&s->unv_prefix, m_slot_count(m, m_slot(m, p->src))))
			return ADM_R_RATE_PREFIX_UNVERIFIED;
		if (!m_charge(&s->new_sources, &m->newsrc))
			return ADM_R_RATE_NEW_SOURCES;
	} else if (s->syn.emission_ns) {
		e = m_find(m->rate, &fp, true);
		if (!m_charge(&s->syn, &e->count))
			return ADM_R_RATE_SOURCE;
	}
	*action = s->on_conn_full;
	if (m->conc.limit && m->conc.live + m->pending >= m->conc.limit)
		return ADM_R_CONC_GLOBAL;
	if (s->fp_conn_limit && src && src->live >= s->fp_conn_limit)
		return ADM_R_CONC_SOURCE;
	if (m->conc.limit)
		m->pending++;
	return ADM_R_NONE;
}

static struct m_out m_judge(struct model *m, const struct m_pkt *p)
{
	struct m_out o = { .judged = true, .verdict = ADM_V_PASS, .xdp = XDP_PASS };
	struct adm_service all = { .ipv4_prefix = 32, .ipv6_prefix = 128 };
	struct adm_fp_key a;
	__u32 action = ADM_A_NONE, reason = ADM_R_NONE;
	int i;

	if (p->udp || p->dport != SVC_PORT) {
		o.judged = false;
		return o;
	}
	h_fp_key(&all, 0, p->src, &a);
	for (i = 0; i < CIDR_N; i++)
		if (m->allow[i] && m_in_cidr(a.addr, cidrs[i])) {
			o.reason = ADM_R_ALLOW_LIST;
			return o;
		}
	for (i = 0; i < CIDR_N; i++)
		if (m->deny[i] && m_in_cidr(a.addr, cidrs[i])) {
			action = ADM_A_DROP;
			reason = ADM_R_DENY_LIST;
			goto finish;
		}
	if (p->syn) {
		reason = m_judge_syn(m, p, &action);
		if (reason == ADM_R_NONE)
			action = ADM_A_NONE;
		else if (action == ADM_A_NONE)
			action = ADM_A_DROP;
	} else {
		struct adm_fp_key fp;
		struct m_entry *e;

		reason = ADM_R_FLOW;
		if (m->svc.pkt.emission_ns) {
			h_fp_key(&m->svc, SVC_ID, p->src, &fp);
			e = m_find(m->pkt, &fp, true);
			if (!m_charge(&m->svc.pkt, &e->count)) {
				action = ADM_A_DROP;
				reason = ADM_R_RATE_PACKET;
			}
		}
	}
finish:
	o.reason = reason;
	if (action == ADM_A_NONE)
		return o;
	o.verdict = action == ADM_A_REJECT && p->syn ? ADM_V_REJECT :
		    action == ADM_A_DEFER && p->syn ? ADM_V_DEFER : ADM_V_DROP;
	if (m->st.shadow) {
		o.verdict += ADM_V_WOULD_DROP - ADM_V_DROP;
		return o;
	}
	o.xdp = o.verdict == ADM_V_REJECT ? XDP_TX : XDP_DROP;
	return o;
}

/* ---- Random cases, run through the kernel. */

static struct adm_gcra per_min(__u32 burst)
{
	struct adm_gcra g = { .emission_ns = MINUTE_NS, .tau_ns = (burst - 1ULL) * MINUTE_NS };

	return g;
}

static struct adm_gcra maybe_rate(unsigned int off_in)
{
	struct adm_gcra off = {};

	return pick(off_in) ? per_min(1 + pick(4)) : off;
}

static void random_policy(struct model *m)
{
	static const __u8 actions[] = { ADM_A_DROP, ADM_A_DEFER, ADM_A_REJECT };
	struct adm_service *s = &m->svc;

	memset(m, 0, sizeof(*m));
	s->flags = ADM_SVC_ACTIVE | (pick(2) ? ADM_SVC_VERIFY : 0);
	s->fp_mode = pick(ADM_FP__MAX);
	s->ipv4_prefix = pick(2) ? 32 : 24;
	s->ipv6_prefix = pick(2) ? 128 : 64;
	s->unv_ipv4_prefix = pick(2) ? 24 : 16;
	s->unv_ipv6_prefix = pick(2) ? 48 : 32;
	s->priority = pick(ADM_PRIO__MAX);
	s->on_rate = actions[pick(3)];
	s->on_conn_full = actions[pick(3)];
	s->on_unverified = pick(4);	/* 0 = unset: a refusal still drops */
	s->fp_conn_limit = pick(3) ? 0 : 1 + pick(3);
	s->syn = maybe_rate(3);
	s->pkt = maybe_rate(4);
	s->unv_prefix = maybe_rate(3);
	s->new_sources = maybe_rate(5);		/* mostly set; unset must fail closed */
	m->conc.limit = pick(3) ? 0 : 1 + pick(3);
	m->conc.live = pick(4);
	m->st.breaker = pick(5) ? ADM_BRK_CLOSED : pick(ADM_BRK__MAX);
	m->st.half_open_permille = pick(2) ? 0 : 1000;
	m->st.degrade = pick(4) ? 0 : pick(ADM_DEGRADE_MAX + 1);
	m->st.shadow = !pick(4);
}

static int setup_case(struct h_ctx *h, struct model *m, char *why, size_t len)
{
	struct adm_global g = {};
	struct adm_fp_key k;
	struct m_entry *e;
	__u32 zero = 0;
	int i, err, gfd = h_map_fd(h, ADM_MAP_GLOBAL);

	if ((err = h_reset(h)) || (err = h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &m->svc)) ||
	    (err = h_set_state(h, SVC_ID, &m->st)) || (err = h_set_conc(h, SVC_ID, &m->conc))) {
		snprintf(why, len, "write policy: %s", strerror(-err));
		return err;
	}
	/* The stranger hash key, known to the model (the data plane draws one only if 0). */
	bpf_map_lookup_elem(gfd, &zero, &g);
	g.hash_seed = TEST_SEED;
	if (bpf_map_update_elem(gfd, &zero, &g, BPF_ANY)) {
		snprintf(why, len, "write adm_global: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < CIDR_N; i++) {
		m->allow[i] = !pick(8);
		m->deny[i] = !pick(6);
		if ((m->allow[i] && (err = h_add_cidr(h, true, cidrs[i], 0))) ||
		    (m->deny[i] && (err = h_add_cidr(h, false, cidrs[i], 0)))) {
			snprintf(why, len, "add %s: %s", cidrs[i], strerror(-err));
			return err;
		}
	}
	/* Verified sources: an adm_src entry each (sources that share a fingerprint share it). */
	for (i = 0; i < 2 * POOL_N; i++) {
		const char *a = i < POOL_N ? pool4[i] : pool6[i - POOL_N];
		__u32 live = pick(3);

		if (pick(3))
			continue;
		h_fp_key(&m->svc, SVC_ID, a, &k);
		e = m_find(m->src, &k, true);
		e->live = live;
		if ((err = h_set_verified(h, &k, h_now_ns())) || (err = h_set_src_conc(h, &k, live))) {
			snprintf(why, len, "verify %s: %s", a, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void describe(const struct model *m, const struct m_pkt *p, int n)
{
	const struct adm_service *s = &m->svc;

	tap_diag("packet %d: %s from %s to port %u", n, p->udp ? "UDP" : p->syn ? "SYN" : "ACK",
		 p->src, p->dport);
	tap_diag("policy: flags %#x fp %u prefixes %u/%u unv %u/%u prio %u on_rate %u "
		 "on_conn_full %u on_unverified %u fp_conn_limit %u bursts syn %u pkt %u unv %u new %u",
		 s->flags, s->fp_mode, s->ipv4_prefix, s->ipv6_prefix, s->unv_ipv4_prefix,
		 s->unv_ipv6_prefix, s->priority, s->on_rate, s->on_conn_full, s->on_unverified,
		 s->fp_conn_limit, burst_of(&s->syn), burst_of(&s->pkt), burst_of(&s->unv_prefix),
		 burst_of(&s->new_sources));
	tap_diag("state: breaker %u permille %u degrade %u shadow %u conc %llu/%llu",
		 m->st.breaker, m->st.half_open_permille, m->st.degrade, m->st.shadow,
		 (unsigned long long)m->conc.live, (unsigned long long)m->conc.limit);
}

static bool run_case(struct h_ctx *h, __u64 seed)
{
	static struct h_result r;
	struct model m;
	char why[160], what[160];
	__u8 f[PKT_MAX_LEN];
	int n, len;

	rng_state = seed;
	random_policy(&m);
	if (!ASSERT_OK(setup_case(h, &m, why, sizeof(why)), "set up the case")) {
		tap_diag("%s", why);
		return false;
	}
	for (n = 0; n < PKTS_PER_CASE; n++) {
		struct m_pkt p = { .family = pick(2) ? 4 : 6, .syn = pick(10) < 6,
				   .udp = !pick(12), .dport = pick(20) ? SVC_PORT : OPEN_PORT };
		struct adm_stat before = {}, after = {}, f0 = {}, f1 = {}, n0 = {}, n1 = {};
		struct pkt_spec spec = { .family = p.family, .seq = 1 };
		struct m_out want;

		p.src = p.family == 4 ? pool4[pick(POOL_N)] : pool6[pick(POOL_N)];
		spec.src = p.src;
		spec.dport = p.dport;
		if (p.udp) {
			spec.proto = IPPROTO_UDP;
			spec.payload_len = 8;
		} else {
			spec.tcp_flags = p.syn ? PKT_TCP_SYN : PKT_TCP_ACK;
			spec.ack = p.syn ? 0 : 2;
		}
		len = pkt_build(&spec, f, sizeof(f), NULL, why, sizeof(why));
		if (!ASSERT_TRUE(len > 0, "build packet"))
			return false;
		want = m_judge(&m, &p);
		h_stat(h, SVC_ID, want.verdict, want.reason, &before);
		h_stat(h, SVC_ID, ADM_V_PASS, ADM_R_FLOW, &f0);
		h_stat(h, SVC_ID, ADM_V_PASS, ADM_R_NONE, &n0);
		if (!ASSERT_OK(h_run(h, h->xdp_fd, f, len, 1, &r), "test run"))
			return false;
		h_stat(h, SVC_ID, want.verdict, want.reason, &after);
		h_stat(h, SVC_ID, ADM_V_PASS, ADM_R_FLOW, &f1);
		h_stat(h, SVC_ID, ADM_V_PASS, ADM_R_NONE, &n1);
		snprintf(what, sizeof(what), "case %#llx packet %d: XDP action",
			 (unsigned long long)seed, n);
		if (!ASSERT_ACTION(r.action, want.xdp, what)) {
			describe(&m, &p, n);
			return false;
		}
		snprintf(what, sizeof(what), "case %#llx packet %d: counted as (%s, %s)",
			 (unsigned long long)seed, n, want.judged ? adm_verdict_name(want.verdict) : "-",
			 want.judged ? adm_reason_name(want.reason) : "-");
		if (want.judged ? !ASSERT_EQ(after.packets - before.packets, 1, what)
				: !ASSERT_EQ(f1.packets - f0.packets + n1.packets - n0.packets, 0, what)) {
			describe(&m, &p, n);
			return false;
		}
	}
	return true;
}

int main(void)
{
	struct h_ctx h;
	char why[256];
	int err, b, c;

	err = h_open(&h, why, sizeof(why));
	if (err == H_SKIP) {
		tap_plan(1);
		tap_skip("adm_xdp loads", "no BPF privilege (%s; run as root or with "
			 "CAP_BPF and CAP_NET_ADMIN)", why);
		return 0;
	}
	tap_plan(1 + BLOCKS);
	if (err) {
		tap_diag("%s", why);
		tap_result(false, "adm_xdp loads");
		return 1;
	}
	tap_result(true, "adm_xdp loads");
	for (b = 0; b < BLOCKS; b++) {
		bool ok = true;

		for (c = 0; ok && c < CASES_PER_BLOCK; c++)
			ok = run_case(&h, 0x1000ULL * (b + 1) + c + 1);
		tap_result(ok, "differential: %d random policies x %d packets agree with the "
			   "reference model (block %d)", CASES_PER_BLOCK, PKTS_PER_CASE, b + 1);
	}
	err = tap_failures() ? 1 : 0;
	h_close(&h);
	return err;
}
