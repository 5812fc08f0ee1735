// SPDX-License-Identifier: GPL-2.0
/*
 * adm_xdp: admission control for new connections, per packet.
 *
 * parse -> classify by (proto, dst port) -> allow / deny CIDR ->
 * SYN: breaker, degradation, cluster global block, the source's one
 *      adm_src entry (its GCRA; a never-verified source of a verify
 *      service: the stranger budgets, no insert), then global (live +
 *      pending handshakes) and per-source concurrency
 * other packets: optional per-source packet GCRA (the service's adm_pkt_rate
 *      partition)
 * -> one exit that counts, samples, bounds RSTs and acts (verdict.h).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "adm/adm.h"
#include "adm_maps.h"
#include "lib/parse.h"
#include "lib/fingerprint.h"
#include "lib/clock.h"
#include "lib/gcra.h"
#include "lib/pending.h"
#include "lib/srcfilter.h"
#include "lib/stranger.h"
#include "lib/verdict.h"

#define ADM_PERMILLE	1000

/*
 * Whether the source is in the CIDR list `map`, unexpired. `word` is the
 * list's adm_global word: an empty list costs no lookup. *now is read from
 * the clock only if an entry with an expiry matched. An expired match is
 * stepped past: the next lookup asks for prefixes shorter than it, so an
 * expired /32 inside a permanent /16 leaves the /16 in force. At most
 * ADM_CIDR_FALLBACK expired entries are stepped past (the sweep deletes
 * them within a sweep interval); past that the source counts as not listed.
 */
static __always_inline int adm_cidr_hit(void *map, __u64 word,
					const struct adm_pkt *p, __u64 *now)
{
	struct adm_lpm_key k = { .prefixlen = 128 };
	struct adm_cidr_val *v;
	int i;

	if (!(word & ADM_CIDR_MAYBE))
		return 0;
	__builtin_memcpy(k.addr, p->saddr, sizeof(k.addr));
	for (i = 0; i < ADM_CIDR_FALLBACK; i++) {
		v = bpf_map_lookup_elem(map, &k);
		if (!v)
			return 0;
		if (!v->expires_ns)
			return 1;
		if (!*now)
			*now = adm_now();
		if (v->expires_ns > *now)
			return 1;
		/* Expired: look for a covering entry shorter than this one. */
		if (!v->prefixlen || v->prefixlen > k.prefixlen)
			return 0;
		k.prefixlen = v->prefixlen - 1;
	}
	return 0;
}

/*
 * Charge a SYN of a source with no adm_src entry, of a service without
 * verify, to its own bucket in the service's adm_rate partition (created
 * on first sight, which conforms). Returns 1 if it conforms. A service
 * with no partition keeps no such state: the policy writer creates the
 * partition before it turns the rate on.
 */
static __always_inline int adm_charge_new(__u32 id, const struct adm_fp_key *fp,
					  const struct adm_service *svc, __u64 now)
{
	struct adm_src_tat *e, fresh;
	void *part;
	int i;

	if (!svc->syn.emission_ns)
		return 1;
	part = bpf_map_lookup_elem(&adm_rate, &id);
	if (!part)
		return 1;
	/* Field by field: an initializer would become a .rodata.cst16 map. */
	fresh.syn_hits = 1;
	for (i = 0; i < 2; i++) {
		e = bpf_map_lookup_elem(part, fp);
		if (e) {
			if (svc->flags & ADM_SVC_HITS)
				__sync_fetch_and_add(&e->syn_hits, 1);
			return adm_gcra_charge(&e->tat, now, &svc->syn);
		}
		adm_gcra_conforms(0, now, svc->syn.emission_ns, svc->syn.tau_ns,
				  &fresh.tat);
		if (!bpf_map_update_elem(part, fp, &fresh, BPF_NOEXIST))
			return 1;
		/* Lost the insert race: charge the entry the winner made. */
	}
	return 0;
}

/*
 * Whether the cluster blocks this source now. Only consulted when the
 * writer marked adm_global_block as possibly non-empty.
 */
