/*
 * JSON-lines logger. Each line is built in one buffer of at most PIPE_BUF
 * bytes and written with one write(2), so lines from pre-forked workers
 * sharing stderr, a file or a pipe (cron's to logger) do not interleave.
 * The level threshold is the one piece of process state here: it is set once
 * by main() before any context exists.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "log.h"

#define LOG_LINE_MAX	4096	/* PIPE_BUF: one write(2) stays whole */
#define LOG_VALUE_MAX	512	/* bytes of one string value */

static enum log_level threshold = LOG_INFO;

static const char *const level_names[LOG__MAX] = {
	"debug", "info", "warn", "error",
};

int
log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < LOG__MAX; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void
log_set_level(enum log_level level)
{
	threshold = level;
}

/* One write(2) per line; a failed log write has nowhere to be reported. */
static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

struct line {
	char	buf[LOG_LINE_MAX];
	size_t	len;
	int	trunc;
};

static void
put_raw(struct line *l, const char *s, size_t n)
{
	if (l->trunc || n >= sizeof(l->buf) - l->len - 2) {
		l->trunc = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/*
 * A JSON string of at most LOG_VALUE_MAX bytes of s; a longer value is cut
 * and marked with "..." so that one long field (a hostile path, say) never
 * costs the line its other fields.
 */
static void
put_str(struct line *l, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;

	put_raw(l, "\"", 1);
	/* Cut only between UTF-8 characters, never inside one. */
	for (; *p && (n < LOG_VALUE_MAX || (*p & 0xc0) == 0x80); p++, n++) {
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put_raw(l, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put_raw(l, esc, 6);
		} else
			put_raw(l, (const char *)p, 1);
	}
	if (*p)
		put_raw(l, "...", 3);
	put_raw(l, "\"", 1);
}

void
log_msg(enum log_level level, const char *msg, ...)
{
	struct line	 l = { .len = 0, .trunc = 0 };
	char		 ts[ATIME_BUFSZ], num[32];
	va_list		 ap;
	int		 tag;

	if (level < threshold || level >= LOG__MAX)
		return;
	atime_format(atime_now_ms(), ts);
	put_raw(&l, "{\"ts\":", 6);
	put_str(&l, ts);
	put_raw(&l, ",\"level\":", 9);
	put_str(&l, level_names[level]);
	put_raw(&l, ",\"msg\":", 7);
	put_str(&l, msg);

	va_start(ap, msg);
	while ((tag = va_arg(ap, int)) != LOGF_END) {
		const char *key = va_arg(ap, const char *);

		put_raw(&l, ",", 1);
		put_str(&l, key);
		put_raw(&l, ":", 1);
		if (tag == LOGF_STR) {
			const char *v = va_arg(ap, const char *);

			if (v == NULL)
				put_raw(&l, "null", 4);
			else
				put_str(&l, v);
		} else {
			int n = snprintf(num, sizeof(num), "%lld",
			    va_arg(ap, long long));
			put_raw(&l, num, (size_t)n);
		}
	}
	va_end(ap);

	if (l.trunc) {
		char	fb[128];
		int	n = snprintf(fb, sizeof(fb), "{\"ts\":\"%s\",\"level\":"
		    "\"error\",\"msg\":\"log line too long\"}\n", ts);

		write_all(fb, (size_t)n);
		return;
	}
	l.buf[l.len++] = '}';
	l.buf[l.len++] = '\n';
	write_all(l.buf, l.len);
}
