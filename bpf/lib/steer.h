/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The polite refusal, data plane half: a SYN refused with `reply` is
 * passed to the kernel with its flow recorded in adm_reply, for adm_lookup
 * (sk_lookup) to hand it to admd's HTTP 503 responder. When the responder
 * cannot take it (admd's heartbeat lapsed, or it is at reply_max) the
 * refusal becomes the RST of REJECT, counted as such and in adm_reply_ctl.
 */
#ifndef ADM_STEER_H
#define ADM_STEER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "adm/adm.h"
#include "adm_maps.h"
#include "parse.h"

/* ADM_V_REPLY if the SYN in p was recorded for the responder, else ADM_V_REJECT. */
static __always_inline __u32 adm_reply_steer(const struct adm_pkt *p, __u32 svc,
					     __u32 reason, __u64 now)
{
	struct adm_reply_flow flow;
	struct adm_flow_key k;
	struct adm_reply_ctl *ctl;
	__u32 zero = 0;

	ctl = bpf_map_lookup_elem(&adm_reply_ctl, &zero);
	if (!ctl)
		return ADM_V_REJECT;
	if (ctl->alive_until_ns <= now) {
		__sync_fetch_and_add(&ctl->fallback_down, 1);
		return ADM_V_REJECT;
	}
	if (ctl->full) {
		__sync_fetch_and_add(&ctl->fallback_full, 1);
		return ADM_V_REJECT;
	}
	__builtin_memcpy(k.saddr, p->saddr, sizeof(k.saddr));
	__builtin_memcpy(k.daddr, p->daddr, sizeof(k.daddr));
	k.sport = p->sport;
	k.dport = p->dport;
	flow.ts_ns = now;
	flow.service = svc;
	flow.reason = reason;
	if (bpf_map_update_elem(&adm_reply, &k, &flow, BPF_ANY))
		return ADM_V_REJECT;
	/* From now on adm_lookup looks flows up (whoever set reply: config or admctl). */
	if (!ctl->in_use)
		ctl->in_use = 1;
	return ADM_V_REPLY;
}

#endif /* ADM_STEER_H */
