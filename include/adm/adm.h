/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Layouts shared by the BPF programs and userspace. One source of truth:
 * every struct that crosses the kernel/user boundary is defined here and
 * nowhere else. Fixed-width types only, no libc.
 */
#ifndef ADM_ADM_H
#define ADM_ADM_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Overridable limits. */
#ifndef ADM_MAX_SERVICES
#define ADM_MAX_SERVICES	64	/* service ids 1..63; id 0 = "no service" */
#endif
#ifndef ADM_MAX_SOURCES
#define ADM_MAX_SOURCES		262144	/* adm_src entries (sources that completed a handshake) */
#endif
#ifndef ADM_MAX_RATE_SOURCES
#define ADM_MAX_RATE_SOURCES	4194304	/* most entries of one service's adm_rate or adm_pkt_rate partition */
#endif
#ifndef ADM_RATE_SOURCES_DEFAULT
#define ADM_RATE_SOURCES_DEFAULT 65536	/* a partition's entries unless configured */
#endif
#define ADM_RATE_SOURCES_MIN	1024	/* fewest entries of a partition */
#define ADM_PART_TEMPLATE	64	/* entries of the inner map template libbpf creates at load */
#ifndef ADM_MAX_EVSAMPLE
#define ADM_MAX_EVSAMPLE	65536	/* adm_evsample entries */
#endif
#ifndef ADM_STRANGER_SLOTS
#define ADM_STRANGER_SLOTS	65536	/* adm_stranger slots, a power of two */
#endif
#ifndef ADM_MAX_GBLOCK
#define ADM_MAX_GBLOCK		65536	/* adm_global_block entries */
#endif
#ifndef ADM_RST_PER_SEC
#define ADM_RST_PER_SEC		2000	/* REJECT replies per CPU per second */
#endif
#ifndef ADM_MAX_CIDRS
#define ADM_MAX_CIDRS		16384	/* adm_allow, adm_deny entries each */
#endif
#ifndef ADM_MAX_REPLY_FLOWS
#define ADM_MAX_REPLY_FLOWS	16384	/* adm_reply entries (SYNs steered to the responder, in flight) */
#endif
#ifndef ADM_RINGBUF_BYTES
#define ADM_RINGBUF_BYTES	(1 << 20)
#endif

/*
 * Wakeups of the ring buffer's reader. A sampled decision is submitted
 * without waking admd (a wakeup is an interrupt-work IPI, a VM exit on a
 * virtualized host, and a turn of admd's loop per record) unless the
 * ring's unread bytes reach ADM_EVENTS_WAKE_BYTES: admd drains the ring
 * at least every ADM_EVENTS_DRAIN_MS instead.
 * Records of the socket layer (reaping) wake it as they come.
 */
#define ADM_EVENTS_WAKE_BYTES	(ADM_RINGBUF_BYTES / 8)
#define ADM_EVENTS_DRAIN_MS	50

/* adm_ports is an ARRAY indexed by (proto slot << 16 | host-order port). */
#define ADM_PORT_SLOT_TCP	0
#define ADM_PORT_SLOT_UDP	1
#define ADM_PORT_SLOTS		2
#define ADM_PORTS_ENTRIES	(ADM_PORT_SLOTS << 16)
#define ADM_IPPROTO_UDP		17	/* IPPROTO_UDP, without libc or vmlinux.h */

/* adm_ports key of (IP protocol, host-order port): UDP's slot, else TCP's. */
static inline __u32 adm_port_key(__u32 proto, __u32 port)
{
	return (proto == ADM_IPPROTO_UDP ? ADM_PORT_SLOT_UDP : ADM_PORT_SLOT_TCP) << 16 |
	       (port & 0xffff);
}

