/*
 * The worker process. Its main thread accepts connections, checks the
 * peer of a TCP connection against AWARD_FCGI_ALLOW (libfcgi's
 * FCGI_WEB_SERVER_ADDRS idea, SPEC.md §7), hands each connection to a
 * request thread through a queue, watches the read deadline of every
 * request, and takes SIGTERM/SIGINT (a signalfd: no handler runs). Request
 * threads read the request with libfcgi, route it, hand every write to the
 * writer thread and take a read connection from a small pool (readers.h)
 * only for a request that reads. Signals stay blocked in every thread, so libfcgi's
 * read() and write() are never cut by EINTR.
 *
 * The read deadline (AWARD_READ_TIMEOUT_MS): from the moment a thread
 * takes a connection until the request's parameters and body are read. A
 * stalled peer then gets shutdown(SHUT_RD): the blocked read() returns
 * end-of-file, libfcgi drops the request, and the thread is free again. The
 * deadline keeps a dup() of the connection, so it never touches a
 * descriptor number that has since been reused.
 */
#define _GNU_SOURCE	/* accept4(2) */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

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

#include <fcgiapp.h>

#include "atime.h"
#include "cidr.h"
#include "counters.h"
#include "ctx.h"
#include "http.h"
#include "log.h"
#include "readers.h"
#include "routes.h"
#include "worker.h"
#include "writer.h"
#include "yookassa.h"

#define QUEUE_MAX	1024	/* accepted connections waiting for a thread */
/*
 * Memory (make bench, README "Figures"): glibc gives each busy thread an
 * arena of its own, and each of SQLite's connections (writer, readers,
 * checkpointer) a page cache filled from the arena of whichever thread
 * used it; together they grew a worker past 20 MB under load. Two arenas
 * and a soft limit on SQLite's heap keep a worker near 8 MB at the same
 * throughput (the pages evicted are still in the OS page cache).
 */
#define ARENA_MAX	2
#define SQLITE_HEAP_SOFT (2 * 1024 * 1024)

struct worker;

/* One request thread. */
struct slot {
	struct worker	*wk;
	pthread_t	 thread;
	int		 started;
	struct route_env env;
	/* The read deadline, under wk->dl_mu. */
	int		 dl_fd;		/* a dup of the connection, or -1 */
	int64_t		 dl_ms;
	int		 dl_cut;	/* shutdown done */
};

