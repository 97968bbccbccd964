/*
 * bench_award: the award transaction against the cost floor of SQLite
 * itself, measured in the same run on the same disk with the same pragmas.
 *
 *   floor     one BEGIN IMMEDIATE / INSERT one row / COMMIT (a durable write)
 *   awarded   award_apply() of a new order: payment row, contest, plan,
 *             referral, two ledger rows, ref_events (SPEC §4)
 *   duplicate award_apply() of an order already awarded
 *   retry     an award-retry run over an empty queue with many done rows
 *
 * Prints one line per figure and the ratios docs/figures.md quotes. Memory: the
 * process's peak RSS (VmHWM) after the first and after the last batch; a
 * ratio near 1 means no growth per award.
 *
 * usage: bench_award [N]   (default 2000 awards per figure)
 *        bench_award floor FULL|NORMAL N
 *            only the per-commit floor of the HTTP benchmark (run.sh): N
 *            awards of new orders, one award_apply() (one durable
 *            transaction) each, service and bot in separate files as the
 *            shipped configuration has them; prints "floor_tps X".
 *        bench_award group FULL|NORMAL N G
 *            the writer's cost per award as award-fcgi runs it: N awards
 *            of new orders in groups of G (job_run_group, one COMMIT per
 *            group), on the writer's connection with its cache
 *            (memtune_writer) and SQLite's checkpoint every
 *            AWARD_BENCH_CKPT pages (default 1000, the writer's); prints
 *            awards/s and the process's CPU µs per award (user + system,
 *            getrusage), a figure that a busy machine disturbs far less
 *            than a time.
 *
 * glibc's malloc is set up as award-fcgi's worker sets it (memtune.h),
 * unless AWARD_BENCH_MALLOC=glibc asks for glibc's defaults (the "before"
 * of that setting, in hotpath.sh).
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "atime.h"
#include "award.h"
#include "job.h"
#include "config.h"
#include "ctx.h"
#include "memtune.h"
#include "retryq.h"
#include "roles.h"

static double
now_s(void)
{
	return (double)atime_mono_ns() / 1e9;
}

static long
vm_kb(const char *field)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench_award: %s: %s\n", what, why);
	exit(1);
}

static void
exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err != NULL ? err : "?");
}

/* The floor: n durable one-row write transactions. */
static double
floor_run(const char *path, int full, int n)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	double		 t0;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open", path);
	exec_sql(db, "PRAGMA journal_mode=WAL");
	exec_sql(db, full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL");
	exec_sql(db, "CREATE TABLE IF NOT EXISTS floor(id TEXT PRIMARY KEY,"
	    " v INTEGER NOT NULL)");
	if (sqlite3_prepare_v2(db, "INSERT INTO floor VALUES (?1, ?2)", -1,
	    &st, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(db));
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "f%d", i);
		exec_sql(db, "BEGIN IMMEDIATE");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, i);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(db));
		sqlite3_reset(st);
		exec_sql(db, "COMMIT");
	}
	t0 = now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t0;
}

static void
seed(const char *path)
{
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open", path);
	exec_sql(db, "INSERT INTO contests VALUES ('bench', "
	    "'2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 0, 1);"
	    "INSERT INTO plan_tickets VALUES ('plan_1m', 1);");
	/* Every buyer has a referrer: the full path of rule 5. */
	exec_sql(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < 200000) INSERT INTO user_referrals"
	    " SELECT 1000000 + i, 1, '2026-01-01 00:00:00' FROM n");
	sqlite3_close(db);
}

/* n awards of orders prefix0..n-1; returns seconds. */
static double
award_run(struct award_ctx *ctx, const char *prefix, int n,
    enum award_result want)
{
	struct award_req	req;
	struct award_out	out;
	double			t0 = now_s();

