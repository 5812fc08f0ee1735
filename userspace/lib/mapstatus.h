/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the pinned maps tell about a running data plane, for `admctl status`
 * and admd's status answer alike (prefix adm_ms_): services and their run
 * state, attached interfaces, the socket layer, reconcile results. Reads
 * only, with read-only map fds.
 */
#ifndef ADM_MAPSTATUS_H
#define ADM_MAPSTATUS_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <jansson.h>
#include "adm/adm.h"


/* Names of the configured services (adm_meta), "" for unused ids. */
struct adm_ms_names {
	char name[ADM_MAX_SERVICES][ADM_META_NAME_LEN];
};

/* Read every service name. 0, or a negative errno (-ENOENT: no pins). */
int adm_ms_names_read(const char *pin_root, struct adm_ms_names *n);

/* Id of service `name`, or 0 when there is none by that name. */
__u32 adm_ms_service_id(const struct adm_ms_names *n, const char *name);

/* "web, dns" into buf ("(none)" if there are no services). */
void adm_ms_service_list(const struct adm_ms_names *n, char *buf, size_t len);

const char *adm_breaker_name(unsigned int b);

/*
 * The status object built from the maps under pin_root:
 *   {"pin_root", "degrade", "socket_layer": {"attached"},
 *    "interfaces": [{"name", "mode", "prog_id"}],
 *    "services": [{"id", "name", "ports", "mode", "breaker",
 *                  "half_open_permille", "degrade", "priority", "live",
 *                  "conn_limit", "reconcile": {...}}]}
 * Returns the object, or NULL with a negative errno in *errp (-ENOENT: no
 * pins under pin_root).
 */
json_t *adm_ms_status(const char *pin_root, int *errp);

/* gid of group `name`. 0, or -1 with one sentence in err. */
int adm_group_lookup(const char *name, gid_t *gid, char *err, size_t errlen);

/*
 * Group access to the pins: with `group` set, the pin root gets mode 0750
 * and every map pin 0640, both owned by that group, so its members can run
 * read-only admctl commands; with group NULL or "", both go back to
 * root-only (0700, 0600). Link pins stay 0600 (a link needs write access).
 * Returns 0, or -1 with one sentence in err (e.g. no such group).
 */
int adm_pins_share(const char *pin_root, const char *group, char *err,
		   size_t errlen);

#endif /* ADM_MAPSTATUS_H */
