/*
 * Test helpers over real SQLite files (see testutil.h). Everything asserts:
 * a fixture that cannot be built is a failing test, never a silent pass.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "job.h"
#include "log.h"
#include "lookup.h"
#include "retryq.h"
#include "stats.h"
#include "testutil.h"
#include "totals.h"

extern char **environ;

const struct award_role tu_role_all = { "test", 7, {
	&award_part, &refund_part, &retryq_part, &totals_part, &stats_part,
	&lookup_part, &job_part,
} };

void
tu_clear_award_env(void)
{
	char	 names[128][128];
	size_t	 n = 0;

	for (char **p = environ; p != NULL && *p != NULL && n < 128; p++) {
		const char *eq = strchr(*p, '=');
		size_t len;

		if (strncmp(*p, "AWARD_", 6) != 0 || eq == NULL)
			continue;
		if ((len = (size_t)(eq - *p)) >= sizeof(names[0]))
			continue;
		memcpy(names[n], *p, len);
		names[n++][len] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		unsetenv(names[i]);
}

void
tu_init(struct tu_env *e, int separate_bot)
{
	char	err[CONFIG_ERR_MAX];
	int	log = getenv("AWARD_TEST_LOG") != NULL;

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/award-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir), "mkdtemp: %s", strerror(errno));
	tu_clear_award_env();
	/* No installed configuration file leaks in (SPEC.md §10). */
	cr_assert_eq(setenv("AWARD_CONFIG", "", 1), 0);
	cr_assert_eq(config_load(&e->cfg, err, sizeof(err)), 0,
	    "config_load: %s", err);
	snprintf(e->cfg.db_path, sizeof(e->cfg.db_path), "%s/award.db",
	    e->dir);
	if (separate_bot)
		snprintf(e->cfg.bot_db_path, sizeof(e->cfg.bot_db_path),
		    "%s/bot.db", e->dir);
	log_set_level(log ? LOG_DEBUG : LOG__MAX);
}

struct award_ctx *
tu_open(struct tu_env *e)
{
	char err[CONFIG_ERR_MAX] = "";

	cr_assert_null(e->ctx, "tu_open: a context is already open");
	e->ctx = award_ctx_open(&e->cfg, &tu_role_all, err, sizeof(err));
	cr_assert_not_null(e->ctx, "award_ctx_open: %s", err);
	return e->ctx;
}

void
tu_close(struct tu_env *e)
{
	award_ctx_close(e->ctx);
	e->ctx = NULL;
}

void
tu_fini(struct tu_env *e)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512];

	tu_close(e);
	if (e->dir[0] == '\0')
		return;
	if ((d = opendir(e->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", e->dir,
			    de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(e->dir);
	e->dir[0] = '\0';
}

const char *
tu_bot_path(const struct tu_env *e)
{
	return config_bot_db(&e->cfg);
}

sqlite3 *
tu_conn_file(const char *path)
{
	sqlite3 *db = NULL;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK, "open %s: %s", path,
	    db != NULL ? sqlite3_errmsg(db) : "no memory");
	sqlite3_busy_timeout(db, 10000);
	return db;
}

sqlite3 *
tu_conn(const struct tu_env *e)
{
	sqlite3	*db = tu_conn_file(e->cfg.db_path);
	char	*sql;

	if (e->cfg.bot_db_path[0] != '\0') {
		sql = sqlite3_mprintf("ATTACH DATABASE %Q AS bot",
		    e->cfg.bot_db_path);
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL),
		    SQLITE_OK, "attach: %s", sqlite3_errmsg(db));
		sqlite3_free(sql);
	}
	return db;
}

/*
 * Failures below are formatted into a local buffer and reported after
 * everything is freed, so a failing test leaks nothing under ASan.
 */
