// SPDX-License-Identifier: GPL-2.0
/*
 * adm_iter_tcp: one pass over the kernel's TCP socket table, run by admd.
 * For every live socket on a protected service's port it
 *   - recounts what the socket layer should hold (per service and per
 *     source), so admd can correct counters that drifted;
 *   - reaps connections past the service's idle_timeout or max_lifetime
 *     with bpf_sock_destroy() (the client sees a reset, sockops releases
 *     the slot on the way to TCP_CLOSE) and logs a decision event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "adm/adm.h"
#include "adm_maps.h"
#include "lib/service.h"

#define NSEC_PER_USEC	1000ULL

extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

const volatile __u64 adm_netns_cookie = 0;

static __always_inline void adm_reap_event(const struct adm_sk *st,
					   struct sock_common *skc,
					   __u32 reason_kind, __u64 now)
{
	struct adm_event *ev = bpf_ringbuf_reserve(&adm_events, sizeof(*ev), 0);

	if (!ev)
		return;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	ev->kind = ADM_EV_REAPED;
	ev->service = st->fp.service;
	ev->verdict = ADM_V_DROP;
	ev->reason = reason_kind;
	ev->proto = IPPROTO_TCP;
	ev->dport = skc->skc_num;
	ev->sport = bpf_ntohs(skc->skc_dport);
	ev->count = 1;
	__builtin_memcpy(ev->addr, st->fp.addr, sizeof(ev->addr));
	bpf_ringbuf_submit(ev, 0);
}

SEC("iter/tcp")
int adm_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	const struct adm_service *svc;
	struct adm_recount *rc;
	struct tcp_sock *tp;
	struct adm_sk *st;
	__u32 id = 0;
	__u64 now, one = 1, *n;
	int state;

	if (!skc)
		return 0;
	state = skc->skc_state;
	if (state == TCP_LISTEN || state == TCP_TIME_WAIT ||
	    state == TCP_NEW_SYN_RECV || state == TCP_CLOSE ||
	    state == TCP_SYN_SENT || state == TCP_SYN_RECV)
		return 0;
	if (adm_netns_cookie &&
	    BPF_CORE_READ(skc, skc_net.net, net_cookie) != adm_netns_cookie)
		return 0;
	svc = adm_service_of(IPPROTO_TCP, skc->skc_num, &id);
	if (!svc)
		return 0;
	rc = bpf_map_lookup_elem(&adm_recount, &id);
	tp = bpf_skc_to_tcp_sock(skc);
	if (!rc || !svc || !tp)
		return 0;
	/* admd's 503 responder's connections are not the service's. */
	if (tp->inet_conn.icsk_inet.sk.sk_mark == ADM_REPLY_MARK)
		return 0;

	st = bpf_sk_storage_get(&adm_sk, tp, NULL, 0);
	if (!st || !st->counted || st->fp.service != id) {
		rc->untracked++;
		return 0;
	}

	now = bpf_ktime_get_ns();
	if (svc->max_lifetime_ns && now - st->established_ns > svc->max_lifetime_ns) {
		if (!bpf_sock_destroy(skc)) {
			rc->reaped_lifetime++;
			adm_reap_event(st, skc, ADM_R_LIFETIME, now);
			return 0;
		}
	}
	/* tcp_mstamp: time in us (tcp_clock_us, CLOCK_MONOTONIC) of the
	 * socket's most recent packet, sent or received. */
	if (svc->idle_timeout_ns &&
	    now - tp->tcp_mstamp * NSEC_PER_USEC > svc->idle_timeout_ns) {
		if (!bpf_sock_destroy(skc)) {
			rc->reaped_idle++;
			adm_reap_event(st, skc, ADM_R_IDLE, now);
			return 0;
		}
	}

	rc->tracked++;
	n = bpf_map_lookup_elem(&adm_src_recount, &st->fp);
	if (n)
		(*n)++;
	else
		bpf_map_update_elem(&adm_src_recount, &st->fp, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
