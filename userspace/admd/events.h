/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd modules "events" (drains adm_events, fans records out to every
 * sink) and "log" (a sink: decision and audit records to admd's log).
 */
#ifndef ADMD_EVENTS_H
#define ADMD_EVENTS_H

struct admd_module;

extern const struct admd_module ev_module;
extern const struct admd_module log_module;

#endif /* ADMD_EVENTS_H */
