/*
 * The writer thread (writer.h). Jobs are appended to a list, each with a
 * callback: a request thread's posts its own semaphore and the thread
 * sleeps on it (writer_run); the poll thread's hands the answer back
 * to the poll loop (writer_post). The writer takes what waits (at most
 * GROUP_JOBS), runs it as one group, takes in what was posted while the
 * group's rules ran (job_run_group_more, up to GROUP_JOBS in all: those
 * jobs commit with it instead of waiting a whole turn), and calls back
 * each job of that group: only the waiters of the finished group wake,
 * never the threads whose jobs are still queued (a broadcast to all of
 * them cost ~13 futex calls per request, issue 14).
 * There is no timer and no artificial wait: a group is whatever queued
 * while the previous commit ran, so at one connection every group holds
 * one job and latency is that of a lone transaction.
 *
 * Checkpoints are moved off the commit path: SQLite's automatic checkpoint
 * would copy the WAL into the database (and fsync it) inside the COMMIT of
 * whichever group crossed 1000 WAL pages, and every request of that group
 * would wait for it. The writer's WAL hook wakes a checkpointer thread
 * instead, which runs a PASSIVE checkpoint on a connection of its own: it
 * never blocks the writer, and the next group commits meanwhile.
 *
 * The admin views' totals are folded here too (totals.h), never by a read:
 * when no job waits, one short step at a time, trying the write lock once
 * so that it never waits behind another process; a job that arrives
 * during a step waits for that step only (TOTALS_STEP_CHUNK rows). Under
 * a steady load the writer looks whether a fold is due at most every
 * UPKEEP_MS, not after every group.
 */
#include <sys/prctl.h>

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counters.h"
#include "ctx.h"
#include "job.h"
#include "log.h"
#include "memtune.h"
#include "roles.h"
#include "totals.h"
#include "writer.h"

#define CKPT_PAGES	1000	/* SQLite's own autocheckpoint threshold */
#define WAL_BOUND_PAGES	(4 * CKPT_PAGES) /* the writer lets the WAL restart */
#define CKPT_QUIET_MS	100	/* no commit for this long: the load is over */
/*
 * The totals' look (totals_step: one read of the watermark and the
 * ledger's end) cost 11 µs of the writer's CPU, and it came after nearly
 * every group of about ten jobs under load. At most this often now: at
 * 15 000 awards a second, 300 rows, a third of TOTALS_FOLD_MIN.
 */
#define UPKEEP_MS	20
/*
 * The most jobs in one group. Without a bound, a group took in every job
 * posted while it ran: under a steady load nearly every request in the
 * worker ended up in one group, and the worker went in lock-step. The
 * writer ran the group while the transport had little to do, then, with
 * nothing left to run, slept through the round trip of that whole
 * group's answers (the writer asleep 41 % of the time, the CPUs a
 * quarter idle, issue 14). A bound makes the groups overlap instead: one
 * runs while the answers of the one before travel and the next one
 * fills. A bigger group saves less and less: 16 jobs already share one
 * COMMIT and its fdatasync (about 0.3 ms at FULL). Measured with 32
 * connections, alternated (prof runs of tests/bench/hotpath.sh's stack;
 * 8, 12, 16, 20, 24, 32 and no bound tried): 16 was the best at FULL,
 * +11 to +27 % req/s against no bound; with 128 connections, no loss.
 */
#define GROUP_JOBS	16

struct writer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* jobs queued, or stop */
	pthread_cond_t	 ckpt;		/* a checkpoint is due, or stop */
	struct writer_post *head, *tail;
	int		 idle;		/* the writer sleeps on work */
	size_t		 waiting;	/* jobs in the list, not yet taken */
	int		 stopping;
	int		 ckpt_due;
	int		 ckpt_quiet;	/* checkpoint once no commit for a while */
	unsigned long	 commits;	/* groups committed or failed, ever */
	int		 upkeep_due;	/* totals_step() may have work */
	struct timespec	 upkeep_at;	/* writer thread only: not before */
	struct award_ctx *ctx;
	struct award_ctx *ckpt_ctx;	/* the checkpointer's connection */
	int		 folding;	/* writer thread only: fold begun */
	/* Writer thread only (wal_hook): per WAL, main and bot. */
	int		 ckpt_asked[2];	/* its size at the last request */
	int		 wal_long;	/* a WAL is past WAL_BOUND_PAGES */
	int		 wal_over;	/* a WAL is past twice that */
	unsigned long	 long_after;	/* restart once ckpt_runs passes it */
	/* mu: the checkpointer at work, and the checkpoints it finished. */
	int		 ckpt_running;
	unsigned long	 ckpt_runs;
	int		 ckpt_idle;	/* a WAL is past CKPT_PAGES */
	struct counters	*counters;
	pthread_t	 thread;
	pthread_t	 ckpt_thread;
};

