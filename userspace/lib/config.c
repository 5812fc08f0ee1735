// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd configuration: an INI file parsed by inih into struct adm_config and
 * validated in full; the first problem found is reported in one sentence,
 * "FILE:LINE: [SECTION] KEY = 'VALUE': PROBLEM; allowed: RANGE".
 *
 * inih is fed one line at a time by our own reader (ini_parse_stream). The
 * reader gives us what inih as built by Debian does not (INI_HANDLER_LINENO
 * and INI_CALL_HANDLER_ON_NEW_SECTION are both 0 there):
 *  - the line number of every key: inih reads exactly one line per reader
 *    call, so the reader's count is inih's;
 *  - every section header, with its line, even for an empty or repeated
 *    section, and with its full name (inih truncates names to 49 bytes);
 *  - an error, instead of a silently split line, for a line longer than
 *    inih's buffer.
 * It also strips indentation, so an indented key is always a key and never
 * a continuation of the previous value (INI_ALLOW_MULTILINE). The handler
 * never fails inih: its errors live in the parse context, and inih's own
 * return value is left to report only lines it cannot parse at all.
 */
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "util.h"

#define CFG_FILE_MAX		(1 << 20)	/* bytes in a config file */
#define CFG_MAX_KEYS		48		/* keys in one section's table */
#define CFG_SHOW_MAX		64		/* characters of a value quoted in an error */
#define CFG_MSG_MAX		256		/* one part of an error message */
#define CFG_PORT_ITEM_MAX	32		/* "65535-65535/udp" and then some */
#define CFG_UTF8_BOM		"\xef\xbb\xbf"

#define CFG_PORT_MIN		1
#define CFG_PORT_MAX		65535
#define CFG_CONN_LIMIT_MAX	10000000
#define CFG_FP_CONN_LIMIT_MAX	1000000
#define CFG_V4_PREFIX_MAX	32
#define CFG_V6_PREFIX_MAX	128
#define CFG_V4_PREFIX_IP	32	/* fingerprint = ip|syn: the address */
#define CFG_V6_PREFIX_IP	64	/* ... and the IPv6 /64 an end host gets */
#define CFG_V4_PREFIX_COARSE	24	/* fingerprint = prefix */
#define CFG_V6_PREFIX_COARSE	48
#define CFG_UNV_V4_PREFIX	24	/* grouping of unverified sources */
#define CFG_UNV_V6_PREFIX	48
#define CFG_RECONCILE_MS	1000	/* socket table recount period */
#define CFG_RECONCILE_MS_MIN	10
#define CFG_RECONCILE_MS_MAX	60000
#define CFG_FILTER_REBUILD_S	60	/* adm_src_filter forgets deleted keys this often */
#define CFG_FILTER_REBUILD_S_MIN 1
#define CFG_FILTER_REBUILD_S_MAX 3600
#define CFG_MAX_SVCS		(ADM_MAX_SERVICES - 1)	/* id 0 = no service */
#define CFG_RS_PORT		6379	/* [redis] port */
#define CFG_RS_CLUSTER		"adm"	/* [redis] cluster */
#define CFG_RS_INTERVAL_MS	100	/* [redis] sync_interval_ms */
#define CFG_RS_INTERVAL_MIN	10
#define CFG_RS_INTERVAL_MAX	10000
#define CFG_RS_TIMEOUT_MS	50	/* [redis] timeout_ms */
#define CFG_RS_TIMEOUT_MIN	1
#define CFG_RS_TIMEOUT_MAX	10000
#define CFG_RS_TTL_INTERVALS	10	/* default node_ttl_ms: 10 intervals ... */
#define CFG_RS_TTL_MIN_MS	1000	/* ... and at least 1 s */
#define CFG_RS_TTL_MAX_MS	600000
#define CFG_RS_NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define CFG_RS_HOST_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:"

#define CFG_REPLY_RETRY_AFTER	5	/* [reply] retry_after, s */
#define CFG_REPLY_RETRY_MAX	86400
#define CFG_REPLY_JITTER	5	/* [reply] retry_after_jitter, s */
#define CFG_REPLY_JITTER_MAX	3600
#define CFG_REPLY_MAX		256	/* [reply] reply_max */
#define CFG_REPLY_MAX_MAX	ADM_REPLY_MAX_LIMIT
#define CFG_REPLY_TIMEOUT_NS	(2 * ADM_NS_PER_SEC_CFG)
#define CFG_REPLY_TIMEOUT_MIN	(100 * ADM_NS_PER_MS_CFG)
#define CFG_REPLY_TIMEOUT_MAX	(60 * ADM_NS_PER_SEC_CFG)
#define ADM_NS_PER_MS_CFG	1000000ULL
#define ADM_NS_PER_SEC_CFG	1000000000ULL
#define CFG_TLS_PORT		443	/* tls = auto: a service on this TCP port speaks TLS */

#define CFG_DB_PORT		3306
#define CFG_DB_BATCH_ROWS	1000
#define CFG_DB_BATCH_ROWS_MAX	100000
#define CFG_DB_BATCH_MS		200
#define CFG_DB_BATCH_MS_MAX	60000
#define CFG_DB_SPOOL_MB		1024
#define CFG_DB_SPOOL_MB_MIN	16		/* two segments and the audit reserve */
#define CFG_DB_SPOOL_MB_MAX	1048576		/* 1 TiB */
#define CFG_DB_CONNECT_MS	5000
#define CFG_DB_IO_MS		10000
#define CFG_DB_TIMEOUT_MS_MIN	1000		/* Connector/C counts whole seconds */
#define CFG_DB_TIMEOUT_MS_MAX	600000
#define CFG_DB_AGG_MS		1000
#define CFG_DB_AGG_MS_MAX	60000

/* Breaker, adaptive limit (struct adm_brk_config). */
#define CFG_NS_PER_MS		1000000ULL
#define CFG_NS_PER_S		(1000 * CFG_NS_PER_MS)
#define CFG_NS_PER_H		(3600 * CFG_NS_PER_S)
#define CFG_CONN_AUTO_MIN	2	/* conn_limit_min default */
#define CFG_CONN_AUTO_MAX	1000	/* conn_limit_max default */
#define CFG_BRK_LATENCY_MIN	CFG_NS_PER_MS
#define CFG_BRK_LATENCY_MAX	(60 * CFG_NS_PER_S)
#define CFG_BRK_QUEUE_MAX	1000000
#define CFG_BRK_WINDOW		(5 * CFG_NS_PER_S)
#define CFG_BRK_WINDOW_MIN	(250 * CFG_NS_PER_MS)	/* one breaker tick */
#define CFG_BRK_COOLDOWN	(10 * CFG_NS_PER_S)
#define CFG_BRK_COOLDOWN_MIN	CFG_NS_PER_S
#define CFG_BRK_PERIOD_MAX	CFG_NS_PER_H
#define CFG_BRK_PERMILLE	100
#define CFG_BRK_PERMILLE_MAX	999
#define CFG_PROBE_INTERVAL	CFG_NS_PER_S
#define CFG_PROBE_INTERVAL_MIN	(100 * CFG_NS_PER_MS)
#define CFG_PROBE_TIMEOUT	(500 * CFG_NS_PER_MS)
#define CFG_PROBE_TIMEOUT_MIN	(10 * CFG_NS_PER_MS)
#define CFG_PROBE_TIMEOUT_MAX	(60 * CFG_NS_PER_S)
#define CFG_PROBE_TCP		"tcp:"
#define CFG_PROBE_HTTP		"http://"

#define CFG_MODE_ENFORCE	0	/* [adm] mode values, stored in cfg->shadow */
#define CFG_MODE_SHADOW		1
#define CFG_NO			0	/* yes/no values */
#define CFG_YES			1

#define CFG_STR(x)		#x
#define CFG_XSTR(x)		CFG_STR(x)
#define CFG_PORTS_ALLOWED \
	"comma-separated PORT, PORT/tcp, PORT/udp, LO-HI or LO-HI/udp " \
	"with ports " CFG_XSTR(CFG_PORT_MIN) ".." CFG_XSTR(CFG_PORT_MAX)

enum cfg_section {
	CFG_SEC_NONE = 0,	/* before the first header */
	CFG_SEC_SERVICE,	/* [service NAME], any number */
	CFG_SEC_TOP,		/* a once-only section of cfg_sections[] */
};

#define CFG_MAX_SECTIONS	16	/* rows of cfg_sections[] */

struct cfg_ctx;
struct cfg_key;
struct cfg_section_def;

/*
 * Parses value into field (a member of struct adm_config or of the current
 * struct adm_svc_config). Returns 0, or -1 with ctx->problem and
 * ctx->allowed filled. Every parser refuses an empty value.
 */
typedef int (*cfg_parse_fn)(struct cfg_ctx *ctx, const struct cfg_key *k,
			    void *field, const char *value);

struct cfg_key {
	const char *name;
	cfg_parse_fn parse;
	size_t off;			/* field offset in the section's struct */
	size_t size;			/* field size, for numbers and enums */
	__u64 min, max;			/* numbers: range; enums: values */
	const char *(*names)(unsigned int);	/* enums: value -> name */
};

struct cfg_ctx {
	struct adm_config *cfg;
	const char *name;		/* the file, as messages name it */
	const char *text;		/* whole file, NUL-terminated */
	const char *pos;		/* next line for inih */
	int line;			/* line last handed to inih */

	enum cfg_section sec;
	char sec_text[CFG_MSG_MAX];	/* "adm", "service web" */
	int sec_line;
	const struct cfg_key *keys;	/* this section's keys */
	size_t n_keys;
	int key_line[CFG_MAX_KEYS];	/* where each key was set, 0: not set */
	struct adm_svc_config *svc;	/* CFG_SEC_SERVICE: the service */
	const struct cfg_section_def *top;	/* CFG_SEC_TOP: its row */
	int top_line[CFG_MAX_SECTIONS];	/* line of each once-only section, 0: none yet */

	char problem[CFG_MSG_MAX];
	char allowed[ADM_ERR_MAX];	/* the longest: a section's key list */
	char *err;
	size_t errlen;
	int failed;
	int failed_at;			/* line being read when it failed */
};

#define CFG_FIELD(type, member) \
	.off = offsetof(type, member), .size = sizeof(((type *)0)->member)
#define ADM_FIELD(member)	CFG_FIELD(struct adm_config, member)
#define SVC_FIELD(member)	CFG_FIELD(struct adm_svc_config, member)
#define DB_FIELD(member)	CFG_FIELD(struct adm_config, mariadb.member)

static void __attribute__((format(printf, 3, 4)))
set_msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

#define problem(ctx, ...)	set_msg((ctx)->problem, sizeof((ctx)->problem), __VA_ARGS__)
#define allowed(ctx, ...)	set_msg((ctx)->allowed, sizeof((ctx)->allowed), __VA_ARGS__)

/*
 * Record the first error: "NAME[:LINE]: [WHAT: ]PROBLEM; allowed: ALLOWED".
 * line 0 is a whole-file problem, what NULL a line with nothing to quote.
 * Later errors are ignored: the first one is the one worth fixing.
 */
static void cfg_error(struct cfg_ctx *ctx, int line, const char *what,
		      const char *prob, const char *allow)
{
	char where[CFG_MSG_MAX];

	if (ctx->failed)
		return;
	ctx->failed = 1;
	ctx->failed_at = ctx->line;
	if (!ctx->err || !ctx->errlen)
		return;
	if (line > 0)
		set_msg(where, sizeof(where), "%s:%d", ctx->name, line);
	else
		set_msg(where, sizeof(where), "%s", ctx->name);
	snprintf(ctx->err, ctx->errlen, "%s: %s%s%s; allowed: %s", where,
		 what ? what : "", what ? ": " : "", prob, allow);
}

