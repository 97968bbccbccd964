/*
 * The WAL's frames in one write (walbuf.h). SQLite's unix VFS writes each
 * WAL frame with two pwrite(2) calls, its 24-byte header and then its
 * page, so a commit of 40 pages costs 80 system calls; on this project's
 * machines a system call costs several microseconds of kernel entry alone
 * (issue 14). This VFS hands every file to the unix VFS; of a WAL it
 * gathers the writes in a buffer while each follows the last, and writes
 * them out at once:
 *   - when the page of a commit frame has been written (a frame header
 *     whose second field, the database size after the commit, is not 0):
 *     that is the last frame of the transaction, and SQLite publishes the
 *     commit in the wal-index only after it, whatever PRAGMA synchronous
 *     says, so no other connection can look for a frame still here. What
 *     the transaction writes after its commit frame (padding, rewritten
 *     checksums) goes to the file as it comes;
 *   - before a sync, a read, a truncation or a size that the buffer could
 *     make wrong;
 *   - when a write does not follow the last one, or the buffer is full.
 * SQLite writes a WAL only while its connection holds the WAL write lock,
 * so the buffer is never written out without it: what it still holds when
 * the connection lets the lock go (its database file's xShmLock, which is
 * why main database files are wrapped too) or closes the WAL is frames of
 * no commit, a rolled-back transaction's spilled pages, and is dropped;
 * written later, it could land on frames another connection committed.
 * A write the buffer holds has not failed yet: the error of writing it out
 * comes back from the call that does (the commit frame's xWrite, or xSync,
 * xRead, ...), and every later call on that WAL fails until the write lock
 * goes, so the transaction can never commit without those frames.
 * Only for files SQLite itself names (its WAL's name leads to its
 * database's, sqlite3_filename_database()) and never with
 * locking_mode=EXCLUSIVE, where SQLite takes no wal-index lock to see;
 * this project opens only its own databases and never sets it.
 */
#include <pthread.h>
#include <string.h>

#include "walbuf.h"

#define WB_FIRST	(64 * 1024)	/* the buffer's first size */
#define WB_MAX		(4 * 1024 * 1024) /* it never grows past this */
#define WB_KEEP		(256 * 1024)	/* a larger one is freed once out */
#define WB_FRAME_HDR	24		/* a WAL frame's header (wal.c) */
/*
 * The most the unix VFS writes in one call: its seekAndWrite() keeps the
 * low 17 bits of a length (nBuf &= 0x1ffff), so a longer write comes back
 * short and is reported as SQLITE_FULL.
 */
#define WB_CHUNK	0x1ffff

struct wb_db;

/*
 * How each file of ours begins: SQLite's part, then the unix VFS's own
 * object, which follows ours in the space SQLite gives (szOsFile).
 */
struct wb_head {
	sqlite3_file	 base;
	sqlite3_file	*real;
};

#define REAL(file)	(((struct wb_head *)(file))->real)

/* A WAL opened through this VFS. */
struct wb_file {
	struct wb_head	 h;
	struct wb_db	*db;		/* its database file's */
	unsigned char	*buf;
	size_t		 len;		/* bytes held */
	size_t		 cap;
	sqlite3_int64	 off;		/* where buf[0] goes */
	int		 commit;	/* the last write: a commit header */
	int		 sealed;	/* past the commit frame: as it comes */
	int		 err;		/* a write-out failed (wb_flush) */
	sqlite3_int64	 lost, lost_end; /* what it did not write */
};

/*
 * A database file opened through this VFS (the unix VFS's object follows
 * it): everything is the unix VFS's, but it knows its WAL, whose buffer
 * it empties when the connection lets the WAL write lock go.
 */
struct wb_db {
	struct wb_head	 h;
	const char	*name;		/* as xOpen had it (the WAL finds it) */
	struct wb_file	*wal;
	struct wb_db	*next;		/* wb_dbs */
};

static sqlite3_vfs	 wb_vfs;
static sqlite3_vfs	*wb_real;	/* the unix VFS */
static pthread_once_t	 wb_once = PTHREAD_ONCE_INIT;
static int		 wb_ok;
static pthread_mutex_t	 wb_mu = PTHREAD_MUTEX_INITIALIZER;
static struct wb_db	*wb_dbs;	/* open database files (wb_mu) */

