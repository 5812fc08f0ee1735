// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* admctl stats: counters per service, verdict and reason; --watch redraws. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "admctl.h"
#include "stats.h"
#include "util.h"

#define WATCH_MAX_S	3600		/* --watch S: 1..WATCH_MAX_S */
#define COUNT_MAX	1000000		/* --count N */
#define CLEAR_SCREEN	"\033[H\033[2J"

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl stats [--json] [--watch S [--count N]]\n"
"\n"
"Packets and bytes per service, verdict and reason, summed over CPUs, since\n"
"the maps were created. Service 0 holds traffic judged before a service was\n"
"known (malformed packets). would_* verdicts are shadow-mode refusals.\n"
"Counters survive admd restarts and reloads; only 'admd --cleanup' resets them.\n"
"\n"
"  -w, --watch S   redraw every S seconds (1..3600) with packets per second,\n"
"                  until Ctrl-C; with --json, one JSON object per line each time\n"
"  -n, --count N   with --watch: stop after N samples\n"
"\n"
"Examples:\n"
"  admctl stats\n"
"  admctl stats --watch 2\n"
"  admctl stats --json | jq '.services[] | select(.name==\"web\")'\n"
"  admctl stats --json --watch 10 >> stats.ndjson\n");
}

static json_t *service_json(const struct adm_stats_snapshot *s, __u32 id)
{
	json_t *svc = json_object(), *counters = json_array();
	int v, r;

	json_object_set_new(svc, "id", json_integer(id));
	json_object_set_new(svc, "name", json_string(id ? s->meta[id].name : "-"));
	json_object_set_new(svc, "live", json_integer((json_int_t)s->conc[id].live));
	json_object_set_new(svc, "limit", json_integer((json_int_t)s->conc[id].limit));
	for (v = 0; v < ADM_V__MAX; v++) {
		for (r = 0; r < ADM_R__MAX; r++) {
			const struct adm_stat *c = &s->c[id][v][r];
			json_t *o;

			if (!c->packets)
				continue;
			o = json_object();
			json_object_set_new(o, "verdict", json_string(adm_verdict_name(v)));
			json_object_set_new(o, "reason", json_string(adm_reason_name(r)));
			json_object_set_new(o, "packets", json_integer((json_int_t)c->packets));
			json_object_set_new(o, "bytes", json_integer((json_int_t)c->bytes));
			json_array_append_new(counters, o);
		}
	}
	json_object_set_new(svc, "counters", counters);
	return svc;
}

/* prev: the previous sample, for packets per second over `secs` (NULL: none). */
static void service_text(const struct adm_stats_snapshot *s,
			 const struct adm_stats_snapshot *prev, __u64 secs,
			 __u32 id)
{
	int v, r, any = 0;

	char limit[24] = "none";

	if (s->conc[id].limit)
		snprintf(limit, sizeof(limit), "%llu",
			 (unsigned long long)s->conc[id].limit);
	if (id)
		printf("service %s (id %u)  live %llu  limit %s\n",
		       s->meta[id].name[0] ? s->meta[id].name : "(removed)", id,
		       (unsigned long long)s->conc[id].live, limit);
	else
		printf("unclassified (id 0)\n");
	for (v = 0; v < ADM_V__MAX; v++) {
		for (r = 0; r < ADM_R__MAX; r++) {
			const struct adm_stat *c = &s->c[id][v][r];

			if (!c->packets)
				continue;
			if (!any++)
				printf("  %-14s %-24s %14s %16s%s\n", "verdict", "reason",
				       "packets", "bytes", prev ? "   packets/s" : "");
			printf("  %-14s %-24s %14llu %16llu", adm_verdict_name(v),
			       adm_reason_name(r), (unsigned long long)c->packets,
			       (unsigned long long)c->bytes);
			if (prev)
				printf(" %11.1f", (double)(c->packets -
					prev->c[id][v][r].packets) / secs);
			putchar('\n');
		}
	}
	if (!any)
		printf("  (no traffic yet)\n");
}

