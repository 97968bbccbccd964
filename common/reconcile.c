/*
 * The reconciliation run (reconcile.h, SPEC.md §11). Items come from the
 * API as hostile as a notification's body: each goes through validate.c
 * before it becomes a struct award_req / refund_req, and through the
 * same job code and commit groups as the webhook (job.c) after. No API
 * call is made while a transaction is open.
 */
#define _GNU_SOURCE	/* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "reconcile.h"
#include "validate.h"

/*
 * The byte reconcile_lock() locks: above SQLite's lock bytes (PENDING_BYTE
 * 0x40000000 and the 512 after it), so the two never meet.
 */
#define RECONCILE_LOCK_BYTE	0x40100000L

#define REQUEST_ID		"reconcile"

static const char *const stop_names[RECONCILE_STOP__MAX] = {
	NULL, "api_unavailable", "api_bad_response", "api_auth", "database",
};

const char *
reconcile_stop_name(enum reconcile_stop s)
{
	return (unsigned)s < RECONCILE_STOP__MAX ? stop_names[s] : "unknown";
}

enum rc_stmt {
	RC_PAYMENT_KNOWN,
	RC_REFUND_KNOWN,
	RC_RUN_INSERT,
	RC__MAX
};

static const char *const rc_sql[RC__MAX] = {
	/*
	 * A payment recorded awarded whose order has no award row is not
	 * known: with two files the service file commits first, and a
	 * crash before the bot file's commit leaves exactly that. Its
	 * notification was never answered 200, but reconciliation is how
	 * such a payment is found when YooKassa stops redelivering.
	 */
	"SELECT 1 FROM main.payments AS p WHERE p.payment_id = ?1"
	" AND (p.outcome IS NOT 'awarded' OR EXISTS (SELECT 1"
	" FROM bot.ticket_ledger AS l WHERE l.order_id = p.order_id"
	" AND l.reason <> 'REFUND'))",
	/*
	 * A refund that failed (another currency) is in the queue only:
	 * known too, or every run would queue it again and count an attempt
	 * no retry made. Not a row the retry ended not_confirmed: nothing
	 * of it was recorded. Nor one counted into a payment refunded in
	 * full while an award row of its order has no reversal (a cut
	 * two-file commit, as above): applied again, it is a duplicate that
	 * writes the missing rows.
	 */
	"SELECT 1 FROM main.refunds AS r WHERE r.refund_id = ?1"
	" AND NOT EXISTS (SELECT 1 FROM main.payments AS p"
	" JOIN bot.ticket_ledger AS l ON l.order_id = p.order_id"
	" AND l.reason IN ('SELF_PURCHASE', 'INVITEE_PAYMENT')"
	" WHERE p.payment_id = r.payment_id"
	" AND r.status = 'counted' AND p.amount_minor >= 0"
	" AND p.refunded_minor > 0 AND p.refunded_minor >= p.amount_minor"
	" AND" AWARD_SQL_NOT_REVERSED_BY_OLD_CODE("l")
	" AND NOT EXISTS (SELECT 1 FROM bot.ticket_ledger AS x"
	" WHERE x.id = 'REFUND:' || l.id)) UNION ALL"
	" SELECT 1 FROM main.failed_awards WHERE kind = 'refund'"
	" AND refund_id = ?1 AND (status <> 'done'"
	" OR outcome IS NOT 'not_confirmed') LIMIT 1",
	"INSERT INTO main.reconcile_runs(started_at, finished_at, since, "
	"fetched_payments, fetched_refunds, known, skipped, awarded, "
	"duplicate, not_eligible, queued, reversed, partial, "
	"unknown_payment, api_requests, stopped) VALUES (?1, ?2, ?3, ?4, ?5, "
	"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
};

/* A run in progress: its statements, its jobs, what it counted. */
struct rc {
	struct award_ctx	*ctx;
	struct yk_client	*yk;
	struct reconcile_run	*run;
	sqlite3_stmt		**st;		/* rc_sql's, RC__MAX */
	struct job		*jobs;		/* JOB_GROUP_MAX of them */
	struct job		*ptrs[JOB_GROUP_MAX];
	size_t			 n;
};