/* Map names, shared with userspace so they are never typed twice. */
#define ADM_MAP_SERVICES	"adm_services"
#define ADM_MAP_PORTS		"adm_ports"
#define ADM_MAP_ALLOW		"adm_allow"
#define ADM_MAP_DENY		"adm_deny"
#define ADM_MAP_SRC		"adm_src"
#define ADM_MAP_RATE		"adm_rate"
#define ADM_MAP_PKT_RATE	"adm_pkt_rate"
#define ADM_MAP_STRANGER	"adm_stranger"
#define ADM_MAP_NEWSRC_RATE	"adm_newsrc_rate"
#define ADM_MAP_CONC		"adm_conc"
#define ADM_MAP_GLOBAL_BLOCK	"adm_global_block"
#define ADM_MAP_RSTBUDGET	"adm_rstbudget"
#define ADM_MAP_PENDING		"adm_pending"
#define ADM_MAP_STATE		"adm_state"
#define ADM_MAP_STATS		"adm_stats"
#define ADM_MAP_EVENTS		"adm_events"
#define ADM_MAP_EVSAMPLE	"adm_evsample"
#define ADM_MAP_EVBUDGET	"adm_evbudget"
#define ADM_MAP_META		"adm_meta"
#define ADM_MAP_SK		"adm_sk"
#define ADM_MAP_RECOUNT		"adm_recount"
#define ADM_MAP_GLOBAL		"adm_global"
#define ADM_MAP_SRC_RECOUNT	"adm_src_recount"
#define ADM_MAP_LAT		"adm_lat"
#define ADM_MAP_SK_LAT		"adm_sk_lat"
#define ADM_MAP_SRC_FILTER	"adm_src_filter"
#define ADM_MAP_SRC_SUMMARY	"adm_src_summary"
#define ADM_MAP_SRC_FILTER_NEXT	"adm_src_filter_next"
#define ADM_MAP_REPLY		"adm_reply"
#define ADM_MAP_RESPONDER	"adm_responder"
#define ADM_MAP_REPLY_CTL	"adm_reply_ctl"

enum adm_verdict {
	ADM_V_PASS = 0,
	ADM_V_DROP,
	ADM_V_DEFER,
	ADM_V_REJECT,
	ADM_V_WOULD_DROP,	/* shadow mode: computed, counted, packet passed */
	ADM_V_WOULD_DEFER,
	ADM_V_WOULD_REJECT,
	ADM_V_REPLY,		/* SYN passed, steered to admd's HTTP 503 responder (sk_lookup) */
	ADM_V_WOULD_REPLY,
	ADM_V__MAX,
};

enum adm_reason {
	ADM_R_NONE = 0,		/* admitted: a new connection (SYN), or a UDP packet */
	ADM_R_DENY_LIST,
	ADM_R_RATE_SOURCE,	/* per-fingerprint SYN rate */
	ADM_R_RATE_PREFIX_UNVERIFIED,
	ADM_R_RATE_NEW_SOURCES,
	ADM_R_CONC_GLOBAL,
	ADM_R_CONC_SOURCE,
	ADM_R_BREAKER_OPEN,
	ADM_R_DEGRADED,
	ADM_R_MALFORMED,
	ADM_R_GLOBAL_BLOCK,	/* over the source's cluster-wide rate (cluster sync) */
	ADM_R_RATE_PACKET,	/* per-fingerprint packet rate */
	ADM_R_ALLOW_LIST,	/* admitted because an allow CIDR matched */
	ADM_R_IDLE,		/* reaped: idle_timeout */
	ADM_R_LIFETIME,		/* reaped: max_lifetime */
	ADM_R_FLOW,		/* admitted: a non-SYN TCP packet of the service */
	ADM_R__MAX,
};

/* What to do with a packet a limit refused. 0 means "not set". */
enum adm_action {
	ADM_A_NONE = 0,
	ADM_A_DROP,
	ADM_A_DEFER,
	ADM_A_REJECT,
	ADM_A_REPLY,		/* an HTTP 503 from admd's responder; REJECT when it cannot */
	ADM_A__MAX,
};

enum adm_fp_mode {
	ADM_FP_IP = 0,		/* address masked to ipv4_prefix/ipv6_prefix */
	ADM_FP_PREFIX,		/* same, with coarser defaults (24/48) */
	ADM_FP_SYN,		/* address + TCP SYN signature hash */
	ADM_FP__MAX,
};

