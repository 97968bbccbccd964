/*
 * Unit tests for common/sqlmem.c, SQLite's memory from per-thread
 * caches: a freed block comes back for the next request of its size,
 * sizes are what SQLite is told, a cache never holds more than
 * SQLMEM_KEEP bytes, a resized block keeps its bytes, a thread's cache
 * goes back to malloc when the thread ends (and a block freed after that
 * is not kept), and SQLite runs on it. Each
 * Criterion test runs in a process of its own, where SQLite has not been
 * used yet, so each installs the routines afresh.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "sqlmem.h"
#include "testutil.h"

/*
 * Install the routines and start SQLite; the bytes its start left in this
 * thread's cache, which the tests count from.
 */
static size_t
install(void)
{
	cr_assert_eq(sqlmem_install(), 0);
	cr_assert_eq(sqlite3_initialize(), SQLITE_OK);
	return sqlmem_cached();
}

Test(sqlmem, freed_block_serves_the_next_of_its_size)
{
	void	*p, *q, *r;
	size_t	 base = install();

	cr_assert_not_null(p = sqlite3_malloc(100));
	cr_assert_eq((uintptr_t)p % 16, 0);
	sqlite3_free(p);
	/* The class's 112 bytes and the 16 of the header. */
	cr_assert_eq(sqlmem_cached(), base + 128, "cached %zu",
	    sqlmem_cached());
	q = sqlite3_malloc(97);		/* the same class */
	cr_assert_eq(q, p);
	cr_assert_eq(sqlmem_cached(), base);
	r = sqlite3_malloc(100);	/* none cached: a new block */
	cr_assert_neq(r, p);
	sqlite3_free(q);
	sqlite3_free(r);
	cr_assert_eq(sqlmem_cached(), base + 256);
	sqlmem_release();
	cr_assert_eq(sqlmem_cached(), 0);
}

/* sqlite3_free(p): how many bytes it added to this thread's cache. */
static size_t
cached_by_free(void *p)
{
	size_t before = sqlmem_cached();

	sqlite3_free(p);
	return sqlmem_cached() - before;
}

Test(sqlmem, sizes_are_whole_classes_up_to_small)
{
	void *p;

	(void)install();
	p = sqlite3_malloc(1);
	cr_assert_eq(sqlite3_msize(p), SQLMEM_GRAIN);
	cr_assert_eq(cached_by_free(p), SQLMEM_GRAIN + 16);
	p = sqlite3_malloc(SQLMEM_SMALL - 5);
	cr_assert_eq(sqlite3_msize(p), SQLMEM_SMALL);
	cr_assert_eq(cached_by_free(p), SQLMEM_SMALL + 16);
	/* Larger blocks: their own size, never cached. */
	p = sqlite3_malloc(SQLMEM_SMALL + 1);
	cr_assert_eq(sqlite3_msize(p), SQLMEM_SMALL + 1);
	cr_assert_eq((uintptr_t)p % 16, 0);
	cr_assert_eq(cached_by_free(p), 0);
}

Test(sqlmem, cache_holds_at_most_keep_bytes)
{
	enum { N = SQLMEM_KEEP / 512 + 50 };
	void	*p[N];
	size_t	 base = install();

	for (int i = 0; i < N; i++)
		cr_assert_not_null(p[i] = sqlite3_malloc(512));
	for (int i = 0; i < N; i++)
		sqlite3_free(p[i]);
	/* Full to the last block that fits, and no further. */
	cr_assert_leq(sqlmem_cached(), SQLMEM_KEEP, "cached %zu",
	    sqlmem_cached());
	cr_assert_gt(sqlmem_cached() + 512 + 16, SQLMEM_KEEP, "cached %zu",
	    sqlmem_cached());
	cr_assert_eq((sqlmem_cached() - base) % (512 + 16), 0);
}

Test(sqlmem, resize_keeps_the_bytes)
{
	unsigned char	*p;
	int		 sizes[] = { 40, 24, 300, 3000, 9000, 2000, 64 };
	int		 have = 10;

	(void)install();
	cr_assert_not_null(p = sqlite3_malloc(have));
	for (int i = 0; i < have; i++)
		p[i] = (unsigned char)(i * 7 + 1);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k], keep = have < n ? have : n;

		cr_assert_not_null(p = sqlite3_realloc(p, n));
		cr_assert_geq(sqlite3_msize(p), (sqlite3_uint64)n);
		for (int i = 0; i < keep; i++)
			cr_assert_eq(p[i], (unsigned char)(i * 7 + 1),
			    "byte %d after resizing to %d", i, n);
		for (int i = keep; i < n; i++)
			p[i] = (unsigned char)(i * 7 + 1);
		have = n;
	}
	sqlite3_free(p);
}