/* "[SECTION] KEY = 'VALUE'" for messages, the value clipped. */
static void cfg_what_key(const struct cfg_ctx *ctx, char *buf, size_t len,
			 const char *key, const char *value)
{
	const char *more = strlen(value) > CFG_SHOW_MAX ? "..." : "";

	if (ctx->sec == CFG_SEC_NONE)
		set_msg(buf, len, "%s = '%.*s%s'", key, CFG_SHOW_MAX, value, more);
	else
		set_msg(buf, len, "[%s] %s = '%.*s%s'", ctx->sec_text, key,
			CFG_SHOW_MAX, value, more);
}

static void cfg_key_error(struct cfg_ctx *ctx, int line, const char *key,
			  const char *value)
{
	char what[CFG_MSG_MAX];

	cfg_what_key(ctx, what, sizeof(what), key, value);
	cfg_error(ctx, line, what, ctx->problem, ctx->allowed);
}

/* Copy [s, e) without surrounding whitespace into buf; -1 if it won't fit. */
static int copy_trimmed(const char *s, const char *e, char *buf, size_t len)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - s) >= len)
		return -1;
	memcpy(buf, s, e - s);
	buf[e - s] = '\0';
	return 0;
}

static void store_uint(void *field, size_t size, __u64 v)
{
	__u8 v8 = v;
	__u16 v16 = v;
	__u32 v32 = v;

	switch (size) {
	case sizeof(v8):
		memcpy(field, &v8, size);
		break;
	case sizeof(v16):
		memcpy(field, &v16, size);
		break;
	case sizeof(v32):
		memcpy(field, &v32, size);
		break;
	default:
		memcpy(field, &v, sizeof(v));
		break;
	}
}

static int all_digits(const char *s)
{
	return *s && s[strspn(s, "0123456789")] == '\0';
}

/* Numbers: decimal, whole value, in [k->min, k->max]. */
static int parse_num(struct cfg_ctx *ctx, const struct cfg_key *k,
		     void *field, const char *value)
{
	__u64 v;

	if (!adm_parse_u64(value, k->min, k->max, &v)) {
		store_uint(field, k->size, v);
		return 0;
	}
	problem(ctx, "%s", all_digits(value) ? "out of range" :
					       "not a decimal number");
	allowed(ctx, "%llu..%llu", (unsigned long long)k->min,
		(unsigned long long)k->max);
	return -1;
}

/* Rates: "N/s", "N/m" (also /sec, /min), "off" or "0". */
static int parse_rate(struct cfg_ctx *ctx, const struct cfg_key *k,
		      void *field, const char *value)
{
	char unit_only[CFG_MSG_MAX];
	struct adm_rate r;
	size_t digits;

	(void)k;
	if (!adm_parse_rate(value, &r)) {
		memcpy(field, &r, sizeof(r));
		return 0;
	}
	/* Only the count can be wrong if "1/UNIT" parses. */
	digits = strspn(value, "0123456789");
	set_msg(unit_only, sizeof(unit_only), "1%s", value + digits);
	problem(ctx, "%s", digits && !adm_parse_rate(unit_only, &r) ?
		"out of range" : "not a rate");
	allowed(ctx, "N/s or N/m (also N/sec, N/min) with N 1..%u, or off",
		ADM_RATE_COUNT_MAX);
	return -1;
}

/* Durations: "250ms", "30s", "5m", "2h", "1d", plain seconds; "off" or "0". */
static int parse_duration(struct cfg_ctx *ctx, const struct cfg_key *k,
			  void *field, const char *value)
{
	char unit_only[CFG_MSG_MAX];
	size_t digits;
	__u64 ns = 0;

	(void)k;
	if (!strcmp(value, "off") || !strcmp(value, "0") ||
	    !adm_parse_duration(value, &ns)) {
		memcpy(field, &ns, sizeof(ns));
		return 0;
	}
	/* Only the number can be wrong if "1UNIT" parses. */
	digits = strspn(value, "0123456789");
	set_msg(unit_only, sizeof(unit_only), "1%s", value + digits);
	problem(ctx, "%s", digits && !adm_parse_duration(unit_only, &ns) ?
		"out of range" : "not a duration");
	allowed(ctx, "N followed by ms, s, m, h or d (N alone: seconds), "
		"or off");
	return -1;
}

/* Enums: one of k->names(k->min .. k->max). */
static int parse_enum(struct cfg_ctx *ctx, const struct cfg_key *k,
		      void *field, const char *value)
{
	size_t used = 0;
	__u64 v;

	for (v = k->min; v <= k->max; v++) {
		if (!strcmp(value, k->names(v))) {
			store_uint(field, k->size, v);
			return 0;
		}
	}
	problem(ctx, "unknown value");
	for (v = k->min; v <= k->max && used < sizeof(ctx->allowed); v++)
		used += snprintf(ctx->allowed + used, sizeof(ctx->allowed) - used,
				 "%s%s", v == k->min ? "" : ", ", k->names(v));
	return -1;
}

static int iface_char_ok(char c)
{
	return isalnum((unsigned char)c) || strchr("_.:@-", c);
}

/* One interface name [s, e): valid, new, and room for it. */
static int add_iface(struct cfg_ctx *ctx, const char *s, const char *e)
{
	struct adm_config *cfg = ctx->cfg;
	size_t len = e - s, i;
	char name[IF_NAMESIZE];

	if (len >= sizeof(name)) {
		problem(ctx, "'%.*s' is longer than %zu characters",
			CFG_SHOW_MAX, s, sizeof(name) - 1);
		return -1;
	}
	memcpy(name, s, len);
	name[len] = '\0';
	for (i = 0; i < len; i++) {
		if (!iface_char_ok(name[i]))
			break;
	}
	if (i < len || !strcmp(name, ".") || !strcmp(name, "..")) {
		problem(ctx, "'%s' is not an interface name", name);
		return -1;
	}
	for (i = 0; i < (size_t)cfg->n_ifaces; i++) {
		if (!strcmp(cfg->ifaces[i], name)) {
			problem(ctx, "'%s' is listed twice", name);
			return -1;
		}
	}
	if (cfg->n_ifaces >= ADM_MAX_IFACES) {
		problem(ctx, "more than %d interfaces", ADM_MAX_IFACES);
		return -1;
	}
	strcpy(cfg->ifaces[cfg->n_ifaces++], name);
	return 0;
}

/* Interface names separated by commas and/or whitespace. */
static int parse_ifaces(struct cfg_ctx *ctx, const struct cfg_key *k,
			void *field, const char *value)
{
	const char *item = value, *comma, *s, *e;
	int names;

	(void)k;
	(void)field;
	allowed(ctx, "1..%d names of 1..%d characters [A-Za-z0-9_.:@-], "
		"separated by commas or spaces, each once", ADM_MAX_IFACES,
		IF_NAMESIZE - 1);
	ctx->cfg->n_ifaces = 0;
	for (;;) {
		comma = strchrnul(item, ',');
		names = 0;
		for (s = item; s < comma; s = e) {
			while (s < comma && isspace((unsigned char)*s))
				s++;
			if (s == comma)
				break;
			for (e = s; e < comma && !isspace((unsigned char)*e); e++)
				;
			if (add_iface(ctx, s, e))
				return -1;
			names++;
		}
		if (!names) {
			problem(ctx, "empty item in the list");
			return -1;
		}
		if (!*comma)
			return 0;
		item = comma + 1;
	}
}

/* Paths: absolute, and fitting the char array `field`. */
static int parse_path(struct cfg_ctx *ctx, const struct cfg_key *k,
		      void *field, const char *value)
{
	if (value[0] == '/' && strlen(value) < k->size) {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, value[0] == '/' ? "path too long" : "not an absolute path");
	allowed(ctx, "an absolute path shorter than %zu characters", k->size);
	return -1;
}

/* Group names: 1..32 characters [A-Za-z0-9_.-], not starting with '-'. */
static int parse_group(struct cfg_ctx *ctx, const struct cfg_key *k,
		       void *field, const char *value)
{
	size_t len = strlen(value);

	if (len && len < k->size && value[0] != '-' &&
	    value[strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz"
				"0123456789_.-")] == '\0') {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, "not a group name");
	allowed(ctx, "a group name of 1..%zu characters [A-Za-z0-9_.-], "
		"not starting with '-'", k->size - 1);
	return -1;
}

/* "ADDR:PORT", "[ADDR6]:PORT", or "off" (stored as ""). */
static int parse_listen(struct cfg_ctx *ctx, const struct cfg_key *k,
			void *field, const char *value)
{
	struct sockaddr_storage ss;

	if (!strcmp(value, "off")) {
		((char *)field)[0] = '\0';
		return 0;
	}
	if (strlen(value) < k->size && !adm_parse_hostport(value, &ss)) {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, "not a listen address");
	allowed(ctx, "ADDR:PORT or [ADDR6]:PORT with a numeric address and port 1..65535, or off");
	return -1;
}

/* MariaDB user and database names: 1..64 of [A-Za-z0-9_$-]. */
static int parse_db_name(struct cfg_ctx *ctx, const struct cfg_key *k,
			 void *field, const char *value)
{
	size_t len = strlen(value);

	if (len && len < k->size &&
	    value[strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz"
				"0123456789_$-")] == '\0') {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, "not a name");
	allowed(ctx, "1..%zu characters [A-Za-z0-9_$-]", k->size - 1);
	return -1;
}

/* Host names and numeric addresses: 1..255 of [A-Za-z0-9.:-]. */
static int parse_host(struct cfg_ctx *ctx, const struct cfg_key *k,
		      void *field, const char *value)
{
	size_t len = strlen(value);

	if (len && len < k->size && value[0] != '-' &&
	    value[strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz"
				"0123456789.:-")] == '\0') {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, "not a host name or address");
	allowed(ctx, "a host name or numeric address of 1..%zu characters [A-Za-z0-9.:-]",
		k->size - 1);
	return -1;
}

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* "PORT", "LO-HI", either with "/tcp" or "/udp"; item is modified. */
static int parse_port_item(struct cfg_ctx *ctx, char *item, __u8 *proto,
			   __u64 *lo, __u64 *hi)
{
	char orig[CFG_PORT_ITEM_MAX];
	char *slash, *dash, *hi_text;

	strcpy(orig, item);
	*proto = IPPROTO_TCP;
	slash = strchr(item, '/');
	if (slash) {
		*slash = '\0';
		if (!strcmp(slash + 1, "udp")) {
			*proto = IPPROTO_UDP;
		} else if (strcmp(slash + 1, "tcp")) {
			problem(ctx, "'%s' has an unknown protocol", orig);
			return -1;
		}
	}
	dash = strchr(item, '-');
	hi_text = item;
	if (dash) {
		*dash = '\0';
		hi_text = dash + 1;
	}
	if (!all_digits(item) || !all_digits(hi_text)) {
		problem(ctx, "'%s' is not a port or port range", orig);
		return -1;
	}
	if (adm_parse_u64(item, CFG_PORT_MIN, CFG_PORT_MAX, lo) ||
	    adm_parse_u64(hi_text, CFG_PORT_MIN, CFG_PORT_MAX, hi)) {
		problem(ctx, "'%s' is out of range", orig);
		return -1;
	}
	if (*lo > *hi) {
		problem(ctx, "'%s' runs backwards", orig);
		return -1;
	}
	return 0;
}

/* Who already has (proto, port): this service (svc) or an earlier one. */
static const struct adm_svc_config *port_owner(const struct adm_config *cfg,
					       __u8 proto, __u16 port)
{
	int i, j;

	for (i = 0; i < cfg->n_svcs; i++) {
		const struct adm_svc_config *s = &cfg->svcs[i];

		for (j = 0; j < s->n_ports; j++)
			if (s->ports[j] == port && s->port_proto[j] == proto)
				return s;
	}
	return NULL;
}

