/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The single exit of a judged packet: count it per CPU by (service,
 * verdict, reason), sample refusals to the ring buffer, bound REJECT
 * replies per CPU, map the verdict to an XDP action. Shadow mode turns
 * refusals into would_* and passes.
 */
#ifndef ADM_VERDICT_H
#define ADM_VERDICT_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "adm/adm.h"
#include "adm_maps.h"
#include "parse.h"
#include "reply.h"
#include "steer.h"

#define ADM_NS_PER_SEC	1000000000ULL

static __always_inline void adm_count(__u32 svc, __u32 verdict, __u32 reason,
				      __u64 bytes)
{
	__u32 idx = adm_stat_index(svc, verdict, reason);
	struct adm_stat *st = bpf_map_lookup_elem(&adm_stats, &idx);

	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

/*
 * This CPU's event budget for second `sec`, rolled over if needed, or NULL.
 * Checked before any per-source sampling state is touched: under a
 * random-source flood, refusals past the budget must cost no LRU insert.
 */
static __always_inline struct adm_evbudget *adm_event_budget(__u64 sec)
{
	__u32 zero = 0;
	struct adm_evbudget *b = bpf_map_lookup_elem(&adm_evbudget, &zero);

	if (!b)
		return NULL;
	if (b->second != sec) {
		b->second = sec;
		b->emitted = 0;
	}
	if (b->emitted >= ADM_EVENTS_PER_SEC) {
		b->suppressed++;
		return NULL;
	}
	return b;
}

static __always_inline void adm_event_lost(void)
{
	__u32 zero = 0;
	struct adm_evbudget *b = bpf_map_lookup_elem(&adm_evbudget, &zero);

	if (b)
		b->lost++;
}

/*
 * The submit flag of a reserved sampled decision (ADM_EVENTS_WAKE_BYTES):
 * no wakeup, admd drains on its timer, unless the ring's unread bytes
 * reach the threshold. They count every reserved record, this one too.
 */
static __always_inline __u64 adm_event_wakeup(void)
{
	return bpf_ringbuf_query(&adm_events, BPF_RB_AVAIL_DATA) >= ADM_EVENTS_WAKE_BYTES ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * First refusal per (service, source address) per second becomes an
 * event carrying how many refusals it stands for.
 */
static __always_inline void adm_sample(__u32 svc, __u32 verdict, __u32 reason,
				       const struct adm_pkt *p, __u64 now)
{
	struct adm_fp_key k = { .service = svc };
	struct adm_evsample *s, fresh = {};
	struct adm_evbudget *b;
	struct adm_event *ev;
	__u64 sec = now / ADM_NS_PER_SEC, count;

	b = adm_event_budget(sec);
	if (!b)
		return;
	__builtin_memcpy(k.addr, p->saddr, sizeof(k.addr));
	s = bpf_map_lookup_elem(&adm_evsample, &k);
	if (s) {
		/*
		 * Not a locked add: every refusal of an over-rate source passes
		 * here, and the count is a sample's weight; CPUs racing on one
		 * source may lose an increment.
		 */
		s->count++;
		if (s->second == sec)
			return;
		/* Racing CPUs may both see a new second; one extra event is fine. */
		s->second = sec;
	} else {
		fresh.second = sec;
		fresh.count = 1;
		if (bpf_map_update_elem(&adm_evsample, &k, &fresh, BPF_NOEXIST))
			return;
		/* Re-look it up so the event below resets the count it reports. */
		s = bpf_map_lookup_elem(&adm_evsample, &k);
	}
	b->emitted++;
	count = s ? __sync_fetch_and_and(&s->count, 0) : 1;

	ev = bpf_ringbuf_reserve(&adm_events, sizeof(*ev), 0);
	if (!ev) {
		adm_event_lost();
		return;
	}
	ev->ts_ns = now;
	ev->kind = ADM_EV_DECISION;
	ev->service = svc;
	ev->verdict = verdict;
	ev->reason = reason;
	ev->proto = p->proto;
	ev->tcp_flags = p->tcp_flags;
	ev->sport = p->sport;
	ev->dport = p->dport;
	ev->count = count ? count : 1;
	__builtin_memcpy(ev->addr, p->saddr, sizeof(ev->addr));
	bpf_ringbuf_submit(ev, adm_event_wakeup());
}

/*
 * Whether this CPU may send one more REJECT reply this second (and counts
 * it). Past ADM_RST_PER_SEC the caller drops instead and it is counted
 * in adm_rstbudget.suppressed: adm never answers a flood one for one.
 */
static __always_inline int adm_rst_allowed(__u64 now)
{
	struct adm_rstbudget *b;
	__u64 sec = now / ADM_NS_PER_SEC;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&adm_rstbudget, &zero);
	if (!b)
		return 0;
	if (b->second != sec) {
		b->second = sec;
		b->sent = 0;
	}
	if (b->sent >= (b->limit ? b->limit : ADM_RST_PER_SEC)) {
		b->suppressed++;
		return 0;
	}
	b->sent++;
	return 1;
}

/*
 * Finish a judged packet. `action` is what the policy asks for when
 * refusing (ignored for ADM_V_PASS). DEFER, REJECT and REPLY apply to TCP
 * SYNs only; anything else refused is dropped. A REPLY passes the SYN
 * (steer.h), or becomes a REJECT when the responder cannot take it; it
 * spends the per-CPU RST budget like a REJECT (either answers with one
 * packet to an address nobody verified), past which it is dropped.
 */
static __always_inline int adm_finish(struct xdp_md *ctx, struct adm_pkt *p,
				      __u32 svc, __u32 action, __u32 reason,
				      const struct adm_state *st, __u64 now)
{
	__u64 bytes = ctx->data_end - ctx->data;
	int is_syn = p->proto == IPPROTO_TCP &&
		     (p->tcp_flags & (ADM_TCP_SYN | ADM_TCP_ACK)) == ADM_TCP_SYN;
	__u32 verdict;

	if (action == ADM_A_NONE) {
		adm_count(svc, ADM_V_PASS, reason, bytes);
		return XDP_PASS;
	}
	if (action == ADM_A_REJECT && is_syn)
		verdict = ADM_V_REJECT;
	else if (action == ADM_A_DEFER && is_syn)
		verdict = ADM_V_DEFER;
	else if (action == ADM_A_REPLY && is_syn)
		verdict = ADM_V_REPLY;
	else
		verdict = ADM_V_DROP;

	if (st && st->shadow) {
		if (verdict == ADM_V_REPLY)
			verdict = ADM_V_WOULD_REPLY;
		else
			verdict += ADM_V_WOULD_DROP - ADM_V_DROP;
		adm_count(svc, verdict, reason, bytes);
		adm_sample(svc, verdict, reason, p, now);
		return XDP_PASS;
	}
	if ((verdict == ADM_V_REJECT || verdict == ADM_V_REPLY) &&
	    !adm_rst_allowed(now))
		verdict = ADM_V_DROP;
	if (verdict == ADM_V_REPLY)
		verdict = adm_reply_steer(p, svc, reason, now);
	adm_count(svc, verdict, reason, bytes);
	adm_sample(svc, verdict, reason, p, now);
	if (verdict == ADM_V_REPLY)
		return XDP_PASS;
	if (verdict == ADM_V_REJECT &&
	    adm_reply_rst(ctx, p->l3_off, p->l4_off, p->l4_len) == 0)
		return XDP_TX;
	return XDP_DROP;
}

#endif /* ADM_VERDICT_H */
