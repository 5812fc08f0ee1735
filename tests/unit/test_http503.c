// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The responder's HTTP 503: its form, a Content-Length that matches, the jitter's range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "http503.h"

static void test_form(void **state)
{
	char buf[ADM_HTTP503_MAX];
	const char *body;
	int n, clen = -1;

	(void)state;
	n = adm_http503(buf, sizeof(buf), 7);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_memory_equal(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34);
	assert_non_null(strstr(buf, "\r\nRetry-After: 7\r\n"));
	assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
	body = strstr(buf, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	assert_int_equal(sscanf(strstr(buf, "Content-Length: "), "Content-Length: %d", &clen), 1);
	assert_int_equal(clen, (int)strlen(body));
	assert_non_null(strstr(body, "retry after 7 s"));
	/* The largest value fits, a small buffer is refused. */
	assert_true(adm_http503(buf, sizeof(buf), 4294967295U) > 0);
	assert_int_equal(adm_http503(buf, 64, 7), -1);
}

static void test_jitter(void **state)
{
	unsigned int seed = 12345;
	__u32 v, lo = ~0U, hi = 0;
	int i;

	(void)state;
	assert_int_equal(adm_http503_retry_after(5, 0, &seed), 5);
	for (i = 0; i < 10000; i++) {
		v = adm_http503_retry_after(5, 3, &seed);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	/* Uniform over 5..8: every value drawn, none outside. */
	assert_int_equal(lo, 5);
	assert_int_equal(hi, 8);
	assert_int_equal(adm_http503_retry_after(86400, 3600, &seed) <= 90000, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_jitter),
	};

	return cmocka_run_group_tests_name("http503", tests, NULL, NULL);
}
