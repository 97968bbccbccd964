/*
 * Unit tests for common/db.c (SPEC.md §3): schema applied idempotently
 * with a version, WAL, the connection settings, the bot database attached
 * (tables in the right file), refusal of a newer schema, the bot
 * database's identity (SPEC.md §10) and the modes of new files (§7).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "award.h"
#include "db.h"
#include "roles.h"
#include "testutil.h"

static struct tu_env env;

static const char *const bot_tables[] = {
	"contests", "user_referrals", "ref_events", "ticket_ledger",
	"plan_tickets",
};
static const char *const service_tables[] = {
	"award_meta", "payments", "refunds", "failed_awards", "retry_runs",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* The version this build writes, as the text award_meta holds. */
#define SCHEMA_STR_(v) #v
#define SCHEMA_STR(v) SCHEMA_STR_(v)
#define SCHEMA_V SCHEMA_STR(DB_SCHEMA_VERSION)

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

/* The first column of a one-row query on the context's own connection. */
static char *
ctx_str(const char *sql)
{
	sqlite3_stmt	*st = NULL;
	char		*s = NULL;

	cr_assert_eq(sqlite3_prepare_v2(env.ctx->db, sql, -1, &st, NULL),
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(env.ctx->db));
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

static int64_t
schema_objects(const char *path)
{
	return tu_int_file(path, "SELECT count(*) FROM sqlite_master");
}

Test(db, schema_applied_idempotently_with_version, .init = setup,
    .fini = teardown)
{
	int64_t objects;

	tu_open(&env);
	tu_close(&env);
	objects = schema_objects(env.cfg.db_path);
	cr_assert_gt(objects, 10);
	tu_open(&env);
	tu_close(&env);
	tu_open(&env);
	cr_assert_eq(schema_objects(env.cfg.db_path), objects,
	    "reopening changed the schema");
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM"
	    " award_meta WHERE key = 'schema_version'"), SCHEMA_V,
	    "schema_version");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " award_meta WHERE key = 'schema_version'"), 1);
	for (size_t i = 0; i < NELEM(bot_tables); i++)
		cr_assert(tu_table_exists(env.cfg.db_path, bot_tables[i]),
		    "%s missing", bot_tables[i]);
	for (size_t i = 0; i < NELEM(service_tables); i++)
		cr_assert(tu_table_exists(env.cfg.db_path, service_tables[i]),
		    "%s missing", service_tables[i]);
}

Test(db, reopen_keeps_data, .init = setup, .fini = teardown)
{
	tu_open(&env);
	tu_plan(&env, "p30", 3);
	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, order_created_at, created_at, updated_at)"
	    " VALUES ('pay-1', 'o1', 1, 'p30', 'x', 'x', 'x')");
	tu_close(&env);
	tu_open(&env);
	cr_assert_eq(tu_int(&env, "SELECT tickets FROM plan_tickets"), 3);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 1);
}

Test(db, two_contexts_at_once, .init = setup, .fini = teardown)
{
	struct award_ctx	*second;
	char			 err[CONFIG_ERR_MAX];

	tu_open(&env);
	second = award_ctx_open(&env.cfg, &tu_role_all, err, sizeof(err));
	cr_assert_not_null(second, "second context: %s", err);
	award_ctx_close(second);
	award_ctx_close(NULL);	/* a no-op */
}

/*
 * db_moved: NULL while both files are where they were opened; the path of
 * the one deleted or renamed since, the bot's too.
 */
Test(db, moved_names_the_file_gone, .init = setup_sep, .fini = teardown)
{
	char	 kept[CONFIG_PATH_MAX + 8];
	const char *bot = tu_bot_path(&env);

	tu_open(&env);
	cr_assert_null(db_moved(env.ctx->db));
	snprintf(kept, sizeof(kept), "%s.kept", bot);
	cr_assert_eq(rename(bot, kept), 0);
	cr_assert_str_eq(db_moved(env.ctx->db) ? db_moved(env.ctx->db) : "",
	    bot, "bot renamed");
	cr_assert_eq(rename(kept, bot), 0);
	cr_assert_null(db_moved(env.ctx->db), "bot back in place");
	cr_assert_eq(unlink(env.cfg.db_path), 0);
	cr_assert_str_eq(db_moved(env.ctx->db) ? db_moved(env.ctx->db) : "",
	    env.cfg.db_path, "main deleted");
}