/*
 * sqlite3_wal_hook, on the writer thread after each commit, with the
 * size in pages of that database's WAL. A checkpoint is asked for every
 * CKPT_PAGES pages added since the last time it was asked: a WAL that
 * cannot restart (the writer always has the next group in it) stays above
 * CKPT_PAGES, and asking at every commit above it made the checkpointer
 * copy a few pages and sync both files for almost every group (215
 * fdatasync(2) of the checkpointer against 168 commits, strace). A
 * checkpoint that runs while groups commit copies what it can but cannot
 * finish (SQLite syncs the database file and lets the WAL restart only
 * once every frame is copied), so one more is asked for when the load is
 * over (ckpt_main: no commit for CKPT_QUIET_MS); and past
 * WAL_BOUND_PAGES, under a load that never pauses, the writer checkpoints
 * itself between two groups, so that the WAL restarts and its file stays
 * bounded (writer_main). It does so once the checkpointer has run a
 * checkpoint begun after the WAL passed the bound: that one syncs the WAL
 * and copies most frames off the writer's cycle, and the writer's own,
 * which every request waits for, took 3.1-3.9 ms instead of 5.2-6.0 ms
 * under NORMAL. Past twice the bound the writer does not wait for it.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *schema, int pages)
{
	struct writer	*w = arg;
	int		*asked = &w->ckpt_asked[strcmp(schema, "main") != 0];

	(void)db;
	if (pages < *asked)
		*asked = 0;		/* the WAL restarted */
	if (pages >= CKPT_PAGES)
		w->ckpt_idle = 1;
	if (pages >= 2 * WAL_BOUND_PAGES)
		w->wal_over = 1;
	if (pages >= WAL_BOUND_PAGES && !w->wal_long) {
		w->wal_long = 1;
		pthread_mutex_lock(&w->mu);
		/* A checkpoint under way began before the bound: the next. */
		w->long_after = w->ckpt_runs + (w->ckpt_running ? 1 : 0);
		w->ckpt_due = 1;
		pthread_cond_signal(&w->ckpt);
		pthread_mutex_unlock(&w->mu);
	}
	if (pages - *asked >= CKPT_PAGES) {
		*asked = pages;
		pthread_mutex_lock(&w->mu);
		w->ckpt_due = 1;
		pthread_cond_signal(&w->ckpt);
		pthread_mutex_unlock(&w->mu);
	}
	return SQLITE_OK;
}

/*
 * The writer thread, between two groups, once a WAL is past
 * WAL_BOUND_PAGES: a checkpoint on the writer's own connection, which no
 * commit can run ahead of, so that it copies every frame and the next
 * group starts the WAL from its beginning. Busy (the checkpointer is at
 * it, or a reader holds an old snapshot): tried again after the next
 * group.
 */
static void
wal_restart(struct writer *w)
{
	int rc;

	counters_checkpoint(w->counters, CKPT_BOUND);
	rc = sqlite3_wal_checkpoint_v2(w->ctx->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc == SQLITE_OK)
		w->wal_long = w->wal_over = 0;
	else if (rc != SQLITE_BUSY)
		log_msg(LOG_WARN, "checkpoint failed", LF_STR("error",
		    sqlite3_errmsg(w->ctx->db)), LF_END);
}

/* 1 when the writer's own checkpoint is due (wal_hook). */
static int
restart_ready(struct writer *w)
{
	int ready;

	pthread_mutex_lock(&w->mu);
	ready = w->wal_over || (!w->ckpt_running &&
	    w->ckpt_runs > w->long_after);
	pthread_mutex_unlock(&w->mu);
	return ready;
}

/* *ts: CLOCK_MONOTONIC (the clock of w->ckpt) now and ms more. */
static void
deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += ms % 1000 * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* 1 when CLOCK_MONOTONIC has reached *ts. */
static int
passed(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec &&
	    now.tv_nsec >= ts->tv_nsec);
}

