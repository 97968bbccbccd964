/*
 * SQLite's memory from small per-thread caches over malloc (sqlmem.c),
 * and cJSON's in award-fcgi (memtune_json()).
 *
 * Debian's SQLite is built with SQLITE_OMIT_LOOKASIDE, so every small
 * object of a statement's run (a bound text, a cursor, a record, a page's
 * statement-journal copy) is a malloc(3) and a free(3): 78 of them per
 * award in the responder's writer, 13 % of its instructions (callgrind,
 * docs/bench-hotpath.md). Here a block freed by a thread goes to that
 * thread's cache, one list per size class, and the next block of that
 * size it asks for comes from there with a few instructions and no lock.
 * Every block still comes from malloc in the first place; a cache holds
 * at most SQLMEM_KEEP bytes (headers included; malloc's own overhead
 * aside) and goes back to free(3) when its thread ends.
 */
#ifndef AWARD_SQLMEM_H
#define AWARD_SQLMEM_H

#include <stddef.h>

#define SQLMEM_GRAIN	16		/* size classes are multiples of this */
#define SQLMEM_SMALL	1024		/* the largest size a cache keeps */
#define SQLMEM_KEEP	(256 * 1024)	/* bytes one thread's cache holds */

/*
 * Make these SQLite's allocation routines (sqlite3_config
 * SQLITE_CONFIG_MALLOC). Before SQLite's first use, as every
 * sqlite3_config(). 0, or -1 when SQLite refused (it keeps its own).
 */
int	sqlmem_install(void);

/*
 * The same caches for other small objects (cJSON's, memtune_json()): a
 * block of n bytes, NULL when out of memory; and its free, of a block
 * from sqlmem_alloc() only (NULL is a no-op).
 */
void	*sqlmem_alloc(size_t n);
void	 sqlmem_free(void *p);

/* Bytes the calling thread's cache holds, headers included (tests). */
size_t	sqlmem_cached(void);

/*
 * Give the calling thread's cache back to free(3) now: the main thread's
 * is never drained otherwise (exit() runs no key destructors), so a
 * process that keeps running without SQLite calls this first (the
 * supervisor, before malloc_trim()).
 */
void	sqlmem_release(void);

#endif