/* db_flag: the one row's first column as 1 or 0; no row is -1. */
Test(db, flag_of_one_row_or_minus_one, .init = setup, .fini = teardown)
{
	sqlite3_stmt *st;

	tu_open(&env);
	cr_assert_eq(sqlite3_prepare_v2(env.ctx->db, "SELECT ?1 = 'yes'"
	    " WHERE ?1 <> 'none'", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(db_flag(st, "yes"), 1);
	cr_assert_eq(db_flag(st, "no"), 0);
	cr_assert_eq(db_flag(st, "none"), -1);
	cr_assert_eq(db_flag(st, "yes"), 1, "not reset for the next use");
	sqlite3_finalize(st);
}

/*
 * A role prepares the statements of its parts into their slots, and only
 * those (ctx.h): a reader has no write statements, a checkpointer none.
 */
Test(db, role_prepares_its_parts_only, .init = setup, .fini = teardown)
{
	const struct award_role *roles[] = {
		&roles_writer, &roles_reader, &roles_checkpointer,
	};
	struct award_ctx	*c;
	char			 err[CONFIG_ERR_MAX];

	for (size_t i = 0; i < NELEM(roles); i++) {
		int w = roles[i] == &roles_writer, r = roles[i] == &roles_reader;

		c = award_ctx_open(&env.cfg, roles[i], err, sizeof(err));
		cr_assert_not_null(c, "%s: %s", roles[i]->name, err);
		cr_assert_eq(c->aw != NULL, w, "%s: award", roles[i]->name);
		cr_assert_eq(c->rf != NULL, w, "%s: refund", roles[i]->name);
		cr_assert_eq(c->rq != NULL, w, "%s: retryq", roles[i]->name);
		cr_assert_eq(c->tt != NULL, w, "%s: totals", roles[i]->name);
		cr_assert_eq(c->jb != NULL, w, "%s: job", roles[i]->name);
		cr_assert_eq(c->st != NULL, r, "%s: stats", roles[i]->name);
		cr_assert_eq(c->lk != NULL, r, "%s: lookup", roles[i]->name);
		/* One of the part's statements runs on this connection. */
		if (w)
			cr_assert_eq(sqlite3_stmt_readonly(c->aw[0]), 0);
		award_ctx_close(c);
	}
}

static int
race_open(int idx, void *arg)
{
	const struct tu_env	*e = arg;
	struct award_ctx	*ctx;
	char			 err[CONFIG_ERR_MAX];

	tu_race_go();
	/* Opening the files is what races; no statements are needed. */
	if ((ctx = award_ctx_open(&e->cfg, &roles_checkpointer, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "process %d: award_ctx_open: %s\n", idx, err);
		return 1;
	}
	award_ctx_close(ctx);
	return 0;
}

static void
race_first_open(void)
{
	char	 db[CONFIG_PATH_MAX], bot[CONFIG_PATH_MAX];
	int	 codes[TU_RACE_MAX], sep = env.cfg.bot_db_path[0] != '\0';

	/*
	 * Processes opening files that do not exist yet (award-fcgi and
	 * award-retry started together on a new host). A lost race shows
	 * only now and then, so: several rounds, each on new files.
	 */
	for (int round = 0; round < 30; round++) {
		snprintf(db, sizeof(db), "%s/award-%d.db", env.dir, round);
		snprintf(bot, sizeof(bot), "%s/bot-%d.db", env.dir, round);
		snprintf(env.cfg.db_path, sizeof(env.cfg.db_path), "%s", db);
		if (sep)
			snprintf(env.cfg.bot_db_path,
			    sizeof(env.cfg.bot_db_path), "%s", bot);
		tu_race(12, race_open, &env, codes);
		for (int i = 0; i < 12; i++)
			cr_assert_eq(codes[i], 0, "round %d: process %d could "
			    "not open the new databases (see stderr)", round,
			    i);
		tu_assert_str(tu_str_file(db, "SELECT value FROM award_meta"
		    " WHERE key = 'schema_version'"), SCHEMA_V, "schema_version");
	}
}

/* The timeout catches a hang only: 360 opens take long under ASan on a
 * loaded machine. */
Test(db, concurrent_first_open_of_new_files, .init = setup,
    .fini = teardown, .timeout = 600)
{
	race_first_open();
}

Test(db, journal_mode_wal, .init = setup, .fini = teardown)
{
	tu_open(&env);
	tu_assert_str(tu_str_file(env.cfg.db_path, "PRAGMA journal_mode"),
	    "wal", "journal_mode of the database file");
	tu_assert_str(ctx_str("PRAGMA main.journal_mode"), "wal",
	    "journal_mode on the context's connection");
}

Test(db, journal_mode_wal_both_files, .init = setup_sep, .fini = teardown)
{
	tu_open(&env);
	tu_assert_str(tu_str_file(env.cfg.db_path, "PRAGMA journal_mode"),
	    "wal", "service file");
	tu_assert_str(tu_str_file(tu_bot_path(&env), "PRAGMA journal_mode"),
	    "wal", "bot file");
	tu_assert_str(ctx_str("PRAGMA bot.journal_mode"), "wal",
	    "attached bot database");
}

Test(db, connection_settings_busy_timeout_synchronous, .init = setup_sep,
    .fini = teardown)
{
	env.cfg.synchronous_full = 0;
	tu_open(&env);
	tu_assert_str(ctx_str("PRAGMA main.synchronous"), "1",
	    "main.synchronous (NORMAL)");
	tu_assert_str(ctx_str("PRAGMA bot.synchronous"), "1",
	    "bot.synchronous (NORMAL)");
	tu_close(&env);
	env.cfg.synchronous_full = 1;
	tu_open(&env);
	tu_assert_str(ctx_str("PRAGMA main.synchronous"), "2",
	    "main.synchronous (FULL)");
	tu_assert_str(ctx_str("PRAGMA bot.synchronous"), "2",
	    "bot.synchronous (FULL)");
}

/* AWARD_BUSY_TIMEOUT_MS bounds the wait for a lock, then it is an error. */
Test(db, busy_timeout_bounds_the_wait, .init = setup_sep, .fini = teardown)
{
	struct award_req	 req = tu_req("o1", 42, "p1",
				    "2026-11-27T10:00:00.000Z");
	struct award_out	 out;
	struct timespec		 t0, t1;
	sqlite3			*lock;
	long			 ms;

	env.cfg.busy_timeout_ms = 300;
	tu_open(&env);
	lock = tu_lock(tu_bot_path(&env));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_FAILED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tu_unlock(lock);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_assert(ms >= 300 && ms < 3000, "waited %ld ms for a 300 ms "
	    "busy timeout", ms);
	tu_assert_contains(strdup(out.error), "locked", "the error names the "
	    "lock");
}

Test(db, separate_bot_db_tables_in_their_files, .init = setup_sep,
    .fini = teardown)
{
	const char *bot = tu_bot_path(&env);

	tu_open(&env);
	for (size_t i = 0; i < NELEM(bot_tables); i++) {
		cr_assert(tu_table_exists(bot, bot_tables[i]),
		    "%s missing in the bot file", bot_tables[i]);
		cr_assert_not(tu_table_exists(env.cfg.db_path, bot_tables[i]),
		    "%s created in the service file", bot_tables[i]);
	}
	for (size_t i = 0; i < NELEM(service_tables); i++) {
		cr_assert(tu_table_exists(env.cfg.db_path, service_tables[i]),
		    "%s missing in the service file", service_tables[i]);
		cr_assert_not(tu_table_exists(bot, service_tables[i]),
		    "%s created in the bot file", service_tables[i]);
	}
	cr_assert_eq(db_same_file(env.ctx->db), 0);
	/* Attached once, as "bot", to the bot file. */
	tu_assert_contains(ctx_str("SELECT file FROM pragma_database_list"
	    " WHERE name = 'bot'"), "/bot.db", "the bot database's file");
	tu_assert_str(ctx_str("SELECT count(*) FROM pragma_database_list"),
	    "2", "databases on the connection");
}

Test(db, one_file_not_attached, .init = setup, .fini = teardown)
{
	tu_open(&env);
	cr_assert_eq(db_same_file(env.ctx->db), 1);
	tu_assert_str(ctx_str("SELECT count(*) FROM pragma_database_list"
	    " WHERE name = 'bot'"), "0", "bot attached");
}

Test(db, bot_path_same_file_other_spelling_not_attached, .init = setup,
    .fini = teardown)
{
	/* Created first, so that the two spellings can be compared. */
	tu_open(&env);
	tu_close(&env);
	snprintf(env.cfg.bot_db_path, sizeof(env.cfg.bot_db_path),
	    "%s/./award.db", env.dir);
	tu_open(&env);
	cr_assert_eq(db_same_file(env.ctx->db), 1,
	    "the same file was attached to itself");
}

Test(db, newer_schema_version_refused, .init = setup, .fini = teardown)
{
	struct award_ctx	*ctx;
	char			 err[CONFIG_ERR_MAX] = "";

	tu_open(&env);
	tu_close(&env);
	tu_exec_file(env.cfg.db_path, "UPDATE award_meta SET value = '99'"
	    " WHERE key = 'schema_version'");
	ctx = award_ctx_open(&env.cfg, &tu_role_all, err, sizeof(err));
	award_ctx_close(ctx);
	cr_assert_null(ctx, "opened a database of schema version 99");
	cr_assert_neq(err[0], '\0', "no message");
	cr_assert(strstr(err, "version") != NULL && strstr(err, "99") != NULL,
	    "message: %s", err);
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM"
	    " award_meta WHERE key = 'schema_version'"), "99",
	    "the newer version was overwritten");
}

Test(db, unwritable_path_fails_with_message, .init = setup,
    .fini = teardown)
{
	struct award_ctx	*ctx;
	char			 err[CONFIG_ERR_MAX] = "";

	snprintf(env.cfg.db_path, sizeof(env.cfg.db_path),
	    "%s/no/such/dir/award.db", env.dir);
	ctx = award_ctx_open(&env.cfg, &tu_role_all, err, sizeof(err));
	award_ctx_close(ctx);
	cr_assert_null(ctx);
	cr_assert(strstr(err, "no/such/dir") != NULL, "message: %s", err);
}

Test(db, time_functions_award_ms_award_iso, .init = setup,
    .fini = teardown)
{
	tu_open(&env);
	tu_assert_str(ctx_str("SELECT award_ms('2026-11-27T13:51:18.139+03:00')"
	    " = award_ms('2026-11-27 10:51:18.139')"), "1",
	    "award_ms of an offset and of SQLite's form");
	tu_assert_str(ctx_str("SELECT award_iso(award_ms("
	    "'2026-11-27T13:51:18+03:00'))"), "2026-11-27T10:51:18.000Z",
	    "award_iso");
	tu_assert_str(ctx_str("SELECT award_ms('not a time') IS NULL"), "1",
	    "award_ms of junk");
}

Test(db, service_file_bot_tables_not_used_when_bot_separate,
    .init = setup, .fini = teardown)
{
	struct award_req	 req;
	struct award_out	 out;
	struct award_ctx	*ctx;
	char			 err[CONFIG_ERR_MAX] = "";

	/*
	 * Run first with one file (the default), then with AWARD_BOT_DB
	 * set: the service file still holds the old bot tables. Awards must
	 * go to the bot database named in the configuration, or the open
	 * must refuse; never to the stale copy in the service file.
	 */
	tu_open(&env);
	tu_close(&env);
	snprintf(env.cfg.bot_db_path, sizeof(env.cfg.bot_db_path),
	    "%s/bot.db", env.dir);
	ctx = award_ctx_open(&env.cfg, &tu_role_all, err, sizeof(err));
	if (ctx == NULL) {
		cr_assert_neq(err[0], '\0');
		return;		/* refused with a message: acceptable */
	}
	env.ctx = ctx;
	tu_exec_file(tu_bot_path(&env),
	    "INSERT INTO contests VALUES ('c1', '2026-11-01T00:00:00Z',"
	    " '2026-11-30T00:00:00Z', 30, 1);"
	    "INSERT INTO plan_tickets VALUES ('p30', 3)");
	req = tu_req("o1", 1001, "p30", "2026-11-27T10:00:00Z");
	award_apply(env.ctx, &req, &out);
	cr_assert_eq(out.result, AWARD_AWARDED, "got %s (%s): the contest "
	    "and plan of the bot file were not seen",
	    award_result_name(out.result), out.error);
	cr_assert_eq(tu_int_file(tu_bot_path(&env), "SELECT count(*) FROM"
	    " ticket_ledger"), 1, "ledger row not in the bot file");
}

/*
 * Version 3 databases kept the payments totals' triggers of the build that
 * made them: one where a payment refunded in full needed amount_minor > 0.
 * Opened at 4, the triggers are schema.sql's again and the totals are to
 * be filled again from the rows (totals_ready), whatever they held.
 */
Test(db, version_3_payments_triggers_replaced, .init = setup,
    .fini = teardown)
{
	char *now;

	tu_open(&env);
	now = ctx_str("SELECT sql FROM sqlite_master"
	    " WHERE name = 'payments_totals_insert'");
	cr_assert_not_null(now);
	tu_close(&env);
	tu_exec_file(env.cfg.db_path, "DROP TRIGGER payments_totals_insert;"
	    " DROP TRIGGER retry_runs_counted; DROP TABLE retry_totals;"
	    " INSERT INTO retry_runs(started_at, duration_ms, picked,"
	    " awarded, duplicate, not_eligible, refunds, failed, dead, forced)"
	    " VALUES ('2026-11-01T00:00:00.000Z', 1, 0, 0, 0, 0, 0, 0, 0, 0),"
	    " ('2026-11-01T00:05:00.000Z', 1, 0, 0, 0, 0, 0, 0, 0, 0);"
	    " DROP TRIGGER reconcile_runs_recovered;"
	    " DROP TABLE reconcile_totals;"
	    " INSERT INTO reconcile_runs(started_at, finished_at, since,"
	    " fetched_payments, fetched_refunds, known, skipped, awarded,"
	    " duplicate, not_eligible, queued, reversed, partial,"
	    " unknown_payment, api_requests) VALUES"
	    " ('2026-11-01T00:00:00.000Z', '2026-11-01T00:00:01.000Z',"
	    " '2026-10-29T00:00:00.000Z', 5, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 1),"
	    " ('2026-11-01T01:00:00.000Z', '2026-11-01T01:00:01.000Z',"
	    " '2026-10-29T01:00:00.000Z', 4, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 1);"
	    " CREATE TRIGGER payments_totals_insert AFTER INSERT ON payments"
	    " BEGIN INSERT INTO payment_totals(outcome, payments, refunded)"
	    " VALUES (coalesce(new.outcome, ''), 1, coalesce(new.amount_minor"
	    " > 0 AND new.refunded_minor >= new.amount_minor, 0))"
	    " ON CONFLICT(outcome) DO UPDATE SET payments = payments + 1,"
	    " refunded = refunded + excluded.refunded; END;"
	    " INSERT INTO totals_ready VALUES ('payments', 1)"
	    " ON CONFLICT(name) DO UPDATE SET ready = 1;"
	    " UPDATE award_meta SET value = '3'"
	    " WHERE key = 'schema_version'");
	tu_open(&env);
	tu_assert_str(ctx_str("SELECT sql FROM sqlite_master"
	    " WHERE name = 'payments_totals_insert'"), now, "the trigger");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT ready FROM"
	    " totals_ready WHERE name = 'payments'"), 0, "totals not redone");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT runs FROM"
	    " retry_totals"), 2, "the runs of version 3 not counted");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT recovered FROM"
	    " reconcile_totals"), 7, "the recovered of version 3 not counted");
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM"
	    " award_meta WHERE key = 'schema_version'"), SCHEMA_V,
	    "schema_version");
	free(now);
}

