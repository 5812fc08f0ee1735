// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The log path's first stage: sampled decision records from the kernel
 * go to admd's log, at most EV_LOG_PER_SEC lines a second (the rest are
 * summarised). Until the MariaDB pipeline lands this is their only sink.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "log.h"
#include "pins.h"
#include "util.h"

#define EV_LOG_PER_SEC	20

struct ev_drain {
	struct ring_buffer *rb;
	int map_fd;
	__u64 total;
	time_t second;
	unsigned int logged;
	__u64 unlogged;
	ev_tap_fn tap;
	void *tap_ctx;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct ev_drain *ev = ctx;
	const struct adm_event *e = data;
	char addr[64];
	time_t now = time(NULL);

	if (len < sizeof(*e))
		return 0;
	ev->total++;
	if (ev->tap)
		ev->tap(ev->tap_ctx, e);
	if (now != ev->second) {
		if (ev->unlogged)
			adm_info("decision: %llu more records in the last second not logged",
				 (unsigned long long)ev->unlogged);
		ev->second = now;
		ev->logged = 0;
		ev->unlogged = 0;
	}
	if (ev->logged >= EV_LOG_PER_SEC) {
		ev->unlogged++;
		return 0;
	}
	ev->logged++;
	adm_info("decision: service=%u src=%s sport=%u dport=%u verdict=%s reason=%s count=%u",
		 e->service, adm_format_addr(e->addr, addr, sizeof(addr)),
		 e->sport, e->dport, adm_verdict_name(e->verdict),
		 adm_reason_name(e->reason), e->count);
	return 0;
}

struct ev_drain *ev_open(const char *pin_root)
{
	struct ev_drain *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->map_fd = adm_map_open(pin_root, ADM_MAP_EVENTS, 0);
	if (ev->map_fd < 0) {
		errno = -ev->map_fd;
		free(ev);
		return NULL;
	}
	ev->rb = ring_buffer__new(ev->map_fd, on_event, ev, NULL);
	if (!ev->rb) {
		close(ev->map_fd);
		free(ev);
		return NULL;
	}
	return ev;
}

int ev_poll(struct ev_drain *ev, int timeout_ms)
{
	int n = ring_buffer__poll(ev->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

__u64 ev_total(const struct ev_drain *ev)
{
	return ev->total;
}

void ev_set_tap(struct ev_drain *ev, ev_tap_fn fn, void *ctx)
{
	ev->tap = fn;
	ev->tap_ctx = ctx;
}

int ev_epoll_fd(const struct ev_drain *ev)
{
	return ring_buffer__epoll_fd(ev->rb);
}

void ev_close(struct ev_drain *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	close(ev->map_fd);
	free(ev);
}