static void
stop(struct rc *r, enum reconcile_stop why, const char *fmt, const char *s)
{
	if (r->run->stop != RECONCILE_COMPLETED)
		return;
	r->run->stop = why;
	snprintf(r->run->error, sizeof(r->run->error), fmt, s);
}

/* 1 when id is a row of statement k, 0 when not, -1 on error. */
static int
known(struct rc *r, enum rc_stmt k, const char *id)
{
	sqlite3_stmt	*st = r->st[k];
	int		 rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	stop(r, RECONCILE_DATABASE, "reading what is recorded: %s",
	    sqlite3_errmsg(r->ctx->db));
	return -1;
}

static void
count_award(struct reconcile_run *run, enum award_result a)
{
	switch (a) {
	case AWARD_AWARDED:
		run->awarded++;
		break;
	case AWARD_DUPLICATE:
		run->duplicate++;
		break;
	case AWARD_NOT_ELIGIBLE:
		run->not_eligible++;
		break;
	default:
		run->queued++;	/* FAILED: queued (job.h), or would be */
		break;
	}
}

static void
count_refund(struct reconcile_run *run, enum refund_result f)
{
	switch (f) {
	case REFUND_REVERSED:
		run->reversed++;
		break;
	case REFUND_PARTIAL:
		run->partial++;
		break;
	case REFUND_DUPLICATE:
		run->duplicate++;
		break;
	case REFUND_UNKNOWN_PAYMENT:
		run->unknown_payment++;
		break;
	default:
		run->queued++;
		break;
	}
}

/*
 * A dry run of the collected jobs: each in a savepoint of one
 * transaction that is rolled back whole, so the rules judge each item
 * against what is recorded now and nothing is written.
 */
