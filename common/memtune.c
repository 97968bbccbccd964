/*
 * Memory settings of the hot path (memtune.h). Every number is named in
 * memtune.h; the figures behind them are in docs/bench-hotpath.md.
 */
#include <malloc.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "memtune.h"
#include "sqlmem.h"

int
memtune_process(int arenas)
{
	int rc = 0;

	if (mallopt(M_TRIM_THRESHOLD, MEMTUNE_TRIM_THRESHOLD) != 1)
		rc = -1;
	if (mallopt(M_TOP_PAD, MEMTUNE_TOP_PAD) != 1)
		rc = -1;
	if (mallopt(M_MMAP_THRESHOLD, MEMTUNE_MMAP_THRESHOLD) != 1)
		rc = -1;
	if (arenas > 0 && mallopt(M_ARENA_MAX, arenas) != 1)
		rc = -1;
	return rc;
}

int
memtune_sqlite(void)
{
	int rc = sqlmem_install();

	/*
	 * A lock and unlock of SQLITE_MUTEX_STATIC_MEM per allocation:
	 * 49 000 of 389 000 instructions per award (callgrind,
	 * bench_award group FULL 3000 16).
	 */
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		rc = -1;
	return rc;
}

void
memtune_json(void)
{
	cJSON_Hooks hooks = { sqlmem_alloc, sqlmem_free };

	cJSON_InitHooks(&hooks);
}

/* PRAGMA SCHEMA.NAME=VALUE on main and, when attached, bot. */
static int
pragma_both(sqlite3 *db, const char *name, long long value)
{
	static const char *const schemas[] = { "main", "bot" };
	char sql[96];

	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		if (i > 0 && sqlite3_db_filename(db, schemas[i]) == NULL)
			continue;
		snprintf(sql, sizeof(sql), "PRAGMA %s.%s=%lld", schemas[i],
		    name, value);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	return 0;
}

int
memtune_writer(sqlite3 *db)
{
	/*
	 * A group's savepoint per job (job.h) keeps the pages it changes
	 * again in a statement journal: a temporary file, opened, written
	 * and unlinked by every group, unless temporaries live in memory.
	 * At 64 jobs a group that was 13.8 pwrite(2) per award, and 2.7
	 * with temp_store=MEMORY (strace -c, bench_award group).
	 */
	if (sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	return pragma_both(db, "cache_size",
	    -(long long)MEMTUNE_WRITER_CACHE_KIB);
}

int
memtune_reader(sqlite3 *db)
{
	return pragma_both(db, "mmap_size", MEMTUNE_READER_MMAP);
}
