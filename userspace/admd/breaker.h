/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* admd module "breaker": automatic breakers, adaptive limit, degradation (breaker.c). */
#ifndef ADMD_BREAKER_H
#define ADMD_BREAKER_H

#include "admd.h"

extern const struct admd_module bk_module;

#endif /* ADMD_BREAKER_H */
