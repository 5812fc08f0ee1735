// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pin root: paths of pins, opening pinned maps, and the bpf filesystem
 * under them (checked, and mounted at /sys/fs/bpf when missing); see pins.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>
#include "log.h"
#include "pins.h"

#define ADM_BPFFS_ERR_MAX	256

int adm_pin_path(char *buf, size_t len, const char *root, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", root, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* pin_root is ADM_BPFFS_DEFAULT or lies below it. */
static int under_default(const char *path)
{
	size_t n = strlen(ADM_BPFFS_DEFAULT);

	return !strncmp(path, ADM_BPFFS_DEFAULT, n) &&
	       (path[n] == '\0' || path[n] == '/');
}

/*
 * The filesystem type of path's nearest existing ancestor (path itself if
 * it exists), that ancestor in probe. 0, or -errno with one sentence.
 */
static int fs_of(const char *path, char *probe, size_t len, long *type,
		 char *err, size_t errlen)
{
	struct statfs sfs;
	char *slash;

	if (path[0] != '/') {
		snprintf(err, errlen, "pin root '%s' must be an absolute path", path);
		return -EINVAL;
	}
	if ((size_t)snprintf(probe, len, "%s", path) >= len) {
		snprintf(err, errlen, "pin root '%.64s...' is too long (%zu characters; at most %zu)",
			 path, strlen(path), len - 1);
		return -ENAMETOOLONG;
	}
	while (statfs(probe, &sfs) != 0) {
		if (errno != ENOENT || !strcmp(probe, "/")) {
			int e = errno;

			snprintf(err, errlen, "pin root '%s': cannot inspect '%s': %s",
				 path, probe, strerror(e));
			return -e;
		}
		slash = strrchr(probe, '/');
		if (slash == probe)
			slash[1] = '\0';	/* up to "/" */
		else
			*slash = '\0';
	}
	*type = (long)sfs.f_type;
	return 0;
}

int adm_pin_root_check(const char *dir, char *err, size_t errlen)
{
	char probe[PATH_MAX];
	long type;

	if (fs_of(dir, probe, sizeof(probe), &type, err, errlen))
		return -1;
	if (type == BPF_FS_MAGIC || under_default(dir))
		return 0;
	snprintf(err, errlen,
		 "pin root '%s' is not on a bpf filesystem ('%s' is not); mount one there with 'mount -t bpf bpf DIR', or choose a pin_root under %s (admd mounts a bpffs there itself)",
		 dir, probe, ADM_BPFFS_DEFAULT);
	return -1;
}

int adm_bpffs_present(const char *pin_root)
{
	char probe[PATH_MAX], err[ADM_BPFFS_ERR_MAX];
	long type;

	return !fs_of(pin_root, probe, sizeof(probe), &type, err, sizeof(err)) &&
	       type == BPF_FS_MAGIC;
}

int adm_bpffs_ensure(const char *pin_root, char *err, size_t errlen)
{
	char probe[PATH_MAX];
	struct statfs sfs;
	int fd = -1, rc;
	long type;

	rc = fs_of(pin_root, probe, sizeof(probe), &type, err, errlen);
	if (rc || type == BPF_FS_MAGIC)
		return rc;
	if (!under_default(pin_root)) {
		adm_pin_root_check(pin_root, err, errlen);
		return -EINVAL;
	}
	/*
	 * The lock is on the directory mounted over (the fd keeps naming it
	 * once a bpffs covers it): two daemons starting at once on a fresh
	 * machine mount one bpffs, not one over the other (which would hide
	 * the first one's pins).
	 */
	fd = open(ADM_BPFFS_DEFAULT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen,
			 "pin root '%s': no bpf filesystem is mounted and %s cannot be opened to mount one: %s",
			 pin_root, ADM_BPFFS_DEFAULT, strerror(-rc));
		goto out;
	}
	if (flock(fd, LOCK_EX) || statfs(ADM_BPFFS_DEFAULT, &sfs)) {
		rc = -errno;
		snprintf(err, errlen, "pin root '%s': cannot lock or inspect %s: %s",
			 pin_root, ADM_BPFFS_DEFAULT, strerror(-rc));
		goto out;
	}
	if (sfs.f_type == BPF_FS_MAGIC)
		goto out;	/* another process mounted it meanwhile */
	if (mount("bpf", ADM_BPFFS_DEFAULT, "bpf",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME, ADM_BPFFS_MODE)) {
		rc = -errno;
		snprintf(err, errlen,
			 "pin root '%s': no bpf filesystem is mounted at %s and mounting one failed: %s; run 'mount -t bpf bpf %s' as root",
			 pin_root, ADM_BPFFS_DEFAULT, strerror(-rc), ADM_BPFFS_DEFAULT);
		goto out;
	}
	adm_info("mounted bpffs at %s (it was not mounted)", ADM_BPFFS_DEFAULT);
out:
	if (fd >= 0)
		close(fd);	/* releases the lock */
	return rc;
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
