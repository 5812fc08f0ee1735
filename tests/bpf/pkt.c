// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Packet builder and checksum verifier for the BPF tests; see pkt.h. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>

#include "pkt.h"

#define PKT_ETH_LEN		14
#define PKT_VLAN_LEN		4
#define PKT_IP4_LEN		20
#define PKT_IP6_LEN		40
#define PKT_TCP_LEN		20
#define PKT_UDP_LEN		8
#define PKT_ICMP_LEN		8
#define PKT_ARP_LEN		28
#define PKT_EXT_MIN		8
#define PKT_AH_DEF_LEN		24	/* 12 bytes + a 96-bit ICV */
#define PKT_DEF_MSS		1460
#define PKT_IP_DF		0x4000
#define PKT_IP_MF		0x2000
#define PKT_IPOPT_RA		0x94	/* Router Alert, RFC 2113 */
#define PKT_IPOPT_NOP		1
#define PKT_IPOPT_EOL		0
#define PKT_IP6OPT_PADN		1
#define PKT_IP6_RT_EXP		253	/* RFC 4727 experimental routing type */
#define PKT_AH_SPI		0x1000
#define PKT_ICMP_ECHO		8
#define PKT_ICMP6_ECHO		128
#define PKT_FRAG_ID		0x1234abcd

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

__u32 pkt_csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;
	__u64 acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get16(p + i);
	if (len & 1)
		acc += (__u32)p[len - 1] << 8;	/* odd length: only at the end */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (__u32)acc;
}

__u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Sum of the pseudo-header for an L4 segment of `len` bytes. */
static __u32 pseudo_sum(int family, const __u8 *src, const __u8 *dst,
			__u8 proto, __u32 len)
{
	__u8 tail[8] = {};
	__u32 sum;

	if (family == 4) {
		sum = pkt_csum_add(0, src, 4);
		sum = pkt_csum_add(sum, dst, 4);
		tail[1] = proto;
		put16(tail + 2, len);
		return pkt_csum_add(sum, tail, 4);
	}
	sum = pkt_csum_add(0, src, 16);
	sum = pkt_csum_add(sum, dst, 16);
	put32(tail, len);
	tail[7] = proto;
	return pkt_csum_add(sum, tail, 8);
}

static bool all_zero(const __u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Write the TCP options of s at p; returns their padded length or -1. */
static int put_tcp_opts(const struct pkt_spec *s, __u8 *p)
{
	int off = 0, i;

	for (i = 0; i < PKT_MAX_TCPOPTS && s->opts[i] != PKT_OPT_END; i++) {
		int need = 1;

		switch (s->opts[i]) {
		case PKT_OPT_MSS: need = 4; break;
		case PKT_OPT_WSCALE: need = 3; break;
		case PKT_OPT_SACK_PERM: need = 2; break;
		case PKT_OPT_TS: need = 10; break;
		case PKT_OPT_NOP: case PKT_OPT_EOL: need = 1; break;
		default: return -1;
		}
		if (off + need > PKT_MAX_TCPOPT_LEN)
			return -1;
		switch (s->opts[i]) {
		case PKT_OPT_MSS:
			p[off] = 2;
			p[off + 1] = 4;
			put16(p + off + 2, s->mss ? s->mss : PKT_DEF_MSS);
			break;
		case PKT_OPT_WSCALE:
			p[off] = 3;
			p[off + 1] = 3;
			p[off + 2] = s->wscale;
			break;
		case PKT_OPT_SACK_PERM:
			p[off] = 4;
			p[off + 1] = 2;
			break;
		case PKT_OPT_TS:
			p[off] = 8;
			p[off + 1] = 10;
			put32(p + off + 2, s->tsval);
			put32(p + off + 6, s->tsecr);
			break;
		case PKT_OPT_NOP:
			p[off] = 1;
			break;
		default:	/* EOL */
			p[off] = 0;
			break;
		}
		off += need;
	}
	while (off % 4)
		p[off++] = 0;	/* EOL padding */
	return off;
}

/* Write IPv6 extension header `e`, followed by next header nh, at p. */
static int put_ext(const struct pkt_ext *e, __u8 nh, __u8 *p)
{
	int len = e->len;

	switch (e->type) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_DSTOPTS:
		len = len ? len : PKT_EXT_MIN;
		if (len % 8)
			return -1;
		memset(p, 0, len);
		p[0] = nh;
		p[1] = len / 8 - 1;
		p[2] = PKT_IP6OPT_PADN;	/* one PadN filling the header */
		p[3] = len - 4;
		break;
	case IPPROTO_ROUTING:
		len = len ? len : PKT_EXT_MIN;
		if (len % 8)
			return -1;
		memset(p, 0, len);
		p[0] = nh;
		p[1] = len / 8 - 1;
		p[2] = PKT_IP6_RT_EXP;
		p[3] = 0;		/* segments left: we are the destination */
		break;
	case IPPROTO_FRAGMENT:
		if (len && len != PKT_EXT_MIN)
			return -1;
		len = PKT_EXT_MIN;
		memset(p, 0, len);
		p[0] = nh;
		put16(p + 2, (__u16)(e->frag_off << 3) | (e->frag_more ? 1 : 0));
		put32(p + 4, PKT_FRAG_ID);
		break;
	case IPPROTO_AH:
		len = len ? len : PKT_AH_DEF_LEN;
		if (len % 8 || len < 12)
			return -1;
		memset(p, 0, len);
		p[0] = nh;
		p[1] = len / 4 - 2;
		put32(p + 4, PKT_AH_SPI);
		put32(p + 8, 1);	/* sequence number */
		break;
	default:
		return -1;
	}
	return len;
}

int pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap,
	      struct pkt_layout *lo, char *why, size_t whylen)
{
	static const __u8 def_smac[6] = PKT_DEF_SMAC, def_dmac[6] = PKT_DEF_DMAC;
	__u8 frame[PKT_MAX_LEN] = {}, src[16] = {}, dst[16] = {};
	__u8 *ip, *l4, proto = s->proto ? s->proto : IPPROTO_TCP;
	int family = s->family ? s->family : 4, off = 0, i, l4_hdr, ext_len = 0;
	int iphl, l4_len, n;
	__u16 ethertype;
	struct pkt_layout l = {};
	__u32 sum;

	if (s->nvlans > PKT_MAX_VLANS)
		return fail(why, whylen, "%u VLAN tags, at most %d", s->nvlans, PKT_MAX_VLANS);
	if (s->payload_len > PKT_MAX_PAYLOAD)
		return fail(why, whylen, "payload %u bytes, at most %d", s->payload_len, PKT_MAX_PAYLOAD);

	/* Ethernet and VLAN tags. */
	memcpy(frame, all_zero(s->dmac, 6) ? def_dmac : s->dmac, 6);
	memcpy(frame + 6, all_zero(s->smac, 6) ? def_smac : s->smac, 6);
	off = 12;
	for (i = 0; i < s->nvlans; i++) {
		put16(frame + off, s->vlan[i].tpid ? s->vlan[i].tpid : PKT_TPID_8021Q);
		put16(frame + off + 2, s->vlan[i].vid & 0x0fff);
		off += PKT_VLAN_LEN;
	}
	if (s->ethertype && s->ethertype != ETH_P_IP && s->ethertype != ETH_P_IPV6) {
		/* A non-IP frame: an ARP request, or payload bytes. */
		put16(frame + off, s->ethertype);
		off += 2;
		l.l3_off = off;
		if (s->ethertype == ETH_P_ARP) {
			__u8 *a = frame + off;

			put16(a, ARPHRD_ETHER);
			put16(a + 2, ETH_P_IP);
			a[4] = ETH_ALEN;
			a[5] = 4;
			put16(a + 6, ARPOP_REQUEST);
			memcpy(a + 8, frame + 6, ETH_ALEN);
			inet_pton(AF_INET, PKT_DEF_SRC4, a + 14);
			inet_pton(AF_INET, PKT_DEF_DST4, a + 24);
			off += PKT_ARP_LEN;
		}
		for (i = 0; i < s->payload_len; i++)
			frame[off + i] = s->payload ? s->payload[i] : (__u8)i;
		off += s->payload_len;
		l.l4_off = l.payload_off = off;
		goto out;
	}
	ethertype = family == 4 ? ETH_P_IP : ETH_P_IPV6;
	put16(frame + off, ethertype);
	off += 2;
	l.l3_off = off;