/*
 * A version 1 service database (refunds without currency and status, rows
 * in it) is migrated in place: columns added, its refunds kept and taken
 * as counted (version 1 counted every refund it stored), version 2.
 */
Test(db, version_1_refunds_table_migrated, .init = setup,
    .fini = teardown)
{
	tu_exec_file(env.cfg.db_path, "CREATE TABLE award_meta(key TEXT"
	    " PRIMARY KEY, value TEXT NOT NULL);"
	    " INSERT INTO award_meta VALUES ('schema_version', '1');"
	    " CREATE TABLE refunds(refund_id TEXT PRIMARY KEY,"
	    " payment_id TEXT NOT NULL, amount_minor INTEGER NOT NULL,"
	    " created_at TEXT NOT NULL);"
	    " INSERT INTO refunds VALUES ('r-old', 'pay-old', 500,"
	    " '2026-11-01T00:00:00.000Z')");
	tu_open(&env);
	tu_close(&env);
	tu_open(&env);	/* a second open finds nothing to do */
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM"
	    " award_meta WHERE key = 'schema_version'"), SCHEMA_V,
	    "schema_version");
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT refund_id || '|'"
	    " || amount_minor || '|' || status || '|' ||"
	    " coalesce(currency, 'null') FROM refunds"),
	    "r-old|500|counted|null", "the version 1 refund");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " sqlite_master WHERE name = 'refunds_payment'"), 1,
	    "index on the new column missing");
	tu_exec_file(env.cfg.db_path, "INSERT INTO refunds(refund_id,"
	    " payment_id, amount_minor, created_at, currency, status)"
	    " VALUES ('r-new', 'pay-new', 1, 'x', 'RUB', 'pending')");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " refunds WHERE status = 'pending'"), 1);
}