/* Shedding order: degradation level L sheds services with priority < L. */
enum adm_priority {
	ADM_PRIO_SHEDDABLE = 0,
	ADM_PRIO_NORMAL,
	ADM_PRIO_CRITICAL,
	ADM_PRIO__MAX,
};

enum adm_breaker {
	ADM_BRK_CLOSED = 0,
	ADM_BRK_OPEN,
	ADM_BRK_HALF_OPEN,
	ADM_BRK__MAX,
};

#define ADM_DEGRADE_MAX		3

/* adm_services value flags (owner: admd policy writer). */
#define ADM_SVC_ACTIVE		(1U << 0)	/* slot in use */
#define ADM_SVC_VERIFY		(1U << 1)	/* unverified sources use shared budgets */
#define ADM_SVC_LATENCY		(1U << 2)	/* sockops measures request latency (breaker module) */
#define ADM_SVC_HITS		(1U << 3)	/* count syn_hits per source (cluster_conn_rate) */
#define ADM_SVC_TLS		(1U << 4)	/* TLS port: policy writes reply as reject */

/*
 * GCRA parameters: one __u64 TAT per key. emission_ns = period / rate,
 * tau_ns = (burst - 1) * emission_ns. emission_ns == 0 disables the limit.
 */
struct adm_gcra {
	__u64 emission_ns;
	__u64 tau_ns;
};

/* adm_services[service id]: policy, written whole by admd on (re)load. */
struct adm_service {
	__u32 flags;
	__u8 fp_mode;		/* enum adm_fp_mode */
	__u8 ipv4_prefix;	/* 1..32 */
	__u8 ipv6_prefix;	/* 1..128 */
	__u8 priority;		/* enum adm_priority */
	__u8 on_rate;		/* enum adm_action, SYN over rate */
	__u8 on_conn_full;	/* enum adm_action, concurrency gates */
	__u8 unv_ipv4_prefix;	/* grouping of unverified sources, default 24 */
	__u8 unv_ipv6_prefix;	/* default 48 */
	__u32 fp_conn_limit;	/* live connections per fingerprint, 0 = off */
	__u8 on_unverified;	/* enum adm_action, SYN refused by unv_prefix / new_sources */
	__u8 on_breaker;	/* enum adm_action, breaker open or degraded; 0 = REJECT */
	__u8 pad[2];
	struct adm_gcra syn;	/* new connections per fingerprint */
	struct adm_gcra pkt;	/* packets per fingerprint */
	struct adm_gcra unv_prefix;	/* SYNs per unverified prefix */
	struct adm_gcra new_sources;	/* SYNs from all unverified sources */
	__u64 idle_timeout_ns;	/* reap connections idle this long, 0 = off */
	__u64 max_lifetime_ns;	/* reap connections older than this, 0 = off */
};

/*
 * adm_conc[service id]: live connections and this node's limit. The map is
 * BPF_F_MMAPABLE: sockops changes `live` with atomic adds, admd stores
 * `limit` with a single aligned store, so neither overwrites the other.
 * limit == 0 means unlimited; ADM_CONC_REFUSE_ALL refuses every new
 * connection (cluster sync, on_store_failure = closed).
 */
#define ADM_CONC_REFUSE_ALL	(~0ULL)
struct adm_conc {
	__u64 live;
	__u64 limit;
};

/*
 * adm_pending[service id]: handshakes the data plane admitted that the
 * socket layer has not seen established yet, so the global gate counts
 * live + pending and a burst of simultaneous SYNs cannot overshoot
 * conn_limit. Two buckets of ADM_PENDING_NS each, one word per bucket:
 * epoch (CLOCK_MONOTONIC / ADM_PENDING_NS) << ADM_PENDING_COUNT_BITS |
 * count, changed by compare-and-swap. XDP adds to the current bucket
 * when it admits a SYN of a service with a conn_limit; sockops takes one
 * back at establishment; a bucket older than the previous epoch counts
 * for nothing, so a lost handshake or a retransmitted SYN holds a slot
 * for at most 2 x ADM_PENDING_NS: 1 s, the first SYN-ACK retransmit
 * (TCP_TIMEOUT_INIT). A handshake slower than ADM_PENDING_NS may stop
 * counting before it is established (at worst one such per slot).
 */
