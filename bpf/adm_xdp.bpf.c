// SPDX-License-Identifier: GPL-2.0
/*
 * adm_xdp: admission control for new connections, per packet.
 *
 * parse -> classify by (proto, dst port) -> allow / deny CIDR ->
 * SYN: breaker, degradation, the source's GCRA (for unverified sources:
 *      the per-prefix and new-source budgets), then global and
 *      per-source concurrency
 * other packets: optional per-source packet GCRA
 * -> one exit that counts, samples and acts (verdict.h).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "adm/adm.h"
#include "adm_maps.h"
#include "lib/parse.h"
#include "lib/fingerprint.h"
#include "lib/clock.h"
#include "lib/gcra.h"
#include "lib/verdict.h"

#define ADM_PERMILLE	1000

/*
 * SYN signature of the TCP header at l4_off. A global function, so the
 * option walk is verified once rather than once per parse path (which
 * exceeds the verifier's instruction budget).
 */
__noinline __u32 adm_syn_sig_at(struct xdp_md *ctx, __u32 l4_off, __u32 ttl)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	/* 64 bytes, not 40: indexes are masked with 63 for the verifier. */
	__u8 opts[64] = {};
	struct tcphdr *th;
	__u32 olen;

	if (l4_off > ADM_MAX_L2_LEN + ADM_MAX_L3_LEN)
		return 0;
	th = data + l4_off;
	if ((void *)(th + 1) > data_end)
		return 0;
	olen = th->doff * 4 - sizeof(*th);
	if (olen > ADM_TCP_MAX_OPTLEN)
		olen = 0;
	if (olen && bpf_xdp_load_bytes(ctx, l4_off + sizeof(*th), opts, olen))
		olen = 0;
	return adm_syn_sig(ttl, bpf_ntohs(th->window), opts, olen);
}

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
 * Charge a SYN to its source's rate: the source's own GCRA, or, for a
 * source that never completed a handshake (verify = yes), the shared
 * per-prefix and new-source budgets, creating no per-source state.
 * Returns the refusal reason, or ADM_R_NONE.
 */
static __always_inline __u32 adm_charge_syn(__u32 id,
					    const struct adm_service *svc,
					    const struct adm_pkt *p,
					    const struct adm_fp_key *fp,
					    struct xdp_md *ctx, __u64 now)
{
	struct adm_fp_key k;

	/*
	 * Under a spoofed-source flood every SYN lands here from a source
	 * never seen: one lookup that misses (adm_verified) before the
	 * shared budgets. Verified sources pay a second lookup for their
	 * rate; the flood path is the one kept short.
	 */
	if ((svc->flags & ADM_SVC_VERIFY) &&
	    !bpf_map_lookup_elem(&adm_verified, fp)) {
		k.service = id;
		k.sig = 0;
		adm_mask_addr(k.addr, p->saddr, p->family,
			      p->family == 4 ? svc->unv_ipv4_prefix :
					       svc->unv_ipv6_prefix);
		if (!adm_gcra_charge_key(&adm_prefix_rate, &k, now,
					 &svc->unv_prefix))
			return ADM_R_RATE_PREFIX_UNVERIFIED;
		if (svc->new_sources.emission_ns) {
			__u64 *tat = bpf_map_lookup_elem(&adm_newsrc_rate, &id);

			if (tat && !adm_gcra_charge(tat, now, &svc->new_sources))
				return ADM_R_RATE_NEW_SOURCES;
		}
		return ADM_R_NONE;
	}
	k = *fp;
	if (svc->fp_mode == ADM_FP_SYN)
		k.sig = adm_syn_sig_at(ctx, p->l4_off, p->ttl);
	if (!adm_gcra_charge_key(&adm_rate, &k, now, &svc->syn))
		return ADM_R_RATE_SOURCE;
	return ADM_R_NONE;
}

