/*
 * SQLite's memory from small per-thread caches over malloc (sqlmem.h).
 *
 * Each block has a 16-byte header: its size and, while it sits in a
 * cache, the next block of that cache's list. A block of at most
 * SQLMEM_SMALL bytes is sized up to its class (a multiple of
 * SQLMEM_GRAIN) and, once freed, kept by the freeing thread while its
 * cache holds less than SQLMEM_KEEP bytes, headers included; any other
 * block is malloc's alone. A block may be freed by another thread than
 * the one that took it: it joins that other thread's cache, and every
 * cache drains into free(3) when its thread ends (a thread-specific
 * key's destructor; what the thread frees after that goes to free(3)
 * at once) or when the thread asks (sqlmem_release()).
 * A cached block is marked in its header, so that freeing it again
 * aborts instead of putting it twice on a list (glibc's own double-free
 * check no longer sees it); under AddressSanitizer it is also poisoned,
 * so that a use after SQLite freed it is still reported.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlmem.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define NCLASS	(SQLMEM_SMALL / SQLMEM_GRAIN)
#define CACHED	((size_t)1 << (sizeof(size_t) * 8 - 1)) /* in hdr.size */

/* In front of every block; 16 bytes, so the block is as aligned as malloc's. */
struct hdr {
	_Alignas(16) size_t size; /* its class's bytes, or its size when larger */
	struct hdr	*next;	/* in a cache: the next block of the list */
};
_Static_assert(sizeof(struct hdr) == 16, "a block's header is 16 bytes");

struct cache {
	struct hdr	*head[NCLASS];	/* by class: SQLMEM_GRAIN * (i + 1) */
	size_t		 bytes;		/* blocks and their headers */
	int		 registered;	/* drained when the thread ends */
	int		 ended;		/* drained at the end: keep nothing */
};

static __thread struct cache	 tc;
static pthread_key_t		 end_key;
static pthread_once_t		 end_once = PTHREAD_ONCE_INIT;
static int			 end_ok;

/* A cache's blocks back to free(3). */
static void
empty(struct cache *c)
{
	struct hdr *h;

	for (size_t i = 0; i < NCLASS; i++)
		while ((h = c->head[i]) != NULL) {
			c->head[i] = h->next;
			UNPOISON(h + 1, h->size & ~CACHED);
			free(h);
		}
	c->bytes = 0;
}

/*
 * The end of a thread. A key destructor run after this one may still
 * free SQLite's memory: that goes to free(3), never to a cache that no
 * destructor would drain again.
 */
static void
drain(void *arg)
{
	struct cache *c = arg;

	empty(c);
	c->registered = 0;	/* registered() must answer from ended */
	c->ended = 1;
}

static void
make_key(void)
{
	end_ok = pthread_key_create(&end_key, drain) == 0;
}

/* 1 once this thread's cache will be drained at its end. */
static int
registered(void)
{
	if (tc.registered)
		return 1;
	if (tc.ended)
		return 0;
	pthread_once(&end_once, make_key);
	if (!end_ok || pthread_setspecific(end_key, &tc) != 0)
		return 0;
	tc.registered = 1;
	return 1;
}

static size_t
class_bytes(size_t n)
{
	return (n + SQLMEM_GRAIN - 1) & ~(size_t)(SQLMEM_GRAIN - 1);
}

void *
sqlmem_alloc(size_t n)
{
	struct hdr	*h;
	size_t		 sz;

	if (n > SIZE_MAX / 2 - sizeof(*h))
		return NULL;
	sz = class_bytes(n > 0 ? n : 1);
	if (sz <= SQLMEM_SMALL) {
		if ((h = tc.head[sz / SQLMEM_GRAIN - 1]) != NULL) {
			UNPOISON(h + 1, sz);
			tc.head[sz / SQLMEM_GRAIN - 1] = h->next;
			tc.bytes -= sz + sizeof(*h);
			h->size = sz;
			return h + 1;
		}
	} else
		sz = n;
	if ((h = malloc(sizeof(*h) + sz)) == NULL)
		return NULL;
	h->size = sz;
	return h + 1;
}

/* p's size; abort when p sits in a cache (it was freed already). */
static size_t
live_size(void *p)
{
	size_t sz = ((struct hdr *)p - 1)->size;

	if (sz & CACHED) {
		fprintf(stderr, "sqlmem: block %p used after it was freed\n",
		    p);
		abort();
	}
	return sz;
}

static void *
sm_malloc(int n)
{
	return n < 0 ? NULL : sqlmem_alloc((size_t)n);
}

void
sqlmem_free(void *p)
{
	struct hdr	*h;
	size_t		 sz;

	if (p == NULL)
		return;
	h = (struct hdr *)p - 1;
	sz = live_size(p);
	if (sz <= SQLMEM_SMALL && tc.bytes + sz + sizeof(*h) <= SQLMEM_KEEP &&
	    registered()) {
		POISON(p, sz);
		h->size = sz | CACHED;
		h->next = tc.head[sz / SQLMEM_GRAIN - 1];
		tc.head[sz / SQLMEM_GRAIN - 1] = h;
		tc.bytes += sz + sizeof(*h);
		return;
	}
	free(h);
}

static void *
sm_realloc(void *p, int n)
{
	struct hdr	*h;
	size_t		 old, sz;
	void		*q;

	if (p == NULL)
		return sm_malloc(n);
	if (n < 0)
		return NULL;
	h = (struct hdr *)p - 1;
	old = live_size(p);
	sz = class_bytes((size_t)n);
	if (old <= SQLMEM_SMALL && sz <= old)
		return p;		/* fits its block: as it is */
	if (old > SQLMEM_SMALL && sz > SQLMEM_SMALL) {
		if ((h = realloc(h, sizeof(*h) + (size_t)n)) == NULL)
			return NULL;
		h->size = (size_t)n;
		return h + 1;
	}
	if ((q = sm_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old < (size_t)n ? old : (size_t)n);
	sqlmem_free(p);
	return q;
}

static int
sm_size(void *p)
{
	return p == NULL ? 0 : (int)((struct hdr *)p - 1)->size;
}

static int
sm_roundup(int n)
{
	size_t sz;

	if (n <= 0)
		return n;
	sz = class_bytes((size_t)n);
	return sz <= SQLMEM_SMALL ? (int)sz : n;
}

static int
sm_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void
sm_shutdown(void *arg)
{
	(void)arg;
}

static const sqlite3_mem_methods sm_methods = {
	sm_malloc, sqlmem_free, sm_realloc, sm_size, sm_roundup, sm_init,
	sm_shutdown, NULL,
};

int
sqlmem_install(void)
{
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &sm_methods) ==
	    SQLITE_OK ? 0 : -1;
}

size_t
sqlmem_cached(void)
{
	return tc.bytes;
}

void
sqlmem_release(void)
{
	empty(&tc);
}