static void
vexec(sqlite3 *db, const char *fmt, va_list ap)
{
	char	*sql, *msg = NULL, fail[1024] = "";

	if ((sql = sqlite3_vmprintf(fmt, ap)) == NULL)
		snprintf(fail, sizeof(fail), "out of memory");
	else if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		snprintf(fail, sizeof(fail), "exec \"%s\": %s", sql,
		    msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_free(sql);
	sqlite3_close(db);
	if (fail[0] != '\0')
		cr_assert_fail("%s", fail);
}

void
tu_exec(const struct tu_env *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexec(tu_conn(e), fmt, ap);
	va_end(ap);
}

void
tu_exec_file(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexec(tu_conn_file(path), fmt, ap);
	va_end(ap);
}

/*
 * Run the query: the first column of the first row into *iv (asserting a
 * row) or, malloc'd, into *sv. Returns 1 when there was a row.
 */
static int
vquery(sqlite3 *db, const char *fmt, va_list ap, int64_t *iv, char **sv)
{
	sqlite3_stmt	*st = NULL;
	char		*sql, fail[1024] = "";
	int		 rc, found = 0;

	if ((sql = sqlite3_vmprintf(fmt, ap)) == NULL) {
		snprintf(fail, sizeof(fail), "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(fail, sizeof(fail), "prepare \"%s\": %s", sql,
		    sqlite3_errmsg(db));
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		found = 1;
		if (iv != NULL)
			*iv = sqlite3_column_type(st, 0) == SQLITE_NULL ?
			    TU_NULL : sqlite3_column_int64(st, 0);
		if (sv != NULL) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			*sv = t != NULL ? strdup((const char *)t) : NULL;
		}
	} else if (rc != SQLITE_DONE)
		snprintf(fail, sizeof(fail), "step \"%s\": %s", sql,
		    sqlite3_errmsg(db));
	else if (iv != NULL)
		snprintf(fail, sizeof(fail), "query \"%s\" returned no row",
		    sql);
out:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_close(db);
	if (fail[0] != '\0')
		cr_assert_fail("%s", fail);
	return found;
}

int64_t
tu_one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql,
	    sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t
tu_int(const struct tu_env *e, const char *fmt, ...)
{
	va_list	ap;
	int64_t	v = 0;

	va_start(ap, fmt);
	vquery(tu_conn(e), fmt, ap, &v, NULL);
	va_end(ap);
	return v;
}

int64_t
tu_int_file(const char *path, const char *fmt, ...)
{
	va_list	ap;
	int64_t	v = 0;

	va_start(ap, fmt);
	vquery(tu_conn_file(path), fmt, ap, &v, NULL);
	va_end(ap);
	return v;
}

char *
tu_str(const struct tu_env *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*s = NULL;

	va_start(ap, fmt);
	vquery(tu_conn(e), fmt, ap, NULL, &s);
	va_end(ap);
	return s;
}

char *
tu_str_file(const char *path, const char *fmt, ...)
{
	va_list	 ap;
	char	*s = NULL;

	va_start(ap, fmt);
	vquery(tu_conn_file(path), fmt, ap, NULL, &s);
	va_end(ap);
	return s;
}

