/*
 * The worker loop. SIGTERM/SIGINT are delivered only while the worker waits
 * in accept(): the handler sets a flag and interrupts accept()
 * (FCGI_FAIL_ACCEPT_ON_INTR, no SA_RESTART). While a request is read,
 * handled and answered the signals are blocked, because libfcgi's read()
 * and write() do not retry after EINTR and the request would be cut; a
 * signal that arrives then is taken when the answer has been flushed, and
 * the worker exits. The supervisor repeats SIGTERM until the worker is
 * gone, which covers a signal landing just before accept().
 */
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "atime.h"
#include "ctx.h"
#include "http.h"
#include "log.h"
#include "routes.h"
#include "worker.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
	FCGX_ShutdownPending();
}

static void
handle(struct award_ctx *ctx, FCGX_Request *fr)
{
	struct request	req;
	struct response	res;
	int64_t		t0 = atime_now_ms();

	memset(&res, 0, sizeof(res));
	http_request_init(&req, fr);
	routes_dispatch(ctx, &req, &res);
	log_msg(res.status >= 500 ? LOG_ERROR : LOG_INFO, "request",
	    LF_STR("request_id", req.request_id),
	    LF_STR("method", req.method), LF_STR("path", req.path),
	    LF_STR("remote_addr", req.remote_addr),
	    LF_INT("status", res.status),
	    LF_INT("duration_ms", atime_now_ms() - t0), LF_END);
	http_send(&req, &res);
}

int
worker_run(const struct award_config *cfg, int listen_fd)
{
	struct award_ctx	*ctx;
	struct sigaction	 sa;
	FCGX_Request		 fr;
	char			 err[CONFIG_ERR_MAX];
	sigset_t		 term;
	pid_t			 parent = getppid();
	int			 rc;

	/* Die with the supervisor rather than serve unsupervised. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;

	if ((ctx = award_ctx_open(cfg, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERROR, "worker cannot open the databases",
		    LF_STR("error", err), LF_END);
		return 1;
	}
	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_msg(LOG_ERROR, "FCGX_Init failed", LF_END);
		award_ctx_close(ctx);
		return 1;
	}
	/* After FCGX_Init, which may install handlers of its own. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);

	/* The supervisor forked us with every signal blocked. */
	sigprocmask(SIG_SETMASK, &term, NULL);
	while (!stop) {
		sigprocmask(SIG_UNBLOCK, &term, NULL);
		rc = stop ? -1 : FCGX_Accept_r(&fr);
		sigprocmask(SIG_BLOCK, &term, NULL);
		if (rc < 0) {
			if (!stop)
				log_msg(LOG_ERROR, "accept failed",
				    LF_STR("error", strerror(-rc)), LF_END);
			break;
		}
		handle(ctx, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	award_ctx_close(ctx);
	return stop ? 0 : 1;
}
