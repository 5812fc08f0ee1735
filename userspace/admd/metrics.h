/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus text exposition at /metrics (libmicrohttpd; prefix mx_). */
#ifndef ADMD_METRICS_H
#define ADMD_METRICS_H

#include <stddef.h>

struct mx_server;

/*
 * Serve /metrics on listen ("ADDR:PORT" or "[ADDR6]:PORT") from the maps
 * pinned under pin_root, in libmicrohttpd's own thread. Every scrape reads
 * the maps afresh. Returns NULL with one sentence in err.
 */
struct mx_server *mx_start(const char *listen, const char *pin_root, char *err,
			   size_t errlen);
void mx_stop(struct mx_server *mx);

/* Render the exposition text into a malloc'd string (NULL on error). */
char *mx_render(const char *pin_root);

#endif /* ADMD_METRICS_H */
