// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parsing of numbers, rates, durations and CIDRs, formatting of addresses,
 * and the names of the shared enums. No allocation, no global state: every
 * parser writes its output only on success.
 */
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "adm/gcra.h"
#include "util.h"

#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL
#define SEC_PER_MIN	60ULL
#define SEC_PER_HOUR	3600ULL
#define SEC_PER_DAY	86400ULL

#define V4_BITS		32
#define V6_BITS		128
#define WORD_BITS	32
#define V4MAPPED_BITS	96	/* ::ffff:0:0/96 */
#define V4MAPPED_WORD	2	/* addr[2] holds 0x0000ffff */
#define V4_WORD		3	/* addr[3] holds the IPv4 address */
#define V4MAPPED_MARK	0x0000ffffU
#define CIDR_TEXT_MAX	(INET6_ADDRSTRLEN + sizeof("/128"))

/* Decimal digits only, at least one. */
static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int adm_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out)
{
	__u64 v = 0;
	const char *p;

	if (!s || !all_digits(s))
		return -1;
	for (p = s; *p; p++) {
		unsigned int d = *p - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Split "NUMBER[SUFFIX]" into its leading digits (copied into num, at most
 * numlen - 1 of them) and a pointer to the suffix. -1 when there are no
 * digits or too many to be a __u64.
 */
static int split_number(const char *s, char *num, size_t numlen,
			const char **suffix)
{
	size_t n = strspn(s, "0123456789");

	if (!n || n >= numlen)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	*suffix = s + n;
	return 0;
}

/* Room for the digits of UINT64_MAX and a NUL. */
#define U64_DIGITS_MAX	(sizeof("18446744073709551615"))

int adm_parse_rate(const char *s, struct adm_rate *out)
{
	static const struct { const char *name; __u64 ns; } units[] = {
		{ "s", NSEC_PER_SEC },
		{ "sec", NSEC_PER_SEC },
		{ "m", SEC_PER_MIN * NSEC_PER_SEC },
		{ "min", SEC_PER_MIN * NSEC_PER_SEC },
	};
	char num[U64_DIGITS_MAX];
	const char *unit;
	__u64 count;
	size_t i;

	if (!s)
		return -1;
	if (!strcmp(s, "off") || !strcmp(s, "0")) {
		out->count = 0;
		out->period_ns = 0;
		return 0;
	}
	if (split_number(s, num, sizeof(num), &unit) || *unit != '/')
		return -1;
	if (adm_parse_u64(num, 1, ADM_RATE_COUNT_MAX, &count))
		return -1;
	unit++;
	for (i = 0; i < ADM_ARRAY_SIZE(units); i++) {
		if (!strcmp(unit, units[i].name)) {
			out->count = count;
			out->period_ns = units[i].ns;
			return 0;
		}
	}
	return -1;
}

int adm_parse_duration(const char *s, __u64 *ns)
{
	static const struct { const char *name; __u64 ns; } units[] = {
		{ "", NSEC_PER_SEC },		/* plain seconds */
		{ "ms", NSEC_PER_MSEC },
		{ "s", NSEC_PER_SEC },
		{ "m", SEC_PER_MIN * NSEC_PER_SEC },
		{ "h", SEC_PER_HOUR * NSEC_PER_SEC },
		{ "d", SEC_PER_DAY * NSEC_PER_SEC },
	};
	char num[U64_DIGITS_MAX];
	const char *unit;
	__u64 n;
	size_t i;

	if (!s || split_number(s, num, sizeof(num), &unit))
		return -1;
	if (adm_parse_u64(num, 1, UINT64_MAX, &n))
		return -1;
	for (i = 0; i < ADM_ARRAY_SIZE(units); i++) {
		if (strcmp(unit, units[i].name))
			continue;
		if (n > UINT64_MAX / units[i].ns)
			return -1;
		*ns = n * units[i].ns;
		return 0;
	}
	return -1;
}

/* Host-order mask of the first `bits` (0..32) bits of a word. */
static __u32 word_mask(__u32 bits)
{
	return bits >= WORD_BITS ? 0xffffffffU :
	       bits ? ~((1U << (WORD_BITS - bits)) - 1) : 0;
}

static int is_v4mapped(const __u32 addr[4])
{
	return !addr[0] && !addr[1] && addr[V4MAPPED_WORD] == htonl(V4MAPPED_MARK);
}

int adm_addr_is_v4(const __u32 addr[4])
{
	return is_v4mapped(addr);
}

void adm_addr_mask(__u32 addr[4], unsigned int prefix_len)
{
	unsigned int bits = is_v4mapped(addr) ? prefix_len + V4MAPPED_BITS : prefix_len;
	unsigned int i, keep;

	for (i = 0; i < 4; i++) {
		keep = bits > 32 * i ? bits - 32 * i : 0;
		if (keep >= 32)
			continue;
		addr[i] = keep ? addr[i] & htonl(~0U << (32 - keep)) : 0;
	}
}

int adm_parse_cidr(const char *s, struct adm_lpm_key *key)
{
	struct adm_lpm_key k = {};
	char text[CIDR_TEXT_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	__u32 bits, i;
	__u64 plen;
	char *slash;

	if (!s || strlen(s) >= sizeof(text))
		return -1;
	strcpy(text, s);
	slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, text, &a4) == 1) {
		bits = V4_BITS;
		k.addr[V4MAPPED_WORD] = htonl(V4MAPPED_MARK);
		k.addr[V4_WORD] = a4.s_addr;
	} else if (inet_pton(AF_INET6, text, &a6) == 1) {
		bits = V6_BITS;
		memcpy(k.addr, &a6, sizeof(k.addr));
	} else {
		return -1;
	}
	plen = bits;
	if (slash && adm_parse_u64(slash + 1, 0, bits, &plen))
		return -1;
	k.prefixlen = (bits == V4_BITS ? V4MAPPED_BITS : 0) + plen;

	/* Host bits must be zero: "10.0.0.1/8" is a typo, not a network. */
	for (i = 0; i < ADM_ARRAY_SIZE(k.addr); i++) {
		__u32 used = k.prefixlen > i * WORD_BITS ?
			     k.prefixlen - i * WORD_BITS : 0;

		if (ntohl(k.addr[i]) & ~word_mask(used))
			return -1;
	}
	*key = k;
	return 0;
}

char *adm_format_cidr(const struct adm_lpm_key *key, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (is_v4mapped(key->addr) && key->prefixlen >= V4MAPPED_BITS) {
		inet_ntop(AF_INET, &key->addr[V4_WORD], addr, sizeof(addr));
		snprintf(buf, len, "%s/%u", addr, key->prefixlen - V4MAPPED_BITS);
	} else {
		inet_ntop(AF_INET6, key->addr, addr, sizeof(addr));
		snprintf(buf, len, "%s/%u", addr, key->prefixlen);
	}
	return buf;
}

char *adm_format_addr(const __u32 addr[4], char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (is_v4mapped(addr))
		inet_ntop(AF_INET, &addr[V4_WORD], text, sizeof(text));
	else
		inet_ntop(AF_INET6, addr, text, sizeof(text));
	snprintf(buf, len, "%s", text);
	return buf;
}

/* A tick of HZ=100, the coarsest common kernel, if clock_getres fails. */
#define ADM_CLOCK_TICK_FALLBACK_NS	10000000ULL

struct adm_gcra adm_rate_to_gcra(const struct adm_rate *r, __u32 burst)
{
	struct adm_gcra g = {};

	if (!r->count)
		return g;
	/* A rate finer than 1/ns must still limit: emission 0 means "off". */
	g.emission_ns = r->period_ns / r->count ? r->period_ns / r->count : 1;
	if (!burst)
		burst = r->count > ADM_BURST_MAX ? ADM_BURST_MAX : r->count;
	if (burst > ADM_BURST_MAX)
		burst = ADM_BURST_MAX;
	g.tau_ns = adm_gcra_tau(g.emission_ns, burst);
	return g;
}

/* Index = enum value: a renumbered enum cannot silently shift the names. */
static const char *const verdict_names[ADM_V__MAX] = {
	[ADM_V_PASS] = "pass",
	[ADM_V_DROP] = "drop",
	[ADM_V_DEFER] = "defer",
	[ADM_V_REJECT] = "reject",
	[ADM_V_WOULD_DROP] = "would_drop",
	[ADM_V_WOULD_DEFER] = "would_defer",
	[ADM_V_WOULD_REJECT] = "would_reject",
	[ADM_V_REPLY] = "reply",
	[ADM_V_WOULD_REPLY] = "would_reply",
};

static const char *const reason_names[ADM_R__MAX] = {
	[ADM_R_NONE] = "none",
	[ADM_R_DENY_LIST] = "deny_list",
	[ADM_R_RATE_SOURCE] = "rate_source",
	[ADM_R_RATE_PREFIX_UNVERIFIED] = "rate_prefix_unverified",
	[ADM_R_RATE_NEW_SOURCES] = "rate_new_sources",
	[ADM_R_CONC_GLOBAL] = "conc_global",
	[ADM_R_CONC_SOURCE] = "conc_source",
	[ADM_R_BREAKER_OPEN] = "breaker_open",
	[ADM_R_DEGRADED] = "degraded",
	[ADM_R_MALFORMED] = "malformed",
	[ADM_R_GLOBAL_BLOCK] = "global_block",
	[ADM_R_RATE_PACKET] = "rate_packet",
	[ADM_R_ALLOW_LIST] = "allow_list",
	[ADM_R_IDLE] = "idle",
	[ADM_R_LIFETIME] = "lifetime",
	[ADM_R_FLOW] = "flow",
};

static const char *const action_names[ADM_A__MAX] = {
	[ADM_A_NONE] = "none",
	[ADM_A_DROP] = "drop",
	[ADM_A_DEFER] = "defer",
	[ADM_A_REJECT] = "reject",
	[ADM_A_REPLY] = "reply",
};

static const char *const priority_names[ADM_PRIO__MAX] = {
	[ADM_PRIO_SHEDDABLE] = "sheddable",
	[ADM_PRIO_NORMAL] = "normal",
	[ADM_PRIO_CRITICAL] = "critical",
};

static const char *const fp_mode_names[ADM_FP__MAX] = {
	[ADM_FP_IP] = "ip",
	[ADM_FP_PREFIX] = "prefix",
	[ADM_FP_SYN] = "syn",
};

/* names[v], or "?" for a value past the table or a hole in it. */
static const char *name_of(const char *const *names, unsigned int n,
			   unsigned int v)
{
	return v < n && names[v] ? names[v] : "?";
}

/* Index of name in names, or -1. */
static int lookup(const char *const *names, unsigned int n, const char *name)
{
	unsigned int i;

	if (!name)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -1;
}

const char *adm_verdict_name(unsigned int v)
{
	return name_of(verdict_names, ADM_ARRAY_SIZE(verdict_names), v);
}

const char *adm_reason_name(unsigned int r)
{
	return name_of(reason_names, ADM_ARRAY_SIZE(reason_names), r);
}

const char *adm_action_name(unsigned int a)
{
	return name_of(action_names, ADM_ARRAY_SIZE(action_names), a);
}

const char *adm_priority_name(unsigned int p)
{
	return name_of(priority_names, ADM_ARRAY_SIZE(priority_names), p);
}

const char *adm_fp_mode_name(unsigned int m)
{
	return name_of(fp_mode_names, ADM_ARRAY_SIZE(fp_mode_names), m);
}

int adm_action_lookup(const char *name)
{
	return lookup(action_names, ADM_ARRAY_SIZE(action_names), name);
}

int adm_priority_lookup(const char *name)
{
	return lookup(priority_names, ADM_ARRAY_SIZE(priority_names), name);
}

int adm_fp_mode_lookup(const char *name)
{
	return lookup(fp_mode_names, ADM_ARRAY_SIZE(fp_mode_names), name);
}

int adm_parse_hostport(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	__u64 port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		if (adm_parse_u64(end + 2, 1, 65535, &port) ||
		    inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -1;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (adm_parse_u64(colon + 1, 1, 65535, &port) ||
		    inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
	}
	return 0;
}

__u64 adm_clock_tick_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res))
		return ADM_CLOCK_TICK_FALLBACK_NS;
	return (__u64)res.tv_sec * 1000000000ULL + (__u64)res.tv_nsec;
}

struct adm_gcra adm_rate_to_gcra_dp(const struct adm_rate *r, __u32 burst)
{
	struct adm_gcra g = adm_rate_to_gcra(r, burst);
	__u64 tick = adm_clock_tick_ns();

	if (g.emission_ns && g.tau_ns < tick)
		g.tau_ns = tick;
	return g;
}
