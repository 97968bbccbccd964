/*
 * award-fcgi: the supervisor. Opens the listening socket (--listen, a
 * socket systemd passes with LISTEN_FDS, AWARD_LISTEN, or an
 * already-listening socket on fd 0 as spawn-fcgi hands over), checks that
 * the databases open, pre-forks AWARD_WORKERS workers and restarts any
 * that dies, logging why. Tells systemd when it is ready, pings its
 * watchdog, and says when it reloads or stops (sdnotify.c). SIGHUP:
 * re-read the configuration (file, token files, the environment as at
 * start, the same flags), start workers with it and let the old ones
 * finish what they hold; a bad configuration is logged and the running
 * one kept. SIGTERM or SIGINT: stop accepting, let in-flight requests
 * finish, exit 0.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
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
#include "roles.h"
#include "sdnotify.h"
#include "worker.h"

#define STOP_GRACE_MS	30000	/* then SIGKILL what is left */
#define RESTART_MIN_MS	1000	/* a slot restarts at most once a second */
#define SD_LISTEN_FDS_START 3	/* sd_listen_fds(3) */

/* SIGCHLD and SIGHUP must not be ignored to be waited for. */
static void
on_signal(int sig)
{
	(void)sig;
}

/*
 * A start-up error: one JSON line on stderr (SPEC.md §7, §8) naming the
 * setting; main() then exits 1.
 */
static void
startup_error(const char *err)
{
	log_msg(LOG_ERROR, "award-fcgi cannot start", LF_STR("error", err),
	    LF_END);
}

#ifndef AWARD_VERSION
#define AWARD_VERSION "unknown"
#endif

#define USAGE "award-fcgi [--config PATH] [--listen unix:PATH|HOST:PORT] " \
	"[--workers N] [--threads N] [--db PATH] [--bot-db PATH]"

/* Flags whose value is the next argument (config_early()). */
static const char *const value_flags[] = { "--db", "--bot-db", "--listen",
	"--workers", "--threads", NULL };

static void
usage(const char *arg)
{
	log_msg(LOG_ERROR, "unknown argument", LF_STR("argument", arg),
	    LF_STR("usage", USAGE), LF_END);
}

static void
help(void)
{
	printf("usage: %s\n"
	    "  --config PATH   configuration file (default %s, read when it "
	    "exists;\n"
	    "                  AWARD_CONFIG names one, \"\" none)\n"
	    "  --listen ADDR   unix:PATH or HOST:PORT (AWARD_LISTEN); without "
	    "it a socket\n"
	    "                  from systemd (LISTEN_FDS) or on fd 0 is used "
	    "when present\n"
	    "  --workers N     worker processes (AWARD_WORKERS)\n"
	    "  --threads N     request threads per worker (AWARD_THREADS)\n"
	    "  --db PATH       service database (AWARD_DB)\n"
	    "  --bot-db PATH   bot database (AWARD_BOT_DB)\n"
	    "  --version       print the version and exit\n"
	    "  --help          print this and exit\n"
	    "Signals: TERM/INT stop after in-flight requests; HUP reloads "
	    "the configuration.\n", USAGE, CONFIG_FILE_DEFAULT);
}

/* 1 when fd is a listening socket handed to us. */
static int
is_listening(int fd)
{
	int		v = 0;
	socklen_t	len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

/*
 * The socket systemd passes (sd_listen_fds(3)): LISTEN_PID is this
 * process and LISTEN_FDS >= 1 put the first one on fd 3. The variables
 * are removed so that nothing started later takes them for its own.
 * Returns 3, -2 when systemd passed nothing to this process, -1 with err
 * set when what it passed is not a listening socket.
 */
static int
systemd_socket(char *err, size_t errsz)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long	 p, n;

	if (pid == NULL || fds == NULL ||
	    config_parse_int(pid, 1, INT32_MAX, &p) == -1 ||
	    p != (long long)getpid())
		return -2;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (config_parse_int(fds, 1, 1024, &n) == -1) {
		snprintf(err, errsz, "LISTEN_FDS: not a number of sockets "
		    "from 1: \"%.32s\"", fds);
		return -1;
	}
	if (!is_listening(SD_LISTEN_FDS_START)) {
		snprintf(err, errsz, "LISTEN_FDS: fd %d is not a listening "
		    "socket", SD_LISTEN_FDS_START);
		return -1;
	}
	if (fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errsz, "LISTEN_FDS: fd %d: %s",
		    SD_LISTEN_FDS_START, strerror(errno));
		return -1;
	}
	if (n > 1)
		log_msg(LOG_WARN, "systemd passed more than one socket; "
		    "serving the first", LF_INT("listen_fds", n), LF_END);
	return SD_LISTEN_FDS_START;
}

