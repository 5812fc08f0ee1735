// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * adm_xdp driven through BPF_PROG_TEST_RUN over a fixture table, in the
 * manner of Katran's KatranTestFixtures.h: each fixture is a description,
 * a service (policy, run-time state, concurrency, allow/deny lists,
 * verified sources, per-source connection counts) and a list of steps.
 * A step is a packet (built by pkt.c from a pkt_spec), the XDP action it
 * must get, the adm_stats entry that must grow by exactly that packet
 * (and no other entry), and optionally ring buffer records or an output
 * check. A frame that is not sent back (XDP_PASS/DROP) must come out
 * unchanged; a REJECT must come out as the RST|ACK the test builds on
 * its own, byte for byte.
 *
 * TAP: one line per fixture, after "adm_xdp loads" and the builder's own
 * tests. Without the privilege to load BPF the whole program is one SKIP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf.h>

#include "adm/adm.h"
#include "cidr.h"
#include "harness.h"
#include "pkt.h"
#include "util.h"

/*
 * The macros below give defaults that a fixture overrides by naming a
 * field again; C11 6.7.9p19: the last initializer for a field wins.
 */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define SVC_ID		1
#define SVC_PORT	80	/* the protected TCP service */
#define UDP_PORT	53	/* the protected UDP service (svc_proto UDP) */
#define OPEN_PORT	8080	/* no service: the unprotected path */
#define SYN_SEQ		0x12345678U
#define PEER_SEQ	0x0badcafeU
#define RST_TTL		64	/* TTL / hop limit of a REJECT, per the design */
#define MINUTE_NS	(60ULL * H_NS_PER_SEC)
#define EXPIRY_SLACK_NS	(3600ULL * H_NS_PER_SEC)
/* The data plane's clock has tick resolution (bpf/lib/clock.h): an entry
 * may apply up to one tick after it expired. "Expired" here is a second
 * ago, far beyond any tick. */
#define EXPIRED_AGO_NS	(1ULL * H_NS_PER_SEC)
#define FX_MAX_STEPS	8
#define FX_MAX_CIDRS	3
#define FX_MAX_SRCS	3

/* GCRA parameters of `count` events per period with a burst (adm_gcra_tau). */
#define RATE(count, period_ns, burst) {					\
	.emission_ns = (period_ns) / (count),				\
	.tau_ns = ((burst) - 1ULL) * ((period_ns) / (count)),		\
}
#define PER_MIN(n, burst)	RATE(n, MINUTE_NS, burst)
#define PER_SEC(n, burst)	RATE(n, H_NS_PER_SEC, burst)

/*
 * A service that admits everything: per-host fingerprints, normal
 * priority, no limits; refusals by rate drop, by concurrency defer.
 */
#define SERVICE(...) {							\
	.flags = ADM_SVC_ACTIVE, .fp_mode = ADM_FP_IP,			\
	.ipv4_prefix = 32, .ipv6_prefix = 128,				\
	.priority = ADM_PRIO_NORMAL,					\
	.on_rate = ADM_A_DROP, .on_conn_full = ADM_A_DEFER,		\
	.unv_ipv4_prefix = 24, .unv_ipv6_prefix = 48,			\
	__VA_ARGS__							\
}

/* Packets. Source and destination default to PKT_DEF_SRC4/DST4 (SRC6/DST6). */
#define SYN4(...) { .family = 4, .tcp_flags = PKT_TCP_SYN, .seq = SYN_SEQ, \
		    .dport = SVC_PORT, __VA_ARGS__ }
#define SYN6(...) SYN4(.family = 6, __VA_ARGS__)
#define ACK4(...) { .family = 4, .tcp_flags = PKT_TCP_ACK, .seq = SYN_SEQ + 1, \
		    .ack = PEER_SEQ, .dport = SVC_PORT, .payload_len = 100, \
		    __VA_ARGS__ }
#define ACK6(...) ACK4(.family = 6, __VA_ARGS__)
#define UDP4(...) { .family = 4, .proto = IPPROTO_UDP, .dport = UDP_PORT, \
		    .payload_len = 32, __VA_ARGS__ }
#define UDP6(...) UDP4(.family = 6, __VA_ARGS__)

/* Two SYN option layouts, as Linux and as Windows send them. */
#define LINUX_OPTS .opts = { PKT_OPT_MSS, PKT_OPT_SACK_PERM, PKT_OPT_TS,	\
			     PKT_OPT_NOP, PKT_OPT_WSCALE },		\
		   .mss = 1460, .wscale = 7, .tsval = 0x01020304
#define WINDOWS_OPTS .opts = { PKT_OPT_MSS, PKT_OPT_NOP, PKT_OPT_WSCALE,	\
			       PKT_OPT_NOP, PKT_OPT_NOP, PKT_OPT_SACK_PERM }, \
		     .mss = 1460, .wscale = 8, .window = 65535

#define TAG(tpid_, vid_)	{ .tpid = (tpid_), .vid = (vid_) }
#define EXT(type_, ...)		{ .type = (type_), __VA_ARGS__ }

/* Expected adm_stats delta of one packet. */
struct fx_stat {
	bool counted;		/* false: no entry may change */
	__u32 svc, verdict, reason;
};
#define COUNTS(v, r)	{ .counted = true, .svc = SVC_ID, .verdict = ADM_V_##v, \
			  .reason = ADM_R_##r }
#define COUNTS_MALFORMED { .counted = true, .svc = 0, .verdict = ADM_V_DROP, \
			   .reason = ADM_R_MALFORMED }
#define COUNTS_NOTHING	{ .counted = false }

/* Expected ring buffer records after a step (all its repetitions). */
struct fx_events {
	bool check;
	int records;		/* how many */
	__u32 count;		/* the first record's count */
	__u32 verdict, reason;	/* the first record's */
};
#define EVENTS(n, cnt, v, r) { .check = true, .records = (n), .count = (cnt), \
			       .verdict = ADM_V_##v, .reason = ADM_R_##r }
#define NO_EVENTS	{ .check = true, .records = 0 }

struct fx_step;
typedef bool (*fx_check_fn)(struct h_ctx *h, const struct fx_step *st,
			    const __u8 *in, const struct pkt_layout *lo,
			    const struct h_result *r, const char *where);

struct fx_step {
	struct pkt_spec pkt;
	__u32 action;		/* expected XDP action; 0 ends the step list */
	struct fx_stat stat;
	int repeat;		/* send it this many times (0 = once), same expectations */
	int sleep_ms;		/* before sending */
	bool new_second;	/* before sending, wait for a new monotonic second */
	const struct adm_state *state;	/* written before sending, if set */
	struct fx_events events;
	fx_check_fn check;	/* output / map check; default: output == input unless XDP_TX */
};

/*
 * Steps. Each macro spells out its initializer rather than forwarding to
 * STEP(): an expanded packet spec carries unparenthesized commas and
 * cannot be passed on as one macro argument.
 */
#define STEP(p, act, st, ...)	{ .pkt = p, .action = (act), .stat = st, __VA_ARGS__ }
#define ADMITTED(p, ...)	{ .pkt = p, .action = XDP_PASS, .stat = COUNTS(PASS, NONE), \
				  __VA_ARGS__ }
#define FLOWS(p, ...)		{ .pkt = p, .action = XDP_PASS, .stat = COUNTS(PASS, FLOW), \
				  __VA_ARGS__ }
#define UNJUDGED(p, ...)	{ .pkt = p, .action = XDP_PASS, .stat = COUNTS_NOTHING, \
				  __VA_ARGS__ }
#define MALFORMED(p, ...)	{ .pkt = p, .action = XDP_DROP, .stat = COUNTS_MALFORMED, \
				  __VA_ARGS__ }
#define DROPPED(p, r, ...)	{ .pkt = p, .action = XDP_DROP, .stat = COUNTS(DROP, r), \
				  __VA_ARGS__ }
#define DEFERRED(p, r, ...)	{ .pkt = p, .action = XDP_DROP, .stat = COUNTS(DEFER, r), \
				  __VA_ARGS__ }
#define REJECTED(p, r, ...)	{ .pkt = p, .action = XDP_TX, .stat = COUNTS(REJECT, r), \
				  .check = check_rst, __VA_ARGS__ }
#define SHADOWED(p, v, r, ...)	{ .pkt = p, .action = XDP_PASS, .stat = COUNTS(v, r), \
				  __VA_ARGS__ }

enum fx_expiry { NEVER = 0, EXPIRED, EXPIRES_LATER };
struct fx_cidr {
	const char *cidr;
	enum fx_expiry expiry;
};
#define CIDR(c, ...)	{ .cidr = (c), __VA_ARGS__ }
struct fx_src {
	const char *addr;
	__u64 live;
};

struct fixture {
	const char *desc;
	struct adm_service svc;		/* service SVC_ID */
	__u8 svc_proto;			/* 0: TCP on SVC_PORT; IPPROTO_UDP: UDP on UDP_PORT */
	struct adm_state state;		/* adm_state[SVC_ID] */
	struct adm_conc conc;		/* adm_conc[SVC_ID] */
	struct fx_cidr allow[FX_MAX_CIDRS], deny[FX_MAX_CIDRS];
	const char *verified[FX_MAX_SRCS];	/* sources with a completed handshake */
	struct fx_src src_conc[FX_MAX_SRCS];	/* live connections per source */
	struct fx_cidr gblock[FX_MAX_SRCS];	/* adm_global_block entries (address, expiry) */
	int gblock_unmarked;			/* entries without adm_global's gblock bit */
	struct fx_step steps[FX_MAX_STEPS];
};

static bool check_rst(struct h_ctx *h, const struct fx_step *st,
		      const __u8 *in, const struct pkt_layout *lo,
		      const struct h_result *r, const char *where);
static bool check_no_source_state(struct h_ctx *h, const struct fx_step *st,
				  const __u8 *in, const struct pkt_layout *lo,
				  const struct h_result *r, const char *where);

static const struct adm_state ENFORCING = { .shadow = 0 };