/* ---- the bot database's identity (SPEC.md §10) ---- */

/* FNV-1a of a file's bytes; 0 when it does not exist. */
static uint64_t
file_sum(const char *path)
{
	FILE		*f = fopen(path, "rb");
	uint64_t	 h = 1469598103934665603ULL;
	int		 ch;

	if (f == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		h = (h ^ (uint64_t)ch) * 1099511628211ULL;
	fclose(f);
	return h;
}

/* award_ctx_open() must fail naming both paths, with one line. */
static void
open_refused(const char *what)
{
	struct award_ctx	*ctx;
	char			 err[CONFIG_ERR_MAX] = "";

	ctx = award_ctx_open(&env.cfg, &tu_role_all, err, sizeof(err));
	award_ctx_close(ctx);
	cr_assert_null(ctx, "%s: opened", what);
	cr_assert_not_null(strstr(err, env.cfg.db_path), "%s: \"%s\" does not "
	    "name the service database", what, err);
	cr_assert_not_null(strstr(err, tu_bot_path(&env)), "%s: \"%s\" does "
	    "not name the bot database", what, err);
	cr_assert_null(strchr(err, '\n'), "%s: not one line: %s", what, err);
}

Test(db, identity_recorded_on_first_open, .init = setup_sep,
    .fini = teardown)
{
	char *id;

	tu_open(&env);
	id = tu_str_file(tu_bot_path(&env), "SELECT value FROM "
	    "award_bot_identity WHERE id = 1");
	cr_assert_eq(strlen(id), 32, "identity: %s", id);
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM "
	    "award_meta WHERE key = 'bot_identity'"), id, "recorded identity");
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM "
	    "award_meta WHERE key = 'bot_db_path'"), tu_bot_path(&env),
	    "recorded path");
	cr_assert_not(tu_table_exists(env.cfg.db_path, "award_bot_identity"),
	    "the identity table was made in the service file");
	/* Reopening the same pair keeps it. */
	tu_close(&env);
	tu_open(&env);
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM "
	    "award_meta WHERE key = 'bot_identity'"), id, "after reopen");
	free(id);
}

