/*
 * A VFS that writes a WAL commit's frames in one pwrite(2) (one per 128
 * KB) instead of two per frame (walbuf.c). Every other file, and every
 * other call, is the unix VFS's own.
 */
#ifndef AWARD_WALBUF_H
#define AWARD_WALBUF_H

#include <sqlite3.h>

#define WALBUF_VFS	"award-walbuf"

/*
 * The VFS's name, registered (not as the default) at the first call, for
 * sqlite3_open_v2(); NULL when SQLite has no unix VFS to build it on (the
 * caller opens with the default then). Thread-safe.
 */
const char	*walbuf_vfs(void);

#endif
