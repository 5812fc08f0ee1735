/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd's event loop (prefix loop_): one epoll instance, file descriptors
 * with a callback each, and timers (one timerfd each). Everything runs on
 * admd's main thread; a callback must not block (bounded work, non-blocking
 * I/O). A module that needs to block (fsync, a database round trip) does so
 * in a thread of its own and wakes the loop through an eventfd it adds here.
 */
#ifndef ADMD_LOOP_H
#define ADMD_LOOP_H

#include <signal.h>
#include <linux/types.h>

struct adm_loop;
struct loop_timer;

/* fd is readable/writable/hung up: `events` is the epoll mask that fired. */
typedef void (*loop_fd_fn)(void *ctx, int fd, __u32 events);
typedef void (*loop_timer_fn)(void *ctx);

/* A new loop; NULL with errno set. */
struct adm_loop *loop_new(void);

/*
 * Watch fd for `events` (EPOLLIN, EPOLLOUT...). The loop does not own fd:
 * remove it with loop_del_fd before closing it. Returns 0 or -errno.
 */
int loop_add_fd(struct adm_loop *l, int fd, __u32 events, loop_fd_fn fn,
		void *ctx);
/* Change the events watched on fd. 0 or -errno. */
int loop_mod_fd(struct adm_loop *l, int fd, __u32 events);
/* Stop watching fd (nothing happens if it was not watched). */
void loop_del_fd(struct adm_loop *l, int fd);

/*
 * Call fn every period_ms (first call period_ms from now); period_ms 0
 * makes a timer that fires only when armed with loop_timer_arm. NULL with
 * errno set on failure.
 */
struct loop_timer *loop_add_timer(struct adm_loop *l, __u64 period_ms,
				  loop_timer_fn fn, void *ctx);
/* Next call after delay_ms (then every period_ms, if the timer has one). */
void loop_timer_arm(struct loop_timer *t, __u64 delay_ms);
/* Change the period (takes effect from now). */
void loop_timer_period(struct loop_timer *t, __u64 period_ms);
void loop_del_timer(struct adm_loop *l, struct loop_timer *t);

/*
 * Dispatch until *stop is set (checked after every wakeup; a signal
 * interrupts the wait). Between wakeups it calls idle(ctx) if set, where
 * admd handles flags its signal handlers raised. Returns 0, or -errno if
 * epoll itself failed.
 */
int loop_run(struct adm_loop *l, volatile sig_atomic_t *stop,
	     void (*idle)(void *ctx), void *ctx);

/* Removes every fd and timer (the fds are not closed). NULL is fine. */
void loop_free(struct adm_loop *l);

#endif /* ADMD_LOOP_H */
