/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Request latency in sockops (owner: the breaker module; adm_lat,
 * adm_sk_lat). A connection of a service with ADM_SVC_LATENCY gets an
 * adm_sk_lat entry once established and asks for a callback on every
 * segment out (HDR_OPT_LEN_CB, reserving no option space). The first
 * payload byte in starts a request: bpf/adm_lat.bpf.c (fentry on
 * tcp_rcv_established) stamps req_ns, because sockops' PARSE_HDR_OPT_CB
 * runs only on the kernel's slow receive path, never for in-order data
 * (checked: it saw no request at all). The first payload byte out answers
 * it: one sample, now - start, into adm_lat[service] (count, sum,
 * histogram). A connection that closes with a request pending counts as
 * unanswered. Pipelined requests count as one until the first answer.
 */
#ifndef ADM_LATENCY_H
#define ADM_LATENCY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "adm/adm.h"
#include "adm_maps.h"

#define ADM_LAT_CB_FLAGS	BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG

/* At PASSIVE_ESTABLISHED: measure this connection if its service asks. */
static __always_inline void adm_lat_start(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;	/* read once: the verifier tracks its check */
	const struct adm_service *svc;
	struct adm_sk_lat *st;
	__u32 key, *idp;

	if (!sk)
		return;
	key = ADM_PORT_SLOT_TCP << 16 | (skops->local_port & 0xffff);
	idp = bpf_map_lookup_elem(&adm_ports, &key);
	if (!idp || !*idp)
		return;
	svc = bpf_map_lookup_elem(&adm_services, idp);
	if (!svc || !(svc->flags & ADM_SVC_LATENCY))
		return;
	st = bpf_sk_storage_get(&adm_sk_lat, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	st->service = *idp;
	st->req_ns = 0;
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
				  ADM_LAT_CB_FLAGS | BPF_SOCK_OPS_STATE_CB_FLAG);
}

/* A segment out (skb_len is its payload): the answer to a pending request. */
static __always_inline void adm_lat_out(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct adm_sk_lat *st;
	struct adm_lat *lat;
	__u64 start, d;
	__u32 id, b;

	if (!sk || !skops->skb_len)
		return;
	st = bpf_sk_storage_get(&adm_sk_lat, sk, NULL, 0);
	if (!st || !st->req_ns)
		return;
	start = st->req_ns;
	st->req_ns = 0;
	id = st->service;
	lat = bpf_map_lookup_elem(&adm_lat, &id);
	if (!lat)
		return;
	d = bpf_ktime_get_ns() - start;
	b = adm_lat_bucket(d);
	lat->count++;
	lat->sum_ns += d;
	if (b < ADM_LAT_BUCKETS)
		lat->hist[b]++;
}

/* The connection closed: a request still pending was never answered. */
static __always_inline void adm_lat_close(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct adm_sk_lat *st;
	struct adm_lat *lat;
	__u32 id;

	if (!sk)
		return;
	st = bpf_sk_storage_get(&adm_sk_lat, sk, NULL, 0);
	if (!st || !st->req_ns)
		return;
	st->req_ns = 0;
	id = st->service;
	lat = bpf_map_lookup_elem(&adm_lat, &id);
	if (lat)
		lat->unanswered++;
}

/* The sockops callbacks of the latency measurement, by op. */
static __always_inline void adm_lat_cb(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		adm_lat_start(skops);
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		adm_lat_out(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE)
			adm_lat_close(skops);
		break;
	}
}

#endif /* ADM_LATENCY_H */
