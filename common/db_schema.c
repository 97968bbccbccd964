/*
 * Applying schema.sql to a database db_open() has opened: one part of it
 * in a transaction, the service part recording DB_SCHEMA_VERSION (and
 * refusing a database a newer binary set up), and the columns added after
 * their table first shipped. Not the opening, the attaching or the bot
 * database's identity: those are db.c and db_identity.c.
 */
#include <stdio.h>

#include "db.h"
#include "db_parts.h"

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

	if (db_exec(db, begin, err, errsz) == -1)
		return sqlite3_errcode(db) & 0xff;
	if (db_exec(db, text, err, errsz) == -1)
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
	/*
	 * Below 4: CREATE TRIGGER IF NOT EXISTS kept the payments totals'
	 * triggers of the build that made them (before, a payment refunded
	 * in full needed amount_minor > 0). Made again from text, and the
	 * totals filled again from the rows by the next writer (totals.c);
	 * until then the views count the rows. retry_totals, new in 4,
	 * starts from the retry runs recorded; reconcile_totals likewise.
	 */
	if (service && have > 0 && have < 4 && (db_exec(db,
	    "DROP TRIGGER IF EXISTS main.payments_totals_insert;"
	    " DROP TRIGGER IF EXISTS main.payments_totals_update;"
	    " DROP TRIGGER IF EXISTS main.payments_totals_delete;"
	    " UPDATE main.totals_ready SET ready = 0"
	    " WHERE name = 'payments';"
	    /* retry_totals is new in 4: the runs recorded so far */
	    " INSERT INTO main.retry_totals(id, runs)"
	    " SELECT 1, count(*) FROM main.retry_runs WHERE true"
	    " ON CONFLICT(id) DO UPDATE SET runs = excluded.runs;"
	    /*
	     * reconcile_totals came after reconcile_runs within 3: a file
	     * of those builds starts from its runs, never below its count.
	     */
	    " INSERT INTO main.reconcile_totals(id, recovered)"
	    " SELECT 1, coalesce(sum(awarded), 0) FROM main.reconcile_runs"
	    " WHERE true ON CONFLICT(id) DO UPDATE"
	    " SET recovered = max(recovered, excluded.recovered)",
	    err, errsz) == -1 ||
	    db_exec(db, text, err, errsz) == -1))
		goto fail;
	if (service && have != DB_SCHEMA_VERSION) {
		snprintf(buf, sizeof(buf), "%d", DB_SCHEMA_VERSION);
		if (db_run_text(db, "INSERT INTO main.award_meta(key, value)"
		    " VALUES ('schema_version', ?1) ON CONFLICT(key)"
		    " DO UPDATE SET value = excluded.value", buf, NULL, NULL,
		    0) == -1)
			goto dberr;
	}
	if (db_exec(db, "COMMIT", err, errsz) == -1)
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
int
db_schema_apply(sqlite3 *db, const char *text, int service, char *err,
    size_t errsz)
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
	/* Version 4: a run's rows the API did not confirm (done so). */
	{ "retry_runs", "not_confirmed",
	    "ALTER TABLE main.retry_runs ADD COLUMN not_confirmed INTEGER"
	    " NOT NULL DEFAULT 0" },
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

int
db_schema_add_columns(sqlite3 *db, char *err, size_t errsz)
{
	for (size_t i = 0; i < sizeof(added_columns) /
	    sizeof(added_columns[0]); i++) {
		int have = has_column(db, added_columns[i].table,
		    added_columns[i].column);

		if (have == 1)
			continue;
		if (have == -1 ||
		    db_exec(db, "BEGIN IMMEDIATE", err, errsz) == -1)
			goto fail;
		if ((have = has_column(db, added_columns[i].table,
		    added_columns[i].column)) == -1 ||
		    (have == 0 && db_exec(db, added_columns[i].ddl, err,
		    errsz) == -1) || db_exec(db, "COMMIT", err, errsz) == -1) {
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
