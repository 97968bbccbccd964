/*
 * A growable text buffer for the responder's text renderings (the
 * dashboard page, the Prometheus exposition), with the escapings each
 * needs. On an allocation failure the buffer stays failed and
 * tbuf_finish() returns NULL: callers check once, at the end.
 */
#ifndef AWARD_TEXTBUF_H
#define AWARD_TEXTBUF_H

#include <stddef.h>

struct tbuf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

#define TBUF_INIT	{ NULL, 0, 0, 0 }

/* Append n bytes of s / the string s / a printf-formatted text. */
void	 tbuf_add(struct tbuf *b, const char *s, size_t n);
void	 tbuf_str(struct tbuf *b, const char *s);
void	 tbuf_printf(struct tbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* s escaped for HTML text and attribute values (& < > " '); NULL: "". */
void	 tbuf_html(struct tbuf *b, const char *s);

/* s escaped as a Prometheus label value (\\, \", \n). */
void	 tbuf_label(struct tbuf *b, const char *s);

/*
 * The text (malloc'd, NUL-terminated, the caller frees), or NULL when
 * anything failed (the buffer is freed then). The buffer is left empty.
 */
char	*tbuf_finish(struct tbuf *b);

#endif
