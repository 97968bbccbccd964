/*
 * JSON-lines logging on stderr (SPEC.md §8): one object per line with
 * "ts", "level", "msg" and caller fields. Not a general logger: no files,
 * no rotation (cron and the supervisor hand stderr to syslog/journald).
 */
#ifndef AWARD_LOG_H
#define AWARD_LOG_H

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG__MAX
};

/*
 * Field list terminator and helpers. A call passes pairs of a type tag and
 * values: LF_STR(key, const char *value) or LF_INT(key, long long value),
 * ended by LF_END. A NULL string value is written as null; a NULL msg or
 * key as "".
 */
enum log_field { LOGF_END, LOGF_STR, LOGF_INT };
#define LF_STR(k, v)	LOGF_STR, (const char *)(k), (const char *)(v)
#define LF_INT(k, v)	LOGF_INT, (const char *)(k), (long long)(v)
#define LF_END		LOGF_END

/* Parse "debug"|"info"|"warn"|"error"; returns 0 and sets *out, or -1. */
int	log_level_parse(const char *s, enum log_level *out);

/* Messages below this level are dropped; the default is LOG_INFO. */
void	log_set_level(enum log_level level);

/*
 * Write one line: {"ts":...,"level":...,"msg":msg, fields...}, with one
 * write(2) of at most PIPE_BUF bytes, from a buffer on the caller's stack:
 * safe from any thread, and lines never interleave. errno is preserved.
 *
 * Every line is strict JSON in UTF-8, whatever msg, keys and values hold:
 * '"', '\\' and the controls (U+0000-U+001F, U+007F-U+009F) are escaped,
 * as are U+2028/U+2029; a byte that does not start a well-formed UTF-8
 * sequence (RFC 3629: overlong forms, surrogates, truncated sequences, stray
 * continuation bytes, C0/C1/F5-FF) is written as \u00XX, XX its value, so
 * the bad bytes stay visible without making the line invalid. A string
 * value takes at most 512 bytes once escaped; a longer one is cut between
 * characters and ends in "...". Fields that do not fit in the line are
 * dropped and the line ends with "log_truncated":true.
 */
void	log_msg(enum log_level level, const char *msg, ...);

/*
 * Batch the calling thread's lines until log_batch_end: they are kept in a
 * thread-local buffer of PIPE_BUF bytes and written in order, whole lines
 * only, one write(2) per buffer-full, so lines still never interleave with
 * other threads' or processes'. log_batch_end writes what is left and
 * closes the batch; without an open batch it is a no-op. A batch delays
 * its lines until its end: open one only around work that ends soon (a
 * group), never across a wait for the network. errno is preserved.
 */
void	log_batch_begin(void);
void	log_batch_end(void);

#endif
