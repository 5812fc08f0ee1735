/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source fingerprints: the address masked to the service's prefix, plus,
 * in ADM_FP_SYN mode, a hash of the SYN's TTL bucket, window, MSS, window
 * scale and option order.
 */
#ifndef ADM_FINGERPRINT_H
#define ADM_FINGERPRINT_H

#include "adm/adm.h"
#include "parse.h"

#define ADM_TCPOPT_EOL		0
#define ADM_TCPOPT_NOP		1
#define ADM_TCPOPT_MSS		2
#define ADM_TCPOPT_WSCALE	3
#define ADM_TCP_MAX_OPTLEN	40

static __always_inline __u32 adm_mask_word(__u32 word, int bits)
{
	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return word;
	return word & bpf_htonl(~0U << (32 - bits));
}

/* Mask a (mapped) address to `plen` bits of its own family. */
static __always_inline void adm_mask_addr(__u32 *dst, const __u32 *src,
					  __u8 family, __u32 plen)
{
	if (family == 4) {
		dst[0] = src[0];
		dst[1] = src[1];
		dst[2] = src[2];
		dst[3] = adm_mask_word(src[3], plen);
		return;
	}
	dst[0] = adm_mask_word(src[0], plen);
	dst[1] = adm_mask_word(src[1], (int)plen - 32);
	dst[2] = adm_mask_word(src[2], (int)plen - 64);
	dst[3] = adm_mask_word(src[3], (int)plen - 96);
}

static __always_inline __u32 adm_mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x01000193;	/* FNV-1a prime */
	return h;
}

/* TTL rounded up to the usual initial values, so the hop count drops out. */
static __always_inline __u32 adm_ttl_bucket(__u8 ttl)
{
	if (ttl <= 32)
		return 32;
	if (ttl <= 64)
		return 64;
	if (ttl <= 128)
		return 128;
	return 255;
}

/*
 * SYN signature from a SYN's TTL, window and its TCP options (copied to
 * opts[0..olen), olen <= ADM_TCP_MAX_OPTLEN). Options are walked in order;
 * a truncated option ends the walk.
 */
static __always_inline __u32 adm_syn_sig(__u8 ttl, __u16 window,
					 const __u8 *opts, __u32 olen)
{
	__u32 h = 0x811c9dc5;	/* FNV offset basis */
	__u32 mss = 0, wscale = 0xff, off = 0;
	int i;

	h = adm_mix(h, adm_ttl_bucket(ttl));
	h = adm_mix(h, window);
	for (i = 0; i < ADM_TCP_MAX_OPTLEN; i++) {
		__u8 kind, len;

		if (off >= olen || off >= ADM_TCP_MAX_OPTLEN - 1)
			break;
		kind = opts[off];
		if (kind == ADM_TCPOPT_EOL)
			break;
		h = adm_mix(h, kind);
		if (kind == ADM_TCPOPT_NOP) {
			off++;
			continue;
		}
		len = opts[off + 1];
		if (len < 2 || off + len > olen)
			break;
		if (kind == ADM_TCPOPT_MSS && len == 4)
			mss = (__u32)opts[(off + 2) & 63] << 8 | opts[(off + 3) & 63];
		else if (kind == ADM_TCPOPT_WSCALE && len == 3)
			wscale = opts[(off + 2) & 63];
		off += len;
	}
	h = adm_mix(h, mss);
	h = adm_mix(h, wscale);
	return h ? h : 1;	/* 0 means "no signature" */
}

/* Fill the address part of the fingerprint of the packet's source (sig 0). */
static __always_inline void adm_fingerprint(struct adm_fp_key *k, __u32 id,
					    const struct adm_service *svc,
					    const struct adm_pkt *p)
{
	__u32 plen = p->family == 4 ? svc->ipv4_prefix : svc->ipv6_prefix;

	k->service = id;
	k->sig = 0;
	adm_mask_addr(k->addr, p->saddr, p->family, plen);
}

#endif /* ADM_FINGERPRINT_H */
