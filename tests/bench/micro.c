// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Micro-benchmark: ns per packet of each path of adm_xdp, beside the
 * trivial adm_pass program (the floor) measured in the same run, through
 * BPF_PROG_TEST_RUN and the same harness as tests/bpf. Each path is
 * sampled BENCH_ROUNDS times, each sample right after a floor sample on
 * the same packet; the report is the median and its ratio to the median
 * of the adjacent floors. Prints a table and writes JSON to argv[1]
 * (default build/bench/micro.json). MICRO_ONLY=name,... runs only those
 * cases (for profiling; the JSON then holds zeros for the others).
 *
 * How REJECT is measured, and why not with `repeat`: BPF_PROG_TEST_RUN
 * in its normal mode copies data_in into the kernel once and runs the
 * program `repeat` times on that same xdp_buff (net/bpf/test_run.c,
 * bpf_test_run()), without restoring it. The first run turns the SYN into
 * a RST|ACK in place and trims it with bpf_xdp_adjust_tail, so runs 2..N
 * would judge that RST (a non-SYN to the client's port: the cheap
 * unprotected path) and the mean would be a lie. Live-frame mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES, bpf_test_run_xdp_live()) resets only the
 * data pointers of its recycled page_pool pages, not their bytes (they
 * are written once, in xdp_test_run_init_page()), turns XDP_TX into a
 * redirect, sends XDP_PASS frames into the stack and forbids data_out, so
 * it cannot repeat a REJECT either. REJECT is therefore measured per
 * call: PER_CALL_RUNS calls with repeat = 1, each copying the SYN in
 * afresh, each timed by the kernel around that one run (the timer's own
 * cost included), the median per call taken. Its floor and a DROP
 * refusal of the same SYN are measured the same way in the same rounds,
 * so its ratio compares like with like; the difference REJECT - DROP is
 * the cost of building the RST and returning XDP_TX.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <jansson.h>

#include "adm/adm.h"
#include "harness.h"
#include "pkt.h"
#include "srcfilter.h"

#define BENCH_REPEAT		1000000	/* runs per `repeat` sample */
#define BENCH_ROUNDS		5
#define PER_CALL_RUNS		200000	/* calls per per-call sample: 1e6 per path in all */
#define PER_CALL_TRIMMED	(PER_CALL_RUNS / 100 * 99)	/* the fastest 99% make the mean */
#define BENCH_DEFAULT_OUT	"build/bench/micro.json"
#define SVC_ID			1
#define SVC_PORT		80
#define OPEN_PORT		8080
#define MINUTE_NS		(60ULL * H_NS_PER_SEC)
/* A rate that never refuses: 1 ns emission, a burst of 1000 s of it. */
#define UNLIMITED_EMISSION_NS	1
#define UNLIMITED_TAU_NS	(1000ULL * H_NS_PER_SEC)
#define HUGE_LIMIT		1000000000ULL
#define RANDOM_SRC_OFF		(14 + 12)	/* IPv4 source address behind an untagged Ethernet header */

enum bench_method { BM_REPEAT, BM_PER_CALL };

struct bench_case {
	const char *name;
	const char *what;
	enum bench_method method;
	/* Write the policy (maps are reset before) and the packet; false on error. */
	bool (*setup)(struct h_ctx *h, struct pkt_spec *pkt);
	__u32 action;			/* XDP action every run must return */
	__u32 verdict, reason;		/* stat every run must count (for adm_xdp) */
	bool floor_only;		/* the floor row itself */
	bool random_src;		/* per call: a new random IPv4 source each call */
	double samples[BENCH_ROUNDS], floors[BENCH_ROUNDS];
	double means[BENCH_ROUNDS], fmeans[BENCH_ROUNDS];	/* per-call: mean of the fastest 99% */
};

static const struct pkt_spec SYN = {
	.family = 4, .tcp_flags = PKT_TCP_SYN, .seq = 0x12345678, .dport = SVC_PORT,
	.opts = { PKT_OPT_MSS, PKT_OPT_SACK_PERM, PKT_OPT_TS, PKT_OPT_NOP, PKT_OPT_WSCALE },
	.mss = 1460, .wscale = 7, .tsval = 1,
};
static const struct pkt_spec ACK = {
	.family = 4, .tcp_flags = PKT_TCP_ACK, .seq = 0x12345679, .ack = 1,
	.dport = SVC_PORT, .payload_len = 100,
};

