/*
 * Unit tests for common/walbuf.c: a commit's WAL frames go out in a few
 * writes instead of two per frame, another connection sees every
 * committed row, pages spilled into the WAL mid-transaction read back as
 * written, a commit is in the file when COMMIT returns at NORMAL too (a
 * process that ends then keeps it), and a write that fails when the frames
 * go out fails the COMMIT, with nothing of it visible.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "testutil.h"
#include "walbuf.h"

static char dir[] = "/tmp/award-walbuf-XXXXXX";
static char path[256];

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.db", dir);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(walbuf, .init = setup, .fini = teardown);

static void
exec(sqlite3 *db, const char *sql)
{
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
}

/* db's file passes PRAGMA integrity_check. */
static void
intact(sqlite3 *db)
{
	cr_assert_eq(tu_one(db, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'"), 1);
}

/*
 * After a's COMMIT failed: once a has rolled back, a fresh connection
 * counts want rows in table, a's next insert (one row) goes through,
 * and the file is intact. Closes a.
 */
static void
next_commit_works(sqlite3 *a, const char *table, int64_t want,
    const char *insert)
{
	sqlite3	*b;
	char	 sql[100];

	if (!sqlite3_get_autocommit(a))
		exec(a, "ROLLBACK");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	cr_assert_eq(tu_one(b, sql), want);
	exec(a, insert);
	cr_assert_eq(tu_one(b, sql), want + 1);
	intact(b);
	sqlite3_close(a);
	sqlite3_close(b);
}

/* A WAL database at synchronous sync, through vfs (NULL: the default). */
static sqlite3 *
open_wal(const char *vfs, const char *sync)
{
	sqlite3	*db;
	char	 sql[200];

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=WAL; PRAGMA "
	    "synchronous=%s; PRAGMA wal_autocheckpoint=0", sync);
	exec(db, sql);
	return db;
}

static sqlite3 *
open_full(const char *vfs)
{
	return open_wal(vfs, "FULL");
}

/* This process's write(2)-family system calls so far (/proc/self/io). */
static long long
write_calls(void)
{
	FILE		*f;
	char		 line[128];
	long long	 n = -1;

	cr_assert_not_null(f = fopen("/proc/self/io", "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "syscw: %lld", &n) == 1)
			break;
	fclose(f);
	cr_assert_geq(n, 0, "no syscw in /proc/self/io");
	return n;
}

/* The write calls of one COMMIT of 40 rows of a page each, through vfs. */
static long long
commit_writes(const char *vfs)
{
	sqlite3		*db = open_full(vfs);
	long long	 before;

	exec(db, "CREATE TABLE t(x BLOB)");
	before = write_calls();
	exec(db, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 40) INSERT INTO t "
	    "SELECT randomblob(3000) FROM n; COMMIT");
	before = write_calls() - before;
	sqlite3_close(db);
	return before;
}

Test(walbuf, commit_frames_in_few_writes)
{
	long long n = commit_writes(walbuf_vfs());

	/* 40+ frames, 160 KB: two writes of the buffer, nothing per frame. */
	cr_assert_leq(n, 4, "%lld write calls for one commit", n);
}

/* What the test above is measured against: two writes a frame. */
Test(walbuf, default_vfs_writes_each_frame)
{
	long long n = commit_writes(NULL);

	cr_assert_geq(n, 80, "%lld write calls for one commit", n);
}

/*
 * Three rounds of a big commit and a one-row one on a (through this VFS),
 * each seen whole at once by b (the default VFS) on a's file.
 */
static sqlite3 *
commits_seen(sqlite3 *a)
{
	sqlite3 *b;

	exec(a, "CREATE TABLE t(i INTEGER PRIMARY KEY, x BLOB)");
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	for (int round = 1; round <= 3; round++) {
		exec(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
		    "SELECT i + 1 FROM n WHERE i < 100) INSERT INTO t(x) "
		    "SELECT randomblob(700) FROM n; COMMIT");
		cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"),
		    101 * round - 1);
		cr_assert_eq(tu_one(b, "SELECT sum(length(x)) FROM t"),
		    70010LL * round - 10);
		exec(a, "INSERT INTO t(x) VALUES (zeroblob(10))");
		cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 101 * round);
	}
	return b;
}

Test(walbuf, committed_rows_seen_by_another_connection)
{
	sqlite3 *a = open_full(walbuf_vfs()), *b = commits_seen(a);

	/* A checkpoint copies what the WAL holds; the file stays whole. */
	exec(b, "PRAGMA wal_checkpoint(TRUNCATE)");
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 303);
	exec(a, "INSERT INTO t(x) VALUES (zeroblob(10))");
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 304);
	sqlite3_close(a);
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 304);
	intact(b);
	sqlite3_close(b);
}

