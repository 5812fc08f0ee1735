/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small packet builder for the BPF tests: Ethernet, 0-3 VLAN tags,
 * IPv4 with options and fragments, IPv6 with extension headers, TCP with
 * options, UDP, ICMP, ARP, a payload; correct checksums; and knobs that
 * make one field wrong on purpose. A packet is described by a struct
 * pkt_spec whose zero value is a sensible default, so a fixture names only
 * what it cares about:
 *
 *	struct pkt_spec syn = {
 *		.family = 6, .tcp_flags = PKT_TCP_SYN,
 *		.opts = { PKT_OPT_MSS, PKT_OPT_SACK_PERM, PKT_OPT_TS },
 *		.next = { { .type = IPPROTO_DSTOPTS } },
 *	};
 */
#ifndef ADM_TEST_PKT_H
#define ADM_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PKT_MAX_VLANS		3
#define PKT_MAX_EXTHDRS		12
#define PKT_MAX_TCPOPTS		16
#define PKT_MAX_IPOPT_LEN	40
#define PKT_MAX_TCPOPT_LEN	40
#define PKT_MAX_PAYLOAD		1024
#define PKT_MAX_LEN		2048

#define PKT_TPID_8021Q		0x8100
#define PKT_TPID_8021AD		0x88a8

/* TCP flag bits, byte 13 of the header. */
#define PKT_TCP_FIN		0x01
#define PKT_TCP_SYN		0x02
#define PKT_TCP_RST		0x04
#define PKT_TCP_PSH		0x08
#define PKT_TCP_ACK		0x10
#define PKT_TCP_URG		0x20
#define PKT_TCP_ECE		0x40
#define PKT_TCP_CWR		0x80

/* Defaults of a zero spec. */
#define PKT_DEF_SMAC		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }
#define PKT_DEF_DMAC		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }
#define PKT_DEF_SRC4		"10.77.1.1"
#define PKT_DEF_DST4		"10.77.0.1"
#define PKT_DEF_SRC6		"fd77:1::1"
#define PKT_DEF_DST6		"fd77::1"
#define PKT_DEF_TTL		64
#define PKT_DEF_SPORT		40000
#define PKT_DEF_DPORT		80
#define PKT_DEF_WINDOW		64240

/* TCP options, written in list order; PKT_OPT_END ends the list. */
enum pkt_tcpopt {
	PKT_OPT_END = 0,
	PKT_OPT_MSS,		/* kind 2, len 4, spec.mss (0: 1460) */
	PKT_OPT_WSCALE,		/* kind 3, len 3, spec.wscale */
	PKT_OPT_SACK_PERM,	/* kind 4, len 2 */
	PKT_OPT_TS,		/* kind 8, len 10, spec.tsval, spec.tsecr */
	PKT_OPT_NOP,		/* kind 1 */
	PKT_OPT_EOL,		/* kind 0 */
};

struct pkt_vlan {
	__u16 tpid;		/* PKT_TPID_8021Q (0 = this) or PKT_TPID_8021AD */
	__u16 vid;
};

/* One IPv6 extension header. */
struct pkt_ext {
	__u8 type;		/* IPPROTO_HOPOPTS/ROUTING/DSTOPTS/FRAGMENT/AH */
	__u8 len;		/* bytes, 0 = minimum (8; AH 24); a multiple of 8 */
	__u16 frag_off;		/* FRAGMENT: offset in 8-byte units */
	bool frag_more;		/* FRAGMENT: M flag */
};

struct pkt_spec {
	/* L2. Zero MACs mean PKT_DEF_SMAC / PKT_DEF_DMAC. */
	__u8 smac[6];
	__u8 dmac[6];
	__u8 nvlans;			/* 0..PKT_MAX_VLANS */
	struct pkt_vlan vlan[PKT_MAX_VLANS];	/* outermost first */
	__u16 ethertype;		/* != 0 and not IP: a non-IP frame (ETH_P_ARP: a request) */