#ifndef ADM_PENDING_NS
#define ADM_PENDING_NS		500000000ULL
#endif
#define ADM_PENDING_COUNT_BITS	24
#define ADM_PENDING_COUNT_MASK	((1ULL << ADM_PENDING_COUNT_BITS) - 1)
struct adm_pending {
	__u64 bucket[2];	/* [epoch & 1] */
};

static inline __u64 adm_pending_epoch(__u64 now_ns)
{
	return now_ns / ADM_PENDING_NS;
}

/*
 * Handshakes pending in the current and the previous epoch (the data
 * plane's and admd's reading). Always inlined: clang otherwise leaves it
 * a BPF-to-BPF call on the admitted SYN's path.
 */
static inline __attribute__((always_inline)) __u64
adm_pending_count(const struct adm_pending *p, __u64 epoch)
{
	__u64 n = 0, w;
	int i;

	for (i = 0; i < 2; i++) {
		w = *(volatile const __u64 *)&p->bucket[i];
		if ((w >> ADM_PENDING_COUNT_BITS) == epoch ||
		    (w >> ADM_PENDING_COUNT_BITS) + 1 == epoch)
			n += w & ADM_PENDING_COUNT_MASK;
	}
	return n;
}

/* adm_state[service id]: run-time state, written by admd and admctl. */
struct adm_state {
	__u8 breaker;		/* enum adm_breaker */
	__u8 degrade;		/* 0..ADM_DEGRADE_MAX, applied to every service */
	__u8 shadow;		/* 1: count would_* verdicts, pass packets */
	__u8 pad;
	__u32 half_open_permille;	/* share admitted while HALF_OPEN */
};

/*
 * A source fingerprint. Addresses are IPv6 or IPv4-mapped IPv6
 * (::ffff:a.b.c.d), already masked to the service's prefix. `sig` is the
 * SYN signature hash in ADM_FP_SYN mode, else 0.
 */
struct adm_fp_key {
	__u32 service;
	__u32 sig;
	__u32 addr[4];		/* network byte order words */
};

/*
 * adm_src[(service, fingerprint, sig 0)]: everything a SYN of a source that
 * completed a handshake needs, in one entry, so its SYN is one lookup.
 * Created only by sockops at an established handshake (a spoofed source
 * can never create or evict one); the data plane charges syn_tat and
 * syn_hits with atomics, sockops moves live.
 */
struct adm_src {
	__u64 syn_tat;		/* GCRA TAT of new_conn_rate */
	__u64 syn_hits;		/* SYNs charged, not yet read, and the reader's window (ADM_HITS_*) */
	__u32 live;		/* live connections (sockops: +1 established, -1 close) */
	__u32 verified_s;	/* CLOCK_MONOTONIC second of the last completed handshake */
};

/*
 * adm_src_filter: ARRAY[ADM_SRC_FILTER_WORDS] of __u64, one bit per hash of
 * a (service, address) key; a clear bit means "no adm_src entry", so the
 * random-source flood path skips the hash lookup (a cache miss per SYN).
 * A set bit only means "look". XDP reads only this map.
 *
 * adm_src_filter_next: the same layout, rebuilt by admd. Every writer
 * sets a key's bit in next, then in adm_src_filter, then creates the
 * adm_src entry (sockops at each established handshake, admd's recount).
 * admd forgets deleted keys periodically (userspace/lib/srcfilter.c):
 * clears next, waits until every BPF program running meanwhile has
 * returned, sets the bits of every adm_src key in next, then stores next
 * into adm_src_filter word by word with a compare-and-swap (a concurrent
 * set makes it retry), derives adm_src_summary from it the same way,
 * waits for running programs again and ORs next into the filter and the
 * filter's groups into the summary: a writer whose or found its bit
 * already set (and was then overwritten by a swap) is repaired there, so
 * a key established during a rebuild may read clear only until that
 * rebuild ends; a key with an entry otherwise never reads clear. The bits
 * set are those of the entries present at the last rebuild plus those
 * verified since, so false positives stay near 1 - e^(-n / 2^22) for n
 * entries (6% at 262144) instead of growing with every key ever verified.
 * Not keyed: an adversary who picks spoofed sources whose bits are set
 * buys the lookup every SYN paid before the filter, nothing else.
 */