/*
 * Write out what the buffer holds: SQLITE_OK or the unix VFS's error.
 * A failure loses frames SQLite was told were written, and a read that
 * writes them out reports it as a statement's error only (the
 * transaction goes on): so it sticks until the write lock goes. Every
 * later write, sync, truncation or size of this WAL fails, the COMMIT's
 * frames with them, and so does a read of what was lost; other reads (the
 * committed frames a rollback reads back) go on.
 */
static int
wb_flush(struct wb_file *f)
{
	size_t	done, n = 0;
	int	rc = SQLITE_OK;

	if (f->err != SQLITE_OK)
		return f->err;
	for (done = 0; done < f->len && rc == SQLITE_OK; done += n) {
		n = f->len - done < WB_CHUNK ? f->len - done : WB_CHUNK;
		rc = REAL(f)->pMethods->xWrite(REAL(f), f->buf + done,
		    (int)n, f->off + (sqlite3_int64)done);
	}
	if (rc != SQLITE_OK) {
		f->err = SQLITE_IOERR_WRITE;
		f->lost = f->off + (sqlite3_int64)(done - n);
		f->lost_end = f->off + (sqlite3_int64)f->len;
	}
	f->len = 0;
	/* A big transaction's buffer is not kept for the small ones. */
	if (f->cap > WB_KEEP) {
		sqlite3_free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
	return rc;
}

/*
 * The end of a write transaction: when the connection lets the WAL write
 * lock go (wb_db_shmlock), and at close. A commit's frames are all out by
 * then, so what the buffer still holds is frames of no commit (spilled
 * pages of a transaction that rolled back): dropped, never written, for
 * another connection may commit over those places in the WAL next.
 */
static void
wb_drop(struct wb_file *f)
{
	f->len = 0;
	f->commit = f->sealed = 0;
	f->err = SQLITE_OK;
}

static int
wb_close(sqlite3_file *file)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	wb_drop(f);
	pthread_mutex_lock(&wb_mu);
	if (f->db != NULL)
		f->db->wal = NULL;
	pthread_mutex_unlock(&wb_mu);
	rc = f->h.real->pMethods->xClose(f->h.real);
	sqlite3_free(f->buf);
	f->buf = NULL;
	return rc;
}

static int
wb_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	if (f->err != SQLITE_OK && off < f->lost_end && off + amt > f->lost)
		return f->err;
	if (f->len > 0 && off < f->off + (sqlite3_int64)f->len &&
	    off + amt > f->off && (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return f->h.real->pMethods->xRead(f->h.real, p, amt, off);
}

/* Room for need bytes in the buffer: 0, or -1 when it may not grow. */
static int
wb_room(struct wb_file *f, size_t need)
{
	unsigned char	*nb;
	size_t		 cap;

	if (need <= f->cap)
		return 0;
	if (need > WB_MAX)
		return -1;
	for (cap = f->cap > 0 ? f->cap : WB_FIRST; cap < need; cap *= 2)
		continue;
	if (cap > WB_MAX)
		cap = WB_MAX;
	if ((nb = sqlite3_realloc64(f->buf, cap)) == NULL)
		return -1;
	f->buf = nb;
	f->cap = cap;
	return 0;
}

/* Hold p[0..amt) for off: 0, or an error of writing out what was held. */
static int
wb_hold(struct wb_file *f, const void *p, int amt, sqlite3_int64 off)
{
	int rc;

	if (f->len > 0 && off == f->off + (sqlite3_int64)f->len &&
	    wb_room(f, f->len + (size_t)amt) == 0) {
		memcpy(f->buf + f->len, p, (size_t)amt);
		f->len += (size_t)amt;
		return SQLITE_OK;
	}
	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if ((size_t)amt > WB_CHUNK || wb_room(f, (size_t)amt) == -1)
		return f->h.real->pMethods->xWrite(f->h.real, p, amt, off);
	memcpy(f->buf, p, (size_t)amt);
	f->len = (size_t)amt;
	f->off = off;
	return SQLITE_OK;
}

/*
 * SQLite writes a frame as its header, then its page: after a commit
 * frame's page the transaction's frames are all here, and go out, in one
 * write when the header followed what the buffer held. From the commit
 * frame on (sealed), every write of the transaction goes to the file as
 * it comes, for nothing after it would write it out: padding frames, a
 * page split around a sync point (wal.c, walWriteToLog, under psow=0),
 * frame headers rewritten with new checksums (walRewriteChecksums, when
 * a transaction wrote a page twice).
 */
static int
wb_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	struct wb_file		*f = (struct wb_file *)file;
	const unsigned char	*h = p;
	int			 rc, page = f->commit;

	/* Without its database file's locks in sight: as it comes. */
	if (f->db == NULL)
		return f->h.real->pMethods->xWrite(f->h.real, p, amt, off);
	if (f->err != SQLITE_OK)
		return f->err;
	f->commit = amt == WB_FRAME_HDR && (h[4] | h[5] | h[6] | h[7]) != 0;
	if (f->commit && f->len > 0 && off == f->off + (sqlite3_int64)f->len &&
	    !f->sealed) {
		f->sealed = 1;		/* its page follows, then all goes */
		return wb_hold(f, p, amt, off);
	}
	f->sealed |= f->commit;
	if (page) {
		if ((rc = wb_hold(f, p, amt, off)) != SQLITE_OK)
			return rc;
		return wb_flush(f);
	}
	if (f->sealed) {
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		return f->h.real->pMethods->xWrite(f->h.real, p, amt, off);
	}
	return wb_hold(f, p, amt, off);
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return f->h.real->pMethods->xTruncate(f->h.real, size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return f->h.real->pMethods->xSync(f->h.real, flags);
}

static int
wb_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return f->h.real->pMethods->xFileSize(f->h.real, size);
}

