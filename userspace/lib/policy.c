// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* From configuration to the policy maps the data plane reads (prefix adm_policy_); see policy.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "part.h"
#include "pins.h"
#include "policy.h"
#include "util.h"

/*
 * The limit a policy write stores: conn_limit, or for conn_limit = auto
 * the breaker module's current one (kept across reloads) clamped into
 * conn_limit_min..conn_limit_max (conn_limit_min for a new service).
 */
static __u64 policy_conn_limit(const struct adm_svc_config *sc,
			       const struct adm_conc *conc)
{
	__u64 cur = __atomic_load_n(&conc->limit, __ATOMIC_RELAXED);

	if (!sc->brk.conn_limit_auto)
		return sc->conn_limit;
	if (cur < sc->brk.conn_limit_min)
		return sc->brk.conn_limit_min;
	return cur > sc->brk.conn_limit_max ? sc->brk.conn_limit_max : cur;
}

void adm_policy_service(const struct adm_svc_config *sc, struct adm_service *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = ADM_SVC_ACTIVE;
	out->fp_mode = sc->fp_mode;
	out->ipv4_prefix = sc->ipv4_prefix;
	out->ipv6_prefix = sc->ipv6_prefix;
	out->priority = sc->priority;
	out->on_rate = sc->on_rate;
	out->on_conn_full = sc->on_conn_full;
	out->on_unverified = sc->on_unverified;
	out->on_breaker = sc->on_breaker;
	if (adm_svc_tls(sc)) {
		/* No HTTP on a TLS port: reply is sent as the RST of reject. */
		out->flags |= ADM_SVC_TLS;
		if (out->on_rate == ADM_A_REPLY)
			out->on_rate = ADM_A_REJECT;
		if (out->on_conn_full == ADM_A_REPLY)
			out->on_conn_full = ADM_A_REJECT;
		if (out->on_breaker == ADM_A_REPLY)
			out->on_breaker = ADM_A_REJECT;
	}
	out->fp_conn_limit = sc->fp_conn_limit;
	out->syn = adm_rate_to_gcra_dp(&sc->new_conn_rate, sc->new_conn_burst);
	out->pkt = adm_rate_to_gcra_dp(&sc->pkt_rate, sc->pkt_burst);
	if (sc->verify)
		out->flags |= ADM_SVC_VERIFY;
	if (sc->brk.latency_ns || sc->brk.conn_limit_auto)
		out->flags |= ADM_SVC_LATENCY;	/* the breaker module's signal */
	if (sc->cluster_conn_rate.count)
		out->flags |= ADM_SVC_HITS;	/* the cluster module reads syn_hits */
	out->unv_ipv4_prefix = sc->unv_ipv4_prefix;
	out->unv_ipv6_prefix = sc->unv_ipv6_prefix;
	out->unv_prefix = adm_rate_to_gcra_dp(&sc->unverified_rate, sc->unverified_burst);
	out->new_sources = adm_rate_to_gcra_dp(&sc->new_source_rate, sc->new_source_burst);
	out->idle_timeout_ns = sc->idle_timeout_ns;
	out->max_lifetime_ns = sc->max_lifetime_ns;
}

struct policy_fds {
	int services, ports, state, conc, meta, rate, pkt_rate;
};

static void close_fds(struct policy_fds *f)
{
	int *all[] = { &f->services, &f->ports, &f->state, &f->conc, &f->meta,
		       &f->rate, &f->pkt_rate };
	size_t i;

	for (i = 0; i < ADM_ARRAY_SIZE(all); i++)
		if (*all[i] >= 0)
			close(*all[i]);
}

static int open_fds(const char *root, struct policy_fds *f, char *err,
		    size_t errlen)
{
	struct { int *fd; const char *name; } want[] = {
		{ &f->services, ADM_MAP_SERVICES },
		{ &f->ports, ADM_MAP_PORTS },
		{ &f->state, ADM_MAP_STATE },
		{ &f->conc, ADM_MAP_CONC },
		{ &f->meta, ADM_MAP_META },
		{ &f->rate, ADM_MAP_RATE },
		{ &f->pkt_rate, ADM_MAP_PKT_RATE },
	};
	size_t i;

	for (i = 0; i < ADM_ARRAY_SIZE(want); i++)
		*want[i].fd = -1;
	for (i = 0; i < ADM_ARRAY_SIZE(want); i++) {
		*want[i].fd = adm_map_open(root, want[i].name, 0);
		if (*want[i].fd < 0) {
			snprintf(err, errlen, "cannot open map %s/%s: %s", root,
				 want[i].name, strerror(-*want[i].fd));
			return -1;
		}
	}
	return 0;
}