static int parse_ports(struct cfg_ctx *ctx, const struct cfg_key *k,
		       void *field, const char *value)
{
	struct adm_svc_config *svc = ctx->svc;
	const struct adm_svc_config *owner;
	const char *item = value, *comma;
	char text[CFG_PORT_ITEM_MAX];
	__u64 lo, hi, port;
	__u8 proto;

	(void)k;
	(void)field;
	allowed(ctx, CFG_PORTS_ALLOWED);
	for (;;) {
		item += strspn(item, " \t");
		comma = strchrnul(item, ',');
		if (copy_trimmed(item, comma, text, sizeof(text))) {
			problem(ctx, "'%.*s' is not a port or port range",
				comma - item > CFG_SHOW_MAX ? CFG_SHOW_MAX :
				(int)(comma - item), item);
			return -1;
		}
		if (!*text) {
			problem(ctx, "empty item in the list");
			return -1;
		}
		if (parse_port_item(ctx, text, &proto, &lo, &hi))
			return -1;
		if (svc->n_ports + (hi - lo + 1) > ADM_MAX_SVC_PORTS) {
			problem(ctx, "more than %d ports", ADM_MAX_SVC_PORTS);
			allowed(ctx, "at most %d ports per service, a range "
				"counting each of its ports", ADM_MAX_SVC_PORTS);
			return -1;
		}
		for (port = lo; port <= hi; port++) {
			owner = port_owner(ctx->cfg, proto, port);
			if (owner == svc) {
				problem(ctx, "%llu/%s is listed twice",
					(unsigned long long)port, proto_name(proto));
				allowed(ctx, "each port once per service");
				return -1;
			}
			if (owner) {
				problem(ctx, "%llu/%s already belongs to "
					"[service %s] (line %d)",
					(unsigned long long)port,
					proto_name(proto), owner->name,
					owner->line);
				allowed(ctx, "each port in one service only");
				return -1;
			}
			svc->port_proto[svc->n_ports] = proto;
			svc->ports[svc->n_ports++] = port;
		}
		if (!*comma)
			return 0;
		item = comma + 1;
	}
}

/* conn_limit: N (0: unlimited) or "auto" (the breaker module adapts it). */
static int parse_conn_limit(struct cfg_ctx *ctx, const struct cfg_key *k,
			    void *field, const char *value)
{
	if (!strcmp(value, "auto")) {
		ctx->svc->brk.conn_limit_auto = 1;
		store_uint(field, k->size, 0);
		return 0;
	}
	if (!parse_num(ctx, k, field, value))
		return 0;
	allowed(ctx, "%llu..%llu or auto", (unsigned long long)k->min,
		(unsigned long long)k->max);
	return -1;
}

/* "1h", "30s", "250ms": the shortest exact form of ns. */
static void fmt_duration(__u64 ns, char *buf, size_t len)
{
	if (ns && !(ns % CFG_NS_PER_H))
		set_msg(buf, len, "%lluh", (unsigned long long)(ns / CFG_NS_PER_H));
	else if (ns && !(ns % CFG_NS_PER_S))
		set_msg(buf, len, "%llus", (unsigned long long)(ns / CFG_NS_PER_S));
	else
		set_msg(buf, len, "%llums", (unsigned long long)(ns / CFG_NS_PER_MS));
}

/* Durations within [k->min, k->max] ns; "off" only when k->min is 0. */
static int parse_duration_range(struct cfg_ctx *ctx, const struct cfg_key *k,
				void *field, const char *value)
{
	char lo[CFG_SHOW_MAX], hi[CFG_SHOW_MAX];
	__u64 ns = 0;

	fmt_duration(k->min, lo, sizeof(lo));
	fmt_duration(k->max, hi, sizeof(hi));
	if (parse_duration(ctx, k, &ns, value))
		goto bad;
	if (ns >= k->min && ns <= k->max && (ns || !k->min)) {
		memcpy(field, &ns, sizeof(ns));
		return 0;
	}
	problem(ctx, "out of range");
bad:
	allowed(ctx, "a duration %s..%s (N followed by ms, s, m or h)", lo, hi);
	return -1;
}

/* breaker_probe: "tcp:ADDR:PORT" or "http://ADDR:PORT/PATH" (numeric address). */
static int parse_probe(struct cfg_ctx *ctx, const struct cfg_key *k,
		       void *field, const char *value)
{
	struct adm_brk_config *b = field;
	struct sockaddr_storage ss;
	char addr[ADM_PROBE_ADDR_MAX];
	const char *rest, *slash;
	size_t alen;

	(void)k;
	allowed(ctx, "tcp:ADDR:PORT or http://ADDR:PORT/PATH with a numeric "
		"address ([ADDR6] for IPv6), port 1..65535, a path of at most %d "
		"characters", ADM_PROBE_PATH_MAX - 1);
	if (!strncmp(value, CFG_PROBE_TCP, strlen(CFG_PROBE_TCP))) {
		rest = value + strlen(CFG_PROBE_TCP);
		b->probe_kind = ADM_PROBE_TCP;
		slash = rest + strlen(rest);
		b->probe_path[0] = '\0';
	} else if (!strncmp(value, CFG_PROBE_HTTP, strlen(CFG_PROBE_HTTP))) {
		rest = value + strlen(CFG_PROBE_HTTP);
		b->probe_kind = ADM_PROBE_HTTP;
		slash = strchrnul(rest, '/');
		if (strlen(slash) >= ADM_PROBE_PATH_MAX ||
		    slash[strcspn(slash, " \t\r\n")]) {
			problem(ctx, "not a probe path");
			return -1;
		}
		snprintf(b->probe_path, sizeof(b->probe_path), "%s",
			 *slash ? slash : "/");
	} else {
		problem(ctx, "unknown probe kind");
		return -1;
	}
	alen = slash - rest;
	if (alen >= sizeof(addr)) {
		problem(ctx, "not an ADDR:PORT");
		return -1;
	}
	memcpy(addr, rest, alen);
	addr[alen] = '\0';
	if (adm_parse_hostport(addr, &ss)) {
		problem(ctx, "not an ADDR:PORT");
		return -1;
	}
	strcpy(b->probe_addr, addr);
	return 0;
}

static int svc_name_ok(const char *name);

/* depends_on: a service name (checked against the file once it is read). */
static int parse_svc_ref(struct cfg_ctx *ctx, const struct cfg_key *k,
			 void *field, const char *value)
{
	if (svc_name_ok(value) && strlen(value) < k->size) {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, "not a service name");
	allowed(ctx, "the name of another [service NAME]: 1..%d characters "
		"[A-Za-z0-9_-]", ADM_SVC_NAME_MAX - 1);
	return -1;
}

/*
 * After the whole file: every depends_on names a service of the file, and
 * following them never comes back to where it started.
 */
static void check_depends(struct cfg_ctx *ctx)
{
	struct adm_config *cfg = ctx->cfg;
	char what[CFG_MSG_MAX], path[ADM_ERR_MAX], names[ADM_ERR_MAX];
	size_t used;
	int i, j, hops;

	for (i = 0; i < cfg->n_svcs && !ctx->failed; i++) {
		struct adm_brk_config *b = &cfg->svcs[i].brk;
		const struct adm_svc_config *dep;

		if (!b->depends_on[0])
			continue;
		dep = adm_config_service(cfg, b->depends_on);
		if (dep) {
			b->depends_idx = (__u32)(dep - cfg->svcs) + 1;
			continue;
		}
		set_msg(what, sizeof(what), "[service %s] depends_on = '%s'",
			cfg->svcs[i].name, b->depends_on);
		used = 0;
		names[0] = '\0';
		for (j = 0; j < cfg->n_svcs && used < sizeof(names); j++)
			if (j != i)
				used += snprintf(names + used, sizeof(names) - used,
						 "%s%s", used ? ", " : "", cfg->svcs[j].name);
		cfg_error(ctx, b->depends_line, what, "unknown service",
			  used ? names : "(no other service)");
	}
	for (i = 0; i < cfg->n_svcs && !ctx->failed; i++) {
		const struct adm_svc_config *s = &cfg->svcs[i];

		used = snprintf(path, sizeof(path), "%s", s->name);
		for (hops = 0; s->brk.depends_idx && hops < cfg->n_svcs; hops++) {
			s = &cfg->svcs[s->brk.depends_idx - 1];	/* resolved above */
			if (used < sizeof(path))
				used += snprintf(path + used, sizeof(path) - used,
						 " -> %s", s->name);
			if (s == &cfg->svcs[i])
				break;
		}
		if (s != &cfg->svcs[i] || !hops)
			continue;
		set_msg(what, sizeof(what), "[service %s] depends_on = '%s'",
			cfg->svcs[i].name, cfg->svcs[i].brk.depends_on);
		problem(ctx, "depends_on cycle: %s", path);
		cfg_error(ctx, cfg->svcs[i].brk.depends_line, what, ctx->problem,
			  "dependencies without a cycle");
	}
}

/* Names (cluster, node, master_name, user): 1..63 of [A-Za-z0-9_.-]. */
static int parse_name(struct cfg_ctx *ctx, const struct cfg_key *k,
		      void *field, const char *value)
{
	size_t len = strlen(value);

	if (len && len < k->size && value[strspn(value, CFG_RS_NAME_CHARS)] == '\0') {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, len >= k->size ? "too long" : "not a name");
	allowed(ctx, "1..%zu characters [A-Za-z0-9_.-]", k->size - 1);
	return -1;
}

/* A host name or numeric address (IPv6 without brackets). */
static int parse_rs_host(struct cfg_ctx *ctx, const struct cfg_key *k,
		      void *field, const char *value)
{
	size_t len = strlen(value);

	if (len && len < k->size && value[strspn(value, CFG_RS_HOST_CHARS)] == '\0') {
		strcpy(field, value);
		return 0;
	}
	problem(ctx, len >= k->size ? "too long" : "not a host name or address");
	allowed(ctx, "a host name or numeric address of 1..%zu characters "
		"[A-Za-z0-9_.:-]", k->size - 1);
	return -1;
}

