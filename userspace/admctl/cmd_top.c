// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl top: the heaviest sources, straight from the per-source maps:
 *   conns  live connections (adm_src, counted by the socket layer)
 *   rate   how far a source's GCRA TAT runs ahead of now (SYN: adm_src and
 *          adm_rate; packets: adm_pkt_rate; both one partition per
 *          service): the further ahead, the more of its burst it has used up
 *   drops  refusals since the source's last sampled event (adm_evsample):
 *          a window of at most about a second per source
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "admctl.h"
#include "live.h"
#include "part.h"
#include "clock.h"
#include "pins.h"
#include "util.h"

#define TOP_DEFAULT_N		10
#define TOP_MAX_N		10000
#define TOP_DROPS_WINDOW_S	60	/* drops: sources refused in the last minute */
#define V4MAPPED_WORD		2
#define V4MAPPED_MARK		0x0000ffffU
#define V4_BITS			32
#define V6_BITS			128
#define SRC_TEXT_MAX		(INET6_ADDRSTRLEN + sizeof("/128"))

enum top_by { TOP_DROPS, TOP_RATE, TOP_CONNS, TOP__MAX };

static const char *const by_names[TOP__MAX] = {
	[TOP_DROPS] = "drops", [TOP_RATE] = "rate", [TOP_CONNS] = "conns",
};

/* The maps each ranking reads, and how their values are laid out. */
enum top_map { TM_NONE = 0, TM_EVSAMPLE, TM_SRC, TM_RATE, TM_PKT };
#define TOP_MAPS_MAX	3

static const struct { const char *name; enum top_map kind; } by_maps[TOP__MAX][TOP_MAPS_MAX] = {
	[TOP_DROPS] = { { ADM_MAP_EVSAMPLE, TM_EVSAMPLE } },
	[TOP_RATE] = { { ADM_MAP_SRC, TM_SRC }, { ADM_MAP_RATE, TM_RATE },
		       { ADM_MAP_PKT_RATE, TM_PKT } },
	[TOP_CONNS] = { { ADM_MAP_SRC, TM_SRC } },
};

struct top_row {
	struct adm_fp_key key;
	__u64 value;		/* what rows are sorted by */
	__u64 extra;		/* drops: seconds since the last event */
	int pkt;		/* rate: a packet-rate TAT (else SYN) */
};

struct top_ctx {
	enum top_by by;
	__u32 only;		/* service id, 0: all */
	__u64 now;
	struct adm_service svc[ADM_MAX_SERVICES];
	struct adm_ms_names names;
	struct top_row *rows;
	size_t n, cap;
};

static void top_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl top [-n N] [--by drops|rate|conns] [--service NAME] [--json]\n"
"\n"
"The N heaviest sources (default %d, at most %d), from the per-source maps:\n"
"  drops  refusals since the source's last sampled decision event (about\n"
"         the last second's worth), sources refused in the last %d s\n"
"  rate   how far the source's rate-limit clock (GCRA TAT) runs ahead of now,\n"
"         and how much of its burst that is; syn = new connections, pkt = packets\n"
"  conns  live connections of the source\n"
"Sources are fingerprints: addresses masked to the service's ipv4_prefix/\n"
"ipv6_prefix, shown as a prefix when shorter than a host address.\n"
"\n"
"Examples:\n"
"  admctl top\n"
"  admctl top --by conns -n 20 --service web\n"
"  admctl top --by rate --json | jq '.sources[0]'\n",
		TOP_DEFAULT_N, TOP_MAX_N, TOP_DROPS_WINDOW_S);
}

static int is_v4(const __u32 addr[4])
{
	return !addr[0] && !addr[1] && addr[V4MAPPED_WORD] == htonl(V4MAPPED_MARK);
}

/* "10.0.0.7", or "10.0.0.0/24" for a fingerprint masked to a prefix. */
static void src_text(const struct top_ctx *t, const struct adm_fp_key *k,
		     char *buf, size_t len)
{
	const struct adm_service *s = &t->svc[k->service];	/* add_row checked it */
	char addr[INET6_ADDRSTRLEN];
	unsigned int plen = V6_BITS, full = V6_BITS;

	adm_format_addr(k->addr, addr, sizeof(addr));
	if (is_v4(k->addr))
		full = V4_BITS;
	/* adm_evsample holds whole addresses; the others fingerprints. */
	if (t->by != TOP_DROPS)
		plen = full == V4_BITS ? s->ipv4_prefix : s->ipv6_prefix;
	if (plen && plen < full)
		snprintf(buf, len, "%s/%u", addr, plen);
	else
		snprintf(buf, len, "%s", addr);
}

