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
 * ended by LF_END. A NULL string value is written as null.
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
 * Write one line: {"ts":...,"level":...,"msg":msg, fields...}. Never fails
 * visibly: a line that cannot be built is replaced by a short fallback.
 */
void	log_msg(enum log_level level, const char *msg, ...);

#endif