#define ADM_SRC_FILTER_WORDS	65536	/* 2^22 bits, 512 KiB */

static inline __u32 adm_src_filter_bit(const struct adm_fp_key *k)
{
	__u32 h = k->service * 0x9e3779b1U;
	int i;

	for (i = 0; i < 4; i++) {
		h ^= k->addr[i];
		h *= 0x85ebca6bU;
		h ^= h >> 15;
	}
	return h >> 10;		/* 22 bits */
}

/*
 * adm_src_summary: ARRAY[ADM_SRC_SUMMARY_WORDS] of __u64, one bit per 4
 * adm_src_filter bits (bit adm_src_filter_bit(k) >> ADM_SRC_SUMMARY_SHIFT),
 * set with them (sockops, userspace/lib/srcfilter.c; admd's loader ORs in
 * the groups of a filter pinned before the summary existed, and replaces
 * a summary pinned at another size) and derived again from the filter by
 * admd's rebuild. A clear bit means the group's filter bits are all
 * clear. The 512 KiB filter, read at one random word per spoofed source,
 * costs a cache miss per SYN: the largest cost of the flood path. The
 * summary (128 KiB, in the core's L2) is read first. Set bits:
 * 1 - e^(-n / 2^20) of them with n keys present (1% at 10,000, 22% at
 * 262144), so a flood meets the filter itself only that often. (At
 * 32 KiB, one bit per 16, it was 63% at 262144: with adm_src full the
 * flood path cost 6-9x an empty drop again, against 3.3-4.4x now.)
 */
#define ADM_SRC_SUMMARY_SHIFT	2
#define ADM_SRC_SUMMARY_WORDS	(ADM_SRC_FILTER_WORDS >> ADM_SRC_SUMMARY_SHIFT)	/* 2^20 bits, 128 KiB */

/*
 * adm_rate[(service, fingerprint, sig 0)]: the SYN rate of a source that
 * never completed a handshake, for services without verify (they give
 * every source a bucket on its first SYN). Never consulted for a source
 * that has an adm_src entry.
 */
struct adm_src_tat {
	__u64 tat;
	__u64 syn_hits;		/* as adm_src's (same offset: one reader for both) */
};

/*
 * syn_hits of adm_src and adm_rate entries, for the cluster sync. The data
 * plane adds 1 per SYN charged (services with ADM_SVC_HITS); the reader,
 * admd's adm_hits program (bpf/adm_hits.bpf.c, once per round), takes the
 * SYNs added since its last visit with a compare-and-swap and keeps its
 * per-source window state in the high half, so a round costs a visit of
 * each entry in the kernel and a record per source to report:
 *   bits  0..31  SYNs not yet taken by the reader
 *   bits 32..54  SYNs taken in the current window, while under `min`
 *   bit  55      the source reached `min` in the current window
 *   bits 56..63  the window's tag (1..255; 0: none yet)
 * sockops moves the whole word with a bucket into adm_src, so a source's
 * count stays continuous. 2^32 SYNs of one source between two reads carry
 * into the window count (lost to the report, nothing else).
 */
#define ADM_HITS_NEW_MASK	0xffffffffULL
#define ADM_HITS_WCOUNT_MAX	0x7fffffU	/* bits 32..54 */
#define ADM_HITS_REACHED	(1U << 23)	/* of the high half */
#define ADM_HITS_TAG_SHIFT	24		/* of the high half */

/* adm_hits' per-service report rule (srchits.h), written by admd. */
struct adm_hits_rule {
	__u32 tag;		/* window id % 255 + 1; 0: report nothing (window_ms 0) */
	__u32 min;		/* at most ADM_HITS_WCOUNT_MAX */
};

