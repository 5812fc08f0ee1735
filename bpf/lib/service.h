/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The service lookup shared by every adm program: (protocol, destination
 * port) -> service id -> its policy, if the service is active.
 */
#ifndef ADM_SERVICE_H
#define ADM_SERVICE_H

#include <bpf/bpf_helpers.h>
#include "adm/adm.h"
#include "adm_maps.h"

/*
 * The active service protecting (proto, host-order port), with its id in
 * *id, or NULL (and *id untouched) when the port is unprotected or its
 * service inactive.
 */
static __always_inline const struct adm_service *
adm_service_of(__u32 proto, __u32 port, __u32 *id)
{
	const struct adm_service *svc;
	__u32 key = adm_port_key(proto, port), *idp;

	idp = bpf_map_lookup_elem(&adm_ports, &key);
	if (!idp || !*idp)
		return NULL;
	key = *idp;
	svc = bpf_map_lookup_elem(&adm_services, &key);
	if (!svc || !(svc->flags & ADM_SVC_ACTIVE))
		return NULL;
	*id = key;
	return svc;
}

#endif /* ADM_SERVICE_H */
