/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* admctl: one handler per subcommand. Exit codes: 0 ok, 1 failed, 2 usage. */
#ifndef ADMCTL_H
#define ADMCTL_H

#include <limits.h>

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct ctl {
	char pin_root[PATH_MAX];
	int json;
};

int do_stats(struct ctl *ctl, int argc, char **argv);
int do_cidr(struct ctl *ctl, int allow, int argc, char **argv);

/* Report a map that cannot be opened in one sentence with what to do. */
int ctl_open_fail(const struct ctl *ctl, const char *map, int err);

#endif /* ADMCTL_H */