#define ADM_HITS_BASELINE	(1U << 0)	/* take the SYNs, report nothing, forget windows */
#define ADM_HITS_ALL		(1U << 1)	/* report every SYN taken (no rule) */

/* What adm_hits writes per source to report; ADM_HITS_OUT of them a run. */
#define ADM_HITS_OUT		65536
struct adm_hits_rec {
	struct adm_fp_key key;
	__u64 delta;
};

/*
 * Cluster global block (written by admd's Redis sync, read by XDP): key
 * struct adm_fp_key with sig 0 and the address masked to the service's
 * fingerprint prefix; until_ns in CLOCK_MONOTONIC ns.
 */
struct adm_gblock {
	__u64 until_ns;
};

/*
 * adm_rstbudget: PERCPU_ARRAY[1]. At most ADM_RST_PER_SEC REJECT replies
 * per CPU per second leave by XDP_TX; past that a REJECT becomes a DROP
 * (counted as such in adm_stats and here), so adm never reflects a flood.
 */
struct adm_rstbudget {
	__u64 second;
	__u64 sent;		/* in `second` */
	__u64 suppressed;	/* REJECTs turned into DROPs, since load */
	__u64 limit;		/* per CPU per second, 0 = ADM_RST_PER_SEC (userspace may set it) */
};

/* adm_allow / adm_deny: LPM key; prefixlen counts bits of the mapped v6 address. */
struct adm_lpm_key {
	__u32 prefixlen;
	__u32 addr[4];
};

/*
 * adm_global[0] (BPF_F_MMAPABLE): one word per CIDR list telling the data
 * plane whether the list may hold entries, so an empty list costs no trie
 * lookup. Bit 0: may be non-empty. Bits 1..63: count of adds.
 * Protocol (userspace/lib/cidr.c): an add inserts the entry, then sets bit
 * 0 and bumps the count with one compare-and-swap. Bit 0 is cleared only by
 * a compare-and-swap from the exact word read before a walk found the list
 * empty, so an add that lands meanwhile always keeps the bit set.
 */
#define ADM_CIDR_MAYBE		1ULL
#define ADM_CIDR_ADD		2ULL
struct adm_global {
	__u64 allow_word;
	__u64 deny_word;
	__u64 gblock_word;	/* bit 0: adm_global_block may be non-empty (set by its writer first) */
	/*
	 * Key of the hash that spreads unverified prefixes over adm_stranger:
	 * drawn by the data plane from bpf_get_prandom_u32() on first use
	 * (compare-and-swap from 0), never written by userspace, so an
	 * adversary who reads the code cannot aim prefixes at one slot.
	 */
	__u64 hash_seed;
};

/*
 * adm_allow / adm_deny value: expiry in CLOCK_MONOTONIC ns
 * (bpf_ktime_get_ns), 0 = never, and the entry's own prefix length (the
 * key's), so the data plane can step past an expired match to the next
 * shorter covering entry: a /32 whose TTL ran out must not hide the /16
 * it was added inside.
 */
struct adm_cidr_val {
	__u64 expires_ns;
	__u32 prefixlen;	/* == the key's prefixlen; written by userspace/lib/cidr.c */
	__u32 pad;
};

/* Expired entries the data plane steps past before giving up (cidr sweep deletes them). */
#ifndef ADM_CIDR_FALLBACK
#define ADM_CIDR_FALLBACK	4
#endif

/* adm_stats: PERCPU_ARRAY, one entry per (service, verdict, reason). */
struct adm_stat {
	__u64 packets;
	__u64 bytes;
};

#define ADM_STATS_ENTRIES	(ADM_MAX_SERVICES * ADM_V__MAX * ADM_R__MAX)

static inline __u32 adm_stat_index(__u32 service, __u32 verdict, __u32 reason)
{
	return (service * ADM_V__MAX + verdict) * ADM_R__MAX + reason;
}

/*
 * adm_meta[service id]: what userspace needs to present a service (admd
 * writes it with the policy; admctl reads it). BPF never reads it.
 */
