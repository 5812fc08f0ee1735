/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every adm BPF map, pinned by name under the pin root. Included by each
 * BPF program that uses them; libbpf reuses a pinned map when its layout
 * matches and refuses to load when it does not. maps/README.md is the table.
 */
#ifndef ADM_MAPS_H
#define ADM_MAPS_H

#include <bpf/bpf_helpers.h>
#include "adm/adm.h"

/* service id -> policy (admd). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct adm_service);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_services SEC(".maps");

/* (proto slot << 16 | port) -> service id, 0 = unprotected (admd). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_PORTS_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_ports SEC(".maps");

/* allowed CIDRs -> expiry; allow wins over deny and over every limit (admd, admctl). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ADM_MAX_CIDRS);
	__type(key, struct adm_lpm_key);
	__type(value, struct adm_cidr_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_allow SEC(".maps");

/* [0] -> which CIDR lists may be non-empty (admd, admctl; see struct adm_global). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct adm_global);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_global SEC(".maps");

/* denied CIDRs -> expiry (admd, admctl). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ADM_MAX_CIDRS);
	__type(key, struct adm_lpm_key);
	__type(value, struct adm_cidr_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_deny SEC(".maps");

/*
 * (service, fingerprint, sig 0) -> what a SYN of a source that completed a
 * handshake needs: SYN GCRA, SYN hits, live connections, last handshake.
 * Created only by sockops (a completed handshake), so a spoofed flood can
 * neither create nor evict an entry (sockops, xdp).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_MAX_SOURCES);
	__type(key, struct adm_fp_key);
	__type(value, struct adm_src);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_src SEC(".maps");

/* bit adm_src_filter_bit(key) -> "key may have an adm_src entry" (sockops, admd set; xdp reads). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_SRC_FILTER_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);	/* userspace sets bits with atomic ors */
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_src_filter SEC(".maps");

/* adm_src_filter being rebuilt by admd (include/adm/adm.h; sockops, admd set; admd clears). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_SRC_FILTER_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_src_filter_next SEC(".maps");

/* bit adm_src_filter_bit(key) >> ADM_SRC_SUMMARY_SHIFT -> "one of these 4 adm_src_filter bits may be set" (sockops, admd set; admd's rebuild clears; xdp reads). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_SRC_SUMMARY_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);	/* userspace sets bits with atomic ors */
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_src_summary SEC(".maps");

/*
 * Per-service partitions: adm_rate and adm_pkt_rate are arrays indexed by
 * service id whose slot holds that service's own LRU_HASH (created by
 * userspace/lib/part.c, sized from the service's rate_sources and
 * pkt_sources), so one service's spoofed sources evict only its own
 * entries. An empty slot means the service keeps no such state. The inner
 * declarations below are only the template the outer map is created with:
 * the kernel checks type, key, value and flags of every inner map against
 * it, not max_entries. Sizes, not types: a program that never touches
 * the values gets only a forward declaration of their struct in its BTF.
 */
struct adm_rate_part {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_PART_TEMPLATE);
	__uint(key_size, sizeof(struct adm_fp_key));
	__uint(value_size, sizeof(struct adm_src_tat));
};

struct adm_pkt_part {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_PART_TEMPLATE);
	__uint(key_size, sizeof(struct adm_fp_key));
	__uint(value_size, sizeof(__u64));
};

/* service id -> its LRU (service, fingerprint, sig 0) -> SYN GCRA of a never-verified source of a service without verify (xdp). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct adm_rate_part);
} adm_rate SEC(".maps");

/* service id -> its LRU (service, fingerprint, sig 0) -> packet GCRA TAT (pkt_rate), apart from SYN state (xdp). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct adm_pkt_part);
} adm_pkt_rate SEC(".maps");

/*
 * keyed hash of (service, unverified prefix) -> GCRA TAT of the prefix's
 * budget: a fixed table, so a random-source flood costs no insert and
 * evicts nothing; prefixes that share a slot share its budget (xdp).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_STRANGER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_stranger SEC(".maps");

/* service id -> GCRA TAT of the service-wide new-source budget (xdp). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_newsrc_rate SEC(".maps");

/* (service, fingerprint, sig 0) -> until, the cluster's verdict on a source (admd Redis sync). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_MAX_GBLOCK);
	__type(key, struct adm_fp_key);
	__type(value, struct adm_gblock);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_global_block SEC(".maps");

/* per-CPU REJECT budget: bounds XDP_TX replies under floods (xdp). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct adm_rstbudget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_rstbudget SEC(".maps");

/* service id -> live connections (sockops) and this node's limit (admd). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct adm_conc);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_conc SEC(".maps");

/* service id -> admitted handshakes not yet established, two time buckets (xdp adds, sockops takes). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct adm_pending);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_pending SEC(".maps");

/* service id -> breaker, degradation, shadow (admd, admctl). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct adm_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_state SEC(".maps");

/* (service, verdict, reason) -> packets, bytes, per CPU (xdp, sockops). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ADM_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct adm_stat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_stats SEC(".maps");

/* sampled decision records (xdp, sockops) -> admd. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ADM_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_events SEC(".maps");

/* (service, fingerprint) -> event sampling window (xdp). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_MAX_EVSAMPLE);
	__type(key, struct adm_fp_key);
	__type(value, struct adm_evsample);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_evsample SEC(".maps");

/* per-CPU event budget: bounds ring buffer traffic under floods (xdp). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct adm_evbudget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_evbudget SEC(".maps");

/* service id -> name, policy generation (admd) -> admctl, metrics. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct adm_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_meta SEC(".maps");

/* socket -> counted connection record (sockops); freed with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct adm_sk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_sk SEC(".maps");

/* service id -> recount of one iterator pass (iter; admd zeroes, reads). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct adm_recount);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_recount SEC(".maps");

/* (service, 0, address) -> live tracked sockets in one pass (iter; admd clears). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ADM_MAX_SOURCES);
	__type(key, struct adm_fp_key);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_src_recount SEC(".maps");

/* service id -> request latency count, sum, histogram, per CPU (sockops; breaker module reads). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ADM_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct adm_lat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_lat SEC(".maps");

/* socket -> service and pending request of a measured connection (sockops). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct adm_sk_lat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_sk_lat SEC(".maps");

/* SYN flow refused with `reply` -> service, reason, time (xdp writes; adm_lookup deletes). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ADM_MAX_REPLY_FLOWS);
	__type(key, struct adm_flow_key);
	__type(value, struct adm_reply_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_reply SEC(".maps");

/* family slot -> admd's responder listening socket (admd; adm_lookup). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, ADM_RESPONDER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_responder SEC(".maps");

/* [0] -> responder heartbeat, full flag, fallback counters (admd; xdp, adm_lookup). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct adm_reply_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} adm_reply_ctl SEC(".maps");

#endif /* ADM_MAPS_H */