/*
 * A page cache of a few pages: a transaction spills its pages into the
 * WAL and reads them back before its COMMIT (the buffer must not hide
 * them), and rolls one back (its frames must not count).
 */
Test(walbuf, spilled_pages_read_back)
{
	sqlite3 *a = open_full(walbuf_vfs()), *b;

	exec(a, "PRAGMA cache_size=5; CREATE TABLE t(i INTEGER PRIMARY KEY, "
	    "k TEXT, x BLOB); CREATE INDEX t_k ON t(k)");
	exec(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t(k, x) "
	    "SELECT hex(randomblob(8)), randomblob(200) FROM n");
	cr_assert_eq(tu_one(a, "SELECT count(*) FROM t INDEXED BY t_k "
	    "WHERE k > ''"), 3000);
	cr_assert_eq(tu_one(a, "SELECT sum(length(x)) FROM t"), 600000);
	exec(a, "COMMIT");
	exec(a, "BEGIN; UPDATE t SET x = randomblob(300); ROLLBACK");
	exec(a, "BEGIN; DELETE FROM t WHERE i > 2000; COMMIT");
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 2000);
	cr_assert_eq(tu_one(b, "SELECT sum(length(x)) FROM t"), 400000);
	intact(b);
	sqlite3_close(a);
	sqlite3_close(b);
}

/*
 * The WAL may not grow past its size at the start of a commit (a file
 * size limit): the frames are held until the sync, so the write fails
 * there, and the COMMIT with it; nothing of it is seen, and once the
 * limit is gone the next commit goes through.
 */
Test(walbuf, failed_write_fails_the_commit)
{
	sqlite3		*a = open_full(walbuf_vfs());
	struct rlimit	 lim;
	struct stat	 st;
	char		 wal[300];
	int		 rc;

	signal(SIGXFSZ, SIG_IGN);
	exec(a, "CREATE TABLE t(x BLOB); INSERT INTO t VALUES (1)");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	cr_assert_eq(stat(wal, &st), 0);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &lim), 0);
	lim.rlim_cur = (rlim_t)st.st_size + 8192;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	exec(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 40) INSERT INTO t "
	    "SELECT randomblob(3000) FROM n");
	rc = sqlite3_exec(a, "COMMIT", NULL, NULL, NULL);
	cr_assert_neq(rc, SQLITE_OK, "COMMIT succeeded past the limit");
	lim.rlim_cur = lim.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	next_commit_works(a, "t", 1, "INSERT INTO t VALUES (2)");
}

/* At NORMAL no sync comes: each commit's frames go out with its last. */
Test(walbuf, normal_commits_seen_by_another_connection)
{
	sqlite3 *a = open_wal(walbuf_vfs(), "NORMAL"), *b = commits_seen(a);

	sqlite3_close(a);
	sqlite3_close(b);
}

/*
 * A process that ends right after its COMMIT at NORMAL (a kill -9 keeps
 * the page cache): the next one finds the commit in the WAL. sql runs
 * after 3000 rows were inserted and committed with a page cache of five
 * pages; want is SELECT sum(v) after it.
 */
static void
commit_then_exit(const char *sql, long long want)
{
	sqlite3	*b;
	pid_t	 pid;
	int	 status;

	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		sqlite3 *a = open_wal(walbuf_vfs(), "NORMAL");

		if (sqlite3_exec(a, "PRAGMA cache_size=5; CREATE TABLE t("
		    "i INTEGER PRIMARY KEY, v INTEGER, x BLOB); BEGIN; "
		    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		    "FROM n WHERE i < 3000) INSERT INTO t(v, x) SELECT 1, "
		    "randomblob(200) FROM n; COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK || sqlite3_exec(a, sql, NULL, NULL, NULL) !=
		    SQLITE_OK)
			_exit(1);
		_exit(0);	/* no sqlite3_close: nothing more is written */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 3000);
	cr_assert_eq(tu_one(b, "SELECT sum(v) FROM t"), want);
	intact(b);
	sqlite3_close(b);
}

Test(walbuf, normal_commit_kept_by_a_process_that_ends)
{
	commit_then_exit("UPDATE t SET v = 2 WHERE i = 1500", 3001);
}

