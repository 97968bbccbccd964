/*
 * The YooKassa API client (SPEC.md §11): the only outward HTTP in the
 * tree. libcurl, HTTPS with certificate verification (plain http:// only
 * to a loopback host, for tests), HTTP Basic shop_id:secret_key, a
 * timeout per call, the retries of §11, a cap on the response size and
 * JSON through validate_parse() (bounded depth). One place builds URLs
 * (yk_url_*) and one parses lists (yk_parse_list).
 * Not here: what an item means (validate.c) or what is done with it.
 * A client is not thread-safe: one per thread.
 */
#ifndef AWARD_YOOKASSA_H
#define AWARD_YOOKASSA_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "validate.h"

#define YK_RESPONSE_MAX		(4 * 1024 * 1024) /* bytes of one answer */
#define YK_PAGE_LIMIT		100	/* items per list page (the API's max) */
#define YK_CURSOR_MAX		512	/* bytes of next_cursor */
#define YK_ATTEMPTS		4	/* requests per call, retries included */
#define YK_RETRY_AFTER_MAX_S	30	/* a longer Retry-After is cut to this */
#define YK_URL_MAX		(CONFIG_YK_API_MAX + 3 * YK_CURSOR_MAX + 256)
#define YK_ERR_MAX		256

enum yk_result {
	YK_OK,
	YK_NOT_FOUND,		/* 404: the API does not know the object */
	YK_AUTH,		/* 401 / 403: credentials refused */
	YK_UNAVAILABLE,		/* connection, timeout, 429, 5xx: retried */
	YK_BAD_RESPONSE,	/* not the JSON expected, too large, other 4xx */
	YK__MAX
};

enum yk_kind {
	YK_PAYMENTS,
	YK_REFUNDS,
	YK_KIND__MAX
};

/* "ok", "not_found", "auth", "unavailable", "bad_response". */
const char *yk_result_name(enum yk_result r);

/*
 * One list page: the parsed answer (text kept, so that validate.c can
 * read how numbers are written), its items array and next_cursor ("" on
 * the last page). Free with yk_page_free(); zeroed is empty.
 */
struct yk_page {
	char		*text;
	size_t		 len;
	cJSON		*root;
	const cJSON	*items;		/* array of objects, inside root */
	int		 n;		/* items in it */
	struct validate_span *spans;	/* n: each item's text */
	char		 next_cursor[YK_CURSOR_MAX + 1];
};

/* One object (payment or refund): text, tree and its "id". */
struct yk_object {
	char		*text;
	size_t		 len;
	cJSON		*root;		/* an object */
	const char	*id;		/* inside root */
};

void	yk_page_free(struct yk_page *p);
void	yk_object_free(struct yk_object *o);

/*
 * Parse text[0..len) as a list page: {"type":"list","items":[{...}...],
 * "next_cursor":"..."} (next_cursor absent, null or 1..YK_CURSOR_MAX
 * printable ASCII bytes). Takes ownership of text (malloc'd) whatever
 * the outcome. Returns 0 with *p filled, or -1 with a reason in err
 * (nothing to free).
 */
int	yk_parse_list(char *text, size_t len, struct yk_page *p, char *err,
	    size_t errsz);

/*
 * Parse text[0..len) as one object with a string "id". Ownership and
 * results as yk_parse_list().
 */
int	yk_parse_object(char *text, size_t len, struct yk_object *o,
	    char *err, size_t errsz);

/*
 * Write a list URL into buf: base/payments or base/refunds with
 * status=succeeded, created_at.gte=since (YYYY-MM-DDTHH:MM:SS.mmmZ), the
 * limit and, when cursor is not NULL or "", cursor, each value
 * percent-encoded. 0, or -1 when it does not fit.
 */
int	yk_url_list(char *buf, size_t bufsz, const char *base,
	    enum yk_kind kind, int64_t since_ms, const char *cursor);

/* base/payments/ID or base/refunds/ID, ID percent-encoded. 0 or -1. */
int	yk_url_object(char *buf, size_t bufsz, const char *base,
	    enum yk_kind kind, const char *id);

/*
 * Once per process, before any thread starts and before yk_open():
 * libcurl's global set-up. 0 or -1.
 */
int	yk_global_init(void);

struct yk_client;

/*
 * A client for cfg's API (cfg->yk_api, yk_shop_id, yk_secret_key,
 * yk_timeout_ms; cfg must outlive it). Refuses a plain http:// base that
 * is not loopback and missing credentials. Returns NULL with a one-line
 * message in err (never the key).
 */
struct yk_client *yk_open(const struct award_config *cfg, char *err,
	    size_t errsz);

/* NULL is a no-op. */
void	yk_close(struct yk_client *c);

/*
 * GET one page of succeeded payments or refunds created at or after
 * since_ms, from cursor (NULL or "": the first page). On YK_OK *page is
 * filled (the caller frees it); otherwise it is empty and err says why.
 */
enum yk_result yk_list(struct yk_client *c, enum yk_kind kind,
	    int64_t since_ms, const char *cursor, struct yk_page *page,
	    char *err, size_t errsz);

/*
 * GET one payment or refund by id. On YK_OK *obj is filled (the caller
 * frees it); YK_NOT_FOUND for a 404; otherwise err says why.
 */
enum yk_result yk_get(struct yk_client *c, enum yk_kind kind,
	    const char *id, struct yk_object *obj, char *err, size_t errsz);

/*
 * Requests per call from now on, retries included: 1..YK_ATTEMPTS (the
 * default). A request thread that must answer soon takes fewer
 * (verify.h); the rules for what is retried stay those of yk_get().
 */
void	yk_set_attempts(struct yk_client *c, int n);

/* HTTP requests this client has sent, retries included. */
int64_t	yk_requests(const struct yk_client *c);

/*
 * Tests only: called instead of sleeping before a retry, with the wait
 * in milliseconds that the rules chose. NULL restores the real sleep.
 */
typedef void (*yk_sleep_fn)(void *arg, int ms);
void	yk_set_sleep(struct yk_client *c, yk_sleep_fn fn, void *arg);

#endif
