/*
 * GET /v1/admin/lookup (SPEC.md §5): everything the service knows about
 * one order id, payment id or telegram id, read in one snapshot — the
 * payments (outcome, refunded amount), their refunds, the ledger rows of
 * their orders, the retry-queue rows with their attempts, last error and
 * who acknowledged or requeued them, and for a telegram id its tickets in
 * every contest where it has ledger rows. Read-only: nothing here writes.
 * The dashboard's detail view renders the same tree (fcgi/detail.c).
 */
#ifndef AWARD_LOOKUP_H
#define AWARD_LOOKUP_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ctx.h"

/* Rows of each list at most; "truncated" says when one was cut. */
#define LOOKUP_ROWS_MAX	500

enum lookup_key {
	LOOKUP_ORDER,		/* ?order_id= */
	LOOKUP_PAYMENT,		/* ?payment_id= */
	LOOKUP_TELEGRAM,	/* ?telegram_id= */
	LOOKUP__MAX
};

/* The query parameter of key ("order_id", ...). */
const char *lookup_key_name(enum lookup_key key);

/*
 * Look up a validated id: text for ORDER and PAYMENT (validate_text_id), tg for
 * TELEGRAM (text ignored). Returns a tree the caller deletes:
 *   {"query":{"<key>":value}, "payments":[...], "refunds":[...],
 *    "ledger":[...], "queue":[...], "tickets":[...], "truncated":bool}
 * (tickets only filled for a telegram id; empty lists when nothing is
 * known), or NULL on a database error or when out of memory.
 */
cJSON	*lookup_run(struct award_ctx *ctx, enum lookup_key key,
	    const char *text, int64_t tg);

/* One contest of the bot database; pointers valid during the call only. */
struct lookup_contest {
	const char	*id, *starts_at, *ends_at;
	int		 active;
};

/*
 * The contests, newest start first, at most limit: fn per contest (0 to
 * go on, -1 to stop). Returns 0, or -1 on error or when fn stopped.
 */
int	lookup_contests(struct award_ctx *ctx, int limit,
	    int (*fn)(void *, const struct lookup_contest *), void *arg);

/*
 * A contest's ledger totals by reason (the dashboard's totals for the
 * contest's time range): fn(arg, reason, rows, tickets, owners). Reads
 * the contest's rows through the ledger's (contest_id, referrer_id)
 * index. Returns 0, or -1.
 */
int	lookup_contest_totals(struct award_ctx *ctx, const char *contest_id,
	    int (*fn)(void *, const char *, int64_t, int64_t, int64_t),
	    void *arg);

/* This module's statements (ctx->lk), a part of roles_reader (roles.h). */
extern const struct award_part lookup_part;

#endif
