/*
 * Connection set-up shared by award-fcgi and award-retry. The bot part of
 * schema.sql is applied on a short connection of its own (the bot database
 * may be another file), then the service database is opened, its part
 * applied, and the bot database attached as "bot" once for the life of the
 * connection. Queries name their schema: "main." for service tables and
 * "bot." for bot tables; when both are one file, db_stmts_new() reads
 * "bot." as "main.", so a name never resolves to a same-named table in the
 * other file.
 *
 * The service database remembers its bot database (SPEC.md §10): the bot
 * file holds a random identity (award_bot_identity, created with the bot
 * part), and the service file's award_meta records it on first use
 * (keys bot_identity, bot_db_path). A later open whose bot database has
 * another identity, none, or does not exist is refused before anything
 * is created or written in either file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "db.h"

extern const char award_schema_sql[];	/* schema.sql, built in */

#define SERVICE_MARK "-- @service"

/* award_ms(text) -> INTEGER ms, or NULL when text is not a time we read. */
static void
fn_award_ms(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*s;
	int64_t			 ms;

	(void)argc;
	s = sqlite3_value_text(argv[0]);
	if (s == NULL || atime_parse((const char *)s, &ms) == -1)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, ms);
}

/* award_iso(ms) -> "YYYY-MM-DDTHH:MM:SS.mmmZ" (NULL for NULL). */
static void
fn_award_iso(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[ATIME_BUFSZ];

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	atime_format(sqlite3_value_int64(argv[0]), buf);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errsz, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/*
 * One try at applying text (a part of schema.sql) in a transaction begun
 * with begin. Returns the primary SQLite result code of the failure (err
 * set), or SQLITE_OK.
 */
static int
apply_once(sqlite3 *db, const char *text, int service, const char *begin,
    char *err, size_t errsz)
{
	sqlite3_stmt	*st = NULL;
	char		 buf[64];
	int		 have = 0, rc;

	if (exec(db, begin, err, errsz) == -1)
		return sqlite3_errcode(db) & 0xff;
	if (exec(db, text, err, errsz) == -1)
		goto fail;
	if (service) {
		if (sqlite3_prepare_v2(db, "SELECT value FROM main.award_meta "
		    "WHERE key = 'schema_version'", -1, &st, NULL) != SQLITE_OK)
			goto dberr;
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			have = sqlite3_column_int(st, 0);
		else if (rc != SQLITE_DONE)
			goto dberr;
		sqlite3_finalize(st);
		st = NULL;
		if (have > DB_SCHEMA_VERSION) {
			snprintf(err, errsz, "schema version %d is newer than "
			    "this binary's %d", have, DB_SCHEMA_VERSION);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return SQLITE_ERROR;
		}
	}
	if (service && have != DB_SCHEMA_VERSION) {
		snprintf(buf, sizeof(buf), "%d", DB_SCHEMA_VERSION);
		if (sqlite3_prepare_v2(db, "INSERT INTO main.award_meta"
		    "(key, value) VALUES ('schema_version', ?) ON CONFLICT(key)"
		    " DO UPDATE SET value = excluded.value", -1, &st, NULL) !=
		    SQLITE_OK)
			goto dberr;
		sqlite3_bind_text(st, 1, buf, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto dberr;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (exec(db, "COMMIT", err, errsz) == -1)
		goto fail;
	return SQLITE_OK;
dberr:
	snprintf(err, errsz, "%s", sqlite3_errmsg(db));
fail:
	rc = sqlite3_errcode(db) & 0xff;
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc != SQLITE_OK ? rc : SQLITE_ERROR;
}

/*
 * Apply text (a part of schema.sql). The transaction starts deferred: when
 * every object exists, CREATE ... IF NOT EXISTS only reads, so opening a
 * database that is set up never waits for its write lock (a locked bot
 * database must not stop a worker or a retry run from starting, SPEC §4).
 * When something must be created and another connection wrote first, the
 * deferred transaction cannot take the lock; it is run again IMMEDIATE,
 * which waits for it.
 */
static int
apply(sqlite3 *db, const char *text, int service, char *err, size_t errsz)
{
	int rc = apply_once(db, text, service, "BEGIN", err, errsz);

	if (rc == SQLITE_BUSY)
		rc = apply_once(db, text, service, "BEGIN IMMEDIATE", err,
		    errsz);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Columns added after their table first shipped. CREATE TABLE IF NOT
 * EXISTS leaves an older table as it was, so each is added here when
 * missing: checked without a lock, added under BEGIN IMMEDIATE after a
 * second look, so that processes opening one database together add it once.
 */
static const struct {
	const char	*table;		/* in the service database */
	const char	*column;
	const char	*ddl;
} added_columns[] = {
	{ "retry_runs", "stopped",
	    "ALTER TABLE main.retry_runs ADD COLUMN stopped TEXT" },
	/* Version 2: refunds kept before their payment (refund.c). */
	{ "refunds", "currency",
	    "ALTER TABLE main.refunds ADD COLUMN currency TEXT" },
	{ "refunds", "status",
	    "ALTER TABLE main.refunds ADD COLUMN status TEXT NOT NULL"
	    " DEFAULT 'counted'"
	    " CHECK (status IN ('counted', 'pending', 'mismatch'))" },
	/*
	 * Version 3: when a queue row became done, for retention
	 * (retain.c). Rows done before it take their updated_at, which
	 * the change to done set; the partial index finds them by age.
	 */
	{ "failed_awards", "done_ms",
	    "ALTER TABLE main.failed_awards ADD COLUMN done_ms INTEGER;"
	    " UPDATE main.failed_awards SET done_ms = CAST(round("
	    "(julianday(updated_at) - 2440587.5) * 86400000.0) AS INTEGER)"
	    " WHERE status = 'done';"
	    " CREATE INDEX IF NOT EXISTS main.failed_awards_done"
	    " ON failed_awards(done_ms) WHERE status = 'done'" },
	/* Version 3: who acknowledged / requeued a queued row, and when. */
	{ "failed_awards", "acked_at",
	    "ALTER TABLE main.failed_awards ADD COLUMN acked_at TEXT" },
	{ "failed_awards", "acked_by",
	    "ALTER TABLE main.failed_awards ADD COLUMN acked_by TEXT" },
	{ "failed_awards", "requeued_at",
	    "ALTER TABLE main.failed_awards ADD COLUMN requeued_at TEXT" },
	{ "failed_awards", "requeued_by",
	    "ALTER TABLE main.failed_awards ADD COLUMN requeued_by TEXT" },
	/* Version 3: rows to verify with YooKassa's API (SPEC.md §11). */
	{ "failed_awards", "verify",
	    "ALTER TABLE main.failed_awards ADD COLUMN verify INTEGER NOT NULL"
	    " DEFAULT 0" },
};

/* 1 when main.table has column, 0 when not, -1 on error. */
static int
has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1, "
	    "'main') WHERE name = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		found = 1;
	else if (rc != SQLITE_DONE)
		found = -1;
	sqlite3_finalize(st);
	return found;
}

static int
add_columns(sqlite3 *db, char *err, size_t errsz)
{
	for (size_t i = 0; i < sizeof(added_columns) /
	    sizeof(added_columns[0]); i++) {
		int have = has_column(db, added_columns[i].table,
		    added_columns[i].column);

		if (have == 1)
			continue;
		if (have == -1 ||
		    exec(db, "BEGIN IMMEDIATE", err, errsz) == -1)
			goto fail;
		if ((have = has_column(db, added_columns[i].table,
		    added_columns[i].column)) == -1 ||
		    (have == 0 && exec(db, added_columns[i].ddl, err,
		    errsz) == -1) || exec(db, "COMMIT", err, errsz) == -1) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errsz, "%s", sqlite3_errmsg(db));
	return -1;
}

/*
 * The busy handler: poll every millisecond, AWARD_BUSY_TIMEOUT_MS in all.
 * SQLite's own handler backs off to 100 ms between polls, so a writer
 * queued behind a transaction of half a millisecond could wait a second
 * (tests/bench: webhook latency max 1.3 s with it, 35 ms with this, at the
 * same throughput).
 */
static int
busy_wait(void *arg, int n)
{
	const int *timeout_ms = arg;

	if (n >= *timeout_ms)
		return 0;
	sqlite3_sleep(1);
	return 1;
}

/*
 * Switch a new file to WAL. The switch needs an exclusive lock and SQLite
 * does not call the busy handler for it, so processes opening a new file
 * together wait here, bounded by the busy timeout.
 */
static int
wal(sqlite3 *db, int timeout_ms)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, waited = 0;

	if ((rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st,
	    NULL)) != SQLITE_OK)
		return rc;
	while (((rc = sqlite3_step(st)) & 0xff) == SQLITE_BUSY &&
	    waited < timeout_ms) {
		sqlite3_reset(st);
		sqlite3_sleep(10);
		waited += 10;
	}
	/* The mode in force comes back: anything but "wal" is a failure. */
	if (rc == SQLITE_ROW && strcmp(db_col_text(st, 0), "wal") != 0)
		rc = SQLITE_ERROR;
	else if (rc == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

/* Kept in the bot database: which bot database this is. */
static const char identity_sql[] =
    "CREATE TABLE IF NOT EXISTS award_bot_identity("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " value TEXT NOT NULL,"
    " created_at TEXT NOT NULL);";

/*
 * Run sql (parameters ?1, ?2: p1, p2 as text, NULL for none) to its end;
 * the text of its first row's first column into out when out is not NULL
 * ("" when no row). 0, or -1 on an error (the connection's errmsg).
 */
static int
run_text(sqlite3 *db, const char *sql, const char *p1, const char *p2,
    char *out, size_t outsz)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (out != NULL)
		out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (p1 != NULL)
		sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
	if (p2 != NULL)
		sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && out != NULL)
		snprintf(out, outsz, "%s", db_col_text(st, 0));
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* 1 when main has a table of that name, 0 when not, -1 on error. */
static int
has_table(sqlite3 *db, const char *table)
{
	char found[8];

	if (run_text(db, "SELECT 1 FROM main.sqlite_master WHERE type = "
	    "'table' AND name = ?1", table, NULL, found, sizeof(found)) == -1)
		return -1;
	return found[0] != '\0';
}

/*
 * The text of one row of sql (one text parameter, p1) into out; "" when no
 * row or when table does not exist yet (asked of SQLite first). -1 on any
 * other error.
 */
static int
query_text(sqlite3 *db, const char *table, const char *sql, const char *p1,
    char *out, size_t outsz)
{
	int rc;

	out[0] = '\0';
	if ((rc = has_table(db, table)) != 1)
		return rc;
	return run_text(db, sql, p1, NULL, out, outsz);
}

static int
read_identity(sqlite3 *db, char *out, size_t outsz)
{
	return query_text(db, "award_bot_identity", "SELECT value FROM "
	    "main.award_bot_identity WHERE id = 1", NULL, out, outsz);
}

static int
read_meta(sqlite3 *db, const char *key, char *out, size_t outsz)
{
	return query_text(db, "award_meta", "SELECT value FROM main.award_meta"
	    " WHERE key = ?1", key, out, outsz);
}

/*
 * The bot database's identity on bot (a connection to that file), made
 * on first use: a random 128-bit id. Returns 0 with out set, or -1.
 */
static int
ensure_identity(sqlite3 *bot, char *out, size_t outsz, char *err,
    size_t errsz)
{
	char now[ATIME_BUFSZ];

	if (read_identity(bot, out, outsz) == -1)
		goto dberr;
	if (out[0] != '\0')
		return 0;
	atime_format(atime_now_ms(), now);
	if (exec(bot, "BEGIN IMMEDIATE", err, errsz) == -1)
		return -1;
	if (run_text(bot, "INSERT OR IGNORE INTO main.award_bot_identity(id,"
	    " value, created_at) VALUES (1, lower(hex(randomblob(16))), ?1)",
	    now, NULL, NULL, 0) == -1 || exec(bot, "COMMIT", err, errsz) == -1) {
		snprintf(err, errsz, "%s", sqlite3_errmsg(bot));
		sqlite3_exec(bot, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (read_identity(bot, out, outsz) == -1 || out[0] == '\0')
		goto dberr;
	return 0;
dberr:
	snprintf(err, errsz, "%s", sqlite3_errmsg(bot));
	return -1;
}

/*
 * Create a new database file 0640 whatever the umask allows beyond that
 * (SPEC.md §7); SQLite gives its -wal and -shm the mode of this file (and,
 * run as root, its owner). Made by root in a directory another user owns
 * (the service's state directory), the file goes to that user, so that a
 * first run as root leaves nothing the service cannot write. An existing
 * file is left alone.
 */
static void
create_file(const char *path)
{
	struct stat	 st;
	const char	*slash;
	char		 dir[CONFIG_PATH_MAX];
	int		 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) ==
	    -1)
		return;
	if (geteuid() == 0) {
		if ((slash = strrchr(path, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
			    path);
		if (stat(dir, &st) == 0 && st.st_uid != 0 &&
		    fchown(fd, st.st_uid, st.st_gid) == -1) {
			/* Left to root; opening it reports what matters. */
		}
	}
	close(fd);
}

static sqlite3 *
open_file(const char *path, const struct award_config *c, char *err,
    size_t errsz)
{
	sqlite3		*db = NULL;
	const char	*sql;
	char		 tmp[CONFIG_ERR_MAX];

	create_file(path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "open %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_handler(db, busy_wait, (void *)&c->busy_timeout_ms);
	sql = c->synchronous_full ?
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF" :
	    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF";
	if (wal(db, c->busy_timeout_ms) != SQLITE_OK)
		snprintf(tmp, sizeof(tmp), "journal_mode=WAL: %s",
		    sqlite3_errmsg(db));
	else if (exec(db, sql, tmp, sizeof(tmp)) == 0)
		return db;
	snprintf(err, errsz, "%s: %s", path, tmp);
	sqlite3_close(db);
	return NULL;
}

static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return 1;
	if (stat(a, &sa) == -1 || stat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Before anything is created: when the service database at db records a
 * bot identity, the bot database at botpath must exist and hold it.
 * rec receives the recorded identity ("" when none yet). 0, or -1 with
 * the one-line refusal naming both paths in err.
 */
static int
check_identity(sqlite3 *db, const struct award_config *c, const char *botpath,
    char *rec, size_t recsz, char *err, size_t errsz)
{
	sqlite3	*bot = NULL;
	char	 have[64], recpath[CONFIG_PATH_MAX];
	int	 rc;

	if (read_meta(db, "bot_identity", rec, recsz) == -1 ||
	    read_meta(db, "bot_db_path", recpath, sizeof(recpath)) == -1) {
		snprintf(err, errsz, "service database %s: %s", c->db_path,
		    sqlite3_errmsg(db));
		return -1;
	}
	if (rec[0] == '\0')
		return 0;
	if (same_file(c->db_path, botpath))
		rc = read_identity(db, have, sizeof(have));
	else if (sqlite3_open_v2(botpath, &bot, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		rc = -1;
	else {
		sqlite3_busy_handler(bot, busy_wait,
		    (void *)&c->busy_timeout_ms);
		rc = read_identity(bot, have, sizeof(have));
	}
	sqlite3_close(bot);
	if (rc == -1 || have[0] == '\0') {
		snprintf(err, errsz, "bot database %s is missing or is not "
		    "the one service database %s was set up with (%s); "
		    "refusing to start", botpath, c->db_path, recpath);
		return -1;
	}
	if (strcmp(have, rec) != 0) {
		snprintf(err, errsz, "bot database %s is not the one service "
		    "database %s was set up with (%s); refusing to start",
		    botpath, c->db_path, recpath);
		return -1;
	}
	return 0;
}

/*
 * First use of a pair: record the bot identity in the service database.
 * Two first opens racing with different bot databases: the first record
 * stays and the other open is refused.
 */
static int
record_identity(sqlite3 *db, const struct award_config *c, const char *botpath,
    const char *id, char *err, size_t errsz)
{
	char	rec[64];

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK || run_text(db, "INSERT INTO main.award_meta(key, value)"
	    " VALUES ('bot_identity', ?1), ('bot_db_path', ?2)"
	    " ON CONFLICT(key) DO NOTHING", id, botpath, NULL, 0) == -1 ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
	    read_meta(db, "bot_identity", rec, sizeof(rec)) == -1) {
		snprintf(err, errsz, "service database %s: %s", c->db_path,
		    sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (strcmp(rec, id) != 0) {
		snprintf(err, errsz, "bot database %s is not the one service "
		    "database %s was set up with; refusing to start", botpath,
		    c->db_path);
		return -1;
	}
	return 0;
}

sqlite3 *
db_open(const struct award_config *c, char *err, size_t errsz)
{
	sqlite3		*db = NULL, *bot = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*botpath = config_bot_db(c), *mark;
	char		*botpart = NULL, tmp[CONFIG_ERR_MAX];
	char		 rec[64], id[64];
	size_t		 botlen;
	int		 same;

	mark = strstr(award_schema_sql, SERVICE_MARK);
	if (mark == NULL) {
		snprintf(err, errsz, "built-in schema has no service part");
		return NULL;
	}
	botlen = (size_t)(mark - award_schema_sql);
	if ((botpart = malloc(botlen + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	memcpy(botpart, award_schema_sql, botlen);
	botpart[botlen] = '\0';

	/*
	 * The service file first, only to read what it recorded: a wrong
	 * bot path must be refused before its file or tables are created.
	 */
	if ((db = open_file(c->db_path, c, err, errsz)) == NULL)
		goto fail;
	if (check_identity(db, c, botpath, rec, sizeof(rec), err, errsz) == -1)
		goto fail;

	/* The bot part on the bot file: it may be another file. */
	if ((bot = open_file(botpath, c, err, errsz)) == NULL)
		goto fail;
	if (apply(bot, botpart, 0, tmp, sizeof(tmp)) == -1 ||
	    apply(bot, identity_sql, 0, tmp, sizeof(tmp)) == -1 ||
	    ensure_identity(bot, id, sizeof(id), tmp, sizeof(tmp)) == -1) {
		snprintf(err, errsz, "bot database %s: %s", botpath, tmp);
		goto fail;
	}
	same = same_file(c->db_path, botpath);
	sqlite3_close(bot);
	bot = NULL;

	tmp[0] = '\0';
	if (apply(db, mark, 1, tmp, sizeof(tmp)) == -1 ||
	    add_columns(db, tmp, sizeof(tmp)) == -1) {
		snprintf(err, errsz, "service database %s: %s", c->db_path,
		    tmp);
		goto fail;
	}
	if (rec[0] == '\0' && record_identity(db, c, botpath, id, err,
	    errsz) == -1)
		goto fail;
	if (!same) {
		if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS bot", -1,
		    &st, NULL) != SQLITE_OK)
			goto dberr;
		sqlite3_bind_text(st, 1, botpath, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto dberr;
		sqlite3_finalize(st);
		st = NULL;
		if (exec(db, c->synchronous_full ?
		    "PRAGMA bot.synchronous=FULL" :
		    "PRAGMA bot.synchronous=NORMAL", err, errsz) == -1)
			goto fail;
	}
	if (sqlite3_create_function(db, "award_ms", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, fn_award_ms,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "award_iso", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, fn_award_iso,
	    NULL, NULL) != SQLITE_OK)
		goto dberr;
	free(botpart);
	return db;
dberr:
	snprintf(err, errsz, "%s: %s", c->db_path, sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	sqlite3_close(bot);
	sqlite3_close(db);
	free(botpart);
	return NULL;
}

void
db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

int
db_same_file(sqlite3 *db)
{
	return sqlite3_db_filename(db, "bot") == NULL;
}

/* 1 when "bot." starts at p as a whole schema name. */
static int
bot_at(const char *start, const char *p)
{
	char c = p > start ? p[-1] : ' ';

	return strncmp(p, "bot.", 4) == 0 && !(c == '_' || c == '.' ||
	    (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z'));
}

/*
 * sql with the schema name "bot." read as "main."; malloc'd, NULL if out
 * of memory. The SQL of this library has no "bot." inside literals.
 */
static char *
bot_as_main(const char *sql)
{
	const char	*start = sql;
	size_t		 n = 0;
	char		*out, *o;

	for (const char *p = sql; *p != '\0'; p++)
		n += bot_at(sql, p);
	if ((out = malloc(strlen(sql) + n + 1)) == NULL)
		return NULL;
	for (o = out; *sql != '\0'; ) {
		if (bot_at(start, sql)) {
			memcpy(o, "main.", 5);
			o += 5;
			sql += 4;
		} else
			*o++ = *sql++;
	}
	*o = '\0';
	return out;
}

sqlite3_stmt **
db_stmts_new(sqlite3 *db, const char *const *sql, size_t n, char *err,
    size_t errsz)
{
	sqlite3_stmt	**st;
	int		  same = db_same_file(db);

	if ((st = calloc(n, sizeof(*st))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char	*text = same ? bot_as_main(sql[i]) : NULL;
		int	 rc;

		if (same && text == NULL) {
			snprintf(err, errsz, "out of memory");
			db_stmts_free(st, n);
			return NULL;
		}
		rc = sqlite3_prepare_v3(db, same ? text : sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st[i], NULL);
		free(text);
		if (rc == SQLITE_OK)
			continue;
		snprintf(err, errsz, "prepare statement %zu: %s", i,
		    sqlite3_errmsg(db));
		db_stmts_free(st, n);
		return NULL;
	}
	return st;
}

void
db_stmts_free(sqlite3_stmt **st, size_t n)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		sqlite3_finalize(st[i]);
	free(st);
}

void
db_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

const char *
db_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : "";
}

void
db_bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL && *s != '\0')
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
db_step_done(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		continue;
	db_reset(st);
	return rc;
}

int
db_begin_immediate(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

int
db_begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
}

int
db_commit(sqlite3 *db)
{
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

void
db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

void
db_wait(sqlite3 *db, const struct award_config *c, int wait)
{
	if (wait)
		sqlite3_busy_handler(db, busy_wait,
		    (void *)&c->busy_timeout_ms);
	else
		sqlite3_busy_handler(db, NULL, NULL);
}
