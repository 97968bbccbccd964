/*
 * award-fcgi: the supervisor. Opens the listening socket (AWARD_LISTEN /
 * --listen, or an already-listening socket on fd 0 as spawn-fcgi and
 * systemd hand over), checks that the databases open, pre-forks
 * AWARD_WORKERS workers and restarts any that dies, logging why. SIGTERM or
 * SIGINT: stop accepting, let in-flight requests finish, exit 0.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atime.h"
#include "config.h"
#include "ctx.h"
#include "log.h"
#include "worker.h"

#define STOP_GRACE_MS	30000	/* then SIGKILL what is left */
#define RESTART_MIN_MS	1000	/* a slot restarts at most once a second */

/* SIGCHLD must not be ignored to be waited for; the handler does nothing. */
static void
on_chld(int sig)
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
	"[--workers N] [--db PATH] [--bot-db PATH]"

/* Flags whose value is the next argument (config_early()). */
static const char *const value_flags[] = { "--db", "--bot-db", "--listen",
	"--workers", NULL };

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
	    "exists)\n"
	    "  --listen ADDR   unix:PATH or HOST:PORT (AWARD_LISTEN); without "
	    "it a socket\n"
	    "                  from systemd (LISTEN_FDS) or on fd 0 is used "
	    "when present\n"
	    "  --workers N     worker processes (AWARD_WORKERS)\n"
	    "  --db PATH       service database (AWARD_DB)\n"
	    "  --bot-db PATH   bot database (AWARD_BOT_DB)\n"
	    "  --version       print the version and exit\n"
	    "  --help          print this and exit\n"
	    "Signals: TERM/INT stop after in-flight requests; HUP reloads "
	    "the configuration.\n", USAGE, CONFIG_FILE_DEFAULT);
}

/* 1 when fd 0 is a listening socket handed to us. */
static int
inherited_socket(void)
{
	int		v = 0;
	socklen_t	len = sizeof(v);

	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

static int
listen_unix(const char *path, char *err, size_t errsz)
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
		unlink(path);
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
	if (chmod(path, 0660) == -1 || listen(fd, 128) == -1) {
		snprintf(err, errsz, "listen %.200s: %s", path,
		    strerror(errno));
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
	    listen(fd, 128) == -1) {
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

/* Fork a worker. It starts with every signal blocked (worker_run()). */
static pid_t
spawn(const struct award_config *cfg, int fd)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(worker_run(cfg, fd));
	if (pid == -1)
		log_msg(LOG_ERROR, "fork failed", LF_STR("error",
		    strerror(errno)), LF_END);
	return pid;
}

static void
reap(struct slot *slots, int n, int quiet)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < n; i++) {
			if (slots[i].pid != pid)
				continue;
			slots[i].pid = 0;
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

static int
alive(const struct slot *slots, int n)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += slots[i].pid > 0;
	return c;
}

int
main(int argc, char *argv[])
{
	struct award_config	 cfg;
	struct award_ctx	*probe;
	struct sigaction	 sa;
	struct slot		*slots;
	sigset_t		 mask, all;
	char			 err[CONFIG_ERR_MAX];
	const char		*val, *unix_path = NULL, *file;
	long long		 n;
	int			 fd, r, explicit_listen, explicit;
	int64_t			 deadline;

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
	if (config_load_file(&cfg, file, err, sizeof(err)) == -1) {
		startup_error(err);
		return 1;
	}
	explicit_listen = cfg.listen_set;
	for (int i = 1; i < argc; i++) {
		if (config_flag_value("--config", argc, argv, &i, &val) != 0)
			continue;
		if ((r = config_flag(&cfg, argc, argv, &i, err,
		    sizeof(err))) != 0) {
			if (r == -1) {
				startup_error(err);
				return 1;
			}
		} else if ((r = config_flag_value("--listen", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || *val == '\0' ||
			    strlen(val) >= sizeof(cfg.listen)) {
				startup_error("--listen: needs "
				    "unix:PATH or HOST:PORT");
				return 1;
			}
			strcpy(cfg.listen, val);
			explicit_listen = 1;
		} else if ((r = config_flag_value("--workers", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || config_parse_int(val, 1, 256, &n)) {
				startup_error("--workers: needs "
				    "an integer from 1 to 256");
				return 1;
			}
			cfg.workers = (int)n;
		} else {
			usage(argv[i]);
			return 1;
		}
	}
	log_set_level(cfg.log_level);

	/* Configuration and database errors surface here, at start. */
	if ((probe = award_ctx_open(&cfg, err, sizeof(err))) == NULL) {
		startup_error(err);
		return 1;
	}
	award_ctx_close(probe);

	if (!explicit_listen && inherited_socket())
		fd = 0;
	else if (strncmp(cfg.listen, "unix:", 5) == 0) {
		unix_path = cfg.listen + 5;
		fd = listen_unix(unix_path, err, sizeof(err));
	} else
		fd = listen_tcp(cfg.listen, err, sizeof(err));
	if (fd == -1) {
		startup_error(err);
		return 1;
	}
	if ((slots = calloc((size_t)cfg.workers, sizeof(*slots))) == NULL) {
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
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	log_msg(LOG_INFO, "award-fcgi started", LF_STR("listen", fd == 0 ?
	    "fd 0" : cfg.listen), LF_INT("workers", cfg.workers),
	    LF_STR("db", cfg.db_path), LF_STR("bot_db", config_bot_db(&cfg)),
	    LF_END);

	for (;;) {
		struct timespec	ts = { 1, 0 };
		int64_t		now = atime_now_ms();
		int		sig;

		for (int i = 0; i < cfg.workers; i++)
			if (slots[i].pid == 0 &&
			    now - slots[i].started_ms >= RESTART_MIN_MS) {
				slots[i].pid = spawn(&cfg, fd);
				if (slots[i].pid < 0)
					slots[i].pid = 0;
				slots[i].started_ms = now;
			}
		/* A signal, or each second to refill slots. */
		sig = sigtimedwait(&mask, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		reap(slots, cfg.workers, 0);
	}

	/* Stop: no new accepts here; workers finish what they hold. */
	log_msg(LOG_INFO, "stopping", LF_INT("workers",
	    alive(slots, cfg.workers)), LF_END);
	close(fd);
	deadline = atime_now_ms() + STOP_GRACE_MS;
	while (alive(slots, cfg.workers) > 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int kill_all = atime_now_ms() >= deadline;

		/* Repeated: covers a signal that landed before accept(). */
		for (int i = 0; i < cfg.workers; i++)
			if (slots[i].pid > 0)
				kill(slots[i].pid, kill_all ? SIGKILL :
				    SIGTERM);
		(void)sigtimedwait(&mask, NULL, &ts);
		reap(slots, cfg.workers, 1);
	}
	if (unix_path != NULL)
		unlink(unix_path);
	free(slots);
	log_msg(LOG_INFO, "stopped", LF_END);
	return 0;
}
