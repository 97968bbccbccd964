/*
 * Unit tests for common/log.c (SPEC.md §8): one JSON object per line on
 * stderr with ts, level, msg and the caller's fields; strings escaped; a
 * long value cut, never the line's other fields; every line strict JSON in
 * well-formed UTF-8 whatever bytes the caller passes, checked with
 * cJSON's parser plus this file's own UTF-8 and control-byte check (cJSON
 * checks neither); lines whole when threads log at once.
 */
#define _GNU_SOURCE	/* pipe2, O_DIRECT: a packet-mode pipe */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
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

/* Integers are written by hand (fmt_ll): the ends of the range too. */
Test(log, integers_exact_at_the_ends, .init = setup, .fini = teardown)
{
	char *s;

	log_msg(LOG_INFO, "n", LF_INT("zero", 0), LF_INT("neg", -7),
	    LF_INT("min", LLONG_MIN), LF_INT("max", LLONG_MAX),
	    LF_INT("ten", 10), LF_END);
	s = captured();
	cr_assert_not_null(strstr(s, "\"zero\":0,\"neg\":-7,"
	    "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
	    "\"ten\":10}\n"), "%s", s);
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

/* ------------------------------------------------ strict JSON lines */

/*
 * Well-formed UTF-8 (RFC 3629), decoded the long way round (code point,
 * then range checks) rather than by log.c's per-byte table.
 */
static int
utf8_ok(const unsigned char *p, size_t n, const char **why)
{
	size_t i = 0;

	while (i < n) {
		unsigned	c = p[i], cp, len, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2; min = 0x80; cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3; min = 0x800; cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4; min = 0x10000; cp = c & 0x07;
		} else {
			*why = "bad lead byte";
			return 0;
		}
		if (i + len > n) {
			*why = "truncated sequence";
			return 0;
		}
		for (unsigned k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				*why = "missing continuation byte";
				return 0;
			}
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min) {
			*why = "overlong form";
			return 0;
		}
		if (cp >= 0xd800 && cp <= 0xdfff) {
			*why = "surrogate";
			return 0;
		}
		if (cp > 0x10ffff) {
			*why = "above U+10FFFF";
			return 0;
		}
		i += len;
	}
	return 1;
}

/*
 * Assert that s[0..n) is one strict JSON line: ends in its only '\n', no
 * other byte below 0x20 (RFC 8259 §7: controls must be escaped), well-
 * formed UTF-8, and an object cJSON parses with ts, level and msg strings.
 * Returns the parsed object; caller deletes.
 */
static cJSON *
strict_line(const char *s, size_t n)
{
	const char	*why = NULL, *end;
	cJSON		*o;

	cr_assert_gt(n, 1);
	cr_assert_eq(s[n - 1], '\n', "line does not end in a newline");
	for (size_t i = 0; i + 1 < n; i++)
		cr_assert_geq((unsigned char)s[i], 0x20,
		    "raw control byte 0x%02x at %zu: %.*s",
		    (unsigned char)s[i], i, (int)n, s);
	cr_assert(utf8_ok((const unsigned char *)s, n, &why),
	    "not UTF-8 (%s): %.*s", why, (int)n, s);
	o = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	cr_assert_not_null(o, "not JSON: %.*s", (int)n, s);
	while (end < s + n && (*end == '\n' || *end == ' '))
		end++;
	cr_assert_eq(end, s + n, "text after the object: %.*s", (int)n, s);
	cr_assert(cJSON_IsObject(o));
	cr_assert_not_null(str(o, "ts"));
	cr_assert_not_null(str(o, "level"));
	cr_assert_not_null(str(o, "msg"));
	return o;
}