int
tu_table_exists(const char *path, const char *table)
{
	return tu_int_file(path, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = %Q", table) > 0;
}

void
tu_bot_tables(const char *path)
{
	tu_exec_file(path,
	    "CREATE TABLE contests(id TEXT PRIMARY KEY,"
	    " starts_at TEXT NOT NULL, ends_at TEXT NOT NULL,"
	    " attribution_window_days INTEGER NOT NULL DEFAULT 30,"
	    " is_active INTEGER NOT NULL DEFAULT 0);"
	    "CREATE TABLE user_referrals(referred_id INTEGER PRIMARY KEY,"
	    " referrer_id INTEGER NOT NULL, bound_at TEXT NOT NULL);"
	    "CREATE TABLE ref_events(id TEXT PRIMARY KEY,"
	    " contest_id TEXT NOT NULL, referrer_id INTEGER NOT NULL,"
	    " referred_id INTEGER NOT NULL, bound_at TEXT NOT NULL,"
	    " status TEXT NOT NULL, qualified_at TEXT);"
	    "CREATE TABLE ticket_ledger(id TEXT PRIMARY KEY,"
	    " contest_id TEXT NOT NULL, referrer_id INTEGER NOT NULL,"
	    " referred_id INTEGER NOT NULL, order_id TEXT NOT NULL,"
	    " delta INTEGER NOT NULL, reason TEXT NOT NULL,"
	    " created_at TEXT NOT NULL);"
	    "CREATE TABLE plan_tickets(plan_id TEXT PRIMARY KEY,"
	    " tickets INTEGER NOT NULL CHECK (tickets >= 0));");
}

void
tu_contest(const struct tu_env *e, const char *id, const char *starts,
    const char *ends, int window_days, int active)
{
	tu_exec(e, "INSERT INTO contests(id, starts_at, ends_at,"
	    " attribution_window_days, is_active) VALUES (%Q, %Q, %Q, %d, %d)",
	    id, starts, ends, window_days, active);
}

void
tu_plan(const struct tu_env *e, const char *plan, int64_t tickets)
{
	tu_exec(e, "INSERT INTO plan_tickets(plan_id, tickets) VALUES (%Q,"
	    " %lld)", plan, (long long)tickets);
}

void
tu_referral(const struct tu_env *e, int64_t referred, int64_t referrer,
    const char *bound_at)
{
	tu_exec(e, "INSERT INTO user_referrals(referred_id, referrer_id,"
	    " bound_at) VALUES (%lld, %lld, %Q)", (long long)referred,
	    (long long)referrer, bound_at);
}

void
tu_ledger(const struct tu_env *e, const char *id, const char *contest,
    int64_t owner, int64_t buyer, const char *order, int64_t delta,
    const char *reason, const char *created_at)
{
	tu_exec(e, "INSERT INTO ticket_ledger(id, contest_id, referrer_id,"
	    " referred_id, order_id, delta, reason, created_at)"
	    " VALUES (%Q, %Q, %lld, %lld, %Q, %lld, %Q, %Q)", id, contest,
	    (long long)owner, (long long)buyer, order, (long long)delta,
	    reason, created_at);
}

void
tu_assert_str(char *got, const char *want, const char *what)
{
	int ok = got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want;

	if (!ok) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: got %s%s%s, want %s%s%s",
		    what, got ? "\"" : "", got ? got : "NULL",
		    got ? "\"" : "", want ? "\"" : "", want ? want : "NULL",
		    want ? "\"" : "");
		free(got);
		cr_assert_fail("%s", msg);
	}
	free(got);
}

void
tu_assert_contains(char *got, const char *needle, const char *what)
{
	char msg[512];

	if (got != NULL && strstr(got, needle) != NULL) {
		free(got);
		return;
	}
	snprintf(msg, sizeof(msg), "%s: \"%s\" does not contain \"%s\"",
	    what, got != NULL ? got : "NULL", needle);
	free(got);
	cr_assert_fail("%s", msg);
}

void
tu_assert_iso_ms_z(char *got, const char *what)
{
	char msg[512];

	if (tu_is_iso_ms_z(got)) {
		free(got);
		return;
	}
	snprintf(msg, sizeof(msg), "%s: \"%s\" is not "
	    "YYYY-MM-DDTHH:MM:SS.mmmZ", what, got != NULL ? got : "NULL");
	free(got);
	cr_assert_fail("%s", msg);
}

void
tu_assert_ledger(const struct tu_env *e, const char *id, const char *contest,
    int64_t owner, int64_t buyer, const char *order, int64_t delta,
    const char *reason)
{
	char want[512], what[256];

	cr_assert_eq(tu_int(e, "SELECT count(*) FROM ticket_ledger"
	    " WHERE id = %Q", id), 1, "ledger row %s: not there", id);
	snprintf(want, sizeof(want), "%s|%lld|%lld|%s|%lld|%s", contest,
	    (long long)owner, (long long)buyer, order, (long long)delta,
	    reason);
	snprintf(what, sizeof(what), "ledger row %s "
	    "(contest|owner|buyer|order|delta|reason)", id);
	tu_assert_str(tu_str(e, "SELECT contest_id || '|' || referrer_id"
	    " || '|' || referred_id || '|' || order_id || '|' || delta"
	    " || '|' || reason FROM ticket_ledger WHERE id = %Q", id), want,
	    what);
}

