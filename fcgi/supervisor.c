/*
 * The supervisor of award-fcgi (SPEC.md §2): pre-forks AWARD_WORKERS
 * workers on the listening socket and restarts any that dies, logging
 * why. Tells systemd when it is ready, feeds its watchdog only while every
 * worker's poll loop makes progress (a heartbeat word per worker in the
 * shared counters: a worker stuck for WATCHDOG_STALL_MS stops the feeding,
 * and systemd restarts the service), and says when it reloads or stops
 * (sdnotify.c). SIGHUP: re-read the configuration (file, token files, the
 * environment as at start, the same flags), start workers with it and let
 * the old ones finish what they hold; a bad configuration is logged and
 * the running one kept. SIGTERM or SIGINT: let in-flight requests finish,
 * then return. Not here: the socket (listen.c), a worker (worker.c).
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atime.h"
#include "config.h"
#include "counters.h"
#include "ctx.h"
#include "log.h"
#include "ratelog.h"
#include "roles.h"
#include "sdnotify.h"
#include "supervisor.h"
#include "worker.h"

#define STOP_GRACE_MS	30000	/* then SIGKILL what is left */
#define RESTART_MIN_MS	1000	/* a slot restarts at most once a second */
#define WATCHDOG_STALL_MS 10000	/* a worker's loop unmoved: not fed */

/* SIGCHLD and SIGHUP must not be ignored to be waited for. */
static void
on_signal(int sig)
{
	(void)sig;
}

struct slot {
	pid_t		 pid;
	int64_t		 started_ms;
	unsigned	 hb;		/* its heartbeat word */
	uint64_t	 hb_seen;	/* the word's value when last moved */
	int64_t		 hb_ms;		/* and when */
};

/* The supervisor's state: the running configuration and its workers. */
struct sup {
	struct award_config	 cfg;
	struct slot		*slots;		/* cfg.workers of them */
	pid_t			*old;		/* workers of an earlier cfg */
	size_t			 nold, oldcap;
	int			 fd;		/* the listening socket */
	struct counters		*counters;	/* shared with every worker */
	unsigned		 next_hb;
	struct ratelog		 rl_stall;
};

/* Fork a worker. It starts with every signal blocked (worker_run()). */
static pid_t
spawn(const struct award_config *cfg, int fd, struct counters *counters,
    unsigned hb)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGHUP, SIG_IGN);
		_exit(worker_run(cfg, fd, counters,
		    counters_heartbeat(counters, hb)));
	}
	if (pid == -1)
		log_msg(LOG_ERROR, "fork failed", LF_STR("error",
		    strerror(errno)), LF_END);
	return pid;
}

static void
reap(struct sup *s, int quiet)
{
	pid_t	pid;
	int	status, found;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		found = 0;
		for (size_t i = 0; i < s->nold; i++)
			if (s->old[i] == pid) {
				s->old[i] = s->old[--s->nold];
				found = 1;
				break;
			}
		if (found) {
			log_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
			    LOG_DEBUG : LOG_WARN, "worker of the previous "
			    "configuration exited", LF_INT("pid", pid),
			    LF_INT("exit", WIFEXITED(status) ?
			    WEXITSTATUS(status) : -1), LF_END);
			continue;
		}
		for (int i = 0; i < s->cfg.workers; i++) {
			if (s->slots[i].pid != pid)
				continue;
			s->slots[i].pid = 0;
			if (quiet && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				break;
			log_msg(quiet ? LOG_INFO : LOG_WARN, "worker exited",
			    LF_INT("pid", pid),
			    LF_INT("exit", WIFEXITED(status) ?
			    WEXITSTATUS(status) : -1),
			    LF_INT("signal", WIFSIGNALED(status) ?
			    WTERMSIG(status) : 0), LF_END);
			break;
		}
	}
}

static int
alive(const struct sup *s)
{
	int c = (int)s->nold;

	for (int i = 0; i < s->cfg.workers; i++)
		c += s->slots[i].pid > 0;
	return c;
}

/* Fill the empty slots whose restart delay has passed. */
static void
fill(struct sup *s, int64_t now)
{
	for (int i = 0; i < s->cfg.workers; i++)
		if (s->slots[i].pid == 0 &&
		    now - s->slots[i].started_ms >= RESTART_MIN_MS) {
			struct slot *sl = &s->slots[i];

			sl->hb = s->next_hb++;
			sl->hb_seen = counters_heartbeat_get(
			    counters_heartbeat(s->counters, sl->hb));
			sl->hb_ms = now;
			sl->pid = spawn(&s->cfg, s->fd, s->counters, sl->hb);
			if (sl->pid < 0)
				sl->pid = 0;
			sl->started_ms = now;
		}
}

