/*
 * sd_notify(3) by hand: see sdnotify.h. The protocol is documented in
 * systemd's sd_notify(3) and "The systemd notification protocol".
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "sdnotify.h"

int
sdnotify(const char *msg)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 plen, mlen = strlen(msg);
	socklen_t		 len;
	ssize_t			 n;
	int			 fd, saved;

	if (path == NULL || *path == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    plen >= sizeof(sun.sun_path)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	/* An abstract name: a leading NUL, and exactly plen bytes long. */
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)mlen ? 0 : -1;
}

int64_t
sdnotify_watchdog_ms(void)
{
	const char	*v;
	long long	 usec, pid;

	if ((v = getenv("WATCHDOG_USEC")) == NULL ||
	    config_parse_int(v, 1, INT64_MAX / 2, &usec) == -1)
		return 0;
	if ((v = getenv("WATCHDOG_PID")) != NULL && *v != '\0' &&
	    (config_parse_int(v, 1, INT64_MAX, &pid) == -1 ||
	    pid != (long long)getpid()))
		return 0;
	/* At least 1 ms, so that a tiny interval still makes pings. */
	return usec / 2000 > 0 ? usec / 2000 : 1;
}

int
sdnotify_reloading(void)
{
	struct timespec	ts;
	char		msg[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
	return sdnotify(msg);
}