/* Rewrite the whole port table in one batch. */
static int write_ports(int fd, const struct adm_config *cfg, char *err,
		       size_t errlen)
{
	__u32 *keys = calloc(ADM_PORTS_ENTRIES, sizeof(*keys));
	__u32 *vals = calloc(ADM_PORTS_ENTRIES, sizeof(*vals));
	__u32 i, count = ADM_PORTS_ENTRIES;
	int s, p, ret = -1;

	if (!keys || !vals) {
		snprintf(err, errlen, "out of memory building the port table");
		goto out;
	}
	for (i = 0; i < ADM_PORTS_ENTRIES; i++)
		keys[i] = i;
	for (s = 0; s < cfg->n_svcs; s++) {
		const struct adm_svc_config *sc = &cfg->svcs[s];

		for (p = 0; p < sc->n_ports; p++) {
			vals[adm_port_key(sc->port_proto[p], sc->ports[p])] = sc->id;
		}
	}
	if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
		snprintf(err, errlen, "cannot write the port table: %s",
			 strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(keys);
	free(vals);
	return ret;
}

/*
 * Per-source maps keyed by struct adm_fp_key (service id first): what a
 * service id leaves behind that a new service must not inherit. (The
 * per-service partitions of adm_rate and adm_pkt_rate go whole.)
 */
static const char *const per_source_maps[] = {
	ADM_MAP_SRC, ADM_MAP_GLOBAL_BLOCK,
};

/* Delete every entry of service `id` from the per-source maps. */
static void forget_sources(const char *root, const struct policy_fds *f, __u32 id)
{
	adm_part_drop(f->rate, id);
	adm_part_drop(f->pkt_rate, id);
	struct adm_fp_key *doomed = NULL, key, *prev;
	size_t i, n, cap = 0;

	for (i = 0; i < ADM_ARRAY_SIZE(per_source_maps); i++) {
		int fd = adm_map_open(root, per_source_maps[i], 0);

		if (fd < 0)
			continue;
		/* Collect first: deleting during the walk would restart it. */
		for (n = 0, prev = NULL; !bpf_map_get_next_key(fd, prev, &key); prev = &doomed[n - 1]) {
			if (n == cap) {
				struct adm_fp_key *more = realloc(doomed, (cap * 2 + 64) * sizeof(*more));

				if (!more)
					break;
				doomed = more;
				cap = cap * 2 + 64;
			}
			doomed[n++] = key;
		}
		while (n--)
			if (doomed[n].service == id)
				bpf_map_delete_elem(fd, &doomed[n]);
		close(fd);
	}
	free(doomed);
}

/* Zero the statistics of service `id` on every CPU. */
static void forget_stats(const char *root, __u32 id)
{
	int fd = adm_map_open(root, ADM_MAP_STATS, 0), ncpu = libbpf_num_possible_cpus();
	struct adm_stat *zero;
	__u32 v, r, idx;

	if (fd < 0 || ncpu <= 0)
		goto out;
	zero = calloc(ncpu, sizeof(*zero));
	for (v = 0; zero && v < ADM_V__MAX; v++)
		for (r = 0; r < ADM_R__MAX; r++) {
			idx = adm_stat_index(id, v, r);
			bpf_map_update_elem(fd, &idx, zero, BPF_ANY);
		}
	free(zero);
out:
	if (fd >= 0)
		close(fd);
}

/*
 * Give every configured service its id: the one its name has in adm_meta,
 * else the lowest free one. fresh[id] says an id was handed to a service
 * that did not have it before: it must start clean.
 */
static int assign_ids(int meta_fd, const struct adm_conc *conc,
		      struct adm_config *cfg,
		      const struct adm_svc_config **by_id, int *fresh,
		      char *err, size_t errlen)
{
	char names[ADM_MAX_SERVICES][ADM_META_NAME_LEN] = {};
	int taken[ADM_MAX_SERVICES] = {};
	__u32 id;
	int i;

	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_meta meta = {};

		if (!bpf_map_lookup_elem(meta_fd, &id, &meta))
			memcpy(names[id], meta.name, ADM_META_NAME_LEN - 1);
	}
	for (i = 0; i < cfg->n_svcs; i++) {
		cfg->svcs[i].id = 0;
		for (id = 1; id < ADM_MAX_SERVICES; id++) {
			if (names[id][0] && !strcmp(names[id], cfg->svcs[i].name)) {
				cfg->svcs[i].id = id;
				taken[id] = 1;
				break;
			}
		}
	}
	for (i = 0; i < cfg->n_svcs; i++) {
		if (cfg->svcs[i].id)
			continue;
		/*
		 * A removed service's id stays reserved while it has live
		 * connections: sockops releases them against that id later.
		 */
		for (id = 1; id < ADM_MAX_SERVICES; id++)
			if (!taken[id] && !names[id][0] &&
			    !__atomic_load_n(&conc[id].live, __ATOMIC_RELAXED))
				break;
		if (id == ADM_MAX_SERVICES) {
			snprintf(err, errlen,
				 "no free service id for %s: ids of removed services are held while their connections live",
				 cfg->svcs[i].name);
			return -1;
		}
		cfg->svcs[i].id = id;
		taken[id] = 1;
		fresh[id] = 1;
	}
	for (i = 0; i < cfg->n_svcs; i++)
		by_id[cfg->svcs[i].id] = &cfg->svcs[i];
	return 0;
}