/*
 * 1 when something accepts connections on the unix socket at path, 0
 * when nothing does (a stale socket), -1 with errno set when that cannot
 * be told.
 */
static int
socket_alive(const struct sockaddr_un *sun)
{
	int fd, rc, saved;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN)
		return 1;	/* accepted, or a backlog that is full */
	if (saved == ECONNREFUSED)
		return 0;
	errno = saved;
	return -1;
}

/*
 * Bind and listen on the unix socket at path. An existing socket that
 * answers belongs to a live process: refused, never unlinked; a stale one
 * is replaced. *id receives the new socket file's
 * identity, so that only that file is unlinked at the end.
 */
static int
listen_unix(const char *path, struct stat *id, char *err, size_t errsz)
{
	struct sockaddr_un	sun;
	struct stat		st;
	mode_t			old;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsz, "AWARD_LISTEN: socket path empty or "
		    "longer than %zu bytes", sizeof(sun.sun_path) - 1);
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* Remove a stale socket, never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errsz, "AWARD_LISTEN: %.200s exists "
			    "and is not a socket", path);
			return -1;
		}
		switch (socket_alive(&sun)) {
		case 1:
			snprintf(err, errsz, "AWARD_LISTEN: %.200s: another "
			    "process is serving on this socket; refusing to "
			    "replace it", path);
			return -1;
		case -1:
			snprintf(err, errsz, "AWARD_LISTEN: %.200s exists "
			    "and cannot be checked: %s", path,
			    strerror(errno));
			return -1;
		default:
			unlink(path);
			break;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	/* Owner and group (nginx's) may connect; nobody else. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errsz, "bind %.200s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0660) == -1 || listen(fd, SOMAXCONN) == -1 ||
	    lstat(path, id) == -1) {
		snprintf(err, errsz, "listen %.200s: %s", path,
		    strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
listen_tcp(const char *spec, char *err, size_t errsz)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*colon = strrchr(spec, ':');
	size_t		 hlen;
	long long	 port;
	int		 fd, one = 1, rc;

	if (colon == NULL || colon == spec || colon[1] == '\0' ||
	    (hlen = (size_t)(colon - spec)) >= sizeof(host)) {
		snprintf(err, errsz, "AWARD_LISTEN: not unix:PATH or "
		    "HOST:PORT: \"%.100s\"", spec);
		return -1;
	}
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	if (config_parse_int(colon + 1, 1, 65535, &port) == -1) {
		snprintf(err, errsz, "AWARD_LISTEN: port not from 1 to 65535: "
		    "\"%.100s\"", spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		snprintf(err, errsz, "AWARD_LISTEN: %.200s: %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		snprintf(err, errsz, "listen %.200s: %s", spec,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct slot {
	pid_t	pid;
	int64_t	started_ms;
};

/* The supervisor's state: the running configuration and its workers. */
struct sup {
	struct award_config	 cfg;
	struct slot		*slots;		/* cfg.workers of them */
	pid_t			*old;		/* workers of an earlier cfg */
	size_t			 nold, oldcap;
	int			 fd;		/* the listening socket */
	struct counters		*counters;	/* shared with every worker */
};

/* Fork a worker. It starts with every signal blocked (worker_run()). */
static pid_t
spawn(const struct award_config *cfg, int fd, struct counters *counters)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGHUP, SIG_IGN);
		_exit(worker_run(cfg, fd, counters));
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
			s->slots[i].pid = spawn(&s->cfg, s->fd, s->counters);
			if (s->slots[i].pid < 0)
				s->slots[i].pid = 0;
			s->slots[i].started_ms = now;
		}
}

/*
 * The command-line flags over c (after config_load_file()). *flag_listen
 * is set when --listen was given. Returns 0, -1 with err set for a bad
 * value, or the index of an unknown argument (> 0).
 */
