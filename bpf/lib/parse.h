/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parser: Ethernet, up to ADM_MAX_VLANS 802.1Q/802.1ad tags, IPv4
 * with options, IPv6 with a bounded walk of extension headers, TCP, UDP.
 * Every read is preceded by a bounds check against data_end. Depends only
 * on UAPI headers, so it also compiles in userspace (tests/fuzz).
 */
#ifndef ADM_PARSE_H
#define ADM_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#ifndef ADM_MAX_VLANS
#define ADM_MAX_VLANS		2
#endif
#ifndef ADM_MAX_EXTHDRS
#define ADM_MAX_EXTHDRS		8
#endif

#define ADM_IP_MF		0x2000
#define ADM_IP_OFFSET		0x1fff
#define ADM_IP6_FRAG_OFFSET	0xfff8	/* in host order of frag_off */

#define ADM_TCP_FIN		0x01
#define ADM_TCP_SYN		0x02
#define ADM_TCP_RST		0x04
#define ADM_TCP_ACK		0x10

enum adm_parse_rc {
	ADM_PARSE_OK = 0,	/* IPv4/IPv6 + TCP/UDP, ports valid */
	ADM_PARSE_PASS,		/* not ours to judge: non-IP, other L4, later fragment */
	ADM_PARSE_MALFORMED,	/* truncated or invalid header the kernel would drop */
};

struct adm_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/*
 * A parsed frame, scalars only: offsets instead of packet pointers, so the
 * struct can be handed to a global BPF function and verified once.
 */
struct adm_pkt {
	__u16 l3_off;		/* IP header, from the start of the frame */
	__u16 l4_off;		/* TCP/UDP header */
	__u32 saddr[4];		/* IPv6 or IPv4-mapped, network order words */
	__u32 daddr[4];
	__u16 sport;		/* host order */
	__u16 dport;
	__u16 l4_len;		/* bytes from l4 to the end of the IP payload */
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 tcp_flags;		/* byte 13 of the TCP header */
	__u8 ttl;		/* TTL or hop limit */
	__u8 nvlans;
	__u8 pad;
};

static __always_inline void adm_map_v4(__u32 *dst, __be32 a)
{
	dst[0] = 0;
	dst[1] = 0;
	dst[2] = bpf_htonl(0x0000ffff);
	dst[3] = a;
}

static __always_inline int adm_ip6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_AH || nh == IPPROTO_MH;
}

/* Parse the transport header at pos; fills ports and flags. */
static __always_inline int adm_parse_l4(struct adm_pkt *p, void *data,
					void *pos, void *data_end, __u8 proto,
					__u32 ip_payload)
{
	p->proto = proto;
	p->l4_off = pos - data;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = pos;
		__u32 doff;

		if ((void *)(th + 1) > data_end)
			return ADM_PARSE_MALFORMED;
		doff = th->doff * 4;
		if (doff < sizeof(*th) || doff > ip_payload)
			return ADM_PARSE_MALFORMED;
		/* Options cut off by the end of the frame: a truncated header. */
		if (pos + doff > data_end)
			return ADM_PARSE_MALFORMED;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = pos;

		if ((void *)(uh + 1) > data_end)
			return ADM_PARSE_MALFORMED;
		if (ip_payload < sizeof(*uh))
			return ADM_PARSE_MALFORMED;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->tcp_flags = 0;
	} else {
		return ADM_PARSE_PASS;
	}
	p->l4_len = ip_payload;
	return ADM_PARSE_OK;
}