/* The whole capture file; *len gets its size. Caller frees. */
static char *
captured_all(size_t *len)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Check every line of the capture; returns how many there were. */
static size_t
all_lines_strict(void)
{
	size_t	 len, count = 0;
	char	*s = captured_all(&len), *p = s;

	while (p < s + len) {
		char	*nl = memchr(p, '\n', (size_t)(s + len - p));
		cJSON	*o;

		cr_assert_not_null(nl, "last line has no newline");
		cr_assert_leq(nl + 1 - p, 4096, "line longer than PIPE_BUF");
		o = strict_line(p, (size_t)(nl + 1 - p));
		cJSON_Delete(o);
		count++;
		p = nl + 1;
	}
	free(s);
	return count;
}

/* Truncate the capture file between cases. */
static void
reset_capture(void)
{
	cr_assert_eq(ftruncate(STDERR_FILENO, 0), 0);
	cr_assert_eq(lseek(STDERR_FILENO, 0, SEEK_SET), 0);
}

/*
 * Invalid UTF-8 and controls, and how each must appear in the line: each
 * byte that starts no well-formed sequence as \u00XX, controls escaped,
 * well-formed characters as they are.
 */
static const struct {
	const char	*name, *in, *out;
} cases[] = {
	{ "overlong 2-byte '/'",  "\xc0\xaf", "\\u00c0\\u00af" },
	{ "overlong 2-byte NUL",  "\xc0\x80", "\\u00c0\\u0080" },
	{ "overlong C1 lead",     "\xc1\xbf", "\\u00c1\\u00bf" },
	{ "overlong 3-byte '/'",  "\xe0\x80\xaf", "\\u00e0\\u0080\\u00af" },
	{ "overlong 4-byte '/'",  "\xf0\x80\x80\xaf",
	    "\\u00f0\\u0080\\u0080\\u00af" },
	{ "surrogate D800",       "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080" },
	{ "surrogate DBFF+DC00",  "\xed\xaf\xbf\xed\xb0\x80",
	    "\\u00ed\\u00af\\u00bf\\u00ed\\u00b0\\u0080" },
	{ "surrogate DFFF",       "\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf" },
	{ "above U+10FFFF",       "\xf4\x90\x80\x80",
	    "\\u00f4\\u0090\\u0080\\u0080" },
	{ "lead F5",              "\xf5\x80\x80\x80",
	    "\\u00f5\\u0080\\u0080\\u0080" },
	{ "truncated 2 at end",   "a\xc3", "a\\u00c3" },
	{ "truncated 3 mid",      "\xe2\x82z", "\\u00e2\\u0082z" },
	{ "truncated 4 at end",   "\xf0\x9f\x98", "\\u00f0\\u009f\\u0098" },
	{ "lead then lead",       "\xc3\xc3\xa9", "\\u00c3\xc3\xa9" },
	{ "stray continuation",   "\x80x\xbf", "\\u0080x\\u00bf" },
	{ "ff fe",                "\xff\xfe", "\\u00ff\\u00fe" },
	{ "nginx-decoded path",   "/\xff\xfe\xc3", "/\\u00ff\\u00fe\\u00c3" },
	{ "C0 controls",          "\x01\x08\t\n\r\x1b\x1f",
	    "\\u0001\\u0008\\u0009\\u000a\\u000d\\u001b\\u001f" },
	{ "DEL",                  "a\x7f" "b", "a\\u007fb" },
	{ "C1 CSI (valid UTF-8)", "\xc2\x9b" "31m", "\\u009b31m" },
	{ "U+2028 U+2029",        "\xe2\x80\xa8\xe2\x80\xa9",
	    "\\u2028\\u2029" },
	{ "quote backslash",      "\"\\", "\\\"\\\\" },
	{ "valid e-acute",        "\xc3\xa9", "\xc3\xa9" },
	{ "valid U+D7FF U+E000",  "\xed\x9f\xbf\xee\x80\x80",
	    "\xed\x9f\xbf\xee\x80\x80" },
	{ "valid U+FFFF",         "\xef\xbf\xbf", "\xef\xbf\xbf" },
	{ "valid U+10FFFF",       "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
	{ "valid emoji",          "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
};

/* The line holds "KEY":"OUT" (or "OUT" for the msg) exactly. */
static void
expect_in_line(const char *line, const char *before, const char *out,
    const char *name)
{
	char want[256];

	snprintf(want, sizeof(want), "%s\"%s\"", before, out);
	cr_assert_not_null(strstr(line, want), "%s: no %s in %s", name,
	    want, line);
}

Test(log, invalid_utf8_in_msg_and_every_field, .init = setup,
    .fini = teardown)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char	 key[64], *s;
		size_t	 len;
		cJSON	*o;

		reset_capture();
		snprintf(key, sizeof(key), "k%s", cases[i].in);
		log_msg(LOG_WARN, cases[i].in,
		    LF_STR("order_id", cases[i].in),
		    LF_STR(key, "v"),
		    LF_INT(cases[i].in, 42),
		    LF_STR("null_field", NULL),
		    LF_STR("after", "kept"), LF_END);
		cr_assert_eq(all_lines_strict(), 1, "%s", cases[i].name);
		s = captured_all(&len);
		o = strict_line(s, len);
		expect_in_line(s, "\"msg\":", cases[i].out, cases[i].name);
		expect_in_line(s, "\"order_id\":", cases[i].out,
		    cases[i].name);
		snprintf(key, sizeof(key), "\"k%s\":\"v\"", cases[i].out);
		cr_assert_not_null(strstr(s, key), "%s: key: %s",
		    cases[i].name, s);
		snprintf(key, sizeof(key), "\"%s\":42", cases[i].out);
		cr_assert_not_null(strstr(s, key), "%s: int key: %s",
		    cases[i].name, s);
		cr_assert_str_eq(str(o, "after"), "kept", "%s", cases[i].name);
		cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o,
		    "null_field")));
		cJSON_Delete(o);
		free(s);
	}
}