static struct adm_service base_service(void)
{
	struct adm_service s = {
		.flags = ADM_SVC_ACTIVE, .fp_mode = ADM_FP_IP,
		.ipv4_prefix = 32, .ipv6_prefix = 128, .priority = ADM_PRIO_NORMAL,
		.on_rate = ADM_A_DROP, .on_conn_full = ADM_A_DEFER,
		.unv_ipv4_prefix = 24, .unv_ipv6_prefix = 48,
	};

	return s;
}

static bool put_service(struct h_ctx *h, const struct adm_service *s)
{
	struct adm_state st = { .breaker = ADM_BRK_CLOSED };

	return !h_add_service(h, SVC_ID, IPPROTO_TCP, SVC_PORT, s) &&
	       !h_set_state(h, SVC_ID, &st);
}

static bool setup_unprotected(struct h_ctx *h, struct pkt_spec *pkt)
{
	struct adm_service s = base_service();

	*pkt = ACK;
	pkt->dport = OPEN_PORT;
	return put_service(h, &s);
}

static bool setup_flow(struct h_ctx *h, struct pkt_spec *pkt)
{
	struct adm_service s = base_service();

	*pkt = ACK;
	return put_service(h, &s);
}

static bool setup_flow_pkt_rate(struct h_ctx *h, struct pkt_spec *pkt)
{
	struct adm_service s = base_service();

	s.pkt.emission_ns = UNLIMITED_EMISSION_NS;
	s.pkt.tau_ns = UNLIMITED_TAU_NS;
	*pkt = ACK;
	return put_service(h, &s);
}

/* Every gate a SYN can meet, each passed: the longest admitting path. */
static bool setup_syn_full(struct h_ctx *h, struct pkt_spec *pkt)
{
	struct adm_service s = base_service();
	struct adm_conc conc = { .live = 1, .limit = HUGE_LIMIT };
	struct adm_fp_key fp;

	s.flags |= ADM_SVC_VERIFY;
	s.syn.emission_ns = UNLIMITED_EMISSION_NS;
	s.syn.tau_ns = UNLIMITED_TAU_NS;
	s.unv_prefix.emission_ns = UNLIMITED_EMISSION_NS;
	s.unv_prefix.tau_ns = UNLIMITED_TAU_NS;
	s.new_sources.emission_ns = UNLIMITED_EMISSION_NS;
	s.new_sources.tau_ns = UNLIMITED_TAU_NS;
	s.fp_conn_limit = HUGE_LIMIT;
	*pkt = SYN;
	return put_service(h, &s) && !h_set_conc(h, SVC_ID, &conc) &&
	       !h_fp_key(&s, SVC_ID, PKT_DEF_SRC4, &fp) &&
	       !h_set_src_conc(h, &fp, 1) &&
	       !h_set_verified(h, &fp, h_now_ns());
}

/* 1/min, burst 1, already spent: every measured SYN is refused. */
static bool setup_syn_refused(struct h_ctx *h, struct pkt_spec *pkt, __u8 action)
{
	struct adm_service s = base_service();
	static struct h_result r;
	__u8 f[PKT_MAX_LEN];
	int len;

	s.syn.emission_ns = MINUTE_NS;
	s.on_rate = action;
	*pkt = SYN;
	len = pkt_build(pkt, f, sizeof(f), NULL, NULL, 0);
	return put_service(h, &s) && len > 0 &&
	       !h_run(h, h->xdp_fd, f, len, 1, &r) && r.action == XDP_PASS;
}

/*
 * The random-source flood path at a verify service: a never-verified
 * source, its prefix slot charged (admitting), the new-source budget
 * spent: refused, dropped. No per-source state is read or written beyond
 * the adm_src miss.
 */
static bool setup_syn_stranger(struct h_ctx *h, struct pkt_spec *pkt, __u8 family)
{
	struct adm_service s = base_service();
	static struct h_result r;
	__u8 f[PKT_MAX_LEN];
	int len;

	s.flags |= ADM_SVC_VERIFY;
	s.on_rate = ADM_A_REJECT;	/* the example's; strangers still drop */
	s.unv_prefix.emission_ns = UNLIMITED_EMISSION_NS;
	s.unv_prefix.tau_ns = UNLIMITED_TAU_NS;
	s.new_sources.emission_ns = MINUTE_NS;
	*pkt = SYN;
	pkt->family = family;
	len = pkt_build(pkt, f, sizeof(f), NULL, NULL, 0);
	return put_service(h, &s) && len > 0 &&
	       !h_run(h, h->xdp_fd, f, len, 1, &r) && r.action == XDP_PASS;
}

