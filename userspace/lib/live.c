// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Live policy keys (prefix adm_live_): set and read back a service's limits; see live.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adm/gcra.h"
#include "clock.h"
#include "live.h"
#include "util.h"

#define LIVE_TEXT_MAX	1024	/* the synthesized config section */
#define LIVE_SRC_NAME	"live"	/* its file name, cut from messages */

static const char *const key_names[ADM_LIVE__MAX] = {
	[ADM_LIVE_CONN_LIMIT] = "conn_limit",
	[ADM_LIVE_FP_CONN_LIMIT] = "fp_conn_limit",
	[ADM_LIVE_NEW_CONN_RATE] = "new_conn_rate",
	[ADM_LIVE_NEW_CONN_BURST] = "new_conn_burst",
	[ADM_LIVE_PKT_RATE] = "pkt_rate",
	[ADM_LIVE_PKT_BURST] = "pkt_burst",
	[ADM_LIVE_ON_RATE] = "on_rate",
	[ADM_LIVE_ON_CONN_FULL] = "on_conn_full",
	[ADM_LIVE_PRIORITY] = "priority",
};

/* Service keys of the config file that only a reload can change. */
static const char *const reload_only[] = {
	"ports", "fingerprint", "ipv4_prefix", "ipv6_prefix", "verify",
	"unverified_ipv4_prefix", "unverified_ipv6_prefix", "unverified_rate",
	"unverified_burst", "new_source_rate", "new_source_burst",
	"idle_timeout", "max_lifetime",
};

const char *adm_live_key_name(unsigned int key)
{
	return key < ADM_LIVE__MAX ? key_names[key] : NULL;
}

void adm_live_key_list(char *buf, size_t len)
{
	size_t used = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < ADM_LIVE__MAX && used < len; k++)
		used += snprintf(buf + used, len - used, "%s%s", k ? ", " : "",
				 key_names[k]);
}

int adm_live_key_lookup(const char *name, char *err, size_t errlen)
{
	char keys[LIVE_TEXT_MAX];
	size_t i;
	int k;

	for (k = 0; k < ADM_LIVE__MAX; k++)
		if (!strcmp(name, key_names[k]))
			return k;
	for (i = 0; i < ADM_ARRAY_SIZE(reload_only); i++) {
		if (!strcmp(name, reload_only[i])) {
			snprintf(err, errlen,
				 "'%s' cannot change live; edit the config file and run 'admctl reload'",
				 name);
			return -1;
		}
	}
	adm_live_key_list(keys, sizeof(keys));
	snprintf(err, errlen, "unknown key '%s'; live keys: %s", name, keys);
	return -1;
}

/*
 * A value goes into a one-line INI fragment: refuse what could end the line,
 * start a comment or a section, so the fragment is exactly one key.
 */
static int value_is_plain(const char *v)
{
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f || strchr(";#[]=\\\"'", *v))
			return 0;
	return 1;
}