/* What the escape means once parsed: the byte's value as a code point. */
Test(log, invalid_byte_parses_as_its_value, .init = setup,
    .fini = teardown)
{
	cJSON *o;

	log_msg(LOG_INFO, "request", LF_STR("path", "/\xff\xfe\xc3"), LF_END);
	o = one_line();
	cr_assert_str_eq(str(o, "path"), "/\xc3\xbf\xc3\xbe\xc3\x83");
	cJSON_Delete(o);
}

/*
 * 20000 continuation bytes: each is escaped (6 bytes), the value is cut at
 * 512 escaped bytes between two escapes, and the fields around it stay.
 */
Test(log, long_invalid_value_cut_between_escapes, .init = setup,
    .fini = teardown)
{
	char	*big = malloc(20001), *s;
	cJSON	*o;
	size_t	 n;

	memset(big, 0x80, 20000);
	big[20000] = '\0';
	log_msg(LOG_INFO, "request", LF_STR("request_id", "rid-1"),
	    LF_STR("path", big), LF_INT("status", 404), LF_END);
	free(big);
	cr_assert_eq(all_lines_strict(), 1);
	o = one_line();
	cr_assert_str_eq(str(o, "request_id"), "rid-1");
	s = str(o, "path") != NULL ? strdup(str(o, "path")) : NULL;
	cr_assert_not_null(s);
	n = strlen(s);
	cr_assert_geq(n, 3);
	cr_assert_str_eq(s + n - 3, "...");
	/* U+0080 is 2 bytes once parsed: 85 escapes of 6 fit in 512. */
	cr_assert_eq(n, 85 * 2 + 3, "parsed path is %zu bytes", n);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(o, "status")->valueint,
	    404);
	free(s);
	cJSON_Delete(o);
}

/*
 * More long hostile fields than a line holds: the line stays one strict
 * JSON object within PIPE_BUF, keeps the first fields, drops the rest and
 * says so — never a fallback line without the request's context.
 */
