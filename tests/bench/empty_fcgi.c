/*
 * The transport ceiling for make bench (issue 14): a threaded libfcgi
 * responder that does nothing but what every responder must do. THREADS
 * threads (32, as award-fcgi's default) each accept a request, read its
 * whole body, and answer 200 with the body "{}". No database, no parsing,
 * no logging. nginx in front of it, in the same run, is the limit every
 * webhook row of tests/bench/hotpath.sh is a ratio to.
 *
 * Usage: empty_fcgi unix:PATH|:PORT [THREADS]
 * Runs until killed. Not a test and not part of the service.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#define THREADS_DEFAULT	32
#define THREADS_MAX	1024

static int listen_fd;

static void *
serve(void *arg)
{
	FCGX_Request	req;
	char		buf[4096];

	(void)arg;
	if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) == 0) {
		while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0)
			;
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: 2\r\n\r\n{}", req.out);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	 th[THREADS_MAX];
	const char	*path;
	long		 n = THREADS_DEFAULT;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: empty_fcgi unix:PATH|:PORT [THREADS]\n");
		return 2;
	}
	if (argc == 3 && ((n = strtol(argv[2], NULL, 10)) < 1 ||
	    n > THREADS_MAX)) {
		fprintf(stderr, "empty_fcgi: THREADS is 1..%d\n", THREADS_MAX);
		return 2;
	}
	path = strncmp(argv[1], "unix:", 5) == 0 ? argv[1] + 5 : argv[1];
	if (FCGX_Init() != 0 || (listen_fd = FCGX_OpenSocket(path, 128)) < 0) {
		fprintf(stderr, "empty_fcgi: cannot listen on %s\n", argv[1]);
		return 1;
	}
	for (long i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, serve, NULL) != 0) {
			fprintf(stderr, "empty_fcgi: pthread_create failed\n");
			return 1;
		}
	for (long i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
