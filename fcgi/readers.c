/*
 * The read-connection pool (readers.h): a stack of idle connections under
 * a mutex. Opening happens outside the lock, so a slow open (a locked
 * database applying nothing, say) never holds up the threads that only
 * give connections back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "memtune.h"
#include "readers.h"
#include "roles.h"

struct readers {
	const struct award_config *cfg;
	pthread_mutex_t	  mu;
	pthread_cond_t	  cv;
	struct award_ctx **idle;
	int		  nidle;
	int		  open;		/* idle + taken (+ being opened) */
	int		  max;
};

struct readers *
readers_new(const struct award_config *cfg, int max)
{
	struct readers *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->idle = calloc((size_t)max, sizeof(*r->idle))) == NULL) {
		free(r);
		return NULL;
	}
	r->cfg = cfg;
	r->max = max;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

struct award_ctx *
readers_take(struct readers *r)
{
	struct award_ctx	*ctx = NULL;
	char			 err[CONFIG_ERR_MAX];

	pthread_mutex_lock(&r->mu);
	while (r->nidle == 0 && r->open >= r->max)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->nidle > 0) {
		ctx = r->idle[--r->nidle];
		pthread_mutex_unlock(&r->mu);
		return ctx;
	}
	r->open++;
	pthread_mutex_unlock(&r->mu);

	ctx = award_ctx_open(r->cfg, &roles_reader, err, sizeof(err));
	if (ctx != NULL && memtune_reader(ctx->db) == -1) {
		snprintf(err, sizeof(err), "mmap_size: %s",
		    sqlite3_errmsg(ctx->db));
		award_ctx_close(ctx);
		ctx = NULL;
	}
	if (ctx == NULL) {
		log_msg(LOG_ERROR, "cannot open a read connection",
		    LF_STR("error", err), LF_END);
		pthread_mutex_lock(&r->mu);
		r->open--;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return ctx;
}

void
readers_give(struct readers *r, struct award_ctx *ctx)
{
	if (ctx == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->idle[r->nidle++] = ctx;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void
readers_free(struct readers *r)
{
	if (r == NULL)
		return;
	while (r->nidle > 0)
		award_ctx_close(r->idle[--r->nidle]);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->idle);
	free(r);
}
