/*
 * Unit tests for common/config.c (SPEC.md §7): defaults, every variable,
 * every bad value as a one-line error naming the variable, token files,
 * and the shared --db/--bot-db flags. Criterion runs each test in its own
 * process, so environment changes stay inside one test; the suite's init
 * clears every AWARD_* variable the runner may have inherited.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "config.h"
#include "testutil.h"

extern char **environ;

#define SECRET	"s3cr3t-T0ken_value-0123456789abcdef"
#define SVC	"svc-token-0123456789abcdef0123456789"

TestSuite(config, .init = tu_clear_award_env);

static void
env(const char *name, const char *value)
{
	cr_assert_eq(setenv(name, value, 1), 0);
}

/* Write content to a new temporary file; path receives its name. */
static void
tmp_file(const char *content, char path[64])
{
	int	fd;
	size_t	n = strlen(content);

	snprintf(path, 64, "/tmp/award-test-token-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, n), (ssize_t)n);
	cr_assert_eq(close(fd), 0);
}

static void
load_ok(struct award_config *c)
{
	char err[CONFIG_ERR_MAX] = "";

	cr_assert_eq(config_load(c, err, sizeof(err)), 0, "error: %s", err);
}

/*
 * config_load must fail with a one-line message naming var; the message is
 * copied to err_out when it is not NULL.
 */
static void
load_bad(const char *var, char err_out[CONFIG_ERR_MAX])
{
	struct award_config	c;
	char			err[CONFIG_ERR_MAX] = "";

	cr_assert_eq(config_load(&c, err, sizeof(err)), -1,
	    "a bad %s was accepted", var);
	cr_assert_neq(err[0], '\0', "no error message");
	cr_assert_not_null(strstr(err, var), "\"%s\" does not name %s", err,
	    var);
	cr_assert_null(strchr(err, '\n'), "error is not one line: %s", err);
	if (err_out != NULL)
		memcpy(err_out, err, CONFIG_ERR_MAX);
}

/* ---- defaults ---- */

Test(config, init_clears_award_variables)
{
	/* Whatever the runner had, nothing AWARD_ is left. */
	for (char **e = environ; *e != NULL; e++)
		cr_assert_neq(strncmp(*e, "AWARD_", 6), 0, "left: %s", *e);
}

Test(config, defaults)
{
	struct award_config	c;

	load_ok(&c);
	cr_assert_str_eq(c.db_path, "var/award.db");
	cr_assert_str_eq(c.bot_db_path, "");
	cr_assert_str_eq(config_bot_db(&c), "var/award.db");
	cr_assert_str_eq(c.listen, "unix:var/award-fcgi.sock");
	cr_assert_eq(c.max_body, 65536);
	cr_assert_eq(c.busy_timeout_ms, 5000);
	cr_assert_eq(c.synchronous_full, 1);
	cr_assert_eq(c.retry_max_attempts, 8);
	cr_assert_eq(c.log_level, LOG_INFO);
	cr_assert_str_eq(c.admin_token, "");
	cr_assert_str_eq(c.service_token, "");
	cr_assert_eq(c.now_ms, 0);
	cr_assert_eq(c.workers, 1);
	cr_assert_eq(c.threads, 32);
	cr_assert_eq(c.read_timeout_ms, 10000);
	cr_assert_eq(c.fcgi_allow.len, 2);
	cr_assert_eq(cidr_match(&c.fcgi_allow, "127.0.0.1"), 1);
	cr_assert_eq(cidr_match(&c.fcgi_allow, "::1"), 1);
	cr_assert_eq(cidr_match(&c.fcgi_allow, "10.0.0.1"), 0);
}

Test(config, threads_and_read_timeout_from_env)
{
	struct award_config c;

	env("AWARD_THREADS", "1024");
	env("AWARD_READ_TIMEOUT_MS", "250");
	env("AWARD_FCGI_ALLOW", " 10.0.0.0/8 ,::1/128");
	load_ok(&c);
	cr_assert_eq(c.threads, 1024);
	cr_assert_eq(c.read_timeout_ms, 250);
	cr_assert_eq(cidr_match(&c.fcgi_allow, "10.1.2.3"), 1);
	cr_assert_eq(cidr_match(&c.fcgi_allow, "127.0.0.1"), 0);
}

Test(config, bad_threads_zero)
{
	env("AWARD_THREADS", "0");
	load_bad("AWARD_THREADS", NULL);
}

Test(config, bad_threads_too_many)
{
	env("AWARD_THREADS", "1025");
	load_bad("AWARD_THREADS", NULL);
}

Test(config, bad_read_timeout_zero)
{
	env("AWARD_READ_TIMEOUT_MS", "0");
	load_bad("AWARD_READ_TIMEOUT_MS", NULL);
}

Test(config, bad_fcgi_allow)
{
	env("AWARD_FCGI_ALLOW", "127.0.0.1/33");
	load_bad("AWARD_FCGI_ALLOW", NULL);
}

Test(config, default_webhook_allow_is_yookassa)
{
	struct award_config c;

	load_ok(&c);
	cr_assert_eq(c.webhook_allow.len, 7);
	cr_assert_eq(cidr_match(&c.webhook_allow, "185.71.76.5"), 1);
	cr_assert_eq(cidr_match(&c.webhook_allow, "77.75.156.35"), 1);
	cr_assert_eq(cidr_match(&c.webhook_allow, "2a02:5180::1"), 1);
	cr_assert_eq(cidr_match(&c.webhook_allow, "127.0.0.1"), 0);
}

/* ---- each variable ---- */

Test(config, db_from_env)
{
	struct award_config c;

	env("AWARD_DB", "/srv/award/service.db");
	load_ok(&c);
	cr_assert_str_eq(c.db_path, "/srv/award/service.db");
	cr_assert_str_eq(config_bot_db(&c), "/srv/award/service.db");
}

Test(config, bot_db_from_env)
{
	struct award_config c;

	env("AWARD_DB", "/srv/award/service.db");
	env("AWARD_BOT_DB", "/srv/bot/bot.db");
	load_ok(&c);
	cr_assert_str_eq(c.db_path, "/srv/award/service.db");
	cr_assert_str_eq(c.bot_db_path, "/srv/bot/bot.db");
	cr_assert_str_eq(config_bot_db(&c), "/srv/bot/bot.db");
}

Test(config, bot_db_empty_means_same_file)
{
	struct award_config c;

	env("AWARD_DB", "one.db");
	env("AWARD_BOT_DB", "");
	load_ok(&c);
	cr_assert_str_eq(config_bot_db(&c), "one.db");
}

Test(config, listen_tcp_from_env)
{
	struct award_config c;

	env("AWARD_LISTEN", "127.0.0.1:9000");
	load_ok(&c);
	cr_assert_str_eq(c.listen, "127.0.0.1:9000");
}

Test(config, listen_unix_from_env)
{
	struct award_config c;

	env("AWARD_LISTEN", "unix:/run/award/fcgi.sock");
	load_ok(&c);
	cr_assert_str_eq(c.listen, "unix:/run/award/fcgi.sock");
}

Test(config, workers_from_env)
{
	struct award_config c;

	env("AWARD_WORKERS", "3");
	load_ok(&c);
	cr_assert_eq(c.workers, 3);
}

Test(config, workers_bounds)
{
	struct award_config c;

	env("AWARD_WORKERS", "1");
	load_ok(&c);
	cr_assert_eq(c.workers, 1);
	env("AWARD_WORKERS", "256");
	load_ok(&c);
	cr_assert_eq(c.workers, 256);
}

Test(config, max_body_from_env)
{
	struct award_config c;

	env("AWARD_MAX_BODY", "1048576");
	load_ok(&c);
	cr_assert_eq(c.max_body, 1048576);
}

Test(config, busy_timeout_from_env)
{
	struct award_config c;

	env("AWARD_BUSY_TIMEOUT_MS", "250");
	load_ok(&c);
	cr_assert_eq(c.busy_timeout_ms, 250);
	env("AWARD_BUSY_TIMEOUT_MS", "0");
	load_ok(&c);
	cr_assert_eq(c.busy_timeout_ms, 0);
}

Test(config, synchronous_normal_from_env)
{
	struct award_config c;

	env("AWARD_SYNCHRONOUS", "NORMAL");
	env("AWARD_UNSAFE_NORMAL", "1");
	load_ok(&c);
	cr_assert_eq(c.synchronous_full, 0);
}

/* SPEC §7: NORMAL loses answered awards on power loss (docs/durability.md). */
Test(config, bad_synchronous_normal_without_unsafe_flag)
{
	char err[CONFIG_ERR_MAX];

	env("AWARD_SYNCHRONOUS", "NORMAL");
	load_bad("AWARD_UNSAFE_NORMAL=1", err);
	cr_assert_not_null(strstr(err, "AWARD_SYNCHRONOUS=NORMAL"), "%s", err);
	cr_assert_not_null(strstr(err, "power"), "%s", err);
	env("AWARD_UNSAFE_NORMAL", "0");
	load_bad("AWARD_UNSAFE_NORMAL=1", NULL);
}

Test(config, bad_unsafe_normal_value)
{
	env("AWARD_UNSAFE_NORMAL", "yes");
	load_bad("AWARD_UNSAFE_NORMAL", NULL);
	env("AWARD_UNSAFE_NORMAL", "");
	load_bad("AWARD_UNSAFE_NORMAL", NULL);
	env("AWARD_SYNCHRONOUS", "NORMAL");
	env("AWARD_UNSAFE_NORMAL", "true");
	load_bad("AWARD_UNSAFE_NORMAL", NULL);
}

Test(config, unsafe_normal_alone_keeps_full)
{
	struct award_config c;

	env("AWARD_UNSAFE_NORMAL", "1");
	load_ok(&c);
	cr_assert_eq(c.synchronous_full, 1);
	env("AWARD_UNSAFE_NORMAL", "0");
	env("AWARD_SYNCHRONOUS", "FULL");
	load_ok(&c);
	cr_assert_eq(c.synchronous_full, 1);
}

Test(config, synchronous_full_from_env)
{
	struct award_config c;

	env("AWARD_SYNCHRONOUS", "FULL");
	load_ok(&c);
	cr_assert_eq(c.synchronous_full, 1);
}

Test(config, retry_max_attempts_from_env)
{
	struct award_config c;

	env("AWARD_RETRY_MAX_ATTEMPTS", "3");
	load_ok(&c);
	cr_assert_eq(c.retry_max_attempts, 3);
	env("AWARD_RETRY_MAX_ATTEMPTS", "1");
	load_ok(&c);
	cr_assert_eq(c.retry_max_attempts, 1);
}

Test(config, log_level_from_env)
{
	struct award_config c;

	env("AWARD_LOG_LEVEL", "debug");
	load_ok(&c);
	cr_assert_eq(c.log_level, LOG_DEBUG);
	env("AWARD_LOG_LEVEL", "warn");
	load_ok(&c);
	cr_assert_eq(c.log_level, LOG_WARN);
	env("AWARD_LOG_LEVEL", "error");
	load_ok(&c);
	cr_assert_eq(c.log_level, LOG_ERROR);
	env("AWARD_LOG_LEVEL", "info");
	load_ok(&c);
	cr_assert_eq(c.log_level, LOG_INFO);
}

Test(config, webhook_allow_from_env)
{
	struct award_config c;

	env("AWARD_WEBHOOK_ALLOW", "10.0.0.0/8 , ::1");
	load_ok(&c);
	cr_assert_eq(c.webhook_allow.len, 2);
	cr_assert_eq(cidr_match(&c.webhook_allow, "10.20.30.40"), 1);
	cr_assert_eq(cidr_match(&c.webhook_allow, "::1"), 1);
	cr_assert_eq(cidr_match(&c.webhook_allow, "185.71.76.5"), 0);
}

Test(config, admin_token_from_env)
{
	struct award_config c;

	env("AWARD_ADMIN_TOKEN", SECRET);
	load_ok(&c);
	cr_assert_str_eq(c.admin_token, SECRET);
	cr_assert_str_eq(c.service_token, "");
}

Test(config, service_token_from_env)
{
	struct award_config c;

	env("AWARD_SERVICE_TOKEN", SVC);
	load_ok(&c);
	cr_assert_str_eq(c.service_token, SVC);
	cr_assert_str_eq(c.admin_token, "");
}

Test(config, empty_token_means_off)
{
	struct award_config c;

	env("AWARD_ADMIN_TOKEN", "");
	env("AWARD_SERVICE_TOKEN_FILE", "");
	load_ok(&c);
	cr_assert_str_eq(c.admin_token, "");
	cr_assert_str_eq(c.service_token, "");
}

/* ---- token files ---- */

Test(config, token_file_trailing_newline_and_spaces_stripped)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "";
	int			rc;

	tmp_file(SECRET "  \t \n", path);
	env("AWARD_ADMIN_TOKEN_FILE", path);
	rc = config_load(&c, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "error: %s", err);
	cr_assert_str_eq(c.admin_token, SECRET);
}

