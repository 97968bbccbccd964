/*
 * The worker process. Its main thread runs the poll loop (conn.c): it
 * accepts, reads every FastCGI request without blocking and hands over
 * the connection of a whole request here; a stalled peer never holds a
 * thread. A webhook that needs no API call is served on the poll thread
 * (take_inline: checked, posted to the writer, answered after the COMMIT).
 * Request threads take every other whole request, route it, hand every
 * write to the writer thread, take a read connection from a small pool
 * (readers.h) only for a request that reads, write the response with one
 * writev and give the connection back to the poll loop (kept or closed).
 * SIGTERM/SIGINT come through a signalfd (no handler runs). Not here: the
 * records (fcgi_rec.c), the connections' limits and deadlines (conn.c).
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atime.h"
#include "conn.h"
#include "counters.h"
#include "ctx.h"
#include "http.h"
#include "log.h"
#include "memtune.h"
#include "readers.h"
#include "routes.h"
#include "worker.h"
#include "writer.h"
#include "yookassa.h"

/*
 * Memory (make bench, README "Figures"): glibc gives each busy thread an
 * arena of its own, and each of SQLite's connections (writer, readers,
 * checkpointer) a page cache filled from the arena of whichever thread
 * used it; together they grew a worker past 20 MB under load. Two arenas
 * keep that bounded; the page caches themselves are sized in memtune.h
 * (no soft heap limit: it made SQLite read hot pages again every group).
 */
#define ARENA_MAX	2

struct worker;

/* One request thread. */
struct slot {
	struct worker	*wk;
	pthread_t	 thread;
	int		 started;
	struct route_env env;
};

struct worker {
	const struct award_config *cfg;
	struct connset	*cs;
	pthread_mutex_t	 mu;		/* the queue, stopping, running */
	pthread_cond_t	 cv;
	struct conn	*qhead, *qtail;	/* whole requests for a thread */
	int		 stopping;
	int		 running;	/* request threads not yet returned */
	struct slot	*slots;
	int		 nslots;
	struct counters	*counters;
	struct route_env env;		/* the poll thread's (routes_inline) */
	struct exch	*spare;		/* the poll thread's, for reuse */
	int		 nspare;
};

/* Exchanges kept for reuse: about the connections nginx keeps open. */
#define EXCH_SPARE_MAX	64

/* The monotonic clock in seconds, for a request's duration. */
static double
mono_s(void)
{
	return (double)atime_mono_ns() / 1e9;
}

/* Count and log the request, then send res: the end of every request. */
static void
answer(struct worker *wk, struct request *req, struct response *res,
    double t0)
{
	double dt = mono_s() - t0;

	counters_request(wk->counters, res->route, res->status, dt);
	log_msg(res->status >= 500 ? LOG_ERROR : res->route != NULL &&
	    strcmp(res->route, "healthz") == 0 && res->status == 200 ?
	    LOG_DEBUG : LOG_INFO, "request",
	    LF_STR("request_id", req->request_id),
	    LF_STR("method", req->head ? "HEAD" : req->method),
	    LF_STR("path", req->path),
	    LF_STR("remote_addr", req->remote_addr),
	    LF_INT("status", res->status),
	    LF_INT("duration_us", (long long)(dt * 1e6)), LF_END);
	http_send(req, res);
}

static void
handle(struct slot *s, struct conn *c)
{
	struct request	req;
	struct response	res;
	double		t0 = mono_s();

	memset(&res, 0, sizeof(res));
	http_request_init(&req, &c->fr, c->fd, s->wk->cfg->read_timeout_ms);
	routes_dispatch(&s->env, &req, &res);
	readers_give(s->env.readers, s->env.rd);
	s->env.rd = NULL;
	answer(s->wk, &req, &res, t0);
	conn_done(s->wk->cs, c, c->fr.keep_conn && !req.send_failed);
}

/*
 * A request served on the poll thread (routes_inline): its write is
 * posted to the writer, which hands the connection back after the COMMIT;
 * the poll thread then sends the answer (finish). No request thread
 * wakes, and the poll thread never waits: the answer is sent without
 * blocking, and a peer that does not take it loses the connection.
 */