/*
 * Returns the refusal reason for a SYN, or ADM_R_NONE to admit it, and in
 * *action what the policy does with a refusal. Order: breaker and
 * degradation, the source's rate, then the concurrency gates. Every SYN
 * that reaches the rate pays for it, whatever refuses it after: a client
 * retrying into a full service spends its own budget (as limit_req before
 * limit_conn does), so abusive sources stay at their rate.
 */
static __always_inline __u32 adm_judge_syn(__u32 id,
					   const struct adm_service *svc,
					   const struct adm_state *st,
					   const struct adm_pkt *p,
					   struct xdp_md *ctx, __u64 now,
					   __u32 *action)
{
	struct adm_fp_key fp;
	struct adm_conc *conc;
	__u64 *live;
	__u32 reason;

	*action = ADM_A_REJECT;
	if (st) {
		if (st->breaker == ADM_BRK_OPEN)
			return ADM_R_BREAKER_OPEN;
		if (st->breaker == ADM_BRK_HALF_OPEN &&
		    bpf_get_prandom_u32() % ADM_PERMILLE >= st->half_open_permille)
			return ADM_R_BREAKER_OPEN;
		if (st->degrade > svc->priority)
			return ADM_R_DEGRADED;
	}

	adm_fingerprint(&fp, id, svc, p);
	*action = svc->on_rate;
	reason = adm_charge_syn(id, svc, p, &fp, ctx, now);
	if (reason != ADM_R_NONE)
		return reason;

	*action = svc->on_conn_full;
	conc = bpf_map_lookup_elem(&adm_conc, &id);
	if (conc && conc->limit && conc->live >= conc->limit)
		return ADM_R_CONC_GLOBAL;
	if (svc->fp_conn_limit) {
		live = bpf_map_lookup_elem(&adm_src_conc, &fp);
		if (live && *live >= svc->fp_conn_limit)
			return ADM_R_CONC_SOURCE;
	}
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
	const struct adm_global *g;
	const struct adm_state *st;
	__u32 reason, action, zero = 0;
	__u64 now = 0;		/* read from the clock only when needed */

	if (!p)
		return XDP_PASS;
	svc = bpf_map_lookup_elem(&adm_services, &id);
	if (!svc || !(svc->flags & ADM_SVC_ACTIVE))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&adm_state, &id);

	g = bpf_map_lookup_elem(&adm_global, &zero);
	if (g) {
		if (adm_cidr_hit(&adm_allow, g->allow_word, p, &now))
			return adm_finish(ctx, p, id, ADM_A_NONE, ADM_R_ALLOW_LIST, st, now);
		if (adm_cidr_hit(&adm_deny, g->deny_word, p, &now))
			return adm_finish(ctx, p, id, ADM_A_DROP, ADM_R_DENY_LIST, st,
					  now ? now : adm_now());
	}

	if (p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & (ADM_TCP_SYN | ADM_TCP_ACK)) == ADM_TCP_SYN) {
		if (!now)
			now = adm_now();
		reason = adm_judge_syn(id, svc, st, p, ctx, now, &action);
		if (reason == ADM_R_NONE)
			action = ADM_A_NONE;
		return adm_finish(ctx, p, id, action, reason, st, now);
	}

	if (svc->pkt.emission_ns) {
		struct adm_fp_key fp;

		if (!now)
			now = adm_now();
		adm_fingerprint(&fp, id, svc, p);
		fp.sig = ADM_SIG_PKT;
		if (!adm_gcra_charge_key(&adm_rate, &fp, now, &svc->pkt))
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

	key = (p.proto == IPPROTO_TCP ? ADM_PORT_SLOT_TCP : ADM_PORT_SLOT_UDP) << 16 |
	      p.dport;
	id = bpf_map_lookup_elem(&adm_ports, &key);
	if (!id || !*id)
		return XDP_PASS;	/* unprotected port: the cheap path ends here */
	return adm_judge(ctx, &p, *id);
}

char LICENSE[] SEC("license") = "GPL";