static json_t *snapshot_json(const struct adm_stats_snapshot *s)
{
	json_t *root = json_object(), *arr = json_array();
	__u32 id;

	for (id = 0; id < ADM_MAX_SERVICES; id++)
		if (adm_stats_service_used(s, id))
			json_array_append_new(arr, service_json(s, id));
	json_object_set_new(root, "services", arr);
	json_object_set_new(root, "events_emitted", json_integer((json_int_t)s->events.emitted));
	json_object_set_new(root, "events_suppressed", json_integer((json_int_t)s->events.suppressed));
	json_object_set_new(root, "events_lost", json_integer((json_int_t)s->events.lost));
	return root;
}

static void snapshot_text(const struct adm_stats_snapshot *s,
			  const struct adm_stats_snapshot *prev, __u64 secs)
{
	__u32 id;

	for (id = 0; id < ADM_MAX_SERVICES; id++)
		if (adm_stats_service_used(s, id))
			service_text(s, prev, secs, id);
	printf("events: %llu emitted, %llu suppressed by the per-CPU budget, %llu lost\n",
	       (unsigned long long)s->events.emitted,
	       (unsigned long long)s->events.suppressed,
	       (unsigned long long)s->events.lost);
}

/* Sleep secs unless Ctrl-C comes first. 0 if the full time passed. */
static int watch_sleep(__u64 secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs };

	while (!interrupted && nanosleep(&ts, &ts) && errno == EINTR)
		;
	return interrupted;
}

int do_stats(struct ctl *ctl, int argc, char **argv)
{
	const char *watch = NULL, *count = NULL;
	const struct ctl_opt opts[] = {
		{ .name = "watch", .short_name = 'w', .value = &watch },
		{ .name = "count", .short_name = 'n', .value = &count },
		{}
	};
	struct adm_stats_snapshot *s = NULL, *prev = NULL, *tmp;
	struct sigaction sa = { .sa_handler = on_int };
	__u64 secs = 0, samples = 0, i;
	int rc, n_pos, ret = EXIT_FAIL;

	rc = ctl_args(ctl, "stats", argc, argv, 1, opts, NULL, 0, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		stats_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (watch && adm_parse_u64(watch, 1, WATCH_MAX_S, &secs))
		return ctl_usage_error("stats", "--watch '%s' is not a number of seconds 1..%d",
				       watch, WATCH_MAX_S);
	if (count && !watch)
		return ctl_usage_error("stats", "--count goes with --watch");
	if (count && adm_parse_u64(count, 1, COUNT_MAX, &samples))
		return ctl_usage_error("stats", "--count '%s' is not a number 1..%d",
				       count, COUNT_MAX);
	s = calloc(1, sizeof(*s));
	prev = calloc(1, sizeof(*prev));
	if (!s || !prev)
		goto out;
	if (watch) {
		/* No SA_RESTART: Ctrl-C ends the sleep at once. */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (i = 0; ; i++) {
		rc = adm_stats_read(ctl->pin_root, s);
		if (rc) {
			ret = ctl_open_fail(ctl, ADM_MAP_STATS, rc);
			goto out;
		}
		if (ctl->json) {
			json_t *root = snapshot_json(s);
			char now[ADM_TIME_TEXT_MAX];

			if (watch) {
				adm_time_text(now, sizeof(now));
				json_object_set_new(root, "time", json_string(now));
				json_dumpf(root, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
				putchar('\n');
				json_decref(root);
			} else {
				ctl_print_json(root);
			}
		} else {
			if (watch) {
				char now[ADM_TIME_TEXT_MAX];

				adm_time_text(now, sizeof(now));
				if (isatty(STDOUT_FILENO))
					fputs(CLEAR_SCREEN, stdout);
				printf("%s  every %llus, Ctrl-C stops\n", now,
				       (unsigned long long)secs);
			}
			snapshot_text(s, i ? prev : NULL, secs);
		}
		fflush(stdout);
		if (!watch || (samples && i + 1 >= samples) || watch_sleep(secs))
			break;
		tmp = prev;
		prev = s;
		s = tmp;
	}
	ret = EXIT_OK;
out:
	free(s);
	free(prev);
	return ret;
}