static __always_inline int adm_parse_ip4(struct adm_pkt *p, void *data,
					 void *pos, void *data_end)
{
	struct iphdr *ip = pos;
	__u32 ihl, tot;

	if ((void *)(ip + 1) > data_end)
		return ADM_PARSE_MALFORMED;
	if (ip->version != 4)
		return ADM_PARSE_MALFORMED;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || tot < ihl)
		return ADM_PARSE_MALFORMED;
	if (pos + ihl > data_end)
		return ADM_PARSE_MALFORMED;
	p->family = 4;
	p->l3_off = pos - data;
	p->ttl = ip->ttl;
	adm_map_v4(p->saddr, ip->saddr);
	adm_map_v4(p->daddr, ip->daddr);
	/* Later fragments carry no ports: the first fragment was judged. */
	if (bpf_ntohs(ip->frag_off) & ADM_IP_OFFSET)
		return ADM_PARSE_PASS;
	return adm_parse_l4(p, data, pos + ihl, data_end, ip->protocol,
			    tot - ihl);
}

static __always_inline int adm_parse_ip6(struct adm_pkt *p, void *data,
					 void *pos, void *data_end)
{
	struct ipv6hdr *ip6 = pos;
	__u32 payload;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return ADM_PARSE_MALFORMED;
	if (ip6->version != 6)
		return ADM_PARSE_MALFORMED;
	p->family = 6;
	p->l3_off = pos - data;
	p->ttl = ip6->hop_limit;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	payload = bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	pos = ip6 + 1;

	for (i = 0; i < ADM_MAX_EXTHDRS; i++) {
		__u8 *eh = pos;
		__u32 len;

		if (!adm_ip6_is_ext(nh))
			return adm_parse_l4(p, data, pos, data_end, nh,
					    payload);
		if ((void *)(eh + 8) > data_end)
			return ADM_PARSE_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			__u16 off = ((__u16)eh[2] << 8 | eh[3]) & ADM_IP6_FRAG_OFFSET;

			if (off)
				return ADM_PARSE_PASS;
			len = 8;
		} else if (nh == IPPROTO_AH) {
			len = ((__u32)eh[1] + 2) * 4;
		} else {
			len = ((__u32)eh[1] + 1) * 8;
		}
		if (len > payload)
			return ADM_PARSE_MALFORMED;
		payload -= len;
		nh = eh[0];
		pos += len;
	}
	/* A chain longer than we walk hides the transport header: refuse it
	 * rather than let it bypass admission. */
	if (!adm_ip6_is_ext(nh))
		return adm_parse_l4(p, data, pos, data_end, nh, payload);
	return ADM_PARSE_MALFORMED;
}

/*
 * Parse one frame. On ADM_PARSE_OK every field of *p is valid. On
 * ADM_PARSE_PASS the frame is not for admission (ARP, ICMP, later
 * fragments, ESP, ...); on ADM_PARSE_MALFORMED a header is truncated or
 * invalid, or more than ADM_MAX_VLANS tags are stacked. Never reads outside [data, data_end).
 */
static __always_inline int adm_parse(void *data, void *data_end,
				     struct adm_pkt *p)
{
	struct ethhdr *eth = data;
	void *pos = eth + 1;
	__u16 proto;
	int i;

	if (pos > data_end)
		return ADM_PARSE_MALFORMED;
	proto = bpf_ntohs(eth->h_proto);
	p->nvlans = 0;

	for (i = 0; i < ADM_MAX_VLANS; i++) {
		struct adm_vlan_hdr *vh = pos;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > data_end)
			return ADM_PARSE_MALFORMED;
		proto = bpf_ntohs(vh->encap_proto);
		pos = vh + 1;
		p->nvlans++;
	}

	/*
	 * A tag beyond ADM_MAX_VLANS would hide the IP header from the walk
	 * and let a protected port's SYN pass unjudged: such a frame is
	 * refused as malformed (no network we serve stacks three tags).
	 */
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return ADM_PARSE_MALFORMED;
	if (proto == ETH_P_IP)
		return adm_parse_ip4(p, data, pos, data_end);
	if (proto == ETH_P_IPV6)
		return adm_parse_ip6(p, data, pos, data_end);
	return ADM_PARSE_PASS;
}

#endif /* ADM_PARSE_H */
