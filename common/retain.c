/*
 * Retention of the retry run (SPEC.md §6, retain.h). Each table is
 * emptied of what is too old in batches of RETAIN_BATCH rows, one
 * transaction each, oldest first. retry_runs and reconcile_runs grow in
 * id order with their start, so a batch reads from the start of the
 * table and stops at the first young row's worth; done rows are found by
 * failed_awards.done_ms through the partial index failed_awards_done
 * (both added by db.c for databases made before schema version 3).
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "retain.h"

enum retain_stmt {
	RT_RETRY_RUNS,
	RT_RECONCILE_RUNS,
	RT_DONE,
	RT__MAX
};

/* ?1 the cutoff in ms since the epoch, ?2 RETAIN_BATCH. */
static const char *const rt_sql[RT__MAX] = {
	/* RT_RETRY_RUNS */
	"DELETE FROM main.retry_runs WHERE id IN (SELECT id FROM"
	" main.retry_runs WHERE award_ms(started_at) < ?1 ORDER BY id"
	" LIMIT ?2)",
	/* RT_RECONCILE_RUNS: the table of award-reconcile (SPEC.md §11) */
	"DELETE FROM main.reconcile_runs WHERE rowid IN (SELECT rowid FROM"
	" main.reconcile_runs WHERE award_ms(started_at) < ?1 ORDER BY rowid"
	" LIMIT ?2)",
	/* RT_DONE: dead rows never match: status is 'done' only */
	"DELETE FROM main.failed_awards WHERE id IN (SELECT id FROM"
	" main.failed_awards INDEXED BY failed_awards_done"
	" WHERE status = 'done' AND done_ms < ?1 LIMIT ?2)",
};

/*
 * Run sql in batches until a batch deletes fewer than RETAIN_BATCH rows.
 * Adds the rows deleted to *count. 0, or -1 with err set.
 */
static int
batches(sqlite3 *db, const char *sql, int64_t cutoff, int64_t *count,
    char *err, size_t errsz)
{
	sqlite3_stmt	*st = NULL;
	int		 n = 0, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "retention: %s", sqlite3_errmsg(db));
		return -1;
	}
	do {
		/*
		 * Deferred: the DELETE's write locks the service database
		 * alone. BEGIN IMMEDIATE would lock every attached file,
		 * and a bot database the bot holds would stop retention,
		 * which never writes it.
		 */
		if ((rc = db_begin(db)) != SQLITE_OK) {
			snprintf(err, errsz, "retention: begin: %s",
			    sqlite3_errmsg(db));
			break;
		}
		sqlite3_bind_int64(st, 1, cutoff);
		sqlite3_bind_int(st, 2, RETAIN_BATCH);
		if ((rc = db_step_done(st)) != SQLITE_DONE) {
			snprintf(err, errsz, "retention: %s",
			    sqlite3_errmsg(db));
			db_rollback(db);
			break;
		}
		n = sqlite3_changes(db);
		if ((rc = db_commit(db)) != SQLITE_OK) {
			snprintf(err, errsz, "retention: commit: %s",
			    sqlite3_errmsg(db));
			db_rollback(db);
			break;
		}
		*count += n;
	} while (n >= RETAIN_BATCH);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

int
retain_run(struct award_ctx *ctx, int64_t now_ms, struct retain_counts *out,
    char *err, size_t errsz)
{
	int64_t	runs_cut, done_cut;

	memset(out, 0, sizeof(*out));
	runs_cut = now_ms - ctx->cfg->retain_runs_days * RETAIN_DAY_MS;
	done_cut = now_ms - ctx->cfg->retain_done_days * RETAIN_DAY_MS;
	if (batches(ctx->db, rt_sql[RT_RETRY_RUNS], runs_cut,
	    &out->retry_runs, err, errsz) == -1)
		return -1;
	if (batches(ctx->db, rt_sql[RT_RECONCILE_RUNS], runs_cut,
	    &out->reconcile_runs, err, errsz) == -1)
		return -1;
	return batches(ctx->db, rt_sql[RT_DONE], done_cut, &out->done, err,
	    errsz);
}