/* A thread that leaves 100 freed blocks of 512 bytes in its cache. */
static void *
fill_and_end(void *arg)
{
	void *p[100];

	(void)arg;
	for (int i = 0; i < 100; i++)
		p[i] = sqlite3_malloc(512);
	for (int i = 0; i < 100; i++)
		sqlite3_free(p[i]);
	return (void *)sqlmem_cached();
}

Test(sqlmem, thread_end_gives_its_cache_back)
{
	pthread_t	t;
	void		*cached;
	size_t		 before, after;

	(void)install();
	before = mallinfo2().uordblks;
	cr_assert_eq(pthread_create(&t, NULL, fill_and_end, NULL), 0);
	cr_assert_eq(pthread_join(t, &cached), 0);
	after = mallinfo2().uordblks;
	cr_assert_eq((size_t)cached, 100 * (512 + 16));
	/* 51 200 bytes were cached: they are free again, not held. */
	cr_assert_lt(after, before + 8192, "in use %zu, before %zu", after,
	    before);
}

/*
 * A thread-local destructor that runs after the cache was drained (its
 * second pass: it sets its key again in the first, so whatever the order
 * of the keys, sqlmem's drain has run by then) and frees a block of
 * SQLite's: the bytes the cache holds after that free.
 */
static pthread_key_t	late_key;
static void		*late_block;
static size_t		 late_cached = SIZE_MAX;

static void
late_free(void *arg)
{
	if (arg == (void *)1) {
		pthread_setspecific(late_key, (void *)2);
		return;
	}
	sqlite3_free(late_block);
	late_cached = sqlmem_cached();
}

static void *
free_after_end(void *arg)
{
	void *p;

	(void)arg;
	p = sqlite3_malloc(512);
	sqlite3_free(p);		/* this thread's cache is in use */
	late_block = sqlite3_malloc(512);
	pthread_setspecific(late_key, (void *)1);
	return NULL;
}

Test(sqlmem, free_after_thread_end_is_not_kept)
{
	pthread_t t;

	(void)install();
	cr_assert_eq(pthread_key_create(&late_key, late_free), 0);
	cr_assert_eq(pthread_create(&t, NULL, free_after_end, NULL), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	/* Kept, the block would stay in a cache no one drains again. */
	cr_assert_eq(late_cached, 0, "cached after the end: %zu", late_cached);
}

/* A block freed by another thread than the one that took it. */
static void *
take_one(void *arg)
{
	(void)arg;
	return sqlite3_malloc(200);
}

Test(sqlmem, block_freed_by_another_thread_serves_it)
{
	pthread_t	 t;
	void		*p;
	size_t		 base = install();

	cr_assert_eq(pthread_create(&t, NULL, take_one, NULL), 0);
	cr_assert_eq(pthread_join(t, &p), 0);
	cr_assert_not_null(p);
	sqlite3_free(p);
	cr_assert_eq(sqlmem_cached(), base + 208 + 16);
	cr_assert_eq(sqlite3_malloc(200), p);
	sqlite3_free(p);
}

/* A second free of a cached block stops the process, not the lists. */
Test(sqlmem, double_free_aborts, .signal = SIGABRT)
{
	void *p;

	(void)install();
	p = sqlite3_malloc(50);
	sqlite3_free(p);
	sqlite3_free(p);
}

Test(sqlmem, sqlite_runs_on_it)
{
	sqlite3	*db;
	size_t	 base = install();

	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(k TEXT PRIMARY KEY, n);"
	    " WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
	    " WHERE i < 2000) INSERT INTO t SELECT 'key-' || i ||"
	    " hex(randomblob(i % 40)), i FROM c", NULL, NULL, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(tu_one(db, "SELECT sum(n) FROM t WHERE k LIKE 'key-%'"),
	    2001000);
	cr_assert_str_eq((const char *)sqlite3_errmsg(db), "not an error");
	cr_assert_gt(sqlmem_cached(), base, "SQLite did not use the caches");
	sqlite3_close(db);
}
