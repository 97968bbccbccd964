/*
 * The writer thread (writer.h). Request threads append jobs to a list and
 * sleep on a condition variable; the writer takes everything that waits
 * (at most JOB_GROUP_MAX), runs it as one group and wakes the waiters.
 * There is no timer and no artificial wait: a group is whatever queued
 * while the previous commit ran, so at one connection every group holds
 * one job and latency is that of a lone transaction.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "ctx.h"
#include "job.h"
#include "log.h"
#include "writer.h"

struct wjob {
	struct job	 job;
	int		 done;
	struct wjob	*next;
};

struct writer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* jobs queued, or stop */
	pthread_cond_t	 done;		/* a group finished */
	struct wjob	*head, *tail;
	int		 stopping;
	struct award_ctx *ctx;
	struct counters	*counters;
	pthread_t	 thread;
};

static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct job	*batch[JOB_GROUP_MAX];
	struct wjob	*taken[JOB_GROUP_MAX];
	size_t		 n;

	for (;;) {
		struct job_group_stats st;

		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->head == NULL) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		for (n = 0; n < JOB_GROUP_MAX && w->head != NULL; n++) {
			taken[n] = w->head;
			batch[n] = &w->head->job;
			w->head = w->head->next;
		}
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);

		job_run_group(w->ctx, batch, n, &st);
		counters_group(w->counters, n, st.seconds);
		if (st.fallback > 0)
			counters_fallback(w->counters, st.fallback);

		pthread_mutex_lock(&w->mu);
		for (size_t i = 0; i < n; i++)
			taken[i]->done = 1;
		pthread_cond_broadcast(&w->done);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

struct writer *
writer_start(const struct award_config *cfg, struct counters *counters,
    char *err, size_t errsz)
{
	struct writer	*w;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	w->counters = counters;
	if ((w->ctx = award_ctx_open(cfg, err, errsz)) == NULL) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		snprintf(err, errsz, "writer thread: %s", strerror(rc));
		award_ctx_close(w->ctx);
		pthread_cond_destroy(&w->done);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	award_ctx_close(w->ctx);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* Queue wj and sleep until the writer has finished it. */
static void
submit(struct writer *w, struct wjob *wj)
{
	wj->done = 0;
	wj->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = wj;
	else
		w->head = wj;
	w->tail = wj;
	pthread_cond_signal(&w->work);
	while (!wj->done)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

enum award_result
writer_award(struct writer *w, const struct award_req *req,
    const char *request_id, struct award_out *out)
{
	struct wjob wj;

	memset(&wj, 0, sizeof(wj));
	wj.job.kind = JOB_AWARD;
	wj.job.request_id = request_id;
	wj.job.award = *req;
	submit(w, &wj);
	*out = wj.job.aout;
	return out->result;
}

enum refund_result
writer_refund(struct writer *w, const struct refund_req *req,
    const char *request_id, struct refund_out *out)
{
	struct wjob wj;

	memset(&wj, 0, sizeof(wj));
	wj.job.kind = JOB_REFUND;
	wj.job.request_id = request_id;
	wj.job.refund = *req;
	submit(w, &wj);
	*out = wj.job.rout;
	return out->result;
}

enum retryq_requeue_result
writer_requeue(struct writer *w, int64_t id, const char *request_id)
{
	struct wjob wj;

	memset(&wj, 0, sizeof(wj));
	wj.job.kind = JOB_REQUEUE;
	wj.job.request_id = request_id;
	wj.job.requeue_id = id;
	submit(w, &wj);
	return wj.job.requeue;
}