static const struct fixture fixtures[] = {
	/* ---- Parser: every path that reaches a verdict, and those that do not. */
	{ "parse: IPv4 SYN, no options: judged, admitted",
	  .svc = SERVICE(), .steps = { ADMITTED(SYN4()) } },
	{ "parse: IPv4 SYN with MSS, SACK-permitted, timestamps, NOP, wscale",
	  .svc = SERVICE(), .steps = { ADMITTED(SYN4(LINUX_OPTS)) } },
	{ "parse: IPv4 SYN with options ending in EOL padding",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN4(.opts = { PKT_OPT_MSS, PKT_OPT_EOL })) } },
	{ "parse: IPv6 SYN, no extension headers",
	  .svc = SERVICE(), .steps = { ADMITTED(SYN6(LINUX_OPTS)) } },
	{ "parse: one 802.1Q tag",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN4(.nvlans = 1, .vlan = { TAG(PKT_TPID_8021Q, 100) })) } },
	{ "parse: one 802.1ad tag",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN4(.nvlans = 1, .vlan = { TAG(PKT_TPID_8021AD, 100) })) } },
	{ "parse: 802.1ad outer + 802.1Q inner tag (QinQ)",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN4(.nvlans = 2, .vlan = { TAG(PKT_TPID_8021AD, 100),
							 TAG(PKT_TPID_8021Q, 200) })) } },
	{ "parse: two 802.1Q tags",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN4(.nvlans = 2, .vlan = { TAG(PKT_TPID_8021Q, 100),
							 TAG(PKT_TPID_8021Q, 200) })) } },
	{ "parse: IPv6 behind two tags",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.nvlans = 2, .vlan = { TAG(PKT_TPID_8021AD, 100),
							 TAG(PKT_TPID_8021Q, 200) })) } },
	{ "parse: a third VLAN tag hides the IP header: dropped as malformed",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN4(.nvlans = 3, .vlan = { TAG(PKT_TPID_8021AD, 1),
							 TAG(PKT_TPID_8021Q, 2),
							 TAG(PKT_TPID_8021Q, 3) })) } },
	{ "parse: IPv4 SYN zero-padded to the 60-byte Ethernet minimum",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)),
	  .steps = { ADMITTED(SYN4(.pad_to = 60)), DROPPED(SYN4(.pad_to = 60), RATE_SOURCE) } },
	{ "parse: IPv4 with 4 bytes of options (Router Alert)",
	  .svc = SERVICE(), .steps = { ADMITTED(SYN4(.ip_optlen = 4)) } },
	{ "parse: IPv4 with 40 bytes of options (IHL 15)",
	  .svc = SERVICE(), .steps = { ADMITTED(SYN4(.ip_optlen = 40, LINUX_OPTS)) } },
	{ "parse: IPv6 hop-by-hop options header",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.next_count = 1, .next = { EXT(IPPROTO_HOPOPTS) })) } },
	{ "parse: IPv6 routing header",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.next_count = 1, .next = { EXT(IPPROTO_ROUTING, .len = 24) })) } },
	{ "parse: IPv6 destination options header (16 bytes)",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.next_count = 1, .next = { EXT(IPPROTO_DSTOPTS, .len = 16) })) } },
	{ "parse: IPv6 first fragment (offset 0, M set) is judged",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.next_count = 1,
				   .next = { EXT(IPPROTO_FRAGMENT, .frag_more = true) })) } },
	{ "parse: IPv6 later fragment (offset 185) passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN6(.next_count = 1,
				   .next = { EXT(IPPROTO_FRAGMENT, .frag_off = 185,
						 .frag_more = true) })) } },
	{ "parse: IPv6 last fragment (offset 185, M clear) passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN6(.next_count = 1,
				   .next = { EXT(IPPROTO_FRAGMENT, .frag_off = 185) })) } },
	{ "parse: IPv6 authentication header",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.next_count = 1, .next = { EXT(IPPROTO_AH) })) } },
	{ "parse: IPv6 chain hop-by-hop, dest, routing, fragment, AH, dest",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(LINUX_OPTS, .next_count = 6,
				   .next = { EXT(IPPROTO_HOPOPTS), EXT(IPPROTO_DSTOPTS),
					     EXT(IPPROTO_ROUTING),
					     EXT(IPPROTO_FRAGMENT, .frag_more = true),
					     EXT(IPPROTO_AH), EXT(IPPROTO_DSTOPTS, .len = 16) })) } },
	{ "parse: IPv6 chain of 8 extension headers (the walk's limit) is judged",
	  .svc = SERVICE(),
	  .steps = { ADMITTED(SYN6(.next_count = 8,
				   .next = { EXT(IPPROTO_HOPOPTS), EXT(IPPROTO_DSTOPTS),
					     EXT(IPPROTO_DSTOPTS), EXT(IPPROTO_DSTOPTS),
					     EXT(IPPROTO_ROUTING), EXT(IPPROTO_DSTOPTS),
					     EXT(IPPROTO_DSTOPTS), EXT(IPPROTO_DSTOPTS) })) } },
	{ "parse: IPv6 chain of 9 extension headers hides TCP: dropped as malformed",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN6(.next_count = 9,
				    .next = { EXT(IPPROTO_HOPOPTS), EXT(IPPROTO_DSTOPTS),
					      EXT(IPPROTO_DSTOPTS), EXT(IPPROTO_DSTOPTS),
					      EXT(IPPROTO_ROUTING), EXT(IPPROTO_DSTOPTS),
					      EXT(IPPROTO_DSTOPTS), EXT(IPPROTO_DSTOPTS),
					      EXT(IPPROTO_DSTOPTS) })) } },
	{ "parse: IPv4 first fragment (MF, offset 0) is judged",
	  .svc = SERVICE(), .steps = { ADMITTED(SYN4(.more_frags = true, .ip_id = 7)) } },
	{ "parse: IPv4 later fragment (MF, offset 185) passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN4(.more_frags = true, .frag_off = 185, .ip_id = 7)) } },
	{ "parse: IPv4 last fragment (offset 185, MF clear) passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN4(.frag_off = 185, .ip_id = 7)) } },
	{ "parse: ICMP echo passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN4(.proto = IPPROTO_ICMP, .payload_len = 56)) } },
	{ "parse: ICMPv6 echo passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN6(.proto = IPPROTO_ICMPV6, .payload_len = 56)) } },
	{ "parse: IPv6 ESP (no ports) passes unjudged",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN6(.proto = IPPROTO_ESP, .payload_len = 64)) } },
	{ "parse: ARP passes unjudged",
	  .svc = SERVICE(), .steps = { UNJUDGED(SYN4(.ethertype = ETH_P_ARP)) } },

	/* ---- Malformed frames: dropped, counted under service 0. */
	{ "malformed: truncated Ethernet header (10 bytes)",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.truncate = 10)) } },
	{ "malformed: Ethernet header only, EtherType IPv4",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.truncate = 14)) } },
	{ "malformed: truncated VLAN tag",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN4(.nvlans = 1, .vlan = { TAG(PKT_TPID_8021Q, 5) },
				    .truncate = 16)) } },
	{ "malformed: truncated IPv4 header",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.truncate = 14 + 12)) } },
	{ "malformed: truncated IPv4 options",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.ip_optlen = 40, .truncate = 14 + 40)) } },
	{ "malformed: truncated IPv6 header",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN6(.truncate = 14 + 30)) } },
	{ "malformed: truncated IPv6 extension header",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN6(.next_count = 2,
				    .next = { EXT(IPPROTO_HOPOPTS), EXT(IPPROTO_DSTOPTS) },
				    .truncate = 14 + 40 + 8 + 4)) } },
	{ "malformed: IPv6 extension header longer than the payload",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN6(.next_count = 1, .next = { EXT(IPPROTO_DSTOPTS, .len = 64) },
				    .force_tot_len = 32)) } },
	{ "malformed: truncated TCP header",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.truncate = 14 + 20 + 10)) } },
	{ "malformed: TCP options cut short of doff (frame truncated)",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN4(LINUX_OPTS, .truncate = 14 + 20 + 20 + 6)) } },
	{ "malformed: IPv6 TCP options cut short of doff (frame truncated)",
	  .svc = SERVICE(),
	  .steps = { MALFORMED(SYN6(LINUX_OPTS, .truncate = 14 + 40 + 20 + 12)) } },
	{ "malformed: truncated UDP header",
	  .svc = SERVICE(), .svc_proto = IPPROTO_UDP,
	  .steps = { MALFORMED(UDP4(.truncate = 14 + 20 + 4)) } },
	{ "malformed: UDP in an IP payload shorter than its header",
	  .svc = SERVICE(), .svc_proto = IPPROTO_UDP,
	  .steps = { MALFORMED(UDP4(.payload_len = 0, .force_tot_len = 20 + 4)) } },
	{ "malformed: IHL 4",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.force_ihl = 4)) } },
	{ "malformed: IHL 0",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.force_ihl_zero = true)) } },
	{ "malformed: IPv4 tot_len shorter than the header",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.force_tot_len = 16)) } },
	{ "malformed: TCP doff 4",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.force_doff = 4)) } },
	{ "malformed: TCP doff 0",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN6(.force_doff_zero = true)) } },
	{ "malformed: TCP doff 15 past the end of the IP payload",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.force_doff = 15)) } },
	{ "malformed: IPv6 TCP doff past payload_len",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN6(.force_doff = 8)) } },
	{ "malformed: EtherType IPv4, version 6",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN4(.force_version = 6)) } },
	{ "malformed: EtherType IPv6, version 4",
	  .svc = SERVICE(), .steps = { MALFORMED(SYN6(.force_version = 4)) } },

	/* ---- Classification by (protocol, destination port). */
	{ "classify: unprotected port passes and counts nothing",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN4(.dport = OPEN_PORT)), UNJUDGED(ACK6(.dport = OPEN_PORT)) } },
	{ "classify: a port mapped to an inactive service passes unjudged",
	  .svc = SERVICE(.flags = 0), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN4()) } },
	{ "classify: UDP service: datagram judged and admitted",
	  .svc = SERVICE(), .svc_proto = IPPROTO_UDP,
	  .steps = { ADMITTED(UDP4()), ADMITTED(UDP6()) } },
	{ "classify: UDP to the TCP service's port is unprotected",
	  .svc = SERVICE(), .steps = { UNJUDGED(UDP4(.dport = SVC_PORT)) } },
	{ "classify: TCP SYN to the UDP service's port is unprotected",
	  .svc = SERVICE(), .svc_proto = IPPROTO_UDP, .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { UNJUDGED(SYN4(.dport = UDP_PORT)) } },
	{ "classify: UDP service over its packet rate: dropped",
	  .svc = SERVICE(.pkt = PER_MIN(1, 2)), .svc_proto = IPPROTO_UDP,
	  .steps = { ADMITTED(UDP4(), .repeat = 2), DROPPED(UDP4(), RATE_PACKET) } },

	/* ---- Allow and deny lists. */
	{ "deny_list: SYN from a denied /24 dropped",
	  .svc = SERVICE(), .deny = { CIDR("10.77.1.0/24") },
	  .steps = { DROPPED(SYN4(.src = "10.77.1.9"), DENY_LIST),
		     ADMITTED(SYN4(.src = "10.77.2.9")) } },
	{ "deny_list: established-flow ACK from a denied source dropped",
	  .svc = SERVICE(), .deny = { CIDR("10.77.1.1/32") },
	  .steps = { DROPPED(ACK4(), DENY_LIST) } },
	{ "deny_list: IPv6 /64",
	  .svc = SERVICE(), .deny = { CIDR("fd77:1::/64") },
	  .steps = { DROPPED(SYN6(.src = "fd77:1::42"), DENY_LIST),
		     ADMITTED(SYN6(.src = "fd77:1:0:1::42")) } },
	{ "allow_list: an allowed source is admitted past an open breaker",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .allow = { CIDR("10.77.1.0/24") },
	  .steps = { STEP(SYN4(), XDP_PASS, COUNTS(PASS, ALLOW_LIST)),
		     REJECTED(SYN4(.src = "10.77.2.1"), BREAKER_OPEN) } },
	{ "allow_list: allow wins over deny",
	  .svc = SERVICE(), .allow = { CIDR("10.77.1.1/32") }, .deny = { CIDR("10.77.0.0/16") },
	  .steps = { STEP(SYN4(), XDP_PASS, COUNTS(PASS, ALLOW_LIST)),
		     STEP(ACK4(), XDP_PASS, COUNTS(PASS, ALLOW_LIST)),
		     DROPPED(SYN4(.src = "10.77.1.2"), DENY_LIST) } },
	{ "allow_list: IPv6 allow wins over a rate limit",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)), .allow = { CIDR("fd77:1::/32") },
	  .steps = { STEP(SYN6(), XDP_PASS, COUNTS(PASS, ALLOW_LIST), .repeat = 3) } },
	{ "expiry: an expired deny entry is ignored",
	  .svc = SERVICE(), .deny = { CIDR("10.77.1.0/24", .expiry = EXPIRED) },
	  .steps = { ADMITTED(SYN4()) } },
	{ "expiry: a deny entry expiring later applies",
	  .svc = SERVICE(), .deny = { CIDR("10.77.1.0/24", .expiry = EXPIRES_LATER) },
	  .steps = { DROPPED(SYN4(), DENY_LIST) } },
	{ "expiry: an expired allow entry is ignored (the deny applies)",
	  .svc = SERVICE(), .allow = { CIDR("10.77.1.1/32", .expiry = EXPIRED) },
	  .deny = { CIDR("10.77.1.0/24") },
	  .steps = { DROPPED(SYN4(), DENY_LIST) } },
	{ "expiry: an allow entry expiring later applies",
	  .svc = SERVICE(), .allow = { CIDR("10.77.1.1/32", .expiry = EXPIRES_LATER) },
	  .deny = { CIDR("10.77.1.0/24") },
	  .steps = { STEP(SYN4(), XDP_PASS, COUNTS(PASS, ALLOW_LIST)) } },

	{ "expiry: an expired /32 inside a denied /16: the /16 still applies",
	  /* issue 9 item 5: the longest match expired, the shorter one stands. */
	  .svc = SERVICE(),
	  .deny = { CIDR("10.77.0.0/16"), CIDR("10.77.1.1/32", .expiry = EXPIRED) },
	  .steps = { DROPPED(SYN4(), DENY_LIST), DROPPED(SYN4(.src = "10.77.1.2"), DENY_LIST),
		     ADMITTED(SYN4(.src = "10.78.1.1")) } },
	{ "expiry: expired /32 and /24 inside a denied /16: stepped past both",
	  .svc = SERVICE(),
	  .deny = { CIDR("10.77.0.0/16"), CIDR("10.77.1.0/24", .expiry = EXPIRED),
		    CIDR("10.77.1.1/32", .expiry = EXPIRED) },
	  .steps = { DROPPED(SYN4(), DENY_LIST) } },
	{ "expiry: IPv6 expired /128 inside an allowed /16: still allowed",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .allow = { CIDR("fd77::/16"), CIDR("fd77:1::1/128", .expiry = EXPIRED) },
	  .steps = { STEP(SYN6(), XDP_PASS, COUNTS(PASS, ALLOW_LIST)) } },
	{ "expiry: an unexpired /32 inside an expired /16 applies",
	  .svc = SERVICE(),
	  .deny = { CIDR("10.77.0.0/16", .expiry = EXPIRED), CIDR("10.77.1.1/32", .expiry = EXPIRES_LATER) },
	  .steps = { DROPPED(SYN4(), DENY_LIST), ADMITTED(SYN4(.src = "10.77.1.2")) } },

	/* ---- Per-source SYN rate (GCRA) and packet rate. */
	{ "rate_source: 1/min burst 5: exactly 5 SYNs admitted, then refused",
	  /* Deterministic: the emission interval is 60 s, the test takes ms. */
	  .svc = SERVICE(.syn = PER_MIN(1, 5)),
	  .steps = { ADMITTED(SYN4(LINUX_OPTS), .repeat = 5),
		     DROPPED(SYN4(LINUX_OPTS), RATE_SOURCE, .repeat = 2) } },
	{ "rate_source: 20/s burst 2: 2 admitted, 3rd refused, one more after 60 ms",
	  /*
	   * Emission 50 ms, tau 50 ms. With t0 the first SYN: the 3rd is
	   * refused if sent before t0 + 50 ms; after the 60 ms sleep exactly
	   * one conforms, and the next is refused if sent before t0 + 100 ms.
	   * Tolerance: 40 ms of scheduling delay in total.
	   */
	  .svc = SERVICE(.syn = PER_SEC(20, 2)),
	  .steps = { ADMITTED(SYN4(), .repeat = 2),
		     DROPPED(SYN4(), RATE_SOURCE),
		     ADMITTED(SYN4(), .sleep_ms = 60),
		     DROPPED(SYN4(), RATE_SOURCE) } },
	{ "rate_source: IPv6 source, on_rate defer",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .on_rate = ADM_A_DEFER),
	  .steps = { ADMITTED(SYN6()), DEFERRED(SYN6(), RATE_SOURCE) } },
	{ "rate_source: on_rate reject answers RST|ACK",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .on_rate = ADM_A_REJECT),
	  .steps = { ADMITTED(SYN4(LINUX_OPTS)), REJECTED(SYN4(LINUX_OPTS), RATE_SOURCE) } },
	{ "rate_source: hosts have separate buckets by default (/32)",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")), DROPPED(SYN4(.src = "10.77.1.1"), RATE_SOURCE),
		     ADMITTED(SYN4(.src = "10.77.1.2")) } },
	{ "rate_source: ipv4_prefix 24 groups a /24 into one bucket",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .ipv4_prefix = 24),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")),
		     DROPPED(SYN4(.src = "10.77.1.200"), RATE_SOURCE),
		     ADMITTED(SYN4(.src = "10.77.2.1")) } },
	{ "rate_source: ipv6_prefix 64 groups a /64 into one bucket",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .ipv6_prefix = 64),
	  .steps = { ADMITTED(SYN6(.src = "fd77:1:2:3::1")),
		     DROPPED(SYN6(.src = "fd77:1:2:3:ffff::2"), RATE_SOURCE),
		     ADMITTED(SYN6(.src = "fd77:1:2:4::1")) } },
	{ "rate_source: SYN fingerprint mode: a new option layout buys no fresh bucket",
	  /* issue 9 item 3: the client chooses its signature; the address stays charged. */
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .fp_mode = ADM_FP_SYN),
	  .steps = { ADMITTED(SYN4(LINUX_OPTS)), DROPPED(SYN4(LINUX_OPTS), RATE_SOURCE),
		     DROPPED(SYN4(WINDOWS_OPTS), RATE_SOURCE),
		     DROPPED(SYN4(LINUX_OPTS, .ttl = 128), RATE_SOURCE),
		     ADMITTED(SYN4(LINUX_OPTS, .src = "10.77.1.2")) } },
	{ "rate_source: SYN fingerprint mode: a new window on every SYN buys nothing",
	  .svc = SERVICE(.syn = PER_MIN(1, 2), .fp_mode = ADM_FP_SYN),
	  .steps = { ADMITTED(SYN4(LINUX_OPTS, .window = 1000)),
		     ADMITTED(SYN4(LINUX_OPTS, .window = 1001)),
		     DROPPED(SYN4(LINUX_OPTS, .window = 1002), RATE_SOURCE),
		     DROPPED(SYN4(WINDOWS_OPTS, .window = 1003), RATE_SOURCE) } },
	{ "rate_packet: ACKs over the packet rate dropped",
	  .svc = SERVICE(.pkt = PER_MIN(1, 2)),
	  .steps = { FLOWS(ACK4(), .repeat = 2), DROPPED(ACK4(), RATE_PACKET),
		     FLOWS(ACK4(.src = "10.77.1.2")) } },
	{ "rate_packet: SYN and packet budgets are separate buckets",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .pkt = PER_MIN(1, 1)),
	  .steps = { FLOWS(ACK4()), DROPPED(ACK4(), RATE_PACKET),
		     ADMITTED(SYN4()), DROPPED(SYN4(), RATE_SOURCE) } },
	{ "rate_packet: no packet rate: ACKs of a protected service admitted",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)),
	  .steps = { FLOWS(ACK6(), .repeat = 4) } },
	{ "actions: non-SYN refusals always drop, even with reject/defer actions",
	  .svc = SERVICE(.pkt = PER_MIN(1, 1), .on_rate = ADM_A_REJECT,
			 .on_conn_full = ADM_A_REJECT),
	  .steps = { FLOWS(ACK4(.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH)),
		     DROPPED(ACK4(.tcp_flags = PKT_TCP_ACK | PKT_TCP_FIN), RATE_PACKET),
		     DROPPED(ACK4(.tcp_flags = PKT_TCP_RST), RATE_PACKET) } },
	{ "actions: SYN|ACK is not a new connection (breaker open)",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { FLOWS(SYN4(.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK)),
		     FLOWS(ACK4()) } },
	{ "actions: ECN-setup SYN (SYN|ECE|CWR) is a new connection",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(.tcp_flags = PKT_TCP_SYN | PKT_TCP_ECE | PKT_TCP_CWR),
			      BREAKER_OPEN) } },

	/* ---- Concurrency. */
	{ "conc_global: live == limit: on_conn_full defer",
	  .svc = SERVICE(), .conc = { .live = 10, .limit = 10 },
	  .steps = { DEFERRED(SYN4(), CONC_GLOBAL), FLOWS(ACK4()) } },
	{ "conc_global: live > limit: on_conn_full drop",
	  .svc = SERVICE(.on_conn_full = ADM_A_DROP), .conc = { .live = 11, .limit = 10 },
	  .steps = { DROPPED(SYN6(), CONC_GLOBAL) } },
	{ "conc_global: on_conn_full reject answers RST|ACK",
	  .svc = SERVICE(.on_conn_full = ADM_A_REJECT), .conc = { .live = 10, .limit = 10 },
	  .steps = { REJECTED(SYN4(LINUX_OPTS), CONC_GLOBAL) } },
	{ "conc_global: a SYN refused for concurrency still spends its source's rate",
	  .svc = SERVICE(.syn = PER_MIN(1, 2)), .conc = { .live = 10, .limit = 10 },
	  .steps = { DEFERRED(SYN4(.src = "10.77.1.1"), CONC_GLOBAL),
		     DEFERRED(SYN4(.src = "10.77.1.1"), CONC_GLOBAL),
		     DROPPED(SYN4(.src = "10.77.1.1"), RATE_SOURCE),
		     DEFERRED(SYN4(.src = "10.77.1.2"), CONC_GLOBAL) } },
	{ "conc_global: ADM_CONC_REFUSE_ALL refuses with no connection live (cluster closed)",
	  .svc = SERVICE(.on_conn_full = ADM_A_REJECT), .conc = { .live = 0, .limit = ADM_CONC_REFUSE_ALL },
	  .steps = { REJECTED(SYN4(LINUX_OPTS), CONC_GLOBAL), FLOWS(ACK4()) } },

	/* ---- Cluster global block (adm_global_block, written by admd's cluster sync). */
	{ "global_block: a blocked source is refused with on_rate, others admitted",
	  .svc = SERVICE(.on_rate = ADM_A_REJECT),
	  .gblock = { CIDR("10.77.5.5", .expiry = EXPIRES_LATER) },
	  .steps = { REJECTED(SYN4(.src = "10.77.5.5", LINUX_OPTS), GLOBAL_BLOCK),
		     ADMITTED(SYN4(.src = "10.77.5.6")), FLOWS(ACK4(.src = "10.77.5.5")) } },
	{ "global_block: IPv6 source blocked, drop",
	  .svc = SERVICE(), .gblock = { CIDR("fd77:5::5", .expiry = EXPIRES_LATER) },
	  .steps = { DROPPED(SYN6(.src = "fd77:5::5"), GLOBAL_BLOCK) } },
	{ "global_block: an entry whose window passed admits",
	  .svc = SERVICE(), .gblock = { CIDR("10.77.5.5", .expiry = EXPIRED) },
	  .steps = { ADMITTED(SYN4(.src = "10.77.5.5")) } },
	{ "global_block: not looked up while adm_global's gblock bit is clear",
	  .svc = SERVICE(), .gblock = { CIDR("10.77.5.5", .expiry = EXPIRES_LATER) },
	  .gblock_unmarked = 1,
	  .steps = { ADMITTED(SYN4(.src = "10.77.5.5")) } },
	{ "global_block: checked before the rate: global_block, also where the rate would refuse",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)),
	  .gblock = { CIDR("10.77.5.5", .expiry = EXPIRES_LATER) },
	  .steps = { DROPPED(SYN4(.src = "10.77.5.5"), GLOBAL_BLOCK),
		     DROPPED(SYN4(.src = "10.77.5.5"), GLOBAL_BLOCK) } },
	{ "global_block: after the breaker (an open breaker refuses first)",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .gblock = { CIDR("10.77.5.5", .expiry = EXPIRES_LATER) },
	  .steps = { REJECTED(SYN4(.src = "10.77.5.5", LINUX_OPTS), BREAKER_OPEN) } },
	{ "global_block: the allow list wins",
	  .svc = SERVICE(), .allow = { CIDR("10.77.5.0/24") },
	  .gblock = { CIDR("10.77.5.5", .expiry = EXPIRES_LATER) },
	  .steps = { STEP(SYN4(.src = "10.77.5.5"), XDP_PASS, COUNTS(PASS, ALLOW_LIST)) } },

	{ "conc_global: admitted handshakes count as pending until established or expired",
	  /* issue 9 item 7: 200 simultaneous SYNs against conn_limit 50 admitted up to +150. */
	  .svc = SERVICE(), .conc = { .live = 0, .limit = 3 },
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1"), .repeat = 3),
		     DEFERRED(SYN4(.src = "10.77.1.2"), CONC_GLOBAL),
		     /* Lost handshakes stop counting after 2 x ADM_PENDING_NS. */
		     ADMITTED(SYN4(.src = "10.77.1.3"),
			      .sleep_ms = 2 * ADM_PENDING_NS / H_NS_PER_MS + 100) } },
	{ "conc_global: below the limit admitted",
	  .svc = SERVICE(), .conc = { .live = 9, .limit = 10 },
	  .steps = { ADMITTED(SYN4()) } },
	{ "conc_global: limit 0 is unlimited",
	  .svc = SERVICE(), .conc = { .live = 100000, .limit = 0 },
	  .steps = { ADMITTED(SYN4()) } },
	{ "conc_source: source at fp_conn_limit deferred, others admitted",
	  .svc = SERVICE(.fp_conn_limit = 2),
	  .src_conc = { { "10.77.1.1", 2 }, { "10.77.1.2", 1 } },
	  .steps = { DEFERRED(SYN4(), CONC_SOURCE),
		     ADMITTED(SYN4(.src = "10.77.1.2")),
		     ADMITTED(SYN4(.src = "10.77.1.3")) } },
	{ "conc_source: counted per fingerprint (ipv4_prefix 24)",
	  .svc = SERVICE(.fp_conn_limit = 2, .ipv4_prefix = 24, .on_conn_full = ADM_A_REJECT),
	  .src_conc = { { "10.77.1.0", 3 } },
	  .steps = { REJECTED(SYN4(.src = "10.77.1.77"), CONC_SOURCE),
		     ADMITTED(SYN4(.src = "10.77.2.77")) } },
	{ "conc_source: IPv6, fp_conn_limit 0 disables the check",
	  .svc = SERVICE(), .src_conc = { { "fd77:1::1", 1000 } },
	  .steps = { ADMITTED(SYN6()) } },
	{ "conc_source: IPv6 source at the limit dropped",
	  .svc = SERVICE(.fp_conn_limit = 1, .on_conn_full = ADM_A_DROP),
	  .src_conc = { { "fd77:1::1", 1 } },
	  .steps = { DROPPED(SYN6(), CONC_SOURCE) } },

	/* ---- Breaker and degradation. */
	{ "breaker_open: OPEN rejects SYNs, established flows pass",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(LINUX_OPTS), BREAKER_OPEN), FLOWS(ACK4()) } },
	{ "breaker_open: HALF_OPEN with permille 0 rejects every SYN",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_HALF_OPEN, .half_open_permille = 0 },
	  .steps = { REJECTED(SYN4(), BREAKER_OPEN, .repeat = 20) } },
	{ "breaker_open: HALF_OPEN with permille 1000 admits every SYN",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_HALF_OPEN, .half_open_permille = 1000 },
	  .steps = { ADMITTED(SYN4(), .repeat = 20) } },
	{ "degraded: level 1 sheds a sheddable service",
	  .svc = SERVICE(.priority = ADM_PRIO_SHEDDABLE), .state = { .degrade = 1 },
	  .steps = { REJECTED(SYN4(), DEGRADED), FLOWS(ACK4()) } },
	{ "degraded: level 1 keeps a normal service",
	  .svc = SERVICE(.priority = ADM_PRIO_NORMAL), .state = { .degrade = 1 },
	  .steps = { ADMITTED(SYN4()) } },
	{ "degraded: level 2 sheds a normal service",
	  .svc = SERVICE(.priority = ADM_PRIO_NORMAL), .state = { .degrade = 2 },
	  .steps = { REJECTED(SYN6(), DEGRADED) } },
	{ "degraded: level 2 keeps a critical service",
	  .svc = SERVICE(.priority = ADM_PRIO_CRITICAL), .state = { .degrade = 2 },
	  .steps = { ADMITTED(SYN4()) } },
	{ "degraded: level 3 sheds even a critical service",
	  .svc = SERVICE(.priority = ADM_PRIO_CRITICAL), .state = { .degrade = ADM_DEGRADE_MAX },
	  .steps = { REJECTED(SYN4(), DEGRADED) } },

	/* ---- Unverified sources (ADM_SVC_VERIFY). */
	{ "verify: strangers share a per-/24 budget",
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .unv_prefix = PER_MIN(1, 2),
			 .new_sources = PER_MIN(1, 100)),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")), ADMITTED(SYN4(.src = "10.77.1.2")),
		     DROPPED(SYN4(.src = "10.77.1.3"), RATE_PREFIX_UNVERIFIED),
		     ADMITTED(SYN4(.src = "10.77.2.1"), .check = check_no_source_state) } },
	{ "verify: IPv6 strangers share a per-/48 budget",
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .unv_prefix = PER_MIN(1, 1),
			 .new_sources = PER_MIN(1, 100)),
	  .steps = { ADMITTED(SYN6(.src = "fd77:1:2::1")),
		     DROPPED(SYN6(.src = "fd77:1:2:ff::1"), RATE_PREFIX_UNVERIFIED),
		     ADMITTED(SYN6(.src = "fd77:1:3::1")) } },
	{ "verify: strangers share the service's new-source budget",
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .new_sources = PER_MIN(1, 2),
			 .on_unverified = ADM_A_DEFER),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")), ADMITTED(SYN4(.src = "10.77.2.1")),
		     DEFERRED(SYN4(.src = "10.77.3.1"), RATE_NEW_SOURCES),
		     DEFERRED(SYN6(), RATE_NEW_SOURCES, .check = check_no_source_state) } },
	{ "verify: a verified source bypasses both budgets, has its own rate",
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .syn = PER_MIN(1, 3),
			 .unv_prefix = PER_MIN(1, 1), .new_sources = PER_MIN(1, 2)),
	  .verified = { "10.77.1.1" },
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.2")),
		     /* Refused by its prefix: the new-source budget keeps its token. */
		     DROPPED(SYN4(.src = "10.77.1.3"), RATE_PREFIX_UNVERIFIED),
		     ADMITTED(SYN4(.src = "10.77.9.3")),
		     /* Spent: refused before its (fresh) prefix is looked at. */
		     DROPPED(SYN4(.src = "10.77.8.3"), RATE_NEW_SOURCES),
		     ADMITTED(SYN4(.src = "10.77.1.1"), .repeat = 3),
		     DROPPED(SYN4(.src = "10.77.1.1"), RATE_SOURCE) } },
	{ "verify: without ADM_SVC_VERIFY strangers get per-source buckets",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .unv_prefix = PER_MIN(1, 1),
			 .new_sources = PER_MIN(1, 1)),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")), ADMITTED(SYN4(.src = "10.77.1.2")),
		     DROPPED(SYN4(.src = "10.77.1.2"), RATE_SOURCE) } },
	{ "verify: no stranger budget at all refuses strangers, never admits them unlimited",
	  /* issue 9 item 1: was 2,848,000 of 2,848,000 spoofed SYNs admitted. */
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .syn = PER_SEC(5, 5)),
	  .verified = { "10.77.1.1" },
	  .steps = { DROPPED(SYN4(.src = "10.77.1.2"), RATE_NEW_SOURCES, .repeat = 3),
		     DROPPED(SYN6(), RATE_NEW_SOURCES),
		     ADMITTED(SYN4(.src = "10.77.1.1")) } },
	{ "verify: a stranger refused by its budgets is dropped, not answered, under on_rate reject",
	  /* issue 9 item 6: its address may be forged; an RST would be reflected. */
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .on_rate = ADM_A_REJECT,
			 .unv_prefix = PER_MIN(1, 1), .new_sources = PER_MIN(1, 2)),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")),
		     DROPPED(SYN4(.src = "10.77.1.2"), RATE_PREFIX_UNVERIFIED),
		     ADMITTED(SYN4(.src = "10.77.2.1")),
		     DROPPED(SYN4(.src = "10.77.3.1"), RATE_NEW_SOURCES) } },
	{ "verify: on_unverified reject answers a refused stranger (the operator asked)",
	  .svc = SERVICE(.flags = ADM_SVC_ACTIVE | ADM_SVC_VERIFY, .on_unverified = ADM_A_REJECT,
			 .new_sources = PER_MIN(1, 1)),
	  .steps = { ADMITTED(SYN4(.src = "10.77.1.1")),
		     REJECTED(SYN4(LINUX_OPTS, .src = "10.77.2.1"), RATE_NEW_SOURCES) } },

	/* ---- Shadow mode: would_* counted, packet passed, state still charged. */
	{ "shadow: rate refusal counted as would_drop, passed",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)), .state = { .shadow = 1 },
	  .steps = { ADMITTED(SYN4()), SHADOWED(SYN4(), WOULD_DROP, RATE_SOURCE) } },
	{ "shadow: would_defer and would_reject, frame untouched",
	  .svc = SERVICE(.syn = PER_MIN(1, 1), .on_rate = ADM_A_DEFER,
			 .on_conn_full = ADM_A_REJECT, .fp_conn_limit = 1),
	  .state = { .shadow = 1 }, .src_conc = { { "10.77.1.2", 1 } },
	  .steps = { ADMITTED(SYN4()), SHADOWED(SYN4(), WOULD_DEFER, RATE_SOURCE),
		     SHADOWED(SYN4(LINUX_OPTS, .src = "10.77.1.2"), WOULD_REJECT, CONC_SOURCE) } },
	{ "shadow: open breaker counted as would_reject",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN, .shadow = 1 },
	  .steps = { SHADOWED(SYN6(), WOULD_REJECT, BREAKER_OPEN) } },
	{ "shadow: deny list and packet rate counted as would_drop",
	  .svc = SERVICE(.pkt = PER_MIN(1, 1)), .state = { .shadow = 1 },
	  .deny = { CIDR("10.77.1.1/32") },
	  .steps = { SHADOWED(SYN4(), WOULD_DROP, DENY_LIST),
		     FLOWS(ACK4(.src = "10.77.1.2")),
		     SHADOWED(ACK4(.src = "10.77.1.2"), WOULD_DROP, RATE_PACKET) } },
	{ "shadow: GCRA still counts, enforcement picks up where shadow left",
	  .svc = SERVICE(.syn = PER_MIN(1, 2)), .state = { .shadow = 1 },
	  .steps = { ADMITTED(SYN4(), .repeat = 2),
		     SHADOWED(SYN4(), WOULD_DROP, RATE_SOURCE),
		     DROPPED(SYN4(), RATE_SOURCE, .state = &ENFORCING) } },

	/* ---- REJECT: the RST|ACK, byte for byte. */
	{ "reject: IPv4, TCP options in the SYN",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(LINUX_OPTS, .src = "10.77.4.5", .dst = "10.77.0.9",
				   .sport = 51515, .ttl = 61, .ip_id = 4321, .df = true),
			      BREAKER_OPEN) } },
	{ "reject: IPv4 with IP options and TCP options",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(LINUX_OPTS, .ip_optlen = 12, .tos = 0x10), BREAKER_OPEN) } },
	{ "reject: IPv4 behind an 802.1Q tag",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(WINDOWS_OPTS, .nvlans = 1,
				   .vlan = { TAG(PKT_TPID_8021Q, 42) }), BREAKER_OPEN) } },
	{ "reject: IPv4 behind 802.1ad + 802.1Q, IP options",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(LINUX_OPTS, .ip_optlen = 4, .nvlans = 2,
				   .vlan = { TAG(PKT_TPID_8021AD, 7), TAG(PKT_TPID_8021Q, 42) }),
			      BREAKER_OPEN) } },
	{ "reject: IPv4 SYN carrying 16 bytes of data: ack covers them",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(LINUX_OPTS, .payload_len = 16), BREAKER_OPEN) } },
	{ "reject: IPv4 SYN padded to 60 bytes: padding is not data, frame trimmed",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(.pad_to = 60), BREAKER_OPEN) } },
	{ "reject: IPv4 SYN seq 0xffffffff: ack wraps to 0",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN4(.seq = 0xffffffffU), BREAKER_OPEN) } },
	{ "reject: IPv6 with a destination options header",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN6(LINUX_OPTS, .next_count = 1,
				   .next = { EXT(IPPROTO_DSTOPTS, .len = 16) }, .ttl = 50),
			      BREAKER_OPEN) } },
	{ "reject: IPv6 behind a tag, hop-by-hop + routing, data in the SYN",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	  .steps = { REJECTED(SYN6(WINDOWS_OPTS, .nvlans = 1, .vlan = { TAG(PKT_TPID_8021AD, 9) },
				   .next_count = 2,
				   .next = { EXT(IPPROTO_HOPOPTS), EXT(IPPROTO_ROUTING) },
				   .payload_len = 5, .tos = 0xb8), BREAKER_OPEN) } },

	/* ---- Event sampling to the ring buffer. */
	{ "events: first refusal per source per second recorded, with its count",
	  .svc = SERVICE(.syn = PER_MIN(1, 1)),
	  .steps = { ADMITTED(SYN4(), .new_second = true, .events = NO_EVENTS),
		     DROPPED(SYN4(), RATE_SOURCE, .events = EVENTS(1, 1, DROP, RATE_SOURCE)),
		     DROPPED(SYN4(), RATE_SOURCE, .events = NO_EVENTS),
		     /* Another source, same second: its own record. */
		     ADMITTED(SYN6(), .events = NO_EVENTS),
		     DROPPED(SYN6(), RATE_SOURCE, .events = EVENTS(1, 1, DROP, RATE_SOURCE)),
		     /* Next second: one record standing for the 2 refusals since. */
		     DROPPED(SYN4(), RATE_SOURCE, .new_second = true,
			     .events = EVENTS(1, 2, DROP, RATE_SOURCE)) } },
	{ "events: shadow refusals are recorded as would_*",
	  .svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN, .shadow = 1 },
	  .steps = { SHADOWED(SYN4(), WOULD_REJECT, BREAKER_OPEN, .new_second = true,
			      .events = EVENTS(1, 1, WOULD_REJECT, BREAKER_OPEN)),
		     SHADOWED(SYN4(), WOULD_REJECT, BREAKER_OPEN, .repeat = 5,
			      .events = NO_EVENTS) } },
};