static __always_inline int adm_global_blocked(const struct adm_global *g,
					      const struct adm_fp_key *fp, __u64 now)
{
	struct adm_gblock *b;

	if (!g || !(g->gblock_word & ADM_CIDR_MAYBE))
		return 0;
	b = bpf_map_lookup_elem(&adm_global_block, fp);
	return b && b->until_ns > now;
}

/*
 * Returns the refusal reason for a SYN, or ADM_R_NONE to admit it, and in
 * *action what the policy does with a refusal. Order: breaker and
 * degradation, the cluster's global block, the source's rate (for a
 * never-verified source of a verify service: the stranger budgets), then
 * the concurrency gates. Every SYN that reaches the rate pays for it,
 * whatever refuses it after: a client retrying into a full service spends
 * its own budget (as limit_req before limit_conn does), so abusive
 * sources stay at their rate.
 *
 * A source's state is one adm_src lookup: verified, its SYN GCRA and its
 * live connections. In fingerprint = syn mode the signature selects no
 * bucket: a client chooses its own window and options, and the address
 * stays charged whatever they say.
 */
static __always_inline __u32 adm_judge_syn(__u32 id,
					   const struct adm_service *svc,
					   const struct adm_state *st,
					   struct adm_global *g,
					   const struct adm_pkt *p,
					   const struct adm_fp_key *fp,
					   int maybe_src, __u64 now,
					   __u32 *action)
{
	struct adm_pending *pend = NULL;
	struct adm_conc *conc;
	struct adm_src *src;
	__u64 epoch = 0;
	__u32 reason;

	*action = svc->on_breaker ? svc->on_breaker : ADM_A_REJECT;
	if (st) {
		if (st->breaker == ADM_BRK_OPEN)
			return ADM_R_BREAKER_OPEN;
		if (st->breaker == ADM_BRK_HALF_OPEN &&
		    bpf_get_prandom_u32() % ADM_PERMILLE >= st->half_open_permille)
			return ADM_R_BREAKER_OPEN;
		if (st->degrade > svc->priority)
			return ADM_R_DEGRADED;
	}

	*action = svc->on_rate;
	if (adm_global_blocked(g, fp, now))
		return ADM_R_GLOBAL_BLOCK;

	/* A source that never completed a handshake: no lookup (the flood path). */
	src = maybe_src ? bpf_map_lookup_elem(&adm_src, fp) : NULL;
	if (src) {
		/* A locked add costs as much as the rest of the lookup: only for the cluster. */
		if (svc->flags & ADM_SVC_HITS)
			__sync_fetch_and_add(&src->syn_hits, 1);
		if (svc->syn.emission_ns &&
		    !adm_gcra_charge(&src->syn_tat, now, &svc->syn))
			return ADM_R_RATE_SOURCE;
	} else if (svc->flags & ADM_SVC_VERIFY) {
		/* Never RST a stranger unless the operator asked: its address may be forged. */
		*action = svc->on_unverified ? svc->on_unverified : ADM_A_DROP;
		reason = adm_charge_stranger(id, svc, p, g, now);
		if (reason != ADM_R_NONE)
			return reason;
	} else if (!adm_charge_new(id, fp, svc, now)) {
		return ADM_R_RATE_SOURCE;
	}

	/* The global gate counts handshakes admitted and not yet established. */
	*action = svc->on_conn_full;
	conc = bpf_map_lookup_elem(&adm_conc, &id);
	if (conc && conc->limit) {
		/* The cluster sync's `closed` mode: no new connection at all. */
		if (conc->limit == ADM_CONC_REFUSE_ALL)
			return ADM_R_CONC_GLOBAL;
		epoch = adm_pending_epoch(now);
		pend = bpf_map_lookup_elem(&adm_pending, &id);
		if (conc->live + (pend ? adm_pending_count(pend, epoch) : 0) >= conc->limit)
			return ADM_R_CONC_GLOBAL;
	}
	if (svc->fp_conn_limit && src && src->live >= svc->fp_conn_limit)
		return ADM_R_CONC_SOURCE;
	if (pend)
		adm_pending_add(pend, epoch);
	return ADM_R_NONE;
}

