/*
 * Unit tests for the YooKassa settings of common/config.c (SPEC.md §7,
 * §11): defaults, bounds, the secret key like a token (never in an
 * error), the API URL rules (https, or http:// to loopback only) and
 * verification without credentials as the start-up error. Apart from
 * test_config.c so that the other settings' tests stay where they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "config.h"
#include "testutil.h"

#define KEY	"live_SecretKey-0123456789abcdefghijklmnopqrst"

TestSuite(config_yk, .init = tu_clear_award_env);

static void
env(const char *name, const char *value)
{
	cr_assert_eq(setenv(name, value, 1), 0);
}

static void
load_ok(struct award_config *c)
{
	char err[CONFIG_ERR_MAX] = "";

	cr_assert_eq(config_load(c, err, sizeof(err)), 0, "%s", err);
}

/* Loading fails with an error that names want and never holds KEY. */
static void
load_bad(const char *want)
{
	struct award_config	c;
	char			err[CONFIG_ERR_MAX] = "";

	cr_assert_eq(config_load(&c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, want), "error \"%s\" lacks %s", err,
	    want);
	cr_assert_null(strstr(err, "SecretKey"), "key in error: %s", err);
	cr_assert_null(strchr(err, '\n'), "not one line: %s", err);
}

Test(config_yk, defaults)
{
	struct award_config c;

	load_ok(&c);
	cr_assert_str_eq(c.yk_api, "https://api.yookassa.ru/v3");
	cr_assert_str_eq(c.yk_shop_id, "");
	cr_assert_str_eq(c.yk_secret_key, "");
	cr_assert_eq(c.yk_timeout_ms, 10000);
	cr_assert_eq(c.reconcile_hours, 72);
	cr_assert_eq(c.verify_payments, 0);
	cr_assert_str_eq(config_yookassa_missing(&c), "AWARD_YOOKASSA_SHOP_ID");
}

Test(config_yk, every_setting_read)
{
	struct award_config c;

	env("AWARD_YOOKASSA_SHOP_ID", "506751");
	env("AWARD_YOOKASSA_SECRET_KEY", KEY);
	env("AWARD_YOOKASSA_API", "http://127.0.0.1:8443/v3");
	env("AWARD_YOOKASSA_TIMEOUT_MS", "2500");
	env("AWARD_RECONCILE_HOURS", "2160");
	env("AWARD_VERIFY_PAYMENTS", "1");
	load_ok(&c);
	cr_assert_str_eq(c.yk_shop_id, "506751");
	cr_assert_str_eq(c.yk_secret_key, KEY);
	cr_assert_str_eq(c.yk_api, "http://127.0.0.1:8443/v3");
	cr_assert_eq(c.yk_timeout_ms, 2500);
	cr_assert_eq(c.reconcile_hours, 2160);
	cr_assert_eq(c.verify_payments, 1);
	cr_assert_null(config_yookassa_missing(&c));
}

Test(config_yk, secret_key_file_preferred_and_stripped)
{
	struct award_config	c;
	char			path[] = "/tmp/award-ykkey.XXXXXX";
	int			fd;

	cr_assert_geq(fd = mkstemp(path), 0);
	cr_assert_eq(write(fd, KEY "\n", strlen(KEY) + 1),
	    (ssize_t)strlen(KEY) + 1);
	close(fd);
	env("AWARD_YOOKASSA_SECRET_KEY_FILE", path);
	env("AWARD_YOOKASSA_SECRET_KEY", "other_key_0123456789abcdefghijklmnop");
	load_ok(&c);
	unlink(path);
	cr_assert_str_eq(c.yk_secret_key, KEY);
}

Test(config_yk, secret_key_from_config_file)
{
	struct award_config	c;
	char			path[] = "/tmp/award-ykconf.XXXXXX", err[512];
	FILE			*f;
	int			fd;

	cr_assert_geq(fd = mkstemp(path), 0);
	cr_assert_not_null(f = fdopen(fd, "w"));
	fprintf(f, "AWARD_YOOKASSA_SHOP_ID=123\nAWARD_YOOKASSA_SECRET_KEY=%s\n"
	    "AWARD_RECONCILE_HOURS=24\n", KEY);
	fclose(f);
	cr_assert_eq(config_load_file(&c, path, err, sizeof(err)), 0, "%s",
	    err);
	unlink(path);
	cr_assert_str_eq(c.yk_shop_id, "123");
	cr_assert_str_eq(c.yk_secret_key, KEY);
	cr_assert_eq(c.reconcile_hours, 24);
}