static bool setup_syn_stranger4(struct h_ctx *h, struct pkt_spec *pkt)
{
	return setup_syn_stranger(h, pkt, 4);
}

static bool setup_syn_stranger6(struct h_ctx *h, struct pkt_spec *pkt)
{
	return setup_syn_stranger(h, pkt, 6);
}

/*
 * As syn_stranger_v4, with adm_src full: ADM_MAX_SOURCES random verified
 * IPv4 sources of the service in 10.0.0.0/8 (the random flood sources
 * skip it), and their bits in adm_src_filter(_next)
 * and adm_src_summary, as admd's rebuild leaves them. A random spoofed
 * source then reads the filter as often as the summary is set, and looks
 * adm_src up (a miss in a full table) as often as the filter is.
 */
static bool setup_syn_stranger_full(struct h_ctx *h, struct pkt_spec *pkt)
{
	const __u32 n = ADM_MAX_SOURCES, batch = 4096;
	struct adm_fp_key *keys = calloc(batch, sizeof(*keys));
	struct adm_src *vals = calloc(batch, sizeof(*vals));
	int src_fd = h_map_fd(h, ADM_MAP_SRC);
	struct adm_src_filter f;
	__u64 x = 0x2545f4914f6cdd1dULL;
	__u32 done = 0, i, count;
	int err = keys && vals && src_fd >= 0 ? 0 : -ENOMEM;

	while (!err && done < n) {
		count = n - done < batch ? n - done : batch;
		for (i = 0; i < count; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memset(&keys[i], 0, sizeof(keys[i]));
			keys[i].service = SVC_ID;
			keys[i].addr[2] = htonl(0xffff);
			keys[i].addr[3] = htonl(0x0a000000U | ((__u32)x & 0xffffff));
		}
		err = bpf_map_update_batch(src_fd, keys, vals, &count, NULL) ? -errno : 0;
		done += count;
	}
	free(keys);
	free(vals);
	/* The bits admd's rebuild sets for the keys present. */
	if (!err)
		err = adm_src_filter_open(&f, h_map_fd(h, ADM_MAP_SRC_FILTER),
					  h_map_fd(h, ADM_MAP_SRC_FILTER_NEXT),
					  h_map_fd(h, ADM_MAP_SRC_SUMMARY));
	if (!err) {
		err = adm_src_filter_rebuild(&f, src_fd, NULL, NULL, NULL);
		adm_src_filter_close(&f);
	}
	if (err)
		fprintf(stderr, "micro: filling adm_src and its filter: %s\n", strerror(-err));
	return !err && setup_syn_stranger(h, pkt, 4);
}

static bool setup_syn_drop(struct h_ctx *h, struct pkt_spec *pkt)
{
	return setup_syn_refused(h, pkt, ADM_A_DROP);
}

/*
 * The RST path itself: the per-CPU reply budget (ADM_RST_PER_SEC) would
 * turn all but the first replies of each second into drops, so the bench
 * lifts it (adm_rstbudget.limit) to measure building and sending the RST.
 */
static bool setup_syn_reject(struct h_ctx *h, struct pkt_spec *pkt)
{
	struct adm_rstbudget *b = calloc(h->ncpus, sizeof(*b));
	int fd = h_map_fd(h, ADM_MAP_RSTBUDGET), i;
	__u32 zero = 0;
	bool ok;

	if (!b)
		return false;
	for (i = 0; i < h->ncpus; i++)
		b[i].limit = UINT64_MAX;
	ok = fd >= 0 && !bpf_map_update_elem(fd, &zero, b, BPF_ANY);
	free(b);
	return ok && setup_syn_refused(h, pkt, ADM_A_REJECT);
}

static bool setup_floor(struct h_ctx *h, struct pkt_spec *pkt)
{
	(void)h;
	*pkt = SYN;
	return true;
}

#define CASE(name_, method_, setup_, action_, verdict_, reason_, what_) {	\
	.name = (name_), .what = (what_), .method = (method_),		\
	.setup = (setup_), .action = (action_),				\
	.verdict = (verdict_), .reason = (reason_),			\
}
#define FLOOR(name_, method_, what_) {					\
	.name = (name_), .what = (what_), .method = (method_),		\
	.setup = setup_floor, .action = XDP_PASS, .floor_only = true,	\
}
#define NOT_COUNTED	ADM_V__MAX	/* as a verdict: no adm_stats entry may change */