#define ADM_META_NAME_LEN	32
struct adm_meta {
	char name[ADM_META_NAME_LEN];	/* NUL-terminated, "" = unused id */
	__u64 generation;		/* bumped on every policy write */
	/* socket table reconciliation, cumulative since the maps were created */
	__u64 corrections;		/* |live counter adjustments| (should stay 0) */
	__u64 src_corrections;		/* |per-source counter adjustments| */
	__u64 untracked;		/* live sockets the socket layer never saw (last pass) */
	__u64 reaped_idle;
	__u64 reaped_lifetime;
	__u64 reconcile_ns;		/* CLOCK_MONOTONIC of the last pass */
};

/*
 * adm_sk: per-socket storage of a connection the socket layer counted.
 * `counted` goes 0 -> 1 once at establishment and 1 -> 0 once at close
 * (compare-and-swap), so a slot is released exactly once.
 */
struct adm_sk {
	struct adm_fp_key fp;	/* service id and source fingerprint (sig 0) */
	__u64 established_ns;	/* bpf_ktime_get_ns() at establishment */
	__u32 counted;
	__u32 pad;
};

/*
 * adm_recount[service id]: one pass of the tcp iterator over the kernel's
 * socket table (admd zeroes it, runs the iterator, reads it).
 */
struct adm_recount {
	__u64 tracked;		/* live sockets the socket layer counted */
	__u64 untracked;	/* live sockets on the service's ports it never saw */
	__u64 reaped_idle;	/* destroyed by idle_timeout in this pass */
	__u64 reaped_lifetime;	/* destroyed by max_lifetime in this pass */
};

/* adm_evsample value: first decision per source per second is emitted. */
struct adm_evsample {
	__u64 second;		/* bpf_ktime_get_ns() / 1e9 of the last event */
	__u64 count;		/* decisions since that event, not yet reported */
};

/*
 * adm_evbudget: PERCPU_ARRAY[1]. At most ADM_EVENTS_PER_SEC events per CPU
 * per second reach the ring buffer, whatever the number of sources. Once a
 * CPU's budget for the second is spent, its further refusals skip sampling
 * altogether (no per-source state is touched: a random-source flood costs
 * no LRU inserts) and are counted in `suppressed`. Statistics stay exact.
 */
#ifndef ADM_EVENTS_PER_SEC
#define ADM_EVENTS_PER_SEC	1000
#endif
struct adm_evbudget {
	__u64 second;
	__u64 emitted;		/* in `second` */
	__u64 suppressed;	/* refusals not sampled for lack of budget, since load */
	__u64 lost;		/* total ring buffer reservation failures */
};

/* Event kinds in adm_events. */
enum adm_event_kind {
	ADM_EV_DECISION = 1,	/* XDP verdict (sampled) */
	ADM_EV_REAPED,		/* connection destroyed by idle/lifetime policy */
};

/* adm_events ring buffer record. */
struct adm_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u32 kind;		/* enum adm_event_kind */
	__u32 service;
	__u8 verdict;
	__u8 reason;
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 tcp_flags;
	__u16 sport;		/* host order */
	__u16 dport;
	__u32 count;		/* decisions this record stands for (>= 1) */
	__u32 addr[4];		/* source, IPv4-mapped for IPv4 */
};

/*
 * Request latency measured by sockops (owner: the breaker module): per
 * connection, from the first payload byte in after the last response to
 * the first payload byte out. adm_lat[service id] is per CPU and only
 * grows; admd takes differences between reads.
 *
 * Histogram buckets in units of 1024 ns ("us"): 0..3 one unit each, then 4
 * buckets per power of two (a bucket is at most 25% of its value wide),
 * up to ADM_LAT_BUCKETS - 1, which holds everything above.
 */
#define ADM_LAT_SHIFT		10	/* ns -> bucket units */
#define ADM_LAT_SUB		4	/* buckets per power of two */
#define ADM_LAT_BUCKETS		128
struct adm_lat {
	__u64 count;		/* answered requests */
	__u64 sum_ns;
	__u64 unanswered;	/* connections closed with a request pending */
	__u64 hist[ADM_LAT_BUCKETS];
};

