/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Draining the adm_events ring buffer (prefix ev_). */
#ifndef ADMD_EVENTS_H
#define ADMD_EVENTS_H

#include <linux/types.h>

struct adm_event;
struct ev_drain;

/* Sees every record drained, before the log's rate limit (see ev_set_tap). */
typedef void (*ev_tap_fn)(void *ctx, const struct adm_event *e);

/* Open the drain on the pinned adm_events map. NULL on error (errno set). */
struct ev_drain *ev_open(const char *pin_root);

/* Wait up to timeout_ms for events and consume them. Returns events seen or -errno. */
int ev_poll(struct ev_drain *ev, int timeout_ms);

/* Total decision records consumed since ev_open. */
__u64 ev_total(const struct ev_drain *ev);

/*
 * Hand every drained record to fn(ctx, record) as well (the control
 * socket's `logs`); fn NULL stops it. fn runs inside ev_poll.
 */
void ev_set_tap(struct ev_drain *ev, ev_tap_fn fn, void *ctx);

/* The ring buffer's epoll fd: readable when records wait, for a caller's poll. */
int ev_epoll_fd(const struct ev_drain *ev);

void ev_close(struct ev_drain *ev);

#endif /* ADMD_EVENTS_H */