/*
 * A transaction that spills its pages into the WAL and then changes them
 * again: SQLite overwrites those frames in place and, after the commit
 * frame, rewrites the headers' checksums, the commit frame's last. That
 * last write must reach the file too, or the next process's recovery
 * stops at the broken checksum and drops the whole commit.
 */
Test(walbuf, normal_rewritten_checksums_kept_by_a_process_that_ends)
{
	commit_then_exit("BEGIN; UPDATE t SET v = 2, x = randomblob(200); "
	    "UPDATE t SET v = 3 WHERE i % 2 = 0; COMMIT", 7500);
}

/*
 * SQLite's memory after one COMMIT of 3 MB of frames on a fresh file,
 * through vfs; the page cache holds the whole transaction either way.
 */
static long long
memory_after_big_commit(const char *vfs, const char *file)
{
	sqlite3		*db;
	long long	 before = sqlite3_memory_used();

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	db = open_full(vfs);
	exec(db, "PRAGMA cache_size=-20000; CREATE TABLE t(x BLOB); BEGIN; "
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 750) INSERT INTO t SELECT randomblob(3900) FROM n; "
	    "COMMIT");
	cr_assert_eq(tu_one(db, "SELECT count(*) FROM t"), 750);
	return sqlite3_memory_used() - before;	/* db stays open */
}

/* The buffer that a big commit grew is not kept once it is written. */
Test(walbuf, big_commit_buffer_not_kept)
{
	long long buffered = memory_after_big_commit(walbuf_vfs(), "a.db");
	long long plain = memory_after_big_commit(NULL, "b.db");

	cr_assert_lt(buffered - plain, 512 * 1024, "%lld bytes more than "
	    "the default VFS after the commit (%lld)", buffered - plain,
	    plain);
}

/*
 * A transaction that spilled frames and was rolled back, then another
 * connection's commit at the same place in the WAL: what the first one
 * still held must never be written over it (its frames were never part
 * of a commit), whatever the first connection does next.
 */
Test(walbuf, rolled_back_frames_never_overwrite_a_commit)
{
	sqlite3 *a = open_full(walbuf_vfs()), *b, *c;

	exec(a, "PRAGMA cache_size=5; CREATE TABLE t(i INTEGER PRIMARY KEY, "
	    "v INTEGER, x BLOB)");
	cr_assert_eq(sqlite3_open_v2(path, &b, SQLITE_OPEN_READWRITE,
	    walbuf_vfs()), SQLITE_OK);
	exec(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t(v, x) "
	    "SELECT 7, randomblob(200) FROM n; ROLLBACK");
	exec(b, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 300) INSERT INTO t(v, x) "
	    "SELECT 1, zeroblob(200) FROM n; COMMIT");
	/* a reads, writes and closes: each may write out what it held. */
	cr_assert_eq(tu_one(a, "SELECT sum(v) FROM t"), 300);
	exec(a, "INSERT INTO t(v, x) VALUES (1, zeroblob(200))");
	sqlite3_close(a);
	sqlite3_close(b);
	cr_assert_eq(sqlite3_open(path, &c), SQLITE_OK);
	cr_assert_eq(tu_one(c, "SELECT count(*) FROM t"), 301);
	cr_assert_eq(tu_one(c, "SELECT sum(v) FROM t"), 301);
	cr_assert_eq(tu_one(c, "SELECT sum(length(x) = 200 AND "
	    "x = zeroblob(200)) FROM t"), 301);
	intact(c);
	sqlite3_close(c);
}

/* The unix VFS's pwrite64, and ours: writes over 8 KB fail (ENOSPC). */
static sqlite3_syscall_ptr real_pwrite64;
static int fail_big_writes;

static ssize_t
pwrite64_maybe_full(int fd, const void *p, size_t n, off_t off)
{
	if (fail_big_writes && n > 8192) {
		errno = ENOSPC;
		return -1;
	}
	return ((ssize_t (*)(int, const void *, size_t, off_t))real_pwrite64)(
	    fd, p, n, off);
}

/*
 * Spilled frames held, then a read of one of those pages writes them out
 * and the disk is full: SQLite fails that statement only and the
 * transaction goes on, so its COMMIT must fail too (the frames are lost),
 * nothing of it may be seen, and the next transaction works.
 */