#define N_FIXTURES	(int)(sizeof(fixtures) / sizeof(fixtures[0]))

/* ---- Checks. */

static const char *src_of(const struct pkt_spec *p)
{
	return p->src ? p->src : p->family == 6 ? PKT_DEF_SRC6 : PKT_DEF_SRC4;
}

static const char *dst_of(const struct pkt_spec *p)
{
	return p->dst ? p->dst : p->family == 6 ? PKT_DEF_DST6 : PKT_DEF_DST4;
}

static bool zero_mac(const __u8 *m)
{
	static const __u8 zero[ETH_ALEN];

	return !memcmp(m, zero, ETH_ALEN);
}

/*
 * REJECT: the output must be the RST|ACK answering the SYN, built here
 * from the SYN's spec with the builder (not from the program's output):
 * MACs, addresses and ports swapped, VLAN tags kept, IP options and
 * extension headers gone, seq 0, ack = SYN seq + 1 + data, RST|ACK,
 * doff 5, window 0; IPv4 ihl 5, DF, TTL 64, id 0; IPv6 hop limit 64,
 * next header TCP. The builder computes both checksums.
 */
static bool check_rst(struct h_ctx *h, const struct fx_step *st,
		      const __u8 *in, const struct pkt_layout *lo,
		      const struct h_result *r, const char *where)
{
	static const __u8 def_smac[ETH_ALEN] = PKT_DEF_SMAC, def_dmac[ETH_ALEN] = PKT_DEF_DMAC;
	const struct pkt_spec *syn = &st->pkt;
	struct pkt_spec rst = {
		.nvlans = syn->nvlans,
		.family = syn->family,
		.src = dst_of(syn),
		.dst = src_of(syn),
		.ttl = RST_TTL,
		.df = true,
		.ip_id = 0,
		.sport = syn->dport,
		.dport = syn->sport ? syn->sport : PKT_DEF_SPORT,
		.seq = 0,
		.ack = syn->seq + 1 + syn->payload_len,
		.tcp_flags = PKT_TCP_RST | PKT_TCP_ACK,
		.zero_window = true,
	};
	__u8 want[PKT_MAX_LEN];
	char what[160], why[160];
	int len;

	(void)h;
	(void)in;
	(void)lo;
	memcpy(rst.vlan, syn->vlan, sizeof(rst.vlan));
	memcpy(rst.smac, zero_mac(syn->dmac) ? def_dmac : syn->dmac, ETH_ALEN);
	memcpy(rst.dmac, zero_mac(syn->smac) ? def_smac : syn->smac, ETH_ALEN);
	len = pkt_build(&rst, want, sizeof(want), NULL, why, sizeof(why));
	snprintf(what, sizeof(what), "%s: build the expected RST", where);
	if (!ASSERT_TRUE(len > 0, what)) {
		tap_diag("%s", why);
		return false;
	}
	snprintf(what, sizeof(what), "%s: RST|ACK frame", where);
	if (!ASSERT_MEMEQ(r->out, r->out_len, want, (size_t)len, what))
		return false;
	snprintf(what, sizeof(what), "%s: RST checksums", where);
	if (!ASSERT_OK(pkt_verify_csums(r->out, r->out_len, why, sizeof(why)), what)) {
		tap_diag("%s", why);
		return false;
	}
	return true;
}

