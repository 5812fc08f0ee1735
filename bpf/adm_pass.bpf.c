// SPDX-License-Identifier: GPL-2.0
/*
 * adm_pass: XDP_PASS and nothing else. The floor of the micro-benchmark,
 * and the program test topologies put on client-side veths so that the
 * REJECT frames adm_xdp sends with XDP_TX are received (veth drops
 * XDP_TX frames when the peer has no XDP program).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int adm_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
