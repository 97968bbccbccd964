/*
 * Read connections of one worker process (SPEC.md §2: reads never wait for
 * the writer; WAL lets them read while a group commits). A small pool,
 * opened on first use and shared by the request threads: a thread holds
 * one only while a request that reads is handled, so memory is bounded by
 * the pool, not by AWARD_THREADS.
 */
#ifndef AWARD_READERS_H
#define AWARD_READERS_H

#include "config.h"
#include "ctx.h"

#define READERS_MAX	4	/* read connections per worker process */

struct readers;

/* An empty pool of at most max connections (max >= 1); NULL if no memory. */
struct readers *readers_new(const struct award_config *cfg, int max);

/*
 * A read connection: an idle one, a new one while fewer than max exist,
 * else wait for one. NULL (logged) when a new one cannot be opened.
 */
struct award_ctx *readers_take(struct readers *r);

/* Give back what readers_take() returned; NULL is a no-op. */
void	readers_give(struct readers *r, struct award_ctx *ctx);

/* Close every connection; none may be taken. NULL is a no-op. */
void	readers_free(struct readers *r);

#endif