static void
judge_dry(struct rc *r)
{
	sqlite3	*db = r->ctx->db;
	int	 rc;

	if ((rc = db_begin_immediate(db)) != SQLITE_OK) {
		stop(r, RECONCILE_DATABASE, "begin: %s", sqlite3_errstr(rc));
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];

		if (sqlite3_exec(db, "SAVEPOINT dry", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto fail;
		if (j->kind == JOB_AWARD)
			count_award(r->run, award_apply_txn(r->ctx, &j->award,
			    &j->aout));
		else
			count_refund(r->run, refund_apply_txn(r->ctx,
			    &j->refund, &j->rout));
		if (sqlite3_get_autocommit(db) || sqlite3_exec(db,
		    "ROLLBACK TO dry; RELEASE dry", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto fail;
	}
	db_rollback(db);
	return;
fail:
	stop(r, RECONCILE_DATABASE, "dry run: %s", sqlite3_errmsg(db));
	db_rollback(db);
}

/* Apply the collected jobs as one commit group, count and log them. */
static void
flush(struct rc *r)
{
	struct job_group_stats	gs;
	int			unavailable = 0;

	if (r->n == 0 || r->run->stop != RECONCILE_COMPLETED) {
		r->n = 0;
		return;
	}
	if (r->run->dry_run) {
		judge_dry(r);
		r->n = 0;
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		r->ptrs[i] = &r->jobs[i];
	job_run_group(r->ctx, r->ptrs, r->n, &gs);
	for (size_t i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];

		if (j->outcome == JOB_UNAVAILABLE) {
			unavailable = 1;
			continue;
		}
		if (j->kind == JOB_AWARD) {
			count_award(r->run, j->aout.result);
			log_msg(LOG_WARN, "payment recovered by reconciliation",
			    LF_STR("source", "reconcile"),
			    LF_STR("payment_id", j->award.payment_id),
			    LF_STR("order_id", j->award.order_id),
			    LF_INT("tg_id", j->award.telegram_id),
			    LF_STR("outcome", job_outcome_name(j->outcome,
			    award_result_name(j->aout.result))), LF_END);
		} else {
			count_refund(r->run, j->rout.result);
			log_msg(LOG_WARN, "refund recovered by reconciliation",
			    LF_STR("source", "reconcile"),
			    LF_STR("refund_id", j->refund.refund_id),
			    LF_STR("payment_id", j->refund.payment_id),
			    LF_STR("outcome", job_outcome_name(j->outcome,
			    refund_result_name(j->rout.result))), LF_END);
		}
	}
	/*
	 * Nothing could be saved, or the group could not commit as one (the
	 * database is busy, locked or failing): an outage, as in §6.
	 */
	if (unavailable)
		stop(r, RECONCILE_DATABASE, "%s", "database unavailable: "
		    "nothing could be saved");
	else if (!gs.committed)
		stop(r, RECONCILE_DATABASE, "%s", "database busy or failing: "
		    "the page's jobs were saved one by one");
	r->n = 0;
}

/*
 * 1 when it is a YooKassa test shop's object ("test": true) that the
 * webhook would ignore (SPEC.md §5, AWARD_ACCEPT_TEST_PAYMENTS): skipped
 * here as well, since a run treats each item as its notification.
 */
static int
test_payment(const struct rc *r, const cJSON *it)
{
	return !r->ctx->cfg->accept_test_payments &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "test"));
}

/* One payment of a page: skipped, known, or a job for flush(). */
static void
take_payment(struct rc *r, const struct validate_span *sp, const cJSON *it)
{
	struct job	*j = &r->jobs[r->n];
	const cJSON	*status = cJSON_GetObjectItemCaseSensitive(it, "status");
	char		 err[AWARD_ERR_MAX];
	int		 no_order = 0, k;

	memset(j, 0, sizeof(*j));
	err[0] = '\0';
	if (!cJSON_IsString(status) || strcmp(status->valuestring,
	    "succeeded") != 0)
		snprintf(err, sizeof(err), "status is not succeeded");
	else if (test_payment(r, it))
		snprintf(err, sizeof(err), "a test shop's payment "
		    "(AWARD_ACCEPT_TEST_PAYMENTS is not 1)");
	else if (validate_api_payment(sp->text, sp->len, it, it, &j->award,
	    &no_order, err, sizeof(err)) == 0 && j->award.payment_id[0] ==
	    '\0')
		snprintf(err, sizeof(err), "payment without an id");
	if (err[0] != '\0') {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");

		r->run->skipped++;
		log_msg(no_order ? LOG_DEBUG : LOG_WARN,
		    no_order ? "reconcile: payment not the bot's (no order_id)" :
		    "reconcile: payment skipped: its metadata fails validation",
		    LF_STR("source", "reconcile"),
		    LF_STR("payment_id", cJSON_IsString(id) &&
		    validate_id(id->valuestring) ? id->valuestring : NULL),
		    LF_STR("error", err), LF_END);
		return;
	}
	if ((k = known(r, RC_PAYMENT_KNOWN, j->award.payment_id)) != 0) {
		r->run->known += k == 1;
		return;
	}
	j->kind = JOB_AWARD;
	j->request_id = REQUEST_ID;
	if (++r->n == JOB_GROUP_MAX)
		flush(r);
}

static void
take_refund(struct rc *r, const cJSON *it)
{
	struct job	*j = &r->jobs[r->n];
	const cJSON	*status = cJSON_GetObjectItemCaseSensitive(it, "status");
	char		 err[AWARD_ERR_MAX];
	int		 k;

	memset(j, 0, sizeof(*j));
	err[0] = '\0';
	if (!cJSON_IsString(status) || strcmp(status->valuestring,
	    "succeeded") != 0)
		snprintf(err, sizeof(err), "status is not succeeded");
	else if (test_payment(r, it))
		/* As its notification: ignored, recorded nowhere (§5). */
		snprintf(err, sizeof(err), "a test shop's refund "
		    "(AWARD_ACCEPT_TEST_PAYMENTS is not 1)");
	else
		(void)validate_api_refund(it, &j->refund, err, sizeof(err));
	if (err[0] != '\0') {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(it,
		    "payment_id");

		r->run->skipped++;
		/* Its ids when they are ids, so that an admin can find it. */
		log_msg(LOG_WARN, "reconcile: refund skipped: it fails "
		    "validation", LF_STR("source", "reconcile"),
		    LF_STR("refund_id", cJSON_IsString(id) &&
		    validate_id(id->valuestring) ? id->valuestring : NULL),
		    LF_STR("payment_id", cJSON_IsString(pid) &&
		    validate_id(pid->valuestring) ? pid->valuestring : NULL),
		    LF_STR("error", err), LF_END);
		return;
	}
	if ((k = known(r, RC_REFUND_KNOWN, j->refund.refund_id)) != 0) {
		r->run->known += k == 1;
		return;
	}
	j->kind = JOB_REFUND;
	j->request_id = REQUEST_ID;
	if (++r->n == JOB_GROUP_MAX)
		flush(r);
}

static enum reconcile_stop
api_stop(enum yk_result y)
{
	switch (y) {
	case YK_AUTH:
		return RECONCILE_API_AUTH;
	case YK_UNAVAILABLE:
		return RECONCILE_API_UNAVAILABLE;
	default:
		return RECONCILE_API_BAD_RESPONSE;
	}
}

/* FNV-1a of s: how one_list() remembers the cursors it was given. */
static uint64_t
cursor_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/*
 * 1 when the API gave cursor before in this list (remembered in *seen,
 * which grows), 0 when not, -1 when out of memory. A list that comes back
 * to a cursor would be read round and round while the run holds its lock.
 */
static int
cursor_seen(const char *cursor, uint64_t **seen, size_t *n, size_t *cap)
{
	uint64_t	 h = cursor_hash(cursor), *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*seen)[i] == h)
			return 1;
	if (*n == *cap) {
		*cap = *cap == 0 ? 64 : 2 * *cap;
		if ((grown = realloc(*seen, *cap * sizeof(**seen))) == NULL)
			return -1;
		*seen = grown;
	}
	(*seen)[(*n)++] = h;
	return 0;
}

