# award — integration: deploying (SPEC.md §10). make install
# into a scratch DESTDIR lays out exactly the documented files and modes,
# keeps a changed configuration, and make uninstall takes back what it put;
# the units pass systemd-analyze verify and the security bar, the man pages
# mandoc's lint; the installed binaries serve behind the installed nginx
# site with the installed configuration; the installed cron line runs as
# written and keeps the exit status; award-backup copies under load and
# its copy restores.

# award-backup resolves the configuration through award-retry --print-config.
export AWARD_RETRY_BIN=$BIN/award-retry

# The layout of a default install (PREFIX=/usr/local): mode and path.
DEPLOY_LAYOUT='755 etc
750 etc/award
640 etc/award/award.conf
755 etc/cron.d
644 etc/cron.d/award-backup
644 etc/cron.d/award-reconcile
644 etc/cron.d/award-retry
755 etc/nginx
755 etc/nginx/award
644 etc/nginx/award/award_fastcgi_params
644 etc/nginx/award/limits.conf
644 etc/nginx/award/webhook_allow.conf
755 etc/nginx/sites-available
644 etc/nginx/sites-available/award.conf
755 usr
755 usr/local
755 usr/local/lib
755 usr/local/lib/systemd
755 usr/local/lib/systemd/system
644 usr/local/lib/systemd/system/award-fcgi.service
644 usr/local/lib/systemd/system/award-fcgi.socket
755 usr/local/lib/sysusers.d
644 usr/local/lib/sysusers.d/award.conf
755 usr/local/lib/tmpfiles.d
644 usr/local/lib/tmpfiles.d/award.conf
755 usr/local/sbin
755 usr/local/sbin/award-backup
755 usr/local/sbin/award-fcgi
755 usr/local/sbin/award-reconcile
755 usr/local/sbin/award-retry
755 usr/local/share
755 usr/local/share/man
755 usr/local/share/man/man8
644 usr/local/share/man/man8/award-backup.8
644 usr/local/share/man/man8/award-fcgi.8
644 usr/local/share/man/man8/award-reconcile.8
644 usr/local/share/man/man8/award-retry.8'

# deploy_left: what uninstall leaves of a default install, the standard
# directories. A function, not a variable set here: every test's process
# sources this file, and the forty greps cost each of them half a second.
deploy_left() {
	grep -v -e ' etc/award' -e ' etc/nginx/award' <<<"$DEPLOY_LAYOUT" |
		awk '{ print $2 }' | while read -r p; do
			grep -q "^[0-9]* $p/" <<<"$DEPLOY_LAYOUT" && echo "755 $p"
		done
}

# deploy_install DIR [make args...]: make install into DIR (BUILD is the
# tested build directory, already built).
deploy_install() {
	local d=$1
	shift
	make -s --no-print-directory -C "$ROOT" install DESTDIR="$d" \
		BUILD="$BIN" "$@" >>"$T/install.log" 2>&1 ||
		fail "make install: $(tail -n 3 "$T/install.log")"
}

deploy_uninstall() {
	local d=$1
	shift
	make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$d" \
		BUILD="$BIN" "$@" >>"$T/install.log" 2>&1 ||
		fail "make uninstall: $(tail -n 3 "$T/install.log")"
}

# tree DIR: "mode path" of everything under DIR, sorted by path.
tree() {
	find "$1" -mindepth 1 -printf '%m %P\n' | sort -k2
}

