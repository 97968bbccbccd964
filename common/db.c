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
 *
 * Here: the opening itself (files, pragmas, WAL, the attach, the SQL
 * functions) and the statement and transaction helpers every module uses.
 * Applying schema.sql is db_schema.c; the identity and pairing of the bot
 * database is db_identity.c.
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
#include "db_parts.h"
#include "walbuf.h"

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

int
db_exec(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errsz, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}


/*
 * The busy handler: poll every millisecond, AWARD_BUSY_TIMEOUT_MS in all.
 * SQLite's own handler backs off to 100 ms between polls, so a writer
 * queued behind a transaction of half a millisecond could wait a second
 * (tests/bench: webhook latency max 1.3 s with it, 35 ms with this, at the
 * same throughput).
 */
int
db_busy_wait(void *arg, int n)
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
	/* One write of a commit's WAL frames (walbuf.h). */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, walbuf_vfs()) !=
	    SQLITE_OK) {
		snprintf(err, errsz, "open %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_handler(db, db_busy_wait, (void *)&c->busy_timeout_ms);
	sql = c->synchronous_full ?
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF" :
	    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF";
	if (wal(db, c->busy_timeout_ms) != SQLITE_OK)
		snprintf(tmp, sizeof(tmp), "journal_mode=WAL: %s",
		    sqlite3_errmsg(db));
	else if (db_exec(db, sql, tmp, sizeof(tmp)) == 0)
		return db;
	snprintf(err, errsz, "%s: %s", path, tmp);
	sqlite3_close(db);
	return NULL;
}


sqlite3 *
db_open(const struct award_config *c, char *err, size_t errsz)
{
	sqlite3		*db = NULL, *bot = NULL;
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
	if (db_identity_check(db, c, botpath, rec, sizeof(rec), err,
	    errsz) == -1)
		goto fail;

	/* The bot part on the bot file: it may be another file. */
	if ((bot = open_file(botpath, c, err, errsz)) == NULL)
		goto fail;
	if (db_schema_apply(bot, botpart, 0, tmp, sizeof(tmp)) == -1 ||
	    db_schema_apply(bot, db_identity_sql, 0, tmp, sizeof(tmp)) ==
	    -1 ||
	    db_identity_ensure(bot, id, sizeof(id), tmp, sizeof(tmp)) == -1) {
		snprintf(err, errsz, "bot database %s: %s", botpath, tmp);
		goto fail;
	}
	same = db_same_path(c->db_path, botpath);
	sqlite3_close(bot);
	bot = NULL;

	tmp[0] = '\0';
	if (db_schema_apply(db, mark, 1, tmp, sizeof(tmp)) == -1 ||
	    db_schema_add_columns(db, tmp, sizeof(tmp)) == -1) {
		/* A table of the service's name the bot made, say. */
		snprintf(err, errsz, "service database %s: %s%s", c->db_path,
		    tmp, strncmp(tmp, "no such column", 14) == 0 ? " (a table "
		    "of the service's name with other columns: keep the "
		    "service's tables in a file of their own, AWARD_DB)" : "");
		goto fail;
	}
	if (rec[0] == '\0' && db_identity_record(db, c, botpath, id, err,
	    errsz) == -1)
		goto fail;
	if (!same) {
		if (db_run_text(db, "ATTACH DATABASE ?1 AS bot", botpath, NULL,
		    NULL, 0) == -1)
			goto dberr;
		if (db_exec(db, c->synchronous_full ?
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
	sqlite3_close(bot);
	sqlite3_close(db);
	free(botpart);
	return NULL;
}

int
db_run_text(sqlite3 *db, const char *sql, const char *p1, const char *p2,
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

const char *
db_moved(sqlite3 *db)
{
	static const char *const schemas[] = { "main", "bot" };

	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		const char	*file = sqlite3_db_filename(db, schemas[i]);
		int		 moved = 0;

		if (file == NULL || *file == '\0')
			continue;
		if (sqlite3_file_control(db, schemas[i],
		    SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved)
			return file;
	}
	return NULL;
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
db_flag(sqlite3_stmt *st, const char *text)
{
	int rc, v = 0;

	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	db_reset(st);
	return rc == SQLITE_ROW ? v != 0 : -1;
}

int
db_is_locked(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

int
db_is_outage(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
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
		sqlite3_busy_handler(db, db_busy_wait,
		    (void *)&c->busy_timeout_ms);
	else
		sqlite3_busy_handler(db, NULL, NULL);
}