/* One "HOST:PORT" or "[ADDR6]:PORT" of a sentinels list into slot i. */
static int add_sentinel(struct cfg_ctx *ctx, const char *item)
{
	struct adm_redis_config *rc = &ctx->cfg->redis;
	const char *colon = strrchr(item, ':'), *host = item;
	size_t hlen;
	__u64 port;

	if (!colon || adm_parse_u64(colon + 1, CFG_PORT_MIN, CFG_PORT_MAX, &port)) {
		problem(ctx, "'%.*s' is not HOST:PORT", CFG_SHOW_MAX, item);
		return -1;
	}
	hlen = colon - item;
	if (hlen >= 2 && item[0] == '[' && item[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (!hlen || hlen >= ADM_RS_HOST_MAX || strspn(host, CFG_RS_HOST_CHARS) < hlen) {
		problem(ctx, "'%.*s' is not HOST:PORT", CFG_SHOW_MAX, item);
		return -1;
	}
	if (rc->n_sentinels >= ADM_RS_MAX_SENTINELS) {
		problem(ctx, "more than %d sentinels", ADM_RS_MAX_SENTINELS);
		return -1;
	}
	memcpy(rc->sentinels[rc->n_sentinels], host, hlen);
	rc->sentinels[rc->n_sentinels][hlen] = '\0';
	rc->sentinel_ports[rc->n_sentinels++] = port;
	return 0;
}

/* "HOST:PORT, HOST:PORT": 1..ADM_RS_MAX_SENTINELS Sentinels. */
static int parse_sentinels(struct cfg_ctx *ctx, const struct cfg_key *k,
			   void *field, const char *value)
{
	const char *item = value, *comma;
	char text[ADM_RS_HOST_MAX + 16];

	(void)k;
	(void)field;
	allowed(ctx, "1..%d HOST:PORT or [ADDR6]:PORT separated by commas, "
		"port 1..65535", ADM_RS_MAX_SENTINELS);
	ctx->cfg->redis.n_sentinels = 0;
	for (;;) {
		comma = strchrnul(item, ',');
		if (copy_trimmed(item, comma, text, sizeof(text))) {
			problem(ctx, "'%.*s' is not HOST:PORT", CFG_SHOW_MAX, item);
			return -1;
		}
		if (!*text) {
			problem(ctx, "empty item in the list");
			return -1;
		}
		if (add_sentinel(ctx, text))
			return -1;
		if (!*comma)
			return 0;
		item = comma + 1;
	}
}

static const char *mode_name(unsigned int v)
{
	static const char *const names[] = {
		[CFG_MODE_ENFORCE] = "enforce",
		[CFG_MODE_SHADOW] = "shadow",
	};

	return v < ADM_ARRAY_SIZE(names) ? names[v] : "?";
}

static const char *yes_no_name(unsigned int v)
{
	static const char *const names[] = {
		[CFG_NO] = "no",
		[CFG_YES] = "yes",
	};

	return v < ADM_ARRAY_SIZE(names) ? names[v] : "?";
}

static const char *xdp_mode_name(unsigned int v)
{
	static const char *const names[] = {
		[ADM_XDP_AUTO] = "auto",
		[ADM_XDP_NATIVE] = "native",
		[ADM_XDP_GENERIC] = "generic",
	};

	return v < ADM_ARRAY_SIZE(names) ? names[v] : "?";
}

static const char *tls_name(unsigned int v)
{
	static const char *const names[] = {
		[ADM_TLS_AUTO] = "auto",
		[ADM_TLS_NO] = "no",
		[ADM_TLS_YES] = "yes",
	};

	return v < ADM_ARRAY_SIZE(names) ? names[v] : "?";
}

static const struct cfg_key adm_keys[] = {
	{ .name = "interfaces", .parse = parse_ifaces, ADM_FIELD(ifaces) },
	{ .name = "mode", .parse = parse_enum, ADM_FIELD(shadow),
	  .min = CFG_MODE_ENFORCE, .max = CFG_MODE_SHADOW, .names = mode_name },
	{ .name = "pin_root", .parse = parse_path, ADM_FIELD(pin_root) },
	{ .name = "xdp_mode", .parse = parse_enum, ADM_FIELD(xdp_mode),
	  .min = ADM_XDP_AUTO, .max = ADM_XDP_GENERIC, .names = xdp_mode_name },
	{ .name = "cgroup", .parse = parse_path, ADM_FIELD(cgroup) },
	{ .name = "reconcile_ms", .parse = parse_num, ADM_FIELD(reconcile_ms),
	  .min = CFG_RECONCILE_MS_MIN, .max = CFG_RECONCILE_MS_MAX },
	{ .name = "src_filter_rebuild_s", .parse = parse_num, ADM_FIELD(src_filter_rebuild_s),
	  .min = CFG_FILTER_REBUILD_S_MIN, .max = CFG_FILTER_REBUILD_S_MAX },
	{ .name = "control_socket", .parse = parse_path,
	  ADM_FIELD(control_socket) },
	{ .name = "pin_group", .parse = parse_group, ADM_FIELD(pin_group) },
	{ .name = "pressure_socket", .parse = parse_path,
	  ADM_FIELD(pressure_socket) },
	{ .name = "pressure_group", .parse = parse_group,
	  ADM_FIELD(pressure_group) },
};

/* [adm] keys the end-of-section check refers to by index. */
enum {
	AK_PRESSURE_SOCKET = 9,
	AK_PRESSURE_GROUP,
};
_Static_assert(AK_PRESSURE_GROUP + 1 == ADM_ARRAY_SIZE(adm_keys), "AK_* out of step with adm_keys");

/* End of [adm]: the pressure socket and its group come together. */
static void adm_end(struct cfg_ctx *ctx)
{
	const int *kl = ctx->key_line;

	if (kl[AK_PRESSURE_SOCKET] && !kl[AK_PRESSURE_GROUP])
		cfg_error(ctx, kl[AK_PRESSURE_SOCKET], "[adm] pressure_socket",
			  "given without pressure_group",
			  "pressure_socket = PATH together with pressure_group = GROUP (the group whose members may report pressure)");
	else if (kl[AK_PRESSURE_GROUP] && !kl[AK_PRESSURE_SOCKET])
		cfg_error(ctx, kl[AK_PRESSURE_GROUP], "[adm] pressure_group",
			  "given without pressure_socket",
			  "pressure_group = GROUP together with pressure_socket = PATH");
}

/* [redis] keys the end-of-section checks refer to by index. */
enum {
	RK_SOCKET,
	RK_HOST,
	RK_PORT,
	RK_SENTINELS,
	RK_MASTER_NAME,
	RK_CLUSTER,
	RK_NODE,
	RK_PASSWORD_FILE,
	RK_USER,
	RK_SYNC_INTERVAL_MS,
	RK_TIMEOUT_MS,
	RK_NODE_TTL_MS,
	RK_ON_STORE_FAILURE,
	RK__MAX,
};

#define RS_FIELD(member)	ADM_FIELD(redis.member)

static const struct cfg_key redis_keys[RK__MAX] = {
	[RK_SOCKET] = { .name = "socket", .parse = parse_path, RS_FIELD(socket) },
	[RK_HOST] = { .name = "host", .parse = parse_rs_host, RS_FIELD(host) },
	[RK_PORT] = { .name = "port", .parse = parse_num, RS_FIELD(port),
		      .min = CFG_PORT_MIN, .max = CFG_PORT_MAX },
	[RK_SENTINELS] = { .name = "sentinels", .parse = parse_sentinels,
			   RS_FIELD(sentinels) },
	[RK_MASTER_NAME] = { .name = "master_name", .parse = parse_name,
			     RS_FIELD(master_name) },
	[RK_CLUSTER] = { .name = "cluster", .parse = parse_name,
			 RS_FIELD(cluster) },
	[RK_NODE] = { .name = "node", .parse = parse_name, RS_FIELD(node) },
	[RK_PASSWORD_FILE] = { .name = "password_file", .parse = parse_path,
			       RS_FIELD(password_file) },
	[RK_USER] = { .name = "user", .parse = parse_name, RS_FIELD(user) },
	[RK_SYNC_INTERVAL_MS] = { .name = "sync_interval_ms", .parse = parse_num,
				  RS_FIELD(sync_interval_ms),
				  .min = CFG_RS_INTERVAL_MIN,
				  .max = CFG_RS_INTERVAL_MAX },
	[RK_TIMEOUT_MS] = { .name = "timeout_ms", .parse = parse_num,
			    RS_FIELD(timeout_ms), .min = CFG_RS_TIMEOUT_MIN,
			    .max = CFG_RS_TIMEOUT_MAX },
	[RK_NODE_TTL_MS] = { .name = "node_ttl_ms", .parse = parse_num,
			     RS_FIELD(node_ttl_ms), .min = CFG_RS_TTL_MIN_MS,
			     .max = CFG_RS_TTL_MAX_MS },
	[RK_ON_STORE_FAILURE] = { .name = "on_store_failure", .parse = parse_enum,
				  RS_FIELD(on_store_failure),
				  .min = ADM_SF_LOCAL_SHARE, .max = ADM_SF_CLOSED,
				  .names = adm_store_failure_name },
};

/* A [redis] key that must (not) come with another one. */
static void redis_key_error(struct cfg_ctx *ctx, int key, const char *prob,
			    const char *allow)
{
	char what[CFG_MSG_MAX];

	set_msg(what, sizeof(what), "[redis] %s", redis_keys[key].name);
	cfg_error(ctx, ctx->key_line[key], what, prob, allow);
}

#define RS_WHERE_ALLOWED "socket = PATH, host = HOST (and port), or sentinels " \
			 "= HOST:PORT,... with master_name: exactly one"

/* End of [redis]: one way to reach Redis, and defaults that depend on keys. */
static void redis_end(struct cfg_ctx *ctx)
{
	struct adm_redis_config *rc = &ctx->cfg->redis;
	const int *kl = ctx->key_line;
	char what[CFG_MSG_MAX];
	int ways = !!kl[RK_SOCKET] + !!kl[RK_HOST] + !!kl[RK_SENTINELS];

	rc->enabled = 1;
	if (ways == 0) {
		set_msg(what, sizeof(what), "[redis]");
		cfg_error(ctx, ctx->sec_line, what, "no socket, host or sentinels",
			  RS_WHERE_ALLOWED);
		return;
	}
	if (ways > 1) {
		redis_key_error(ctx, kl[RK_SENTINELS] ? RK_SENTINELS : RK_HOST,
				"set together with another way to reach Redis",
				RS_WHERE_ALLOWED);
		return;
	}
	if (kl[RK_PORT] && !kl[RK_HOST]) {
		redis_key_error(ctx, RK_PORT, "set without host",
				"port together with host");
		return;
	}
	if (kl[RK_SENTINELS] && !kl[RK_MASTER_NAME]) {
		redis_key_error(ctx, RK_SENTINELS, "set without master_name",
				"sentinels together with master_name = NAME");
		return;
	}
	if (kl[RK_MASTER_NAME] && !kl[RK_SENTINELS]) {
		redis_key_error(ctx, RK_MASTER_NAME, "set without sentinels",
				"master_name together with sentinels = HOST:PORT,...");
		return;
	}
	if (kl[RK_USER] && !kl[RK_PASSWORD_FILE]) {
		redis_key_error(ctx, RK_USER, "set without password_file",
				"user together with password_file = PATH");
		return;
	}
	if (!kl[RK_PORT])
		rc->port = CFG_RS_PORT;
	if (!kl[RK_CLUSTER])
		strcpy(rc->cluster, CFG_RS_CLUSTER);
	if (!kl[RK_NODE]) {
		char host[HOST_NAME_MAX + 1] = "";

		gethostname(host, sizeof(host) - 1);
		host[strspn(host, CFG_RS_NAME_CHARS)] = '\0';
		snprintf(rc->node, sizeof(rc->node), "%s", *host ? host : "node");
	}
	if (!kl[RK_SYNC_INTERVAL_MS])
		rc->sync_interval_ms = CFG_RS_INTERVAL_MS;
	if (!kl[RK_TIMEOUT_MS])
		rc->timeout_ms = CFG_RS_TIMEOUT_MS;
	if (!kl[RK_ON_STORE_FAILURE])
		rc->on_store_failure = ADM_SF_LOCAL_SHARE;
	if (!kl[RK_NODE_TTL_MS]) {
		rc->node_ttl_ms = CFG_RS_TTL_INTERVALS * rc->sync_interval_ms;
		if (rc->node_ttl_ms < CFG_RS_TTL_MIN_MS)
			rc->node_ttl_ms = CFG_RS_TTL_MIN_MS;
	} else if (rc->node_ttl_ms < 3 * rc->sync_interval_ms) {
		problem(ctx, "shorter than 3 sync intervals (%u ms)",
			3 * rc->sync_interval_ms);
		allowed(ctx, "%u..%u ms (at least 3 x sync_interval_ms)",
			3 * rc->sync_interval_ms > CFG_RS_TTL_MIN_MS ?
			3 * rc->sync_interval_ms : CFG_RS_TTL_MIN_MS,
			CFG_RS_TTL_MAX_MS);
		redis_key_error(ctx, RK_NODE_TTL_MS, ctx->problem, ctx->allowed);
		return;
	}
	if (rc->timeout_ms >= rc->sync_interval_ms * 10ULL) {
		problem(ctx, "not below 10 sync intervals (%u ms)",
			10 * rc->sync_interval_ms);
		allowed(ctx, "%u..%u ms", CFG_RS_TIMEOUT_MIN,
			10 * rc->sync_interval_ms - 1);
		redis_key_error(ctx, RK_TIMEOUT_MS, ctx->problem, ctx->allowed);
	}
}

/* After the file: cluster keys of a service need a [redis] section. */
static void redis_final(struct cfg_ctx *ctx);

static const struct cfg_key metrics_keys[] = {
	{ .name = "listen", .parse = parse_listen, ADM_FIELD(metrics_listen) },
};

#define RP_FIELD(member)	ADM_FIELD(reply.member)
static const struct cfg_key reply_keys[] = {
	{ .name = "retry_after", .parse = parse_num, RP_FIELD(retry_after),
	  .min = 0, .max = CFG_REPLY_RETRY_MAX },
	{ .name = "retry_after_jitter", .parse = parse_num,
	  RP_FIELD(retry_after_jitter), .min = 0, .max = CFG_REPLY_JITTER_MAX },
	{ .name = "reply_max", .parse = parse_num, RP_FIELD(reply_max),
	  .min = 1, .max = CFG_REPLY_MAX_MAX },
	{ .name = "reply_timeout", .parse = parse_duration_range,
	  RP_FIELD(reply_timeout_ns), .min = CFG_REPLY_TIMEOUT_MIN,
	  .max = CFG_REPLY_TIMEOUT_MAX },
};

/* [mariadb] keys the end-of-section check refers to by index. */
enum {
	DK_SOCKET,
	DK_HOST,
	DK_PORT,
	DK_USER,
	DK_PASSWORD_FILE,
	DK_DATABASE,
	DK__MAX,
};

static const struct cfg_key mariadb_keys[] = {
	[DK_SOCKET] = { .name = "socket", .parse = parse_path, DB_FIELD(socket) },
	[DK_HOST] = { .name = "host", .parse = parse_host, DB_FIELD(host) },
	[DK_PORT] = { .name = "port", .parse = parse_num, DB_FIELD(port),
		      .min = CFG_PORT_MIN, .max = CFG_PORT_MAX },
	[DK_USER] = { .name = "user", .parse = parse_db_name, DB_FIELD(user) },
	[DK_PASSWORD_FILE] = { .name = "password_file", .parse = parse_path,
			       DB_FIELD(password_file) },
	[DK_DATABASE] = { .name = "database", .parse = parse_db_name,
			  DB_FIELD(database) },
	{ .name = "batch_rows", .parse = parse_num, DB_FIELD(batch_rows),
	  .min = 1, .max = CFG_DB_BATCH_ROWS_MAX },
	{ .name = "batch_ms", .parse = parse_num, DB_FIELD(batch_ms),
	  .min = 1, .max = CFG_DB_BATCH_MS_MAX },
	{ .name = "spool_dir", .parse = parse_path, DB_FIELD(spool_dir) },
	{ .name = "spool_max_mb", .parse = parse_num, DB_FIELD(spool_max_mb),
	  .min = CFG_DB_SPOOL_MB_MIN, .max = CFG_DB_SPOOL_MB_MAX },
	{ .name = "connect_timeout_ms", .parse = parse_num,
	  DB_FIELD(connect_timeout_ms), .min = CFG_DB_TIMEOUT_MS_MIN,
	  .max = CFG_DB_TIMEOUT_MS_MAX },
	{ .name = "io_timeout_ms", .parse = parse_num, DB_FIELD(io_timeout_ms),
	  .min = CFG_DB_TIMEOUT_MS_MIN, .max = CFG_DB_TIMEOUT_MS_MAX },
	{ .name = "aggregate_ms", .parse = parse_num, DB_FIELD(aggregate_ms),
	  .min = 0, .max = CFG_DB_AGG_MS_MAX },
	{ .name = "aggregate_prefix4", .parse = parse_num,
	  DB_FIELD(aggregate_prefix4), .min = ADM_AGG_PREFIX4_MIN, .max = 32 },
	{ .name = "aggregate_prefix6", .parse = parse_num,
	  DB_FIELD(aggregate_prefix6), .min = ADM_AGG_PREFIX6_MIN, .max = 128 },
};

static void mariadb_end(struct cfg_ctx *ctx);
static void mariadb_final(struct cfg_ctx *ctx);

/*
 * A once-only section: its keys (fields are members of struct adm_config,
 * a module's under its own sub-struct), and optional hooks. `end` runs when
 * the section closes (checks across its keys, defaults that depend on other
 * keys; ctx->key_line says which were set); `final` runs once after the
 * whole file, whether or not the section was present (checks across
 * sections and services). Both report through cfg_error. A module adds
 * its section as one row here.
 */
struct cfg_section_def {
	const char *name;
	const struct cfg_key *keys;
	size_t n_keys;
	void (*end)(struct cfg_ctx *ctx);
	void (*final)(struct cfg_ctx *ctx);
};

static const struct cfg_section_def cfg_sections[] = {
	{ .name = "adm", .keys = adm_keys, .n_keys = ADM_ARRAY_SIZE(adm_keys),
	  .end = adm_end },
	{ .name = "metrics", .keys = metrics_keys,
	  .n_keys = ADM_ARRAY_SIZE(metrics_keys) },
	{ .name = "redis", .keys = redis_keys, .n_keys = ADM_ARRAY_SIZE(redis_keys),
	  .end = redis_end, .final = redis_final },
	{ .name = "mariadb", .keys = mariadb_keys,
	  .n_keys = ADM_ARRAY_SIZE(mariadb_keys), .end = mariadb_end,
	  .final = mariadb_final },
	{ .name = "reply", .keys = reply_keys,
	  .n_keys = ADM_ARRAY_SIZE(reply_keys) },
};

_Static_assert(ADM_ARRAY_SIZE(cfg_sections) <= CFG_MAX_SECTIONS, "top_line too small");

/* Service keys the end-of-section checks refer to by index. */
enum {
	SK_PORTS,
	SK_CONN_LIMIT,
	SK_FP_CONN_LIMIT,
	SK_NEW_CONN_RATE,
	SK_NEW_CONN_BURST,
	SK_PKT_RATE,
	SK_PKT_BURST,
	SK_ON_RATE,
	SK_ON_CONN_FULL,
	SK_PRIORITY,
	SK_FINGERPRINT,
	SK_IPV4_PREFIX,
	SK_IPV6_PREFIX,
	SK_VERIFY,
	SK_UNV_IPV4_PREFIX,
	SK_UNV_IPV6_PREFIX,
	SK_UNVERIFIED_RATE,
	SK_UNVERIFIED_BURST,
	SK_NEW_SOURCE_RATE,
	SK_NEW_SOURCE_BURST,
	SK_ON_UNVERIFIED,
	SK_ON_BREAKER,
	SK_TLS,
	SK_IDLE_TIMEOUT,
	SK_MAX_LIFETIME,
	/* breaker module */
	SK_CONN_LIMIT_MIN,
	SK_CONN_LIMIT_MAX,
	SK_BRK_LATENCY,
	SK_BRK_ACCEPT_QUEUE,
	SK_BRK_PRESSURE,
	SK_BRK_PROBE,
	SK_PROBE_INTERVAL,
	SK_PROBE_TIMEOUT,
	SK_BRK_WINDOW,
	SK_BRK_COOLDOWN,
	SK_HALF_OPEN_PERMILLE,
	SK_DEPENDS_ON,
	SK_CLUSTER_CONN_RATE,
	SK_ON_STORE_FAILURE,
	SK_RATE_SOURCES,
	SK_PKT_SOURCES,
	SK_CLUSTER_CONN_LIMIT,
	SK__MAX,
};

static const struct cfg_key svc_keys[SK__MAX] = {
	[SK_PORTS] = { .name = "ports", .parse = parse_ports,
		       SVC_FIELD(ports) },
	[SK_CONN_LIMIT] = { .name = "conn_limit", .parse = parse_conn_limit,
			    SVC_FIELD(conn_limit),
			    .min = 0, .max = CFG_CONN_LIMIT_MAX },
	[SK_FP_CONN_LIMIT] = { .name = "fp_conn_limit", .parse = parse_num,
			       SVC_FIELD(fp_conn_limit),
			       .min = 0, .max = CFG_FP_CONN_LIMIT_MAX },
	[SK_NEW_CONN_RATE] = { .name = "new_conn_rate", .parse = parse_rate,
			       SVC_FIELD(new_conn_rate) },
	[SK_NEW_CONN_BURST] = { .name = "new_conn_burst", .parse = parse_num,
				SVC_FIELD(new_conn_burst),
				.min = 1, .max = ADM_BURST_MAX },
	[SK_PKT_RATE] = { .name = "pkt_rate", .parse = parse_rate,
			  SVC_FIELD(pkt_rate) },
	[SK_PKT_BURST] = { .name = "pkt_burst", .parse = parse_num,
			   SVC_FIELD(pkt_burst),
			   .min = 1, .max = ADM_BURST_MAX },
	[SK_ON_RATE] = { .name = "on_rate", .parse = parse_enum,
			 SVC_FIELD(on_rate), .min = ADM_A_DROP,
			 .max = ADM_A_REPLY, .names = adm_action_name },
	[SK_ON_CONN_FULL] = { .name = "on_conn_full", .parse = parse_enum,
			      SVC_FIELD(on_conn_full), .min = ADM_A_DROP,
			      .max = ADM_A_REPLY, .names = adm_action_name },
	[SK_PRIORITY] = { .name = "priority", .parse = parse_enum,
			  SVC_FIELD(priority), .min = 0,
			  .max = ADM_PRIO__MAX - 1, .names = adm_priority_name },
	[SK_FINGERPRINT] = { .name = "fingerprint", .parse = parse_enum,
			     SVC_FIELD(fp_mode), .min = 0,
			     .max = ADM_FP__MAX - 1, .names = adm_fp_mode_name },
	[SK_IPV4_PREFIX] = { .name = "ipv4_prefix", .parse = parse_num,
			     SVC_FIELD(ipv4_prefix),
			     .min = 1, .max = CFG_V4_PREFIX_MAX },
	[SK_IPV6_PREFIX] = { .name = "ipv6_prefix", .parse = parse_num,
			     SVC_FIELD(ipv6_prefix),
			     .min = 1, .max = CFG_V6_PREFIX_MAX },
	[SK_RATE_SOURCES] = { .name = "rate_sources", .parse = parse_num,
			      SVC_FIELD(rate_sources),
			      .min = ADM_RATE_SOURCES_MIN, .max = ADM_MAX_RATE_SOURCES },
	[SK_PKT_SOURCES] = { .name = "pkt_sources", .parse = parse_num,
			     SVC_FIELD(pkt_sources),
			     .min = ADM_RATE_SOURCES_MIN, .max = ADM_MAX_RATE_SOURCES },
	/* socket layer: verified sources, reaping */
	[SK_VERIFY] = { .name = "verify", .parse = parse_enum,
			SVC_FIELD(verify), .min = CFG_NO, .max = CFG_YES,
			.names = yes_no_name },
	[SK_UNV_IPV4_PREFIX] = { .name = "unverified_ipv4_prefix",
				 .parse = parse_num, SVC_FIELD(unv_ipv4_prefix),
				 .min = 1, .max = CFG_V4_PREFIX_MAX },
	[SK_UNV_IPV6_PREFIX] = { .name = "unverified_ipv6_prefix",
				 .parse = parse_num, SVC_FIELD(unv_ipv6_prefix),
				 .min = 1, .max = CFG_V6_PREFIX_MAX },
	[SK_UNVERIFIED_RATE] = { .name = "unverified_rate", .parse = parse_rate,
				 SVC_FIELD(unverified_rate) },
	[SK_UNVERIFIED_BURST] = { .name = "unverified_burst", .parse = parse_num,
				  SVC_FIELD(unverified_burst),
				  .min = 1, .max = ADM_BURST_MAX },
	[SK_NEW_SOURCE_RATE] = { .name = "new_source_rate", .parse = parse_rate,
				 SVC_FIELD(new_source_rate) },
	[SK_NEW_SOURCE_BURST] = { .name = "new_source_burst", .parse = parse_num,
				  SVC_FIELD(new_source_burst),
				  .min = 1, .max = ADM_BURST_MAX },
	[SK_ON_UNVERIFIED] = { .name = "on_unverified", .parse = parse_enum,
			       SVC_FIELD(on_unverified), .min = ADM_A_DROP,
			       .max = ADM_A_REJECT, .names = adm_action_name },
	/* the polite refusal: admd's HTTP 503 responder ([reply]) */
	[SK_ON_BREAKER] = { .name = "on_breaker", .parse = parse_enum,
			    SVC_FIELD(on_breaker), .min = ADM_A_DROP,
			    .max = ADM_A_REPLY, .names = adm_action_name },
	[SK_TLS] = { .name = "tls", .parse = parse_enum, SVC_FIELD(tls),
		     .min = ADM_TLS_AUTO, .max = ADM_TLS_YES, .names = tls_name },
	[SK_IDLE_TIMEOUT] = { .name = "idle_timeout", .parse = parse_duration,
			      SVC_FIELD(idle_timeout_ns) },
	[SK_MAX_LIFETIME] = { .name = "max_lifetime", .parse = parse_duration,
			      SVC_FIELD(max_lifetime_ns) },
	/* breaker module: adaptive limit, breaker signals, dependency */
	[SK_CONN_LIMIT_MIN] = { .name = "conn_limit_min", .parse = parse_num,
				SVC_FIELD(brk.conn_limit_min),
				.min = 1, .max = CFG_CONN_LIMIT_MAX },
	[SK_CONN_LIMIT_MAX] = { .name = "conn_limit_max", .parse = parse_num,
				SVC_FIELD(brk.conn_limit_max),
				.min = 1, .max = CFG_CONN_LIMIT_MAX },
	[SK_BRK_LATENCY] = { .name = "breaker_latency",
			     .parse = parse_duration_range,
			     SVC_FIELD(brk.latency_ns),
			     .min = CFG_BRK_LATENCY_MIN, .max = CFG_BRK_LATENCY_MAX },
	[SK_BRK_ACCEPT_QUEUE] = { .name = "breaker_accept_queue",
				  .parse = parse_num, SVC_FIELD(brk.accept_queue),
				  .min = 1, .max = CFG_BRK_QUEUE_MAX },
	[SK_BRK_PRESSURE] = { .name = "breaker_pressure", .parse = parse_num,
			      SVC_FIELD(brk.pressure),
			      .min = 1, .max = ADM_DEGRADE_MAX },
	[SK_BRK_PROBE] = { .name = "breaker_probe", .parse = parse_probe,
			   SVC_FIELD(brk) },
	[SK_PROBE_INTERVAL] = { .name = "probe_interval",
				.parse = parse_duration_range,
				SVC_FIELD(brk.probe_interval_ns),
				.min = CFG_PROBE_INTERVAL_MIN,
				.max = CFG_BRK_PERIOD_MAX },
	[SK_PROBE_TIMEOUT] = { .name = "probe_timeout",
			       .parse = parse_duration_range,
			       SVC_FIELD(brk.probe_timeout_ns),
			       .min = CFG_PROBE_TIMEOUT_MIN,
			       .max = CFG_PROBE_TIMEOUT_MAX },
	[SK_BRK_WINDOW] = { .name = "breaker_window",
			    .parse = parse_duration_range,
			    SVC_FIELD(brk.window_ns),
			    .min = CFG_BRK_WINDOW_MIN, .max = CFG_BRK_PERIOD_MAX },
	[SK_BRK_COOLDOWN] = { .name = "breaker_cooldown",
			      .parse = parse_duration_range,
			      SVC_FIELD(brk.cooldown_ns),
			      .min = CFG_BRK_COOLDOWN_MIN, .max = CFG_BRK_PERIOD_MAX },
	[SK_HALF_OPEN_PERMILLE] = { .name = "half_open_permille",
				    .parse = parse_num,
				    SVC_FIELD(brk.half_open_permille),
				    .min = 1, .max = CFG_BRK_PERMILLE_MAX },
	[SK_DEPENDS_ON] = { .name = "depends_on", .parse = parse_svc_ref,
			    SVC_FIELD(brk.depends_on) },
	/* cluster, with [redis] */
	[SK_CLUSTER_CONN_RATE] = { .name = "cluster_conn_rate", .parse = parse_rate,
				   SVC_FIELD(cluster_conn_rate) },
	[SK_ON_STORE_FAILURE] = { .name = "on_store_failure", .parse = parse_enum,
				  SVC_FIELD(on_store_failure),
				  .min = ADM_SF_LOCAL_SHARE, .max = ADM_SF_CLOSED,
				  .names = adm_store_failure_name },
	[SK_CLUSTER_CONN_LIMIT] = { .name = "cluster_conn_limit", .parse = parse_num,
				    SVC_FIELD(cluster_conn_limit),
				    .min = 1, .max = CFG_CONN_LIMIT_MAX },
};

/*
 * Service lines of the cluster keys, for redis_final (a service section
 * closes before [redis] may open, so the check runs after the file).
 */
static void redis_final(struct cfg_ctx *ctx)
{
	const struct adm_config *cfg = ctx->cfg;
	char what[CFG_MSG_MAX];
	int i;

	if (cfg->redis.enabled)
		return;
	for (i = 0; i < cfg->n_svcs; i++) {
		const struct adm_svc_config *s = &cfg->svcs[i];
		const char *key = s->cluster_conn_rate.count ? "cluster_conn_rate" :
				  s->cluster_conn_limit ? "cluster_conn_limit" :
				  s->on_store_failure ? "on_store_failure" : NULL;

		if (!key)
			continue;
		set_msg(what, sizeof(what), "[service %s] %s", s->name, key);
		cfg_error(ctx, s->line, what, "set without a [redis] section",
			  "cluster keys together with [redis]");
		return;
	}
}

_Static_assert(ADM_ARRAY_SIZE(adm_keys) <= CFG_MAX_KEYS, "key_line too small");
_Static_assert(ADM_ARRAY_SIZE(svc_keys) <= CFG_MAX_KEYS, "key_line too small");

/* "a, b, c": the keys of the current section. */
static void list_keys(struct cfg_ctx *ctx)
{
	size_t i, used = 0;

	ctx->allowed[0] = '\0';
	for (i = 0; i < ctx->n_keys && used < sizeof(ctx->allowed); i++)
		used += snprintf(ctx->allowed + used, sizeof(ctx->allowed) - used,
				 "%s%s", i ? ", " : "", ctx->keys[i].name);
}

/* A burst needs its rate: without one there is nothing to burst over. */
static void check_burst(struct cfg_ctx *ctx, int burst_key, int rate_key,
			const struct adm_rate *rate, __u32 burst)
{
	char what[CFG_MSG_MAX], value[CFG_MSG_MAX];
	int line = ctx->key_line[burst_key];

	if (!line || rate->count)
		return;
	set_msg(value, sizeof(value), "%u", burst);
	cfg_what_key(ctx, what, sizeof(what), svc_keys[burst_key].name, value);
	problem(ctx, "set without %s", svc_keys[rate_key].name);
	allowed(ctx, "%s together with %s = N/s or N/m",
		svc_keys[burst_key].name, svc_keys[rate_key].name);
	cfg_error(ctx, line, what, ctx->problem, ctx->allowed);
}

static void text_line(const char *text, int line, char *buf, size_t len);

/* The value key `key` of the current section was given, as written. */
static void text_of_key(const struct cfg_ctx *ctx, int key, char *buf, size_t len)
{
	char line[CFG_MSG_MAX];
	const char *eq;

	text_line(ctx->text, ctx->key_line[key], line, sizeof(line));
	eq = strpbrk(line, "=:");
	if (!eq || copy_trimmed(eq + 1, eq + 1 + strlen(eq + 1), buf, len))
		set_msg(buf, len, "%s", line);
}

/* Key `key` at its line names a problem with the value it was set to. */
static void key_problem(struct cfg_ctx *ctx, int key, const char *value,
			const char *prob, const char *allow)
{
	char what[CFG_MSG_MAX];

	cfg_what_key(ctx, what, sizeof(what), svc_keys[key].name, value);
	cfg_error(ctx, ctx->key_line[key], what, prob, allow);
}

/* The breaker module's keys of a service: checks across keys, defaults. */
static void check_breaker(struct cfg_ctx *ctx)
{
	struct adm_brk_config *b = &ctx->svc->brk;
	static const int needs_signal[] = {
		SK_BRK_WINDOW, SK_BRK_COOLDOWN, SK_HALF_OPEN_PERMILLE,
	};
	static const int needs_probe[] = { SK_PROBE_INTERVAL, SK_PROBE_TIMEOUT };
	int signal = b->latency_ns || b->accept_queue || b->pressure ||
		     b->probe_kind;
	char v[CFG_MSG_MAX];
	size_t i;

	for (i = 0; i < ADM_ARRAY_SIZE(needs_signal); i++)
		if (ctx->key_line[needs_signal[i]] && !signal) {
			text_of_key(ctx, needs_signal[i], v, sizeof(v));
			key_problem(ctx, needs_signal[i], v,
				    "set without a breaker signal",
				    "together with breaker_latency, breaker_accept_queue, "
				    "breaker_pressure or breaker_probe");
		}
	for (i = 0; i < ADM_ARRAY_SIZE(needs_probe); i++)
		if (ctx->key_line[needs_probe[i]] && !b->probe_kind) {
			text_of_key(ctx, needs_probe[i], v, sizeof(v));
			key_problem(ctx, needs_probe[i], v, "set without breaker_probe",
				    "together with breaker_probe = tcp:ADDR:PORT or "
				    "http://ADDR:PORT/PATH");
		}
	if (!b->conn_limit_auto) {
		if (ctx->key_line[SK_CLUSTER_CONN_LIMIT]) {
			text_of_key(ctx, SK_CLUSTER_CONN_LIMIT, v, sizeof(v));
			key_problem(ctx, SK_CLUSTER_CONN_LIMIT, v, "set without conn_limit = auto",
				    "together with conn_limit = auto (a fixed conn_limit is already cluster-wide under [redis])");
		}
		if (ctx->key_line[SK_CONN_LIMIT_MIN]) {
			text_of_key(ctx, SK_CONN_LIMIT_MIN, v, sizeof(v));
			key_problem(ctx, SK_CONN_LIMIT_MIN, v, "set without conn_limit = auto",
				    "together with conn_limit = auto");
		}
		if (ctx->key_line[SK_CONN_LIMIT_MAX]) {
			text_of_key(ctx, SK_CONN_LIMIT_MAX, v, sizeof(v));
			key_problem(ctx, SK_CONN_LIMIT_MAX, v, "set without conn_limit = auto",
				    "together with conn_limit = auto");
		}
	}
	if (!ctx->key_line[SK_CONN_LIMIT_MIN])
		b->conn_limit_min = CFG_CONN_AUTO_MIN;
	if (!ctx->key_line[SK_CONN_LIMIT_MAX])
		b->conn_limit_max = b->conn_limit_min > CFG_CONN_AUTO_MAX ?
				    b->conn_limit_min : CFG_CONN_AUTO_MAX;
	if (b->conn_limit_min > b->conn_limit_max) {
		int key = ctx->key_line[SK_CONN_LIMIT_MAX] > ctx->key_line[SK_CONN_LIMIT_MIN] ?
			  SK_CONN_LIMIT_MAX : SK_CONN_LIMIT_MIN;
		char allow[CFG_MSG_MAX];

		text_of_key(ctx, key, v, sizeof(v));
		set_msg(allow, sizeof(allow), "conn_limit_min <= conn_limit_max "
			"(here %llu > %llu)", (unsigned long long)b->conn_limit_min,
			(unsigned long long)b->conn_limit_max);
		key_problem(ctx, key, v, "conn_limit_min above conn_limit_max", allow);
	}
	if (!ctx->key_line[SK_PROBE_INTERVAL])
		b->probe_interval_ns = CFG_PROBE_INTERVAL;
	if (!ctx->key_line[SK_PROBE_TIMEOUT])
		b->probe_timeout_ns = b->probe_interval_ns < CFG_PROBE_TIMEOUT * 2 ?
				      b->probe_interval_ns / 2 : CFG_PROBE_TIMEOUT;
	if (b->probe_kind && b->probe_timeout_ns >= b->probe_interval_ns) {
		int key = ctx->key_line[SK_PROBE_TIMEOUT] ? SK_PROBE_TIMEOUT :
			  SK_PROBE_INTERVAL;

		text_of_key(ctx, key, v, sizeof(v));
		key_problem(ctx, key, v, "probe_timeout not below probe_interval",
			    "probe_timeout < probe_interval");
	}
	if (!ctx->key_line[SK_BRK_WINDOW])
		b->window_ns = CFG_BRK_WINDOW;
	if (!ctx->key_line[SK_BRK_COOLDOWN])
		b->cooldown_ns = CFG_BRK_COOLDOWN;
	if (!ctx->key_line[SK_HALF_OPEN_PERMILLE])
		b->half_open_permille = CFG_BRK_PERMILLE;
	if (ctx->key_line[SK_DEPENDS_ON] && !strcmp(b->depends_on, ctx->svc->name))
		key_problem(ctx, SK_DEPENDS_ON, b->depends_on,
			    "a service cannot depend on itself",
			    "the name of another [service NAME]");
	b->depends_line = ctx->key_line[SK_DEPENDS_ON];
}

/*
 * verify = yes needs new_source_rate: it is the one budget that bounds
 * never-verified sources in total (unverified_rate is per prefix, and a
 * flood from random addresses meets a fresh prefix on most SYNs). A
 * config that asks for protection must never mean "unlimited".
 */
static void check_verify_budget(struct cfg_ctx *ctx)
{
	char what[CFG_MSG_MAX];
	int line = ctx->key_line[SK_VERIFY];

	if (!line || !ctx->svc->verify || ctx->svc->new_source_rate.count)
		return;
	cfg_what_key(ctx, what, sizeof(what), svc_keys[SK_VERIFY].name, "yes");
	problem(ctx, "without %s every never-verified source would be admitted unlimited",
		svc_keys[SK_NEW_SOURCE_RATE].name);
	allowed(ctx, "%s = yes together with %s = N/s or N/m (and optionally %s)",
		svc_keys[SK_VERIFY].name, svc_keys[SK_NEW_SOURCE_RATE].name,
		svc_keys[SK_UNVERIFIED_RATE].name);
	cfg_error(ctx, line, what, ctx->problem, ctx->allowed);
}

/*
 * [mariadb] as a whole: socket or host (not both) turns the drain on and
 * then needs user and database; port only with host; the others alone
 * configure the spool.
 */
static void mariadb_end(struct cfg_ctx *ctx)
{
	struct adm_mariadb_config *db = &ctx->cfg->mariadb;
	char what[CFG_MSG_MAX];
	int *kl = ctx->key_line;

	db->line = ctx->sec_line;
	db->password_file_line = kl[DK_PASSWORD_FILE];
	if (kl[DK_SOCKET] && kl[DK_HOST]) {
		set_msg(what, sizeof(what), "[mariadb] host = '%.*s'", CFG_SHOW_MAX,
			db->host);
		problem(ctx, "set together with socket (line %d)", kl[DK_SOCKET]);
		cfg_error(ctx, kl[DK_HOST], what, ctx->problem,
			  "socket (a unix socket) or host and port, not both");
		return;
	}
	if (kl[DK_PORT] && !kl[DK_HOST]) {
		set_msg(what, sizeof(what), "[mariadb] port = '%u'", db->port);
		cfg_error(ctx, kl[DK_PORT], what, "set without host",
			  "port together with host");
		return;
	}
	db->enabled = kl[DK_SOCKET] || kl[DK_HOST];
	if (!db->enabled && (kl[DK_USER] || kl[DK_DATABASE] || kl[DK_PASSWORD_FILE])) {
		int at = kl[DK_USER] ? DK_USER : kl[DK_DATABASE] ? DK_DATABASE :
							      DK_PASSWORD_FILE;

		set_msg(what, sizeof(what), "[mariadb] %s", mariadb_keys[at].name);
		cfg_error(ctx, kl[at], what, "set without socket or host",
			  "socket = PATH or host = NAME to send the logs to MariaDB; "
			  "without them only spool_dir, spool_max_mb, batch_ms and aggregate_* apply");
		return;
	}
	if (db->enabled && (!kl[DK_USER] || !kl[DK_DATABASE])) {
		set_msg(what, sizeof(what), "[mariadb]");
		problem(ctx, "required key '%s' is missing",
			kl[DK_USER] ? "database" : "user");
		cfg_error(ctx, ctx->sec_line, what, ctx->problem,
			  "user = NAME and database = NAME with socket or host");
	}
}

/* The spool's directory defaults to one per pin root, as the control socket. */
static void mariadb_final(struct cfg_ctx *ctx)
{
	struct adm_mariadb_config *db = &ctx->cfg->mariadb;
	const char *pin = ctx->cfg->pin_root, *base;
	size_t blen;
	int n;

	if (db->spool_dir[0])
		return;
	blen = strlen(pin);
	while (blen > 1 && pin[blen - 1] == '/')
		blen--;
	base = pin + blen;
	while (base > pin && base[-1] != '/')
		base--;
	n = snprintf(db->spool_dir, sizeof(db->spool_dir), "%s/%.*s",
		     ADM_SPOOL_DIR_BASE, (int)(pin + blen - base), base);
	if (n < 0 || (size_t)n >= sizeof(db->spool_dir) || base == pin + blen) {
		problem(ctx, "no default spool_dir for pin_root '%.*s'",
			CFG_SHOW_MAX, pin);
		cfg_error(ctx, 0, NULL, ctx->problem,
			  "[mariadb] spool_dir = an absolute path");
	}
}

/*
 * End of the current section: checks that need the whole section, and
 * defaults that depend on other keys (so the order of keys never matters).
 */
static void cfg_section_end(struct cfg_ctx *ctx)
{
	struct adm_svc_config *svc = ctx->svc;
	char what[CFG_MSG_MAX];
	int coarse;

	if (ctx->sec == CFG_SEC_TOP && ctx->top->end)
		ctx->top->end(ctx);
	if (ctx->sec != CFG_SEC_SERVICE)
		return;
	if (!ctx->key_line[SK_PORTS]) {
		set_msg(what, sizeof(what), "[%s]", ctx->sec_text);
		cfg_error(ctx, ctx->sec_line, what, "required key 'ports' is missing",
			  "ports = " CFG_PORTS_ALLOWED);
		return;
	}
	check_burst(ctx, SK_NEW_CONN_BURST, SK_NEW_CONN_RATE,
		    &svc->new_conn_rate, svc->new_conn_burst);
	check_burst(ctx, SK_PKT_BURST, SK_PKT_RATE, &svc->pkt_rate,
		    svc->pkt_burst);
	check_burst(ctx, SK_UNVERIFIED_BURST, SK_UNVERIFIED_RATE,
		    &svc->unverified_rate, svc->unverified_burst);
	check_burst(ctx, SK_NEW_SOURCE_BURST, SK_NEW_SOURCE_RATE,
		    &svc->new_source_rate, svc->new_source_burst);
	check_breaker(ctx);
	check_verify_budget(ctx);
	coarse = svc->fp_mode == ADM_FP_PREFIX;
	if (!ctx->key_line[SK_IPV4_PREFIX])
		svc->ipv4_prefix = coarse ? CFG_V4_PREFIX_COARSE : CFG_V4_PREFIX_IP;
	if (!ctx->key_line[SK_IPV6_PREFIX])
		svc->ipv6_prefix = coarse ? CFG_V6_PREFIX_COARSE : CFG_V6_PREFIX_IP;
}

static int svc_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len && len < ADM_SVC_NAME_MAX &&
	       name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz"
				 "0123456789_-")] == '\0';
}