Test(config, token_file_crlf_stripped)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "";
	int			rc;

	tmp_file(SVC "\r\n", path);
	env("AWARD_SERVICE_TOKEN_FILE", path);
	rc = config_load(&c, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "error: %s", err);
	cr_assert_str_eq(c.service_token, SVC);
}

Test(config, token_file_without_newline)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "";
	int			rc;

	tmp_file(SECRET, path);
	env("AWARD_SERVICE_TOKEN_FILE", path);
	rc = config_load(&c, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "error: %s", err);
	cr_assert_str_eq(c.service_token, SECRET);
}

Test(config, token_file_preferred_over_variable)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "";
	int			rc;

	tmp_file("from-file-0123456789abcdef0123456789\n", path);
	env("AWARD_ADMIN_TOKEN_FILE", path);
	env("AWARD_ADMIN_TOKEN", "from-env-0123456789abcdef0123456789");
	rc = config_load(&c, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "error: %s", err);
	cr_assert_str_eq(c.admin_token, "from-file-0123456789abcdef0123456789");
}

Test(config, bad_token_file_missing)
{
	env("AWARD_ADMIN_TOKEN_FILE", "/nonexistent/award/admin.token");
	env("AWARD_ADMIN_TOKEN", SECRET);
	load_bad("AWARD_ADMIN_TOKEN_FILE", NULL);
}

