/*
 * Text buffer and escapings for fcgi/ renderings (textbuf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

void
tbuf_add(struct tbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 4096;
		char	*p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
tbuf_str(struct tbuf *b, const char *s)
{
	tbuf_add(b, s, strlen(s));
}

void
tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	char	tmp[512], *big;
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		tbuf_add(b, tmp, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	tbuf_add(b, big, (size_t)n);
	free(big);
}

void
tbuf_html(struct tbuf *b, const char *s)
{
	const char *run;

	if (s == NULL)
		return;
	for (run = s; *s != '\0'; s++) {
		const char *e;

		switch (*s) {
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '&': e = "&amp;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		tbuf_add(b, run, (size_t)(s - run));
		tbuf_str(b, e);
		run = s + 1;
	}
	tbuf_add(b, run, (size_t)(s - run));
}

void
tbuf_label(struct tbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			tbuf_add(b, "\\", 1);
		if (*s == '\n')
			tbuf_str(b, "\\n");
		else
			tbuf_add(b, s, 1);
	}
}

char *
tbuf_finish(struct tbuf *b)
{
	char *p = b->p;

	if (b->failed || p == NULL) {
		free(p);
		p = NULL;
	}
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
	return p;
}
