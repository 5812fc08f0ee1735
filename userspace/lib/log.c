// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Levelled logging to stderr (prefix adm_log), libbpf's output routed through it; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"

int adm_log_level = ADM_LOG_INFO;
const char *adm_log_prog = "adm";

static const char *const level_tag[] = {
	[ADM_LOG_ERR] = "error: ",
	[ADM_LOG_WARN] = "warning: ",
	[ADM_LOG_INFO] = "",
	[ADM_LOG_DEBUG] = "debug: ",
};

void adm_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > adm_log_level)
		return;
	fprintf(stderr, "%s: %s", adm_log_prog, level_tag[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && adm_log_level < ADM_LOG_DEBUG)
		return 0;
	fprintf(stderr, "%s: libbpf: ", adm_log_prog);
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_silent(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

void adm_log_libbpf(int verbose)
{
	libbpf_set_print(verbose ? libbpf_print : libbpf_silent);
}
