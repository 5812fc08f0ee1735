// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The log path's first stage, two modules. "events" drains sampled
 * decision records from the kernel's ring buffer (adm_events) in admd's
 * event loop and fans each one out to every sink (admd_event). "log" is
 * one of those sinks: decision records to admd's log, at most
 * EV_LOG_PER_SEC lines a second (the rest summarised), and every audit
 * record, one line each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "admd.h"
#include "events.h"
#include "loop.h"
#include "log.h"
#include "pins.h"
#include "util.h"

#define EV_LOG_PER_SEC	20
#define EV_BATCH_MAX	4096	/* records consumed per wakeup, so others get a turn */

struct ev_drain {
	struct admd *ad;
	struct ring_buffer *rb;
	int map_fd;
	int epfd;		/* the ring buffer's own epoll fd, watched by the loop */
	struct loop_timer *drain_timer;	/* every ADM_EVENTS_DRAIN_MS: XDP rarely wakes us */
	__u64 total;
	__u64 short_records;
};

static struct ev_drain *drain;

static int on_record(void *ctx, void *data, size_t len)
{
	struct ev_drain *ev = ctx;

	if (len < sizeof(struct adm_event)) {
		ev->short_records++;
		return 0;
	}
	ev->total++;
	admd_event(ev->ad, data);
	return 0;
}

static void ev_consume(struct ev_drain *ev)
{
	int n = ring_buffer__consume(ev->rb);

	if (n < 0 && n != -EINTR)
		adm_warn("ring buffer: %s", strerror(-n));
}

static void on_ready(void *ctx, int fd, __u32 events)
{
	(void)fd;
	(void)events;
	ev_consume(ctx);
}

static void on_drain_tick(void *ctx)
{
	ev_consume(ctx);
}

static int ev_start(struct admd *ad, char *err, size_t errlen)
{
	struct ev_drain *ev = calloc(1, sizeof(*ev));
	int rc;

	if (!ev) {
		snprintf(err, errlen, "events: %s", strerror(ENOMEM));
		return -1;
	}
	ev->ad = ad;
	ev->map_fd = adm_map_open(ad->cfg->pin_root, ADM_MAP_EVENTS, 0);
	if (ev->map_fd < 0) {
		snprintf(err, errlen, "cannot open the decision ring buffer %s/%s: %s",
			 ad->cfg->pin_root, ADM_MAP_EVENTS, strerror(-ev->map_fd));
		free(ev);
		return -1;
	}
	ev->rb = ring_buffer__new(ev->map_fd, on_record, ev, NULL);
	if (!ev->rb) {
		snprintf(err, errlen, "cannot read the decision ring buffer: %s",
			 strerror(errno));
		goto fail;
	}
	ev->epfd = ring_buffer__epoll_fd(ev->rb);
	rc = loop_add_fd(ad->loop, ev->epfd, EPOLLIN, on_ready, ev);
	if (rc) {
		snprintf(err, errlen, "events: cannot watch the ring buffer: %s",
			 strerror(-rc));
		goto fail;
	}
	ev->drain_timer = loop_add_timer(ad->loop, ADM_EVENTS_DRAIN_MS, on_drain_tick, ev);
	if (!ev->drain_timer) {
		snprintf(err, errlen, "events: cannot start the drain timer: %s",
			 strerror(errno));
		loop_del_fd(ad->loop, ev->epfd);
		goto fail;
	}
	drain = ev;
	return 0;
fail:
	ring_buffer__free(ev->rb);
	close(ev->map_fd);
	free(ev);
	return -1;
}

static void ev_status(struct admd *ad, json_t *out)
{
	(void)ad;
	json_object_set_new(out, "drained", json_integer(drain ? (json_int_t)drain->total : 0));
	json_object_set_new(out, "short_records",
			    json_integer(drain ? (json_int_t)drain->short_records : 0));
}

static void ev_metrics(struct admd *ad, struct adm_buf *b)
{
	(void)ad;
	adm_buf_family(b, "adm_events_drained_total", "counter",
		       "Decision records admd took from the kernel's ring buffer.");
	adm_buf_printf(b, "adm_events_drained_total %llu\n",
		       (unsigned long long)(drain ? drain->total : 0));
}

static void ev_stop(struct admd *ad, int aborted)
{
	(void)aborted;
	if (!drain)
		return;
	/* What the kernel already queued is not lost: take it before leaving. */
	ring_buffer__consume(drain->rb);
	loop_del_timer(ad->loop, drain->drain_timer);
	loop_del_fd(ad->loop, drain->epfd);
	ring_buffer__free(drain->rb);
	close(drain->map_fd);
	free(drain);
	drain = NULL;
}

const struct admd_module ev_module = {
	.name = "events",
	.start = ev_start,
	.status = ev_status,
	.metrics = ev_metrics,
	.stop = ev_stop,
};

/* ---------------------------------------------------------------- log sink */

static struct {
	time_t second;
	unsigned int logged;
	__u64 unlogged;
} lg;

static void log_event(struct admd *ad, const struct adm_event *e)
{
	time_t now = time(NULL);
	char addr[64];

	(void)ad;
	if (now != lg.second) {
		if (lg.unlogged)
			adm_info("decision: %llu more records in the last second not logged",
				 (unsigned long long)lg.unlogged);
		lg.second = now;
		lg.logged = 0;
		lg.unlogged = 0;
	}
	if (lg.logged >= EV_LOG_PER_SEC) {
		lg.unlogged++;
		return;
	}
	lg.logged++;
	adm_info("decision: service=%u src=%s sport=%u dport=%u verdict=%s reason=%s count=%u",
		 e->service, adm_format_addr(e->addr, addr, sizeof(addr)),
		 e->sport, e->dport, adm_verdict_name(e->verdict),
		 adm_reason_name(e->reason), e->count);
}

static int log_audit(struct admd *ad, const struct adm_audit *a, char *err,
		     size_t errlen)
{
	char line[2 * sizeof(struct adm_audit)];	/* room for escapes */

	(void)ad;
	(void)err;
	(void)errlen;
	adm_audit_format(a, line, sizeof(line));
	adm_info("audit: %s", line);
	return 0;
}

const struct admd_module log_module = {
	.name = "log",
	.event = log_event,
	.audit = log_audit,
};