/*
 * The checkpointer: a checkpoint as soon as the WAL hook asks for one
 * (ckpt_due); the one asked for when the writer fell idle with a WAL past
 * CKPT_PAGES (ckpt_quiet) only once CKPT_QUIET_MS passed without a
 * commit (or once the wait fails). Under a steady load the writer falls
 * idle between most groups: a checkpoint at each of those moments cost
 * two fdatasync(2) (the WAL, then the database) every 4 to 12 commits,
 * each queued on the device ahead of the next group's own sync
 * (io_time.so, docs/bench-hotpath.md).
 */
static void *
ckpt_main(void *arg)
{
	struct writer	*w = arg;

	/* Named for top -H, ps -L and perf (the process keeps its own). */
	prctl(PR_SET_NAME, "award-ckpt");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		enum ckpt_reason why = CKPT_PAGES_ADDED;
		int		 rc;

		while (!w->ckpt_due && !w->ckpt_quiet && !w->stopping)
			pthread_cond_wait(&w->ckpt, &w->mu);
		if (w->stopping)
			break;
		if (!w->ckpt_due) {
			unsigned long	seen = w->commits;
			struct timespec	ts;

			deadline(&ts, CKPT_QUIET_MS);
			rc = 0;
			while (!w->ckpt_due && !w->stopping && rc == 0)
				rc = pthread_cond_timedwait(&w->ckpt, &w->mu,
				    &ts);
			if (!w->ckpt_due && w->commits != seen)
				continue;	/* not over yet: wait again */
			if (!w->ckpt_due)
				why = CKPT_QUIET;
			if (w->stopping)
				break;
		}
		w->ckpt_due = 0;
		w->ckpt_quiet = 0;
		w->ckpt_running = 1;
		pthread_mutex_unlock(&w->mu);
		counters_checkpoint(w->counters, why);
		/* Every attached database: the service file and the bot's. */
		rc = sqlite3_wal_checkpoint_v2(w->ckpt_ctx->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_msg(LOG_WARN, "checkpoint failed", LF_STR("error",
			    sqlite3_errmsg(w->ckpt_ctx->db)), LF_END);
		pthread_mutex_lock(&w->mu);
		w->ckpt_running = 0;
		w->ckpt_runs++;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * One step of the totals' upkeep (the writer thread, no job waiting):
 * due again after a step that left more to do, else after the next group.
 * Once a fold has begun it goes on to the watermark's end.
 */
static void
upkeep(struct writer *w)
{
	enum totals_result rc;

	rc = totals_step(w->ctx, w->folding ? 0 : TOTALS_FOLD_MIN, 1);
	if (rc == TOTALS_ERROR)
		log_msg(LOG_WARN, "admin totals not brought up to date",
		    LF_STR("error", sqlite3_errmsg(w->ctx->db)), LF_END);
	w->folding = rc == TOTALS_MORE;
	/* A fold goes on at once; else the next look waits UPKEEP_MS. */
	if (!w->folding)
		deadline(&w->upkeep_at, UPKEEP_MS);
	pthread_mutex_lock(&w->mu);
	w->upkeep_due = rc == TOTALS_MORE;
	pthread_mutex_unlock(&w->mu);
}

/* The group in progress on the writer thread: its posts and jobs. */
struct group {
	struct writer		*w;
	struct writer_post	*taken[GROUP_JOBS];
	struct job		*batch[GROUP_JOBS];
	size_t			 n;
};

/*
 * Up to max posts off the list into the group (the jobs at jobs[0..),
 * which is g->batch + g->n); how many. job_more_fn, and the group's start.
 */
static size_t
take_posts(void *arg, struct job **jobs, size_t max)
{
	struct group	*g = arg;
	struct writer	*w = g->w;
	size_t		 k;

	pthread_mutex_lock(&w->mu);
	for (k = 0; k < max && w->head != NULL; k++) {
		g->taken[g->n + k] = w->head;
		jobs[k] = &w->head->job;
		w->head = w->head->next;
	}
	if (w->head == NULL)
		w->tail = NULL;
	w->waiting -= k;
	g->n += k;
	pthread_mutex_unlock(&w->mu);
	return k;
}

static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct group	 g = { .w = w };
	size_t		 n;

	prctl(PR_SET_NAME, "award-writer");
	for (;;) {
		struct job_group_stats st;

		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stopping) {
			if (w->upkeep_due && passed(&w->upkeep_at)) {
				pthread_mutex_unlock(&w->mu);
				upkeep(w);
				pthread_mutex_lock(&w->mu);
				continue;
			}
			if (w->ckpt_idle) {
				/* Once the load is over: ckpt_main. */
				w->ckpt_idle = 0;
				if (!w->ckpt_quiet) {
					w->ckpt_quiet = 1;
					pthread_cond_signal(&w->ckpt);
				}
			}
			w->idle = 1;
			if (w->upkeep_due)	/* a look, once UPKEEP_MS passed */
				pthread_cond_timedwait(&w->work, &w->mu,
				    &w->upkeep_at);
			else
				pthread_cond_wait(&w->work, &w->mu);
			w->idle = 0;
		}
		if (w->head == NULL) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
		g.n = 0;
		n = take_posts(&g, g.batch, GROUP_JOBS);

		/*
		 * The group's log lines: one write, before any answer. Jobs
		 * posted while its rules run join it before the COMMIT.
		 */
		log_batch_begin();
		job_run_group_more(w->ctx, g.batch, &n, GROUP_JOBS,
		    take_posts, &g, &st);
		log_batch_end();
		counters_group(w->counters, n, st.seconds);
		if (st.fallback > 0)
			counters_fallback(w->counters, st.fallback);

		pthread_mutex_lock(&w->mu);
		w->upkeep_due = 1;
		w->commits++;
		pthread_mutex_unlock(&w->mu);
		/*
		 * A job may be gone (off a waiter's stack, or freed) as soon
		 * as it is called back: nothing reads g.taken[i] after.
		 */
		for (size_t i = 0; i < n; i++)
			g.taken[i]->done(g.taken[i]);
		if (w->wal_long && restart_ready(w))
			wal_restart(w);
	}
	return NULL;
}

