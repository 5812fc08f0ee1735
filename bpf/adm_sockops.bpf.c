// SPDX-License-Identifier: GPL-2.0
/*
 * adm_sockops: the socket layer. Counts live connections of protected
 * services exactly: +1 per service and per source fingerprint when a
 * passive connection is established, -1 when that socket reaches
 * TCP_CLOSE, guarded by a flag in the socket's storage so each slot is
 * taken and released once whatever the path (RST, abort, double close,
 * timeout). A completed handshake also marks the source verified: the
 * source's adm_src entry (live connections, verified time, the SYN state
 * the data plane reads) is created here and only here.
 * Every take and release is bracketed by adm_chg_begun/adm_chg_done for
 * admd's socket table recount. Services with ADM_SVC_LATENCY also get
 * their request latency measured (lib/latency.h).
 */
#include <linux/bpf.h>
#include <linux/socket.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "adm/adm.h"
#include "adm_maps.h"
#include "lib/fingerprint.h"
#include "lib/latency.h"
#include "lib/pending.h"
#include "lib/service.h"
#include "lib/srcfilter.h"

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif

/* Network namespace admd serves (SO_NETNS_COOKIE); 0 = every namespace. */
const volatile __u64 adm_netns_cookie = 0;

/*
 * Takes and releases of counted connections per service since this program
 * was loaded, read by admd through the skeleton's mmapped .bss: `begun` is
 * bumped before a socket's `counted` flag flips, `done` once the counters
 * moved. A recount pass that read done[id] when it started and finds
 * begun[id] equal to it when it ends overlapped no take or release of
 * service id, so its tally of counted sockets is exact and only such a
 * pass may show drift. (`live` equal before and after a pass cannot tell:
 * a connection opening while another closes leaves it unchanged.)
 */
__u64 adm_chg_begun[ADM_MAX_SERVICES];
__u64 adm_chg_done[ADM_MAX_SERVICES];

static __always_inline void adm_change_begin(__u32 id)
{
	if (id < ADM_MAX_SERVICES)
		__sync_fetch_and_add(&adm_chg_begun[id], 1);
}

static __always_inline void adm_change_end(__u32 id)
{
	if (id < ADM_MAX_SERVICES)
		__sync_fetch_and_add(&adm_chg_done[id], 1);
}

static __always_inline int adm_is_mapped_v4(const __u32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff);
}

static __always_inline void adm_add(__u64 *v, __s64 delta)
{
	__sync_fetch_and_add(v, delta);
}

static __always_inline void adm_add32(__u32 *v, __s32 delta)
{
	__sync_fetch_and_add(v, delta);
}

#define ADM_DEC_TRIES	8
#define ADM_NS_PER_SEC	1000000000ULL

/*
 * Decrement a counter, never below zero. A per-source entry can be evicted
 * from its LRU map and recreated by a newer connection; the release of an
 * older one must not wrap it to 2^64-1 (which would refuse that source
 * forever). A lost race after ADM_DEC_TRIES leaves the count one high,
 * for the socket table recount to correct.
 */
static __always_inline void adm_dec(__u64 *v)
{
	int i;

	for (i = 0; i < ADM_DEC_TRIES; i++) {
		__u64 old = *(volatile __u64 *)v;

		if (!old)
			return;
		if (__sync_val_compare_and_swap(v, old, old - 1) == old)
			return;
	}
}

/* The same for a 32-bit counter (adm_src.live). */
static __always_inline void adm_dec32(__u32 *v)
{
	int i;

	for (i = 0; i < ADM_DEC_TRIES; i++) {
		__u32 old = *(volatile __u32 *)v;

		if (!old)
			return;
		if (__sync_val_compare_and_swap(v, old, old - 1) == old)
			return;
	}
}