static int add_row(struct top_ctx *t, const struct adm_fp_key *k, __u64 value,
		   __u64 extra, int pkt)
{
	if ((t->only && k->service != t->only) || k->service >= ADM_MAX_SERVICES)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct top_row *p = realloc(t->rows, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->rows = p;
		t->cap = cap;
	}
	t->rows[t->n].key = *k;
	t->rows[t->n].value = value;
	t->rows[t->n].extra = extra;
	t->rows[t->n].pkt = pkt;
	t->n++;
	return 0;
}

/* Every entry of the map (laid out as `kind`) that ranks, into t->rows. */
static int collect(struct top_ctx *t, int fd, enum top_map kind)
{
	struct adm_fp_key key, next, *prev = NULL;
	__u64 now_s = t->now / NS_PER_SEC;
	int rc = 0;

	while (!rc && !bpf_map_get_next_key(fd, prev, &next)) {
		union {
			__u64 u64;
			struct adm_evsample ev;
			struct adm_src src;
			struct adm_src_tat tat;
		} v;
		__u64 tat;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* gone meanwhile (LRU) */
		switch (t->by) {
		case TOP_CONNS:
			if (v.src.live)
				rc = add_row(t, &key, v.src.live, 0, 0);
			break;
		case TOP_RATE:
			tat = kind == TM_SRC ? v.src.syn_tat :
			      kind == TM_RATE ? v.tat.tat : v.u64;
			if (tat > t->now)
				rc = add_row(t, &key, tat - t->now, 0, kind == TM_PKT);
			break;
		case TOP_DROPS:
			if (v.ev.count && v.ev.second + TOP_DROPS_WINDOW_S >= now_s)
				rc = add_row(t, &key, v.ev.count,
					     now_s > v.ev.second ? now_s - v.ev.second : 0, 0);
			break;
		default:
			break;
		}
	}
	return rc;
}

/* adm_rate and adm_pkt_rate: one partition per service (part.h). */
struct top_part {
	struct top_ctx *t;
	enum top_map kind;
};

static int collect_part(int fd, __u32 id, void *arg)
{
	struct top_part *tp = arg;

	if (tp->t->only && id != tp->t->only)
		return 0;
	return collect(tp->t, fd, tp->kind);
}

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	if (x->extra != y->extra)	/* drops: the more recent first */
		return x->extra > y->extra ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* Rate rows: the GCRA behind the TAT (syn or pkt) and its burst. */
static const struct adm_gcra *row_gcra(const struct top_ctx *t,
				       const struct top_row *r)
{
	const struct adm_service *s = &t->svc[r->key.service];

	return r->pkt ? &s->pkt : &s->syn;
}

static json_t *row_json(const struct top_ctx *t, const struct top_row *r)
{
	char src[SRC_TEXT_MAX];
	const char *name = t->names.name[r->key.service];
	json_t *o;

	src_text(t, &r->key, src, sizeof(src));
	o = json_pack("{s:s, s:s}", "src", src, "service", name[0] ? name : "-");
	switch (t->by) {
	case TOP_CONNS:
		json_object_set_new(o, "conns", json_integer((json_int_t)r->value));
		break;
	case TOP_DROPS:
		json_object_set_new(o, "refusals", json_integer((json_int_t)r->value));
		json_object_set_new(o, "last_event_s_ago", json_integer((json_int_t)r->extra));
		break;
	case TOP_RATE: {
		const struct adm_gcra *g = row_gcra(t, r);

		json_object_set_new(o, "kind", json_string(r->pkt ? "pkt" : "syn"));
		json_object_set_new(o, "ahead_ms", json_integer((json_int_t)(r->value / NS_PER_MS)));
		json_object_set_new(o, "tokens_used", g->emission_ns ?
			json_integer((json_int_t)((r->value + g->emission_ns - 1) / g->emission_ns)) :
			json_null());
		json_object_set_new(o, "burst", g->emission_ns ?
			json_integer((json_int_t)adm_gcra_burst(g)) : json_null());
		break;
	}
	default:
		break;
	}
	return o;
}

