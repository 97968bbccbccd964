/*
 * Opening the databases (SPEC.md §3): schema.sql applied idempotently with a
 * schema version, WAL, AWARD_SYNCHRONOUS, busy_timeout, the bot database
 * attached once per connection (or the same file), and the SQL function
 * award_ms() / award_iso() that turn time text into comparable milliseconds
 * and back.
 * Also the few transaction helpers every module shares. Not the place for
 * any module's queries.
 */
#ifndef AWARD_DB_H
#define AWARD_DB_H

#include <stddef.h>

#include <sqlite3.h>

#include "config.h"

#define DB_SCHEMA_VERSION 3

/*
 * Open the service database at c->db_path (and the bot database), creating
 * files and missing tables. Returns the handle, or NULL with a one-line
 * message in err. Free with db_close().
 */
sqlite3	*db_open(const struct award_config *c, char *err, size_t errsz);

/* Close, finalizing nothing: callers finalize their statements first. */
void	 db_close(sqlite3 *db);

/*
 * Allocate and prepare n statements from sql[] (persistent). Bot tables
 * are written "bot.name"; when the bot database is the service file,
 * "bot." is read as "main.". Returns the array, or NULL with a message in
 * err. Free with db_stmts_free().
 */
sqlite3_stmt **db_stmts_new(sqlite3 *db, const char *const *sql, size_t n,
	    char *err, size_t errsz);

/* Finalize and free n statements; NULL is a no-op. */
void	 db_stmts_free(sqlite3_stmt **st, size_t n);

/* Reset a statement and clear its bindings, ready for the next use. */
void	 db_reset(sqlite3_stmt *st);

/* Column i of the current row as text; "" for NULL (never NULL). */
const char *db_col_text(sqlite3_stmt *st, int i);

/* Bind s, or NULL when s is NULL or "" (an optional field). */
void	 db_bind_opt_text(sqlite3_stmt *st, int i, const char *s);

/*
 * Run a statement to completion (SQLITE_DONE; rows are discarded), reset it
 * and clear its bindings. Returns the SQLite result code (SQLITE_DONE on
 * success).
 */
int	 db_step_done(sqlite3_stmt *st);

/* "BEGIN IMMEDIATE", "BEGIN", "COMMIT", "ROLLBACK": SQLite result codes. */
int	 db_begin_immediate(sqlite3 *db);
int	 db_begin(sqlite3 *db);
int	 db_commit(sqlite3 *db);
void	 db_rollback(sqlite3 *db);

/* 1 when the service and bot databases are one file on this connection. */
int	 db_same_file(sqlite3 *db);

#endif
