/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Draining the adm_events ring buffer (prefix ev_). */
#ifndef ADMD_EVENTS_H
#define ADMD_EVENTS_H

#include <linux/types.h>

struct ev_drain;

/* Open the drain on the pinned adm_events map. NULL on error (errno set). */
struct ev_drain *ev_open(const char *pin_root);

/* Wait up to timeout_ms for events and consume them. Returns events seen or -errno. */
int ev_poll(struct ev_drain *ev, int timeout_ms);

/* Total decision records consumed since ev_open. */
__u64 ev_total(const struct ev_drain *ev);

void ev_close(struct ev_drain *ev);

#endif /* ADMD_EVENTS_H */
