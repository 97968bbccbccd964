/*
 * JSON-lines logger. Each line is built in one buffer of at most PIPE_BUF
 * bytes on the caller's stack and written with one write(2), so lines from
 * pre-forked workers and from the request threads of one worker, sharing
 * stderr, a file or a pipe (cron's to logger), never interleave; nothing
 * here is shared between threads but the level threshold, which main()
 * sets once before any thread or context exists.
 *
 * A thread may open a batch (log_batch_begin): its lines then gather in a
 * buffer of its own (thread-local, PIPE_BUF bytes) and go out whole-line
 * in one write(2) per PIPE_BUF at log_batch_end, or earlier when the next
 * line would not fit. The responder's writer does so around a group: one
 * write for the dozen lines of a group instead of one each (issue 14), in
 * the same order, before any request of the group is answered.
 *
 * Every line is strict JSON (RFC 8259) and UTF-8 whatever the caller passes:
 * strings are checked as UTF-8 (RFC 3629) and each byte that is not part of
 * a well-formed sequence is written as \u00XX (see log.h). Not a general
 * logger: no files, no rotation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "log.h"

#define LOG_LINE_MAX	4096	/* PIPE_BUF: one write(2) stays whole */
#define LOG_VALUE_MAX	512	/* bytes one string value may take, escaped */

/* What closes a line whose fields did not all fit. */
#define LOG_CUT_TAIL	",\"log_truncated\":true}\n"

/* ts, level and msg always fit: only fields can be dropped. */
_Static_assert(64 + ATIME_BUFSZ + 2 * (LOG_VALUE_MAX + 8) +
    sizeof(LOG_CUT_TAIL) < LOG_LINE_MAX, "LOG_LINE_MAX too small");

static enum log_level threshold = LOG_INFO;

/* The calling thread's open batch (log_batch_begin), or none. */
static _Thread_local struct {
	int	open;
	size_t	len;
	char	buf[LOG_LINE_MAX];
} batch;

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

/*
 * One write(2) per line. A line is at most PIPE_BUF bytes, so a pipe takes
 * it whole or not at all; EINTR before anything was written is retried.
 * A failed log write has nowhere to be reported.
 */
static void
write_line(const char *p, size_t n)
{
	ssize_t w;

	do
		w = write(STDERR_FILENO, p, n);
	while (w < 0 && errno == EINTR);
}

/*
 * The line being built. The last sizeof(LOG_CUT_TAIL) bytes of buf are
 * never used by put_raw, so that a line can always be closed.
 */
struct line {
	char	buf[LOG_LINE_MAX];
	size_t	len;
	int	full;		/* a put_raw did not fit */
};

static void
put_raw(struct line *l, const char *s, size_t n)
{
	if (l->full ||
	    n >= sizeof(l->buf) - sizeof(LOG_CUT_TAIL) - l->len) {
		l->full = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629 §4: no
 * overlong forms, no surrogates D800-DFFF, nothing above U+10FFFF), or 0
 * when p does not start one. *cp gets the code point. p is NUL-terminated,
 * so a truncated sequence stops at the NUL, which is no continuation byte.
 */
static size_t
utf8_seq(const unsigned char *p, unsigned *cp)
{
	unsigned	c = p[0], lo = 0x80, hi = 0xbf;
	size_t		n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
		c &= 0x07;
	} else
		return 0;	/* C0, C1, F5-FF, or a stray continuation */
	for (size_t i = 1; i < n; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return n;
}

/*
 * Append the escaped form of the character or byte at p to out (at least
 * 7 bytes); returns its length and sets *used to the input bytes it took.
 * Escaped as \uXXXX: the controls C0, DEL and C1 (a terminal showing the
 * log must not obey them), U+2028/U+2029 (JavaScript line ends), and each
 * byte that starts no well-formed sequence, by its value.
 */
static size_t
escape_one(const unsigned char *p, char *out, size_t *used)
{
	unsigned	cp;
	size_t		n = utf8_seq(p, &cp);

	if (n == 0) {
		*used = 1;
		return (size_t)snprintf(out, 8, "\\u%04x", p[0]);
	}
	*used = n;
	if (cp == '"' || cp == '\\') {
		out[0] = '\\';
		out[1] = (char)cp;
		return 2;
	}
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	    cp == 0x2029)
		return (size_t)snprintf(out, 8, "\\u%04x", cp);
	memcpy(out, p, n);
	return n;
}

