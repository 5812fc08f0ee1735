/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Module "writer" of admd (prefix wr_): the single writer of operator
 * policy while admd runs. It serves `limits_set`, `breaker`, `mode`,
 * `degrade`, `block_add`, `block_del`, `allow_add`, `allow_del` on the
 * control socket with the same library functions admctl uses when admd is
 * down (userspace/lib/ops.h), on admd's one thread: a write and a reload
 * never interleave.
 */
#ifndef ADMD_WRITER_H
#define ADMD_WRITER_H

#include "admd.h"

extern const struct admd_module wr_module;

#endif /* ADMD_WRITER_H */