	/* Addresses. */
	if (family != 4 && family != 6)
		return fail(why, whylen, "family %d, want 4 or 6", family);
	if (inet_pton(family == 4 ? AF_INET : AF_INET6,
		      s->src ? s->src : (family == 4 ? PKT_DEF_SRC4 : PKT_DEF_SRC6),
		      src) != 1 ||
	    inet_pton(family == 4 ? AF_INET : AF_INET6,
		      s->dst ? s->dst : (family == 4 ? PKT_DEF_DST4 : PKT_DEF_DST6),
		      dst) != 1)
		return fail(why, whylen, "bad IPv%d address '%s' or '%s'", family,
			    s->src ? s->src : "", s->dst ? s->dst : "");

	/* IP header (lengths filled in below). */
	ip = frame + off;
	if (family == 4) {
		if (s->ip_optlen % 4 || s->ip_optlen > PKT_MAX_IPOPT_LEN)
			return fail(why, whylen, "IPv4 options %u bytes: multiple of 4, <= %d",
				    s->ip_optlen, PKT_MAX_IPOPT_LEN);
		iphl = PKT_IP4_LEN + s->ip_optlen;
		ip[0] = 0x40 | iphl / 4;
		ip[1] = s->tos;
		put16(ip + 4, s->ip_id);
		put16(ip + 6, (s->df ? PKT_IP_DF : 0) | (s->more_frags ? PKT_IP_MF : 0) |
			      (s->frag_off & 0x1fff));
		ip[8] = s->ttl ? s->ttl : PKT_DEF_TTL;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		if (s->ip_opts) {
			memcpy(ip + PKT_IP4_LEN, s->ip_opts, s->ip_optlen);
		} else if (s->ip_optlen) {
			__u8 *o = ip + PKT_IP4_LEN;

			o[0] = PKT_IPOPT_RA;
			o[1] = 4;
			memset(o + 4, PKT_IPOPT_NOP, s->ip_optlen - 4);
			if (s->ip_optlen > 4)
				o[s->ip_optlen - 1] = PKT_IPOPT_EOL;
		}
		off += iphl;
	} else {
		__u8 nh;

		if (s->next_count > PKT_MAX_EXTHDRS)
			return fail(why, whylen, "%u extension headers, at most %d",
				    s->next_count, PKT_MAX_EXTHDRS);
		ip[0] = 0x60 | s->tos >> 4;
		ip[1] = (__u8)(s->tos << 4);
		ip[6] = s->next_count ? s->next[0].type : proto;
		ip[7] = s->ttl ? s->ttl : PKT_DEF_TTL;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		iphl = PKT_IP6_LEN;
		off += iphl;
		for (i = 0; i < s->next_count; i++) {
			nh = i + 1 < s->next_count ? s->next[i + 1].type : proto;
			n = put_ext(&s->next[i], nh, frame + off);
			if (n < 0)
				return fail(why, whylen, "extension header %d (type %u, len %u) invalid",
					    i, s->next[i].type, s->next[i].len);
			off += n;
			ext_len += n;
		}
	}