Test(config_yk, shop_id_not_digits)
{
	env("AWARD_YOOKASSA_SHOP_ID", "12a4");
	load_bad("AWARD_YOOKASSA_SHOP_ID");
}

Test(config_yk, shop_id_too_long)
{
	env("AWARD_YOOKASSA_SHOP_ID", "123456789012345678901234567890123");
	load_bad("AWARD_YOOKASSA_SHOP_ID");
}

Test(config_yk, secret_key_short_refused_without_printing_it)
{
	env("AWARD_YOOKASSA_SECRET_KEY", "SecretKey");
	load_bad("AWARD_YOOKASSA_SECRET_KEY");
}

Test(config_yk, secret_key_with_space_refused)
{
	env("AWARD_YOOKASSA_SECRET_KEY", "SecretKey 0123456789abcdefghijklmnopq");
	load_bad("AWARD_YOOKASSA_SECRET_KEY");
}

Test(config_yk, timeout_bounds)
{
	env("AWARD_YOOKASSA_TIMEOUT_MS", "0");
	load_bad("AWARD_YOOKASSA_TIMEOUT_MS");
	env("AWARD_YOOKASSA_TIMEOUT_MS", "10s");
	load_bad("AWARD_YOOKASSA_TIMEOUT_MS");
}

Test(config_yk, reconcile_hours_bounds)
{
	struct award_config c;

	env("AWARD_RECONCILE_HOURS", "0");
	load_bad("AWARD_RECONCILE_HOURS");
	env("AWARD_RECONCILE_HOURS", "2161");
	load_bad("AWARD_RECONCILE_HOURS");
	env("AWARD_RECONCILE_HOURS", "1");
	load_ok(&c);
	cr_assert_eq(c.reconcile_hours, 1);
}

Test(config_yk, verify_payments_only_0_or_1)
{
	env("AWARD_VERIFY_PAYMENTS", "yes");
	load_bad("AWARD_VERIFY_PAYMENTS");
}

Test(config_yk, verify_without_shop_id_is_startup_error)
{
	env("AWARD_VERIFY_PAYMENTS", "1");
	env("AWARD_YOOKASSA_SECRET_KEY", KEY);
	load_bad("AWARD_YOOKASSA_SHOP_ID");
}

Test(config_yk, verify_without_key_is_startup_error)
{
	env("AWARD_VERIFY_PAYMENTS", "1");
	env("AWARD_YOOKASSA_SHOP_ID", "123456");
	load_bad("AWARD_YOOKASSA_SECRET_KEY");
}

Test(config_yk, api_urls_accepted)
{
	static const char *const ok[] = {
		"https://api.yookassa.ru/v3",
		"https://api.yookassa.ru:443/v3",
		"https://example.net",
		"http://127.0.0.1:8080/v3",
		"http://127.1.2.3/v3",
		"http://localhost:1/v3",
		"http://[::1]:9000/v3",
		"https://api.yookassa.ru:65535/v3",
	};
	struct award_config c;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		env("AWARD_YOOKASSA_API", ok[i]);
		load_ok(&c);
		cr_assert_str_eq(c.yk_api, ok[i]);
	}
}

Test(config_yk, api_urls_refused)
{
	static const char *const bad[] = {
		"http://api.yookassa.ru/v3",	/* plain http, not loopback */
		"http://10.0.0.1/v3",
		"http://128.0.0.1/v3",
		"http://127.0.0.1.example.com/v3",
		"http://localhost.example.com/v3",
		"http://[::2]/v3",
		"ftp://127.0.0.1/v3",
		"api.yookassa.ru/v3",
		"https://api.yookassa.ru/v3/",
		"https://shop:SecretKey@api.yookassa.ru/v3",
		"https://api.yookassa.ru/v3?x=1",
		"https://api.yookassa.ru:x/v3",
		"https://api.yookassa.ru:0/v3",	/* ports are 1-65535 */
		"https://api.yookassa.ru:65536/v3",
		"https://api.yookassa.ru:99999/v3",
		"https://api.yookassa.ru:/v3",
		"https:///v3",
		"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env("AWARD_YOOKASSA_API", bad[i]);
		load_bad("AWARD_YOOKASSA_API");
	}
}