it install_layout
t_install_layout() {
	local d=$T/root got left want
	deploy_install "$d"
	got=$(tree "$d")
	[ "$got" = "$DEPLOY_LAYOUT" ] ||
		fail "install layout differs: $(diff <(echo "$DEPLOY_LAYOUT") \
			<(echo "$got") | grep '^[<>]' | head -n 6)"
	cmp -s "$ROOT/deploy/award.conf" "$d/etc/award/award.conf" ||
		fail "the installed configuration is not deploy/award.conf"
	cmp -s "$BIN/award-fcgi" "$d/usr/local/sbin/award-fcgi" ||
		fail "the installed award-fcgi is not the built one"
	got=$("$d/usr/local/sbin/award-backup" --version)
	want=$("$BIN/award-retry" --version)
	[ "$got" = "award-backup ${want#award-retry }" ] ||
		fail "award-backup --version: '$got', award-retry: '$want'"
	# Units, cron lines and the site name the installed paths.
	grep -q '^ExecStart=/usr/local/sbin/award-fcgi --config /etc/award/award.conf$' \
		"$d/usr/local/lib/systemd/system/award-fcgi.service" ||
		fail "ExecStart does not run the installed binary with the config"
	grep -q '/usr/local/sbin/award-retry --config /etc/award/award.conf$' \
		"$d/etc/cron.d/award-retry" ||
		fail "the cron line does not use the config"

	# Another PREFIX: the sbin path follows it everywhere.
	deploy_install "$T/opt" PREFIX=/opt/award
	[ -x "$T/opt/opt/award/sbin/award-retry" ] || fail "PREFIX ignored"
	# systemd looks for units under /usr, /usr/local and /etc only.
	grep -q '^ExecStart=/opt/award/sbin/award-fcgi ' \
		"$T/opt/etc/systemd/system/award-fcgi.service" ||
		fail "ExecStart does not follow PREFIX, or the unit is not in /etc"
	[ -f "$T/opt/etc/sysusers.d/award.conf" ] &&
		[ -f "$T/opt/etc/tmpfiles.d/award.conf" ] ||
		fail "sysusers.d/tmpfiles.d not in /etc for PREFIX=/opt/award"
	grep -q ' /opt/award/sbin/award-retry ' "$T/opt/etc/cron.d/award-retry" ||
		fail "the cron line does not follow PREFIX"
	[ -f "$T/opt/etc/award/award.conf" ] || fail "/etc is not under DESTDIR"

	# A clean uninstall leaves only the standard directories.
	deploy_uninstall "$d"
	got=$(tree "$d")
	left=$(deploy_left)
	[ "$got" = "$left" ] ||
		fail "after uninstall: $(diff <(echo "$left") \
			<(echo "$got") | grep '^[<>]' | head -n 6)"
}

# A second install keeps a changed configuration and the token files;
# uninstall keeps them too (they are the admin's), and removes the
# sites-enabled link it would otherwise leave dangling.
it install_keeps_config
t_install_keeps_config() {
	local d=$T/root got
	deploy_install "$d"
	echo 'AWARD_LOG_LEVEL=debug' >>"$d/etc/award/award.conf"
	cp "$d/etc/award/award.conf" "$T/conf.changed"
	echo "token-$RANDOM-0123456789abcdef0123456789" >"$d/etc/award/admin.token"
	cp "$d/etc/award/admin.token" "$T/token.kept"
	mkdir -p "$d/etc/nginx/sites-enabled"
	ln -s ../sites-available/award.conf "$d/etc/nginx/sites-enabled/award.conf"
	deploy_install "$d"
	cmp -s "$T/conf.changed" "$d/etc/award/award.conf" ||
		fail "a second install replaced the changed configuration"
	cmp -s "$T/token.kept" "$d/etc/award/admin.token" ||
		fail "a second install touched the token file"
	deploy_uninstall "$d"
	cmp -s "$T/conf.changed" "$d/etc/award/award.conf" ||
		fail "uninstall removed a changed configuration"
	cmp -s "$T/token.kept" "$d/etc/award/admin.token" ||
		fail "uninstall removed the token file"
	[ ! -e "$d/etc/nginx/sites-enabled/award.conf" ] &&
		[ ! -L "$d/etc/nginx/sites-enabled/award.conf" ] ||
		fail "uninstall left the sites-enabled link"
	got=$(find "$d" -type f -printf '%P\n' | sort | tr '\n' ' ')
	[ "$got" = "etc/award/admin.token etc/award/award.conf " ] ||
		fail "files left after uninstall: $got"
}