/* Unverified sources must leave no per-source state (adm_src, adm_rate empty). */
static bool check_no_source_state(struct h_ctx *h, const struct fx_step *st,
				  const __u8 *in, const struct pkt_layout *lo,
				  const struct h_result *r, const char *where)
{
	char what[160];

	(void)st;
	snprintf(what, sizeof(what), "%s: output unchanged", where);
	if (!ASSERT_MEMEQ(r->out, r->out_len, in, lo->len, what))
		return false;
	snprintf(what, sizeof(what), "%s: %s entries", where, ADM_MAP_SRC);
	if (!ASSERT_EQ(h_map_count(h, ADM_MAP_SRC), 0, what))
		return false;
	snprintf(what, sizeof(what), "%s: %s entries", where, ADM_MAP_RATE);
	return ASSERT_EQ(h_map_count(h, ADM_MAP_RATE), 0, what);
}

/* Describe stats index i as "svc/verdict/reason". */
static const char *stat_name(__u32 i, char *buf, size_t len)
{
	snprintf(buf, len, "(%u, %s, %s)", i / (ADM_V__MAX * ADM_R__MAX),
		 adm_verdict_name(i / ADM_R__MAX % ADM_V__MAX), adm_reason_name(i % ADM_R__MAX));
	return buf;
}

