// SPDX-License-Identifier: GPL-2.0
/*
 * adm_lookup (sk_lookup, attached to admd's network namespace): a SYN
 * whose flow adm_xdp refused with `reply` (adm_reply) goes to admd's
 * responder socket (adm_responder), which answers HTTP 503; everything
 * else is left to the kernel's own lookup, untouched.
 *
 * No responder socket (admd was killed: the kernel took its sockets out
 * of the sockmap) means SK_DROP: the lookup finds no socket and the
 * kernel answers the SYN with an RST, as for a closed port; it is never
 * passed to the service that refused it. Within a second adm_xdp sees
 * the lapsed heartbeat and answers with its own RST instead.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "adm/adm.h"
#include "adm_maps.h"
#include "lib/clock.h"

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef IPPROTO_TCP
#define IPPROTO_TCP	6
#endif

/*
 * The flow of ctx as adm_xdp recorded it: IPv4-mapped addresses, host-order
 * ports. Context fields are read through volatile, up front: otherwise
 * clang sinks the reads into the family branches and shares one pointer
 * to the context between them, and the verifier refuses a context access
 * through a modified pointer.
 */
static __always_inline void adm_lookup_key(struct bpf_sk_lookup *ctx,
					   struct adm_flow_key *k)
{
	volatile struct bpf_sk_lookup *v = ctx;
	__u32 r4 = v->remote_ip4, l4 = v->local_ip4;
	__u32 r6[4], l6[4];

	r6[0] = v->remote_ip6[0];
	r6[1] = v->remote_ip6[1];
	r6[2] = v->remote_ip6[2];
	r6[3] = v->remote_ip6[3];
	l6[0] = v->local_ip6[0];
	l6[1] = v->local_ip6[1];
	l6[2] = v->local_ip6[2];
	l6[3] = v->local_ip6[3];
	if (ctx->family == AF_INET) {
		k->saddr[0] = 0;
		k->saddr[1] = 0;
		k->saddr[2] = bpf_htonl(0x0000ffff);
		k->saddr[3] = r4;
		k->daddr[0] = 0;
		k->daddr[1] = 0;
		k->daddr[2] = bpf_htonl(0x0000ffff);
		k->daddr[3] = l4;
	} else {
		__builtin_memcpy(k->saddr, r6, sizeof(r6));
		__builtin_memcpy(k->daddr, l6, sizeof(l6));
	}
	k->sport = bpf_ntohs(ctx->remote_port);
	k->dport = ctx->local_port;
}

SEC("sk_lookup")
int adm_lookup(struct bpf_sk_lookup *ctx)
{
	struct adm_flow_key k = {};
	struct adm_reply_flow *flow;
	struct adm_reply_ctl *ctl;
	struct bpf_sock *sk;
	__u32 zero = 0, slot;
	__u64 ts;
	long rc;

	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	ctl = bpf_map_lookup_elem(&adm_reply_ctl, &zero);
	if (!ctl || !ctl->in_use)
		return SK_PASS;
	adm_lookup_key(ctx, &k);
	flow = bpf_map_lookup_elem(&adm_reply, &k);
	if (!flow)
		return SK_PASS;
	ts = flow->ts_ns;
	bpf_map_delete_elem(&adm_reply, &k);
	/* A stale record (its SYN never got here) steers nothing. */
	if (adm_now() - ts > ADM_REPLY_FLOW_NS)
		return SK_PASS;

	slot = ctx->family == AF_INET ? ADM_RESPONDER_V4 : ADM_RESPONDER_V6;
	sk = bpf_map_lookup_elem(&adm_responder, &slot);
	if (!sk) {
		__sync_fetch_and_add(&ctl->missed, 1);
		return SK_DROP;
	}
	rc = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	if (rc) {
		__sync_fetch_and_add(&ctl->missed, 1);
		return SK_DROP;
	}
	__sync_fetch_and_add(&ctl->steered, 1);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