struct worker {
	const struct award_config *cfg;
	int		 listen_fd;
	int		 check_peer;	/* TCP: AWARD_FCGI_ALLOW */
	pthread_mutex_t	 mu;		/* the queue, stopping, running */
	pthread_cond_t	 cv;
	int		 queue[QUEUE_MAX];
	size_t		 qhead, qlen;
	int		 stopping;
	int		 running;	/* request threads not yet returned */
	pthread_mutex_t	 dl_mu;
	struct slot	*slots;
	int		 nslots;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
mono_ms(void)
{
	return (int64_t)(mono_s() * 1000);
}

/* Start the deadline of the connection fd held by s. */
static void
deadline_arm(struct slot *s, int fd)
{
	pthread_mutex_lock(&s->wk->dl_mu);
	s->dl_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	s->dl_ms = mono_ms() + s->wk->cfg->read_timeout_ms;
	s->dl_cut = 0;
	pthread_mutex_unlock(&s->wk->dl_mu);
}

/* The request is read (or given up): no deadline any more. Idempotent. */
static void
deadline_disarm(void *arg)
{
	struct slot *s = arg;

	pthread_mutex_lock(&s->wk->dl_mu);
	if (s->dl_fd != -1)
		close(s->dl_fd);
	s->dl_fd = -1;
	pthread_mutex_unlock(&s->wk->dl_mu);
}

/* Cut the reads of every request past its deadline; ms to the next one. */
static int
deadline_reap(struct worker *wk)
{
	int64_t	now = mono_ms(), next = 1000;

	pthread_mutex_lock(&wk->dl_mu);
	for (int i = 0; i < wk->nslots; i++) {
		struct slot *s = &wk->slots[i];

		if (s->dl_fd == -1 || s->dl_cut)
			continue;
		if (s->dl_ms <= now) {
			shutdown(s->dl_fd, SHUT_RD);
			s->dl_cut = 1;
			log_msg(LOG_WARN, "read deadline passed; request "
			    "dropped", LF_INT("read_timeout_ms",
			    wk->cfg->read_timeout_ms), LF_END);
		} else if (s->dl_ms - now < next)
			next = s->dl_ms - now;
	}
	pthread_mutex_unlock(&wk->dl_mu);
	return (int)next;
}

static void
handle(struct slot *s, FCGX_Request *fr)
{
	struct request	req;
	struct response	res;
	double		t0 = mono_s(), dt;

	memset(&res, 0, sizeof(res));
	http_request_init(&req, fr);
	req.read_done = deadline_disarm;
	req.read_done_arg = s;
	routes_dispatch(&s->env, &req, &res);
	deadline_disarm(s);
	readers_give(s->env.readers, s->env.rd);
	s->env.rd = NULL;
	dt = mono_s() - t0;
	counters_request(s->env.counters, res.route, res.status, dt);
	log_msg(res.status >= 500 ? LOG_ERROR : res.route != NULL &&
	    strcmp(res.route, "healthz") == 0 && res.status == 200 ?
	    LOG_DEBUG : LOG_INFO, "request",
	    LF_STR("request_id", req.request_id),
	    LF_STR("method", req.method), LF_STR("path", req.path),
	    LF_STR("remote_addr", req.remote_addr),
	    LF_INT("status", res.status),
	    LF_INT("duration_us", (long long)(dt * 1e6)), LF_END);
	http_send(&req, &res);
}

/* The next accepted connection, or -1 once stopping with none left. */
static int
take(struct worker *wk)
{
	int fd = -1;

	pthread_mutex_lock(&wk->mu);
	while (wk->qlen == 0 && !wk->stopping)
		pthread_cond_wait(&wk->cv, &wk->mu);
	if (wk->qlen > 0) {
		fd = wk->queue[wk->qhead];
		wk->qhead = (wk->qhead + 1) % QUEUE_MAX;
		wk->qlen--;
	}
	pthread_mutex_unlock(&wk->mu);
	return fd;
}

static void *
thread_main(void *arg)
{
	struct slot	*s = arg;
	struct worker	*wk = s->wk;
	FCGX_Request	 fr;
	int		 fd;

	/* No listening socket: this thread never accepts (see above). */
	FCGX_InitRequest(&fr, -1, 0);
	while ((fd = take(wk)) != -1) {
		deadline_arm(s, fd);
		/*
		 * Hand libfcgi the connection: with ipcFd set it skips its
		 * own accept(), and keepConnection stops the FCGX_Finish_r()
		 * it starts with from closing it.
		 */
		fr.ipcFd = fd;
		fr.keepConnection = 1;
		if (FCGX_Accept_r(&fr) < 0) {
			/* libfcgi closed the connection: cut or malformed. */
			deadline_disarm(s);
			log_msg(LOG_WARN, "request not read: connection "
			    "closed, cut at the read deadline or not FastCGI",
			    LF_END);
			FCGX_Free(&fr, 1);
			fr.ipcFd = -1;
			continue;
		}
		handle(s, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	pthread_mutex_lock(&wk->mu);
	wk->running--;
	pthread_mutex_unlock(&wk->mu);
	return NULL;
}

/* 1 when the peer of a new connection may talk to us. */
static int
peer_allowed(struct worker *wk, int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	char			addr[INET6_ADDRSTRLEN];
	const void		*p;

	if (!wk->check_peer)
		return 1;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		p = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		p = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		return 1;	/* a unix socket: its file mode decides */
	if (inet_ntop(ss.ss_family, p, addr, sizeof(addr)) == NULL)
		return 0;
	if (cidr_match(&wk->cfg->fcgi_allow, addr))
		return 1;
	log_msg(LOG_WARN, "FastCGI connection refused: peer not in "
	    "AWARD_FCGI_ALLOW", LF_STR("peer", addr), LF_END);
	return 0;
}

/* Accept what waits (the socket is non-blocking) into the queue. */
static void
accept_some(struct worker *wk)
{
	for (;;) {
		int fd;

		pthread_mutex_lock(&wk->mu);
		if (wk->qlen == QUEUE_MAX) {
			pthread_mutex_unlock(&wk->mu);
			return;
		}
		pthread_mutex_unlock(&wk->mu);
		fd = accept4(wk->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_msg(LOG_ERROR, "accept failed",
				    LF_STR("error", strerror(errno)), LF_END);
			return;
		}
		if (!peer_allowed(wk, fd)) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&wk->mu);
		wk->queue[(wk->qhead + wk->qlen) % QUEUE_MAX] = fd;
		wk->qlen++;
		pthread_cond_signal(&wk->cv);
		pthread_mutex_unlock(&wk->mu);
	}
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
    struct counters *counters)
{
	struct worker	 wk;
	struct writer	*writer = NULL;
	struct readers	*readers = NULL;
	struct pollfd	 pfd[2];
	sigset_t	 term;
	char		 err[CONFIG_ERR_MAX];
	pid_t		 parent = getppid();
	int		 sfd = -1, rc = 1, flags;

	/* Die with the supervisor rather than serve unsupervised. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;

	mallopt(M_ARENA_MAX, ARENA_MAX);
	sqlite3_soft_heap_limit64(SQLITE_HEAP_SOFT);
	memset(&wk, 0, sizeof(wk));
	wk.cfg = cfg;
	wk.listen_fd = listen_fd;
	wk.check_peer = is_tcp(listen_fd);
	pthread_mutex_init(&wk.mu, NULL);
	pthread_cond_init(&wk.cv, NULL);
	pthread_mutex_init(&wk.dl_mu, NULL);

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
	if (FCGX_Init() != 0) {
		log_msg(LOG_ERROR, "FCGX_Init failed", LF_END);
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
	/* libcurl's global set-up, once, before the request threads. */
	if (cfg->verify_payments && yk_global_init() == -1) {
		log_msg(LOG_ERROR, "libcurl: global set-up failed", LF_END);
		goto out;
	}
	for (int i = 0; i < wk.nslots; i++) {
		struct slot *s = &wk.slots[i];
		int e;

		s->wk = &wk;
		s->dl_fd = -1;
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
	if (wk.running == 0)
		goto stop;

	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = listen_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		int timeout = deadline_reap(&wk), full;

		pthread_mutex_lock(&wk.mu);
		full = wk.qlen == QUEUE_MAX;
		pthread_mutex_unlock(&wk.mu);
		/* A full queue leaves connections in the listen backlog. */
		if (poll(pfd, full ? 1 : 2, full && timeout > 10 ? 10 :
		    timeout) == -1 && errno != EINTR) {
			log_msg(LOG_ERROR, "poll failed", LF_STR("error",
			    strerror(errno)), LF_END);
			break;
		}
		if (pfd[0].revents & POLLIN)
			break;
		if (!full && (pfd[1].revents & POLLIN))
			accept_some(&wk);
	}
	rc = 0;
stop:
	/* No more accepts; threads finish the queue, then return. */
	pthread_mutex_lock(&wk.mu);
	wk.stopping = 1;
	pthread_cond_broadcast(&wk.cv);
	pthread_mutex_unlock(&wk.mu);
	for (;;) {
		int running;

		pthread_mutex_lock(&wk.mu);
		running = wk.running;
		pthread_mutex_unlock(&wk.mu);
		if (running == 0)
			break;
		(void)deadline_reap(&wk);
		poll(NULL, 0, 20);
	}
	for (int i = 0; i < wk.nslots; i++)
		if (wk.slots[i].started) {
			pthread_join(wk.slots[i].thread, NULL);
			route_env_done(&wk.slots[i].env);
		}
out:
	writer_stop(writer);
	readers_free(readers);
	free(wk.slots);
	if (sfd != -1)
		close(sfd);
	pthread_mutex_destroy(&wk.dl_mu);
	pthread_cond_destroy(&wk.cv);
	pthread_mutex_destroy(&wk.mu);
	return rc;
}