int adm_live_parse(const char *svc_name, enum adm_live_key key,
		   const char *value, struct adm_live_value *out, char *err,
		   size_t errlen)
{
	struct adm_config *cfg = NULL;
	const struct adm_svc_config *sc;
	char text[LIVE_TEXT_MAX], cerr[ADM_ERR_MAX];
	const char *msg, *rate_key = NULL;
	struct adm_live_value v = { .key = key };
	int ret = -1;

	if ((unsigned int)key >= ADM_LIVE__MAX) {
		snprintf(err, errlen, "unknown live key %d", (int)key);
		return -1;
	}
	if (!*value || !value_is_plain(value)) {
		snprintf(err, errlen,
			 "[service %s] %s = '%.64s': not a value a config file could hold; see 'admctl limits set --help'",
			 svc_name, key_names[key], value);
		return -1;
	}
	/* A burst is valid only next to its rate: give it one (any). */
	if (key == ADM_LIVE_NEW_CONN_BURST)
		rate_key = key_names[ADM_LIVE_NEW_CONN_RATE];
	else if (key == ADM_LIVE_PKT_BURST)
		rate_key = key_names[ADM_LIVE_PKT_RATE];
	if (snprintf(text, sizeof(text), "[service %s]\nports = 1\n%s%s%s%s = %s\n",
		     svc_name, rate_key ? rate_key : "", rate_key ? " = 1/s" : "",
		     rate_key ? "\n" : "", key_names[key], value) >= (int)sizeof(text)) {
		snprintf(err, errlen, "[service %s] %s: value too long", svc_name,
			 key_names[key]);
		return -1;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (adm_config_parse_string(text, LIVE_SRC_NAME, cfg, cerr, sizeof(cerr))) {
		/* "live:3: [service web] ..." -> "[service web] ..." */
		msg = strstr(cerr, ": [");
		snprintf(err, errlen, "%s", msg ? msg + 2 : cerr);
		goto out;
	}
	sc = &cfg->svcs[0];
	if (key == ADM_LIVE_CONN_LIMIT && sc->brk.conn_limit_auto) {
		snprintf(err, errlen,
			 "[service %s] conn_limit = 'auto' cannot change live; set it in the config file and run 'admctl reload'",
			 svc_name);
		goto out;
	}
	switch (key) {
	case ADM_LIVE_CONN_LIMIT: v.num = sc->conn_limit; break;
	case ADM_LIVE_FP_CONN_LIMIT: v.num = sc->fp_conn_limit; break;
	case ADM_LIVE_NEW_CONN_RATE: v.rate = sc->new_conn_rate; break;
	case ADM_LIVE_NEW_CONN_BURST: v.num = sc->new_conn_burst; break;
	case ADM_LIVE_PKT_RATE: v.rate = sc->pkt_rate; break;
	case ADM_LIVE_PKT_BURST: v.num = sc->pkt_burst; break;
	case ADM_LIVE_ON_RATE: v.num = sc->on_rate; break;
	case ADM_LIVE_ON_CONN_FULL: v.num = sc->on_conn_full; break;
	case ADM_LIVE_PRIORITY: v.num = sc->priority; break;
	default: break;
	}
	*out = v;
	ret = 0;
out:
	free(cfg);
	return ret;
}

__u64 adm_gcra_burst(const struct adm_gcra *g)
{
	return g->emission_ns ? g->tau_ns / g->emission_ns + 1 : 0;
}

/* New rate r on g, keeping g's burst (or the config default if g was off). */
static void set_rate(struct adm_gcra *g, const struct adm_rate *r)
{
	__u64 burst = adm_gcra_burst(g);

	*g = adm_rate_to_gcra_dp(r, burst > ADM_BURST_MAX ? ADM_BURST_MAX : (__u32)burst);
}

static int set_burst(struct adm_gcra *g, __u64 burst, const char *rate_key,
		     char *err, size_t errlen)
{
	if (!g->emission_ns) {
		snprintf(err, errlen,
			 "%s is off for this service, so a burst has nothing to apply to; set %s first",
			 rate_key, rate_key);
		return -1;
	}
	/* The config's conversion, one-tick floor included: rate = 1 per emission. */
	*g = adm_rate_to_gcra_dp(&(struct adm_rate){ .count = 1,
				  .period_ns = g->emission_ns }, (__u32)burst);
	return 0;
}

/* A TLS service (policy.c) sends reply as reject. */
static __u8 adm_live_action(const struct adm_service *svc, __u64 action)
{
	if (action == ADM_A_REPLY && (svc->flags & ADM_SVC_TLS))
		return ADM_A_REJECT;
	return (__u8)action;
}

int adm_live_apply(const struct adm_live_value *v, struct adm_service *svc,
		   __u64 *conn_limit, char *err, size_t errlen)
{
	struct adm_service next = *svc;

	switch (v->key) {
	case ADM_LIVE_CONN_LIMIT:
		*conn_limit = v->num;
		return 0;
	case ADM_LIVE_FP_CONN_LIMIT:
		next.fp_conn_limit = (__u32)v->num;
		break;
	case ADM_LIVE_NEW_CONN_RATE:
		set_rate(&next.syn, &v->rate);
		break;
	case ADM_LIVE_NEW_CONN_BURST:
		if (set_burst(&next.syn, v->num, key_names[ADM_LIVE_NEW_CONN_RATE],
			      err, errlen))
			return -1;
		break;
	case ADM_LIVE_PKT_RATE:
		set_rate(&next.pkt, &v->rate);
		break;
	case ADM_LIVE_PKT_BURST:
		if (set_burst(&next.pkt, v->num, key_names[ADM_LIVE_PKT_RATE],
			      err, errlen))
			return -1;
		break;
	case ADM_LIVE_ON_RATE:
		next.on_rate = adm_live_action(svc, v->num);
		break;
	case ADM_LIVE_ON_CONN_FULL:
		next.on_conn_full = adm_live_action(svc, v->num);
		break;
	case ADM_LIVE_PRIORITY:
		next.priority = (__u8)v->num;
		break;
	default:
		snprintf(err, errlen, "unknown live key %d", (int)v->key);
		return -1;
	}
	*svc = next;
	return 0;
}

/* count per period, if emission is exactly what parsing "count/period" gives. */
static __u64 exact_count(__u64 emission, __u64 period)
{
	__u64 c = (period + emission / 2) / emission;

	return c && period / c == emission ? c : 0;
}

void adm_gcra_rate_text(const struct adm_gcra *g, char *buf, size_t len)
{
	__u64 c;

	if (!g->emission_ns) {
		snprintf(buf, len, "off");
	} else if ((c = exact_count(g->emission_ns, NS_PER_SEC))) {
		snprintf(buf, len, "%llu/s", (unsigned long long)c);
	} else if ((c = exact_count(g->emission_ns, NS_PER_MIN))) {
		snprintf(buf, len, "%llu/m", (unsigned long long)c);
	} else {
		snprintf(buf, len, "%.3f/s", (double)NS_PER_SEC / g->emission_ns);
	}
}

void adm_live_format(enum adm_live_key key, const struct adm_service *svc,
		     __u64 conn_limit, char *buf, size_t len)
{
	__u64 n = 0;

	switch (key) {
	case ADM_LIVE_CONN_LIMIT: n = conn_limit; break;
	case ADM_LIVE_FP_CONN_LIMIT: n = svc->fp_conn_limit; break;
	case ADM_LIVE_NEW_CONN_RATE:
		adm_gcra_rate_text(&svc->syn, buf, len);
		return;
	case ADM_LIVE_PKT_RATE:
		adm_gcra_rate_text(&svc->pkt, buf, len);
		return;
	case ADM_LIVE_NEW_CONN_BURST:
	case ADM_LIVE_PKT_BURST:
		n = adm_gcra_burst(key == ADM_LIVE_PKT_BURST ? &svc->pkt : &svc->syn);
		if (!n) {
			snprintf(buf, len, "-");
			return;
		}
		break;
	case ADM_LIVE_ON_RATE:
		snprintf(buf, len, "%s", adm_action_name(svc->on_rate));
		return;
	case ADM_LIVE_ON_CONN_FULL:
		snprintf(buf, len, "%s", adm_action_name(svc->on_conn_full));
		return;
	case ADM_LIVE_PRIORITY:
		snprintf(buf, len, "%s", adm_priority_name(svc->priority));
		return;
	default:
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%llu", (unsigned long long)n);
}