static void cfg_enter(struct cfg_ctx *ctx, enum cfg_section sec,
		      const struct cfg_key *keys, size_t n_keys)
{
	ctx->sec = sec;
	ctx->sec_line = ctx->line;
	ctx->keys = keys;
	ctx->n_keys = n_keys;
	memset(ctx->key_line, 0, sizeof(ctx->key_line));
}

/* [service NAME]: a new service with its defaults. */
static void cfg_enter_service(struct cfg_ctx *ctx, const char *name,
			      const char *what)
{
	struct adm_config *cfg = ctx->cfg;
	struct adm_svc_config *svc;
	int i;

	if (!svc_name_ok(name)) {
		problem(ctx, "'%.*s' is not a service name", CFG_SHOW_MAX, name);
		allowed(ctx, "1..%d characters [A-Za-z0-9_-]", ADM_SVC_NAME_MAX - 1);
		cfg_error(ctx, ctx->line, what, ctx->problem, ctx->allowed);
		return;
	}
	for (i = 0; i < cfg->n_svcs; i++) {
		if (!strcmp(cfg->svcs[i].name, name)) {
			problem(ctx, "repeated section (first at line %d)",
				cfg->svcs[i].line);
			cfg_error(ctx, ctx->line, what, ctx->problem,
				  "each section once");
			return;
		}
	}
	if (cfg->n_svcs >= CFG_MAX_SVCS) {
		problem(ctx, "more than %d services", CFG_MAX_SVCS);
		allowed(ctx, "at most %d [service NAME] sections", CFG_MAX_SVCS);
		cfg_error(ctx, ctx->line, what, ctx->problem, ctx->allowed);
		return;
	}
	svc = &cfg->svcs[cfg->n_svcs];
	memset(svc, 0, sizeof(*svc));
	strcpy(svc->name, name);
	svc->id = ++cfg->n_svcs;
	svc->line = ctx->line;
	svc->on_rate = ADM_A_DROP;
	svc->on_conn_full = ADM_A_DEFER;
	svc->on_unverified = ADM_A_DROP;
	svc->on_breaker = ADM_A_REJECT;
	svc->priority = ADM_PRIO_NORMAL;
	svc->fp_mode = ADM_FP_IP;
	svc->unv_ipv4_prefix = CFG_UNV_V4_PREFIX;
	svc->unv_ipv6_prefix = CFG_UNV_V6_PREFIX;
	ctx->svc = svc;
	set_msg(ctx->sec_text, sizeof(ctx->sec_text), "service %s", name);
	cfg_enter(ctx, CFG_SEC_SERVICE, svc_keys, ADM_ARRAY_SIZE(svc_keys));
}