	for (int i = 0; i < n; i++) {
		memset(&req, 0, sizeof(req));
		snprintf(req.order_id, sizeof(req.order_id), "%s%d", prefix, i);
		snprintf(req.payment_id, sizeof(req.payment_id), "p-%s%d",
		    prefix, i);
		snprintf(req.plan_id, sizeof(req.plan_id), "plan_1m");
		req.telegram_id = 1000000 + i % 200000;
		req.order_ms = 1780000000000LL;
		req.amount_minor = 19900;
		strcpy(req.currency, "RUB");
		if (award_apply(ctx, &req, &out) != want)
			die("award_apply", out.error[0] ? out.error :
			    award_result_name(out.result));
	}
	return now_s() - t0;
}

static void
one_mode(const char *dir, int full, int n)
{
	struct award_config	 cfg;
	struct award_ctx	*ctx;
	struct retry_run	 run;
	char			 err[CONFIG_ERR_MAX], fpath[1024];
	double			 tf, ta, td, tr;
	long			 hwm1, hwm2;

	if (config_load(&cfg, err, sizeof(err)) == -1)
		die("config", err);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/award-%d.db", dir,
	    full);
	snprintf(fpath, sizeof(fpath), "%s/floor-%d.db", dir, full);
	cfg.synchronous_full = full;

	if ((ctx = award_ctx_open(&cfg, &roles_writer, err,
	    sizeof(err))) == NULL)
		die("open", err);
	seed(cfg.db_path);

	tf = floor_run(fpath, full, n);
	(void)award_run(ctx, "warm", n / 10 + 1, AWARD_AWARDED);
	hwm1 = vm_kb("VmHWM:");
	ta = award_run(ctx, "o", n, AWARD_AWARDED);
	td = award_run(ctx, "o", n, AWARD_DUPLICATE);
	hwm2 = vm_kb("VmHWM:");
	tr = now_s();
	if (job_retry_run(ctx, 0, RETRYQ_LIMIT_DEFAULT, &run) == -1)
		die("retry run", "failed");
	tr = now_s() - tr;

	printf("synchronous=%s n=%d\n", full ? "FULL" : "NORMAL", n);
	printf("  floor      %8.1f us/txn  (%.0f txn/s)\n", tf / n * 1e6,
	    n / tf);
	printf("  awarded    %8.1f us/award (%.0f awards/s)  ratio to floor "
	    "%.2f\n", ta / n * 1e6, n / ta, ta / tf);
	printf("  duplicate  %8.1f us/award  ratio to floor %.2f\n",
	    td / n * 1e6, td / tf);
	printf("  retry run, empty queue: %.2f ms  ratio to one floor txn "
	    "%.2f\n", tr * 1e3, tr / (tf / n));
	printf("  peak RSS   %ld kB after warm-up, %ld kB after %d more "
	    "awards: ratio %.3f\n", hwm1, hwm2, 2 * n,
	    hwm1 > 0 ? (double)hwm2 / (double)hwm1 : 0.0);
	award_ctx_close(ctx);
}

/*
 * The writer's connection on DIR/svc.db and DIR/bot.db, service and bot
 * in separate files as the shipped configuration has them.
 */
static struct award_ctx *
open_pair(struct award_config *cfg, const char *dir, int full)
{
	struct award_ctx	*ctx;
	char			 err[CONFIG_ERR_MAX];

	if (config_load(cfg, err, sizeof(err)) == -1)
		die("config", err);
	snprintf(cfg->db_path, sizeof(cfg->db_path), "%s/svc.db", dir);
	snprintf(cfg->bot_db_path, sizeof(cfg->bot_db_path), "%s/bot.db", dir);
	cfg->synchronous_full = full;
	if ((ctx = award_ctx_open(cfg, &roles_writer, err,
	    sizeof(err))) == NULL)
		die("open", err);
	return ctx;
}