# Issue 17: the operator's nginx snippets (allow list, rate limits) are
# installed once and never overwritten, and install says when the shipped
# default differs; the project's files are replaced (the site's previous
# copy kept beside it, not enabled). Uninstall keeps changed snippets.
it install_keeps_operator_files
t_install_keeps_operator_files() {
	local d=$T/root n=$T/root/etc/nginx
	deploy_install "$d"
	echo '203.0.113.7/32 1;' >>"$n/award/webhook_allow.conf"
	sed -i 's/rate=20r\/s/rate=5r\/s/' "$n/award/limits.conf"
	cp "$n/award/webhook_allow.conf" "$T/allow.kept"
	cp "$n/award/limits.conf" "$T/limits.kept"
	echo '# stale' >>"$n/award/award_fastcgi_params"
	sed -i 's/^\(\s*\)server_name .*/\1server_name award.example.org;/' \
		"$n/sites-available/award.conf"
	cp "$n/sites-available/award.conf" "$T/site.edited"
	: >"$T/install.log"
	deploy_install "$d"
	cmp -s "$T/allow.kept" "$n/award/webhook_allow.conf" ||
		fail "a second install replaced webhook_allow.conf"
	cmp -s "$T/limits.kept" "$n/award/limits.conf" ||
		fail "a second install replaced limits.conf"
	grep -q "keeping $n/award/webhook_allow.conf" "$T/install.log" &&
		grep -q "differs from the shipped default nginx/webhook_allow.conf" \
		"$T/install.log" || fail "install did not say the allow list differs:" \
		"$(cat "$T/install.log")"
	grep -q "differs from the shipped default nginx/limits.conf" \
		"$T/install.log" || fail "install did not say limits.conf differs"
	cmp -s "$ROOT/nginx/award_fastcgi_params" "$n/award/award_fastcgi_params" ||
		fail "award_fastcgi_params (the project's) was not replaced"
	cmp -s "$ROOT/nginx/award.conf" "$n/sites-available/award.conf" ||
		fail "the site (the project's) was not replaced"
	cmp -s "$T/site.edited" "$n/sites-available/award.conf.previous" ||
		fail "the edited site was not kept as award.conf.previous"
	grep -q "previous copy is $n/sites-available/award.conf.previous" \
		"$T/install.log" || fail "install did not say where the old site went"
	# An unchanged allow list goes with uninstall, a changed one stays.
	cp "$ROOT/nginx/limits.conf" "$n/award/limits.conf"
	deploy_uninstall "$d"
	cmp -s "$T/allow.kept" "$n/award/webhook_allow.conf" ||
		fail "uninstall removed the changed allow list"
	[ ! -e "$n/award/limits.conf" ] || fail "uninstall left the default limits.conf"
	[ ! -e "$n/sites-available/award.conf.previous" ] ||
		fail "uninstall left award.conf.previous"
}

# Issue 17: uninstall refuses, removing nothing, while another enabled
# site (or conf.d file) includes /etc/nginx/award/; award.conf's own link
# is taken away with it.
it uninstall_refuses_while_included
t_uninstall_refuses_while_included() {
	local d=$T/root n=$T/root/etc/nginx before
	deploy_install "$d"
	mkdir -p "$n/sites-enabled" "$n/conf.d"
	cp "$n/sites-available/award.conf" "$n/sites-enabled/award-copy"
	before=$(tree "$d")
	make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$d" \
		BUILD="$BIN" >"$T/uninstall.log" 2>&1 &&
		fail "uninstall went ahead while sites-enabled/award-copy includes the snippets"
	grep -q "refusing.*sites-enabled/award-copy" "$T/uninstall.log" ||
		fail "no clear refusal: $(cat "$T/uninstall.log")"
	[ "$(tree "$d")" = "$before" ] || fail "the refused uninstall removed files"
	rm "$n/sites-enabled/award-copy"
	echo 'include /etc/nginx/award/limits.conf;' >"$n/conf.d/mine.conf"
	make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$d" \
		BUILD="$BIN" >"$T/uninstall.log" 2>&1 &&
		fail "uninstall went ahead while conf.d/mine.conf includes a snippet"
	rm "$n/conf.d/mine.conf"
	ln -s ../sites-available/award.conf "$n/sites-enabled/award.conf"
	deploy_uninstall "$d"
	[ ! -e "$n/award" ] && [ ! -L "$n/sites-enabled/award.conf" ] ||
		fail "uninstall with only its own link: $(ls -A "$n/award" "$n/sites-enabled" 2>&1)"
}

