/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Live policy keys (prefix adm_live_): the service limits an operator may
 * change in the running data plane without a reload (`admctl limits set`),
 * read back from the maps (`admctl limits show`). Values are validated by
 * the config parser itself, so they take exactly the syntax, ranges and
 * error sentences of the config file. A reload (SIGHUP, `admctl reload`)
 * writes the config file's values again.
 */
#ifndef ADM_LIVE_H
#define ADM_LIVE_H

#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"
#include "config.h"

enum adm_live_key {
	ADM_LIVE_CONN_LIMIT = 0,	/* adm_conc.limit (atomic store) */
	ADM_LIVE_FP_CONN_LIMIT,		/* the rest: fields of adm_services */
	ADM_LIVE_NEW_CONN_RATE,
	ADM_LIVE_NEW_CONN_BURST,
	ADM_LIVE_PKT_RATE,
	ADM_LIVE_PKT_BURST,
	ADM_LIVE_ON_RATE,
	ADM_LIVE_ON_CONN_FULL,
	ADM_LIVE_PRIORITY,
	ADM_LIVE__MAX,
};

/* A parsed value of one key. */
struct adm_live_value {
	enum adm_live_key key;
	__u64 num;			/* limits, bursts, enum values */
	struct adm_rate rate;		/* rates (count 0: off) */
};

/* The key's config name; NULL past the end. */
const char *adm_live_key_name(unsigned int key);

/* "conn_limit, fp_conn_limit, ..." into buf. */
void adm_live_key_list(char *buf, size_t len);

/*
 * Key name -> enum adm_live_key, or -1 (one sentence in err: unknown key,
 * or a config key that cannot change live).
 */
int adm_live_key_lookup(const char *name, char *err, size_t errlen);

/*
 * Parse `value` for `key` of service `svc_name` as the config file would
 * ("[service NAME] KEY = 'VALUE': PROBLEM; allowed: RANGE" on error).
 * Returns 0, or -1 with that sentence in err; *out is untouched then.
 */
int adm_live_parse(const char *svc_name, enum adm_live_key key,
		   const char *value, struct adm_live_value *out, char *err,
		   size_t errlen);

/*
 * Apply v to a copy of the service's map value and conn limit. A burst
 * needs its rate on (as in the config file); a new rate keeps the current
 * burst, or takes the rate's count if the rate was off. Rates and bursts
 * go through the config's conversion (adm_rate_to_gcra_dp): a tolerance
 * under one clock tick is raised to one tick, exactly as when the same
 * values come from the config file. Returns 0, or -1 with one sentence in
 * err (nothing changed).
 */
int adm_live_apply(const struct adm_live_value *v, struct adm_service *svc,
		   __u64 *conn_limit, char *err, size_t errlen);

/* The key's current value in config syntax ("20/s", "off", "500", "reject"). */
void adm_live_format(enum adm_live_key key, const struct adm_service *svc,
		     __u64 conn_limit, char *buf, size_t len);

/* GCRA parameters back to config syntax: "20/s", "90/m", "off", "2.500/s". */
void adm_gcra_rate_text(const struct adm_gcra *g, char *buf, size_t len);
/* Burst of GCRA parameters (tau / emission + 1); 0 when the rate is off. */
__u64 adm_gcra_burst(const struct adm_gcra *g);

#endif /* ADM_LIVE_H */