Test(log, too_many_long_fields_dropped_not_line, .init = setup,
    .fini = teardown)
{
	char	*big = malloc(2001);
	cJSON	*o;

	memset(big, 0xff, 2000);
	big[2000] = '\0';
	log_msg(LOG_ERROR, "request", LF_STR("request_id", "rid-2"),
	    LF_STR("a", big), LF_STR("b", big), LF_STR("c", big),
	    LF_STR("d", big), LF_STR("e", big), LF_STR("f", big),
	    LF_STR("g", big), LF_STR("h", big), LF_STR("i", big),
	    LF_INT("status", 500), LF_END);
	free(big);
	cr_assert_eq(all_lines_strict(), 1);
	o = one_line();
	cr_assert_str_eq(str(o, "request_id"), "rid-2");
	cr_assert_str_eq(str(o, "msg"), "request");
	cr_assert_str_eq(str(o, "level"), "error");
	cr_assert_not_null(str(o, "a"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(o, "i"));
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
	    "log_truncated")));
	cJSON_Delete(o);
}

/*
 * Random bytes (1..255, fixed seed) through msg, keys and values: every
 * line strict. Catches what the table above did not think of.
 */
Test(log, random_bytes_every_line_strict, .init = setup, .fini = teardown)
{
	uint32_t	x = 2463534242u;
	const int	lines = 3000;

	for (int i = 0; i < lines; i++) {
		char	v[4][40];

		for (int f = 0; f < 4; f++) {
			int n = 1 + (int)(x % 39);

			for (int k = 0; k < n; k++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				v[f][k] = (char)(1 + x % 255);
			}
			v[f][n] = '\0';
		}
		log_msg(LOG_INFO, v[0], LF_STR(v[1], v[2]),
		    LF_INT(v[3], i), LF_END);
	}
	cr_assert_eq(all_lines_strict(), (size_t)lines);
}

Test(log, null_msg_and_key, .init = setup, .fini = teardown)
{
	cJSON *o;

	log_msg(LOG_INFO, NULL, LF_STR(NULL, "v"), LF_END);
	o = one_line();
	cr_assert_str_eq(str(o, "msg"), "");
	cr_assert_str_eq(str(o, ""), "v");
	cJSON_Delete(o);
}

Test(log, errno_preserved, .init = setup, .fini = teardown)
{
	errno = ENOSPC;
	log_msg(LOG_ERROR, "disk full", LF_END);
	cr_assert_eq(errno, ENOSPC);
}

/*
 * Threads logging at once (the responder's request threads share stderr):
 * every line whole and strict, none lost, none interleaved — each carries
 * its thread's marker in msg and in a long value, and they must agree.
 */
#define LOG_THREADS	8
#define LOG_PER_THREAD	300