/* The rest as the unix VFS does them, for a WAL and a database file. */
static int
wb_lock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xLock(REAL(file), lock);
}

static int
wb_unlock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), lock);
}

static int
wb_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int
wb_fcntl(sqlite3_file *file, int op, void *arg)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return f->h.real->pMethods->xFileControl(f->h.real, op, arg);
}

static int
wb_sector(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int
wb_device(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static const sqlite3_io_methods wb_methods = {
	.iVersion = 1,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_reserved,
	.xFileControl = wb_fcntl,
	.xSectorSize = wb_sector,
	.xDeviceCharacteristics = wb_device,
};

/* A database file: the unix VFS's, but for xShmLock and xClose. */
static int
wb_db_close(sqlite3_file *file)
{
	struct wb_db	*d = (struct wb_db *)file, **pp;

	pthread_mutex_lock(&wb_mu);
	for (pp = &wb_dbs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	if (d->wal != NULL) {
		wb_drop(d->wal);
		d->wal->db = NULL;
	}
	pthread_mutex_unlock(&wb_mu);
	return d->h.real->pMethods->xClose(d->h.real);
}

static int
wb_db_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
	return REAL(file)->pMethods->xRead(REAL(file), p, amt, off);
}

static int
wb_db_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	return REAL(file)->pMethods->xWrite(REAL(file), p, amt, off);
}

static int
wb_db_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	return REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int
wb_db_sync(sqlite3_file *file, int flags)
{
	return REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int
wb_db_size(sqlite3_file *file, sqlite3_int64 *size)
{
	return REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int
wb_db_fcntl(sqlite3_file *file, int op, void *arg)
{
	return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int
wb_db_shmmap(sqlite3_file *file, int pg, int pgsz, int extend,
    void volatile **pp)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), pg, pgsz,
	    extend, pp);
}

/*
 * WAL_WRITE_LOCK is the wal-index's lock 0 (wal.c). The connection lets
 * it go at the end of every write transaction: by then a commit's frames
 * have all gone out, and whatever its WAL still holds belongs to none.
 */
#define WB_WRITE_LOCK	0

static int
wb_db_shmlock(sqlite3_file *file, int ofst, int n, int flags)
{
	struct wb_db *d = (struct wb_db *)file;

	if ((flags & SQLITE_SHM_UNLOCK) && ofst == WB_WRITE_LOCK &&
	    d->wal != NULL)
		wb_drop(d->wal);
	return d->h.real->pMethods->xShmLock(d->h.real, ofst, n, flags);
}

static void
wb_db_shmbarrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int
wb_db_shmunmap(sqlite3_file *file, int del)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), del);
}

static int
wb_db_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	return REAL(file)->pMethods->xFetch(REAL(file), off, amt, pp);
}

static int
wb_db_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}

