// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the INI config parser. Any input either parses into a
 * config whose values are inside their documented ranges, or is refused
 * with one message that names the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct adm_config cfg;
	char err[ADM_ERR_MAX] = "";
	char *text = malloc(size + 1);
	int i, rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = adm_config_parse_string(text, "fuzz.conf", &cfg, err, sizeof(err));
	if (rc) {
		if (strncmp(err, "fuzz.conf", strlen("fuzz.conf")) || !memchr(err, '\0', sizeof(err)))
			abort();
	} else {
		if (cfg.n_svcs < 1 || cfg.n_svcs > ADM_MAX_SERVICES - 1)
			abort();
		for (i = 0; i < cfg.n_svcs; i++) {
			const struct adm_svc_config *s = &cfg.svcs[i];

			if (s->id != (__u32)i + 1 || s->n_ports < 1 ||
			    s->n_ports > ADM_MAX_SVC_PORTS)
				abort();
			if (s->ipv4_prefix < 1 || s->ipv4_prefix > 32 ||
			    s->ipv6_prefix < 1 || s->ipv6_prefix > 128)
				abort();
		}
	}
	free(text);
	return 0;
}