Test(db, identity_single_file_opens_again, .init = setup, .fini = teardown)
{
	char *id;

	tu_open(&env);
	tu_close(&env);
	tu_open(&env);
	id = tu_str(&env, "SELECT value FROM award_bot_identity");
	tu_assert_str(tu_str(&env, "SELECT value FROM award_meta WHERE key ="
	    " 'bot_identity'"), id, "one file records itself");
	free(id);
}

/* A bot path that does not exist: refused, nothing created anywhere. */
Test(db, identity_missing_bot_db_refused_nothing_written,
    .init = setup_sep, .fini = teardown)
{
	char		 other[CONFIG_PATH_MAX];
	uint64_t	 sum;

	tu_open(&env);
	tu_close(&env);
	sum = file_sum(env.cfg.db_path);
	snprintf(other, sizeof(other), "%s/nobot.db", env.dir);
	snprintf(env.cfg.bot_db_path, sizeof(env.cfg.bot_db_path), "%s",
	    other);
	open_refused("missing bot database");
	cr_assert_eq(access(other, F_OK), -1, "the missing bot file was made");
	cr_assert_eq(file_sum(env.cfg.db_path), sum, "the service file "
	    "changed");
}

/* Another bot database (set up by another pair): refused, both intact. */
Test(db, identity_other_bot_db_refused_nothing_written, .init = setup_sep,
    .fini = teardown)
{
	struct award_config	 keep = env.cfg;
	uint64_t		 sum, osum;

	tu_open(&env);
	tu_close(&env);
	snprintf(env.cfg.db_path, sizeof(env.cfg.db_path), "%s/award2.db",
	    env.dir);
	snprintf(env.cfg.bot_db_path, sizeof(env.cfg.bot_db_path),
	    "%s/bot2.db", env.dir);
	tu_open(&env);
	tu_close(&env);
	osum = file_sum(env.cfg.bot_db_path);
	sum = file_sum(keep.db_path);
	snprintf(env.cfg.db_path, sizeof(env.cfg.db_path), "%s",
	    keep.db_path);
	open_refused("another bot database");
	cr_assert_eq(file_sum(keep.db_path), sum, "the service file changed");
	cr_assert_eq(file_sum(env.cfg.bot_db_path), osum, "the other bot file "
	    "changed");
}

