// SPDX-License-Identifier: GPL-2.0
/*
 * adm_lat: the request side of the latency measurement (owner: the breaker
 * module, which loads it and attaches it to the cgroup sockops watches; it
 * lives as long as admd). A cgroup_skb ingress program sees every segment
 * delivered to a socket of the cgroup, on the fast receive path too: a
 * segment carrying payload on a socket sockops marked for measurement (it
 * has an adm_sk_lat entry) with no request pending stamps the request's
 * arrival. The answer side and the histogram are in sockops
 * (bpf/lib/latency.h). sockops' own PARSE_HDR_OPT_CB runs only on the
 * kernel's slow path and never saw an in-order request; fentry on
 * tcp_rcv_established would see them but tracing programs are not
 * available on these kernels.
 *
 * Cost: one sk storage lookup per segment into the cgroup; IPv6 extension
 * headers are not walked (a segment behind them is taken for a request
 * when it has any payload past 40 + TCP header bytes).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "adm/adm.h"
#include "adm_maps.h"

#define ADM_IPV6_HDR_LEN	40
#define ADM_TCP_DOFF_BYTE	12	/* data offset: high nibble of byte 12 */
#define ADM_CGSKB_PASS		1	/* cgroup_skb: let the packet through */

SEC("cgroup_skb/ingress")
int adm_lat_in(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct adm_sk_lat *st;
	__u32 l3 = 0, doff_at;
	__u8 b = 0;

	if (!sk)
		return ADM_CGSKB_PASS;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != IPPROTO_TCP)
		return ADM_CGSKB_PASS;
	st = bpf_sk_storage_get(&adm_sk_lat, sk, NULL, 0);
	if (!st || st->req_ns)
		return ADM_CGSKB_PASS;
	/* skb data starts at the IP header here. */
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 0, &b, 1))
			return ADM_CGSKB_PASS;
		l3 = (b & 0xf) * 4;
	} else {
		l3 = ADM_IPV6_HDR_LEN;
	}
	doff_at = l3 + ADM_TCP_DOFF_BYTE;
	if (doff_at > 0xffff || bpf_skb_load_bytes(skb, doff_at, &b, 1))
		return ADM_CGSKB_PASS;
	if (skb->len > l3 + (__u32)(b >> 4) * 4)
		st->req_ns = bpf_ktime_get_ns();
	return ADM_CGSKB_PASS;
}

char LICENSE[] SEC("license") = "GPL";