struct exch {
	struct writer_post	 wp;	/* wp.arg: this */
	struct worker		*wk;
	struct conn		*c;
	struct request		 req;
	struct response		 res;
	double			 t0;
	struct exch		*next_spare;
};

/*
 * A cleared exchange, reused when one is spare: a calloc of one (2 KB)
 * and its free for every request were a fifth of the poll thread's time
 * (malloc, malloc_consolidate, _int_free; perf). Poll thread only.
 */
static struct exch *
exch_get(struct worker *wk)
{
	struct exch *x = wk->spare;

	if (x == NULL)
		return calloc(1, sizeof(*x));
	wk->spare = x->next_spare;
	wk->nspare--;
	memset(x, 0, sizeof(*x));
	return x;
}

static void
exch_put(struct worker *wk, struct exch *x)
{
	if (wk->nspare >= EXCH_SPARE_MAX) {
		free(x);
		return;
	}
	x->next_spare = wk->spare;
	wk->spare = x;
	wk->nspare++;
}

/* On the poll thread: answer c's request and free its exchange. */
static int
finish(struct conn *c)
{
	struct exch	*x = c->ex;
	int		 keep;

	c->ex = NULL;
	if (x->res.status == 0)
		routes_webhook_answer(&x->wp.job, &x->res);
	answer(x->wk, &x->req, &x->res, x->t0);
	keep = c->fr.keep_conn && !x->req.send_failed;
	exch_put(x->wk, x);
	return keep;
}

/* On the writer thread, after the COMMIT: back to the poll thread. */
static void
committed(struct writer_post *wp)
{
	struct exch *x = wp->arg;

	conn_done(x->wk->cs, x->c, 0);
}

/* 1 when c's request was taken on the poll thread (routes_inline). */
static int
take_inline(struct worker *wk, struct conn *c)
{
	struct exch *x;

	if ((x = exch_get(wk)) == NULL)
		return 0;
	x->t0 = mono_s();
	x->wk = wk;
	x->c = c;
	/* A send timeout of 0: the poll thread never waits for a peer. */
	http_request_init(&x->req, &c->fr, c->fd, 0);
	switch (routes_inline(&wk->env, &x->req, &x->res, &x->wp.job)) {
	case ROUTE_THREAD:
		exch_put(wk, x);
		return 0;
	case ROUTE_ANSWERED:
		c->ex = x;
		c->finish = finish;
		conn_done(wk->cs, c, 0);
		return 1;
	case ROUTE_WRITE:
		c->ex = x;
		c->finish = finish;
		x->wp.done = committed;
		x->wp.arg = x;
		writer_post(wk->env.writer, &x->wp);
		return 1;
	}
	abort();
}

