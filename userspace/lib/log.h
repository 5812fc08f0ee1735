/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Levelled logging to stderr, journald-friendly (one line, "<prog>: "). */
#ifndef ADM_LOG_H
#define ADM_LOG_H

enum adm_log_level {
	ADM_LOG_ERR = 0,
	ADM_LOG_WARN,
	ADM_LOG_INFO,
	ADM_LOG_DEBUG,
};

extern int adm_log_level;		/* messages above it are dropped */
extern const char *adm_log_prog;	/* prefix, e.g. "admd" */

void adm_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Route libbpf's output through adm_log: only with verbose (-v). */
void adm_log_libbpf(int verbose);

#define adm_err(...)	adm_log(ADM_LOG_ERR, __VA_ARGS__)
#define adm_warn(...)	adm_log(ADM_LOG_WARN, __VA_ARGS__)
#define adm_info(...)	adm_log(ADM_LOG_INFO, __VA_ARGS__)
#define adm_dbg(...)	adm_log(ADM_LOG_DEBUG, __VA_ARGS__)

#endif /* ADM_LOG_H */
