/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A growing text buffer (prefix adm_buf_), for metrics and reports. Out of
 * memory is sticky: later appends do nothing and `oom` says so.
 */
#ifndef ADM_STRBUF_H
#define ADM_STRBUF_H

#include <stddef.h>

struct adm_buf {
	char *p;		/* NUL-terminated once anything was appended */
	size_t len, cap;
	int oom;
};

/* Append printf-style. */
void adm_buf_printf(struct adm_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "# HELP name help\n# TYPE name type\n" */
void adm_buf_family(struct adm_buf *b, const char *name, const char *type,
		    const char *help);
/* Hand the text to the caller (NULL if out of memory or empty); b is reset. */
char *adm_buf_take(struct adm_buf *b);
void adm_buf_free(struct adm_buf *b);

#endif /* ADM_STRBUF_H */
