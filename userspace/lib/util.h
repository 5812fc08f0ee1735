/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsing of numbers, rates, durations and CIDRs shared by admd and admctl. */
#ifndef ADM_UTIL_H
#define ADM_UTIL_H

#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"
#include "config.h"

#define ADM_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define ADM_RATE_COUNT_MAX	1000000000	/* N in "N/s", "N/m" */
#define ADM_BURST_MAX		1000000		/* events in one burst */

/* Decimal integer in [min, max], whole string, no sign tricks. 0 or -1. */
int adm_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out);

/* "N/s" or "N/m" (also "N/sec", "N/min"), 1 <= N <= 10^9; "off" or "0" -> count 0. 0 or -1. */
int adm_parse_rate(const char *s, struct adm_rate *out);

/* "250ms", "30s", "5m", "2h", "1d" or plain seconds -> ns, > 0. 0 or -1. */
int adm_parse_duration(const char *s, __u64 *ns);

/*
 * "10.0.0.0/8", "2001:db8::/32", or a bare address (/32, /128) -> LPM key
 * on the IPv4-mapped IPv6 space (IPv4 /N becomes /96+N). Host bits must be
 * zero. 0 or -1.
 */
int adm_parse_cidr(const char *s, struct adm_lpm_key *key);

/* Inverse of adm_parse_cidr into buf ("10.0.0.0/8"). Returns buf. */
char *adm_format_cidr(const struct adm_lpm_key *key, char *buf, size_t len);

/* IPv4-mapped or IPv6 address words -> text. Returns buf. */
char *adm_format_addr(const __u32 addr[4], char *buf, size_t len);
/* Is addr (network order words) IPv4-mapped? */
int adm_addr_is_v4(const __u32 addr[4]);
/*
 * Clear the host bits of addr past prefix_len, counted in its own family
 * (0..32 for an IPv4-mapped address, which keeps its mapping; 0..128).
 */
void adm_addr_mask(__u32 addr[4], unsigned int prefix_len);

struct sockaddr_storage;
/* "ADDR:PORT" or "[ADDR6]:PORT" (numeric, port 1..65535) -> sockaddr. 0 or -1. */
int adm_parse_hostport(const char *s, struct sockaddr_storage *ss);

/* Rate -> GCRA parameters for a burst (burst 0 -> count). */
struct adm_gcra adm_rate_to_gcra(const struct adm_rate *r, __u32 burst);

/*
 * The same for the data plane, whose clock has tick resolution
 * (bpf/lib/clock.h): a tolerance below one tick would let a source through
 * at most tau/emission + 1 times a tick, under its rate, so tau is raised
 * to one tick. Long-run rates stay exact; bursts may exceed the configured
 * one by up to a tick's worth of the rate.
 */
struct adm_gcra adm_rate_to_gcra_dp(const struct adm_rate *r, __u32 burst);

/* Resolution of CLOCK_MONOTONIC_COARSE in ns (the kernel tick). */
__u64 adm_clock_tick_ns(void);

/* Names of enum values, "?" when out of range; lookups return -1 when unknown. */
const char *adm_verdict_name(unsigned int v);
const char *adm_reason_name(unsigned int r);
const char *adm_action_name(unsigned int a);
const char *adm_priority_name(unsigned int p);
const char *adm_fp_mode_name(unsigned int m);
int adm_action_lookup(const char *name);
int adm_priority_lookup(const char *name);
int adm_fp_mode_lookup(const char *name);

#endif /* ADM_UTIL_H */
