// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A growing text buffer; see strbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "strbuf.h"

void adm_buf_printf(struct adm_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += n;
			return;
		}
		p = realloc(b->p, b->cap * 2 + n + 1);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = b->cap * 2 + n + 1;
	}
}

void adm_buf_family(struct adm_buf *b, const char *name, const char *type,
		    const char *help)
{
	adm_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *adm_buf_take(struct adm_buf *b)
{
	char *p = b->oom ? NULL : b->p;

	if (b->oom)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
	return p;
}

void adm_buf_free(struct adm_buf *b)
{
	free(adm_buf_take(b));
}