	/* L3. */
	__u8 family;			/* 4 (0 = 4) or 6 */
	const char *src, *dst;		/* text; NULL = PKT_DEF_* of the family */
	__u8 ttl;			/* TTL / hop limit, 0 = PKT_DEF_TTL */
	__u8 tos;			/* IPv4 TOS / IPv6 traffic class */
	__u16 ip_id;
	bool df;
	__u8 ip_optlen;			/* IPv4 options, bytes: multiple of 4, <= 40 */
	const __u8 *ip_opts;		/* NULL: Router Alert, NOPs, EOL */
	__u16 frag_off;			/* IPv4 fragment offset, 8-byte units */
	bool more_frags;		/* IPv4 MF */
	__u8 next_count;		/* number of IPv6 extension headers in next[] */
	struct pkt_ext next[PKT_MAX_EXTHDRS];	/* in order, first after the IPv6 header */

	/* L4. */
	__u8 proto;			/* IPPROTO_TCP (0 = TCP), _UDP, _ICMP, _ICMPV6, other: raw */
	__u16 sport, dport;		/* 0 = PKT_DEF_SPORT / PKT_DEF_DPORT */
	__u32 seq, ack;
	__u8 tcp_flags;			/* PKT_TCP_* */
	__u16 window;			/* 0 = PKT_DEF_WINDOW, unless zero_window */
	bool zero_window;		/* send window 0 */
	__u8 opts[PKT_MAX_TCPOPTS];	/* enum pkt_tcpopt, PKT_OPT_END-terminated */
	__u16 mss;
	__u8 wscale;
	__u32 tsval, tsecr;
	__u16 payload_len;		/* bytes after the L4 header */
	const __u8 *payload;		/* NULL: a counting pattern */
	__u16 pad_to;			/* zero-pad the frame to this length (Ethernet minimum: 60) */

	/*
	 * Defects, for malformed packets. Checksums are computed after the
	 * forced fields are written, so the forced field is the only defect.
	 */
	__u16 truncate;			/* != 0: cut the frame to this many bytes */
	__u8 force_ihl;			/* != 0: IHL field (in 32-bit words, 0..15) */
	bool force_ihl_zero;		/* IHL field 0 */
	__u8 force_doff;		/* != 0: TCP doff field (in words) */
	bool force_doff_zero;		/* doff field 0 */
	__u8 force_version;		/* != 0: IP version nibble */
	__u16 force_tot_len;		/* != 0: IPv4 tot_len / IPv6 payload_len */
};

/* Where the headers of a built frame are (offsets from the frame start). */
struct pkt_layout {
	__u16 len;		/* frame length, after truncation */
	__u16 full_len;		/* frame length before truncation, padding included */
	__u16 l3_off;		/* IP header (or ARP) */
	__u16 l4_off;		/* TCP/UDP/ICMP header */
	__u16 l4_len;		/* bytes from l4_off to the end of the IP payload */
	__u16 payload_off;	/* first byte after the L4 header */
};

/*
 * Build the frame `s` describes into buf (cap bytes). Returns the frame
 * length and fills *lo (may be NULL), or -1 with a reason in why when the
 * spec is invalid (bad address, too long) and nothing useful is written.
 */
int pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap,
	      struct pkt_layout *lo, char *why, size_t whylen);

/*
 * Check a frame's checksums: the IPv4 header checksum (IPv6 has none) and
 * the TCP (or non-zero UDP) checksum over the IPv4/IPv6 pseudo-header.
 * VLAN tags and IPv6 extension headers are skipped. Returns 0 when they
 * are all correct, else -1 with the first defect described in why.
 */
int pkt_verify_csums(const __u8 *frame, size_t len, char *why, size_t whylen);

/* Internet checksum helpers (RFC 1071), exposed for known-answer tests. */
__u32 pkt_csum_add(__u32 sum, const void *data, size_t len);
__u16 pkt_csum_fold(__u32 sum);

#endif /* ADM_TEST_PKT_H */