/*
 * The service database of a two-file pair opened with no bot path (the
 * bot database defaults to the service file): refused, and no bot tables
 * appear in the service file.
 */
Test(db, identity_service_file_as_bot_refused, .init = setup_sep,
    .fini = teardown)
{
	uint64_t sum;

	tu_open(&env);
	tu_close(&env);
	sum = file_sum(env.cfg.db_path);
	env.cfg.bot_db_path[0] = '\0';
	open_refused("service file as its own bot database");
	for (size_t i = 0; i < NELEM(bot_tables); i++)
		cr_assert_not(tu_table_exists(env.cfg.db_path, bot_tables[i]),
		    "%s created in the service file", bot_tables[i]);
	cr_assert_eq(file_sum(env.cfg.db_path), sum, "the service file "
	    "changed");
}

/* The same bot file under another name is the same bot database. */
Test(db, identity_same_bot_moved_accepted, .init = setup_sep,
    .fini = teardown)
{
	char moved[CONFIG_PATH_MAX];

	tu_open(&env);
	tu_close(&env);
	snprintf(moved, sizeof(moved), "%s/bot-moved.db", env.dir);
	cr_assert_eq(rename(env.cfg.bot_db_path, moved), 0);
	snprintf(env.cfg.bot_db_path, sizeof(env.cfg.bot_db_path), "%s",
	    moved);
	tu_open(&env);
}

