#!/bin/sh
# award bench — debian_node.sh DIR SCRIPT ARGS...: Debian's node, unpacked
# under DIR/root by node.sh, runs SCRIPT in a private mount namespace in
# which DIR/root/usr/share/nodejs is bound over /usr/share/nodejs (Debian's
# node loads its unbundled builtins, acorn, undici and cjs-module-lexer,
# from that fixed path). Nothing outside the namespace changes. Every step
# execs in place: the pid that started this is node's. Needs root.
if [ "${AWARD_NODE_NS:-}" != 1 ]; then
	AWARD_NODE_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
d=$1
shift
mount --bind "$d/root/usr/share/nodejs" /usr/share/nodejs || exit 1
for lib in "$d"/root/usr/lib/*/libnode.so.*; do
	lib=${lib%/*}
	break
done
LD_LIBRARY_PATH=$lib NODE_PATH=$lib/nodejs:/usr/share/nodejs \
	exec "$d/root/usr/bin/node" "$@"