/* The poll loop's hand-over of a whole request (conn_dispatch_fn). */
static void
enqueue(void *arg, struct conn *c)
{
	struct worker *wk = arg;

	if (take_inline(wk, c))
		return;
	c->qnext = NULL;
	pthread_mutex_lock(&wk->mu);
	if (wk->qtail != NULL)
		wk->qtail->qnext = c;
	else
		wk->qhead = c;
	wk->qtail = c;
	pthread_cond_signal(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
}

/* The next whole request, or NULL once stopping with none left. */
static struct conn *
take(struct worker *wk)
{
	struct conn *c;

	pthread_mutex_lock(&wk->mu);
	while (wk->qhead == NULL && !wk->stopping)
		pthread_cond_wait(&wk->cv, &wk->mu);
	if ((c = wk->qhead) != NULL) {
		wk->qhead = c->qnext;
		if (wk->qhead == NULL)
			wk->qtail = NULL;
	}
	pthread_mutex_unlock(&wk->mu);
	return c;
}

static void *
thread_main(void *arg)
{
	struct slot	*s = arg;
	struct worker	*wk = s->wk;
	struct conn	*c;

	prctl(PR_SET_NAME, "award-request");
	while ((c = take(wk)) != NULL)
		handle(s, c);
	pthread_mutex_lock(&wk->mu);
	wk->running--;
	pthread_mutex_unlock(&wk->mu);
	return NULL;
}

static int
is_tcp(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

int
worker_run(const struct award_config *cfg, int listen_fd,
    struct counters *counters, uint64_t *heartbeat)
{
	struct worker	 wk;
	struct writer	*writer = NULL;
	struct readers	*readers = NULL;
	sigset_t	 term;
	char		 err[CONFIG_ERR_MAX];
	pid_t		 parent = getppid();
	int		 sfd = -1, rc = 1, flags;

	/* Die with the supervisor rather than serve unsupervised. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;

	memtune_process(ARENA_MAX);
	memset(&wk, 0, sizeof(wk));
	wk.cfg = cfg;
	pthread_mutex_init(&wk.mu, NULL);
	pthread_cond_init(&wk.cv, NULL);

	/* The supervisor forked us with every signal blocked: keep it so. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	if ((sfd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		log_msg(LOG_ERROR, "signalfd failed", LF_STR("error",
		    strerror(errno)), LF_END);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((flags = fcntl(listen_fd, F_GETFL)) == -1 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_msg(LOG_ERROR, "listening socket unusable",
		    LF_STR("error", strerror(errno)), LF_END);
		goto out;
	}
	if ((wk.cs = conn_new(cfg, listen_fd, is_tcp(listen_fd), enqueue, &wk,
	    heartbeat)) == NULL) {
		log_msg(LOG_ERROR, "cannot poll the listening socket",
		    LF_STR("error", strerror(errno)), LF_END);
		goto out;
	}
	if ((writer = writer_start(cfg, counters, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERROR, "worker cannot open the databases",
		    LF_STR("error", err), LF_END);
		goto out;
	}
	if ((readers = readers_new(cfg, cfg->threads < READERS_MAX ?
	    cfg->threads : READERS_MAX)) == NULL ||
	    (wk.slots = calloc((size_t)cfg->threads,
	    sizeof(*wk.slots))) == NULL) {
		log_msg(LOG_ERROR, "out of memory", LF_END);
		goto out;
	}
	wk.nslots = cfg->threads;
	wk.counters = counters;
	wk.env.cfg = cfg;
	wk.env.writer = writer;
	wk.env.counters = counters;
	/* libcurl's global set-up, once, before the request threads. */
	if (cfg->verify_payments && yk_global_init() == -1) {
		log_msg(LOG_ERROR, "libcurl: global set-up failed", LF_END);
		goto out;
	}
	for (int i = 0; i < wk.nslots; i++) {
		struct slot *s = &wk.slots[i];
		int e;

		s->wk = &wk;
		s->env.cfg = cfg;
		s->env.writer = writer;
		s->env.counters = counters;
		s->env.readers = readers;
		if ((e = pthread_create(&s->thread, NULL, thread_main,
		    s)) != 0) {
			log_msg(LOG_ERROR, "cannot start a request thread",
			    LF_STR("error", strerror(e)), LF_END);
			break;
		}
		s->started = 1;
		pthread_mutex_lock(&wk.mu);
		wk.running++;
		pthread_mutex_unlock(&wk.mu);
	}
	/*
	 * Until SIGTERM; then the loop accepts no more and returns once
	 * every request begun is answered (or past its read deadline).
	 */
	if (wk.running > 0 && conn_run(wk.cs, sfd) == 0)
		rc = 0;
	pthread_mutex_lock(&wk.mu);
	wk.stopping = 1;
	pthread_cond_broadcast(&wk.cv);
	pthread_mutex_unlock(&wk.mu);
	for (int i = 0; i < wk.nslots; i++)
		if (wk.slots[i].started) {
			pthread_join(wk.slots[i].thread, NULL);
			route_env_done(&wk.slots[i].env);
		}
out:
	writer_stop(writer);
	readers_free(readers);
	conn_free(wk.cs);
	free(wk.slots);
	while (wk.spare != NULL) {
		struct exch *x = wk.spare;

		wk.spare = x->next_spare;
		free(x);
	}
	if (sfd != -1)
		close(sfd);
	pthread_cond_destroy(&wk.cv);
	pthread_mutex_destroy(&wk.mu);
	return rc;
}
