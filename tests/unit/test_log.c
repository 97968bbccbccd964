/*
 * Unit tests for common/log.c (SPEC.md §8): one JSON object per line on
 * stderr with ts, level, msg and the caller's fields; strings escaped; a
 * long value cut, never the line's other fields.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "log.h"

static char path[] = "/tmp/award-log-XXXXXX";
static int saved = -1;

/* Point stderr at a temp file. */
static void
setup(void)
{
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	saved = dup(STDERR_FILENO);
	cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
	close(fd);
	log_set_level(LOG_INFO);
}

static void
teardown(void)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
	unlink(path);
}

/* The lines written so far; caller frees. */
static char *
captured(void)
{
	FILE	*f = fopen(path, "r");
	char	*buf = calloc(1, 65536);
	size_t	 n;

	cr_assert_not_null(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Parse the only line; asserts it is one line of JSON. */
static cJSON *
one_line(void)
{
	char	*s = captured();
	char	*nl = strchr(s, '\n');
	cJSON	*o;

	cr_assert_not_null(nl, "no newline: %s", s);
	cr_assert_eq(nl[1], '\0', "more than one line: %s", s);
	o = cJSON_Parse(s);
	cr_assert_not_null(o, "not JSON: %s", s);
	free(s);
	return o;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

Test(log, line_has_ts_level_msg_and_fields, .init = setup, .fini = teardown)
{
	cJSON	*o;
	char	*s;

	log_msg(LOG_INFO, "award", LF_STR("order_id", "o1"),
	    LF_INT("tg_id", 9007199254740991LL), LF_STR("error", NULL),
	    LF_END);
	o = one_line();
	cr_assert_str_eq(str(o, "level"), "info");
	cr_assert_str_eq(str(o, "msg"), "award");
	cr_assert_str_eq(str(o, "order_id"), "o1");
	cr_assert_not_null(str(o, "ts"));
	cr_assert_eq(strlen(str(o, "ts")), 24, "ts %s", str(o, "ts"));
	cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "error")));
	cJSON_Delete(o);
	/* The integer exactly, not as a double. */
	s = captured();
	cr_assert_not_null(strstr(s, "\"tg_id\":9007199254740991"), "%s", s);
	free(s);
}

Test(log, hostile_strings_escaped, .init = setup, .fini = teardown)
{
	cJSON *o;

	log_msg(LOG_WARN, "bad request", LF_STR("path",
	    "/x\"}\n{\"level\":\"error\\\x01"), LF_END);
	o = one_line();
	cr_assert_str_eq(str(o, "path"), "/x\"}\n{\"level\":\"error\\\x01");
	cr_assert_str_eq(str(o, "level"), "warn");
	cJSON_Delete(o);
}

Test(log, long_value_cut_other_fields_kept, .init = setup, .fini = teardown)
{
	char	*big = malloc(20000);
	cJSON	*o;

	memset(big, 'a', 19999);
	big[19999] = '\0';
	log_msg(LOG_INFO, "request", LF_STR("request_id", "rid-1"),
	    LF_STR("path", big), LF_INT("status", 404), LF_END);
	free(big);
	o = one_line();
	cr_assert_str_eq(str(o, "request_id"), "rid-1");
	cr_assert_not_null(str(o, "ts"));
	cr_assert_lt(strlen(str(o, "path")), 1024);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(o, "status")->valueint,
	    404);
	cJSON_Delete(o);
}

Test(log, below_threshold_dropped, .init = setup, .fini = teardown)
{
	char *s;

	log_set_level(LOG_WARN);
	log_msg(LOG_INFO, "quiet", LF_END);
	s = captured();
	cr_assert_str_eq(s, "");
	free(s);
}

Test(log, level_names_parse)
{
	enum log_level l;

	cr_assert_eq(log_level_parse("debug", &l), 0);
	cr_assert_eq(l, LOG_DEBUG);
	cr_assert_eq(log_level_parse("error", &l), 0);
	cr_assert_eq(l, LOG_ERROR);
	cr_assert_eq(log_level_parse("loud", &l), -1);
	cr_assert_eq(log_level_parse("INFO", &l), -1);
}
