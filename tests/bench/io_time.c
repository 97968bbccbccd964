/*
 * Where the writer's time goes, for hotpath.sh (make bench; never in a
 * test or a deployment): an LD_PRELOAD library that times, per thread,
 * every fsync/fdatasync and every pwrite, in wall-clock time (what a
 * thread waits for, not only what it computes).
 *
 * Every IO_TIME_EVERY syncs a thread appends one line to the file named
 * by IO_TIME_OUT, with one write(2) (O_APPEND: lines never interleave):
 *
 *	TID MONO_US SYNCS SYNC_US PWRITES PWRITE_US
 *
 * all counts since the thread's first call. The thread with the most
 * syncs in a webhook run is the writer (the checkpointer syncs once per
 * checkpoint); two lines of it give the shares of its wall time between
 * them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/types.h>

#define IO_TIME_EVERY	64

struct tally {
	uint64_t	syncs, sync_us, pwrites, pwrite_us;
};

static __thread struct tally t;

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef int	(*sync_fn)(int);
typedef ssize_t	(*pwrite_fn)(int, const void *, size_t, off_t);

/* The next definition of name (libc's), through dlsym's object pointer. */
static void *
real(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort();
	return p;
}

static void
report(void)
{
	static int	 fd = -2;
	const char	*out;
	char		 line[160];
	int		 n;

	if (fd == -2)
		fd = (out = getenv("IO_TIME_OUT")) != NULL ? open(out,
		    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
	if (fd == -1)
		return;
	n = snprintf(line, sizeof(line), "%ld %llu %llu %llu %llu %llu\n",
	    (long)syscall(SYS_gettid), (unsigned long long)mono_us(),
	    (unsigned long long)t.syncs, (unsigned long long)t.sync_us,
	    (unsigned long long)t.pwrites, (unsigned long long)t.pwrite_us);
	/* A lost line only lowers the resolution. */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(fd, line, (size_t)n) == -1)
		return;
}

static int
timed_sync(sync_fn f, int fd)
{
	uint64_t	a = mono_us();
	int		rc = f(fd);

	t.sync_us += mono_us() - a;
	if (++t.syncs % IO_TIME_EVERY == 0)
		report();
	return rc;
}

static ssize_t
timed_pwrite(pwrite_fn f, int fd, const void *buf, size_t n, off_t off)
{
	uint64_t	a = mono_us();
	ssize_t		rc = f(fd, buf, n, off);

	t.pwrite_us += mono_us() - a;
	t.pwrites++;
	return rc;
}

int
fdatasync(int fd)
{
	static sync_fn f;

	if (f == NULL)
		*(void **)&f = real("fdatasync");
	return timed_sync(f, fd);
}

int
fsync(int fd)
{
	static sync_fn f;

	if (f == NULL)
		*(void **)&f = real("fsync");
	return timed_sync(f, fd);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static pwrite_fn f;

	if (f == NULL)
		*(void **)&f = real("pwrite");
	return timed_pwrite(f, fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	static pwrite_fn f;

	if (f == NULL)
		*(void **)&f = real("pwrite64");
	return timed_pwrite(f, fd, buf, n, off);
}