/*
 * The packet moved exactly the expected entry, by one packet of `bytes`,
 * and that entry read alone (h_stat) agrees with the batch read.
 */
static bool check_stats(struct h_ctx *h, const struct adm_stat *before,
			const struct adm_stat *after, const struct fx_stat *want,
			__u32 bytes, const char *where)
{
	struct adm_stat one;
	__u32 idx = want->counted ? adm_stat_index(want->svc, want->verdict, want->reason)
				  : ADM_STATS_ENTRIES;
	char what[200], name[96];
	bool ok = true;
	__u32 i;

	for (i = 0; i < ADM_STATS_ENTRIES; i++) {
		__u64 dp = after[i].packets - before[i].packets;
		__u64 db = after[i].bytes - before[i].bytes;

		if (i == idx) {
			snprintf(what, sizeof(what), "%s: packets of stat %s", where,
				 stat_name(i, name, sizeof(name)));
			ok &= ASSERT_EQ(dp, 1, what);
			snprintf(what, sizeof(what), "%s: bytes of stat %s", where, name);
			ok &= ASSERT_EQ(db, bytes, what);
			snprintf(what, sizeof(what), "%s: read stat %s", where, name);
			ok &= ASSERT_OK(h_stat(h, want->svc, want->verdict, want->reason, &one),
					what);
			snprintf(what, sizeof(what), "%s: stat %s read alone", where, name);
			ok &= ASSERT_EQ(one.packets, after[i].packets, what);
		} else if (dp || db) {
			snprintf(what, sizeof(what), "%s: packets of unexpected stat %s", where,
				 stat_name(i, name, sizeof(name)));
			ok &= ASSERT_EQ(dp, 0, what);
		}
	}
	return ok;
}

