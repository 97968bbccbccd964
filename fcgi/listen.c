/*
 * The responder's listening socket (SPEC.md §7, §9): --listen or
 * AWARD_LISTEN (a unix socket path or HOST:PORT), one systemd passes
 * (LISTEN_FDS), or one already listening on fd 0 (spawn-fcgi). A unix
 * socket that a live process answers on is never replaced, and only the
 * socket file this process made is removed at the end.
 * Not here: what is done with the socket (supervisor.c, worker.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"
#include "log.h"

#define SD_LISTEN_FDS_START 3	/* sd_listen_fds(3) */

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
 * be told. Non-blocking: a live process whose backlog is full (wedged,
 * nginx's connections queued) answers EAGAIN at once, where a blocking
 * connect would wait for a slot for ever.
 */
static int
socket_alive(const struct sockaddr_un *sun)
{
	int fd, rc, saved;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
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
 * is replaced. *id receives the new socket file's identity, so that only
 * that file is unlinked at the end.
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

int
listen_open(const struct award_config *cfg, int flag_listen,
    struct listen_sock *ls, char *err, size_t errsz)
{
	memset(ls, 0, sizeof(*ls));
	ls->fd = -2;
	ls->source = cfg->listen;
	if (!flag_listen && (ls->fd = systemd_socket(err, errsz)) >= 0) {
		ls->source = "systemd (LISTEN_FDS)";
		if (cfg->listen_set)
			log_msg(LOG_INFO, "AWARD_LISTEN ignored: systemd "
			    "passed a socket", LF_END);
	} else if (ls->fd == -1)
		return -1;
	else if (!flag_listen && !cfg->listen_set && is_listening(0)) {
		ls->fd = 0;
		ls->source = "fd 0";
	} else if (strncmp(cfg->listen, "unix:", 5) == 0) {
		ls->unix_path = cfg->listen + 5;
		ls->fd = listen_unix(ls->unix_path, &ls->id, err, errsz);
	} else
		ls->fd = listen_tcp(cfg->listen, err, errsz);
	return ls->fd < 0 ? -1 : 0;
}

void
listen_close(struct listen_sock *ls)
{
	struct stat st;

	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
	/* Only the socket file this process made, if it is still that one. */
	if (ls->unix_path != NULL && lstat(ls->unix_path, &st) == 0 &&
	    st.st_dev == ls->id.st_dev && st.st_ino == ls->id.st_ino)
		unlink(ls->unix_path);
}
