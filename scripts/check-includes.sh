#!/usr/bin/env bash
# award — fails when the include graph of common/, fcgi/ and cron/ has a
# circle. A module is a .c file with its .h; module A depends on B when A's
# .c or .h includes B's header ("b.h": the same directory first, then
# common/). tsort(1) reports any loop. Run by make test (make check-includes).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

edges=$(for f in common/*.[ch] fcgi/*.[ch] cron/*.[ch]; do
	[ -e "$f" ] || continue
	from=${f%.[ch]}
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)\.h".*/\1/p' "$f" |
	while read -r inc; do
		case $inc in
		*/*) to=$(realpath -m --relative-to=. "$(dirname "$f")/$inc") ;;
		*) if [ -e "$(dirname "$f")/$inc.h" ]; then
			to=$(dirname "$f")/$inc
		   else
			to=common/$inc
		   fi ;;
		esac
		[ "$to" = "$from" ] || echo "$from $to"
	done
done)

if ! out=$(tsort <<<"$edges" 2>&1 >/dev/null) || [ -n "$out" ]; then
	echo "include graph has a circle:" >&2
	printf '%s\n' "$out" >&2
	exit 1
fi
echo "include graph: no circle ($(wc -l <<<"$edges") edges)"
