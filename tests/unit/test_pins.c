// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pin root's checks (userspace/lib/pins.c) on paths that need no bpffs
 * and mount nothing: a table of pin roots with the answer of
 * adm_pin_root_check, adm_bpffs_ensure's refusals (each naming the pin
 * root), and the clock of clock.h. Mounting a missing bpffs is an e2e case
 * (tests/e2e/test_first_contact.sh), in a private mount namespace.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "clock.h"
#include "pins.h"

#define ERR_MAX	512

static char tmpdir[] = "/tmp/adm-unit-pins.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* pin_root (with %s for the temp dir), accepted by adm_pin_root_check? */
struct root_case {
	const char *root;
	int ok;
	const char *err_has;	/* in the error sentence */
};

static const struct root_case root_cases[] = {
	/* under /sys/fs/bpf: admd mounts a bpffs there if there is none */
	{ "/sys/fs/bpf/adm", 1, NULL },
	{ "/sys/fs/bpf", 1, NULL },
	{ "/sys/fs/bpf/adm/deeper", 1, NULL },
	/* a prefix of the name is not "under" */
	{ "/sys/fs/bpfx/adm", 0, "is not on a bpf filesystem" },
	{ "adm", 0, "must be an absolute path" },
	{ "", 0, "must be an absolute path" },
	{ "%s", 0, "is not on a bpf filesystem" },
	{ "%s/not/yet/made", 0, "is not on a bpf filesystem" },
};

static void test_pin_root_check(void **state)
{
	char root[PATH_MAX], err[ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(root_cases) / sizeof(root_cases[0]); i++) {
		const struct root_case *c = &root_cases[i];
		int rc;

		snprintf(root, sizeof(root), c->root, tmpdir);
		err[0] = '\0';
		rc = adm_pin_root_check(root, err, sizeof(err));
		if (c->ok) {
			if (rc != 0)
				fail_msg("'%s': refused: %s", root, err);
			continue;
		}
		if (rc == 0)
			fail_msg("'%s': accepted, want a refusal", root);
		if (!strstr(err, c->err_has) || (root[0] && !strstr(err, root)))
			fail_msg("'%s': error '%s' does not say '%s' and name the pin root",
				 root, err, c->err_has);
	}
}

static void test_bpffs_ensure_refuses(void **state)
{
	char root[PATH_MAX], err[ERR_MAX];

	(void)state;
	/* elsewhere and not on a bpffs: refused, nothing mounted, named */
	snprintf(root, sizeof(root), "%s/pins", tmpdir);
	assert_int_equal(adm_bpffs_ensure(root, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, root));
	assert_non_null(strstr(err, "mount -t bpf bpf DIR"));
	assert_int_equal(adm_bpffs_present(root), 0);

	assert_int_equal(adm_bpffs_ensure("relative/adm", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'relative/adm' must be an absolute path"));

	/* a path longer than PATH_MAX: refused with its own errno */
	{
		char *lng = malloc(PATH_MAX + 16);

		assert_non_null(lng);
		memset(lng, 'a', PATH_MAX + 15);
		lng[0] = '/';
		lng[PATH_MAX + 15] = '\0';
		int rc = adm_bpffs_ensure(lng, err, sizeof(err));

		free(lng);
		assert_int_equal(rc, -ENAMETOOLONG);
		assert_non_null(strstr(err, "is too long"));
	}
}

static void test_mono_clock(void **state)
{
	struct timespec ts;
	__u64 a, b, ref;

	(void)state;
	a = adm_mono_ns();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ref = (__u64)ts.tv_sec * NS_PER_SEC + (__u64)ts.tv_nsec;
	b = adm_mono_ns();
	assert_true(a <= ref && ref <= b);	/* the same clock, never backwards */
	assert_true(b - a < NS_PER_SEC);
	assert_int_equal(NS_PER_MIN, 60 * NS_PER_SEC);
	assert_int_equal(NS_PER_SEC, 1000 * NS_PER_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_root_check),
		cmocka_unit_test(test_bpffs_ensure_refuses),
		cmocka_unit_test(test_mono_clock),
	};

	return cmocka_run_group_tests_name("pins", tests, setup, teardown);
}