static bool check_events(struct h_ctx *h, const struct fx_step *st,
			 const struct pkt_spec *p, const char *where)
{
	const struct fx_events *want = &st->events;
	const struct adm_event *ev = &h->events[0];
	struct adm_fp_key src;
	struct adm_service all = SERVICE();
	char what[200];
	bool ok = true;

	snprintf(what, sizeof(what), "%s: ring buffer records", where);
	if (!ASSERT_EQ(h->nevents + h->events_overflow, want->records, what))
		return false;
	if (!want->records)
		return true;
	h_fp_key(&all, SVC_ID, src_of(p), &src);
#define EV_EQ(field, value) do {						\
		snprintf(what, sizeof(what), "%s: event " #field, where);	\
		ok &= ASSERT_EQ(ev->field, value, what);			\
	} while (0)
	EV_EQ(kind, ADM_EV_DECISION);
	EV_EQ(service, SVC_ID);
	EV_EQ(verdict, want->verdict);
	EV_EQ(reason, want->reason);
	EV_EQ(proto, p->proto ? p->proto : IPPROTO_TCP);
	EV_EQ(tcp_flags, p->tcp_flags);
	EV_EQ(sport, p->sport ? p->sport : PKT_DEF_SPORT);
	EV_EQ(dport, p->dport);
	EV_EQ(count, want->count);
#undef EV_EQ
	snprintf(what, sizeof(what), "%s: event source address", where);
	ok &= ASSERT_MEMEQ(ev->addr, sizeof(ev->addr), src.addr, sizeof(src.addr), what);
	snprintf(what, sizeof(what), "%s: event time", where);
	ok &= ASSERT_TRUE(ev->ts_ns > 0 && ev->ts_ns <= h_now_ns(), what);
	return ok;
}

/* Sleep until the monotonic clock has just entered a new second. */
static void wait_new_second(void)
{
	__u64 now = h_now_ns();

	h_sleep_ns(H_NS_PER_SEC - now % H_NS_PER_SEC + 20 * H_NS_PER_MS);
}

static bool setup_fixture(struct h_ctx *h, const struct fixture *fx)
{
	__u8 proto = fx->svc_proto ? fx->svc_proto : IPPROTO_TCP;
	__u16 port = proto == IPPROTO_UDP ? UDP_PORT : SVC_PORT;
	__u64 now = h_now_ns(), exp;
	struct adm_fp_key k;
	char what[160];
	int i;

	if (!ASSERT_OK(h_reset(h), "reset maps"))
		return false;
	if (!ASSERT_OK(h_add_service(h, SVC_ID, proto, port, &fx->svc), "write service") ||
	    !ASSERT_OK(h_set_state(h, SVC_ID, &fx->state), "write adm_state") ||
	    !ASSERT_OK(h_set_conc(h, SVC_ID, &fx->conc), "write adm_conc"))
		return false;
	for (i = 0; i < FX_MAX_CIDRS * 2; i++) {
		const struct fx_cidr *c = i < FX_MAX_CIDRS ? &fx->allow[i]
							   : &fx->deny[i - FX_MAX_CIDRS];

		if (!c->cidr)
			continue;
		exp = c->expiry == EXPIRED ? now - EXPIRED_AGO_NS :
		      c->expiry == EXPIRES_LATER ? now + EXPIRY_SLACK_NS : 0;
		snprintf(what, sizeof(what), "add %s %s", i < FX_MAX_CIDRS ? "allow" : "deny",
			 c->cidr);
		if (!ASSERT_OK(h_add_cidr(h, i < FX_MAX_CIDRS, c->cidr, exp), what))
			return false;
	}
	for (i = 0; i < FX_MAX_SRCS; i++) {
		if (fx->verified[i]) {
			snprintf(what, sizeof(what), "mark %s verified", fx->verified[i]);
			if (!ASSERT_OK(h_fp_key(&fx->svc, SVC_ID, fx->verified[i], &k), what) ||
			    !ASSERT_OK(h_set_verified(h, &k, now), what))
				return false;
		}
		if (fx->gblock[i].cidr) {
			struct adm_gblock b = {
				.until_ns = fx->gblock[i].expiry == EXPIRED ? now - EXPIRED_AGO_NS :
					    now + EXPIRY_SLACK_NS,
			};

			snprintf(what, sizeof(what), "global block %s", fx->gblock[i].cidr);
			if (!ASSERT_OK(h_fp_key(&fx->svc, SVC_ID, fx->gblock[i].cidr, &k), what) ||
			    !ASSERT_OK(h_set_gblock(h, &k, &b, !fx->gblock_unmarked), what))
				return false;
		}
		if (fx->src_conc[i].addr) {
			snprintf(what, sizeof(what), "set %s live connections", fx->src_conc[i].addr);
			if (!ASSERT_OK(h_fp_key(&fx->svc, SVC_ID, fx->src_conc[i].addr, &k), what) ||
			    !ASSERT_OK(h_set_src_conc(h, &k, fx->src_conc[i].live), what))
				return false;
		}
	}
	return true;
}

enum fx_result { FX_FAIL = 0, FX_PASS, FX_SKIP };

/*
 * Run one fixture's steps. FX_SKIP (with the reason in skip_why) only when
 * the kernel cannot run the packet at all: BPF_PROG_TEST_RUN on 6.18
 * refuses a frame shorter than an Ethernet header even behind metadata
 * (EINVAL), so such a frame can never reach the program this way.
 */
static enum fx_result run_fixture(struct h_ctx *h, const struct fixture *fx,
				  struct adm_stat *before, struct adm_stat *after,
				  char *skip_why, size_t skip_len)
{
	static struct h_result r;
	__u8 frame[PKT_MAX_LEN];
	struct pkt_layout lo;
	char where[64], what[128], why[160];
	int s, rep, len, err;
	bool ok = true;

	if (!setup_fixture(h, fx))
		return FX_FAIL;
	if (!ASSERT_OK(h_stats_read(h, before), "read adm_stats"))
		return FX_FAIL;
	for (s = 0; s < FX_MAX_STEPS && fx->steps[s].action; s++) {
		const struct fx_step *st = &fx->steps[s];

		len = pkt_build(&st->pkt, frame, sizeof(frame), &lo, why, sizeof(why));
		snprintf(what, sizeof(what), "step %d: build the packet", s + 1);
		if (!ASSERT_TRUE(len > 0, what)) {
			tap_diag("%s", why);
			return FX_FAIL;
		}
		if (st->state) {
			snprintf(what, sizeof(what), "step %d: write adm_state", s + 1);
			if (!ASSERT_OK(h_set_state(h, SVC_ID, st->state), what))
				return FX_FAIL;
		}
		if (st->new_second)
			wait_new_second();
		if (st->sleep_ms)
			h_sleep_ns(st->sleep_ms * H_NS_PER_MS);
		h_events_clear(h);
		for (rep = 0; rep < (st->repeat ? st->repeat : 1); rep++) {
			if (st->repeat)
				snprintf(where, sizeof(where), "step %d.%d", s + 1, rep + 1);
			else
				snprintf(where, sizeof(where), "step %d", s + 1);
			snprintf(what, sizeof(what), "%s: test run", where);
			err = h_run(h, h->xdp_fd, frame, len, 1, &r);
			if (err == -EINVAL && len < ETH_HLEN) {
				snprintf(skip_why, skip_len, "BPF_PROG_TEST_RUN refuses a "
					 "%d-byte frame (less than ETH_HLEN) on this kernel", len);
				return FX_SKIP;
			}
			if (!ASSERT_OK(err, what))
				return FX_FAIL;
			snprintf(what, sizeof(what), "%s: XDP action", where);
			ok &= ASSERT_ACTION(r.action, st->action, what);
			snprintf(what, sizeof(what), "%s: read adm_stats", where);
			if (!ASSERT_OK(h_stats_read(h, after), what))
				return FX_FAIL;
			ok &= check_stats(h, before, after, &st->stat, len, where);
			memcpy(before, after, ADM_STATS_ENTRIES * sizeof(*after));
			if (st->check) {
				ok &= st->check(h, st, frame, &lo, &r, where);
			} else if (st->action != XDP_TX) {
				snprintf(what, sizeof(what), "%s: output unchanged", where);
				ok &= ASSERT_MEMEQ(r.out, r.out_len, frame, len, what);
			}
			snprintf(what, sizeof(what), "%s: drain ring buffer", where);
			ok &= ASSERT_GE(h_events_poll(h), 0, what);
			if (!ok)
				return FX_FAIL;	/* the first failing packet tells the story */
		}
		if (st->events.check && !check_events(h, st, &st->pkt, where))
			return FX_FAIL;
	}
	return ok ? FX_PASS : FX_FAIL;
}

/* ---- The builder's own tests: a wrong builder would make every fixture lie. */

static bool test_csum_known_answer(void)
{
	/* RFC 1071-style example: an IPv4 header whose checksum is 0xb861. */
	static const __u8 hdr[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};

	return ASSERT_EQ(pkt_csum_fold(pkt_csum_add(0, hdr, sizeof(hdr))), 0xb861,
			 "IPv4 header checksum of the textbook example");
}

