# award — how the bench runs the Node.js original (sourced by hotpath.sh).
# Only Debian packages, nodejs and node-sqlite3 (5.1.x, require('sqlite3')),
# never npm. node_find sets NODE_CMD (an array: the command that runs a
# script with that node) and returns 0, or sets NODE_WHY (one line) and
# returns 1. In this order:
#  1. the system's node, when it loads sqlite3;
#  2. root: apt-get install nodejs node-sqlite3;
#  3. root, when that fails because the installed nodejs is not Debian's
#     (NodeSource's package, for one, does not satisfy node-sqlite3's
#     `nodejs:any`): Debian's nodejs and node-sqlite3 with their
#     dependencies, fetched by apt-get --download-only against the dpkg
#     status without its nodejs entry, unpacked into NODE_DEB_DIR (kept for
#     the next run) and run by debian_node.sh. Nothing installed changes.

NODE_DEB_DIR=${NODE_DEB_DIR:-/var/tmp/award-bench-node-debian}

# node_loads CMD...: CMD runs a script that requires sqlite3.
node_loads() {
	"$@" -e "require('sqlite3')" >/dev/null 2>&1
}

# node_unpack: Debian's nodejs and node-sqlite3 under NODE_DEB_DIR/root.
node_unpack() {
	local d=$NODE_DEB_DIR f
	# Only what this function made: NODE_DEB_DIR itself may be anything.
	rm -rf "$d/archives" "$d/root" "$d/status" "$d/apt.log" &&
		mkdir -p "$d/archives/partial" "$d/root" || return 1
	# The dpkg status without nodejs: apt then resolves Debian's.
	awk 'BEGIN { RS = ""; ORS = "\n\n" } !/^Package: nodejs\n/' \
		/var/lib/dpkg/status >"$d/status" || return 1
	apt-get -qq -o "Dir::State::status=$d/status" \
		-o "Dir::Cache::archives=$d/archives" -o APT::Sandbox::User=root \
		install --download-only -y nodejs node-sqlite3 >"$d/apt.log" 2>&1 ||
		return 1
	for f in "$d"/archives/*.deb; do
		dpkg -x "$f" "$d/root" || return 1
	done
}

node_find() {
	NODE_CMD=(node)
	command -v node >/dev/null && node_loads "${NODE_CMD[@]}" && return 0
	if [ "$(id -u)" != 0 ]; then
		NODE_WHY="no node that loads sqlite3; as root run: apt-get install -y nodejs node-sqlite3"
		return 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs \
		node-sqlite3 >/dev/null 2>&1 && node_loads "${NODE_CMD[@]}" &&
		return 0
	NODE_CMD=(sh "$HERE/node_original/debian_node.sh" "$NODE_DEB_DIR")
	command -v unshare >/dev/null && [ -d /usr/share/nodejs ] || {
		NODE_WHY="apt-get install nodejs node-sqlite3 failed, and no unshare or /usr/share/nodejs to run an unpacked Debian node"
		return 1
	}
	[ -x "$NODE_DEB_DIR/root/usr/bin/node" ] && node_loads "${NODE_CMD[@]}" &&
		return 0
	node_unpack && node_loads "${NODE_CMD[@]}" && return 0
	NODE_WHY="apt-get install nodejs node-sqlite3 failed (the installed nodejs is not Debian's?), and so did Debian's unpacked into $NODE_DEB_DIR (see its apt.log)"
	return 1
}
