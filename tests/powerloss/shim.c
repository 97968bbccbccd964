/*
 * A power cut for tests (issue 18 finding 9), as an LD_PRELOAD library.
 *
 * A kill -9 leaves the kernel's page cache alone: everything a process
 * wrote reaches the disk, synced or not. A power cut loses what was
 * written since the file's last fsync/fdatasync. This shim records, for
 * each database file it is told about (PL_FILES), every write and
 * truncation since that file's last sync, with the bytes it replaced; at
 * the cut it puts those bytes back (and the old size), newest first, so
 * the files hold exactly what had been synced, and the process ends.
 *
 * The model is the harshest a correct program must survive: no unsynced
 * write survives. It is not a model of torn sectors or of a drive that
 * lies about its cache. Only regular writes through write/pwrite and
 * truncations are seen; SQLite never writes a database through mmap.
 *
 * Environment (all read once, at load):
 *   PL_FILES   colon-separated database paths; each one, its "-wal" and
 *              its "-journal" are tracked (by the path they are opened by)
 *   PL_CUT     when to cut, counted in a forked child (a worker) only:
 *                sync:N     before the Nth sync of any tracked file
 *                walwrite:N before the Nth write to a -wal file
 *                dbsync:N   before the Nth sync of a database file itself
 *                           (in WAL mode: a checkpoint's)
 *                dbwrite:N  before the Nth write to a database file itself
 *                           (in WAL mode: inside a checkpoint)
 *                ms:N       at the first write or sync N ms after the
 *                           worker's first one
 *   PL_CUT_FILE  also cut at the first write or sync once this file
 *              exists (a test whose load ended before PL_CUT's point)
 *   PL_LOG     a file to which the cut appends one line: what, and how
 *              many writes it undid
 *   PL_FAIL_FILE  while this file exists, every sync of a -wal file in a
 *              worker fails with EIO (a disk that cannot flush); nothing
 *              is cut
 *   PL_FULL_FILE  while this file exists, every write to a -wal file fails
 *              with ENOSPC (a full disk), in any process, the one that
 *              loaded the shim too (a cron binary); nothing is cut
 * At the cut the process that loaded the shim (the supervisor, which
 * would restart the worker) is killed with SIGKILL first, then the writes
 * are undone, then the worker _exits with status 86. Nothing is cut in
 * the process that loaded the shim itself.
 *
 * Test code, not shipped: built by the Makefile as
 * $(BUILD)/tests/powerloss_shim.so for tests/integration/test_powerloss.sh.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PL_BASES	4		/* database paths in PL_FILES */
#define PL_VARIANTS	3		/* the file, -wal, -journal */
#define PL_FILES_MAX	(PL_BASES * PL_VARIANTS)
#define PL_FD_MAX	65536
#define PL_PATH_MAX	4096
#define PL_EXIT		86

enum cut_kind { CUT_NONE, CUT_SYNC, CUT_WALWRITE, CUT_DBSYNC, CUT_DBWRITE,
	CUT_MS };

/* One change since the file's last sync, with what it replaced. */
struct rec {
	int		 file;
	off_t		 off;		/* where old goes back */
	unsigned char	*old;
	size_t		 oldlen;
	off_t		 oldsize;	/* the file's size before the change */
};

static struct {
	pthread_mutex_t	 mu;
	int		 ready;
	pid_t		 loader;	/* the process that loaded the shim */
	char		 path[PL_FILES_MAX][PL_PATH_MAX];
	int		 nfiles;
	enum cut_kind	 kind;
	long long	 n;		/* the count or the ms of PL_CUT */
	char		 cut_file[PL_PATH_MAX];
	char		 fail_file[PL_PATH_MAX];
	char		 full_file[PL_PATH_MAX];
	char		 log[PL_PATH_MAX];
	long long	 syncs, walwrites, dbsyncs, dbwrites;
	struct timespec	 t0;		/* the worker's first write or sync */
	int		 started;	/* t0 is set */
	struct rec	*recs;
	size_t		 nrecs, caprecs;
	unsigned char	 fd_file[PL_FD_MAX];	/* file index + 1, 0: not ours */
} pl = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int	(*real_open)(const char *, int, ...);
static int	(*real_open64)(const char *, int, ...);
static int	(*real_openat)(int, const char *, int, ...);
static int	(*real_close)(int);
static ssize_t	(*real_write)(int, const void *, size_t);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t	(*real_pread)(int, void *, size_t, off_t);
static int	(*real_ftruncate)(int, off_t);
static int	(*real_ftruncate64)(int, off64_t);
static int	(*real_fsync)(int);
static int	(*real_fdatasync)(int);