/* The HTTP benchmark's floor: awards per second, one per transaction. */
static void
floor_only(const char *dir, int full, int n)
{
	struct award_config	 cfg;
	struct award_ctx	*ctx;
	double			 t;

	ctx = open_pair(&cfg, dir, full);
	seed(cfg.bot_db_path);
	(void)award_run(ctx, "warm", n / 10 + 1, AWARD_AWARDED);
	t = award_run(ctx, "o", n, AWARD_AWARDED);
	printf("floor_tps %.0f\n", n / t);
	award_ctx_close(ctx);
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* n awards in groups of g through job_run_group, as the writer runs them. */
static void
group_only(const char *dir, int full, int n, int g)
{
	struct award_config	 cfg;
	struct award_ctx	*ctx;
	struct job		*jobs;
	struct job		*batch[JOB_GROUP_MAX];
	struct job_group_stats	 st;
	char			 sql[64];
	const char		*ck = getenv("AWARD_BENCH_CKPT");
	double			 t0, c0;

	if (g < 1 || g > JOB_GROUP_MAX)
		die("group size", "1 to JOB_GROUP_MAX");
	ctx = open_pair(&cfg, dir, full);
	if (memtune_writer(ctx->db) == -1)
		die("memtune_writer", sqlite3_errmsg(ctx->db));
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%d",
	    ck != NULL ? atoi(ck) : 1000);
	exec_sql(ctx->db, sql);
	seed(cfg.bot_db_path);
	if ((jobs = calloc((size_t)g, sizeof(*jobs))) == NULL)
		die("calloc", "out of memory");
	t0 = now_s();
	c0 = cpu_s();
	for (int i = 0; i < n; i += g) {
		int k = n - i < g ? n - i : g;

		for (int j = 0; j < k; j++) {
			struct award_req *r = &jobs[j].award;

			memset(&jobs[j], 0, sizeof(jobs[j]));
			jobs[j].kind = JOB_AWARD;
			snprintf(r->order_id, sizeof(r->order_id), "g%d", i + j);
			snprintf(r->payment_id, sizeof(r->payment_id), "p-g%d",
			    i + j);
			snprintf(r->plan_id, sizeof(r->plan_id), "plan_1m");
			r->telegram_id = 1000000 + (i + j) % 200000;
			r->order_ms = 1780000000000LL;
			r->amount_minor = 19900;
			strcpy(r->currency, "RUB");
			batch[j] = &jobs[j];
		}
		job_run_group(ctx, batch, (size_t)k, &st);
		if (!st.committed || jobs[0].aout.result != AWARD_AWARDED)
			die("job_run_group", award_result_name(
			    jobs[0].aout.result));
	}
	c0 = cpu_s() - c0;
	t0 = now_s() - t0;
	printf("group %s n=%d g=%d: %.0f awards/s, %.1f cpu_us/award\n",
	    full ? "FULL" : "NORMAL", n, g, n / t0, c0 / n * 1e6);
	free(jobs);
	award_ctx_close(ctx);
}

int
main(int argc, char *argv[])
{
	char	dir[] = "/tmp/award-bench-XXXXXX";
	char	cmd[128];
	int	n = argc > 1 ? atoi(argv[1]) : 2000;
	const char *m = getenv("AWARD_BENCH_MALLOC");

	if (m == NULL || strcmp(m, "glibc") != 0) {
		memtune_sqlite();
		memtune_process(0);
	}
	if (n < 10)
		n = 10;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", "failed");
	if (argc == 5 && strcmp(argv[1], "group") == 0)
		group_only(dir, strcmp(argv[2], "FULL") == 0, atoi(argv[3]),
		    atoi(argv[4]));
	else if (argc == 4 && strcmp(argv[1], "floor") == 0) {
		n = atoi(argv[3]);
		floor_only(dir, strcmp(argv[2], "FULL") == 0, n < 10 ? 10 : n);
	} else {
		one_mode(dir, 0, n);
		one_mode(dir, 1, n);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_award: could not remove %s\n", dir);
	return 0;
}