/* A token pasted into _FILE by mistake is refused and never printed. */
Test(config, bad_token_file_value_not_shown)
{
	char err[CONFIG_ERR_MAX];

	static const char *const pasted[] = {
		SECRET,
		/* base64, as deploy.md makes them */
		"q2Zk8Yv3/pXw0LmN5rBs7HcJ1dFgA4eUiOoPyRtE9zQ=",
		"/q2Zk8Yv3pXw0LmN5rBs7HcJ1dFgA4eUiOoPyRtE9zQ=",
	};

	for (size_t i = 0; i < sizeof(pasted) / sizeof(pasted[0]); i++) {
		env("AWARD_ADMIN_TOKEN_FILE", pasted[i]);
		load_bad("AWARD_ADMIN_TOKEN_FILE", err);
		cr_assert_null(strstr(err, "q2Zk8Yv3"), "printed: %s", err);
		cr_assert_null(strstr(err, "s3cr3t"), "printed: %s", err);
	}
}

Test(config, bad_token_file_is_directory)
{
	env("AWARD_SERVICE_TOKEN_FILE", "/tmp");
	load_bad("AWARD_SERVICE_TOKEN_FILE", NULL);
}

Test(config, bad_token_file_empty)
{
	char path[64];

	tmp_file("\n", path);
	env("AWARD_ADMIN_TOKEN_FILE", path);
	load_bad("AWARD_ADMIN_TOKEN", NULL);
	unlink(path);
}

Test(config, bad_token_file_too_long)
{
	char	path[64], big[CONFIG_TOKEN_MAX + 64], err[CONFIG_ERR_MAX];

	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tmp_file(big, path);
	env("AWARD_ADMIN_TOKEN_FILE", path);
	load_bad("AWARD_ADMIN_TOKEN_FILE", err);
	unlink(path);
	cr_assert_null(strstr(err, "kkkkkkkk"), "token in error: %s", err);
}

Test(config, bad_token_file_two_lines_no_leak)
{
	char path[64], err[CONFIG_ERR_MAX];

	tmp_file(SECRET "\nsecond-line\n", path);
	env("AWARD_ADMIN_TOKEN_FILE", path);
	load_bad("AWARD_ADMIN_TOKEN", err);
	unlink(path);
	cr_assert_null(strstr(err, SECRET), "token in error: %s", err);
	cr_assert_null(strstr(err, "second-line"), "token in error: %s", err);
}

Test(config, bad_token_with_space_no_leak)
{
	char err[CONFIG_ERR_MAX];

	env("AWARD_SERVICE_TOKEN", SECRET " tail");
	load_bad("AWARD_SERVICE_TOKEN", err);
	cr_assert_null(strstr(err, SECRET), "token in error: %s", err);
	cr_assert_null(strstr(err, "tail"), "token in error: %s", err);
}

Test(config, bad_token_too_long_no_leak)
{
	char big[CONFIG_TOKEN_MAX + 64], err[CONFIG_ERR_MAX];

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	env("AWARD_ADMIN_TOKEN", big);
	load_bad("AWARD_ADMIN_TOKEN", err);
	cr_assert_null(strstr(err, "qqqqqqqq"), "token in error: %s", err);
}

Test(config, bad_other_variable_error_has_no_token)
{
	char path[64], err[CONFIG_ERR_MAX];

	tmp_file(SECRET "\n", path);
	env("AWARD_SERVICE_TOKEN_FILE", path);
	env("AWARD_ADMIN_TOKEN", SECRET "-admin");
	env("AWARD_LOG_LEVEL", "loud");
	load_bad("AWARD_LOG_LEVEL", err);
	unlink(path);
	cr_assert_null(strstr(err, SECRET), "token in error: %s", err);
}

/* ---- bad values: -1 and a message naming the variable ---- */