int
supervisor_flags(struct award_config *c, int argc, char *argv[], int *flag_listen,
    char *err, size_t errsz)
{
	const char	*val;
	long long	 n;
	int		 r;

	*flag_listen = 0;
	for (int i = 1; i < argc; i++) {
		if (config_flag_value("--config", argc, argv, &i, &val) != 0)
			continue;
		if ((r = config_flag(c, argc, argv, &i, err, errsz)) != 0) {
			if (r == -1)
				return -1;
		} else if ((r = config_flag_value("--listen", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || *val == '\0' ||
			    strlen(val) >= sizeof(c->listen)) {
				snprintf(err, errsz, "--listen: needs "
				    "unix:PATH or HOST:PORT");
				return -1;
			}
			strcpy(c->listen, val);
			*flag_listen = 1;
		} else if ((r = config_flag_int("--workers", argc, argv, &i,
		    CONFIG_WORKERS_MAX, &n, err, errsz)) != 0) {
			if (r == -1)
				return -1;
			c->workers = (int)n;
		} else if ((r = config_flag_int("--threads", argc, argv, &i,
		    CONFIG_THREADS_MAX, &n, err, errsz)) != 0) {
			if (r == -1)
				return -1;
			c->threads = (int)n;
		} else if (strcmp(argv[i], "--check") != 0)
			return i;
	}
	return 0;
}

int
supervisor_probe(const struct award_config *c, char *err, size_t errsz)
{
	struct award_ctx *ctx;

	if ((ctx = award_ctx_open(c, &roles_checkpointer, err, errsz)) == NULL)
		return -1;
	award_ctx_close(ctx);
	return 0;
}

/*
 * SIGHUP: load the configuration again as at start (the same file rule,
 * the environment, the same flags). When it is good, start workers with
 * it, then SIGTERM the old ones, which finish what they hold and exit; a
 * request is never dropped. When it is bad, log why and keep running.
 * The listening socket cannot change without a restart.
 */
static void
reload(struct sup *s, const char *file, int explicit, int argc,
    char *argv[])
{
	struct award_config	 nc;
	struct slot		*ns;
	pid_t			*old;
	char			 err[CONFIG_ERR_MAX];
	int			 flag_listen;
	size_t			 need;

	(void)sdnotify_reloading();
	log_msg(LOG_INFO, "SIGHUP: reloading the configuration", LF_END);
	if (!explicit)
		file = config_default_file();
	if (config_load_file(&nc, file, err, sizeof(err)) == -1 ||
	    supervisor_flags(&nc, argc, argv, &flag_listen, err, sizeof(err)) !=
	    0 || supervisor_probe(&nc, err, sizeof(err)) == -1) {
		log_msg(LOG_ERROR, "reload failed; the running configuration "
		    "stays", LF_STR("error", err), LF_END);
		(void)sdnotify("READY=1");
		return;
	}
	if (strcmp(nc.listen, s->cfg.listen) != 0)
		log_msg(LOG_WARN, "AWARD_LISTEN changed; ignored until a "
		    "restart", LF_STR("listen", s->cfg.listen),
		    LF_STR("ignored", nc.listen), LF_END);
	memcpy(nc.listen, s->cfg.listen, sizeof(nc.listen));
	nc.listen_set = s->cfg.listen_set;

	need = s->nold + (size_t)s->cfg.workers;
	ns = calloc((size_t)nc.workers, sizeof(*ns));
	old = need > s->oldcap ? realloc(s->old, need * sizeof(*old)) :
	    s->old;
	if (ns == NULL || old == NULL) {
		free(ns);
		if (old != NULL)
			s->old = old;
		log_msg(LOG_ERROR, "reload failed; the running configuration "
		    "stays", LF_STR("error", "out of memory"), LF_END);
		(void)sdnotify("READY=1");
		return;
	}
	if (need > s->oldcap) {
		s->old = old;
		s->oldcap = need;
	}
	for (int i = 0; i < s->cfg.workers; i++)
		if (s->slots[i].pid > 0)
			s->old[s->nold++] = s->slots[i].pid;
	free(s->slots);
	s->slots = ns;
	s->cfg = nc;
	log_set_level(s->cfg.log_level);
	/* New workers first, then the old ones are told to finish. */
	fill(s, atime_now_ms());
	for (size_t i = 0; i < s->nold; i++)
		kill(s->old[i], SIGTERM);
	log_msg(LOG_INFO, "configuration reloaded", LF_INT("workers",
	    s->cfg.workers), LF_INT("draining", (int64_t)s->nold), LF_END);
	(void)sdnotify("READY=1");
}
/*
 * 1 when every worker's heartbeat has moved within WATCHDOG_STALL_MS (a
 * worker's loop turns at least once a second, idle or not).
 */
static int
workers_progress(struct sup *s, int64_t now)
{
	int ok = 1;

	for (int i = 0; i < s->cfg.workers; i++) {
		struct slot	*sl = &s->slots[i];
		uint64_t	 v;
		long long	 n;

		if (sl->pid <= 0)
			continue;
		v = counters_heartbeat_get(counters_heartbeat(s->counters,
		    sl->hb));
		if (v != sl->hb_seen) {
			sl->hb_seen = v;
			sl->hb_ms = now;
		} else if (now - sl->hb_ms > WATCHDOG_STALL_MS) {
			ok = 0;
			if (ratelog_due(&s->rl_stall, now, 60000, &n))
				log_msg(LOG_ERROR, "worker makes no progress; "
				    "systemd's watchdog is not fed",
				    LF_INT("pid", sl->pid), LF_INT("stalled_ms",
				    now - sl->hb_ms), LF_INT("repeated", n),
				    LF_END);
		}
	}
	return ok;
}

int
supervisor_run(const struct award_config *cfg, int fd, const char *source,
    const char *file, int explicit, int argc, char *argv[])
{
	struct sup		 s;
	struct sigaction	 sa;
	sigset_t		 mask, all;
	int			 ready = 0;
	int64_t			 deadline, wd_ms, wd_next = 0;

	memset(&s, 0, sizeof(s));
	s.cfg = *cfg;
	s.fd = fd;
	if ((s.slots = calloc((size_t)s.cfg.workers, sizeof(*s.slots))) ==
	    NULL || (s.counters = counters_new()) == NULL) {
		log_msg(LOG_ERROR, "award-fcgi cannot start", LF_STR("error",
		    "out of memory"), LF_END);
		free(s.slots);
		return 1;
	}

	/*
	 * Every signal the supervisor cares about stays blocked and is taken
	 * with sigtimedwait(): no handler runs, nothing races the loop.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	log_msg(LOG_INFO, "award-fcgi started", LF_STR("version",
	    AWARD_VERSION), LF_STR("listen", source), LF_INT("workers",
	    s.cfg.workers), LF_INT("threads", s.cfg.threads),
	    LF_STR("db", s.cfg.db_path), LF_STR("bot_db",
	    config_bot_db(&s.cfg)), LF_STR("config", s.cfg.config_path[0] ?
	    s.cfg.config_path : "none"), LF_END);

	wd_ms = sdnotify_watchdog_ms();
	for (;;) {
		struct timespec	ts = { 1, 0 };
		int64_t		now = atime_now_ms();
		int		sig, fed;

		fill(&s, now);
		if (!ready) {
			if (sdnotify("READY=1") == -1)
				log_msg(LOG_WARN, "sd_notify failed",
				    LF_STR("error", strerror(errno)), LF_END);
			ready = 1;
		}
		if (wd_ms > 0) {
			fed = workers_progress(&s, now);
			if (now >= wd_next) {
				if (fed)
					(void)sdnotify("WATCHDOG=1");
				wd_next = now + wd_ms;
			}
			if (wd_next - now < 1000) {
				ts.tv_sec = 0;
				ts.tv_nsec = (long)(wd_next - now) * 1000000L;
			}
		}
		/* A signal, or each second to refill slots. */
		sig = sigtimedwait(&mask, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		reap(&s, 0);
		if (sig == SIGHUP)
			reload(&s, file, explicit, argc, argv);
		/* Repeated: covers a signal that landed before accept(). */
		for (size_t i = 0; i < s.nold; i++)
			kill(s.old[i], SIGTERM);
	}

	/* Stop: no new accepts here; workers finish what they hold. */
	(void)sdnotify("STOPPING=1");
	log_msg(LOG_INFO, "stopping", LF_INT("workers", alive(&s)), LF_END);
	close(s.fd);
	deadline = atime_now_ms() + STOP_GRACE_MS;
	while (alive(&s) > 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int kill_all = atime_now_ms() >= deadline;

		/* Repeated: covers a signal that landed before accept(). */
		for (int i = 0; i < s.cfg.workers; i++)
			if (s.slots[i].pid > 0)
				kill(s.slots[i].pid, kill_all ? SIGKILL :
				    SIGTERM);
		for (size_t i = 0; i < s.nold; i++)
			kill(s.old[i], kill_all ? SIGKILL : SIGTERM);
		(void)sigtimedwait(&mask, NULL, &ts);
		reap(&s, 1);
	}
	free(s.slots);
	free(s.old);
	counters_free(s.counters);
	return 0;
}