# systemd-analyze verify, offline, over a root holding the installed tree,
# the distribution's units (sysinit.target, ...) and the commands the
# units run; then the security exposure docs/deploy.md reports.
it units_verify
t_units_verify() {
	local d=$T/root out score u=usr/local/lib/systemd/system
	command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (make deps)"
	deploy_install "$d"
	mkdir -p "$d/usr/lib/systemd" "$d/bin"
	cp -a /usr/lib/systemd/system "$d/usr/lib/systemd/"
	cp /bin/kill "$d/bin/kill" || fail "no /bin/kill (procps)"
	out=$(systemd-analyze verify --root="$d" --man=no \
		"$u/award-fcgi.socket" "$u/award-fcgi.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify said: $out"
	out=$(systemd-analyze security --offline=true --root="$d" \
		"$u/award-fcgi.service" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for award-fcgi.service: \([0-9.]*\).*/\1/p' \
		<<<"$out")
	[ -n "$score" ] || fail "no exposure figure: $(tail -n 2 <<<"$out")"
	awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' ||
		fail "exposure $score is not below 2.0"
	grep -q "exposure.* $score " "$ROOT/docs/deploy.md" ||
		fail "docs/deploy.md does not report the exposure $score"
	# The unit's own choices, which verify cannot judge.
	for k in 'Type=notify' 'User=award' 'UMask=0027' 'WatchdogSec=' \
		'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=award' \
		'ReadWritePaths=/var/lib/award' 'Requires=award-fcgi.socket'; do
		grep -qF "$k" "$d/$u/award-fcgi.service" || fail "service lacks $k"
	done
	for k in 'ListenStream=/run/award/award-fcgi.sock' 'SocketUser=award' \
		'SocketGroup=www-data' 'SocketMode=0660'; do
		grep -qxF "$k" "$d/$u/award-fcgi.socket" || fail "socket lacks $k"
	done
	# Verification (AWARD_VERIFY_PAYMENTS=1) calls YooKassa's API from the
	# responder: a private or denied network would queue every notification.
	! grep -qE '^(PrivateNetwork=yes|IPAddressDeny=)' "$d/$u/award-fcgi.service" ||
		fail "the service has no network for verification"
	grep -qE '^RestrictAddressFamilies=.*AF_INET( |$)' "$d/$u/award-fcgi.service" ||
		fail "the service may not open an IPv4 socket"
	# The socket unit owns /run/award: a RuntimeDirectory= would delete it,
	# socket and all, whenever the service stops.
	! grep -q '^RuntimeDirectory=' "$d/$u/award-fcgi.service" ||
		fail "RuntimeDirectory= would remove the socket on stop"
}

# mandoc's lint (warnings and errors; style notes about manuals that are
# not installed here depend on the machine), and every flag of the
# synopsis documented.
# The site goes into the host's http{} beside other sites: at that level
# it sets only what its own names need (zones, maps, its upstream), never
# a fastcgi_ or proxy_ directive, which every other site would inherit
# (fastcgi_next_upstream ... non_idempotent would resend their POSTs).
it site_leaves_other_sites_alone
t_site_leaves_other_sites_alone() {
	local top
	top=$(awk '{ sub(/#.*/, "") }
		depth == 0 && /^[[:space:]]*(fastcgi|proxy|uwsgi|scgi)_/ { print NR ": " $0 }
		{ depth += gsub(/\{/, "{") - gsub(/\}/, "}") }' "$ROOT/nginx/award.conf")
	[ -z "$top" ] || fail "http-level directives in nginx/award.conf: $top"
}

it man_lint
t_man_lint() {
	local d=$T/root out p f
	command -v mandoc >/dev/null || fail "mandoc missing (make deps)"
	deploy_install "$d"
	for p in award-fcgi award-retry award-reconcile award-backup; do
		out=$(mandoc -Tlint -W warning "$d/usr/local/share/man/man8/$p.8" 2>&1) ||
			fail "mandoc -Tlint $p.8: $out"
		[ -z "$out" ] || fail "mandoc -Tlint $p.8: $out"
		for f in --config --db --bot-db --version --help; do
			grep -q "^\.Op Fl ${f#-}\|^\.Fl ${f#-}\|^\.It Fl ${f#-}" \
				"$d/usr/local/share/man/man8/$p.8" ||
				fail "$p.8 does not document $f"
		done
	done
	for f in --listen --workers; do
		grep -q "^\.It Fl ${f#-}" "$d/usr/local/share/man/man8/award-fcgi.8" ||
			fail "award-fcgi.8 does not document $f"
	done
	for f in --limit --force --now --init --print-config; do
		grep -q "^\.It Fl ${f#-}" "$d/usr/local/share/man/man8/award-retry.8" ||
			fail "award-retry.8 does not document $f"
	done
	for f in --since --dry-run; do
		grep -q "^\.It Fl ${f#-}" "$d/usr/local/share/man/man8/award-reconcile.8" ||
			fail "award-reconcile.8 does not document $f"
	done
	grep -q "^\.It Fl -check" "$d/usr/local/share/man/man8/award-fcgi.8" ||
		fail "award-fcgi.8 does not document --check"
	for f in --dir --keep --restore --force; do
		grep -q "^\.It Fl ${f#-}" "$d/usr/local/share/man/man8/award-backup.8" ||
			fail "award-backup.8 does not document $f"
	done
}

# deploy_conf DIR FILE: the installed configuration with only its paths
# made private: the databases and token files of this test.
deploy_conf() {
	sed -e "s|^AWARD_DB=.*|AWARD_DB=$DB|" \
	    -e "s|/etc/award/admin.token|$T/admin.token|" \
	    -e "s|/etc/award/service.token|$T/service.token|" \
	    "$1/etc/award/award.conf" >"$2"
}

# After install (docs/deploy.md step 1; the configuration names token
# files that step 2 makes), then after the tokens too, before the
# databases exist: the installed retry cron line with the installed
# configuration (private paths) says "not set up", exit 0, and creates
# nothing (SPEC.md §6).
it install_fresh_cron_not_set_up
t_install_fresh_cron_not_set_up() {
	local d=$T/root cmd rc step
	deploy_install "$d"
	mkdir "$T/state"
	DB=$T/state/award.db deploy_conf "$d" "$T/fresh.conf"
	cmd=$(cron_cmd "$d" "$T/fresh.conf")
	# No systemd-cat on PATH: the line's output comes here, journald or not.
	mkdir "$T/bin"
	ln -s "$(command -v sh)" "$T/bin/sh"
	for step in 1 2; do
		if [ "$step" = 2 ]; then
			printf '%s\n' "$ADMIN_TOKEN" >"$T/admin.token"
			printf '%s\n' "$SERVICE_TOKEN" >"$T/service.token"
		fi
		env -i "PATH=$T/bin" "$T/bin/sh" -c "$cmd" >"$T/cron.out" 2>&1
		rc=$?
		[ "$rc" = 0 ] || fail "after step $step the fresh cron line" \
			"exited $rc: $(cat "$T/cron.out")"
		grep -q 'not set up' "$T/cron.out" ||
			fail "after step $step: no 'not set up' line: $(cat "$T/cron.out")"
	done
	[ -z "$(ls -A "$T/state")" ] || fail "files made: $(ls -A "$T/state")"
}

# cron_cmd DIR CONF: the installed cron line's command, with only the
# installed tree's prefix and the configuration path made private.
cron_cmd() {
	local line
	line=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$1/etc/cron.d/award-retry")
	read -r _ _ _ _ _ _ line <<<"$line"
	line=${line//\/usr\/local\/sbin\//$1\/usr\/local\/sbin\/}
	printf '%s\n' "${line//\/etc\/award\/award.conf/$2}"
}

# journal_run OUT CMD: run CMD with /bin/sh, as cron does, where
# systemd-cat finds a journal: a private mount namespace (root, unshare)
# with a listener on /run/systemd/journal/stdout that appends what it gets
# to OUT. Returns CMD's exit status; 97 when no namespace could be made.
journal_run() {
	cat >"$T/journald.pl" <<'EOF'
use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
    Local => "/run/systemd/journal/stdout", Listen => 8) or die "listen: $!";
open(my $o, ">>", $ARGV[0]) or die "$ARGV[0]: $!";
$o->autoflush(1);
print STDOUT "up\n";
close STDOUT;
while (my $c = $s->accept) { print $o $_ while <$c>; }
EOF
	cat >"$T/journal_run.sh" <<'EOF'
mount -t tmpfs tmpfs /run/systemd 2>/dev/null ||
	{ mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd; } || exit 97
mkdir -p /run/systemd/journal
rm -f "$2.up"
perl "$1" "$2" >"$2.up" &
jpid=$!
n=100
until [ -s "$2.up" ]; do
	n=$((n - 1)); [ "$n" -gt 0 ] || exit 97; sleep 0.05
done
sh -c "$3"
rc=$?
sleep 0.2
kill "$jpid"
exit "$rc"
EOF
	unshare -m --propagation private sh "$T/journal_run.sh" \
		"$T/journald.pl" "$1" "$2"
}

# The installed binaries, with the installed configuration (private paths
# only), behind the installed nginx site rendered for ports and
# certificate; then the installed cron line, as written.
it installed_stack
t_installed_stack() {
	local d=$T/root conf=$T/award.conf cmd rc out n
	deploy_install "$d"
	"$d/usr/local/sbin/award-fcgi" --version >/dev/null 2>&1 ||
		fail "award-fcgi --version fails: no --config support yet"
	deploy_conf "$d" "$conf"
	# Tokens of at least 32 characters (SPEC.md §7).
	ADMIN_TOKEN=adm-$(openssl rand -hex 20)
	SERVICE_TOKEN=svc-$(openssl rand -hex 20)
	printf '%s\n' "$ADMIN_TOKEN" >"$T/admin.token"
	printf '%s\n' "$SERVICE_TOKEN" >"$T/service.token"
	chmod 600 "$T/admin.token" "$T/service.token"
	base_env
	"${BASE_ENV[@]}" "AWARD_WEBHOOK_ALLOW=$APP_ALLOW" \
		"$d/usr/local/sbin/award-fcgi" --config "$conf" \
		--listen "unix:$SOCK" </dev/null 2>>"$T/fcgi.log" &
	APP_PID=$!
	echo "$APP_PID" >>"$T/pids"
	local n=$((WAIT_S * 20))
	until [ -S "$SOCK" ]; do
		alive "$APP_PID" || fail "installed award-fcgi exited:" \
			"$(tail -n 2 "$T/fcgi.log")"
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no socket"
		sleep 0.05
	done
	# render.sh on the installed site and snippets, not the repository's.
	RENDER_ARGS=(--site "$d/etc/nginx/sites-available/award.conf"
		--snippets "$d/etc/nginx/award")
	start_nginx
	req GET "$HTTP/healthz"
	check_status 200
	seed_contest c1
	seed_plans
	seed_referral 700 701
	webhook "$(payment ord-inst 700 plan_3m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
	check_json '$.referrer_tickets' 3
	admin_get /v1/admin/award-retry-stats
	check_status 200

	# A queued award (plan missing), then the cron line puts it through.
	webhook "$(payment ord-q 700 plan_new "$(iso_now)")"
	check_json '$.award' queued
	sql "INSERT INTO plan_tickets VALUES ('plan_new', 2)"
	cmd=$(cron_cmd "$d" "$conf")
	[[ $cmd == *"--config $conf"* ]] || fail "cron command: $cmd"
	journal_run "$T/journal" "$cmd --force"
	rc=$?
	[ "$rc" != 97 ] || fail "cannot make a private /run (unshare)"
	[ "$rc" = 0 ] || fail "the cron line exited $rc: $(tail -n 2 "$T/journal")"
	check_sql "select status || ' ' || outcome from failed_awards
		where order_id = 'ord-q'" "done awarded"
	grep -q '^award-retry$' "$T/journal" ||
		fail "no award-retry stream in the journal: $(head -c 300 "$T/journal")"
	# A failing run keeps its status through the cron line. (A database
	# that does not exist is "not set up yet", exit 0: SPEC.md §6.)
	n=$(grep -c '^award-retry$' "$T/journal")
	echo 'AWARD_BUSY_TIMEOUT_MS=soon' >>"$conf"
	journal_run "$T/journal" "$cmd"
	rc=$?
	[ "$rc" = 1 ] || fail "a failing cron run exited $rc, not 1"
	[ "$(grep -c '^award-retry$' "$T/journal")" -gt "$n" ] ||
		fail "the failing run did not reach the journal"
	out=$(tail -n 1 "$T/journal")
	[[ $out == *'"level":"error"'* ]] || fail "no error line in the journal: $out"
}

# deploy_load PREFIX TG MIN: webhooks for orders PREFIX1, PREFIX2, ... of
# buyer TG in a loop through nginx, in the background (LOADER is its pid),
# until stop_pid; returns once the ledger holds MIN rows.
deploy_load() {
	local n=200
	(
		i=0
		while :; do
			i=$((i + 1))
			curl -s -o /dev/null -m 10 -H 'Content-Type: application/json' \
				--data-binary "$(payment "$1$i" "$2" plan_1m "$(iso_now)")" \
				"$HTTP/v1/payments/webhook"
		done
	) &
	LOADER=$!
	PIDS+=("$LOADER")
	until [ "$(sql 'select count(*) from ticket_ledger')" -ge "$3" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the load loop awards nothing"
		sleep 0.05
	done
}

# award-backup while webhooks keep arriving through nginx: the copy is one
# consistent snapshot between the counts before and after, and restoring it
# into a fresh directory gives back exactly that ledger, usable by the
# binaries.
it backup_under_load
t_backup_under_load() {
	local before after copy n i bk fresh=$T/fresh loader
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 800 801
	deploy_load ord-l 800 40
	loader=$LOADER
	before=$(sql 'select count(*) from ticket_ledger')
	"$ROOT/deploy/award-backup" --db "$DB" \
		--dir "$T/backups" >"$T/backup.out" 2>&1 ||
		fail "award-backup: $(tail -n 2 "$T/backup.out")"
	after=$(sql 'select count(*) from ticket_ledger')
	sleep 0.5
	stop_pid "$loader"
	forget_pid "$loader"
	bk=$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' "$T/backup.out")
	[ -d "$bk" ] || fail "no backup directory named: $(cat "$T/backup.out")"
	[ "$(stat -c %a "$bk")" = 750 ] && [ "$(stat -c %a "$bk/award.db")" = 640 ] ||
		fail "backup modes $(stat -c %a "$bk") $(stat -c %a "$bk/award.db")"
	[ ! -e "$bk/award.db-wal" ] || fail "the copy has a -wal beside it"
	copy="sqlite3 -readonly $bk/award.db"
	[ "$($copy 'PRAGMA integrity_check')" = ok ] || fail "copy: integrity_check"
	n=$($copy 'select count(*) from ticket_ledger')
	# The load went on around the backup (on a fast machine a backup may
	# fall between two awards, so no count is required during it).
	[ "$(sql 'select count(*) from ticket_ledger')" -gt "$before" ] ||
		fail "the load stopped before the backup ($before rows)"
	[ "$n" -ge "$before" ] && [ "$n" -le "$after" ] ||
		fail "copy has $n ledger rows, not between $before and $after"
	# Every copied row is in the source, as it is there.
	check_sql "ATTACH '$bk/award.db' AS c;
		SELECT count(*) FROM c.ticket_ledger l WHERE NOT EXISTS (
		  SELECT 1 FROM main.ticket_ledger m WHERE m.id = l.id
		  AND m.delta = l.delta AND m.order_id = l.order_id
		  AND m.referrer_id = l.referrer_id AND m.reason = l.reason)" 0
	# One snapshot: each awarded payment has both rows, each ledger order
	# a payment, every order SUM(delta) = 2 (buyer 1 + referrer 1).
	i=$($copy "SELECT
		(SELECT count(*) FROM payments p WHERE p.outcome = 'awarded'
		   AND (SELECT coalesce(sum(delta), 0) FROM ticket_ledger l
		        WHERE l.order_id = p.order_id) != 2)
		+ (SELECT count(*) FROM (SELECT order_id FROM ticket_ledger
		   GROUP BY order_id HAVING sum(delta) != 2
		   OR order_id NOT IN (SELECT order_id FROM payments
		                       WHERE outcome = 'awarded')))")
	[ "$i" = 0 ] || fail "the copy is not one snapshot: $i orders disagree"

	mkdir "$fresh"
	"$ROOT/deploy/award-backup" --db "$fresh/award.db" \
		--restore "$bk" >"$T/restore.out" 2>&1 ||
		fail "restore: $(tail -n 2 "$T/restore.out")"
	DB=$fresh/award.db check_sql "ATTACH '$bk/award.db' AS c;
		SELECT (SELECT count(*) FROM main.ticket_ledger) || ' ' ||
		(SELECT count(*) FROM (SELECT * FROM main.ticket_ledger
		 EXCEPT SELECT * FROM c.ticket_ledger))" "$n 0"
	retry_ok --db "$fresh/award.db"
	DB=$fresh/award.db check_sql 'select count(*) from retry_runs' 1
}

# Two database files (AWARD_BOT_DB), read from the configuration; both are
# copied and restored; old copies go after --keep days.
it backup_two_files
t_backup_two_files() {
	local bk conf=$T/backup.conf
	sqlite3 "$T/bot.db" "PRAGMA journal_mode=WAL; CREATE TABLE contests(id);
		INSERT INTO contests VALUES ('c1')" >/dev/null
	printf 'AWARD_DB=%s\n# comment\nAWARD_BOT_DB = %s\n' "$DB" "$T/bot.db" >"$conf"
	sql "CREATE TABLE payments(x); INSERT INTO payments VALUES (1)"
	sqlite3 "$DB" 'PRAGMA journal_mode=WAL' >/dev/null
	mkdir -p "$T/backups/2000-01-01T000000Z" "$T/backups/keepme"
	"$ROOT/deploy/award-backup" --config "$conf" --dir "$T/backups" \
		--keep 3 >"$T/backup.out" 2>&1 ||
		fail "award-backup: $(tail -n 2 "$T/backup.out")"
	bk=$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' "$T/backup.out")
	[ -f "$bk/award.db" ] && [ -f "$bk/bot.db" ] || fail "not both copied: $(ls "$bk")"
	[ ! -e "$T/backups/2000-01-01T000000Z" ] || fail "an old copy was kept"
	[ -d "$T/backups/keepme" ] || fail "a directory not made by it was removed"
	mkdir "$T/fresh"
	"$ROOT/deploy/award-backup" --db "$T/fresh/a.db" \
		--bot-db "$T/fresh/b.db" --restore "$bk" >"$T/restore.out" 2>&1 ||
		fail "restore: $(tail -n 2 "$T/restore.out")"
	DB=$T/fresh/b.db check_sql "select id from contests" c1
	DB=$T/fresh/a.db check_sql "select x from payments" 1
	"$ROOT/deploy/award-backup" --db "$T/fresh/x.db" \
		--restore "$bk" >"$T/restore.out" 2>&1 &&
		fail "a two-file backup restored into one database"
	return 0
}

# README's step 2 on the installed tree: sysusers makes the user award,
# tmpfiles the state and backup directories (award's, 0750) and gives
# /etc/award, the configuration and the token files to root:award.
it sysusers_tmpfiles
t_sysusers_tmpfiles() {
	local d=$T/root gid got
	deploy_install "$d"
	echo "token-0123456789abcdef0123456789abcdef" >"$d/etc/award/admin.token"
	chmod 600 "$d/etc/award/admin.token"
	systemd-sysusers --root="$d" "$d/usr/local/lib/sysusers.d/award.conf" \
		>"$T/sysusers.log" 2>&1 || fail "systemd-sysusers: $(cat "$T/sysusers.log")"
	grep -q '^award:x:[0-9]*:[0-9]*:.*:/var/lib/award:/usr/sbin/nologin$' \
		"$d/etc/passwd" || fail "no award user: $(cat "$d/etc/passwd")"
	gid=$(sed -n 's/^award:x:\([0-9]*\):.*/\1/p' "$d/etc/group")
	[ -n "$gid" ] || fail "no award group"
	systemd-tmpfiles --root="$d" --create \
		"$d/usr/local/lib/tmpfiles.d/award.conf" >"$T/tmpfiles.log" 2>&1 ||
		fail "systemd-tmpfiles: $(cat "$T/tmpfiles.log")"
	got=$(cd "$d" && stat -c '%a %u:%g %n' var/lib/award var/backups/award \
		etc/award etc/award/award.conf etc/award/admin.token | tr '\n' ';')
	[ "$got" = "750 $gid:$gid var/lib/award;750 $gid:$gid var/backups/award;750 0:$gid etc/award;640 0:$gid etc/award/award.conf;640 0:$gid etc/award/admin.token;" ] ||
		fail "owners and modes: $got"
}

# The installed backup cron line, as written (only the tree's prefix, the
# configuration and the backup directory made private), through
# systemd-cat: it makes a dated copy and keeps the exit status.
it backup_cron_line
t_backup_cron_line() {
	local d=$T/root conf=$T/award.conf line rc
	deploy_install "$d"
	sqlite3 "$DB" 'PRAGMA journal_mode=WAL; CREATE TABLE t(x);
		INSERT INTO t VALUES (42)' >/dev/null
	printf 'AWARD_DB=%s\n' "$DB" >"$conf"
	line=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$d/etc/cron.d/award-backup")
	read -r _ _ _ _ _ user line <<<"$line"
	[ "$user" = award ] || fail "the backup job runs as $user"
	line=${line//\/usr\/local\/sbin\//$d\/usr\/local\/sbin\/}
	line=${line//\/etc\/award\/award.conf/$conf}
	line=${line//\/var\/backups\/award/$T/backups}
	journal_run "$T/journal" "$line"
	rc=$?
	[ "$rc" != 97 ] || fail "cannot make a private /run (unshare)"
	[ "$rc" = 0 ] || fail "the backup cron line exited $rc: $(tail -n 2 "$T/journal")"
	grep -q '^award-backup$' "$T/journal" || fail "nothing reached the journal"
	[ "$(sqlite3 "$T"/backups/*Z/award.db 'select x from t')" = 42 ] ||
		fail "no copy in $T/backups: $(ls -a "$T/backups")"
	# A database that is not there (named outright: with no configuration
	# the default var/award.db is relative, and a checkout where make run
	# went first has one).
	printf 'AWARD_DB=%s\n' "$T/missing/award.db" >"$T/none.conf"
	journal_run "$T/journal" "${line/$conf/$T/none.conf}"
	rc=$?
	[ "$rc" = 1 ] || fail "a failing backup run exited $rc, not 1"
}