/* Every page of one list, each applied before the next is fetched. */
static void
one_list(struct rc *r, enum yk_kind kind)
{
	struct yk_page	 p;
	char		 cursor[YK_CURSOR_MAX + 1], err[YK_ERR_MAX];
	const cJSON	*it;
	enum yk_result	 y;
	uint64_t	*seen = NULL;
	size_t		 nseen = 0, cap = 0, i;
	int		 pages = 0, again;

	cursor[0] = '\0';
	while (r->run->stop == RECONCILE_COMPLETED) {
		if (++pages > RECONCILE_PAGES_MAX) {
			stop(r, RECONCILE_API_BAD_RESPONSE, "%s", "more pages "
			    "than RECONCILE_PAGES_MAX");
			break;
		}
		y = yk_list(r->yk, kind, r->run->since_ms, cursor, &p, err,
		    sizeof(err));
		if (y != YK_OK) {
			stop(r, api_stop(y), "YooKassa API: %s", err);
			break;
		}
		if (p.next_cursor[0] != '\0' && (again = cursor_seen(
		    p.next_cursor, &seen, &nseen, &cap)) != 0) {
			yk_page_free(&p);
			stop(r, RECONCILE_API_BAD_RESPONSE, "%s", again == 1 ?
			    "the API answered a cursor it had given before "
			    "(a loop)" : "out of memory");
			break;
		}
		it = p.items->child;
		for (i = 0; it != NULL && r->run->stop == RECONCILE_COMPLETED;
		    it = it->next, i++) {
			if (kind == YK_PAYMENTS) {
				r->run->fetched_payments++;
				take_payment(r, &p.spans[i], it);
			} else {
				r->run->fetched_refunds++;
				take_refund(r, it);
			}
		}
		flush(r);
		memcpy(cursor, p.next_cursor, sizeof(cursor));
		yk_page_free(&p);
		if (cursor[0] == '\0')
			break;
	}
	free(seen);
}

