// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd's event loop: epoll over registered fds, a timerfd per timer. The
 * registrations live in a small array scanned on dispatch: admd watches
 * tens of fds, not thousands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "loop.h"

#define LOOP_MAX_EVENTS	32
#define MS_PER_SEC	1000ULL
#define NS_PER_MS	1000000ULL

struct loop_watch {
	int fd;
	loop_fd_fn fn;
	void *ctx;
	struct loop_watch *next;
};

struct loop_timer {
	int fd;
	__u64 period_ms;
	loop_timer_fn fn;
	void *ctx;
};

struct adm_loop {
	int epfd;
	struct loop_watch *watches;
};

struct adm_loop *loop_new(void)
{
	struct adm_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

static struct loop_watch *find(struct adm_loop *l, int fd)
{
	struct loop_watch *w;

	for (w = l->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int loop_add_fd(struct adm_loop *l, int fd, __u32 events, loop_fd_fn fn,
		void *ctx)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w;

	if (fd < 0 || find(l, fd))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->fn = fn;
	w->ctx = ctx;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int rc = -errno;

		free(w);
		return rc;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

int loop_mod_fd(struct adm_loop *l, int fd, __u32 events)
{
	struct loop_watch *w = find(l, fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_del_fd(struct adm_loop *l, int fd)
{
	struct loop_watch **p, *w;

	for (p = &l->watches; (w = *p); p = &w->next) {
		if (w->fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		*p = w->next;
		/* loop_run looks an event's watch up in the list before use. */
		free(w);
		return;
	}
}

static void timer_set(struct loop_timer *t, __u64 first_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ms / MS_PER_SEC,
			      .tv_nsec = (first_ms % MS_PER_SEC) * NS_PER_MS },
		.it_interval = { .tv_sec = t->period_ms / MS_PER_SEC,
				 .tv_nsec = (t->period_ms % MS_PER_SEC) * NS_PER_MS },
	};

	/* A zero it_value disarms: "now" is the next nanosecond. */
	if (!first_ms && t->period_ms)
		its.it_value.tv_nsec = 1;
	timerfd_settime(t->fd, 0, &its, NULL);
}

static void on_timer(void *ctx, int fd, __u32 events)
{
	struct loop_timer *t = ctx;
	__u64 expirations;

	(void)events;
	/* Several missed periods run the callback once: ticks do not pile up. */
	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	t->fn(t->ctx);
}

struct loop_timer *loop_add_timer(struct adm_loop *l, __u64 period_ms,
				  loop_timer_fn fn, void *ctx)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return NULL;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0)
		goto fail;
	t->period_ms = period_ms;
	t->fn = fn;
	t->ctx = ctx;
	rc = loop_add_fd(l, t->fd, EPOLLIN, on_timer, t);
	if (rc) {
		errno = -rc;
		goto fail;
	}
	if (period_ms)
		timer_set(t, period_ms);
	return t;
fail:
	rc = errno;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	errno = rc;
	return NULL;
}

void loop_timer_arm(struct loop_timer *t, __u64 delay_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = delay_ms / MS_PER_SEC,
			      .tv_nsec = (delay_ms % MS_PER_SEC) * NS_PER_MS },
		.it_interval = { .tv_sec = t->period_ms / MS_PER_SEC,
				 .tv_nsec = (t->period_ms % MS_PER_SEC) * NS_PER_MS },
	};

	if (!delay_ms)
		its.it_value.tv_nsec = 1;	/* 0 would disarm */
	timerfd_settime(t->fd, 0, &its, NULL);
}

void loop_timer_period(struct loop_timer *t, __u64 period_ms)
{
	t->period_ms = period_ms;
	timer_set(t, period_ms);
}

void loop_del_timer(struct adm_loop *l, struct loop_timer *t)
{
	if (!t)
		return;
	loop_del_fd(l, t->fd);
	close(t->fd);
	free(t);
}

int loop_run(struct adm_loop *l, volatile sig_atomic_t *stop,
	     void (*idle)(void *ctx), void *ctx)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];

	while (!*stop) {
		int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, -1), i;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n && !*stop; i++) {
			struct loop_watch *w = evs[i].data.ptr, *cur;

			/* w may have been removed by an earlier callback of this batch. */
			for (cur = l->watches; cur && cur != w; cur = cur->next)
				;
			if (cur && cur->fn)
				cur->fn(cur->ctx, cur->fd, evs[i].events);
		}
		if (idle)
			idle(ctx);
	}
	return 0;
}

void loop_free(struct adm_loop *l)
{
	struct loop_watch *w, *next;

	if (!l)
		return;
	for (w = l->watches; w; w = next) {
		next = w->next;
		free(w);
	}
	close(l->epfd);
	free(l);
}