Test(walbuf, failed_write_out_at_a_read_fails_the_commit)
{
	sqlite3_vfs	*unix_vfs = sqlite3_vfs_find("unix");
	sqlite3		*a, *b;
	int		 rc;

	cr_assert_not_null(unix_vfs);
	real_pwrite64 = unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
	cr_assert_not_null(real_pwrite64);
	cr_assert_eq(unix_vfs->xSetSystemCall(unix_vfs, "pwrite64",
	    (sqlite3_syscall_ptr)pwrite64_maybe_full), SQLITE_OK);
	a = open_full(walbuf_vfs());
	exec(a, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT); CREATE TABLE "
	    "u(k INTEGER PRIMARY KEY, v TEXT UNIQUE); WITH RECURSIVE n(i) AS "
	    "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) INSERT "
	    "INTO t SELECT i, printf('%0900d', i) FROM n; "
	    "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_size=10");
	exec(a, "BEGIN; UPDATE t SET v = printf('%0900d', k + 1000)");
	fail_big_writes = 1;
	rc = sqlite3_exec(a, "INSERT INTO u SELECT k, v FROM t WHERE k % 7 = 0",
	    NULL, NULL, NULL);
	fail_big_writes = 0;
	cr_assert_neq(rc, SQLITE_OK, "the read wrote the frames out");
	rc = sqlite3_exec(a, "COMMIT", NULL, NULL, NULL);
	cr_assert_neq(rc, SQLITE_OK, "COMMIT succeeded without its frames");
	if (!sqlite3_get_autocommit(a))
		exec(a, "ROLLBACK");
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t WHERE v = "
	    "printf('%0900d', k)"), 200);
	sqlite3_close(b);
	next_commit_works(a, "u", 0, "INSERT INTO u VALUES (1, 'x')");
	unix_vfs->xSetSystemCall(unix_vfs, "pwrite64", real_pwrite64);
}

/*
 * Without powersafe overwrite SQLite pads a FULL commit to a sector
 * boundary with copies of its commit frame, one of them split around a
 * sync: every byte of them reaches the file.
 */
Test(walbuf, padded_commits_reach_the_file)
{
	sqlite3	*a, *b;
	char	 uri[300], sql[200];

	snprintf(uri, sizeof(uri), "file:%s?psow=0", path);
	cr_assert_eq(sqlite3_open_v2(uri, &a, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, walbuf_vfs()), SQLITE_OK);
	exec(a, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	    "PRAGMA wal_autocheckpoint=0; "
	    "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
	for (int i = 0; i < 20; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO t(v) VALUES "
		    "(printf('%%0500d', %d))", i);
		exec(a, sql);
	}
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t WHERE v = "
	    "printf('%0500d', k - 1)"), 20);
	intact(b);
	sqlite3_close(a);
	sqlite3_close(b);
	cr_assert_eq(sqlite3_open(path, &b), SQLITE_OK);
	cr_assert_eq(tu_one(b, "SELECT count(*) FROM t"), 20);
	sqlite3_close(b);
}

/*
 * A COMMIT that fails on a full disk while the same connection has a
 * SELECT under way: the transaction rolls back, reading committed frames
 * back, and the SELECT goes on to its last row, as without this VFS.
 */
Test(walbuf, failed_commit_leaves_a_running_select_going)
{
	sqlite3_vfs	*unix_vfs = sqlite3_vfs_find("unix");
	sqlite3_stmt	*sel;
	sqlite3		*a;
	int		 rc, rows = 0;

	cr_assert_not_null(unix_vfs);
	real_pwrite64 = unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
	cr_assert_eq(unix_vfs->xSetSystemCall(unix_vfs, "pwrite64",
	    (sqlite3_syscall_ptr)pwrite64_maybe_full), SQLITE_OK);
	a = open_full(walbuf_vfs());
	exec(a, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB); "
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 50) INSERT INTO t SELECT i, randomblob(500) FROM n");
	exec(a, "BEGIN");
	cr_assert_eq(sqlite3_prepare_v2(a, "SELECT k FROM t", -1, &sel, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_step(sel), SQLITE_ROW);
	exec(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	    "FROM n WHERE i < 20) INSERT INTO t SELECT i + 1000, "
	    "randomblob(900) FROM n");
	fail_big_writes = 1;
	rc = sqlite3_exec(a, "COMMIT", NULL, NULL, NULL);
	fail_big_writes = 0;
	cr_assert_neq(rc, SQLITE_OK, "COMMIT succeeded on a full disk");
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW)
		rows++;
	cr_assert_eq(rc, SQLITE_DONE, "the SELECT failed: %s",
	    sqlite3_errmsg(a));
	cr_assert_eq(rows, 49);
	sqlite3_finalize(sel);
	next_commit_works(a, "t", 50, "INSERT INTO t VALUES (2000, NULL)");
	unix_vfs->xSetSystemCall(unix_vfs, "pwrite64", real_pwrite64);
}