static void print_rows(const struct top_ctx *t, size_t n)
{
	size_t i;

	if (!n) {
		printf("(no sources %s)\n", t->by == TOP_CONNS ? "with live connections" :
		       t->by == TOP_RATE ? "ahead of their rate" :
		       "refused in the last minute");
		return;
	}
	switch (t->by) {
	case TOP_CONNS:
		printf("%-44s %-16s %10s\n", "source", "service", "conns");
		break;
	case TOP_DROPS:
		printf("%-44s %-16s %10s %14s\n", "source", "service", "refusals", "last event");
		break;
	default:
		printf("%-44s %-16s %4s %12s %16s\n", "source", "service", "kind",
		       "ahead", "burst used");
		break;
	}
	for (i = 0; i < n; i++) {
		const struct top_row *r = &t->rows[i];
		const char *name = t->names.name[r->key.service];
		char src[SRC_TEXT_MAX], used[48];

		src_text(t, &r->key, src, sizeof(src));
		if (!name[0])
			name = "-";
		if (t->by == TOP_CONNS) {
			printf("%-44s %-16s %10llu\n", src, name,
			       (unsigned long long)r->value);
		} else if (t->by == TOP_DROPS) {
			printf("%-44s %-16s %10llu %12llus ago\n", src, name,
			       (unsigned long long)r->value,
			       (unsigned long long)r->extra);
		} else {
			const struct adm_gcra *g = row_gcra(t, r);

			if (g->emission_ns)
				snprintf(used, sizeof(used), "%llu of %llu",
					 (unsigned long long)((r->value + g->emission_ns - 1) /
							      g->emission_ns),
					 (unsigned long long)adm_gcra_burst(g));
			else
				snprintf(used, sizeof(used), "(rate off)");
			printf("%-44s %-16s %4s %10.1fms %16s\n", src, name,
			       r->pkt ? "pkt" : "syn",
			       (double)r->value / NS_PER_MS, used);
		}
	}
}

static int read_services(const struct ctl *ctl, struct top_ctx *t)
{
	int fd = adm_map_open(ctl->pin_root, ADM_MAP_SERVICES, 1);
	__u32 id;

	if (fd < 0)
		return fd;
	for (id = 0; id < ADM_MAX_SERVICES; id++)
		bpf_map_lookup_elem(fd, &id, &t->svc[id]);
	close(fd);
	return 0;
}

int do_top(struct ctl *ctl, int argc, char **argv)
{
	const char *n_text = NULL, *by = NULL, *svc = NULL;
	const struct ctl_opt opts[] = {
		{ .name = "count", .short_name = 'n', .value = &n_text },
		{ .name = "by", .short_name = 'b', .value = &by },
		{ .name = "service", .short_name = 's', .value = &svc },
		{}
	};
	struct top_ctx *t = NULL;
	__u64 n = TOP_DEFAULT_N;
	int rc, n_pos, fd = -1, ret = EXIT_FAIL, i;

	rc = ctl_args(ctl, "top", argc, argv, 1, opts, NULL, 0, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		top_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (n_text && adm_parse_u64(n_text, 1, TOP_MAX_N, &n))
		return ctl_usage_error("top", "-n '%s' is not a number 1..%d",
				       n_text, TOP_MAX_N);
	t = calloc(1, sizeof(*t));
	if (!t)
		return EXIT_FAIL;
	t->by = TOP_DROPS;
	if (by) {
		for (i = 0; i < TOP__MAX && strcmp(by, by_names[i]); i++)
			;
		if (i == TOP__MAX) {
			ret = ctl_usage_error("top", "--by '%s' is not drops, rate or conns", by);
			goto out;
		}
		t->by = i;
	}
	if (svc) {
		rc = ctl_service(ctl, "top", svc, &t->only, &t->names);
		if (rc) {
			ret = rc;
			goto out;
		}
	} else {
		rc = adm_ms_names_read(ctl->pin_root, &t->names);
		if (rc) {
			ret = ctl_open_fail(ctl, ADM_MAP_META, rc);
			goto out;
		}
	}
	rc = read_services(ctl, t);
	if (rc) {
		ret = ctl_open_fail(ctl, ADM_MAP_SERVICES, rc);
		goto out;
	}
	t->now = adm_mono_ns();
	for (i = 0; i < TOP_MAPS_MAX && by_maps[t->by][i].name; i++) {
		const char *map = by_maps[t->by][i].name;

		fd = adm_map_open(ctl->pin_root, map, 1);
		if (fd < 0) {
			ret = ctl_open_fail(ctl, map, fd);
			goto out;
		}
		if (by_maps[t->by][i].kind == TM_RATE || by_maps[t->by][i].kind == TM_PKT) {
			struct top_part tp = { t, by_maps[t->by][i].kind };

			rc = adm_part_each(fd, collect_part, &tp);
			if (rc < 0 && rc != -ENOMEM) {
				ret = ctl_open_fail(ctl, map, rc);
				goto out;
			}
		} else {
			rc = collect(t, fd, by_maps[t->by][i].kind);
		}
		close(fd);
		fd = -1;
		if (rc) {
			fprintf(stderr, "admctl top: out of memory reading %s\n", map);
			goto out;
		}
	}
	qsort(t->rows, t->n, sizeof(*t->rows), row_cmp);
	if (n > t->n)
		n = t->n;
	if (ctl->json) {
		json_t *arr = json_array();
		size_t j;

		for (j = 0; j < n; j++)
			json_array_append_new(arr, row_json(t, &t->rows[j]));
		ctl_print_json(json_pack("{s:s, s:o}", "by", by_names[t->by],
					 "sources", arr));
	} else {
		print_rows(t, n);
	}
	ret = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (t)
		free(t->rows);
	free(t);
	return ret;
}