/*
 * Judge a parsed packet of protected service `id` and act on it. A global
 * function: the verifier checks it once with unknown packet fields instead
 * of once per parse path (IPv4/IPv6, VLANs, extension headers), which
 * would exceed its instruction budget.
 */
__noinline int adm_judge(struct xdp_md *ctx, struct adm_pkt *p, __u32 id)
{
	const struct adm_service *svc;
	const struct adm_state *st;
	struct adm_global *g;
	struct adm_fp_key fp;
	__u32 reason, action, zero = 0;
	__u64 now = 0;		/* read from the clock only when needed */
	int syn, maybe_src = 0;
	void *part;

	if (!p)
		return XDP_PASS;
	svc = bpf_map_lookup_elem(&adm_services, &id);
	if (!svc || !(svc->flags & ADM_SVC_ACTIVE))
		return XDP_PASS;
	/*
	 * A SYN's adm_src_filter word is read first: under a random-source
	 * flood it is a cache miss per SYN (512 KiB read at random), the
	 * largest cost of the flood path, and the lookups and the clock read
	 * below do not depend on it, so they run while it is fetched.
	 */
	syn = p->proto == IPPROTO_TCP &&
	      (p->tcp_flags & (ADM_TCP_SYN | ADM_TCP_ACK)) == ADM_TCP_SYN;
	if (syn) {
		adm_fingerprint(&fp, id, svc, p);
		maybe_src = adm_src_maybe(&fp);
	}
	st = bpf_map_lookup_elem(&adm_state, &id);

	g = bpf_map_lookup_elem(&adm_global, &zero);
	if (g) {
		if (adm_cidr_hit(&adm_allow, g->allow_word, p, &now))
			return adm_finish(ctx, p, id, ADM_A_NONE, ADM_R_ALLOW_LIST, st, now);
		if (adm_cidr_hit(&adm_deny, g->deny_word, p, &now))
			return adm_finish(ctx, p, id, ADM_A_DROP, ADM_R_DENY_LIST, st,
					  now ? now : adm_now());
	}

	if (syn) {
		if (!now)
			now = adm_now();
		reason = adm_judge_syn(id, svc, st, g, p, &fp, maybe_src, now, &action);
		if (reason == ADM_R_NONE)
			action = ADM_A_NONE;
		else if (action == ADM_A_NONE)
			action = ADM_A_DROP;	/* an unset action never admits a refusal */
		return adm_finish(ctx, p, id, action, reason, st, now);
	}

	/* The service's own packet-rate partition (none: no packet rate state). */
	if (svc->pkt.emission_ns && (part = bpf_map_lookup_elem(&adm_pkt_rate, &id))) {
		if (!now)
			now = adm_now();
		adm_fingerprint(&fp, id, svc, p);
		if (!adm_gcra_charge_key(part, &fp, now, &svc->pkt))
			return adm_finish(ctx, p, id, ADM_A_DROP,
					  ADM_R_RATE_PACKET, st, now);
	}
	return adm_finish(ctx, p, id, ADM_A_NONE,
			  p->proto == IPPROTO_TCP ? ADM_R_FLOW : ADM_R_NONE, st, now);
}

SEC("xdp")
int adm_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct adm_pkt p;
	__u32 key, *id;
	int rc;

	rc = adm_parse(data, data_end, &p);
	if (rc == ADM_PARSE_PASS)
		return XDP_PASS;
	if (rc == ADM_PARSE_MALFORMED) {
		adm_count(0, ADM_V_DROP, ADM_R_MALFORMED, data_end - data);
		return XDP_DROP;
	}

	key = adm_port_key(p.proto, p.dport);
	id = bpf_map_lookup_elem(&adm_ports, &key);
	if (!id || !*id)
		return XDP_PASS;	/* unprotected port: the cheap path ends here */
	return adm_judge(ctx, &p, *id);
}

char LICENSE[] SEC("license") = "GPL";
