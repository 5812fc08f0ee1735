// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cluster_sync: the cost of admd's cluster sync round (userspace/admd/
 * cluster.c) with many active sources, and the share rule's overshoot.
 *
 *   cluster_sync -u REDIS_SOCKET [--sources N] [--rounds N] [--interval-ms N]
 *                [--json FILE]
 *
 * Part 1: a BPF LRU map laid out as adm_src holds N sources (default
 * 100,000); before every round each source gets one more SYN (added here
 * to the count word's low half, standing in for the data plane; not
 * timed). A round is what the sync thread does: read the deltas
 * (adm_src_hits_read: the real adm_hits program over the map, in the
 * kernel), build the EVALSHA (rs_args_round), run it on the real
 * redis-server, parse the reply (rs_round_parse). Reported: wall time per
 * round (median, p99, max) and of its read alone (median), this process's
 * CPU per round (what admd's thread spends, the kernel's part included)
 * and of the read alone,
 * Redis' CPU per round (INFO cpu), bytes sent per round, and the CPU share
 * of one core at the interval; beside it a round with no source (the
 * floor) and one with N sources in the map but no new SYN (the kernel's
 * walk over the entries alone).
 *
 * Part 2: 4 nodes with the uneven demand of the issue (70/20/10/0% of 300
 * clients holding connections for 20 intervals each), every node running
 * the real round script once per interval at staggered times, each gate
 * admitting exactly up to the limit the rule gives it (share_gate). Reported: the max sum of live
 * connections over the limit (% of the limit), and Redis operations per
 * second per node against a per-request design (one Redis call per new
 * connection, as Envoy's ratelimit) at the same connection rate.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <hiredis/hiredis.h>
#include "rs_proto.h"
#include "share.h"
#include "srchits.h"

#define NS_PER_MS	1000000ULL

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double redis_cpu_s(redisContext *c)
{
	redisReply *r = redisCommand(c, "INFO cpu");
	double u = 0, s = 0;
	const char *p;

	if (r && r->type == REDIS_REPLY_STRING) {
		p = strstr(r->str, "used_cpu_user:");
		if (p)
			u = atof(p + strlen("used_cpu_user:"));
		p = strstr(r->str, "used_cpu_sys:");
		if (p)
			s = atof(p + strlen("used_cpu_sys:"));
	}
	freeReplyObject(r);
	return u + s;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void sleep_until(__u64 t)
{
	__u64 n = now_ns();
	struct timespec ts;

	if (t <= n)
		return;
	ts.tv_sec = (t - n) / 1000000000ULL;
	ts.tv_nsec = (t - n) % 1000000000ULL;
	nanosleep(&ts, NULL);
}

struct round_stats {
	__u64 med_ns, p99_ns, max_ns, read_med_ns;
	double read_cpu_ms, cpu_ms, redis_cpu_ms, bytes, sent;
};

/*
 * Rounds of one node with `n_src` sources in the map (0: the floor), each
 * with a new SYN every round, or (idle) none after the first.
 */
static int part1(redisContext *c, const char *sha, size_t n_src, int rounds,
		 __u64 interval_ms, __u64 rate, int idle, struct round_stats *st)
{
	struct adm_src_report rep[ADM_MAX_SERVICES] = {
		[2] = { .window_ms = 1000, .min = share_report_min(rate, 1) },
	};
	struct adm_src_hits hits;
	struct adm_src_delta *deltas = NULL;
	struct rs_src_delta *sd = NULL;
	size_t n_d = 0, cap_d = 0, i;
	struct rs_args a = {};
	__u64 *wall = calloc(rounds, sizeof(*wall)), cpu_sum = 0, next;
	__u64 *rd = calloc(rounds, sizeof(*rd)), rd_cpu = 0;
	double rcpu0, bytes = 0;
	int fd, r, ret = -1;
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	struct adm_fp_key *keys = calloc(n_src ? n_src : 1, sizeof(*keys));
	struct adm_src *vals = calloc(n_src ? n_src : 1, sizeof(*vals));

	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "bench_src", sizeof(struct adm_fp_key),
			    sizeof(struct adm_src), ADM_MAX_SOURCES, &mo);
	if (fd < 0 || !wall || !rd || !keys || !vals || adm_src_hits_init(&hits, fd, -1)) {
		fprintf(stderr, "cluster_sync: setup: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < n_src; i++) {
		keys[i].service = 2;
		keys[i].addr[2] = htonl(0xffff);
		keys[i].addr[3] = htonl(0x0a000000 + (__u32)i);
	}
	rcpu0 = redis_cpu_s(c);
	next = now_ns();
	for (r = -1; r < rounds; r++) {	/* round -1: the baseline read, not timed */
		struct rs_svc_in in[2] = {
			{ .name = "web", .limit = 500, .live = 100, .demand = 50 },
			{ .name = "api", .rate = rate, .window_ms = 1000 },
		};
		struct rs_round_out out;
		char err[256];
		redisReply *reply;
		__u64 t0, c0, t1, c1;
		__u32 cnt;

		/*
		 * The data plane: one more SYN from every active source, added
		 * to the word adm_hits leaves (its window state kept).
		 */
		for (i = 0; i < n_src; i++)
			if (r < 0 || bpf_map_lookup_elem(fd, &keys[i], &vals[i]))
				memset(&vals[i], 0, sizeof(vals[i]));
		for (i = 0; i < n_src; i++)
			vals[i].syn_hits++;
		cnt = n_src;
		if (n_src && (r < 0 || !idle) && bpf_map_update_batch(fd, keys, vals, &cnt, NULL)) {
			fprintf(stderr, "cluster_sync: update_batch: %s\n", strerror(errno));
			goto out;
		}
		sleep_until(next);
		next += interval_ms * NS_PER_MS;
		t0 = now_ns();
		c0 = cpu_ns();
		n_d = 0;
		if (adm_src_hits_read(&hits, r < 0, rep, (__u64)time(NULL) * 1000,
				      &deltas, &n_d, &cap_d))
			goto out;
		t1 = now_ns();
		c1 = cpu_ns();
		if (n_d && !(sd = realloc(sd, n_d * sizeof(*sd))))
			goto out;
		for (i = 0; i < n_d; i++) {
			memcpy(sd[i].addr, deltas[i].key.addr, sizeof(sd[i].addr));
			sd[i].delta = deltas[i].delta;
		}
		in[1].src = sd;
		in[1].n_src = n_d;
		if (r >= 0)
			st->sent += n_d;
		if (rs_args_round(&a, "bench", "n1", 1000, "", 0, in, 2))
			goto out;
		a.argv[1] = sha;
		a.argvlen[1] = strlen(sha);
		reply = redisCommandArgv(c, a.argc, a.argv, a.argvlen);
		if (rs_round_parse(reply, 2, 0, &out, err, sizeof(err))) {
			fprintf(stderr, "cluster_sync: round: %s\n", err);
			freeReplyObject(reply);
			goto out;
		}
		freeReplyObject(reply);
		rs_round_free(&out);
		if (r < 0) {
			rcpu0 = redis_cpu_s(c);
			continue;
		}
		wall[r] = now_ns() - t0;
		rd[r] = t1 - t0;
		rd_cpu += c1 - c0;
		cpu_sum += cpu_ns() - c0;
		for (i = 0; i < a.argc; i++)
			bytes += (a.argvlen[i] + 16.0) / rounds;	/* "$LEN\r\n...\r\n" */
	}
	st->cpu_ms = cpu_sum / 1e6 / rounds;
	st->read_cpu_ms = rd_cpu / 1e6 / rounds;
	st->redis_cpu_ms = (redis_cpu_s(c) - rcpu0) * 1e3 / rounds;
	qsort(wall, rounds, sizeof(*wall), cmp_u64);
	st->med_ns = wall[rounds / 2];
	st->p99_ns = wall[rounds * 99 / 100];
	st->max_ns = wall[rounds - 1];
	qsort(rd, rounds, sizeof(*rd), cmp_u64);
	st->read_med_ns = rd[rounds / 2];
	st->bytes = bytes;
	st->sent /= rounds;
	ret = 0;
out:
	close(fd);
	adm_src_hits_free(&hits);
	rs_args_free(&a);
	free(wall);
	free(rd);
	free(keys);
	free(vals);
	free(deltas);
	free(sd);
	return ret;
}

#define P2_NODES	4
#define P2_CLIENTS	300
#define P2_HOLD		20	/* intervals a connection lives */
#define P2_ROUNDS	300
#define P2_LIMIT	100

/* Part 2: overshoot of the global limit with 4 nodes, uneven demand. */
static int part2(redisContext *c, const char *sha, double *over_pct, double *conn_rate,
		 double *ops_node)
{
	static const int share_pct[P2_NODES] = { 70, 20, 10, 0 };
	int expire[P2_NODES][P2_HOLD] = {}, live[P2_NODES] = {}, limit[P2_NODES];
	__u64 demand[P2_NODES] = {}, refused[P2_NODES] = {}, admitted = 0;
	int max_sum = 0, t, k, i, step;
	struct rs_args a = {};

	for (k = 0; k < P2_NODES; k++)
		limit[k] = 0;	/* as admd: nothing new before the node's first round */
	for (t = 0; t < P2_ROUNDS; t++) {
		/* each node's round at its own time inside the interval */
		for (step = 0; step < P2_NODES; step++) {
			struct rs_svc_in in = { .name = "web", .limit = P2_LIMIT };
			struct rs_round_out out;
			char node[8], err[256];
			redisReply *r;
			int sum = 0, want;

			k = step;
			/* arrivals since the last step: clients not holding a connection retry */
			for (i = 0; i < P2_NODES; i++) {
				int clients = P2_CLIENTS * share_pct[i] / 100;
				int adm;

				want = clients - live[i];
				adm = limit[i] - live[i];
				if (adm > want / P2_NODES)
					adm = want / P2_NODES;
				if (adm < 0)
					adm = 0;
				demand[i] += want / P2_NODES;
				if (want / P2_NODES > adm)
					refused[i] += want / P2_NODES - adm;
				live[i] += adm;
				expire[i][(t + P2_HOLD - 1) % P2_HOLD] += adm;
				admitted += adm;
			}
			for (i = 0; i < P2_NODES; i++)
				sum += live[i];
			if (sum > max_sum)
				max_sum = sum;
			if (getenv("P2_DEBUG") && sum > P2_LIMIT)
				fprintf(stderr, "t %d step %d: live %d %d %d %d limit %d %d %d %d\n", t, step,
					live[0], live[1], live[2], live[3], limit[0], limit[1], limit[2], limit[3]);
			snprintf(node, sizeof(node), "b%d", k);
			in.live = live[k];
			in.demand = demand[k];
			in.need = refused[k];
			demand[k] = refused[k] = 0;
			if (rs_args_round(&a, "bench2", node, 5000, "", 0, &in, 1))
				return -1;
			a.argv[1] = sha;
			a.argvlen[1] = strlen(sha);
			r = redisCommandArgv(c, a.argc, a.argv, a.argvlen);
			if (rs_round_parse(r, 1, 0, &out, err, sizeof(err))) {
				fprintf(stderr, "cluster_sync: part 2: %s\n", err);
				freeReplyObject(r);
				return -1;
			}
			freeReplyObject(r);
			limit[k] = out.svc[0].gate;
			rs_round_free(&out);
		}
		/* connections that end this interval */
		for (i = 0; i < P2_NODES; i++) {
			live[i] -= expire[i][t % P2_HOLD];
			expire[i][t % P2_HOLD] = 0;
		}
	}
	rs_args_free(&a);
	*over_pct = max_sum > P2_LIMIT ? 100.0 * (max_sum - P2_LIMIT) / P2_LIMIT : 0;
	*conn_rate = (double)admitted / P2_ROUNDS;	/* per interval, cluster-wide */
	*ops_node = 1;					/* one EVALSHA per node per interval */
	printf("  part 2: max sum of live %d (limit %d), %llu admitted over %d intervals\n",
	       max_sum, P2_LIMIT, (unsigned long long)admitted, P2_ROUNDS);
	return 0;
}

/*
 * Part 3: what one Redis pays per round as the cluster grows: `nodes`
 * nodes with 4 services each (conn_limit on all; every other node's gate
 * refusing, so the script reads the need hashes too), no reported source,
 * every node one round; Redis CPU per round (INFO cpu) and bytes each way.
 */
static int part3(redisContext *c, const char *sha, int nodes, double *cpu_us,
		 double *bytes_out, double *bytes_in)
{
	static const char *const names[4] = { "web", "api", "img", "ws" };
	struct rs_args a = {};
	double cpu0, out = 0, in = 0;
	int pass, k, i, n = 0;

	for (pass = 0; pass < 2; pass++) {	/* pass 0 fills the hashes */
		cpu0 = redis_cpu_s(c);
		for (k = 0; k < nodes; k++) {
			struct rs_svc_in svc[4];
			struct rs_round_out o;
			char node[16], err[256];
			redisReply *r;

			for (i = 0; i < 4; i++)
				svc[i] = (struct rs_svc_in){ .name = names[i], .limit = 10000,
							     .live = 40 + k % 7, .demand = k % 13,
							     .need = k % 2 ? k % 13 : 0 };
			snprintf(node, sizeof(node), "node-%04d", k);
			if (rs_args_round(&a, "bench3", node, 60000, "", 0, svc, 4))
				return -1;
			a.argv[1] = sha;
			a.argvlen[1] = strlen(sha);
			r = redisCommandArgv(c, a.argc, a.argv, a.argvlen);
			if (rs_round_parse(r, 4, 0, &o, err, sizeof(err))) {
				fprintf(stderr, "cluster_sync: part 3: %s\n", err);
				freeReplyObject(r);
				return -1;
			}
			if (pass) {
				for (i = 0; i < (int)a.argc; i++)
					out += a.argvlen[i] + 16;
				in += 8 + 3 * 4 * 12 + 64;	/* the reply's integers and framing */
				n++;
			}
			freeReplyObject(r);
			rs_round_free(&o);
		}
	}
	*cpu_us = (redis_cpu_s(c) - cpu0) * 1e6 / n;
	*bytes_out = out / n;
	*bytes_in = in / n;
	rs_args_free(&a);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sources", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "json", required_argument, NULL, 'j' },
		{ 0 },
	};
	const char *sock = NULL, *json = NULL;
	long n_src = 100000, rounds = 30, interval = 100;
	struct round_stats full = {}, floor_st = {}, heavy = {}, idle = {};
	double over, rate, ops, per_req;
	redisContext *c;
	redisReply *r;
	char sha[48], label[64];
	double part3_cpu_100 = 0, part3_cpu_1000 = 0;
	FILE *f;
	int o;

	while ((o = getopt_long(argc, argv, "u:", opts, NULL)) != -1) {
		switch (o) {
		case 'u': sock = optarg; break;
		case 'n': n_src = atol(optarg); break;
		case 'r': rounds = atol(optarg); break;
		case 'i': interval = atol(optarg); break;
		case 'j': json = optarg; break;
		default: return 2;
		}
	}
	if (!sock || n_src < 0 || n_src > ADM_MAX_SOURCES / 2 || rounds < 2 || interval < 1) {
		fprintf(stderr, "usage: cluster_sync -u REDIS_SOCKET [--sources N<=%d] [--rounds N] "
			"[--interval-ms N] [--json FILE]\n", ADM_MAX_SOURCES / 2);
		return 2;
	}
	c = redisConnectUnix(sock);
	if (!c || c->err) {
		fprintf(stderr, "cluster_sync: %s: %s\n", sock, c ? c->errstr : "no memory");
		return 1;
	}
	r = redisCommand(c, "SCRIPT LOAD %s", rs_script);
	if (!r || r->type != REDIS_REPLY_STRING)
		return 1;
	snprintf(sha, sizeof(sha), "%s", r->str);
	freeReplyObject(r);

	/*
	 * Every source makes one SYN per interval (10/s). Under a cluster rate
	 * of 100/s (report threshold 50 a window on one node) none is near
	 * its rate; under 1/s every one is over it and all are sent (the
	 * worst case: a round carries every active source).
	 */
	if (part1(c, sha, 0, rounds, interval, 100, 0, &floor_st) ||
	    part1(c, sha, n_src, rounds, interval, 100, 1, &idle) ||
	    part1(c, sha, n_src, rounds, interval, 100, 0, &full) ||
	    part1(c, sha, n_src, rounds, interval, 1, 0, &heavy))
		return 1;
	printf("  part 1: %ld rounds every %ld ms, each source 1 SYN per round\n", rounds, interval);
	printf("  %-44s %9s %8s %8s %8s %8s %8s %8s %8s %8s %7s\n", "", "sent/rnd", "med ms",
	       "p99 ms", "max ms", "read ms", "rd CPU", "CPU ms", "Redis ms", "KB sent", "% core");
	{
		const struct round_stats *rows[4] = { &floor_st, &idle, &full, &heavy };
		char labels[4][64];
		int i;

		snprintf(labels[0], sizeof(labels[0]), "no active source (floor)");
		snprintf(labels[1], sizeof(labels[1]), "%ld sources in the map, no new SYN", n_src);
		snprintf(labels[2], sizeof(labels[2]), "%ld sources under their rate (100/s)", n_src);
		snprintf(labels[3], sizeof(labels[3]), "%ld sources over their rate (1/s)", n_src);
		for (i = 0; i < 4; i++)
			printf("  %-44s %9.0f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.1f %6.1f%%\n",
			       labels[i], rows[i]->sent, rows[i]->med_ns / 1e6, rows[i]->p99_ns / 1e6,
			       rows[i]->max_ns / 1e6, rows[i]->read_med_ns / 1e6,
			       rows[i]->read_cpu_ms, rows[i]->cpu_ms,
			       rows[i]->redis_cpu_ms,
			       rows[i]->bytes / 1024, 100.0 * rows[i]->cpu_ms / interval);
	}
	(void)label;
	if (part2(c, sha, &over, &rate, &ops))
		return 1;
	per_req = rate * (1000.0 / interval) / P2_NODES;
	printf("  part 2: overshoot %.1f%% of the limit; Redis ops/s per node: %.0f (one round per "
	       "%ld ms) whatever the connection rate; one call per new connection (Envoy's "
	       "ratelimit) needs %.0f here, 1,000 at 1,000 new connections/s per node\n",
	       over, ops * 1000.0 / interval, interval, per_req);
	{
		static const int sizes[3] = { 10, 100, 1000 };
		double cpu_us[3], b_out[3], b_in[3];
		int i;

		for (i = 0; i < 3; i++)
			if (part3(c, sha, sizes[i], &cpu_us[i], &b_out[i], &b_in[i]))
				return 1;
		printf("  part 3: one Redis, 4 services per node, a round every %ld ms per node\n", interval);
		printf("  %8s %16s %14s %14s %18s %16s\n", "nodes", "Redis CPU/round", "bytes out/rnd",
		       "bytes in/rnd", "rounds/s (ops/s)", "Redis CPU share");
		for (i = 0; i < 3; i++)
			printf("  %8d %13.0f us %14.0f %14.0f %18.0f %15.0f%%\n", sizes[i], cpu_us[i],
			       b_out[i], b_in[i], sizes[i] * 1000.0 / interval,
			       cpu_us[i] * sizes[i] * (1000.0 / interval) / 1e4);
		part3_cpu_100 = cpu_us[1];
		part3_cpu_1000 = cpu_us[2];
	}
	if (json && (f = fopen(json, "w"))) {
		fprintf(f, "{\"heavy\": {\"sent_per_round\": %.0f, \"round_ms_median\": %.3f, "
			"\"round_ms_p99\": %.3f, \"read_ms_median\": %.3f, \"sync_cpu_ms\": %.3f, "
			"\"redis_cpu_ms\": %.3f, \"bytes\": %.0f},\n", heavy.sent, heavy.med_ns / 1e6,
			heavy.p99_ns / 1e6, heavy.read_med_ns / 1e6, heavy.cpu_ms, heavy.redis_cpu_ms,
			heavy.bytes);
		fprintf(f, " \"read_ms_median\": %.3f, \"read_cpu_ms\": %.3f, "
			"\"idle_round_ms_median\": %.3f, \"idle_read_ms_median\": %.3f, "
			"\"idle_cpu_ms\": %.3f, \"heavy_read_cpu_ms\": %.3f,\n",
			full.read_med_ns / 1e6, full.read_cpu_ms, idle.med_ns / 1e6,
			idle.read_med_ns / 1e6, idle.cpu_ms, heavy.read_cpu_ms);
		fprintf(f, " \"sources\": %ld, \"interval_ms\": %ld, \"rounds\": %ld,\n"
			" \"round_ms\": {\"median\": %.3f, \"p99\": %.3f, \"max\": %.3f},\n"
			" \"floor_round_ms\": {\"median\": %.3f, \"p99\": %.3f},\n"
			" \"sync_cpu_ms_per_round\": %.3f, \"redis_cpu_ms_per_round\": %.3f,\n"
			" \"bytes_per_round\": %.0f, \"core_share_pct\": %.2f,\n"
			" \"overshoot_pct_4_nodes\": %.2f, \"redis_ops_per_s_per_node\": %.1f,\n"
			" \"per_request_ops_per_s_per_node\": %.1f,\n"
			" \"redis_cpu_us_per_round_100_nodes\": %.1f, \"redis_cpu_us_per_round_1000_nodes\": %.1f}\n",
			n_src, interval, rounds, full.med_ns / 1e6, full.p99_ns / 1e6,
			full.max_ns / 1e6, floor_st.med_ns / 1e6, floor_st.p99_ns / 1e6, full.cpu_ms,
			full.redis_cpu_ms, full.bytes, 100.0 * full.cpu_ms / interval, over,
			ops * 1000.0 / interval, per_req, part3_cpu_100, part3_cpu_1000);
		fclose(f);
	}
	redisFree(c);
	return 0;
}
