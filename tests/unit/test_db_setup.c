/*
 * Unit tests for common/db_setup.c: db_setup_state() (SPEC.md §6 "Not set
 * up yet": no service database means NONE, and nothing is created) and
 * db_check() (`award-fcgi --check`: one line per check, FAIL on a wrong
 * pairing or a newer schema, nothing created).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "db.h"
#include "testutil.h"

static struct tu_env env;

static void
setup(void)
{
	tu_init(&env, 0);
}

static void
setup_sep(void)
{
	tu_init(&env, 1);
}

static void
teardown(void)
{
	tu_fini(&env);
}

/* Entries in the test's directory. */
static int
entries(void)
{
	DIR		*d = opendir(env.dir);
	struct dirent	*e;
	int		 n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* db_check(&env.cfg) into a malloc'd string; *rc its result. */
static char *
check(int *rc)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	*rc = db_check(&env.cfg, f);
	fclose(f);
	return buf;
}

Test(db_setup, none_without_service_database_creates_nothing,
    .init = setup_sep, .fini = teardown)
{
	char msg[CONFIG_ERR_MAX];

	cr_assert_eq(db_setup_state(&env.cfg, msg, sizeof(msg)),
	    DB_SETUP_NONE);
	cr_assert(strstr(msg, "not set up") != NULL, "msg: %s", msg);
	cr_assert(strstr(msg, env.cfg.db_path) != NULL, "msg: %s", msg);
	cr_assert_eq(entries(), 0, "a file was created");
}

/*
 * The bot's own database exists (its tables, its data) and the service
 * database not yet: a pair to start, not "not set up" (SPEC.md §6 names
 * only the case where neither file exists).
 */
Test(db_setup, ready_with_bot_database_alone, .init = setup_sep,
    .fini = teardown)
{
	char msg[CONFIG_ERR_MAX];

	tu_exec_file(env.cfg.bot_db_path, "CREATE TABLE plan_tickets(plan_id"
	    " TEXT PRIMARY KEY, tickets INTEGER NOT NULL)");
	cr_assert_eq(db_setup_state(&env.cfg, msg, sizeof(msg)),
	    DB_SETUP_READY, "msg: %s", msg);
}

Test(db_setup, ready_once_created, .init = setup, .fini = teardown)
{
	char msg[CONFIG_ERR_MAX];

	tu_open(&env);
	tu_close(&env);
	cr_assert_eq(db_setup_state(&env.cfg, msg, sizeof(msg)),
	    DB_SETUP_READY);
}

Test(db_setup, error_when_path_cannot_be_looked_at, .init = setup,
    .fini = teardown)
{
	char msg[CONFIG_ERR_MAX];

	/* A file where a directory should be: not "not set up". */
	tu_exec_file(env.cfg.db_path, "CREATE TABLE t(x)");
	snprintf(env.cfg.db_path + strlen(env.cfg.db_path),
	    sizeof(env.cfg.db_path) - strlen(env.cfg.db_path), "/x.db");
	cr_assert_eq(db_setup_state(&env.cfg, msg, sizeof(msg)),
	    DB_SETUP_ERROR);
	cr_assert(strstr(msg, "x.db") != NULL, "msg: %s", msg);
}

Test(db_setup, check_before_first_start_warns_creates_nothing,
    .init = setup_sep, .fini = teardown)
{
	char	*out;
	int	 rc;

	out = check(&rc);
	/* The bot database of another file must exist: FAIL. */
	cr_assert_eq(rc, -1, "%s", out);
	cr_assert(strstr(out, "warn service database: ") != NULL, "%s", out);
	cr_assert(strstr(out, "FAIL bot database: ") != NULL, "%s", out);
	cr_assert_eq(entries(), 0, "--check created a file");
	free(out);
}

Test(db_setup, check_one_file_not_created_is_ok, .init = setup,
    .fini = teardown)
{
	char	*out;
	int	 rc;

	out = check(&rc);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "will hold the bot tables too") != NULL, "%s",
	    out);
	cr_assert(strstr(out, "ok   pairing: not recorded yet") != NULL, "%s",
	    out);
	cr_assert_eq(entries(), 0, "--check created a file");
	free(out);
}

Test(db_setup, check_paired_ok_then_wrong_bot_fails, .init = setup_sep,
    .fini = teardown)
{
	char	*out, other[128];
	int	 rc;

	tu_open(&env);
	tu_close(&env);
	tu_plan(&env, "p1", 1);
	tu_contest(&env, "c1", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z",
	    30, 1);
	out = check(&rc);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "ok   service database: ") != NULL, "%s", out);
	cr_assert(strstr(out, "ok   bot database: ") != NULL, "%s", out);
	cr_assert(strstr(out, "1 contests (1 active), 1 plans") != NULL, "%s",
	    out);
	cr_assert(strstr(out, "ok   pairing: ") != NULL, "%s", out);
	free(out);

	/* Another bot database, with an identity of its own. */
	snprintf(other, sizeof(other), "%s/other.db", env.dir);
	tu_exec_file(other, "CREATE TABLE award_bot_identity(id INTEGER"
	    " PRIMARY KEY, value TEXT, created_at TEXT);"
	    " INSERT INTO award_bot_identity VALUES (1, 'abc', 'x')");
	snprintf(env.cfg.bot_db_path, sizeof(env.cfg.bot_db_path), "%s",
	    other);
	out = check(&rc);
	cr_assert_eq(rc, -1, "%s", out);
	cr_assert(strstr(out, "FAIL pairing: ") != NULL, "%s", out);
	free(out);
}

Test(db_setup, check_newer_schema_fails, .init = setup, .fini = teardown)
{
	char	*out;
	int	 rc;

	tu_open(&env);
	tu_close(&env);
	tu_exec_file(env.cfg.db_path, "UPDATE award_meta SET value = '99'"
	    " WHERE key = 'schema_version'");
	out = check(&rc);
	cr_assert_eq(rc, -1, "%s", out);
	cr_assert(strstr(out, "FAIL service database: ") != NULL &&
	    strstr(out, "schema version 99 is newer") != NULL, "%s", out);
	free(out);
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM"
	    " award_meta WHERE key = 'schema_version'"), "99",
	    "--check wrote");
}