/* "[adm], [metrics] or [service NAME]": every section a file may have. */
static void sections_text(char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < ADM_ARRAY_SIZE(cfg_sections) && used < len; i++)
		used += snprintf(buf + used, len - used, "[%s]%s", cfg_sections[i].name,
				 i + 1 < ADM_ARRAY_SIZE(cfg_sections) ? ", " : " ");
	if (used < len)
		snprintf(buf + used, len - used, "or [service NAME]");
}

/*
 * A line starting with '[' (hdr, indentation stripped, ends in '\n'):
 * close the current section and open the new one. Returns -1 on error.
 */
static int cfg_section_start(struct cfg_ctx *ctx, char *hdr)
{
	static const char service[] = "service";
	char inner[CFG_MSG_MAX], what[CFG_MSG_MAX], allow[CFG_MSG_MAX];
	char *close, *rest;
	size_t i;

	cfg_section_end(ctx);
	if (ctx->failed)
		return -1;
	ctx->sec = CFG_SEC_NONE;
	ctx->svc = NULL;
	ctx->top = NULL;
	sections_text(allow, sizeof(allow));
	close = strchr(hdr, ']');
	if (!close) {
		hdr[strcspn(hdr, "\r\n")] = '\0';
		set_msg(what, sizeof(what), "'%.*s'", CFG_SHOW_MAX, hdr);
		cfg_error(ctx, ctx->line, what, "section header without ']'", allow);
		return -1;
	}
	if (copy_trimmed(hdr + 1, close, inner, sizeof(inner)))
		inner[0] = '\0';
	set_msg(what, sizeof(what), "[%.*s]", CFG_SHOW_MAX, inner);
	rest = close + 1 + strspn(close + 1, " \t\r\n");
	if (*rest && *rest != ';' && *rest != '#') {
		cfg_error(ctx, ctx->line, what, "text after ']'",
			  "a comment starting with ; or #");
		return -1;
	}

	for (i = 0; i < ADM_ARRAY_SIZE(cfg_sections); i++) {
		const struct cfg_section_def *def = &cfg_sections[i];

		if (strcmp(inner, def->name))
			continue;
		if (ctx->top_line[i]) {
			problem(ctx, "repeated section (first at line %d)",
				ctx->top_line[i]);
			cfg_error(ctx, ctx->line, what, ctx->problem,
				  "each section once");
			return -1;
		}
		ctx->top_line[i] = ctx->line;
		set_msg(ctx->sec_text, sizeof(ctx->sec_text), "%s", def->name);
		ctx->top = def;
		cfg_enter(ctx, CFG_SEC_TOP, def->keys, def->n_keys);
		return 0;
	}
	if (!strncmp(inner, service, strlen(service)) &&
	    (!inner[strlen(service)] || isspace((unsigned char)inner[strlen(service)]))) {
		const char *name = inner + strlen(service);

		name += strspn(name, " \t");
		cfg_enter_service(ctx, name, what);
		return ctx->failed ? -1 : 0;
	}
	cfg_error(ctx, ctx->line, what, "unknown section", allow);
	return -1;
}