	/* L4 header and payload. */
	l4 = frame + off;
	l.l4_off = off;
	switch (proto) {
	case IPPROTO_TCP:
		put16(l4, s->sport ? s->sport : PKT_DEF_SPORT);
		put16(l4 + 2, s->dport ? s->dport : PKT_DEF_DPORT);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, s->zero_window ? 0 :
			       (s->window ? s->window : PKT_DEF_WINDOW));
		n = put_tcp_opts(s, l4 + PKT_TCP_LEN);
		if (n < 0)
			return fail(why, whylen, "TCP options longer than %d bytes or unknown",
				    PKT_MAX_TCPOPT_LEN);
		l4_hdr = PKT_TCP_LEN + n;
		l4[12] = (__u8)(l4_hdr / 4) << 4;
		if (s->force_doff || s->force_doff_zero)
			l4[12] = (__u8)((s->force_doff_zero ? 0 : s->force_doff) << 4);
		break;
	case IPPROTO_UDP:
		put16(l4, s->sport ? s->sport : PKT_DEF_SPORT);
		put16(l4 + 2, s->dport ? s->dport : PKT_DEF_DPORT);
		l4_hdr = PKT_UDP_LEN;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4[0] = proto == IPPROTO_ICMP ? PKT_ICMP_ECHO : PKT_ICMP6_ECHO;
		put16(l4 + 4, 1);	/* identifier */
		put16(l4 + 6, 1);	/* sequence */
		l4_hdr = PKT_ICMP_LEN;
		break;
	default:
		l4_hdr = 0;		/* raw payload */
		break;
	}
	l.payload_off = off + l4_hdr;
	for (i = 0; i < s->payload_len; i++)
		frame[l.payload_off + i] = s->payload ? s->payload[i] : (__u8)i;
	l4_len = l4_hdr + s->payload_len;
	off += l4_len;
	l.l4_len = l4_len;

	/* Lengths, forced fields, then checksums. */
	if (family == 4) {
		put16(ip + 2, iphl + l4_len);
		if (s->force_tot_len)
			put16(ip + 2, s->force_tot_len);
		if (s->force_ihl || s->force_ihl_zero)
			ip[0] = (ip[0] & 0xf0) | ((s->force_ihl_zero ? 0 : s->force_ihl) & 0x0f);
		if (s->force_version)
			ip[0] = (__u8)(s->force_version << 4) | (ip[0] & 0x0f);
	} else {
		put16(ip + 4, ext_len + l4_len);
		if (s->force_tot_len)
			put16(ip + 4, s->force_tot_len);
		if (s->force_version)
			ip[0] = (__u8)(s->force_version << 4) | (ip[0] & 0x0f);
	}
	switch (proto) {
	case IPPROTO_TCP:
		sum = pseudo_sum(family, src, dst, proto, l4_len);
		put16(l4 + 16, pkt_csum_fold(pkt_csum_add(sum, l4, l4_len)));
		break;
	case IPPROTO_UDP:
		put16(l4 + 4, l4_len);
		sum = pseudo_sum(family, src, dst, proto, l4_len);
		sum = pkt_csum_fold(pkt_csum_add(sum, l4, l4_len));
		put16(l4 + 6, sum ? sum : 0xffff);	/* 0 means "none" */
		break;
	case IPPROTO_ICMP:
		put16(l4 + 2, pkt_csum_fold(pkt_csum_add(0, l4, l4_len)));
		break;
	case IPPROTO_ICMPV6:
		sum = pseudo_sum(family, src, dst, proto, l4_len);
		put16(l4 + 2, pkt_csum_fold(pkt_csum_add(sum, l4, l4_len)));
		break;
	}
	if (family == 4)
		put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, iphl)));

out:
	if (s->pad_to > off) {
		if (s->pad_to > PKT_MAX_LEN)
			return fail(why, whylen, "padding to %u bytes, at most %d",
				    s->pad_to, PKT_MAX_LEN);
		off = s->pad_to;	/* frame[] is zeroed */
	}
	l.full_len = off;
	l.len = s->truncate && s->truncate < off ? s->truncate : off;
	if (l.len > cap)
		return fail(why, whylen, "frame of %u bytes, buffer of %zu", l.len, cap);
	memcpy(buf, frame, l.len);
	if (lo)
		*lo = l;
	return l.len;
}