static struct bench_case cases[] = {
	FLOOR("floor", BM_REPEAT, "adm_pass: XDP_PASS and nothing else"),
	CASE("unprotected", BM_REPEAT, setup_unprotected, XDP_PASS, NOT_COUNTED, 0,
	     "packet to an unprotected port"),
	CASE("flow", BM_REPEAT, setup_flow, XDP_PASS, ADM_V_PASS, ADM_R_FLOW,
	     "established-flow ACK of a protected service, no pkt_rate"),
	CASE("flow_pkt_rate", BM_REPEAT, setup_flow_pkt_rate, XDP_PASS, ADM_V_PASS, ADM_R_FLOW,
	     "same, pkt_rate on (admitting)"),
	CASE("syn_full", BM_REPEAT, setup_syn_full, XDP_PASS, ADM_V_PASS, ADM_R_NONE,
	     "SYN admitted: verified source, rate, conc, fp_conn_limit"),
	CASE("syn_rate_drop", BM_REPEAT, setup_syn_drop, XDP_DROP, ADM_V_DROP, ADM_R_RATE_SOURCE,
	     "SYN refused by rate, drop"),
	CASE("syn_stranger_v4", BM_REPEAT, setup_syn_stranger4, XDP_DROP, ADM_V_DROP,
	     ADM_R_RATE_NEW_SOURCES, "flood SYN: never-verified IPv4 source, new-source budget spent"),
	CASE("syn_stranger_v6", BM_REPEAT, setup_syn_stranger6, XDP_DROP, ADM_V_DROP,
	     ADM_R_RATE_NEW_SOURCES, "flood SYN: never-verified IPv6 source, new-source budget spent"),
	FLOOR("floor_per_call", BM_PER_CALL, "adm_pass, one run per call"),
	CASE("syn_rate_drop_per_call", BM_PER_CALL, setup_syn_drop, XDP_DROP, ADM_V_DROP,
	     ADM_R_RATE_SOURCE, "SYN refused by rate, drop, one run per call"),
	CASE("syn_reject_per_call", BM_PER_CALL, setup_syn_reject, XDP_TX, ADM_V_REJECT,
	     ADM_R_RATE_SOURCE, "SYN refused by rate, reject: RST built, XDP_TX"),
	{ .name = "syn_flood_random_per_call", .method = BM_PER_CALL,
	  .setup = setup_syn_stranger4, .action = XDP_DROP, .verdict = ADM_V_DROP,
	  .reason = ADM_R_RATE_NEW_SOURCES, .random_src = true,
	  .what = "flood SYN as syn_stranger_v4, a random source of the whole IPv4 space each call" },
	{ .name = "syn_flood_random_full_per_call", .method = BM_PER_CALL,
	  .setup = setup_syn_stranger_full, .action = XDP_DROP, .verdict = ADM_V_DROP,
	  .reason = ADM_R_RATE_NEW_SOURCES, .random_src = true,
	  .what = "the same with adm_src full (ADM_MAX_SOURCES verified sources, filter and summary set for them)" },
};

#define N_CASES	(int)(sizeof(cases) / sizeof(cases[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[BENCH_ROUNDS * 2];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * One sample of prog_fd on the frame: the kernel's mean ns over
 * BENCH_REPEAT runs, or the median of PER_CALL_RUNS single runs. Every
 * run must return `action`. 0 or -errno (message printed).
 */
static int sample(struct h_ctx *h, int prog_fd, __u8 *f, int len,
		  enum bench_method m, bool random_src, __u32 action, const char *name,
		  double *ns, double *mean)
{
	static struct h_result r;
	static __u32 d[PER_CALL_RUNS];
	static __u64 x = 0x9e3779b97f4a7c15ULL;
	double sum;
	int i, err;

	if (m == BM_REPEAT) {
		err = h_run(h, prog_fd, f, len, BENCH_REPEAT, &r);
		if (!err && r.action != action)
			err = -EPROTO;
		*ns = r.duration;
		*mean = r.duration;
	} else {
		for (i = 0, err = 0; i < PER_CALL_RUNS && !err; i++) {
			if (random_src) {
				/* xorshift64: sources from the whole IPv4 space, cold caches */
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				memcpy(f + RANDOM_SRC_OFF, &x, 4);
				if (f[RANDOM_SRC_OFF] == 10)	/* 10/8: the verified sources of the full case */
					f[RANDOM_SRC_OFF] = 11;
			}
			err = h_run(h, prog_fd, f, len, 1, &r);
			if (!err && r.action != action)
				err = -EPROTO;
			d[i] = r.duration;
		}
		qsort(d, PER_CALL_RUNS, sizeof(*d), cmp_u32);
		*ns = (d[PER_CALL_RUNS / 2 - 1] + d[PER_CALL_RUNS / 2]) / 2.0;
		/*
		 * The median is the common path; a path taken by a share of the
		 * calls (a filter read for some sources) shows in the mean. The
		 * slowest 1% (interrupts) left out.
		 */
		for (i = 0, sum = 0; i < PER_CALL_TRIMMED; i++)
			sum += d[i];
		*mean = sum / PER_CALL_TRIMMED;
	}
	if (err == -EPROTO)
		fprintf(stderr, "micro: %s returned %s, expected %s: not measuring what it claims\n",
			name, h_action_name(r.action), h_action_name(action));
	else if (err)
		fprintf(stderr, "micro: %s: test run failed: %s\n", name, strerror(-err));
	return err;
}