Test(config, bad_workers_zero)
{
	env("AWARD_WORKERS", "0");
	load_bad("AWARD_WORKERS", NULL);
}

Test(config, bad_workers_too_many)
{
	env("AWARD_WORKERS", "257");
	load_bad("AWARD_WORKERS", NULL);
}

Test(config, bad_workers_empty)
{
	env("AWARD_WORKERS", "");
	load_bad("AWARD_WORKERS", NULL);
}

Test(config, bad_max_body_not_a_number)
{
	env("AWARD_MAX_BODY", "abc");
	load_bad("AWARD_MAX_BODY", NULL);
}

Test(config, bad_max_body_zero)
{
	env("AWARD_MAX_BODY", "0");
	load_bad("AWARD_MAX_BODY", NULL);
}

Test(config, bad_max_body_with_unit)
{
	env("AWARD_MAX_BODY", "64k");
	load_bad("AWARD_MAX_BODY", NULL);
}

Test(config, bad_busy_timeout_trailing_letter)
{
	env("AWARD_BUSY_TIMEOUT_MS", "1x");
	load_bad("AWARD_BUSY_TIMEOUT_MS", NULL);
}

Test(config, bad_busy_timeout_negative)
{
	env("AWARD_BUSY_TIMEOUT_MS", "-5");
	load_bad("AWARD_BUSY_TIMEOUT_MS", NULL);
}

Test(config, bad_busy_timeout_leading_space)
{
	env("AWARD_BUSY_TIMEOUT_MS", " 100");
	load_bad("AWARD_BUSY_TIMEOUT_MS", NULL);
}

Test(config, bad_busy_timeout_overflow)
{
	env("AWARD_BUSY_TIMEOUT_MS", "99999999999999999999999");
	load_bad("AWARD_BUSY_TIMEOUT_MS", NULL);
}

Test(config, bad_synchronous_off)
{
	env("AWARD_SYNCHRONOUS", "OFF");
	load_bad("AWARD_SYNCHRONOUS", NULL);
}

Test(config, bad_synchronous_empty)
{
	env("AWARD_SYNCHRONOUS", "");
	load_bad("AWARD_SYNCHRONOUS", NULL);
}

Test(config, bad_log_level_loud)
{
	env("AWARD_LOG_LEVEL", "loud");
	load_bad("AWARD_LOG_LEVEL", NULL);
}

Test(config, bad_webhook_allow_garbage)
{
	env("AWARD_WEBHOOK_ALLOW", "bad");
	load_bad("AWARD_WEBHOOK_ALLOW", NULL);
}

Test(config, bad_webhook_allow_prefix)
{
	env("AWARD_WEBHOOK_ALLOW", "185.71.76.0/27, 1.2.3.4/33");
	load_bad("AWARD_WEBHOOK_ALLOW", NULL);
}

Test(config, bad_webhook_allow_empty)
{
	env("AWARD_WEBHOOK_ALLOW", "");
	load_bad("AWARD_WEBHOOK_ALLOW", NULL);
}

Test(config, bad_retry_max_attempts_negative)
{
	env("AWARD_RETRY_MAX_ATTEMPTS", "-1");
	load_bad("AWARD_RETRY_MAX_ATTEMPTS", NULL);
}

Test(config, bad_retry_max_attempts_zero)
{
	env("AWARD_RETRY_MAX_ATTEMPTS", "0");
	load_bad("AWARD_RETRY_MAX_ATTEMPTS", NULL);
}

Test(config, bad_db_empty)
{
	env("AWARD_DB", "");
	load_bad("AWARD_DB", NULL);
}

Test(config, bad_db_too_long)
{
	char big[CONFIG_PATH_MAX + 16];

	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	env("AWARD_DB", big);
	load_bad("AWARD_DB", NULL);
}

Test(config, bad_listen_empty)
{
	env("AWARD_LISTEN", "");
	load_bad("AWARD_LISTEN", NULL);
}

/* Every binary refuses a malformed AWARD_LISTEN (SPEC.md §7). */
Test(config, bad_listen_forms)
{
	static const char *const bad[] = { "foo", "unix:", ":9000",
	    "127.0.0.1:", "127.0.0.1:0", "1.2.3.4:99999", "host:port",
	    "[::1:9000" };
	char long_path[CONFIG_UNIX_PATH_MAX + 16] = "unix:";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env("AWARD_LISTEN", bad[i]);
		load_bad("AWARD_LISTEN", NULL);
	}
	memset(long_path + 5, 'p', CONFIG_UNIX_PATH_MAX);
	env("AWARD_LISTEN", long_path);
	load_bad("AWARD_LISTEN", NULL);
}

Test(config, good_listen_forms)
{
	static const char *const good[] = { "unix:/run/award/a.sock",
	    "unix:var/x.sock", "127.0.0.1:1", "localhost:65535",
	    "[::1]:9000" };
	struct award_config	c;
	char			err[CONFIG_ERR_MAX] = "";

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		env("AWARD_LISTEN", good[i]);
		cr_assert_eq(config_load(&c, err, sizeof(err)), 0, "%s: %s",
		    good[i], err);
		cr_assert_str_eq(c.listen, good[i]);
	}
}

/* ---- shared flags ---- */

Test(config, flag_db_separate_value)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--db",
				a2[] = "/tmp/x.db";
	char			*argv[] = { a0, a1, a2, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 3, argv, &i, err, sizeof(err)), 1,
	    "%s", err);
	cr_assert_str_eq(c.db_path, "/tmp/x.db");
	/* *i is left on the value, so the caller's i++ steps past it. */
	cr_assert_eq(i, 2);
	cr_assert_str_eq(config_bot_db(&c), "/tmp/x.db");
}

Test(config, flag_db_equals_value)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--db=/tmp/y.db";
	char			*argv[] = { a0, a1, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), 1,
	    "%s", err);
	cr_assert_str_eq(c.db_path, "/tmp/y.db");
	cr_assert_eq(i, 1);
}