/* adm_sk_lat: a measured connection's service and pending request. */
struct adm_sk_lat {
	__u32 service;
	__u32 pad;
	__u64 req_ns;		/* bpf_ktime_get_ns() of the pending request, 0 = none */
};

/* Index of the highest set bit of v (v != 0), without a loop. */
static inline __u32 adm_lat_msb(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

static inline __u32 adm_lat_bucket(__u64 ns)
{
	__u64 u = ns >> ADM_LAT_SHIFT;
	__u32 msb, idx;

	if (u < ADM_LAT_SUB)
		return (__u32)u;
	msb = adm_lat_msb(u);
	idx = (msb - 1) * ADM_LAT_SUB + (__u32)((u >> (msb - 2)) & (ADM_LAT_SUB - 1));
	return idx < ADM_LAT_BUCKETS ? idx : ADM_LAT_BUCKETS - 1;
}

/* Upper bound (ns, exclusive) of bucket idx < ADM_LAT_BUCKETS - 1. */
static inline __u64 adm_lat_bucket_end(__u32 idx)
{
	__u32 msb, sub;

	if (idx < ADM_LAT_SUB)
		return (__u64)(idx + 1) << ADM_LAT_SHIFT;
	msb = idx / ADM_LAT_SUB + 1;
	sub = idx % ADM_LAT_SUB;
	return ((__u64)(ADM_LAT_SUB + sub + 1) << (msb - 2)) << ADM_LAT_SHIFT;
}

/*
 * The polite refusal (action ADM_A_REPLY). XDP passes the refused SYN and
 * records its flow in adm_reply; the sk_lookup program (adm_lookup) hands
 * that SYN to admd's responder, a listening socket in adm_responder, which
 * answers HTTP 503 with Retry-After and closes.
 *
 * adm_reply key: the SYN's flow as XDP parsed it (addresses IPv6 or
 * IPv4-mapped, network order words; ports host order).
 */
struct adm_flow_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
};

struct adm_reply_flow {
	__u64 ts_ns;		/* adm_now() when XDP refused the SYN */
	__u32 service;
	__u32 reason;		/* enum adm_reason */
};

/* adm_responder (SOCKMAP) keys: the responder's listening socket per family. */
#define ADM_RESPONDER_V4	0
#define ADM_RESPONDER_V6	1
#define ADM_RESPONDER_SLOTS	2

/*
 * SO_MARK of the responder's sockets (inherited by the connections it
 * accepts): sockops and the socket table recount leave them alone, so a
 * refused client never holds a slot of the service it was refused from.
 */
#ifndef ADM_REPLY_MARK
#define ADM_REPLY_MARK		0x61646d52	/* "admR" */
#endif

/* A steered SYN older than this (XDP to sk_lookup) is not steered. */
#ifndef ADM_REPLY_FLOW_NS
#define ADM_REPLY_FLOW_NS	1000000000ULL
#endif

/*
 * adm_reply_ctl[0] (BPF_F_MMAPABLE): admd stores `alive_until_ns` (every
 * heartbeat, CLOCK_MONOTONIC) and `full` (its open responder connections
 * reached reply_max) with aligned stores; the programs set `in_use` and
 * add to the counters. XDP turns a REPLY into a REJECT while the responder is not
 * alive (admd stopped or killed: no heartbeat) or full.
 */
struct adm_reply_ctl {
	__u64 alive_until_ns;	/* admd: responder serving until then */
	__u32 full;		/* admd: 1 = at reply_max */
	__u32 in_use;		/* xdp: 1 once a flow was recorded; before, adm_lookup looks nothing up */
	__u64 fallback_down;	/* xdp: REPLY sent as REJECT, responder not alive */
	__u64 fallback_full;	/* xdp: REPLY sent as REJECT, responder full */
	__u64 steered;		/* adm_lookup: SYNs handed to the responder */
	__u64 missed;		/* adm_lookup: recorded SYN, no responder socket: refused (RST) */
};

#endif /* ADM_ADM_H */