int adm_policy_apply(struct adm_config *cfg, char *err, size_t errlen)
{
	struct policy_fds f;
	struct adm_conc *conc = NULL;
	const struct adm_svc_config *by_id[ADM_MAX_SERVICES] = {};
	int fresh[ADM_MAX_SERVICES] = {};
	__u32 id;
	int ret = -1;

	if (open_fds(cfg->pin_root, &f, err, errlen))
		goto out;
	conc = adm_conc_mmap(f.conc);
	if (!conc) {
		snprintf(err, errlen, "cannot map %s: %s", ADM_MAP_CONC,
			 strerror(errno));
		goto out;
	}
	if (assign_ids(f.meta, conc, cfg, by_id, fresh, err, errlen))
		goto out;
	/* An id handed to a new service: no stats, state or sources of the old one. */
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_state clean = {};
		struct adm_meta blank = {};

		if (!fresh[id])
			continue;
		forget_stats(cfg->pin_root, id);
		forget_sources(cfg->pin_root, &f, id);
		if (bpf_map_update_elem(f.state, &id, &clean, BPF_ANY) ||
		    bpf_map_update_elem(f.meta, &id, &blank, BPF_ANY))
			goto map_err;
	}

	/* New and changed services first, then the ports that lead to them,
	 * then retire what is gone: no packet meets a port without policy. */
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		const struct adm_svc_config *sc = by_id[id];
		struct adm_service svc;
		struct adm_state st = {};
		struct adm_meta meta = {};

		if (!sc)
			continue;
		adm_policy_service(sc, &svc);
		/* Its partitions exist before a rate that needs them is on. */
		if (adm_part_prepare(f.rate, f.pkt_rate, id, &svc, sc->rate_sources,
				     sc->pkt_sources, err, errlen))
			goto out;
		if (bpf_map_update_elem(f.services, &id, &svc, BPF_ANY))
			goto map_err;
		adm_part_retire(f.rate, f.pkt_rate, id, &svc);
		__atomic_store_n(&conc[id].limit, policy_conn_limit(sc, &conc[id]),
				 __ATOMIC_RELAXED);
		bpf_map_lookup_elem(f.state, &id, &st);
		st.shadow = cfg->shadow ? 1 : 0;
		if (bpf_map_update_elem(f.state, &id, &st, BPF_ANY))
			goto map_err;
		bpf_map_lookup_elem(f.meta, &id, &meta);
		snprintf(meta.name, sizeof(meta.name), "%s", sc->name);
		meta.generation++;
		if (bpf_map_update_elem(f.meta, &id, &meta, BPF_ANY))
			goto map_err;
	}
	if (write_ports(f.ports, cfg, err, errlen))
		goto out;
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_service off = {};
		struct adm_meta meta = {};

		if (by_id[id])
			continue;
		if (bpf_map_update_elem(f.services, &id, &off, BPF_ANY) ||
		    bpf_map_update_elem(f.meta, &id, &meta, BPF_ANY))
			goto map_err;
		adm_part_retire(f.rate, f.pkt_rate, id, NULL);
		__atomic_store_n(&conc[id].limit, 0, __ATOMIC_RELAXED);
	}
	ret = 0;
	goto out;
map_err:
	snprintf(err, errlen, "cannot write policy for service %u: %s", id,
		 strerror(errno));
out:
	adm_conc_munmap(conc);
	close_fds(&f);
	return ret;
}