Test(config, flag_bot_db_separate_value)
{
	struct award_config	c;
	char			a0[] = "award-fcgi", a1[] = "--bot-db",
				a2[] = "/tmp/bot.db";
	char			*argv[] = { a0, a1, a2, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 3, argv, &i, err, sizeof(err)), 1,
	    "%s", err);
	cr_assert_str_eq(c.bot_db_path, "/tmp/bot.db");
	cr_assert_str_eq(config_bot_db(&c), "/tmp/bot.db");
	cr_assert_str_eq(c.db_path, "var/award.db");
	cr_assert_eq(i, 2);
}

Test(config, flag_bot_db_equals_value)
{
	struct award_config	c;
	char			a0[] = "award-fcgi", a1[] = "--bot-db=b.db";
	char			*argv[] = { a0, a1, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), 1,
	    "%s", err);
	cr_assert_str_eq(config_bot_db(&c), "b.db");
	cr_assert_eq(i, 1);
}

Test(config, flag_overrides_env)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--db=flag.db";
	char			*argv[] = { a0, a1, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	env("AWARD_DB", "env.db");
	load_ok(&c);
	cr_assert_str_eq(c.db_path, "env.db");
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), 1);
	cr_assert_str_eq(c.db_path, "flag.db");
}

Test(config, flag_whole_command_line)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--force",
				a2[] = "--db", a3[] = "s.db",
				a4[] = "--bot-db=b.db", a5[] = "--limit",
				a6[] = "5";
	char			*argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			argc = 7, consumed = 0, others = 0;

	load_ok(&c);
	for (int i = 1; i < argc; i++) {
		int r = config_flag(&c, argc, argv, &i, err, sizeof(err));

		cr_assert_neq(r, -1, "%s", err);
		if (r == 1)
			consumed++;
		else
			others++;
	}
	cr_assert_eq(consumed, 2);
	cr_assert_eq(others, 3);	/* --force, --limit, 5 */
	cr_assert_str_eq(c.db_path, "s.db");
	cr_assert_str_eq(config_bot_db(&c), "b.db");
}

Test(config, flag_not_shared_left_alone)
{
	struct award_config	c;
	char			a0[] = "award-fcgi", a1[] = "--listen",
				a2[] = "x", a3[] = "--dbx", a4[] = "--db-path";
	char			*argv[] = { a0, a1, a2, a3, a4, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i;

	load_ok(&c);
	i = 1;
	cr_assert_eq(config_flag(&c, 5, argv, &i, err, sizeof(err)), 0);
	cr_assert_eq(i, 1);
	i = 3;
	cr_assert_eq(config_flag(&c, 5, argv, &i, err, sizeof(err)), 0);
	cr_assert_eq(i, 3);
	i = 4;
	cr_assert_eq(config_flag(&c, 5, argv, &i, err, sizeof(err)), 0);
	cr_assert_eq(i, 4);
	cr_assert_str_eq(c.db_path, "var/award.db");
	cr_assert_str_eq(c.bot_db_path, "");
}

Test(config, bad_flag_db_missing_value)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--db";
	char			*argv[] = { a0, a1, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "--db"), "%s", err);
	cr_assert_str_eq(c.db_path, "var/award.db");
}

Test(config, bad_flag_db_empty_value)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--db=";
	char			*argv[] = { a0, a1, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "--db"), "%s", err);
}

Test(config, bad_flag_bot_db_missing_value)
{
	struct award_config	c;
	char			a0[] = "award-retry", a1[] = "--bot-db";
	char			*argv[] = { a0, a1, NULL };
	char			err[CONFIG_ERR_MAX] = "";
	int			i = 1;

	load_ok(&c);
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "--bot-db"), "%s", err);
}

Test(config, flag_value_generic)
{
	char		 a0[] = "p", a1[] = "--limit", a2[] = "50",
			 a3[] = "--limit=7", a4[] = "--limit";
	char		*argv[] = { a0, a1, a2, a3, a4, NULL };
	const char	*val = NULL;
	int		 i;

	i = 1;
	cr_assert_eq(config_flag_value("--limit", 5, argv, &i, &val), 1);
	cr_assert_str_eq(val, "50");
	cr_assert_eq(i, 2);
	i = 3;
	cr_assert_eq(config_flag_value("--limit", 5, argv, &i, &val), 1);
	cr_assert_str_eq(val, "7");
	cr_assert_eq(i, 3);
	i = 4;
	cr_assert_eq(config_flag_value("--limit", 5, argv, &i, &val), -1);
	i = 2;
	cr_assert_eq(config_flag_value("--limit", 5, argv, &i, &val), 0);
}

/* ---- config_parse_int ---- */