int
reconcile_run(struct award_ctx *ctx, struct yk_client *yk, int64_t since_ms,
    int dry_run, struct reconcile_run *run)
{
	struct rc	r;
	char		why[CONFIG_ERR_MAX];
	int		rc = -1;

	memset(run, 0, sizeof(*run));
	memset(&r, 0, sizeof(r));
	run->started_ms = award_ctx_now(ctx);
	run->since_ms = since_ms;
	run->dry_run = dry_run;
	r.ctx = ctx;
	r.yk = yk;
	r.run = run;
	if ((r.jobs = calloc(JOB_GROUP_MAX, sizeof(*r.jobs))) == NULL) {
		stop(&r, RECONCILE_DATABASE, "%s", "out of memory");
		goto out;
	}
	/* db_stmts_new: "bot." is "main." when both are one file. */
	if ((r.st = db_stmts_new(ctx->db, rc_sql, RC__MAX, why,
	    sizeof(why))) == NULL) {
		stop(&r, RECONCILE_DATABASE, "%.300s", why);
		goto out;
	}
	one_list(&r, YK_PAYMENTS);
	one_list(&r, YK_REFUNDS);
	rc = run->stop == RECONCILE_COMPLETED ? 0 : -1;
out:
	db_stmts_free(r.st, RC__MAX);
	free(r.jobs);
	run->api_requests = yk_requests(yk);
	run->finished_ms = award_ctx_now(ctx);
	return rc;
}

int
reconcile_record_run(struct award_ctx *ctx, const struct reconcile_run *run)
{
	sqlite3_stmt	*st = NULL;
	char		 started[ATIME_BUFSZ], finished[ATIME_BUFSZ];
	char		 since[ATIME_BUFSZ];
	const char	*why = reconcile_stop_name(run->stop);
	int		 rc;

	if (run->dry_run)
		return 0;
	if (sqlite3_prepare_v2(ctx->db, rc_sql[RC_RUN_INSERT], -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	atime_format(run->started_ms, started);
	atime_format(run->finished_ms, finished);
	atime_format(run->since_ms, since);
	sqlite3_bind_text(st, 1, started, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, finished, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, since, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, run->fetched_payments);
	sqlite3_bind_int64(st, 5, run->fetched_refunds);
	sqlite3_bind_int64(st, 6, run->known);
	sqlite3_bind_int64(st, 7, run->skipped);
	sqlite3_bind_int64(st, 8, run->awarded);
	sqlite3_bind_int64(st, 9, run->duplicate);
	sqlite3_bind_int64(st, 10, run->not_eligible);
	sqlite3_bind_int64(st, 11, run->queued);
	sqlite3_bind_int64(st, 12, run->reversed);
	sqlite3_bind_int64(st, 13, run->partial);
	sqlite3_bind_int64(st, 14, run->unknown_payment);
	sqlite3_bind_int64(st, 15, run->api_requests);
	if (why != NULL)
		sqlite3_bind_text(st, 16, why, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
reconcile_summary(const struct reconcile_run *run, char *buf, size_t bufsz)
{
	char		 since[ATIME_BUFSZ], stopped[64];
	const char	*why = reconcile_stop_name(run->stop);
	int		 n;

	atime_format(run->since_ms, since);
	if (why != NULL)
		snprintf(stopped, sizeof(stopped), "\"%s\"", why);
	else
		snprintf(stopped, sizeof(stopped), "null");
	n = snprintf(buf, bufsz, "{\"since\":\"%s\",\"fetched\":{\"payments\":"
	    "%lld,\"refunds\":%lld},\"known\":%lld,\"skipped\":%lld,"
	    "\"applied\":{\"awarded\":%lld,\"duplicate\":%lld,"
	    "\"not_eligible\":%lld,\"queued\":%lld,\"reversed\":%lld,"
	    "\"partial\":%lld,\"unknown_payment\":%lld},\"stopped\":%s}",
	    since, (long long)run->fetched_payments,
	    (long long)run->fetched_refunds, (long long)run->known,
	    (long long)run->skipped, (long long)run->awarded,
	    (long long)run->duplicate, (long long)run->not_eligible,
	    (long long)run->queued, (long long)run->reversed,
	    (long long)run->partial, (long long)run->unknown_payment, stopped);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

int
reconcile_lock(const char *db_path, char *err, size_t errsz)
{
	struct flock	fl;
	int		fd;

	if ((fd = open(db_path, O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errsz, "reconcile lock: open %s: %s", db_path,
		    strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = RECONCILE_LOCK_BYTE;
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		int saved = errno;

		close(fd);
		if (saved == EAGAIN || saved == EACCES)
			return -2;
		snprintf(err, errsz, "reconcile lock: %s: %s", db_path,
		    strerror(saved));
		return -1;
	}
	return fd;
}
