/*
 * Memory settings of the hot path (issue 14), in one place: glibc's malloc
 * thresholds for a whole process, and the page cache of a write or a read
 * connection. What each costs and buys is measured by make bench
 * (docs/bench-hotpath.md). SQLite's small blocks come from per-thread
 * caches (sqlmem.h), installed by memtune_sqlite(); in award-fcgi
 * cJSON's too, by memtune_json().
 */
#ifndef AWARD_MEMTUNE_H
#define AWARD_MEMTUNE_H

#include <sqlite3.h>

/* The writer's page cache per database file (service and bot), KiB. */
#define MEMTUNE_WRITER_CACHE_KIB	(8 * 1024)
/* A read connection maps this much of each database file. */
#define MEMTUNE_READER_MMAP	((sqlite3_int64)64 * 1024 * 1024)
/* glibc: heap kept after a free before it is given back, and its pad. */
#define MEMTUNE_TRIM_THRESHOLD	(32 * 1024 * 1024)
#define MEMTUNE_TOP_PAD		(4 * 1024 * 1024)
/* glibc: allocations from this size up get a mapping of their own. */
#define MEMTUNE_MMAP_THRESHOLD	(4 * 1024 * 1024)

/*
 * Fix glibc's malloc thresholds for this process (mallopt): heap freed at
 * the end of a transaction stays for the next one instead of going back
 * to the kernel (brk, page faults) and coming again. arenas > 0 also caps
 * the number of malloc arenas. Call once, before threads start. Returns
 * 0, or -1 when glibc refused a setting (the process runs on regardless).
 */
int	memtune_process(int arenas);

/*
 * SQLite's process-wide settings, before its first use (the top of
 * main(): sqlite3_config() is refused once SQLite is initialized): its
 * memory from per-thread caches (sqlmem_install()), and its memory
 * statistics off, which nothing here reads (sqlite3_memory_used, soft
 * heap limits) and which lock a global mutex around every allocation and
 * free. Returns 0, or -1 when SQLite refused either (the process runs on
 * regardless).
 */
int	memtune_sqlite(void);

/*
 * cJSON's nodes and strings from the same per-thread caches
 * (cJSON_InitHooks): a webhook's body is about 45 of them, a tenth of
 * the poll thread's instructions in malloc and free. Before any cJSON
 * call of the process; what cJSON_Print*() returns is then freed with
 * cJSON_free(), never free(3).
 */
void	memtune_json(void);

/*
 * The writer's connection db: a page cache of MEMTUNE_WRITER_CACHE_KIB on
 * main and, when attached, on bot, so that the upper levels of the ledger
 * and its indexes stay in memory between groups, and temporaries (the
 * statement journal of a group's savepoints) in memory, not in files.
 * For every connection that runs groups (award-fcgi's writer,
 * award-retry, award-reconcile). 0, or -1 (SQLite's message is in db).
 */
int	memtune_writer(sqlite3 *db);

/*
 * A read connection db: memory-mapped reads (mmap_size) of main and bot,
 * so that a read costs no pread and no copy into a private page cache.
 * 0, or -1 (SQLite's message is in db).
 */
int	memtune_reader(sqlite3 *db);

#endif
