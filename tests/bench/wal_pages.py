#!/usr/bin/env python3
"""award -- which B-trees a WAL's frames belong to (docs/bench-hotpath.md).

Usage: wal_pages.py DB WAL
  DB and WAL may be live (the writer running): both are copied first
  and only the copies are read, so nothing is checkpointed or removed;
  frames past the last whole one, or of an older salt, are not read. Prints the frames, the commits (frames that end a transaction)
  and, per table or index (SQLite's dbstat over the copy), its frames and
  frames per commit. Page 1 shows as sqlite_schema: it is written again
  whenever a commit grows the file (its header holds the page count).
Not a test: a tool to see what each commit writes.
"""
import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile


def frames(path):
    data = open(path, 'rb').read()
    if len(data) < 32:
        return [], 0
    _, _, psz, _, salt1, salt2, _, _ = struct.unpack('>8I', data[:32])
    pages, commits, off = [], 0, 32
    while off + 24 + psz <= len(data):
        pg, size_after, s1, s2, _, _ = struct.unpack('>6I', data[off:off + 24])
        if (s1, s2) != (salt1, salt2):
            break
        pages.append(pg)
        commits += size_after != 0
        off += 24 + psz
    return pages, commits


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, 'copy.db')
        shutil.copyfile(sys.argv[1], db)
        shutil.copyfile(sys.argv[2], db + '-wal')
        pages, commits = frames(db + '-wal')
        con = sqlite3.connect(db)
        tree = dict((p, n) for n, p in
                    con.execute('SELECT name, pageno FROM dbstat'))
        con.close()
    per = collections.Counter(tree.get(p, '?') for p in pages)
    c = max(commits, 1)
    print('%s: %d frames, %d commits, %.1f frames per commit'
          % (sys.argv[2], len(pages), commits, len(pages) / c))
    for name, n in per.most_common():
        print('  %-36s %7d %6.2f per commit' % (name, n, n / c))


main()