static int
apply_flags(struct award_config *c, int argc, char *argv[], int *flag_listen,
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
		} else if ((r = config_flag_value("--workers", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || config_parse_int(val, 1,
			    CONFIG_WORKERS_MAX, &n)) {
				snprintf(err, errsz, "--workers: needs "
				    "an integer from 1 to %d",
				    CONFIG_WORKERS_MAX);
				return -1;
			}
			c->workers = (int)n;
		} else if ((r = config_flag_value("--threads", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || config_parse_int(val, 1,
			    CONFIG_THREADS_MAX, &n)) {
				snprintf(err, errsz, "--threads: needs "
				    "an integer from 1 to %d",
				    CONFIG_THREADS_MAX);
				return -1;
			}
			c->threads = (int)n;
		} else
			return i;
	}
	return 0;
}

/* The databases of c open (and are the right pair): 0, or -1 with err. */
static int
probe(const struct award_config *c, char *err, size_t errsz)
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
	    apply_flags(&nc, argc, argv, &flag_listen, err, sizeof(err)) !=
	    0 || probe(&nc, err, sizeof(err)) == -1) {
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

int
main(int argc, char *argv[])
{
	struct sup		 s;
	struct sigaction	 sa;
	struct stat		 sock_id;
	sigset_t		 mask, all;
	char			 err[CONFIG_ERR_MAX];
	const char		*unix_path = NULL, *file, *source;
	int			 r, explicit, flag_listen, ready = 0;
	int64_t			 deadline, wd_ms, wd_next = 0;

	switch (config_early(argc, argv, value_flags, &file, &explicit)) {
	case CONFIG_EARLY_HELP:
		help();
		return 0;
	case CONFIG_EARLY_VERSION:
		printf("award-fcgi %s\n", AWARD_VERSION);
		return 0;
	case CONFIG_EARLY_BAD:
		startup_error("--config: needs a path");
		return 1;
	default:
		break;
	}
	/* Files this binary creates: 0640 (SPEC.md §7). */
	umask(027);
	memset(&s, 0, sizeof(s));
	if (config_load_file(&s.cfg, file, err, sizeof(err)) == -1) {
		startup_error(err);
		return 1;
	}
	if ((r = apply_flags(&s.cfg, argc, argv, &flag_listen, err,
	    sizeof(err))) != 0) {
		if (r > 0)
			usage(argv[r]);
		else
			startup_error(err);
		return 1;
	}
	log_set_level(s.cfg.log_level);

	/* Configuration and database errors surface here, at start. */
	if (probe(&s.cfg, err, sizeof(err)) == -1) {
		startup_error(err);
		return 1;
	}
	/* The probe's memory goes back: the supervisor itself holds none. */
	malloc_trim(0);

	/*
	 * The socket: --listen, else one systemd passes, else AWARD_LISTEN
	 * (environment or file), else one on fd 0, else the default.
	 */
	s.fd = -2;
	source = s.cfg.listen;
	if (!flag_listen && (s.fd = systemd_socket(err, sizeof(err))) >= 0) {
		source = "systemd (LISTEN_FDS)";
		if (s.cfg.listen_set)
			log_msg(LOG_INFO, "AWARD_LISTEN ignored: systemd "
			    "passed a socket", LF_END);
	} else if (s.fd == -1) {
		startup_error(err);
		return 1;
	} else if (!flag_listen && !s.cfg.listen_set && is_listening(0)) {
		s.fd = 0;
		source = "fd 0";
	} else if (strncmp(s.cfg.listen, "unix:", 5) == 0) {
		unix_path = s.cfg.listen + 5;
		s.fd = listen_unix(unix_path, &sock_id, err, sizeof(err));
	} else
		s.fd = listen_tcp(s.cfg.listen, err, sizeof(err));
	if (s.fd < 0) {
		startup_error(err);
		return 1;
	}
	if ((s.slots = calloc((size_t)s.cfg.workers, sizeof(*s.slots))) ==
	    NULL || (s.counters = counters_new()) == NULL) {
		startup_error("out of memory");
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
		int		sig;

		fill(&s, now);
		if (!ready) {
			if (sdnotify("READY=1") == -1)
				log_msg(LOG_WARN, "sd_notify failed",
				    LF_STR("error", strerror(errno)), LF_END);
			ready = 1;
		}
		if (wd_ms > 0) {
			if (now >= wd_next) {
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
	/* Only the socket file this process made, if it is still that one. */
	if (unix_path != NULL) {
		struct stat st;

		if (lstat(unix_path, &st) == 0 && st.st_dev == sock_id.st_dev &&
		    st.st_ino == sock_id.st_ino)
			unlink(unix_path);
	}
	free(s.slots);
	free(s.old);
	counters_free(s.counters);
	log_msg(LOG_INFO, "stopped", LF_END);
	return 0;
}
