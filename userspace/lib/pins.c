// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>
#include "pins.h"

int adm_pin_path(char *buf, size_t len, const char *root, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", root, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int adm_pin_root_check(const char *dir, char *err, size_t errlen)
{
	char tmp[PATH_MAX], *probe = tmp;
	struct statfs sfs;

	if (dir[0] != '/') {
		snprintf(err, errlen, "pin root '%s' must be an absolute path", dir);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s", dir);
	if (access(dir, F_OK) != 0)
		probe = dirname(tmp);
	if (statfs(probe, &sfs) != 0) {
		snprintf(err, errlen, "pin root '%s': cannot inspect '%s': %s",
			 dir, probe, strerror(errno));
		return -1;
	}
	if (sfs.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen,
			 "pin root '%s' is not on a bpf filesystem; mount one with 'mount -t bpf bpf /sys/fs/bpf' or choose a pin_root under it",
			 dir);
		return -1;
	}
	return 0;
}

int adm_map_open(const char *root, const char *name, int rdonly)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = rdonly ? BPF_F_RDONLY : 0);
	char path[PATH_MAX];
	int fd;

	if (adm_pin_path(path, sizeof(path), root, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get_opts(path, &opts);
	return fd < 0 ? -errno : fd;
}

static size_t conc_bytes(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = sizeof(struct adm_conc) * ADM_MAX_SERVICES;

	return (n + page - 1) / page * page;
}

struct adm_conc *adm_conc_mmap(int fd)
{
	void *p = mmap(NULL, conc_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void adm_conc_munmap(struct adm_conc *conc)
{
	if (conc)
		munmap(conc, conc_bytes());
}

__u64 adm_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}
