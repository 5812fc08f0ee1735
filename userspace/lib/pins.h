/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The pin root (prefix adm_pin_, adm_bpffs_): where admd pins maps and links
 * and admctl finds them, and the bpf filesystem under it, which admd mounts
 * at /sys/fs/bpf when a fresh machine has none.
 */
#ifndef ADM_PINS_H
#define ADM_PINS_H

#include <stddef.h>
#include "adm/adm.h"

#define ADM_LINK_PIN_PREFIX	"link_"		/* every link pin */
#define ADM_LINK_PREFIX		"link_xdp_"	/* + interface name */
#define ADM_SOCKOPS_LINK	"link_sockops"	/* the socket layer's cgroup link */
#define ADM_SKLOOKUP_LINK	"link_sklookup"	/* the responder's sk_lookup link (admd's netns) */
#define ADM_BPFFS_DEFAULT	"/sys/fs/bpf"	/* where admd mounts a missing bpffs */
#define ADM_BPFFS_MODE		"mode=0700"	/* as bpftool and systemd mount it */

/* root/name into buf. Returns 0, or -ENAMETOOLONG. */
int adm_pin_path(char *buf, size_t len, const char *root, const char *name);

/*
 * Check, touching nothing, that `dir` can be a pin root: an absolute path
 * whose nearest existing ancestor is on a bpf filesystem, or that lies under
 * /sys/fs/bpf (adm_bpffs_ensure mounts one there). Returns 0, or -1 with one
 * sentence in err.
 */
int adm_pin_root_check(const char *dir, char *err, size_t errlen);

/*
 * Make sure pins can be made under pin_root. Its nearest existing ancestor
 * is looked at (statfs, BPF_FS_MAGIC): on a bpf filesystem, 0. If it is not
 * and pin_root is /sys/fs/bpf or below it, a bpffs is mounted at
 * /sys/fs/bpf (mode 0700; serialised with a lock, so two daemons starting
 * at once mount one, not two) and "mounted bpffs at /sys/fs/bpf (it was not
 * mounted)" is logged: 0. Otherwise -errno with one sentence naming
 * pin_root in err, and nothing is mounted: -EINVAL (relative, or elsewhere
 * and not on a bpffs), or the error of statfs or mount (-EPERM: not root).
 */
int adm_bpffs_ensure(const char *pin_root, char *err, size_t errlen);

/*
 * 1 if pin_root's nearest existing ancestor is on a bpf filesystem, else 0
 * (admctl's "nothing is pinned: no bpffs" diagnosis). Never mounts.
 */
int adm_bpffs_present(const char *pin_root);

/*
 * Open the map pinned as root/name, read-only if rdonly. Returns an fd, or
 * a negative errno (-ENOENT: nothing pinned there).
 */
int adm_map_open(const char *root, const char *name, int rdonly);

/* mmap the adm_conc array (BPF_F_MMAPABLE) read-write; NULL on error (errno set). */
struct adm_conc *adm_conc_mmap(int fd);
void adm_conc_munmap(struct adm_conc *conc);

#endif /* ADM_PINS_H */
