/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * REJECT: turn a TCP SYN into the RST|ACK that answers it, in place, for
 * XDP_TX. MACs, addresses and ports are swapped, VLAN tags kept, IPv4
 * options and IPv6 extension headers dropped, the frame trimmed to the
 * new headers. RFC 9293 3.10.7.1: the SYN had no ACK, so SEQ = 0 and
 * ACK = SEG.SEQ + SEG.LEN (the SYN counts one).
 */
#ifndef ADM_REPLY_H
#define ADM_REPLY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

#define ADM_RST_TTL	64
#define ADM_MAX_L2_LEN	(sizeof(struct ethhdr) + ADM_MAX_VLANS * sizeof(struct adm_vlan_hdr))
#define ADM_MAX_L3_LEN	512
#define ADM_IP_DF	0x4000

struct adm_pseudo4 {
	__be32 saddr;
	__be32 daddr;
	__u8 zero;
	__u8 proto;
	__be16 len;
};

struct adm_pseudo6 {
	__u32 saddr[4];
	__u32 daddr[4];
	__be32 len;
	__u8 zero[3];
	__u8 nexthdr;
};

static __always_inline __u16 adm_csum_fold(__s64 sum)
{
	__u32 c = (__u32)sum;

	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

/* Build the RST|ACK TCP header (checksum left 0) answering th. */
static __always_inline void adm_rst_tcp(struct tcphdr *rst,
					const struct tcphdr *th,
					__u32 seg_len)
{
	__builtin_memset(rst, 0, sizeof(*rst));
	rst->source = th->dest;
	rst->dest = th->source;
	rst->seq = 0;
	rst->ack_seq = bpf_htonl(bpf_ntohl(th->seq) + seg_len +
				 ((((__u8 *)th)[13] & ADM_TCP_SYN) ? 1 : 0) +
				 ((((__u8 *)th)[13] & ADM_TCP_FIN) ? 1 : 0));
	rst->doff = sizeof(*rst) / 4;
	rst->rst = 1;
	rst->ack = 1;
}

/*
 * Rewrite the frame, a TCP SYN with its IP header at l3_off and TCP header
 * at l4_off (l4_len bytes of IP payload), into the RST|ACK answering it.
 * Returns 0, or -1 when the frame is not what the caller said (the caller
 * then drops it). A global function: verified once, not per call site.
 */
__noinline int adm_reply_rst(struct xdp_md *ctx, __u32 l3_off, __u32 l4_off,
			     __u32 l4_len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr th, rst;
	__u8 mac[ETH_ALEN];
	__u32 seg_len, new_len;
	struct adm_pkt pk = {}, *p = &pk;
	void *l3;
	__s64 sum;

	if ((void *)(eth + 1) > data_end)
		return -1;
	/* Bound the offsets for the verifier: headers end within 64 + 512 bytes. */
	if (l3_off > ADM_MAX_L2_LEN || l4_off > ADM_MAX_L2_LEN + ADM_MAX_L3_LEN)
		return -1;
	l3 = data + l3_off;
	if (l3 + 1 > data_end)
		return -1;
	p->family = (*(__u8 *)l3 >> 4) == 6 ? 6 : 4;
	if (p->family == 4) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return -1;
		adm_map_v4(p->saddr, ip->saddr);
		adm_map_v4(p->daddr, ip->daddr);
	} else {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		__builtin_memcpy(p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	}
	if (data + l4_off + sizeof(th) > data_end)
		return -1;
	__builtin_memcpy(&th, data + l4_off, sizeof(th));
	if (th.doff * 4 > l4_len)
		return -1;
	seg_len = l4_len - th.doff * 4;
	adm_rst_tcp(&rst, &th, seg_len);

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	if (p->family == 4) {
		struct iphdr ip = {};
		struct adm_pseudo4 ph = {};

		ip.version = 4;
		ip.ihl = sizeof(ip) / 4;
		ip.tot_len = bpf_htons(sizeof(ip) + sizeof(rst));
		ip.frag_off = bpf_htons(ADM_IP_DF);
		ip.ttl = ADM_RST_TTL;
		ip.protocol = IPPROTO_TCP;
		ip.saddr = p->daddr[3];
		ip.daddr = p->saddr[3];
		ip.check = adm_csum_fold(bpf_csum_diff(0, 0, (__be32 *)&ip,
						       sizeof(ip), 0));
		ph.saddr = ip.saddr;
		ph.daddr = ip.daddr;
		ph.proto = IPPROTO_TCP;
		ph.len = bpf_htons(sizeof(rst));
		sum = bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
		sum = bpf_csum_diff(0, 0, (__be32 *)&rst, sizeof(rst), sum);
		rst.check = adm_csum_fold(sum);

		if (l3 + sizeof(ip) + sizeof(rst) > data_end)
			return -1;
		__builtin_memcpy(l3, &ip, sizeof(ip));
		__builtin_memcpy(l3 + sizeof(ip), &rst, sizeof(rst));
		new_len = l3_off + sizeof(ip) + sizeof(rst);
	} else {
		struct ipv6hdr ip6 = {};
		struct adm_pseudo6 ph = {};

		ip6.version = 6;
		ip6.payload_len = bpf_htons(sizeof(rst));
		ip6.nexthdr = IPPROTO_TCP;
		ip6.hop_limit = ADM_RST_TTL;
		__builtin_memcpy(&ip6.saddr, p->daddr, 16);
		__builtin_memcpy(&ip6.daddr, p->saddr, 16);
		__builtin_memcpy(ph.saddr, p->daddr, 16);
		__builtin_memcpy(ph.daddr, p->saddr, 16);
		ph.len = bpf_htonl(sizeof(rst));
		ph.nexthdr = IPPROTO_TCP;
		sum = bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
		sum = bpf_csum_diff(0, 0, (__be32 *)&rst, sizeof(rst), sum);
		rst.check = adm_csum_fold(sum);

		if (l3 + sizeof(ip6) + sizeof(rst) > data_end)
			return -1;
		__builtin_memcpy(l3, &ip6, sizeof(ip6));
		__builtin_memcpy(l3 + sizeof(ip6), &rst, sizeof(rst));
		new_len = l3_off + sizeof(ip6) + sizeof(rst);
	}

	/* Shrink to the reply; every packet pointer is invalid after this. */
	if (bpf_xdp_adjust_tail(ctx, (int)new_len - (int)(data_end - data)))
		return -1;
	return 0;
}

#endif /* ADM_REPLY_H */
