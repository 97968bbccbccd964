/*
 * Within the db module only: the parts of db_open() kept in db_schema.c
 * (applying schema.sql) and db_identity.c (the pairing of the service and
 * bot databases), and the helpers of db.c they share. Not for callers of
 * the module: they include db.h.
 */
#ifndef AWARD_DB_PARTS_H
#define AWARD_DB_PARTS_H

#include <stddef.h>

#include <sqlite3.h>

struct award_config;

/*
 * Run sql (no parameters, any number of statements) on db. 0, or -1 with
 * SQLite's message in err.
 */
int	db_exec(sqlite3 *db, const char *sql, char *err, size_t errsz);

/*
 * Run sql (parameters ?1, ?2: p1, p2 as text, NULL for none) to its end;
 * the text of its first row's first column into out when out is not NULL
 * ("" when no row). 0, or -1 on an error (the connection's errmsg).
 */
int	db_run_text(sqlite3 *db, const char *sql, const char *p1,
	    const char *p2, char *out, size_t outsz);

/*
 * The busy handler of every connection db_open() makes: arg points to
 * the timeout in milliseconds (an int that outlives the connection).
 */
int	db_busy_wait(void *arg, int n);

/*
 * Apply text, a part of schema.sql, to db in one transaction; service
 * (1 for the service part) also checks and records DB_SCHEMA_VERSION.
 * 0, or -1 with err set (the transaction rolled back).
 */
int	db_schema_apply(sqlite3 *db, const char *text, int service, char *err,
	    size_t errsz);

/*
 * Add to the service database on db the columns added after their table
 * first shipped, those missing. 0, or -1 with err set.
 */
int	db_schema_add_columns(sqlite3 *db, char *err, size_t errsz);

/* The table of the bot database's identity, applied with the bot part. */
extern const char db_identity_sql[];

/* 1 when paths a and b name one file (or are one string), else 0. */
int	db_same_path(const char *a, const char *b);

/*
 * The identity of the bot database on bot (a connection to that file),
 * made on first use. 0 with out set, or -1 with err set.
 */
int	db_identity_ensure(sqlite3 *bot, char *out, size_t outsz, char *err,
	    size_t errsz);

/*
 * Before anything is created: when the service database on db records a
 * bot identity, the bot database at botpath must hold it. rec receives
 * the recorded identity ("" when none yet). 0, or -1 with the refusal
 * naming both paths in err.
 */
int	db_identity_check(sqlite3 *db, const struct award_config *c,
	    const char *botpath, char *rec, size_t recsz, char *err,
	    size_t errsz);

/*
 * On first use of a pair: record identity id of the bot database at
 * botpath in the service database on db. 0, or -1 with err set (also
 * when another bot database was recorded first).
 */
int	db_identity_record(sqlite3 *db, const struct award_config *c,
	    const char *botpath, const char *id, char *err, size_t errsz);

#endif