static const sqlite3_io_methods wb_db_methods = {
	.iVersion = 3,
	.xClose = wb_db_close,
	.xRead = wb_db_read,
	.xWrite = wb_db_write,
	.xTruncate = wb_db_truncate,
	.xSync = wb_db_sync,
	.xFileSize = wb_db_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_reserved,
	.xFileControl = wb_db_fcntl,
	.xSectorSize = wb_sector,
	.xDeviceCharacteristics = wb_device,
	.xShmMap = wb_db_shmmap,
	.xShmLock = wb_db_shmlock,
	.xShmBarrier = wb_db_shmbarrier,
	.xShmUnmap = wb_db_shmunmap,
	.xFetch = wb_db_fetch,
	.xUnfetch = wb_db_unfetch,
};

/* Open real (the object after ours) with the unix VFS. */
static int
wb_open_real(sqlite3_filename name, sqlite3_file *file, sqlite3_file *real,
    int flags, int *out)
{
	int rc;

	if ((rc = wb_real->xOpen(wb_real, name, real, flags, out)) ==
	    SQLITE_OK)
		return SQLITE_OK;
	/* SQLite closes no file whose pMethods is NULL. */
	if (real->pMethods != NULL)
		real->pMethods->xClose(real);
	file->pMethods = NULL;
	return rc;
}

/*
 * A WAL and a main database file get our methods, with the unix VFS's
 * object after ours; any other file (a journal, a temporary one) is the
 * unix VFS's own object, in the same place. A WAL is gathered only while
 * its database file is one of ours and open (SQLite opens a WAL with its
 * database's VFS, after it), else written as it comes.
 */
static int
wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file,
    int flags, int *out)
{
	struct wb_file	*f = (struct wb_file *)file;
	struct wb_db	*d = (struct wb_db *)file;
	const char	*dbname;
	int		 rc;

	(void)vfs;
	if (flags & SQLITE_OPEN_MAIN_DB && name != NULL) {
		memset(d, 0, sizeof(*d));
		d->h.real = (sqlite3_file *)(d + 1);
		if ((rc = wb_open_real(name, file, d->h.real, flags, out)) !=
		    SQLITE_OK)
			return rc;
		if (d->h.real->pMethods->iVersion < 3) {
			/* No wal-index locks to see: the file as it is. */
			d->h.real->pMethods->xClose(d->h.real);
			return wb_real->xOpen(wb_real, name, file, flags, out);
		}
		d->name = name;
		d->h.base.pMethods = &wb_db_methods;
		pthread_mutex_lock(&wb_mu);
		d->next = wb_dbs;
		wb_dbs = d;
		pthread_mutex_unlock(&wb_mu);
		return SQLITE_OK;
	}
	if (!(flags & SQLITE_OPEN_WAL) || name == NULL)
		return wb_real->xOpen(wb_real, name, file, flags, out);
	memset(f, 0, sizeof(*f));
	f->h.real = (sqlite3_file *)(f + 1);
	if ((rc = wb_open_real(name, file, f->h.real, flags, out)) != SQLITE_OK)
		return rc;
	dbname = sqlite3_filename_database(name);
	pthread_mutex_lock(&wb_mu);
	for (d = wb_dbs; d != NULL; d = d->next)
		if (d->name == dbname && d->wal == NULL) {
			d->wal = f;
			f->db = d;
			break;
		}
	pthread_mutex_unlock(&wb_mu);
	f->h.base.pMethods = &wb_methods;
	return SQLITE_OK;
}

/* Everything but xOpen and the sizes, as the unix VFS has them. */
static void
wb_register(void)
{
	if ((wb_real = sqlite3_vfs_find("unix")) == NULL)
		return;
	wb_vfs = *wb_real;
	wb_vfs.pNext = NULL;
	wb_vfs.zName = WALBUF_VFS;
	wb_vfs.xOpen = wb_open;
	/* Ours, then the unix VFS's (f + 1 keeps its alignment). */
	wb_vfs.szOsFile = (int)(sizeof(struct wb_file) > sizeof(struct wb_db) ?
	    sizeof(struct wb_file) : sizeof(struct wb_db)) + wb_real->szOsFile;
	wb_ok = sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK;
}

const char *
walbuf_vfs(void)
{
	pthread_once(&wb_once, wb_register);
	return wb_ok ? WALBUF_VFS : NULL;
}