/*
 * Every run of an adm_xdp case was counted where it should be and nowhere
 * else (before: adm_stats read just before the sample). 0 or -errno.
 */
static int check_counted(struct h_ctx *h, const struct bench_case *c,
			 const struct adm_stat *before, struct adm_stat *after,
			 __u64 runs)
{
	__u32 want = c->verdict < ADM_V__MAX ? adm_stat_index(SVC_ID, c->verdict, c->reason)
					     : ADM_STATS_ENTRIES;
	__u64 hit = 0, other = 0;
	__u32 i;
	int err = h_stats_read(h, after);

	if (err) {
		fprintf(stderr, "micro: read %s: %s\n", ADM_MAP_STATS, strerror(-err));
		return err;
	}
	for (i = 0; i < ADM_STATS_ENTRIES; i++) {
		if (i == want)
			hit = after[i].packets - before[i].packets;
		else
			other += after[i].packets - before[i].packets;
	}
	if ((want < ADM_STATS_ENTRIES && hit != runs) || other) {
		fprintf(stderr, "micro: %s: %llu of %llu runs counted as expected, %llu elsewhere: "
			"not measuring what it claims\n", c->name, (unsigned long long)hit,
			(unsigned long long)runs, (unsigned long long)other);
		return -EPROTO;
	}
	return 0;
}

static int mkdir_parents(const char *path)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int write_json(const char *path, struct h_ctx *h)
{
	json_t *root, *results, *c, *s, *fl;
	struct utsname u;
	int i, r, err = 0;

	uname(&u);
	root = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:s}",
			 "benchmark", "micro", "kernel", u.release, "cpus", h->ncpus,
			 "repeat", BENCH_REPEAT, "rounds", BENCH_ROUNDS,
			 "per_call_runs", PER_CALL_RUNS,
			 "unit", "ns per packet (median of rounds)");
	results = json_array();
	if (!root || !results) {
		json_decref(root);
		json_decref(results);
		return -ENOMEM;
	}
	for (i = 0; i < N_CASES; i++) {
		double med = median(cases[i].samples, BENCH_ROUNDS);
		double fmed = median(cases[i].floors, BENCH_ROUNDS);

		s = json_array();
		fl = json_array();
		for (r = 0; r < BENCH_ROUNDS; r++) {
			json_array_append_new(s, json_real(cases[i].samples[r]));
			json_array_append_new(fl, json_real(cases[i].floors[r]));
		}
		c = json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:o, s:o}",
			      "name", cases[i].name, "description", cases[i].what,
			      "method", cases[i].method == BM_REPEAT ? "repeat" : "per_call",
			      "median_ns", med, "floor_ns", fmed,
			      "ratio", fmed > 0 ? med / fmed : 0.0,
			      "samples_ns", s, "floor_samples_ns", fl);
		if (cases[i].method == BM_PER_CALL) {
			double mm = median(cases[i].means, BENCH_ROUNDS);
			double fm = median(cases[i].fmeans, BENCH_ROUNDS);

			json_object_set_new(c, "mean99_ns", json_real(mm));
			json_object_set_new(c, "floor_mean99_ns", json_real(fm));
			json_object_set_new(c, "mean99_ratio", json_real(fm > 0 ? mm / fm : 0.0));
		}
		json_array_append_new(results, c);
	}
	json_object_set_new(root, "results", results);
	if (mkdir_parents(path) || json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS))
		err = -EIO;
	json_decref(root);
	return err;
}

