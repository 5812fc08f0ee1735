/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The responder's answer to a refused HTTP client (prefix adm_http503_). */
#ifndef ADM_HTTP503_H
#define ADM_HTTP503_H

#include <stddef.h>
#include <linux/types.h>

/* Room for any answer adm_http503 writes. */
#define ADM_HTTP503_MAX		512

/* retry_after plus a uniform draw in 0..jitter from *seed (rand_r). */
__u32 adm_http503_retry_after(__u32 retry_after, __u32 jitter, unsigned int *seed);

/*
 * "HTTP/1.1 503 Service Unavailable" with Retry-After: after, a
 * Content-Length that matches its short text body, Connection: close.
 * Returns its length, or -1 if len is too small.
 */
int adm_http503(char *buf, size_t len, __u32 after);

#endif /* ADM_HTTP503_H */
