/*
 * The pairing of a service database with its bot database (SPEC.md §10):
 * the bot file's random identity (award_bot_identity), and the service
 * file's record of it in award_meta (keys bot_identity, bot_db_path),
 * checked before anything is created and written on first use. For
 * db_open() only; not the opening or the schema (db.c, db_schema.c).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "db.h"
#include "db_parts.h"

/* Kept in the bot database: which bot database this is. */
const char db_identity_sql[] =
    "CREATE TABLE IF NOT EXISTS award_bot_identity("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " value TEXT NOT NULL,"
    " created_at TEXT NOT NULL);";

/* 1 when main has a table of that name, 0 when not, -1 on error. */
static int
has_table(sqlite3 *db, const char *table)
{
	char found[8];

	if (db_run_text(db, "SELECT 1 FROM main.sqlite_master WHERE type = "
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
	return db_run_text(db, sql, p1, NULL, out, outsz);
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
int
db_identity_ensure(sqlite3 *bot, char *out, size_t outsz, char *err,
    size_t errsz)
{
	char now[ATIME_BUFSZ];

	if (read_identity(bot, out, outsz) == -1)
		goto dberr;
	if (out[0] != '\0')
		return 0;
	atime_format(atime_now_ms(), now);
	if (db_exec(bot, "BEGIN IMMEDIATE", err, errsz) == -1)
		return -1;
	if (db_run_text(bot, "INSERT OR IGNORE INTO main.award_bot_identity(id,"
	    " value, created_at) VALUES (1, lower(hex(randomblob(16))), ?1)",
	    now, NULL, NULL, 0) == -1 || db_exec(bot, "COMMIT", err,
	    errsz) == -1) {
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

int
db_same_path(const char *a, const char *b)
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
int
db_identity_check(sqlite3 *db, const struct award_config *c,
    const char *botpath, char *rec, size_t recsz, char *err, size_t errsz)
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
	if (db_same_path(c->db_path, botpath))
		rc = read_identity(db, have, sizeof(have));
	else if (sqlite3_open_v2(botpath, &bot, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		rc = -1;
	else {
		sqlite3_busy_handler(bot, db_busy_wait,
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
int
db_identity_record(sqlite3 *db, const struct award_config *c,
    const char *botpath, const char *id, char *err, size_t errsz)
{
	char	 rec[64], *abs;
	int	 rc;

	/*
	 * The path is only shown in errors, from wherever a later binary
	 * starts: absolute, so a relative --bot-db still says which file.
	 */
	abs = realpath(botpath, NULL);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK || db_run_text(db, "INSERT INTO main.award_meta(key, value)"
	    " VALUES ('bot_identity', ?1), ('bot_db_path', ?2)"
	    " ON CONFLICT(key) DO NOTHING", id, abs != NULL ? abs : botpath,
	    NULL, 0) == -1;
	free(abs);
	if (rc ||
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