/* Close the connections and free w; its threads are not running. */
static void
writer_free(struct writer *w)
{
	award_ctx_close(w->ckpt_ctx);
	award_ctx_close(w->ctx);
	pthread_cond_destroy(&w->ckpt);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

struct writer *
writer_start(const struct award_config *cfg, struct counters *counters,
    char *err, size_t errsz)
{
	struct writer		*w;
	pthread_condattr_t	 ca;
	int			 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	w->counters = counters;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_cond_init(&w->ckpt, &ca);
	pthread_condattr_destroy(&ca);
	/* At start the totals may be behind (another process wrote). */
	w->upkeep_due = 1;
	if ((w->ctx = award_ctx_open(cfg, &roles_writer, err, errsz)) == NULL ||
	    (w->ckpt_ctx = award_ctx_open(cfg, &roles_checkpointer, err,
	    errsz)) == NULL)
		goto fail;
	if (memtune_writer(w->ctx->db) == -1) {
		snprintf(err, errsz, "writer cache: %s",
		    sqlite3_errmsg(w->ctx->db));
		goto fail;
	}
	/* Replaces the automatic checkpoint of the writer's connection. */
	sqlite3_wal_hook(w->ctx->db, wal_hook, w);
	if ((rc = pthread_create(&w->ckpt_thread, NULL, ckpt_main, w)) != 0) {
		snprintf(err, errsz, "checkpoint thread: %s", strerror(rc));
		goto fail;
	}
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		snprintf(err, errsz, "writer thread: %s", strerror(rc));
		pthread_mutex_lock(&w->mu);
		w->stopping = 1;
		pthread_cond_signal(&w->ckpt);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->ckpt_thread, NULL);
		goto fail;
	}
	return w;
fail:
	writer_free(w);
	return NULL;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->work);
	pthread_cond_signal(&w->ckpt);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_join(w->ckpt_thread, NULL);
	writer_free(w);
}

/* Append wp; wake the writer only when it sleeps. */
void
writer_post(struct writer *w, struct writer_post *wp)
{
	int wake;

	wp->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = wp;
	else
		w->head = wp;
	w->tail = wp;
	/* Tests see that jobs wait for one group (test_group.sh). */
	log_msg(LOG_DEBUG, "writer job queued", LF_INT("waiting",
	    (long long)++w->waiting), LF_END);
	wake = w->idle;
	pthread_mutex_unlock(&w->mu);
	if (wake)
		pthread_cond_signal(&w->work);
}

static void
post_sem(struct writer_post *wp)
{
	sem_post(wp->arg);
}

void
writer_run(struct writer *w, struct job *job)
{
	struct writer_post	wp = { .job = *job, .done = post_sem };
	sem_t			done;
	int			rc;

	rc = sem_init(&done, 0, 0);
	assert(rc == 0);	/* only EINVAL, for a value above SEM_VALUE_MAX */
	wp.arg = &done;
	writer_post(w, &wp);
	do
		rc = sem_wait(&done);
	while (rc == -1 && errno == EINTR);
	sem_destroy(&done);
	*job = wp.job;
}