/* MICRO_ONLY="name,name": run only these cases (profiling); unset: all. */
static bool selected(const struct bench_case *c)
{
	const char *only = getenv("MICRO_ONLY"), *p;
	size_t n = strlen(c->name);

	if (!only || !*only)
		return true;
	for (p = only; (p = strstr(p, c->name)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : BENCH_DEFAULT_OUT;
	struct adm_stat *before = NULL, *after = NULL;
	struct pkt_spec pkt;
	struct h_ctx h;
	__u8 f[PKT_MAX_LEN];
	char why[256];
	int err, i, r, len;

	err = h_open(&h, why, sizeof(why));
	if (err == H_SKIP) {
		printf("micro: SKIP no BPF privilege (%s); run as root or with CAP_BPF and CAP_NET_ADMIN\n",
		       why);
		return 0;
	}
	if (!err)
		err = h_open_pass(&h, why, sizeof(why));
	if (err) {
		fprintf(stderr, "micro: %s\n", why);
		h_close(&h);
		return 1;
	}
	before = calloc(ADM_STATS_ENTRIES, sizeof(*before));
	after = calloc(ADM_STATS_ENTRIES, sizeof(*after));
	if (!before || !after) {
		err = -ENOMEM;
		goto out;
	}

	for (r = 0; r < BENCH_ROUNDS; r++) {
		for (i = 0; i < N_CASES; i++) {
			struct bench_case *c = &cases[i];
			__u64 runs = c->method == BM_REPEAT ? BENCH_REPEAT : PER_CALL_RUNS;

			if (!selected(c))
				continue;

			err = h_reset(&h);
			if (!err && !c->setup(&h, &pkt))
				err = -EIO;
			len = err ? -1 : pkt_build(&pkt, f, sizeof(f), NULL, why, sizeof(why));
			if (err || len < 0) {
				fprintf(stderr, "micro: %s: setup failed\n", c->name);
				err = err ? err : -EINVAL;
				goto out;
			}
			/* The floor on the same frame, then the path. */
			err = sample(&h, h.pass_fd, f, len, c->method, c->random_src, XDP_PASS, "adm_pass",
				     &c->floors[r], &c->fmeans[r]);
			if (err)
				goto out;
			if (c->floor_only) {
				c->samples[r] = c->floors[r];
				c->means[r] = c->fmeans[r];
				continue;
			}
			/* Setup's own runs (a spent burst) are not part of the count. */
			err = h_stats_read(&h, before);
			if (!err)
				err = sample(&h, h.xdp_fd, f, len, c->method, c->random_src, c->action, c->name,
					     &c->samples[r], &c->means[r]);
			if (!err)
				err = check_counted(&h, c, before, after, runs);
			if (err)
				goto out;
		}
	}

	printf("%-24s %-9s %10s %10s %8s  %s\n", "path", "method", "ns/pkt", "floor ns",
	       "x floor", "what");
	for (i = 0; i < N_CASES; i++) {
		double med = median(cases[i].samples, BENCH_ROUNDS);
		double fmed = median(cases[i].floors, BENCH_ROUNDS);

		if (!selected(&cases[i]))
			continue;
		printf("%-24s %-9s %10.1f %10.1f %8.2f  %s\n", cases[i].name,
		       cases[i].method == BM_REPEAT ? "repeat" : "per-call", med, fmed,
		       fmed > 0 ? med / fmed : 0.0, cases[i].what);
	}
	printf("(median of %d rounds, ns as BPF_PROG_TEST_RUN reports them; repeat: mean of "
	       "%d runs per sample; per-call: median of %d calls of one run per sample)\n",
	       BENCH_ROUNDS, BENCH_REPEAT, PER_CALL_RUNS);
	printf("per-call, mean of the fastest 99%% of the calls (a path only some calls take shows here):\n");
	for (i = 0; i < N_CASES; i++) {
		double mm = median(cases[i].means, BENCH_ROUNDS);
		double fm = median(cases[i].fmeans, BENCH_ROUNDS);

		if (!selected(&cases[i]) || cases[i].method != BM_PER_CALL || cases[i].floor_only)
			continue;
		printf("  %-30s %8.1f ns, floor %6.1f ns: %5.2fx\n", cases[i].name, mm, fm,
		       fm > 0 ? mm / fm : 0.0);
	}
	err = write_json(out, &h);
	if (err)
		fprintf(stderr, "micro: cannot write %s: %s\n", out, strerror(-err));
	else
		printf("wrote %s\n", out);
out:
	free(before);
	free(after);
	h_close(&h);
	return err ? 1 : 0;
}