static void *
log_thread(void *arg)
{
	char	 mark[8], val[1200];
	int	 id = (int)(intptr_t)arg;

	snprintf(mark, sizeof(mark), "t%d", id);
	memset(val, 'a' + id, sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	for (int i = 0; i < LOG_PER_THREAD; i++)
		log_msg(LOG_INFO, mark, LF_STR("v1", val),
		    LF_STR("bad", "\xff\xc3"), LF_STR("v2", val),
		    LF_INT("i", i), LF_END);
	return NULL;
}

Test(log, threads_lines_never_interleave, .init = setup, .fini = teardown)
{
	pthread_t	 th[LOG_THREADS];
	size_t		 len, per[LOG_THREADS] = { 0 };
	char		*s, *p;

	for (int i = 0; i < LOG_THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, log_thread,
		    (void *)(intptr_t)i), 0);
	for (int i = 0; i < LOG_THREADS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(all_lines_strict(), (size_t)LOG_THREADS * LOG_PER_THREAD);
	s = captured_all(&len);
	for (p = s; p < s + len;) {
		char	*nl = strchr(p, '\n');
		cJSON	*o = strict_line(p, (size_t)(nl + 1 - p));
		int	 id = str(o, "msg")[1] - '0';

		cr_assert(id >= 0 && id < LOG_THREADS);
		cr_assert_eq(str(o, "v1")[0], 'a' + id);
		cr_assert_eq(str(o, "v2")[0], 'a' + id);
		per[id]++;
		cJSON_Delete(o);
		p = nl + 1;
	}
	for (int i = 0; i < LOG_THREADS; i++)
		cr_assert_eq(per[i], LOG_PER_THREAD);
	free(s);
}

/*
 * A batch (log_batch_begin/end, the writer's group): nothing is written
 * until its end, then every line in order, in writes that each hold whole
 * lines and at most PIPE_BUF bytes. stderr is a packet-mode pipe here
 * (O_DIRECT), so each read returns exactly one write.
 */
Test(log, batch_writes_whole_lines_in_order_at_end)
{
	int	 fds[2], saved_fd, writes = 0, lines = 0;
	char	 pkt[8192], value[301];
	ssize_t	 n;

	cr_assert_eq(pipe2(fds, O_DIRECT | O_NONBLOCK), 0);
	saved_fd = dup(STDERR_FILENO);
	cr_assert_geq(dup2(fds[1], STDERR_FILENO), 0);
	log_set_level(LOG_INFO);
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';

	log_batch_begin();
	for (int i = 0; i < 40; i++)
		log_msg(LOG_INFO, "batched", LF_INT("i", i),
		    LF_STR("pad", value), LF_END);
	/* 40 lines of ~400 bytes: some went out when the buffer filled. */
	n = read(fds[0], pkt, sizeof(pkt));
	cr_assert_gt(n, 0, "nothing written before the buffer filled");
	cr_assert_leq(n, 4096);
	cr_assert_eq(pkt[n - 1], '\n', "a write ended inside a line");
	writes = 1;
	lines = 0;
	for (ssize_t k = 0; k < n; k++)
		lines += pkt[k] == '\n';
	log_batch_end();
	log_msg(LOG_INFO, "after", LF_END);	/* unbatched again */
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	close(fds[1]);

	/* The rest: whole lines, in order, i counting up from where it was. */
	for (;;) {
		char *p, *nl;

		n = read(fds[0], pkt, sizeof(pkt) - 1);
		if (n <= 0)
			break;
		writes++;
		cr_assert_leq(n, 4096);
		cr_assert_eq(pkt[n - 1], '\n', "a write ended inside a line");
		pkt[n] = '\0';
		for (p = pkt; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			cJSON *o;

			*nl = '\0';
			o = cJSON_Parse(p);
			cr_assert_not_null(o, "not JSON: %s", p);
			if (lines < 40) {
				cr_assert_str_eq(
				    cJSON_GetObjectItem(o, "msg")->valuestring,
				    "batched");
				cr_assert_eq(
				    cJSON_GetObjectItem(o, "i")->valueint, lines);
			} else
				cr_assert_str_eq(
				    cJSON_GetObjectItem(o, "msg")->valuestring,
				    "after");
			cJSON_Delete(o);
			lines++;
		}
	}
	close(fds[0]);
	cr_assert_eq(lines, 41);
	/* ~16 kB in PIPE_BUF writes, plus the unbatched line. */
	cr_assert_lt(writes, 10, "%d writes for 41 lines", writes);
	cr_assert_geq(writes, 5);
}

/* Without a batch, log_batch_end writes nothing and each line is a write. */
Test(log, batch_end_without_batch_is_noop, .init = setup, .fini = teardown)
{
	char *s;

	log_batch_end();
	s = captured();
	cr_assert_str_eq(s, "");
	free(s);
	log_batch_begin();
	log_msg(LOG_INFO, "held", LF_END);
	s = captured();
	cr_assert_str_eq(s, "", "a batched line was written before the end");
	free(s);
	log_batch_end();
	cJSON_Delete(one_line());
}
