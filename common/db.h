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
#include <stdio.h>

#include <sqlite3.h>

#include "config.h"

/*
 * 4: as 3, whose number covered four schemas (columns added one by one),
 * so that a build of any of them refuses a database this one set up; the
 * payments totals' triggers as schema.sql has them now (replaced on the
 * way up, the totals counted again); retry_totals, the retry runs all
 * time, which retention does not take back.
 */
#define DB_SCHEMA_VERSION 4

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

/*
 * Run st, a one-row query, with ?1 bound to text: 1 when the row's first
 * column is non-zero, 0 when it is zero, -1 when no row came or on error.
 * Resets st and clears its bindings.
 */
int	 db_flag(sqlite3_stmt *st, const char *text);

/*
 * 1 when rc (a result code, extended or not) is a database that cannot be
 * used just now (SPEC.md §6: busy, locked, I/O; also full, unopenable,
 * out of memory): not the fault of the row or request at hand.
 */
int	 db_is_outage(int rc);

/*
 * A cron run's own record (retry_runs, reconcile_runs) is tried this many
 * times while the database is busy or locked (db_is_locked(); each try
 * waits the busy timeout): the run has done its work, and the record is
 * what says so. Never after an I/O error, whose commit may have landed.
 */
#define DB_RECORD_TRIES	3

/* 1 when rc (extended or not) is SQLITE_BUSY or SQLITE_LOCKED. */
int	 db_is_locked(int rc);

/* "BEGIN IMMEDIATE", "BEGIN", "COMMIT", "ROLLBACK": SQLite result codes. */
int	 db_begin_immediate(sqlite3 *db);
int	 db_begin(sqlite3 *db);
int	 db_commit(sqlite3 *db);
void	 db_rollback(sqlite3 *db);

/* 1 when the service and bot databases are one file on this connection. */
int	 db_same_file(sqlite3 *db);

/*
 * The path of a database file of db (the service's, or the bot's when
 * attached) that was deleted or renamed since db opened it, else NULL.
 * What is written to such a file is lost with the last descriptor: a
 * write must not be answered as saved. One stat(2) per file.
 */
const char *db_moved(sqlite3 *db);

/* Whether the service is set up (db_setup_state()). */
enum db_setup {
	DB_SETUP_READY,		/* the service database exists */
	DB_SETUP_NONE,		/* none yet: create nothing, exit 0 */
	DB_SETUP_ERROR		/* cannot tell (msg says why) */
};

/*
 * SPEC.md §6 "Not set up yet", for the cron binaries (award-retry,
 * award-reconcile): DB_SETUP_NONE when neither the service database file
 * nor the bot database file exists, with the one line to print in msg;
 * such a run creates nothing. A bot database of its own that exists
 * without a service database is READY: the run makes the pair.
 * Only award-fcgi (or award-retry --init) calls db_open() regardless. A
 * service database whose recorded bot database is missing is READY here
 * and refused by db_open() (SPEC.md §10). Looks only; creates nothing
 * (db_setup.c).
 */
enum db_setup db_setup_state(const struct award_config *c, char *msg,
	    size_t msgsz);

/*
 * db_setup_state() as a cron binary named name acts on it: -1 to go on
 * (READY); 0, the exit status, after logging at warn that the service is
 * not set up (NONE: nothing is created); 1 after config_startup_error()
 * when that cannot be told.
 */
int	db_setup_exit(const struct award_config *c, const char *name);

/*
 * 1 when opening the pair writes nothing: the service database exists at
 * this binary's schema version with its bot database's identity recorded.
 * 0 (msg says what is missing) when db_open() would create, upgrade or
 * pair; -1 (msg set) when that cannot be told. Looks only (db_setup.c):
 * what `award-reconcile --dry-run` asks before it opens anything.
 */
int	db_setup_ready_as_is(const struct award_config *c, char *msg,
	    size_t msgsz);

/*
 * For a run that must write nothing (award-reconcile --dry-run) on a pair
 * that opening would change: consistent copies of its files (SQLite's
 * online backup) in dir, a directory of the caller's, and in *scratch a
 * copy of c naming them. A file that does not exist is not copied (the
 * run makes it in dir, as it would have made the real one). 0, or -1
 * with err set. db_scratch_remove() deletes the copies and dir.
 */
int	db_scratch_pair(const struct award_config *c, const char *dir,
	    struct award_config *scratch, char *err, size_t errsz);
void	db_scratch_remove(const char *dir);

/*
 * `award-fcgi --check` (issue 17): one line per check on f ("ok",
 * "warn" or "FAIL", what, detail) for the configuration (already loaded),
 * the service database (exists, opens, schema version not newer than
 * DB_SCHEMA_VERSION), the bot database (exists, its tables), their
 * pairing (SPEC.md §10) and the tokens. Opens read-only and creates
 * nothing. Returns 0 when no line is FAIL, else -1.
 */
int	db_check(const struct award_config *c, FILE *f);
/*
 * wait 1: a busy database is waited for, at most c's busy timeout (as
 * db_open() set it); 0: a busy database is reported at once (SQLITE_BUSY).
 */
void	 db_wait(sqlite3 *db, const struct award_config *c, int wait);

#endif
