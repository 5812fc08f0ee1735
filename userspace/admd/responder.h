/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The polite refusal's HTTP 503 responder and its sk_lookup steering (prefix resp_). */
#ifndef ADMD_RESPONDER_H
#define ADMD_RESPONDER_H

#include "admd.h"

extern const struct admd_module resp_module;

#endif /* ADMD_RESPONDER_H */
