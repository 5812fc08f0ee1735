// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The responder's answer to a refused HTTP client; see http503.h. */
#include <stdio.h>
#include <stdlib.h>
#include "http503.h"

__u32 adm_http503_retry_after(__u32 retry_after, __u32 jitter, unsigned int *seed)
{
	if (!jitter)
		return retry_after;
	return retry_after + (__u32)((unsigned long)rand_r(seed) % ((unsigned long)jitter + 1));
}

int adm_http503(char *buf, size_t len, __u32 after)
{
	char body[96];
	int blen, n;

	blen = snprintf(body, sizeof(body),
			"503 Service Unavailable: over capacity, retry after %u s.\n",
			after);
	n = snprintf(buf, len,
		     "HTTP/1.1 503 Service Unavailable\r\n"
		     "Retry-After: %u\r\n"
		     "Content-Type: text/plain\r\n"
		     "Content-Length: %d\r\n"
		     "Cache-Control: no-store\r\n"
		     "Connection: close\r\n"
		     "\r\n%s", after, blen, body);
	return n < 0 || (size_t)n >= len ? -1 : n;
}
