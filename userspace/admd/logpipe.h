/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The log pipeline inside admd: decision and audit records
 *   ring buffer / control socket --(main thread: enqueue only)-->
 *   spool module (sq_, spool.c: a thread appends to the spool, group commit)
 *   --(durable head)--> MariaDB module (mdb_, mariadb.c: a thread sends
 *   batches, advances the cursor after commit, deletes sent segments).
 * This header is what the two modules share; main.c lists both modules,
 * spool first.
 */
#ifndef ADMD_LOGPIPE_H
#define ADMD_LOGPIPE_H

#include <linux/types.h>
#include "config.h"
#include "spool.h"

struct admd_module;
extern const struct admd_module spool_module;
extern const struct admd_module mariadb_module;

/* --- spool module, for the MariaDB module's thread (thread-safe) --- */

/* The spool's directory and id (valid while the spool module runs). */
const char *sq_dir(void);
__u64 sq_spool_id(void);
const char *sq_node(void);
/*
 * The durable head: records before it are on disk. Waits up to
 * timeout_ms for it to move past *seen (0: no wait). Returns the head.
 */
struct spool_pos sq_wait_head(const struct spool_pos *seen, int timeout_ms);
/* A consumer removed a sent segment of `bytes` bytes. */
void sq_released(__u64 bytes);
/* Tell the spool a consumer exists: it must not delete unsent segments. */
void sq_set_consumer(int on);

/*
 * admd --replay-spool DIR: send every record of the spool in DIR (another
 * node's, or an earlier install's) to the MariaDB of the config at path,
 * without changing DIR. Prints a summary; returns an exit code (0 all
 * sent, 1 failed).
 */
int mdb_replay(const char *cfg_path, const char *dir);

/*
 * Test-only crash points (documented in the README): the environment
 * variable ADM_TEST_CRASH=POINT:N makes admd kill itself with SIGKILL the
 * Nth time it reaches POINT: spool_before_fsync, db_after_insert (rows
 * sent, before COMMIT), db_after_commit (before the cursor is stored).
 */
void lp_crash_point(const char *point);

#endif /* ADMD_LOGPIPE_H */