/* ---- file modes (SPEC.md §7) ---- */

static void
assert_mode(const char *path, mode_t want)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_mode & 0777, want, "%s: mode %o, want %o", path,
	    (unsigned)(st.st_mode & 0777), (unsigned)want);
}

Test(db, new_files_mode_0640, .init = setup_sep, .fini = teardown)
{
	char	path[CONFIG_PATH_MAX + 8];

	umask(022);	/* a lax umask: the library still makes 0640 */
	tu_open(&env);
	assert_mode(env.cfg.db_path, 0640);
	assert_mode(tu_bot_path(&env), 0640);
	snprintf(path, sizeof(path), "%s-wal", env.cfg.db_path);
	assert_mode(path, 0640);
	snprintf(path, sizeof(path), "%s-shm", env.cfg.db_path);
	assert_mode(path, 0640);
}

/*
 * A version 2 queue (failed_awards without verify, a pending row in it)
 * gains the column of version 3 (SPEC.md §11), its rows unmarked.
 */
Test(db, version_2_failed_awards_gains_verify, .init = setup,
    .fini = teardown)
{
	tu_open(&env);
	tu_close(&env);
	tu_exec_file(env.cfg.db_path, "DROP TABLE failed_awards;"
	    " CREATE TABLE failed_awards(id INTEGER PRIMARY KEY, kind TEXT"
	    " NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts"
	    " INTEGER NOT NULL DEFAULT 1, last_error TEXT, outcome TEXT,"
	    " order_id TEXT, telegram_id INTEGER, plan_id TEXT,"
	    " order_created_at TEXT, payment_id TEXT, amount_minor INTEGER,"
	    " currency TEXT, refund_id TEXT, created_at TEXT NOT NULL,"
	    " updated_at TEXT NOT NULL, last_attempt_at TEXT NOT NULL,"
	    " next_attempt_at TEXT NOT NULL, next_attempt_ms INTEGER NOT NULL);"
	    " INSERT INTO failed_awards(kind, order_id, created_at, updated_at,"
	    " last_attempt_at, next_attempt_at, next_attempt_ms) VALUES"
	    " ('award', 'o-old', 'x', 'x', 'x', 'x', 0);"
	    " UPDATE award_meta SET value = '2' WHERE key = 'schema_version'");
	tu_open(&env);
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT order_id || '|' ||"
	    " verify FROM failed_awards"), "o-old|0", "the version 2 row");
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT value FROM"
	    " award_meta WHERE key = 'schema_version'"), SCHEMA_V,
	    "schema_version");
}