int pkt_verify_csums(const __u8 *f, size_t len, char *why, size_t whylen)
{
	size_t off = 12, l3, l4, l4_len, hl;
	const __u8 *src, *dst;
	__u16 type, got;
	__u8 nh;
	int family, guard;
	__u32 sum;

	if (len < PKT_ETH_LEN)
		return fail(why, whylen, "frame of %zu bytes has no Ethernet header", len);
	type = get16(f + off);
	while (type == PKT_TPID_8021Q || type == PKT_TPID_8021AD) {
		if (off + PKT_VLAN_LEN + 2 > len)
			return fail(why, whylen, "truncated VLAN tag at %zu", off);
		off += PKT_VLAN_LEN;
		type = get16(f + off);
	}
	l3 = off + 2;
	if (type == ETH_P_IP) {
		family = 4;
		if (l3 + PKT_IP4_LEN > len || f[l3] >> 4 != 4)
			return fail(why, whylen, "no IPv4 header at %zu", l3);
		hl = (f[l3] & 0x0f) * 4;
		if (hl < PKT_IP4_LEN || l3 + hl > len)
			return fail(why, whylen, "IPv4 header length %zu invalid", hl);
		got = pkt_csum_fold(pkt_csum_add(0, f + l3, hl));
		if (got)
			return fail(why, whylen, "IPv4 header checksum 0x%04x is wrong (sum 0x%04x)",
				    get16(f + l3 + 10), got);
		if (get16(f + l3 + 2) < hl || l3 + get16(f + l3 + 2) > len)
			return fail(why, whylen, "IPv4 tot_len %u does not fit the frame",
				    get16(f + l3 + 2));
		if (get16(f + l3 + 6) & (PKT_IP_MF | 0x1fff))
			return 0;	/* a fragment: the L4 checksum spans the datagram */
		nh = f[l3 + 9];
		src = f + l3 + 12;
		dst = f + l3 + 16;
		l4 = l3 + hl;
		l4_len = get16(f + l3 + 2) - hl;
	} else if (type == ETH_P_IPV6) {
		family = 6;
		if (l3 + PKT_IP6_LEN > len || f[l3] >> 4 != 6)
			return fail(why, whylen, "no IPv6 header at %zu", l3);
		if (l3 + PKT_IP6_LEN + get16(f + l3 + 4) > len)
			return fail(why, whylen, "IPv6 payload_len %u does not fit the frame",
				    get16(f + l3 + 4));
		nh = f[l3 + 6];
		src = f + l3 + 8;
		dst = f + l3 + 24;
		l4 = l3 + PKT_IP6_LEN;
		l4_len = get16(f + l3 + 4);
		for (guard = 0; guard < PKT_MAX_EXTHDRS; guard++) {
			if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
			    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT &&
			    nh != IPPROTO_AH)
				break;
			if (l4 + PKT_EXT_MIN > len)
				return fail(why, whylen, "truncated extension header at %zu", l4);
			if (nh == IPPROTO_FRAGMENT) {
				if (get16(f + l4 + 2) & 0xfff9)
					return 0;	/* a fragment */
				hl = PKT_EXT_MIN;
			} else if (nh == IPPROTO_AH) {
				hl = (f[l4 + 1] + 2) * 4;
			} else {
				hl = (f[l4 + 1] + 1) * 8;
			}
			if (hl > l4_len)
				return fail(why, whylen, "extension header longer than the payload");
			nh = f[l4];
			l4 += hl;
			l4_len -= hl;
		}
	} else {
		return fail(why, whylen, "EtherType 0x%04x is not IP", type);
	}

	if (nh == IPPROTO_TCP) {
		if (l4_len < PKT_TCP_LEN)
			return fail(why, whylen, "TCP segment of %zu bytes", l4_len);
	} else if (nh == IPPROTO_UDP) {
		if (l4_len < PKT_UDP_LEN)
			return fail(why, whylen, "UDP datagram of %zu bytes", l4_len);
		if (!get16(f + l4 + 6))
			return 0;	/* no checksum */
	} else {
		return 0;		/* nothing else to check */
	}
	sum = pseudo_sum(family, src, dst, nh, l4_len);
	got = pkt_csum_fold(pkt_csum_add(sum, f + l4, l4_len));
	if (got)
		return fail(why, whylen, "%s checksum 0x%04x is wrong",
			    nh == IPPROTO_TCP ? "TCP" : "UDP",
			    get16(f + l4 + (nh == IPPROTO_TCP ? 16 : 6)));
	return 0;
}
