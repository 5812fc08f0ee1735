// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * concsample: sample the live connections and the enforced limit of one
 * service on several nodes (their pinned adm_conc maps), for the cluster
 * tests.
 *
 *   concsample -p PIN_ROOT [-p PIN_ROOT]... -i SERVICE_ID [--every-ms N]
 *              [--seconds N] [--stop-file F]
 *
 * Every N ms (default 10) it reads adm_conc[SERVICE_ID] of each pin root
 * through an mmap of the map (no syscall per sample) and prints one line:
 *   T_MS SUM_LIVE LIVE_1 LIMIT_1 LIVE_2 LIMIT_2 ...
 * (LIMIT -1: refuse all). A map stays mapped (and read) after its pins
 * are removed. Ends after --seconds (default 10), on SIGTERM,
 * or when the stop file exists. The bpf(2) call is made directly: the
 * e2e tools link no libbpf. Exit 0, 1 on a setup failure, 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "adm/adm.h"

#define CS_MAX_NODES	8

static int obj_get(const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(unsigned long)path;
	return syscall(__NR_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "service", required_argument, NULL, 'i' },
		{ "every-ms", required_argument, NULL, 'e' },
		{ "seconds", required_argument, NULL, 's' },
		{ "stop-file", required_argument, NULL, 'f' },
		{ 0 },
	};
	struct adm_conc *conc[CS_MAX_NODES] = {};
	const char *roots[CS_MAX_NODES], *stop_file = NULL;
	long id = -1, every = 10, secs = 10;
	size_t len = ADM_MAX_SERVICES * sizeof(struct adm_conc);
	long long t0, end;
	int n = 0, c, i;

	while ((c = getopt_long(argc, argv, "p:i:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (n == CS_MAX_NODES) {
				fprintf(stderr, "concsample: at most %d pin roots\n", CS_MAX_NODES);
				return 2;
			}
			roots[n++] = optarg;
			break;
		case 'i':
			if (tool_parse_long("concsample", "-i", optarg, 1, ADM_MAX_SERVICES - 1, &id))
				return 2;
			break;
		case 'e':
			if (tool_parse_long("concsample", "--every-ms", optarg, 1, 10000, &every))
				return 2;
			break;
		case 's':
			if (tool_parse_long("concsample", "--seconds", optarg, 1, 3600, &secs))
				return 2;
			break;
		case 'f':
			stop_file = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!n || id < 0) {
		fprintf(stderr, "usage: concsample -p PIN_ROOT... -i SERVICE_ID [--every-ms N] "
			"[--seconds N] [--stop-file F]\n");
		return 2;
	}
	len = (len + 4095) & ~4095UL;
	for (i = 0; i < n; i++) {
		char path[4096];
		int fd;
		void *p;

		snprintf(path, sizeof(path), "%s/%s", roots[i], ADM_MAP_CONC);
		fd = obj_get(path);
		if (fd < 0) {
			fprintf(stderr, "concsample: %s: %s\n", path, strerror(errno));
			return 1;
		}
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED) {
			fprintf(stderr, "concsample: mmap %s: %s\n", path, strerror(errno));
			return 1;
		}
		conc[i] = p;
	}
	tool_catch_stop();
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = tool_now_ms();
	end = t0 + secs * 1000;
	while (!tool_stop && tool_now_ms() < end) {
		struct timespec ts = { 0, every * 1000000L };
		unsigned long long sum = 0, live[CS_MAX_NODES];
		struct stat st;

		if (stop_file && !stat(stop_file, &st))
			break;
		for (i = 0; i < n; i++) {
			live[i] = __atomic_load_n(&conc[i][id].live, __ATOMIC_RELAXED);
			sum += live[i];
		}
		printf("%lld %llu", tool_now_ms() - t0, sum);
		for (i = 0; i < n; i++) {
			unsigned long long lim = __atomic_load_n(&conc[i][id].limit, __ATOMIC_RELAXED);

			printf(" %llu %lld", live[i], lim == ADM_CONC_REFUSE_ALL ? -1LL : (long long)lim);
		}
		printf("\n");
		nanosleep(&ts, NULL);
	}
	return 0;
}
