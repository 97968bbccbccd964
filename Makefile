# award — GNU make + pkg-config. Everything is built under $(BUILD).
#   make            build/award-fcgi, build/award-retry, build/award-reconcile
#   make test       include check, unit (Criterion) and integration (nginx)
#   make asan       the whole suite again under ASan + UBSan (build/asan)
#   make run        a demo database, the responder and a private nginx
#   make bench      the benchmarks of tests/bench
#   make fuzz       libFuzzer over the input parsers (clang; FUZZ_SECONDS)
#   make deps       install the Debian packages (root) or print the line
#   make install    PREFIX (/usr/local) and DESTDIR; make uninstall (docs/deploy.md)

BUILD	?= build
SANITIZE ?=
VERSION	?= 1.1.0

PKGS	 = sqlite3 libcjson libcurl
CC	?= cc
WARN	 = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wwrite-strings -Werror
HARDEN	 = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS	?= -O2 -g
ifeq ($(SANITIZE),1)
CFLAGS	 = -O1 -g -fno-omit-frame-pointer
HARDEN	 = -fPIE
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
PC_CFLAGS := $(shell pkg-config --cflags $(PKGS) fcgi 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	     -DAWARD_VERSION=\"$(VERSION)\" \
	     $(WARN) $(HARDEN) $(CFLAGS) $(SANFLAGS) $(PC_CFLAGS) -Icommon
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(SANFLAGS) $(LDFLAGS)
LIBS_CORE = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
LIBS_FCGI = $(shell pkg-config --libs fcgi 2>/dev/null || echo -lfcgi) -pthread
LIBS_TEST = $(shell pkg-config --libs criterion 2>/dev/null)

LIB_SRC	 = $(wildcard common/*.c)
LIB_OBJ	 = $(LIB_SRC:common/%.c=$(BUILD)/common/%.o) $(BUILD)/common/schema.o
FCGI_OBJ = $(patsubst fcgi/%.c,$(BUILD)/fcgi/%.o,$(wildcard fcgi/*.c))
CRON_OBJ = $(patsubst cron/%.c,$(BUILD)/cron/%.o,$(filter-out \
	   cron/reconcile.c,$(wildcard cron/*.c)))
RECONCILE_OBJ = $(BUILD)/cron/reconcile.o
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELP = $(patsubst tests/unit/%.c,$(BUILD)/tests/%.o,\
	    $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c)))

DEBIAN_PKGS = gcc make pkg-config libfcgi-dev libsqlite3-dev libcjson-dev \
	      libcriterion-dev libcurl4-openssl-dev nginx curl openssl sqlite3 mandoc systemd procps \
	      chromium chromium-driver python3-selenium prometheus strace

.PHONY: all test unit integration asan run bench fuzz deps clean \
	install uninstall alerts check-includes FORCE
.SUFFIXES:
.SECONDARY:

all: $(BUILD)/award-fcgi $(BUILD)/award-retry $(BUILD)/award-reconcile

$(BUILD)/libaward.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# schema.sql is built into the binaries: no file is read at run time.
$(BUILD)/common/schema.c: schema.sql
	@mkdir -p $(@D)
	{ echo 'extern const char award_schema_sql[];'; \
	  echo 'const char award_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

# The schema is one long string: longer than C99's minimum, fine for gcc/clang.
$(BUILD)/common/%.o: $(BUILD)/common/%.c
	$(CC) $(ALL_CFLAGS) -Wno-overlength-strings -c -o $@ $<

# Each object depends on exactly the headers it includes: the compiler
# writes them to a .d file beside it (-MMD; -MP: a deleted header is no
# error). An object without its .d (a tree built before) is rebuilt once.
DEPFLAGS = -MMD -MP -MF $(@:.o=.d)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) $(shell pkg-config --cflags criterion) \
	  -c -o $@ $<

DEPFILES = $(patsubst %.o,%.d,$(filter-out $(BUILD)/common/schema.o,\
	   $(LIB_OBJ)) $(FCGI_OBJ) $(CRON_OBJ) \
	   $(UNIT_BIN:%=%.o) $(UNIT_HELP))
-include $(wildcard $(DEPFILES))
$(patsubst %.d,%.o,$(filter-out $(wildcard $(DEPFILES)),$(DEPFILES))): FORCE
FORCE:

$(BUILD)/award-fcgi: $(FCGI_OBJ) $(BUILD)/libaward.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_FCGI) $(LIBS_CORE)

# The retry binary never links libfcgi.
$(BUILD)/award-retry: $(CRON_OBJ) $(BUILD)/libaward.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_CORE)

# The reconciliation run (SPEC.md §11): no libfcgi either.
$(BUILD)/award-reconcile: $(RECONCILE_OBJ) $(BUILD)/libaward.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_CORE)

# Objects before the library: fcgi/ objects a test adds may call into it.
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(UNIT_HELP) $(BUILD)/libaward.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(filter %.a,$^) \
	    $(LIBS_TEST) $(LIBS_CORE)

# test_stats also checks the responder's renderings of the stats.
$(BUILD)/tests/test_stats: $(BUILD)/fcgi/dashboard.o $(BUILD)/fcgi/metrics.o \
	$(BUILD)/fcgi/textbuf.o $(BUILD)/fcgi/counters.o $(BUILD)/fcgi/page.o \
	$(BUILD)/fcgi/views.o $(BUILD)/fcgi/detail.o $(BUILD)/fcgi/route_ids.o

# test_fcgi_rec tests the responder's FastCGI record parser.
$(BUILD)/tests/test_fcgi_rec: $(BUILD)/fcgi/fcgi_rec.o $(BUILD)/fcgi/fcgi_out.o
# test_http: the responder's parsers.
$(BUILD)/tests/test_http: $(BUILD)/fcgi/http.o $(BUILD)/fcgi/fcgi_rec.o \
	$(BUILD)/fcgi/fcgi_out.o
# test_totals reads every view, the renderings included.
$(BUILD)/tests/test_totals: $(BUILD)/fcgi/dashboard.o $(BUILD)/fcgi/metrics.o \
	$(BUILD)/fcgi/textbuf.o $(BUILD)/fcgi/counters.o $(BUILD)/fcgi/page.o \
	$(BUILD)/fcgi/views.o $(BUILD)/fcgi/detail.o $(BUILD)/fcgi/route_ids.o
# test_counters: one route vocabulary for the routes and their counters.
$(BUILD)/tests/test_counters: $(BUILD)/fcgi/counters.o $(BUILD)/fcgi/route_ids.o

$(BUILD)/bench/bench_award: tests/bench/bench_award.c $(BUILD)/libaward.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP $(LDFLAGS_ALL) -o $@ \
	  $(filter %.c %.a,$^) $(LIBS_CORE)
-include $(wildcard $(BUILD)/bench/bench_award.d)

# The transport ceiling of make bench: libfcgi answering {} (hotpath.sh).
$(BUILD)/bench/empty_fcgi: tests/bench/empty_fcgi.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_FCGI)

# award-fcgi with the SQL taken out of its writer (tests/bench/nodb_job.c):
# hotpath.sh's nodb row. Never installed.
$(BUILD)/bench/award-fcgi-nodb: tests/bench/nodb_job.c $(FCGI_OBJ) \
	$(BUILD)/libaward.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -Wl,--wrap=job_run_group_more \
	  -o $@ $^ $(LIBS_FCGI) $(LIBS_CORE)

# Times each thread's syncs and pwrites for hotpath.sh (tests/bench/io_time.c).
$(BUILD)/bench/io_time.so: tests/bench/io_time.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O2 -g -fPIC -shared -o $@ $< -ldl

# The power-loss shim (tests/powerloss/shim.c): an LD_PRELOAD library for
# test_powerloss.sh, built without sanitizers (it runs inside the binary's).
$(BUILD)/tests/powerloss_shim.so: tests/powerloss/shim.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O2 -g -fPIC -shared -o $@ $< \
	  -ldl -pthread

test: deps
	$(MAKE) --no-print-directory check-includes unit integration

# The include graph of common/, fcgi/ and cron/ stays a tree (no circle).
check-includes:
	bash scripts/check-includes.sh

# A sanitizer report fails the run even where the test itself passed (a
# leak is reported at exit, after Criterion has counted the test).
unit: $(UNIT_BIN) all
	@for t in $(UNIT_BIN); do echo "== $$t"; \
	  AWARD_BIN_DIR=$(BUILD) $$t --jobs=2 >$$t.log 2>&1; rc=$$?; \
	  cat $$t.log; \
	  if [ $$rc -ne 0 ]; then exit 1; fi; \
	  if grep -q 'ERROR: [A-Za-z]*Sanitizer' $$t.log; then \
	    echo "$$t: sanitizer report above"; exit 1; fi; \
	done

integration: all $(BUILD)/tests/powerloss_shim.so
	AWARD_BIN_DIR=$(BUILD) bash tests/integration/run.sh

# The alert rules' unit tests alone (integration runs them too).
alerts:
	bash tests/alerts/run.sh

asan: deps
	$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 unit integration

# deps first, then a fresh make: pkg-config answers only once it is there.
run: deps
	$(MAKE) --no-print-directory all
	AWARD_BIN_DIR=$(BUILD) bash scripts/run.sh

bench: deps
	$(MAKE) --no-print-directory all $(BUILD)/bench/bench_award \
	  $(BUILD)/bench/empty_fcgi $(BUILD)/bench/io_time.so \
	  $(BUILD)/bench/award-fcgi-nodb
	AWARD_BIN_DIR=$(BUILD) bash tests/bench/run.sh
	AWARD_BIN_DIR=$(BUILD) bash tests/bench/admin_views.sh
	AWARD_BIN_DIR=$(BUILD) bash tests/bench/reconcile.sh
	AWARD_BIN_DIR=$(BUILD) bash tests/bench/hotpath.sh
	AWARD_BIN_DIR=$(BUILD) bash tests/bench/instructions.sh

# libFuzzer over every parser of untrusted input. Not part of make test.
FUZZ_SECONDS ?= 60
FUZZ_SRC = tests/fuzz/fuzz_input.c common/validate.c \
	   common/validate_json.c common/atime.c \
	   common/money.c common/cidr.c common/config.c \
	   common/config_file.c common/config_yk.c common/log.c \
	   fcgi/http.c fcgi/fcgi_rec.c fcgi/fcgi_out.c
FUZZ_FCGI_SRC = tests/fuzz/fuzz_fcgi.c fcgi/fcgi_rec.c
FUZZ_YK_SRC = tests/fuzz/fuzz_yookassa.c common/yookassa.c \
	   common/validate.c common/validate_json.c common/atime.c \
	   common/money.c common/config.c common/config_file.c \
	   common/config_yk.c common/cidr.c common/log.c
fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz needs clang"; exit 1; }
	@mkdir -p $(BUILD)/fuzz/corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -Ifcgi \
	  $(PC_CFLAGS) -o $(BUILD)/fuzz/fuzz_input $(FUZZ_SRC) \
	  $(LIBS_FCGI) $(LIBS_CORE)
	$(BUILD)/fuzz/fuzz_input -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=4096 -timeout=5 $(BUILD)/fuzz/corpus tests/fuzz/seeds
	@# What award-reconcile reads from YooKassa's API (SPEC.md §11).
	@mkdir -p $(BUILD)/fuzz/corpus-yookassa
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
	  $(PC_CFLAGS) -o $(BUILD)/fuzz/fuzz_yookassa $(FUZZ_YK_SRC) \
	  $(LIBS_CORE)
	$(BUILD)/fuzz/fuzz_yookassa -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=16384 -timeout=5 $(BUILD)/fuzz/corpus-yookassa \
	  tests/fuzz/seeds-yookassa
	@mkdir -p $(BUILD)/fuzz/corpus_fcgi
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -Ifcgi \
	  $(PC_CFLAGS) -o $(BUILD)/fuzz/fuzz_fcgi $(FUZZ_FCGI_SRC)
	$(BUILD)/fuzz/fuzz_fcgi -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=70000 -timeout=5 $(BUILD)/fuzz/corpus_fcgi \
	  tests/fuzz/seeds_fcgi

deps:
	@missing=""; for p in $(DEBIAN_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null || exit 1; \
	else \
	  echo "missing Debian packages; as root run:"; \
	  echo "  apt-get install -y$$missing"; exit 1; \
	fi

clean:
	rm -rf build

# ---------------------------------------------------------------- install
# The layout of SPEC.md §10 (listed in docs/deploy.md). Files
# under /etc are not under PREFIX; everything is under DESTDIR. The shipped
# files name /usr/local/sbin: that is rewritten to $(SBINDIR). Nothing here
# touches the running system (no users, no systemctl): README's steps do.
PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	 = $(PREFIX)/sbin
MAN8DIR	 = $(PREFIX)/share/man/man8
# systemd reads units, sysusers.d and tmpfiles.d under /usr and
# /usr/local only; any other PREFIX puts them in /etc, where it also looks.
ifneq ($(filter /usr /usr/local,$(PREFIX)),)
SYSTEMDBASE = $(PREFIX)/lib
else
SYSTEMDBASE = $(ETC)
endif
UNITDIR	 = $(SYSTEMDBASE)/systemd/system
SYSUSERSDIR = $(SYSTEMDBASE)/sysusers.d
TMPFILESDIR = $(SYSTEMDBASE)/tmpfiles.d
ETC	 = /etc
D	 = $(DESTDIR)
# inst MODE SRC DEST: copy with /usr/local/sbin/ and a script's VERSION=
# line rewritten, then set MODE.
inst	 = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	   -e 's|^VERSION=unreleased$$|VERSION=$(VERSION)|' $(2) >$(3).new && \
	   chmod $(1) $(3).new && mv -f $(3).new $(3)

INSTALLED = $(SBINDIR)/award-fcgi $(SBINDIR)/award-retry \
	$(SBINDIR)/award-reconcile $(MAN8DIR)/award-reconcile.8 \
	$(ETC)/cron.d/award-reconcile \
	$(SBINDIR)/award-backup \
	$(MAN8DIR)/award-fcgi.8 $(MAN8DIR)/award-retry.8 \
	$(MAN8DIR)/award-backup.8 \
	$(UNITDIR)/award-fcgi.service $(UNITDIR)/award-fcgi.socket \
	$(SYSUSERSDIR)/award.conf $(TMPFILESDIR)/award.conf \
	$(ETC)/cron.d/award-retry $(ETC)/cron.d/award-backup \
	$(ETC)/nginx/sites-available/award.conf \
	$(ETC)/nginx/sites-available/award.conf.previous \
	$(ETC)/nginx/award/award_fastcgi_params
# The operator's files: installed when missing, never overwritten; removed
# by uninstall only while they are still the shipped default.
KEPT	 = deploy/award.conf:$(ETC)/award/award.conf:0640 \
	   nginx/webhook_allow.conf:$(ETC)/nginx/award/webhook_allow.conf:0644 \
	   nginx/limits.conf:$(ETC)/nginx/award/limits.conf:0644

install: all
	install -d -m 0755 $(D)$(SBINDIR) $(D)$(MAN8DIR) $(D)$(UNITDIR) \
	  $(D)$(SYSUSERSDIR) $(D)$(TMPFILESDIR) $(D)$(ETC)/cron.d \
	  $(D)$(ETC)/nginx/sites-available $(D)$(ETC)/nginx/award
	install -d -m 0750 $(D)$(ETC)/award
	install -m 0755 $(BUILD)/award-fcgi $(BUILD)/award-retry $(D)$(SBINDIR)/
	install -m 0755 $(BUILD)/award-reconcile $(D)$(SBINDIR)/
	$(call inst,0644,man/award-reconcile.8,$(D)$(MAN8DIR)/award-reconcile.8)
	$(call inst,0644,cron/award-reconcile.cron,$(D)$(ETC)/cron.d/award-reconcile)
	$(call inst,0755,deploy/award-backup,$(D)$(SBINDIR)/award-backup)
	$(call inst,0644,man/award-fcgi.8,$(D)$(MAN8DIR)/award-fcgi.8)
	$(call inst,0644,man/award-retry.8,$(D)$(MAN8DIR)/award-retry.8)
	$(call inst,0644,man/award-backup.8,$(D)$(MAN8DIR)/award-backup.8)
	$(call inst,0644,deploy/award-fcgi.service,$(D)$(UNITDIR)/award-fcgi.service)
	$(call inst,0644,deploy/award-fcgi.socket,$(D)$(UNITDIR)/award-fcgi.socket)
	$(call inst,0644,deploy/sysusers.conf,$(D)$(SYSUSERSDIR)/award.conf)
	$(call inst,0644,deploy/tmpfiles.conf,$(D)$(TMPFILESDIR)/award.conf)
	$(call inst,0644,cron/award-retry.cron,$(D)$(ETC)/cron.d/award-retry)
	$(call inst,0644,deploy/award-backup.cron,$(D)$(ETC)/cron.d/award-backup)
	@# The site is the project's: replaced, the previous copy kept beside
	@# it (not enabled) when it differed, e.g. by a server_name.
	@f=$(D)$(ETC)/nginx/sites-available/award.conf; \
	if [ -e $$f ] && ! cmp -s nginx/award.conf $$f; then \
	  cp -p $$f $$f.previous; \
	  echo "replacing $$f; your previous copy is $$f.previous"; fi
	install -m 0644 nginx/award.conf $(D)$(ETC)/nginx/sites-available/award.conf
	install -m 0644 nginx/award_fastcgi_params $(D)$(ETC)/nginx/award/
	@# The operator's files (KEPT): installed once, never replaced.
	@for k in $(KEPT); do \
	  src=$${k%%:*}; rest=$${k#*:}; dst=$(D)$${rest%%:*}; mode=$${rest#*:}; \
	  if [ -e $$dst ]; then \
	    echo "keeping $$dst (yours: never overwritten)"; \
	    if ! cmp -s $$src $$dst; then \
	      echo "  it differs from the shipped default $$src:" \
	        "compare with: diff $$dst $$src"; fi; \
	  else \
	    echo "install -m $$mode $$src $$dst"; \
	    install -m $$mode $$src $$dst || exit 1; \
	  fi; \
	done

# Removes what install put, except the operator's files (KEPT) they
# changed and the token files (theirs); /etc/award and /etc/nginx/award go
# when empty. The databases and backups (/var/lib/award,
# /var/backups/award) stay. Refuses, removing nothing, while an enabled
# nginx site or conf.d file other than award.conf's own link includes
# /etc/nginx/award/: nginx -t would fail and its next restart take down
# every site (issue 17). docs/operations.md "Removal".
uninstall:
	@users=$$(grep -l '/etc/nginx/award/' \
	  $(D)$(ETC)/nginx/sites-enabled/* $(D)$(ETC)/nginx/conf.d/* \
	  2>/dev/null | while read -r f; do \
	    if [ -L "$$f" ] && [ "$$(basename "$$f")" = award.conf ] && \
	      [ "$$(readlink "$$f")" = ../sites-available/award.conf -o \
	      "$$(readlink "$$f")" = $(ETC)/nginx/sites-available/award.conf ]; \
	    then continue; fi; echo "$$f"; done); \
	if [ -n "$$users" ]; then \
	  echo "make uninstall: refusing: these nginx files include" \
	    "/etc/nginx/award/:" $$users; \
	  echo "  remove or edit them (then nginx -t), or keep award installed"; \
	  exit 1; fi
	rm -f $(addprefix $(D),$(INSTALLED))
	@if [ -L $(D)$(ETC)/nginx/sites-enabled/award.conf ] && \
	  [ "$$(readlink $(D)$(ETC)/nginx/sites-enabled/award.conf)" = \
	    ../sites-available/award.conf -o \
	    "$$(readlink $(D)$(ETC)/nginx/sites-enabled/award.conf)" = \
	    $(ETC)/nginx/sites-available/award.conf ]; then \
	  echo "rm -f $(D)$(ETC)/nginx/sites-enabled/award.conf"; \
	  rm -f $(D)$(ETC)/nginx/sites-enabled/award.conf; fi
	@for k in $(KEPT); do \
	  src=$${k%%:*}; rest=$${k#*:}; dst=$(D)$${rest%%:*}; \
	  [ -e $$dst ] || continue; \
	  if cmp -s $$src $$dst; then echo "rm -f $$dst"; rm -f $$dst; \
	  else echo "keeping $$dst (changed)"; fi; \
	done
	@rmdir $(D)$(ETC)/nginx/award $(D)$(ETC)/award 2>/dev/null || true