/* dlsym's object pointer into a function pointer, as POSIX allows. */
#define LOOKUP(name) do {						\
	void *p_ = dlsym(RTLD_NEXT, #name);				\
	memcpy(&real_##name, &p_, sizeof(p_));				\
} while (0)

static void
child_after_fork(void)
{
	/* The child starts counting afresh; the parent's records are its. */
	pthread_mutex_init(&pl.mu, NULL);
	for (size_t i = 0; i < pl.nrecs; i++)
		free(pl.recs[i].old);
	pl.nrecs = 0;
	pl.syncs = pl.walwrites = pl.dbsyncs = pl.dbwrites = 0;
	pl.started = 0;
}

static void
parse_cut(const char *s)
{
	static const struct { const char *name; enum cut_kind kind; } k[] = {
		{ "sync:", CUT_SYNC }, { "walwrite:", CUT_WALWRITE },
		{ "dbsync:", CUT_DBSYNC }, { "dbwrite:", CUT_DBWRITE },
		{ "ms:", CUT_MS },
	};

	if (s == NULL)
		return;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		size_t n = strlen(k[i].name);

		if (strncmp(s, k[i].name, n) != 0)
			continue;
		pl.kind = k[i].kind;
		pl.n = strtoll(s + n, NULL, 10);
		return;
	}
}

__attribute__((constructor)) static void
pl_init(void)
{
	static const char *const suffix[PL_VARIANTS] = { "", "-wal",
	    "-journal" };
	const char	*files = getenv("PL_FILES"), *log = getenv("PL_LOG");
	const char	*cut_file = getenv("PL_CUT_FILE");
	const char	*fail_file = getenv("PL_FAIL_FILE");
	const char	*full_file = getenv("PL_FULL_FILE");
	char		 buf[PL_PATH_MAX];

	LOOKUP(open);
	LOOKUP(open64);
	LOOKUP(openat);
	LOOKUP(close);
	LOOKUP(write);
	LOOKUP(pwrite);
	LOOKUP(pwrite64);
	LOOKUP(pread);
	LOOKUP(ftruncate);
	LOOKUP(ftruncate64);
	LOOKUP(fsync);
	LOOKUP(fdatasync);
	pl.loader = getpid();
	if (files != NULL && strlen(files) < sizeof(buf)) {
		char *save = NULL, *tok;

		strcpy(buf, files);
		for (tok = strtok_r(buf, ":", &save); tok != NULL &&
		    pl.nfiles < PL_FILES_MAX; tok = strtok_r(NULL, ":", &save))
			for (int v = 0; v < PL_VARIANTS; v++)
				snprintf(pl.path[pl.nfiles++], PL_PATH_MAX,
				    "%s%s", tok, suffix[v]);
	}
	parse_cut(getenv("PL_CUT"));
	if (cut_file != NULL)
		snprintf(pl.cut_file, sizeof(pl.cut_file), "%s", cut_file);
	if (log != NULL)
		snprintf(pl.log, sizeof(pl.log), "%s", log);
	if (fail_file != NULL)
		snprintf(pl.fail_file, sizeof(pl.fail_file), "%s", fail_file);
	if (full_file != NULL)
		snprintf(pl.full_file, sizeof(pl.full_file), "%s", full_file);
	pthread_atfork(NULL, NULL, child_after_fork);
	pl.ready = 1;
}

static int
is_wal(int file)
{
	return file % PL_VARIANTS == 1;
}

static int
is_db(int file)
{
	return file % PL_VARIANTS == 0;
}

/* The tracked file of fd, or -1. */
static int
file_of(int fd)
{
	if (!pl.ready || fd < 0 || fd >= PL_FD_MAX || pl.fd_file[fd] == 0)
		return -1;
	return pl.fd_file[fd] - 1;
}

static void
opened(const char *path, int fd)
{
	if (!pl.ready || fd < 0 || fd >= PL_FD_MAX || path == NULL)
		return;
	for (int i = 0; i < pl.nfiles; i++)
		if (strcmp(path, pl.path[i]) == 0) {
			pl.fd_file[fd] = (unsigned char)(i + 1);
			return;
		}
	pl.fd_file[fd] = 0;
}

