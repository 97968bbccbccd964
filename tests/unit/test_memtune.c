/*
 * Unit tests for common/memtune.c: the writer's page cache and a reader's
 * memory map are set on the service database and, when attached, on the
 * bot's, as PRAGMA reads them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "memtune.h"
#include "sqlmem.h"
#include "testutil.h"

static char dir[] = "/tmp/award-memtune-XXXXXX";

static sqlite3 *
open_pair(int attach)
{
	char	 path[256], sql[300];
	sqlite3	*db;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.db", dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	if (attach) {
		snprintf(sql, sizeof(sql), "ATTACH '%s/b.db' AS bot", dir);
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL),
		    SQLITE_OK);
	}
	return db;
}

static void
close_pair(sqlite3 *db)
{
	char cmd[300];

	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(memtune, writer_cache_on_both_files)
{
	sqlite3 *db = open_pair(1);

	cr_assert_eq(memtune_writer(db), 0);
	cr_assert_eq(tu_one(db, "PRAGMA main.cache_size"),
	    -(long long)MEMTUNE_WRITER_CACHE_KIB);
	cr_assert_eq(tu_one(db, "PRAGMA bot.cache_size"),
	    -(long long)MEMTUNE_WRITER_CACHE_KIB);
	close_pair(db);
}

Test(memtune, writer_cache_single_file)
{
	sqlite3 *db = open_pair(0);

	cr_assert_eq(memtune_writer(db), 0);
	cr_assert_eq(tu_one(db, "PRAGMA main.cache_size"),
	    -(long long)MEMTUNE_WRITER_CACHE_KIB);
	close_pair(db);
}

Test(memtune, reader_maps_both_files)
{
	sqlite3 *db = open_pair(1);

	cr_assert_eq(memtune_reader(db), 0);
	cr_assert_eq(tu_one(db, "PRAGMA main.mmap_size"), MEMTUNE_READER_MMAP);
	cr_assert_eq(tu_one(db, "PRAGMA bot.mmap_size"), MEMTUNE_READER_MMAP);
	close_pair(db);
}

/*
 * memtune_sqlite() before SQLite's first use turns its memory statistics
 * off (they lock a global mutex around every allocation): the work below
 * allocates, and SQLite counts none of it. Each Criterion test runs in a
 * process of its own, where SQLite has not been used yet.
 */
Test(memtune, sqlite_keeps_no_memory_statistics)
{
	sqlite3 *db;

	cr_assert_eq(memtune_sqlite(), 0);
	db = open_pair(1);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(x);"
	    " INSERT INTO t VALUES (randomblob(5000));"
	    " CREATE TABLE bot.u(y); INSERT INTO bot.u SELECT x FROM t",
	    NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(tu_one(db, "SELECT count(*) FROM bot.u"), 1);
	cr_assert_eq(sqlite3_memory_used(), 0,
	    "SQLite counted %lld bytes", (long long)sqlite3_memory_used());
	/* And its blocks came through this thread's cache (sqlmem.h). */
	cr_assert_gt(sqlmem_cached(), 0);
	close_pair(db);
	/* Once SQLite is in use, the setting is refused, and says so. */
	cr_assert_eq(memtune_sqlite(), -1);
}

/* Without it, the same work is counted: the test above can fail. */
Test(memtune, sqlite_counts_memory_by_default)
{
	sqlite3 *db = open_pair(0);

	cr_assert_gt(sqlite3_memory_used(), 0);
	close_pair(db);
}

/* cJSON's nodes and strings come from the caches too (memtune_json()). */
Test(memtune, cjson_memory_from_the_caches)
{
	cJSON	*o;
	char	*s;
	size_t	 before;

	memtune_json();
	before = sqlmem_cached();
	o = cJSON_Parse("{\"a\":[1,2,3],\"b\":\"text\",\"c\":{\"d\":null}}");
	cr_assert_not_null(o);
	s = cJSON_PrintUnformatted(o);
	cr_assert_str_eq(s, "{\"a\":[1,2,3],\"b\":\"text\",\"c\":{\"d\":null}}");
	cJSON_free(s);
	cJSON_Delete(o);
	/* Eight nodes of 64 bytes, five strings, the printed text. */
	cr_assert_gt(sqlmem_cached(), before + 8 * 64, "cached %zu, before %zu",
	    sqlmem_cached(), before);
}
