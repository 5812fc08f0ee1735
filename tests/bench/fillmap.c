// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bench tool: fill a pinned hash/LRU map keyed by struct adm_fp_key with N
 * distinct sources of one service (zero values), by batch updates, so a
 * benchmark can measure something against full maps.
 *   fillmap PIN_PATH SERVICE_ID N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "adm/adm.h"

#define BATCH	4096

int main(int argc, char **argv)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), n, done = 0, i, count;
	struct adm_fp_key *keys;
	void *vals;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: fillmap PIN_PATH SERVICE_ID N\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "fillmap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (info.key_size != sizeof(struct adm_fp_key)) {
		fprintf(stderr, "fillmap: %s: keys of %u bytes, not struct adm_fp_key\n",
			argv[1], info.key_size);
		return 1;
	}
	n = (__u32)strtoul(argv[3], NULL, 10);
	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc(BATCH, info.value_size);
	if (!keys || !vals)
		return 1;
	while (done < n) {
		count = n - done < BATCH ? n - done : BATCH;
		for (i = 0; i < count; i++) {
			__u32 a = done + i;

			memset(&keys[i], 0, sizeof(keys[i]));
			keys[i].service = (__u32)strtoul(argv[2], NULL, 10);
			/* ::ffff:10.x.y.z, network byte order words */
			keys[i].addr[2] = __builtin_bswap32(0x0000ffffU);
			keys[i].addr[3] = __builtin_bswap32(0x0a000000U | a);
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			fprintf(stderr, "fillmap: batch update: %s\n", strerror(errno));
			return 1;
		}
		done += count;
	}
	printf("%u\n", done);
	return 0;
}
