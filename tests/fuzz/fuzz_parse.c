// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the XDP packet parser (bpf/lib/parse.h), compiled for
 * userspace from the same header. The frame is copied into a buffer of
 * exactly its size, so ASan reports any read past data_end; the result
 * must be self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adm_pkt p;
	uint8_t *buf = malloc(size ? size : 1);
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	rc = adm_parse(buf, buf + size, &p);
	if (rc == ADM_PARSE_OK) {
		size_t l4_hdr = p.proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
							 sizeof(struct udphdr);

		if (p.family != 4 && p.family != 6)
			abort();
		if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP)
			abort();
		if (p.l3_off < sizeof(struct ethhdr) || p.l4_off <= p.l3_off)
			abort();
		if ((size_t)p.l4_off + l4_hdr > size)
			abort();
		if (p.nvlans > ADM_MAX_VLANS)
			abort();
	} else if (rc != ADM_PARSE_PASS && rc != ADM_PARSE_MALFORMED) {
		abort();
	}
	free(buf);
	return 0;
}