static bool test_builder_layout(void)
{
	struct pkt_spec syn = SYN4(LINUX_OPTS, .ip_optlen = 8, .nvlans = 1,
				   .vlan = { TAG(PKT_TPID_8021AD, 0x123) });
	static const __u8 opts[] = {
		0x02, 0x04, 0x05, 0xb4,			/* MSS 1460 */
		0x04, 0x02,				/* SACK permitted */
		0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0,	/* timestamps */
		0x01,					/* NOP */
		0x03, 0x03, 0x07,			/* wscale 7 */
	};
	__u8 f[PKT_MAX_LEN];
	struct pkt_layout lo;
	char why[128];
	bool ok = true;
	int len;

	len = pkt_build(&syn, f, sizeof(f), &lo, why, sizeof(why));
	if (!ASSERT_EQ(len, 14 + 4 + 28 + 40, "frame length"))
		return false;
	ok &= ASSERT_EQ(f[12] << 8 | f[13], PKT_TPID_8021AD, "TPID");
	ok &= ASSERT_EQ((f[14] << 8 | f[15]) & 0xfff, 0x123, "VLAN id");
	ok &= ASSERT_EQ(f[16] << 8 | f[17], ETH_P_IP, "inner EtherType");
	ok &= ASSERT_EQ(lo.l3_off, 18, "l3 offset");
	ok &= ASSERT_EQ(f[18], 0x47, "IPv4 version/IHL");
	ok &= ASSERT_EQ(f[18 + 2] << 8 | f[18 + 3], 28 + 40, "tot_len");
	ok &= ASSERT_EQ(lo.l4_off, 18 + 28, "l4 offset");
	ok &= ASSERT_EQ(f[lo.l4_off + 12] >> 4, 10, "TCP doff");
	ok &= ASSERT_EQ(f[lo.l4_off + 13], PKT_TCP_SYN, "TCP flags");
	ok &= ASSERT_MEMEQ(f + lo.l4_off + 20, sizeof(opts), opts, sizeof(opts), "TCP options");
	ok &= ASSERT_OK(pkt_verify_csums(f, len, why, sizeof(why)), "checksums verify");
	return ok;
}

static bool test_builder_csums(void)
{
	const struct pkt_spec specs[] = {
		SYN4(LINUX_OPTS, .ip_optlen = 12),
		SYN6(WINDOWS_OPTS, .next_count = 3,
		     .next = { EXT(IPPROTO_HOPOPTS), EXT(IPPROTO_ROUTING), EXT(IPPROTO_AH) }),
		UDP4(.payload_len = 33),
		UDP6(.payload_len = 7, .nvlans = 2),
		ACK4(.payload_len = 1),
	};
	__u8 f[PKT_MAX_LEN];
	struct pkt_layout lo;
	char why[128], what[96];
	bool ok = true;
	size_t i;
	int len;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		len = pkt_build(&specs[i], f, sizeof(f), &lo, why, sizeof(why));
		snprintf(what, sizeof(what), "spec %zu builds", i);
		if (!ASSERT_TRUE(len > 0, what))
			return false;
		snprintf(what, sizeof(what), "spec %zu checksums verify", i);
		ok &= ASSERT_OK(pkt_verify_csums(f, len, why, sizeof(why)), what);
		/* One flipped payload bit must be caught. */
		f[len - 1] ^= 0x01;
		snprintf(what, sizeof(what), "spec %zu with a flipped bit is caught", i);
		ok &= ASSERT_TRUE(pkt_verify_csums(f, len, why, sizeof(why)) < 0, what);
	}
	return ok;
}

/* SYN i from the i-th of distinct sources 10.77.100.1.., rejected by the breaker. */
static bool reject_distinct(struct h_ctx *h, int i)
{
	static struct h_result r;
	char src[INET_ADDRSTRLEN], what[96];
	struct pkt_spec syn = SYN4(.src = src);
	__u8 f[PKT_MAX_LEN];
	int len;

	snprintf(src, sizeof(src), "10.77.%d.%d", 100 + i / 200, 1 + i % 200);
	len = pkt_build(&syn, f, sizeof(f), NULL, NULL, 0);
	snprintf(what, sizeof(what), "SYN %d from %s rejected", i + 1, src);
	return ASSERT_TRUE(len > 0, what) &&
	       ASSERT_OK(h_run(h, h->xdp_fd, f, len, 1, &r), what) &&
	       ASSERT_ACTION(r.action, XDP_TX, what);
}

/*
 * Flood protection of the ring buffer: with the test pinned to one CPU,
 * ADM_EVENTS_PER_SEC distinct refused sources in one second produce that
 * many records; the next one is only counted in adm_evbudget.suppressed.
 * Statistics stay exact either way.
 */
static bool test_event_budget(struct h_ctx *h, struct adm_stat *before,
			      struct adm_stat *after)
{
	const struct fixture fx = {
		.svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	};
	const int n = ADM_EVENTS_PER_SEC + 1;
	struct adm_evbudget *budget = NULL;
	cpu_set_t saved, one;
	__u32 zero = 0, idx = adm_stat_index(SVC_ID, ADM_V_REJECT, ADM_R_BREAKER_OPEN);
	int i, cpu, fd, records = 0;
	__u64 second;
	bool ok = false;

	if (!setup_fixture(h, &fx) || !ASSERT_OK(h_stats_read(h, before), "read adm_stats"))
		return false;
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(saved), &saved) ? -errno : 0, "get affinity") ||
	    !ASSERT_OK(sched_setaffinity(0, sizeof(one), &one) ? -errno : 0, "pin to one CPU"))
		return false;
	budget = calloc(h->ncpus, sizeof(*budget));
	if (!ASSERT_TRUE(budget != NULL, "allocate per-CPU values"))
		goto out;
	wait_new_second();
	second = h_now_ns() / H_NS_PER_SEC;
	for (i = 0; i < n; i++) {
		if (!reject_distinct(h, i))
			goto out;
		if (i % 100 == 99) {	/* keep the ring drained */
			if (!ASSERT_GE(h_events_poll(h), 0, "drain ring buffer"))
				goto out;
			records += h->nevents + h->events_overflow;
			h_events_clear(h);
		}
	}
	if (!ASSERT_GE(h_events_poll(h), 0, "drain ring buffer"))
		goto out;
	records += h->nevents + h->events_overflow;
	ok = ASSERT_EQ(h_now_ns() / H_NS_PER_SEC, second, "second at the last SYN");
	ok &= ASSERT_EQ(records, ADM_EVENTS_PER_SEC, "ring buffer records");
	fd = h_map_fd(h, ADM_MAP_EVBUDGET);
	ok &= ASSERT_OK(fd < 0 ? fd : bpf_map_lookup_elem(fd, &zero, budget) ? -errno : 0,
			"read adm_evbudget");
	ok &= ASSERT_EQ(budget[cpu].suppressed, 1, "adm_evbudget.suppressed on the pinned CPU");
	ok &= ASSERT_EQ(budget[cpu].lost, 0, "adm_evbudget.lost");
	ok &= ASSERT_OK(h_stats_read(h, after), "read adm_stats");
	ok &= ASSERT_EQ(after[idx].packets - before[idx].packets, n,
			"reject/breaker_open packets: every SYN counted");
out:
	sched_setaffinity(0, sizeof(saved), &saved);
	free(budget);
	return ok;
}

/*
 * Wakeups of the ring buffer's reader (ADM_EVENTS_WAKE_BYTES): a sampled
 * decision does not wake an epoll waiting on adm_events (admd drains on a
 * timer) until the unread bytes reach the threshold; the record that
 * takes them there wakes it. Records are kept unread, refusals of
 * distinct sources on one CPU, ADM_EVENTS_PER_SEC a second.
 */
static bool test_event_wakeup(struct h_ctx *h)
{
	const struct fixture fx = {
		.svc = SERVICE(), .state = { .breaker = ADM_BRK_OPEN },
	};
	const __u64 rec = (sizeof(struct adm_event) + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	const int wake_at = (ADM_EVENTS_WAKE_BYTES + rec - 1) / rec;	/* the record that wakes */
	struct epoll_event ev = { .events = EPOLLIN };
	cpu_set_t saved, one;
	char what[128];
	int i, ep = -1, woke_at = 0, sent = 0, drained;
	bool ok = false;

	if (!setup_fixture(h, &fx) || !ASSERT_GE(h_events_poll(h), 0, "drain ring buffer"))
		return false;
	h_events_clear(h);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(saved), &saved) ? -errno : 0, "get affinity") ||
	    !ASSERT_OK(sched_setaffinity(0, sizeof(one), &one) ? -errno : 0, "pin to one CPU"))
		return false;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!ASSERT_OK(ep < 0 ? -errno : 0, "epoll_create1") ||
	    !ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, h->fd_events, &ev) ? -errno : 0,
		       "watch adm_events"))
		goto out;
	/* Budgets renew each second: ADM_EVENTS_PER_SEC records a second, kept unread. */
	for (i = 0; !woke_at && i < wake_at + 2 * ADM_EVENTS_PER_SEC; i++) {
		if (i % ADM_EVENTS_PER_SEC == 0)
			wait_new_second();
		if (!reject_distinct(h, i))
			goto out;
		sent++;
		if (epoll_wait(ep, &ev, 1, 0) > 0)
			woke_at = sent;
	}
	drained = h_events_poll(h);
	snprintf(what, sizeof(what), "the first wakeup came with record %d (%d bytes a record, threshold %d)",
		 wake_at, (int)rec, ADM_EVENTS_WAKE_BYTES);
	ok = ASSERT_EQ(woke_at, wake_at, what);
	ok &= ASSERT_EQ(drained, sent, "every record was in the ring, none lost");
out:
	if (ep >= 0)
		close(ep);
	sched_setaffinity(0, sizeof(saved), &saved);
	h_events_clear(h);
	return ok;
}

/* One SYN of `spec`: its XDP action, and the adm_stats delta of (verdict, reason). */
static bool reply_step(struct h_ctx *h, const struct pkt_spec *spec, __u32 action,
		       __u32 verdict, __u32 reason, const char *what)
{
	static struct h_result r;
	struct adm_stat before, after;
	__u8 f[PKT_MAX_LEN];
	int len = pkt_build(spec, f, sizeof(f), NULL, NULL, 0);
	bool ok;

	ok = ASSERT_TRUE(len > 0, what) &&
	     ASSERT_OK(h_stat(h, SVC_ID, verdict, reason, &before), what) &&
	     ASSERT_OK(h_run(h, h->xdp_fd, f, len, 1, &r), what) &&
	     ASSERT_ACTION(r.action, action, what) &&
	     ASSERT_OK(h_stat(h, SVC_ID, verdict, reason, &after), what);
	return ok && ASSERT_EQ(after.packets - before.packets, 1, what);
}