static __always_inline void adm_track(struct bpf_sock_ops *skops)
{
	struct adm_pkt p = {};
	const struct adm_service *svc;
	struct adm_conc *conc;
	struct adm_sk *st;
	struct adm_fp_key fp;
	struct adm_src *src, fresh;
	__u32 id = 0;
	__u64 now;
	struct bpf_sock *sk = skops->sk;

	if (!sk)
		return;
	if (adm_netns_cookie && bpf_get_netns_cookie(skops) != adm_netns_cookie)
		return;
	svc = adm_service_of(IPPROTO_TCP, skops->local_port, &id);
	if (!svc)
		return;

	if (skops->family == AF_INET) {
		adm_map_v4(p.saddr, skops->remote_ip4);
		p.family = 4;
	} else if (skops->family == AF_INET6) {
		p.saddr[0] = skops->remote_ip6[0];
		p.saddr[1] = skops->remote_ip6[1];
		p.saddr[2] = skops->remote_ip6[2];
		p.saddr[3] = skops->remote_ip6[3];
		p.family = adm_is_mapped_v4(p.saddr) ? 4 : 6;
	} else {
		return;
	}
	adm_fingerprint(&fp, id, svc, &p);

	st = bpf_sk_storage_get(&adm_sk, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	adm_change_begin(id);
	if (__sync_val_compare_and_swap(&st->counted, 0, 1) != 0) {
		adm_change_end(id);
		return;		/* already counted */
	}
	now = bpf_ktime_get_ns();
	st->fp = fp;
	st->established_ns = now;

	conc = bpf_map_lookup_elem(&adm_conc, &id);
	if (conc) {
		adm_add(&conc->live, 1);
		/* Established: no longer pending at the data plane's gate. */
		if (conc->limit) {
			struct adm_pending *pend = bpf_map_lookup_elem(&adm_pending, &id);

			if (pend)
				adm_pending_done(pend, adm_pending_epoch(now));
		}
	}
	/* The source's one entry: +1 live, verified now (created if new). */
	adm_src_mark(&fp);	/* first: XDP looks only for marked keys */
	src = bpf_map_lookup_elem(&adm_src, &fp);
	if (!src) {
		/*
		 * A source of a service without verify was charged in
		 * its adm_rate partition before its first handshake: its
		 * bucket moves into the new entry (no fresh burst for
		 * completing a handshake), and the old entry goes.
		 */
		void *part = bpf_map_lookup_elem(&adm_rate, &id);
		struct adm_src_tat *before = part ? bpf_map_lookup_elem(part, &fp) : NULL;

		/* Field by field: an initializer would become a .rodata.cst32 map. */
		fresh.syn_tat = before ? before->tat : 0;
		fresh.syn_hits = before ? before->syn_hits : 0;
		fresh.live = 1;
		fresh.verified_s = now / ADM_NS_PER_SEC;
		if (!bpf_map_update_elem(&adm_src, &fp, &fresh, BPF_NOEXIST)) {
			if (before && part)
				bpf_map_delete_elem(part, &fp);
			goto counted;
		}
		src = bpf_map_lookup_elem(&adm_src, &fp);	/* lost the race */
	}
	if (src) {
		adm_add32(&src->live, 1);
		src->verified_s = now / ADM_NS_PER_SEC;
	}
counted:
	adm_change_end(id);
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
				  BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline void adm_release(struct bpf_sock_ops *skops)
{
	struct adm_conc *conc;
	struct adm_sk *st;
	struct adm_src *src;
	__u32 id;

	if (!skops->sk)
		return;
	st = bpf_sk_storage_get(&adm_sk, skops->sk, NULL, 0);
	if (!st || !st->counted)
		return;		/* never counted, or already released */
	id = st->fp.service;
	adm_change_begin(id);
	if (__sync_val_compare_and_swap(&st->counted, 1, 0) != 1) {
		adm_change_end(id);
		return;
	}
	conc = bpf_map_lookup_elem(&adm_conc, &id);
	if (conc)
		adm_dec(&conc->live);
	src = bpf_map_lookup_elem(&adm_src, &st->fp);
	if (src)
		adm_dec32(&src->live);
	adm_change_end(id);
}

SEC("sockops")
int adm_sockops(struct bpf_sock_ops *skops)
{
	/* A refused client talking to admd's 503 responder holds no slot. */
	if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB && skops->sk &&
	    skops->sk->mark == ADM_REPLY_MARK)
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		adm_track(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE)
			adm_release(skops);
		break;
	}
	adm_lat_cb(skops);	/* request latency (breaker module), lib/latency.h */
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