/*
 * inih's fgets: hands over exactly one line per call (so inih's line count
 * is ours), without indentation, and spots section headers. Stops the
 * parse (NULL) at the end of the text or after the first error.
 */
static char *cfg_reader(char *buf, int num, void *stream)
{
	struct cfg_ctx *ctx = stream;
	const char *start = ctx->pos, *end;
	size_t len;

	if (ctx->failed || !*start)
		return NULL;
	end = strchrnul(start, '\n');
	ctx->pos = *end ? end + 1 : end;
	ctx->line++;
	if (ctx->line == 1 && !strncmp(start, CFG_UTF8_BOM, strlen(CFG_UTF8_BOM)))
		start += strlen(CFG_UTF8_BOM);
	while (start < end && isspace((unsigned char)*start))
		start++;
	len = end - start;
	/* Room for the line, its '\n' and the NUL. */
	if (num < 2 || len > (size_t)num - 2) {
		problem(ctx, "line too long (%zu characters)", len);
		allowed(ctx, "at most %d characters per line", num - 2);
		cfg_error(ctx, ctx->line, NULL, ctx->problem, ctx->allowed);
		return NULL;
	}
	memcpy(buf, start, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	if (buf[0] == '[' && cfg_section_start(ctx, buf))
		return NULL;
	return buf;
}

/* Section names come from the reader: full length, and with their line. */
#if INI_HANDLER_LINENO
static int cfg_handler(void *user, const char *section, const char *name,
		       const char *value, int lineno)
#else
static int cfg_handler(void *user, const char *section, const char *name,
		       const char *value)
#endif
{
	struct cfg_ctx *ctx = user;
	const struct cfg_key *k = NULL;
	size_t i;
	char *base;

	(void)section;
#if INI_HANDLER_LINENO
	(void)lineno;
#endif
	if (ctx->failed)
		return 1;
	if (!value)		/* a build with INI_ALLOW_NO_VALUE */
		value = "";
	if (ctx->sec == CFG_SEC_NONE) {
		char secs[CFG_MSG_MAX];

		sections_text(secs, sizeof(secs));
		problem(ctx, "key outside any section");
		allowed(ctx, "keys inside %s", secs);
		cfg_key_error(ctx, ctx->line, name, value);
		return 1;
	}
	for (i = 0; i < ctx->n_keys; i++) {
		if (!strcmp(ctx->keys[i].name, name)) {
			k = &ctx->keys[i];
			break;
		}
	}
	if (!k) {
		problem(ctx, "unknown key");
		list_keys(ctx);
		cfg_key_error(ctx, ctx->line, name, value);
		return 1;
	}
	if (ctx->key_line[i]) {
		problem(ctx, "repeated key (first at line %d)", ctx->key_line[i]);
		allowed(ctx, "each key once per section");
		cfg_key_error(ctx, ctx->line, name, value);
		return 1;
	}
	ctx->key_line[i] = ctx->line;
	base = ctx->sec == CFG_SEC_SERVICE ? (char *)ctx->svc : (char *)ctx->cfg;
	if (k->parse(ctx, k, base + k->off, value)) {
		if (!*value)	/* the parser's allowed text still applies */
			problem(ctx, "empty value");
		cfg_key_error(ctx, ctx->line, name, value);
	}
	return 1;
}

/* Line `line` of the text, without indentation or line end, into buf. */
static void text_line(const char *text, int line, char *buf, size_t len)
{
	const char *end;

	while (--line > 0 && (text = strchr(text, '\n')))
		text++;
	if (!text) {
		buf[0] = '\0';
		return;
	}
	end = strchrnul(text, '\n');
	if (copy_trimmed(text, end, buf, len))
		set_msg(buf, len, "%.*s...", CFG_SHOW_MAX, text);
}

void adm_config_defaults(struct adm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->pin_root, ADM_DEFAULT_PIN_ROOT);
	cfg->xdp_mode = ADM_XDP_AUTO;
	cfg->shadow = 0;
	cfg->reconcile_ms = CFG_RECONCILE_MS;
	cfg->src_filter_rebuild_s = CFG_FILTER_REBUILD_S;
	strcpy(cfg->metrics_listen, ADM_DEFAULT_METRICS);
	cfg->mariadb.port = CFG_DB_PORT;
	cfg->mariadb.batch_rows = CFG_DB_BATCH_ROWS;
	cfg->mariadb.batch_ms = CFG_DB_BATCH_MS;
	cfg->mariadb.spool_max_mb = CFG_DB_SPOOL_MB;
	cfg->mariadb.connect_timeout_ms = CFG_DB_CONNECT_MS;
	cfg->mariadb.io_timeout_ms = CFG_DB_IO_MS;
	cfg->mariadb.aggregate_ms = CFG_DB_AGG_MS;
	cfg->mariadb.aggregate_prefix4 = 32;
	cfg->mariadb.aggregate_prefix6 = 128;
	cfg->reply.retry_after = CFG_REPLY_RETRY_AFTER;
	cfg->reply.retry_after_jitter = CFG_REPLY_JITTER;
	cfg->reply.reply_max = CFG_REPLY_MAX;
	cfg->reply.reply_timeout_ns = CFG_REPLY_TIMEOUT_NS;
}