int64_t
tu_ms(const char *s)
{
	int64_t ms = 0;

	cr_assert_eq(atime_parse(s, &ms), 0, "time \"%s\" does not parse", s);
	return ms;
}

const char *
tu_iso(int64_t ms, char buf[ATIME_BUFSZ])
{
	atime_format(ms, buf);
	return buf;
}

int
tu_is_iso_ms_z(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	int64_t ms;

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return 0;
	for (size_t i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != pat[i])
			return 0;
	}
	return atime_parse(s, &ms) == 0;
}

struct award_req
tu_req(const char *order, int64_t tg, const char *plan,
    const char *order_time)
{
	struct award_req r;

	memset(&r, 0, sizeof(r));
	cr_assert_lt(strlen(order), sizeof(r.order_id));
	cr_assert_lt(strlen(plan), sizeof(r.plan_id));
	snprintf(r.order_id, sizeof(r.order_id), "%s", order);
	snprintf(r.plan_id, sizeof(r.plan_id), "%s", plan);
	r.telegram_id = tg;
	r.order_ms = tu_ms(order_time);
	r.amount_minor = -1;
	return r;
}

void
tu_req_pay(struct award_req *r, const char *payment_id, int64_t amount_minor)
{
	cr_assert_lt(strlen(payment_id), sizeof(r->payment_id));
	snprintf(r->payment_id, sizeof(r->payment_id), "%s", payment_id);
	r->amount_minor = amount_minor;
	snprintf(r->currency, sizeof(r->currency), "RUB");
}

struct refund_req
tu_refund(const char *refund_id, const char *payment_id, int64_t amount_minor)
{
	struct refund_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.refund_id, sizeof(r.refund_id), "%s", refund_id);
	snprintf(r.payment_id, sizeof(r.payment_id), "%s", payment_id);
	r.amount_minor = amount_minor;
	snprintf(r.currency, sizeof(r.currency), "RUB");
	return r;
}

sqlite3 *
tu_lock(const char *path)
{
	sqlite3	*db = tu_conn_file(path);
	char	*msg = NULL;
	int	 rc;

	rc = sqlite3_exec(db, "BEGIN EXCLUSIVE;"
	    " CREATE TABLE IF NOT EXISTS tu_lock_probe(x);"
	    " INSERT INTO tu_lock_probe VALUES (1)", NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "lock %s: %s", path,
	    msg != NULL ? msg : sqlite3_errmsg(db));
	return db;
}

void
tu_unlock(sqlite3 *db)
{
	if (db == NULL)
		return;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* The race pipes of the current child (set before fn runs). */
static int race_ready = -1, race_go = -1;

void
tu_race_go(void)
{
	char c = 'r';

	if (race_ready != -1) {
		if (write(race_ready, &c, 1) != 1)
			c = 'x';	/* the parent then sees EOF */
		close(race_ready);
		race_ready = -1;
	}
	if (race_go != -1) {
		while (read(race_go, &c, 1) == -1 && errno == EINTR)
			continue;
		close(race_go);
		race_go = -1;
	}
}

void
tu_race(int n, int (*fn)(int idx, void *arg), void *arg, int *codes)
{
	pid_t	pids[TU_RACE_MAX];
	int	ready[2], go[2], got = 0, st;
	char	buf[TU_RACE_MAX];
	ssize_t	r;

	cr_assert(n > 0 && n <= TU_RACE_MAX);
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(go), 0);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1, "fork: %s", strerror(errno));
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			race_ready = ready[1];
			race_go = go[0];
			_exit(fn(i, arg));
		}
	}
	close(ready[1]);
	close(go[0]);
	/* Until every child is ready or gone (a child that fails early). */
	while (got < n) {
		r = read(ready[0], buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (int)r;
	}
	close(go[1]);		/* everyone goes */
	close(ready[0]);
	for (int i = 0; i < n; i++) {
		while (waitpid(pids[i], &st, 0) == -1 && errno == EINTR)
			continue;
		codes[i] = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WIFSIGNALED(st) ? 100 + WTERMSIG(st) : 99;
	}
}