static void
say(const char *fmt, ...)
{
	char	line[512];
	va_list	ap;
	int	fd, n;

	if (pl.log[0] == '\0')
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if ((fd = real_open(pl.log, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		return;
	if (real_write(fd, line, (size_t)n) < 0)
		n = 0;
	real_close(fd);
}

/*
 * The power fails: the supervisor first (it would start a new worker),
 * then every change since its file's last sync is undone, newest first,
 * and this process ends. Called with pl.mu held; never returns.
 */
__attribute__((noreturn)) static void
cut(const char *why)
{
	size_t	undone = pl.nrecs, bytes = 0;
	int	fds[PL_FILES_MAX];

	if (getppid() == pl.loader)
		kill(pl.loader, SIGKILL);
	for (int i = 0; i < PL_FILES_MAX; i++)
		fds[i] = -1;
	while (pl.nrecs > 0) {
		struct rec *r = &pl.recs[--pl.nrecs];

		if (fds[r->file] == -1)
			fds[r->file] = real_open(pl.path[r->file], O_RDWR);
		if (fds[r->file] == -1)
			continue;
		if (r->oldlen > 0 && real_pwrite(fds[r->file], r->old,
		    r->oldlen, r->off) != (ssize_t)r->oldlen)
			say("pl: restore failed: %s\n", strerror(errno));
		if (real_ftruncate(fds[r->file], r->oldsize) == -1)
			say("pl: truncate failed: %s\n", strerror(errno));
		bytes += r->oldlen;
	}
	say("cut %s syncs=%lld walwrites=%lld dbsyncs=%lld dbwrites=%lld "
	    "undone=%zu bytes=%zu\n", why, pl.syncs, pl.walwrites, pl.dbsyncs,
	    pl.dbwrites, undone, bytes);
	_exit(PL_EXIT);
}

/* Whether this tracked call is the moment; called with pl.mu held. */
static void
maybe_cut(int file, int is_sync)
{
	struct timespec	now;
	char		why[64];
	long long	ms;

	if (getpid() == pl.loader)
		return;
	if (!pl.started) {
		clock_gettime(CLOCK_MONOTONIC, &pl.t0);
		pl.started = 1;
	}
	if (pl.cut_file[0] != '\0' && access(pl.cut_file, F_OK) == 0)
		cut(is_sync ? "file, before a sync" : is_wal(file) ?
		    "file, before a wal write" : "file, before a write");
	if (is_sync) {
		pl.syncs++;
		if (is_db(file))
			pl.dbsyncs++;
	} else if (is_wal(file))
		pl.walwrites++;
	else if (is_db(file))
		pl.dbwrites++;
	switch (pl.kind) {
	case CUT_SYNC:
		if (is_sync && pl.syncs == pl.n)
			cut("sync");
		break;
	case CUT_WALWRITE:
		if (!is_sync && is_wal(file) && pl.walwrites == pl.n)
			cut("walwrite");
		break;
	case CUT_DBSYNC:
		if (is_sync && is_db(file) && pl.dbsyncs == pl.n)
			cut("dbsync");
		break;
	case CUT_DBWRITE:
		if (!is_sync && is_db(file) && pl.dbwrites == pl.n)
			cut("dbwrite");
		break;
	case CUT_MS:
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - pl.t0.tv_sec) * 1000LL +
		    (now.tv_nsec - pl.t0.tv_nsec) / 1000000;
		if (ms >= pl.n) {
			snprintf(why, sizeof(why), "ms at %lld", ms);
			cut(why);
		}
		break;
	default:
		break;
	}
}

/*
 * Remember what [off, off + len) of fd held, and the file's size, before
 * it changes. On a failure to read it the test could not undo the change:
 * say so and end, rather than let a cut claim to be a power cut.
 */
static void
remember(int file, int fd, off_t off, size_t len)
{
	struct stat	 st;
	struct rec	*r;

	if (fstat(fd, &st) == -1) {
		say("pl: fstat failed: %s\n", strerror(errno));
		_exit(PL_EXIT + 1);
	}
	if (pl.nrecs == pl.caprecs) {
		size_t		 cap = pl.caprecs ? pl.caprecs * 2 : 256;
		struct rec	*n = realloc(pl.recs, cap * sizeof(*n));

		if (n == NULL)
			_exit(PL_EXIT + 1);
		pl.recs = n;
		pl.caprecs = cap;
	}
	r = &pl.recs[pl.nrecs];
	r->file = file;
	r->off = off;
	r->oldsize = st.st_size;
	r->oldlen = off < st.st_size ? (size_t)(st.st_size - off) : 0;
	if (r->oldlen > len)
		r->oldlen = len;
	r->old = NULL;
	if (r->oldlen > 0) {
		if ((r->old = malloc(r->oldlen)) == NULL)
			_exit(PL_EXIT + 1);
		if (real_pread(fd, r->old, r->oldlen, off) !=
		    (ssize_t)r->oldlen) {
			say("pl: pread failed: %s\n", strerror(errno));
			_exit(PL_EXIT + 1);
		}
	}
	pl.nrecs++;
}

/* A sync of file succeeded: its changes are on the disk now. */
static void
synced(int file)
{
	size_t j = 0;

	for (size_t i = 0; i < pl.nrecs; i++) {
		if (pl.recs[i].file == file)
			free(pl.recs[i].old);
		else
			pl.recs[j++] = pl.recs[i];
	}
	pl.nrecs = j;
}

static ssize_t
tracked_pwrite(int file, int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;

	pthread_mutex_lock(&pl.mu);
	maybe_cut(file, 0);
	if (is_wal(file) && pl.full_file[0] != '\0' &&
	    access(pl.full_file, F_OK) == 0) {
		pthread_mutex_unlock(&pl.mu);
		errno = ENOSPC;
		return -1;
	}
	remember(file, fd, off, len);
	n = real_pwrite(fd, buf, len, off);
	pthread_mutex_unlock(&pl.mu);
	return n;
}

static int
tracked_truncate(int file, int fd, off_t size)
{
	struct stat	st;
	int		rc;

	pthread_mutex_lock(&pl.mu);
	maybe_cut(file, 0);
	if (fstat(fd, &st) == 0 && st.st_size > size)
		remember(file, fd, size, (size_t)(st.st_size - size));
	else
		remember(file, fd, st.st_size, 0);
	rc = real_ftruncate(fd, size);
	pthread_mutex_unlock(&pl.mu);
	return rc;
}

static int
tracked_sync(int file, int fd, int (*fn)(int))
{
	int rc;

	pthread_mutex_lock(&pl.mu);
	maybe_cut(file, 1);
	if (is_wal(file) && pl.fail_file[0] != '\0' && getpid() != pl.loader &&
	    access(pl.fail_file, F_OK) == 0) {
		pthread_mutex_unlock(&pl.mu);
		errno = EIO;
		return -1;
	}
	if ((rc = fn(fd)) == 0)
		synced(file);
	pthread_mutex_unlock(&pl.mu);
	return rc;
}

static mode_t
mode_arg(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

int
open(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	int	fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real_open(path, flags, mode);
	opened(path, fd);
	return fd;
}

int
open64(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	int	fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real_open64(path, flags, mode);
	opened(path, fd);
	return fd;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	int	fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real_openat(dirfd, path, flags, mode);
	if (path[0] == '/')
		opened(path, fd);
	else if (fd >= 0 && fd < PL_FD_MAX)
		pl.fd_file[fd] = 0;
	return fd;
}

int
close(int fd)
{
	if (fd >= 0 && fd < PL_FD_MAX)
		pl.fd_file[fd] = 0;
	return real_close(fd);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	int	file = file_of(fd);
	off_t	off;
	ssize_t	n;

	if (file == -1 || (off = lseek(fd, 0, SEEK_CUR)) == -1)
		return real_write(fd, buf, len);
	if ((n = tracked_pwrite(file, fd, buf, len, off)) > 0)
		lseek(fd, off + n, SEEK_SET);
	return n;
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int file = file_of(fd);

	if (file == -1)
		return real_pwrite(fd, buf, len, off);
	return tracked_pwrite(file, fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	int file = file_of(fd);

	if (file == -1)
		return real_pwrite64(fd, buf, len, off);
	return tracked_pwrite(file, fd, buf, len, (off_t)off);
}

int
ftruncate(int fd, off_t size)
{
	int file = file_of(fd);

	if (file == -1)
		return real_ftruncate(fd, size);
	return tracked_truncate(file, fd, size);
}

int
ftruncate64(int fd, off64_t size)
{
	int file = file_of(fd);

	if (file == -1)
		return real_ftruncate64(fd, size);
	return tracked_truncate(file, fd, (off_t)size);
}

int
fsync(int fd)
{
	int file = file_of(fd);

	if (file == -1)
		return real_fsync(fd);
	return tracked_sync(file, fd, real_fsync);
}

int
fdatasync(int fd)
{
	int file = file_of(fd);

	if (file == -1)
		return real_fdatasync(fd);
	return tracked_sync(file, fd, real_fdatasync);
}
