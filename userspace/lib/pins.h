/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pin root: where admd pins maps and links, where admctl finds them. */
#ifndef ADM_PINS_H
#define ADM_PINS_H

#include <stddef.h>
#include "adm/adm.h"

#define ADM_LINK_PIN_PREFIX	"link_"		/* every link pin */
#define ADM_LINK_PREFIX		"link_xdp_"	/* + interface name */
#define ADM_SOCKOPS_LINK	"link_sockops"	/* the socket layer's cgroup link */

/* root/name into buf. Returns 0, or -ENAMETOOLONG. */
int adm_pin_path(char *buf, size_t len, const char *root, const char *name);

/*
 * Check that `dir` (or, if it does not exist yet, its parent) is on a bpf
 * filesystem. Returns 0, or -1 with one sentence in err.
 */
int adm_pin_root_check(const char *dir, char *err, size_t errlen);

/*
 * Open the map pinned as root/name, read-only if rdonly. Returns an fd, or
 * a negative errno (-ENOENT: nothing pinned there).
 */
int adm_map_open(const char *root, const char *name, int rdonly);

/* mmap the adm_conc array (BPF_F_MMAPABLE) read-write; NULL on error (errno set). */
struct adm_conc *adm_conc_mmap(int fd);
void adm_conc_munmap(struct adm_conc *conc);

/* Current CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(). */
__u64 adm_mono_ns(void);

#endif /* ADM_PINS_H */