int adm_svc_tls(const struct adm_svc_config *sc)
{
	int i;

	if (sc->tls != ADM_TLS_AUTO)
		return sc->tls == ADM_TLS_YES;
	for (i = 0; i < sc->n_ports; i++)
		if (sc->port_proto[i] == IPPROTO_TCP && sc->ports[i] == CFG_TLS_PORT)
			return 1;
	return 0;
}

int adm_config_uses_reply(const struct adm_config *cfg)
{
	int i;

	for (i = 0; i < cfg->n_svcs; i++) {
		const struct adm_svc_config *sc = &cfg->svcs[i];

		if (!adm_svc_tls(sc) && (sc->on_rate == ADM_A_REPLY ||
					 sc->on_conn_full == ADM_A_REPLY ||
					 sc->on_breaker == ADM_A_REPLY))
			return 1;
	}
	return 0;
}

int adm_config_parse_string(const char *text, const char *name,
			    struct adm_config *cfg, char *err, size_t errlen)
{
	struct cfg_ctx *ctx;
	char line[CFG_MSG_MAX], what[CFG_MSG_MAX + sizeof("''")];
	size_t i;
	int ret;

	if (!name)
		name = "(string)";
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot parse: %s", name,
				 strerror(ENOMEM));
		return -1;
	}
	ctx->cfg = cfg;
	ctx->name = name;
	ctx->text = text;
	ctx->pos = text;
	ctx->err = err;
	ctx->errlen = errlen;
	adm_config_defaults(cfg);

	if (strlen(name) >= sizeof(cfg->path)) {
		problem(ctx, "file name too long");
		allowed(ctx, "at most %zu characters", sizeof(cfg->path) - 1);
		cfg_error(ctx, 0, NULL, ctx->problem, ctx->allowed);
		goto out;
	}
	strcpy(cfg->path, name);

	ret = ini_parse_stream(cfg_reader, ctx, cfg_handler, ctx);
	if (ret < 0)
		cfg_error(ctx, 0, NULL, "cannot parse: out of memory",
			  "a smaller file");
	if (!ctx->failed) {
		ctx->line++;	/* end of file: after anything inih found */
		cfg_section_end(ctx);
	}
	/* A line inih could not parse, if it came before our first error. */
	if (ret > 0 && (!ctx->failed || ret < ctx->failed_at)) {
		ctx->failed = 0;
		text_line(text, ret, line, sizeof(line));
		set_msg(what, sizeof(what), "'%s'", line);
		cfg_error(ctx, ret, what, "not a section header, key = value "
			  "or comment", "[section], key = value, or a comment "
			  "starting with ; or #");
	}
	for (i = 0; i < ADM_ARRAY_SIZE(cfg_sections) && !ctx->failed; i++)
		if (cfg_sections[i].final)
			cfg_sections[i].final(ctx);
	if (!ctx->failed)
		check_depends(ctx);
	if (!ctx->failed && !cfg->n_svcs) {
		problem(ctx, "no [service NAME] section");
		allowed(ctx, "1..%d [service NAME] sections", CFG_MAX_SVCS);
		cfg_error(ctx, 0, NULL, ctx->problem, ctx->allowed);
	}
out:
	ret = ctx->failed ? -1 : 0;
	free(ctx);
	return ret;
}

int adm_config_load(const char *path, struct adm_config *cfg, char *err,
		    size_t errlen)
{
	char *text = NULL;
	const char *nul;
	FILE *f = NULL;
	int ret = -1;
	size_t n;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	text = malloc(CFG_FILE_MAX + 1);
	if (!text) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(ENOMEM));
		goto out;
	}
	n = fread(text, 1, CFG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (n > CFG_FILE_MAX) {
		snprintf(err, errlen, "%s: file too large; allowed: at most %d bytes",
			 path, CFG_FILE_MAX);
		goto out;
	}
	text[n] = '\0';
	nul = memchr(text, '\0', n);
	if (nul) {
		int line = 1;
		const char *p;

		for (p = text; p < nul; p++)
			line += *p == '\n';
		snprintf(err, errlen, "%s:%d: NUL byte in the file; allowed: text",
			 path, line);
		goto out;
	}
	ret = adm_config_parse_string(text, path, cfg, err, errlen);
out:
	free(text);
	if (f)
		fclose(f);
	return ret;
}

const char *adm_store_failure_name(unsigned int v)
{
	static const char *const names[] = {
		[ADM_SF_UNSET] = "unset",
		[ADM_SF_LOCAL_SHARE] = "local-share",
		[ADM_SF_OPEN] = "open",
		[ADM_SF_CLOSED] = "closed",
	};

	return v < ADM_ARRAY_SIZE(names) ? names[v] : "?";
}

const struct adm_svc_config *adm_config_service(const struct adm_config *cfg,
						const char *name)
{
	int i;

	for (i = 0; i < cfg->n_svcs; i++)
		if (!strcmp(cfg->svcs[i].name, name))
			return &cfg->svcs[i];
	return NULL;
}