Test(config, parse_int_in_range)
{
	long long v = 0;

	cr_assert_eq(config_parse_int("42", 0, 100, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(config_parse_int("-3", -5, 5, &v), 0);
	cr_assert_eq(v, -3);
	cr_assert_eq(config_parse_int("100", 0, 100, &v), 0);
	cr_assert_eq(v, 100);
}

Test(config, bad_parse_int)
{
	long long v = 11;

	cr_assert_eq(config_parse_int("101", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int(NULL, 0, 100, &v), -1);
	cr_assert_eq(config_parse_int(" 1", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("1 ", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("+1", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("1.0", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("0x10", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("-", 0, 100, &v), -1);
	cr_assert_eq(config_parse_int("99999999999999999999", 0,
	    9223372036854775807LL, &v), -1);
	cr_assert_eq(v, 11, "*out written on failure");
}

/* ---- token length (SPEC.md §7) ---- */

#define TOK31	"abcdefghijklmnopqrstuvwxyz01234"

Test(config, bad_token_shorter_than_32_refused)
{
	char err[CONFIG_ERR_MAX];

	env("AWARD_ADMIN_TOKEN", TOK31);
	load_bad("AWARD_ADMIN_TOKEN", err);
	cr_assert_not_null(strstr(err, "32"), "%s", err);
	cr_assert_null(strstr(err, TOK31), "token in error: %s", err);
}

Test(config, token_of_32_accepted)
{
	struct award_config c;

	env("AWARD_SERVICE_TOKEN", TOK31 "5");
	load_ok(&c);
	cr_assert_str_eq(c.service_token, TOK31 "5");
}

Test(config, bad_token_file_shorter_than_32_refused)
{
	char path[64], err[CONFIG_ERR_MAX];

	tmp_file(TOK31 "\n", path);
	env("AWARD_SERVICE_TOKEN_FILE", path);
	load_bad("AWARD_SERVICE_TOKEN_FILE", err);
	unlink(path);
	cr_assert_null(strstr(err, TOK31), "token in error: %s", err);
}

/* ---- the configuration file (SPEC.md §10) ---- */

/* config_load_file(path) must fail naming want (e.g. "FILE:3: KEY"). */
static void
file_bad(const char *content, int line, const char *key)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "", want[128];
	int			rc;

	tmp_file(content, path);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, -1, "accepted: %s", content);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", path, line);
	else
		snprintf(want, sizeof(want), "%s", path);
	cr_assert_not_null(strstr(err, want), "\"%s\" does not name %s", err,
	    want);
	if (key != NULL)
		cr_assert_not_null(strstr(err, key), "\"%s\" does not name %s",
		    err, key);
	cr_assert_null(strchr(err, '\n'), "error is not one line: %s", err);
}

Test(config, file_every_key_comments_blank_lines_quotes)
{
	struct award_config	c;
	char			path[64], tok[64], err[CONFIG_ERR_MAX] = "";
	char			text[2048];
	int			rc;

	tmp_file(SVC "\n", tok);
	snprintf(text, sizeof(text),
	    "# award configuration\n"
	    "\n"
	    "; a systemd-style comment\n"
	    "AWARD_DB=/srv/award/award.db\n"
	    "  AWARD_BOT_DB = /srv/bot/bot.db  \n"
	    "AWARD_LISTEN=\"unix:/run/award/award-fcgi.sock\"\n"
	    "AWARD_WORKERS=3\n"
	    "AWARD_THREADS=7\n"
	    "AWARD_MAX_BODY=1000\n"
	    "AWARD_BUSY_TIMEOUT_MS=250\n"
	    "AWARD_SYNCHRONOUS='NORMAL'\n"
	    "AWARD_UNSAFE_NORMAL=1\n"
	    "AWARD_RETRY_MAX_ATTEMPTS=4\n"
	    "AWARD_WEBHOOK_ALLOW=10.0.0.0/8, ::1/128\n"
	    "AWARD_FCGI_ALLOW=127.0.0.1/32\n"
	    "AWARD_READ_TIMEOUT_MS=1500\r\n"
	    "AWARD_ADMIN_TOKEN=%s\n"
	    "AWARD_SERVICE_TOKEN_FILE=%s\n"
	    "AWARD_LOG_LEVEL=warn", SECRET, tok);
	tmp_file(text, path);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	unlink(tok);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(c.config_path, path);
	cr_assert_str_eq(c.db_path, "/srv/award/award.db");
	cr_assert_str_eq(config_bot_db(&c), "/srv/bot/bot.db");
	cr_assert_str_eq(c.listen, "unix:/run/award/award-fcgi.sock");
	cr_assert_eq(c.workers, 3);
	cr_assert_eq(c.threads, 7);
	cr_assert_eq(c.max_body, 1000);
	cr_assert_eq(c.busy_timeout_ms, 250);
	cr_assert_eq(c.synchronous_full, 0);
	cr_assert_eq(c.retry_max_attempts, 4);
	cr_assert_eq(c.webhook_allow.len, 2);
	cr_assert_eq(cidr_match(&c.webhook_allow, "10.1.2.3"), 1);
	cr_assert_eq(cidr_match(&c.fcgi_allow, "127.0.0.2"), 0);
	cr_assert_eq(c.read_timeout_ms, 1500);
	cr_assert_str_eq(c.admin_token, SECRET);
	cr_assert_str_eq(c.service_token, SVC);
	cr_assert_eq(c.log_level, LOG_WARN);
}

Test(config, file_empty_gives_defaults)
{
	struct award_config	c, d;
	char			path[64], err[CONFIG_ERR_MAX] = "";

	tmp_file("# nothing\n\n", path);
	cr_assert_eq(config_load_file(&c, path, err, sizeof(err)), 0, "%s",
	    err);
	unlink(path);
	load_ok(&d);
	cr_assert_str_eq(c.db_path, d.db_path);
	cr_assert_eq(c.workers, d.workers);
	cr_assert_eq(c.webhook_allow.len, d.webhook_allow.len);
	cr_assert_str_eq(d.config_path, "");
}

/* flag > environment > file > default, setting by setting. */
Test(config, precedence_flag_env_file_default)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "";
	char			a0[] = "award-retry", a1[] = "--db=flag.db";
	char			*argv[] = { a0, a1, NULL };
	int			i = 1;

	tmp_file("AWARD_DB=file.db\nAWARD_BOT_DB=filebot.db\n"
	    "AWARD_WORKERS=5\n", path);
	env("AWARD_DB", "env.db");
	env("AWARD_WORKERS", "6");
	cr_assert_eq(config_load_file(&c, path, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_str_eq(c.db_path, "env.db");		/* env > file */
	cr_assert_str_eq(c.bot_db_path, "filebot.db");	/* file > default */
	cr_assert_eq(c.workers, 6);
	cr_assert_eq(c.max_body, 65536);		/* default */
	cr_assert_eq(config_flag(&c, 2, argv, &i, err, sizeof(err)), 1);
	cr_assert_str_eq(c.db_path, "flag.db");		/* flag > env */
	unsetenv("AWARD_DB");
	cr_assert_eq(config_load_file(&c, path, err, sizeof(err)), 0, "%s",
	    err);
	unlink(path);
	cr_assert_str_eq(c.db_path, "file.db");
}

Test(config, precedence_env_token_over_file_token_file)
{
	struct award_config	c;
	char			path[64], tok[64], text[256];
	char			err[CONFIG_ERR_MAX] = "";
	int			rc;

	tmp_file(SECRET "\n", tok);
	snprintf(text, sizeof(text), "AWARD_ADMIN_TOKEN_FILE=%s\n", tok);
	tmp_file(text, path);
	env("AWARD_ADMIN_TOKEN", SVC);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	unlink(tok);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(c.admin_token, SVC);
}

Test(config, bad_file_missing)
{
	struct award_config	c;
	char			err[CONFIG_ERR_MAX] = "";

	cr_assert_eq(config_load_file(&c, "/nonexistent/award.conf", err,
	    sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/award.conf"), "%s", err);
}

Test(config, bad_file_unknown_key_names_file_line)
{
	file_bad("# c\nAWARD_DB=x.db\nAWARD_WORKER=2\n", 3, "AWARD_WORKER");
}

Test(config, bad_file_value_names_file_line_key)
{
	file_bad("\n\nAWARD_WORKERS=0\n", 3, "AWARD_WORKERS");
	file_bad("AWARD_SYNCHRONOUS=OFF\n", 1, "AWARD_SYNCHRONOUS");
	file_bad("AWARD_DB=x.db\nAWARD_SYNCHRONOUS=NORMAL\n", 2,
	    "AWARD_UNSAFE_NORMAL=1");
	file_bad("AWARD_SYNCHRONOUS=NORMAL\nAWARD_UNSAFE_NORMAL=0\n", 1,
	    "AWARD_UNSAFE_NORMAL=1");
	file_bad("AWARD_UNSAFE_NORMAL=on\n", 1, "AWARD_UNSAFE_NORMAL");
	file_bad("AWARD_WEBHOOK_ALLOW=1.2.3.4/33\n", 1, "AWARD_WEBHOOK_ALLOW");
	file_bad("AWARD_DB=\n", 1, "AWARD_DB");
	file_bad("AWARD_LOG_LEVEL=loud\n", 1, "AWARD_LOG_LEVEL");
}

Test(config, bad_file_short_token_names_file_line_no_leak)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "", want[128];

	tmp_file("AWARD_SERVICE_TOKEN=" TOK31 "\n", path);
	cr_assert_eq(config_load_file(&c, path, err, sizeof(err)), -1);
	unlink(path);
	snprintf(want, sizeof(want), "%s:1: AWARD_SERVICE_TOKEN", path);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_null(strstr(err, TOK31), "token in error: %s", err);
}

Test(config, bad_file_syntax)
{
	file_bad("AWARD_DB x.db\n", 1, NULL);
	file_bad("export AWARD_DB=x.db\n", 1, NULL);
	file_bad("AWARD_DB=x.db # comment\nAWARD_WORKERS=1 # two\n", 2,
	    "AWARD_WORKERS");
	file_bad("AWARD_DB=a\"b\n", 1, "AWARD_DB");
	file_bad("AWARD_DB=a\\\n", 1, "AWARD_DB");
	file_bad("AWARD_DB=\"x.db'\n", 1, "AWARD_DB");
	file_bad("AWARD_DB=a.db\nAWARD_DB=b.db\n", 2, "AWARD_DB");
}

Test(config, bad_file_line_too_long)
{
	char text[CONFIG_LINE_MAX + 64];

	snprintf(text, sizeof(text), "# fine\nAWARD_DB=");
	memset(text + strlen(text), 'x', CONFIG_LINE_MAX);
	text[sizeof(text) - 1] = '\0';
	file_bad(text, 2, NULL);
}

Test(config, bad_file_world_writable)
{
	struct award_config	c;
	char			path[64], err[CONFIG_ERR_MAX] = "";

	tmp_file("AWARD_DB=x.db\n", path);
	cr_assert_eq(chmod(path, 0666), 0);
	cr_assert_eq(config_load_file(&c, path, err, sizeof(err)), -1);
	unlink(path);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_not_null(strstr(err, "writable"), "%s", err);
}

Test(config, bad_file_directory)
{
	struct award_config	c;
	char			err[CONFIG_ERR_MAX] = "";

	cr_assert_eq(config_load_file(&c, "/tmp", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/tmp"), "%s", err);
}

/* ---- the first look at the command line ---- */

static const char *const value_flags[] = { "--db", "--bot-db", NULL };

/* config_flag_int: "--n N" or "--n=N", N from 1 to max; else not it. */
Test(config, flag_int_forms_and_bounds)
{
	char		 a0[] = "x", f[] = "--limit", v[] = "7",
			 zero[] = "--limit=0", big[] = "--limit=11",
			 ten[] = "--limit=10", other[] = "--limits";
	char		 err[128];
	long long	 n = 0;
	int		 i;

	{
		char *argv[] = { a0, f, v, NULL };

		i = 1;
		cr_assert_eq(config_flag_int("--limit", 3, argv, &i, 10, &n,
		    err, sizeof(err)), 1);
		cr_assert_eq(n, 7);
		cr_assert_eq(i, 2, "left on the value");
	}
	{
		char *argv[] = { a0, ten, NULL };

		i = 1;
		cr_assert_eq(config_flag_int("--limit", 2, argv, &i, 10, &n,
		    err, sizeof(err)), 1);
		cr_assert_eq(n, 10);
	}
	{
		char *argv[] = { a0, zero, big, f, NULL };

		for (i = 1; i < 4; i++) {
			int at = i;

			cr_assert_eq(config_flag_int("--limit", 4, argv, &i,
			    10, &n, err, sizeof(err)), -1, "argv[%d]", at);
			cr_assert_str_eq(err, "--limit: needs an integer from "
			    "1 to 10");
		}
	}
	{
		char *argv[] = { a0, other, NULL };

		i = 1;
		cr_assert_eq(config_flag_int("--limit", 2, argv, &i, 10, &n,
		    err, sizeof(err)), 0);
	}
}

Test(config, early_help_version_config)
{
	char		 a0[] = "p", h[] = "--help", v[] = "--version",
			 c1[] = "--config", c2[] = "/x.conf",
			 c3[] = "--config=/y.conf", db[] = "--db";
	const char	*file;
	int		 ex;

	{
		char *argv[] = { a0, db, c3, h, NULL };

		cr_assert_eq(config_early(4, argv, value_flags, &file, &ex),
		    CONFIG_EARLY_HELP);
	}
	{
		char *argv[] = { a0, v, NULL };

		cr_assert_eq(config_early(2, argv, value_flags, &file, &ex),
		    CONFIG_EARLY_VERSION);
	}
	{
		char *argv[] = { a0, c1, c2, NULL };

		cr_assert_eq(config_early(3, argv, value_flags, &file, &ex),
		    CONFIG_EARLY_RUN);
		cr_assert_str_eq(file, "/x.conf");
		cr_assert_eq(ex, 1);
	}
	{
		char *argv[] = { a0, c3, NULL };

		cr_assert_eq(config_early(2, argv, value_flags, &file, &ex),
		    CONFIG_EARLY_RUN);
		cr_assert_str_eq(file, "/y.conf");
	}
	{
		/* A flag's value is never read as a flag. */
		char *argv[] = { a0, db, h, NULL };

		cr_assert_eq(config_early(3, argv, value_flags, &file, &ex),
		    CONFIG_EARLY_RUN);
		cr_assert_eq(ex, 0);
	}
	{
		char *argv[] = { a0, c1, NULL };

		cr_assert_eq(config_early(2, argv, value_flags, &file, &ex),
		    CONFIG_EARLY_BAD);
	}
}

/* Write n bytes of content (NULs allowed) to a new temporary file. */
static void
tmp_bytes(const char *content, size_t n, char path[64])
{
	int fd;

	snprintf(path, 64, "/tmp/award-test-conf-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, n), (ssize_t)n);
	cr_assert_eq(close(fd), 0);
}

/* Issue 18, minor: a NUL byte is reported as one, not as a long line. */
Test(config, bad_file_nul_byte_named_as_such)
{
	static const char	 text[] = "# ok\nAWARD_DB=/srv/a\0b.db\n";
	struct award_config	 c;
	char			 path[64], err[CONFIG_ERR_MAX] = "", want[96];
	int			 rc;

	tmp_bytes(text, sizeof(text) - 1, path);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, -1, "a NUL byte was accepted");
	snprintf(want, sizeof(want), "%s:2: ", path);
	cr_assert_not_null(strstr(err, want), "\"%s\" does not name %s", err,
	    want);
	cr_assert_not_null(strstr(err, "NUL"), "%s", err);
	cr_assert_null(strstr(err, "longer"), "%s", err);
}

Test(config, bad_file_nul_byte_in_last_line_without_newline)
{
	static const char	 text[] = "AWARD_WORKERS=2\n\0";
	struct award_config	 c;
	char			 path[64], err[CONFIG_ERR_MAX] = "";
	int			 rc;

	tmp_bytes(text, sizeof(text) - 1, path);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(err, ":2: a NUL byte"), "%s", err);
}

Test(config, file_long_lines_still_named_long)
{
	struct award_config	 c;
	char			*text, path[64], err[CONFIG_ERR_MAX] = "";
	size_t			 n = CONFIG_LINE_MAX + 100;
	int			 rc;

	cr_assert_not_null(text = malloc(n + 32));
	memset(text, '#', n);
	memcpy(text + n, "\nAWARD_WORKERS=2\n", 17);
	tmp_bytes(text, n + 17, path);
	free(text);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(err, ":1: line longer than"), "%s", err);

	/* Exactly CONFIG_LINE_MAX bytes, with CRLF, is fine. */
	cr_assert_not_null(text = malloc(CONFIG_LINE_MAX + 32));
	memset(text, '#', CONFIG_LINE_MAX);
	memcpy(text + CONFIG_LINE_MAX, "\r\nAWARD_WORKERS=2\n", 18);
	tmp_bytes(text, CONFIG_LINE_MAX + 18, path);
	free(text);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(c.workers, 2);
}

/* ---- AWARD_CONFIG: the environment's --config (SPEC.md §7, §10) ---- */

Test(config, env_config_empty_reads_no_file)
{
	char		 a0[] = "p";
	char		*argv[] = { a0, NULL };
	const char	*file = "unset";
	int		 ex = 0;

	env("AWARD_CONFIG", "");
	cr_assert_eq(config_early(1, argv, value_flags, &file, &ex),
	    CONFIG_EARLY_RUN);
	cr_assert_null(file, "AWARD_CONFIG= still names %s", file);
	cr_assert_eq(ex, 1);	/* a reload keeps "no file" */
}

Test(config, env_config_path_is_read)
{
	struct award_config	 c;
	char			 a0[] = "p", path[64], err[CONFIG_ERR_MAX] = "";
	char			*argv[] = { a0, NULL };
	const char		*file = NULL;
	int			 ex = 0;

	tmp_file("AWARD_DB=/from/the/env/file.db\n", path);
	env("AWARD_CONFIG", path);
	cr_assert_eq(config_early(1, argv, value_flags, &file, &ex),
	    CONFIG_EARLY_RUN);
	cr_assert_str_eq(file, path);
	cr_assert_eq(ex, 1);
	cr_assert_eq(config_load_file(&c, file, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_str_eq(c.db_path, "/from/the/env/file.db");
	unlink(path);
}

Test(config, env_config_missing_file_is_an_error)
{
	struct award_config	 c;
	char			 a0[] = "p", err[CONFIG_ERR_MAX] = "";
	char			*argv[] = { a0, NULL };
	const char		*file = NULL;
	int			 ex = 0;

	env("AWARD_CONFIG", "/nonexistent/award-test.conf");
	cr_assert_eq(config_early(1, argv, value_flags, &file, &ex),
	    CONFIG_EARLY_RUN);
	cr_assert_eq(config_load_file(&c, file, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/award-test.conf"), "%s",
	    err);
}

Test(config, flag_config_wins_over_env)
{
	char		 a0[] = "p", c1[] = "--config", c2[] = "/flag.conf";
	char		*argv[] = { a0, c1, c2, NULL };
	const char	*file = NULL;
	int		 ex = 0;

	env("AWARD_CONFIG", "/env.conf");
	cr_assert_eq(config_early(3, argv, value_flags, &file, &ex),
	    CONFIG_EARLY_RUN);
	cr_assert_str_eq(file, "/flag.conf");
	env("AWARD_CONFIG", "");
	cr_assert_eq(config_early(3, argv, value_flags, &file, &ex),
	    CONFIG_EARLY_RUN);
	cr_assert_str_eq(file, "/flag.conf");
}