/*
 * reply: a refused SYN passes with its flow in adm_reply while the
 * responder's heartbeat is fresh and it is not full; otherwise the RST of
 * reject, counted as reject and in adm_reply_ctl. Shadow mode counts
 * would_reply and records nothing; on_breaker = reply answers an open
 * breaker the same way.
 */
static bool test_reply_steer(struct h_ctx *h)
{
	const struct fixture fx = {
		.svc = SERVICE(.on_rate = ADM_A_REPLY, .syn = PER_MIN(1, 1)),
	};
	struct pkt_spec syn4 = SYN4(), syn6 = SYN6();
	int cfd = h_map_fd(h, ADM_MAP_REPLY_CTL), rfd = h_map_fd(h, ADM_MAP_REPLY);
	struct adm_reply_ctl ctl = {};
	struct adm_reply_flow flow;
	struct adm_flow_key k = {};
	struct adm_state st = {};
	__u32 zero = 0;
	bool ok;

	if (!setup_fixture(h, &fx) || !ASSERT_GE(cfd, 0, "adm_reply_ctl fd") ||
	    !ASSERT_GE(rfd, 0, "adm_reply fd"))
		return false;
	ok = reply_step(h, &syn4, XDP_PASS, ADM_V_PASS, ADM_R_NONE, "first SYN: the burst");
	/* No heartbeat yet: the responder is down. */
	ok &= reply_step(h, &syn4, XDP_TX, ADM_V_REJECT, ADM_R_RATE_SOURCE,
			 "responder down: reply is sent as reject");
	ok &= ASSERT_EQ(h_map_count(h, ADM_MAP_REPLY), 0, "adm_reply entries, responder down");
	ok &= ASSERT_OK(bpf_map_lookup_elem(cfd, &zero, &ctl) ? -errno : 0, "read adm_reply_ctl");
	ctl.alive_until_ns = h_now_ns() + MINUTE_NS;
	ok &= ASSERT_OK(bpf_map_update_elem(cfd, &zero, &ctl, BPF_ANY) ? -errno : 0,
			"heartbeat");
	ok &= reply_step(h, &syn4, XDP_PASS, ADM_V_REPLY, ADM_R_RATE_SOURCE,
			 "responder alive: reply passes the SYN");
	k.saddr[2] = k.daddr[2] = htonl(0xffff);
	inet_pton(AF_INET, PKT_DEF_SRC4, &k.saddr[3]);
	inet_pton(AF_INET, PKT_DEF_DST4, &k.daddr[3]);
	k.sport = PKT_DEF_SPORT;
	k.dport = SVC_PORT;
	ok &= ASSERT_OK(bpf_map_lookup_elem(rfd, &k, &flow) ? -errno : 0,
			"adm_reply holds the IPv4 flow (mapped addresses, host-order ports)");
	ok &= ASSERT_EQ(flow.service, SVC_ID, "adm_reply: service");
	ok &= ASSERT_EQ(flow.reason, ADM_R_RATE_SOURCE, "adm_reply: reason");
	ok &= ASSERT_OK(bpf_map_lookup_elem(cfd, &zero, &ctl) ? -errno : 0, "read adm_reply_ctl");
	ok &= ASSERT_EQ(ctl.in_use, 1, "adm_reply_ctl.in_use set by the first recorded flow");
	ok &= reply_step(h, &syn6, XDP_PASS, ADM_V_PASS, ADM_R_NONE, "IPv6 source: its burst");
	ok &= reply_step(h, &syn6, XDP_PASS, ADM_V_REPLY, ADM_R_RATE_SOURCE, "IPv6: reply");
	memset(&k, 0, sizeof(k));
	inet_pton(AF_INET6, PKT_DEF_SRC6, k.saddr);
	inet_pton(AF_INET6, PKT_DEF_DST6, k.daddr);
	k.sport = PKT_DEF_SPORT;
	k.dport = SVC_PORT;
	ok &= ASSERT_OK(bpf_map_lookup_elem(rfd, &k, &flow) ? -errno : 0,
			"adm_reply holds the IPv6 flow");

	ok &= ASSERT_OK(bpf_map_lookup_elem(cfd, &zero, &ctl) ? -errno : 0, "read adm_reply_ctl");
	ctl.full = 1;
	ok &= ASSERT_OK(bpf_map_update_elem(cfd, &zero, &ctl, BPF_ANY) ? -errno : 0, "full");
	ok &= reply_step(h, &syn4, XDP_TX, ADM_V_REJECT, ADM_R_RATE_SOURCE,
			 "responder full: reply is sent as reject");
	ok &= ASSERT_OK(bpf_map_lookup_elem(cfd, &zero, &ctl) ? -errno : 0, "read adm_reply_ctl");
	ok &= ASSERT_EQ(ctl.fallback_down, 1, "adm_reply_ctl.fallback_down");
	ok &= ASSERT_EQ(ctl.fallback_full, 1, "adm_reply_ctl.fallback_full");

	ctl.full = 0;
	ok &= ASSERT_OK(bpf_map_update_elem(cfd, &zero, &ctl, BPF_ANY) ? -errno : 0, "not full");
	ok &= ASSERT_OK(bpf_map_delete_elem(rfd, &k) ? -errno : 0, "clear the IPv6 flow");
	st.shadow = 1;
	ok &= ASSERT_OK(h_set_state(h, SVC_ID, &st), "shadow mode");
	ok &= reply_step(h, &syn6, XDP_PASS, ADM_V_WOULD_REPLY, ADM_R_RATE_SOURCE,
			 "shadow: would_reply");
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(rfd, &k, &flow) && errno == ENOENT,
			  "shadow: no flow recorded");

	st.shadow = 0;
	st.breaker = ADM_BRK_OPEN;
	ok &= ASSERT_OK(h_set_state(h, SVC_ID, &st), "breaker open");
	ok &= reply_step(h, &syn6, XDP_TX, ADM_V_REJECT, ADM_R_BREAKER_OPEN,
			 "breaker open, on_breaker unset: reject");
	{
		struct adm_service svc = SERVICE(.on_rate = ADM_A_REPLY, .syn = PER_MIN(1, 1),
						 .on_breaker = ADM_A_REPLY);

		ok &= ASSERT_OK(h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, &svc),
				"on_breaker = reply");
	}
	ok &= reply_step(h, &syn6, XDP_PASS, ADM_V_REPLY, ADM_R_BREAKER_OPEN,
			 "breaker open, on_breaker = reply: reply");
	return ok;
}

/*
 * issue 9 item 5: expired entries must not pile up until adds fail.
 * Fill adm_deny to ADM_MAX_CIDRS with entries that expired a second ago:
 * one more add still succeeds (the full list drops its expired entries
 * first), and an expiry pass leaves only unexpired entries.
 */
static bool test_cidr_expiry_sweep(struct h_ctx *h)
{
	int gfd = h_map_fd(h, ADM_MAP_GLOBAL);
	__u64 past = h_now_ns() - EXPIRED_AGO_NS;
	struct adm_lpm_key k = { .prefixlen = 128 };
	bool ok = true;
	int i;

	if (!ASSERT_OK(h_reset(h), "reset maps") || !ASSERT_GE(gfd, 0, "adm_global fd"))
		return false;
	for (i = 0; i < ADM_MAX_CIDRS; i++) {
		/* 10.77.x.y and beyond in the mapped space: distinct /128s. */
		k.addr[2] = htonl(0x0000ffff);
		k.addr[3] = htonl(0x0a4d0000 + i);
		if (!ASSERT_OK(adm_cidr_add_fd(h->fd_deny, gfd, 0, &k, past), "fill adm_deny"))
			return false;
	}
	ok &= ASSERT_EQ(h_map_count(h, ADM_MAP_DENY), ADM_MAX_CIDRS, "adm_deny is full");
	k.addr[3] = htonl(0x0a4e0001);
	ok &= ASSERT_OK(adm_cidr_add_fd(h->fd_deny, gfd, 0, &k, h_now_ns() + EXPIRY_SLACK_NS),
			"add to a list full of expired entries");
	ok &= ASSERT_EQ(h_map_count(h, ADM_MAP_DENY), 1, "only the unexpired entry is left");
	k.addr[3] = htonl(0x0a4e0002);
	ok &= ASSERT_OK(adm_cidr_add_fd(h->fd_deny, gfd, 0, &k, past), "add one expired entry");
	ok &= ASSERT_EQ(adm_cidr_expire_fd(h->fd_deny, h_now_ns()), 1, "expiry pass deletes it");
	ok &= ASSERT_EQ(h_map_count(h, ADM_MAP_DENY), 1, "the unexpired entry stays");
	return ok;
}

int main(void)
{
	struct adm_stat *before = NULL, *after = NULL;
	struct h_ctx h;
	char why[256];
	int err, i;

	err = h_open(&h, why, sizeof(why));
	if (err == H_SKIP) {
		tap_plan(1);
		tap_skip("adm_xdp loads", "no BPF privilege (%s; run as root or with "
			 "CAP_BPF and CAP_NET_ADMIN)", why);
		return 0;
	}
	tap_plan(1 + 3 + N_FIXTURES + 4);
	if (err) {
		tap_diag("%s", why);
		tap_result(false, "adm_xdp loads");
		return 1;
	}
	tap_result(true, "adm_xdp loads");

	tap_result(test_csum_known_answer(), "pkt: checksum known answer");
	tap_result(test_builder_layout(), "pkt: VLAN, IPv4 options, TCP options layout");
	tap_result(test_builder_csums(), "pkt: checksums of built frames verify, corruption caught");

	before = calloc(ADM_STATS_ENTRIES, sizeof(*before));
	after = calloc(ADM_STATS_ENTRIES, sizeof(*after));
	if (!before || !after) {
		fprintf(stderr, "test_xdp: out of memory\n");
		err = 1;
		goto out;
	}
	for (i = 0; i < N_FIXTURES; i++) {
		switch (run_fixture(&h, &fixtures[i], before, after, why, sizeof(why))) {
		case FX_SKIP:
			tap_skip(fixtures[i].desc, "%s", why);
			break;
		case FX_PASS:
			tap_result(true, "%s", fixtures[i].desc);
			break;
		default:
			tap_result(false, "%s", fixtures[i].desc);
			break;
		}
	}
	tap_result(test_event_budget(&h, before, after),
		   "events: at most ADM_EVENTS_PER_SEC records per CPU per second");
	tap_result(test_event_wakeup(&h),
		   "events: a sampled decision wakes admd only once ADM_EVENTS_WAKE_BYTES are unread");
	tap_result(test_reply_steer(&h),
		   "reply: SYN passed and its flow recorded; reject while the responder is down or full");
	tap_result(test_cidr_expiry_sweep(&h),
		   "expiry: a list full of expired entries still takes an add; the sweep deletes them");
	err = tap_failures() ? 1 : 0;
out:
	free(before);
	free(after);
	h_close(&h);
	return err;
}
