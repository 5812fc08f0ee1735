/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The module host's lifecycle calls (used by main.c) and module "admd". */
#ifndef ADMD_HOST_H
#define ADMD_HOST_H

#include "admd.h"

/* Start every module in order; on failure the started ones are stopped with `aborted`. 0 or -1 with err. */
int admd_start(struct admd *ad, char *err, size_t errlen);
/* Stop every module, in reverse order. */
void admd_stop(struct admd *ad);
/*
 * Re-read ad->path and put it in force, all or nothing; fills a->before
 * and a->after. 0, or -1 with one sentence in err (the old config stays).
 */
int admd_reload(struct admd *ad, struct adm_audit *a, char *err, size_t errlen);

extern const struct admd_module core_module;

#endif /* ADMD_HOST_H */