/*
 * A JSON string of s taking at most LOG_VALUE_MAX bytes, escapes included;
 * a longer value is cut between characters and marked with "...", so that
 * one long field (a hostile path, say) never costs the line its others.
 */
static void
put_str(struct line *l, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;

	put_raw(l, "\"", 1);
	while (*p != '\0') {
		char	out[8];
		size_t	used, len, run = 0;

		/* A run of printable ASCII is copied as it is, at once. */
		while (p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
		    p[run] != '\\' && n + run < LOG_VALUE_MAX)
			run++;
		if (run > 0) {
			put_raw(l, (const char *)p, run);
			n += run;
			p += run;
			continue;
		}
		len = escape_one(p, out, &used);
		if (n + len > LOG_VALUE_MAX) {
			put_raw(l, "...", 3);
			break;
		}
		put_raw(l, out, len);
		n += len;
		p += used;
	}
	put_raw(l, "\"", 1);
}

/*
 * v in decimal at out (at least 21 bytes, no NUL); its length. Not
 * snprintf: four of these in an award's line were 6 000 instructions
 * (callgrind, bench_award group).
 */
static size_t
fmt_ll(char *out, long long v)
{
	char			 tmp[20];
	unsigned long long	 u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;
	size_t			 n = 0, len = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		out[len++] = '-';
	while (n > 0)
		out[len++] = tmp[--n];
	return len;
}

void
log_msg(enum log_level level, const char *msg, ...)
{
	struct line	 l;
	char		 ts[ATIME_BUFSZ], num[32];
	va_list		 ap;
	int		 tag, saved_errno = errno;

	if (level < threshold || level >= LOG__MAX)
		return;
	l.len = 0;	/* not "= { 0 }": that clears all of buf */
	l.full = 0;
	atime_format(atime_now_ms(), ts);
	put_raw(&l, "{\"ts\":", 6);
	put_str(&l, ts);
	put_raw(&l, ",\"level\":", 9);
	put_str(&l, level_names[level]);
	put_raw(&l, ",\"msg\":", 7);
	put_str(&l, msg != NULL ? msg : "");

	va_start(ap, msg);
	while ((tag = va_arg(ap, int)) != LOGF_END) {
		const char	*key = va_arg(ap, const char *);
		size_t		 mark = l.len;

		put_raw(&l, ",", 1);
		put_str(&l, key != NULL ? key : "");
		put_raw(&l, ":", 1);
		if (tag == LOGF_STR) {
			const char *v = va_arg(ap, const char *);

			if (v == NULL)
				put_raw(&l, "null", 4);
			else
				put_str(&l, v);
		} else
			put_raw(&l, num, fmt_ll(num, va_arg(ap, long long)));
		if (l.full) {
			/* Drop this field and the rest; say so. */
			l.len = mark;
			break;
		}
	}
	va_end(ap);

	if (l.full) {
		memcpy(l.buf + l.len, LOG_CUT_TAIL, sizeof(LOG_CUT_TAIL) - 1);
		l.len += sizeof(LOG_CUT_TAIL) - 1;
	} else {
		l.buf[l.len++] = '}';
		l.buf[l.len++] = '\n';
	}
	if (batch.open) {
		if (l.len > sizeof(batch.buf) - batch.len) {
			write_line(batch.buf, batch.len);
			batch.len = 0;
		}
		memcpy(batch.buf + batch.len, l.buf, l.len);
		batch.len += l.len;
	} else
		write_line(l.buf, l.len);
	errno = saved_errno;
}

void
log_batch_begin(void)
{
	batch.open = 1;
}

void
log_batch_end(void)
{
	int saved_errno = errno;

	if (batch.len > 0)
		write_line(batch.buf, batch.len);
	batch.len = 0;
	batch.open = 0;
	errno = saved_errno;
}
