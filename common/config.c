/*
 * The configuration file, the environment and the shared flags to a
 * validated struct award_config (SPEC.md §7, §10). Token values are never
 * printed, not even in errors.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int
config_parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
set_path(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= CONFIG_PATH_MAX)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/*
 * Read a token file: the whole file less trailing newlines and spaces.
 * -1 when unreadable or when the token is longer than outsz - 1.
 */
static int
read_token_file(const char *path, char *out, size_t outsz)
{
	char	 buf[CONFIG_TOKEN_MAX + 64];
	FILE	*f;
	size_t	 n;
	int	 extra;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	extra = fgetc(f) != EOF;
	fclose(f);
	if (extra)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n >= outsz)
		return -1;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

/* The settings a configuration file or the environment may hold. */
enum cfg_key {
	K_DB,
	K_BOT_DB,
	K_LISTEN,
	K_WORKERS,
	K_THREADS,
	K_MAX_BODY,
	K_BUSY_TIMEOUT_MS,
	K_SYNCHRONOUS,
	K_UNSAFE_NORMAL,
	K_RETRY_MAX_ATTEMPTS,
	K_WEBHOOK_ALLOW,
	K_FCGI_ALLOW,
	K_READ_TIMEOUT_MS,
	K_ADMIN_TOKEN,
	K_ADMIN_TOKEN_FILE,
	K_SERVICE_TOKEN,
	K_SERVICE_TOKEN_FILE,
	K_LOG_LEVEL,
	K_RETAIN_RUNS_DAYS,
	K_RETAIN_DONE_DAYS,
	K_ACCEPT_TEST_PAYMENTS,
	K_YK_SHOP_ID,
	K_YK_SECRET_KEY,
	K_YK_SECRET_KEY_FILE,
	K_YK_API,
	K_YK_TIMEOUT_MS,
	K_RECONCILE_HOURS,
	K_VERIFY_PAYMENTS,
	K__MAX
};

static const char *const key_names[K__MAX] = {
	"AWARD_DB",
	"AWARD_BOT_DB",
	"AWARD_LISTEN",
	"AWARD_WORKERS",
	"AWARD_THREADS",
	"AWARD_MAX_BODY",
	"AWARD_BUSY_TIMEOUT_MS",
	"AWARD_SYNCHRONOUS",
	"AWARD_UNSAFE_NORMAL",
	"AWARD_RETRY_MAX_ATTEMPTS",
	"AWARD_WEBHOOK_ALLOW",
	"AWARD_FCGI_ALLOW",
	"AWARD_READ_TIMEOUT_MS",
	"AWARD_ADMIN_TOKEN",
	"AWARD_ADMIN_TOKEN_FILE",
	"AWARD_SERVICE_TOKEN",
	"AWARD_SERVICE_TOKEN_FILE",
	"AWARD_LOG_LEVEL",
	"AWARD_RETAIN_RUNS_DAYS",
	"AWARD_RETAIN_DONE_DAYS",
	"AWARD_ACCEPT_TEST_PAYMENTS",
	"AWARD_YOOKASSA_SHOP_ID",
	"AWARD_YOOKASSA_SECRET_KEY",
	"AWARD_YOOKASSA_SECRET_KEY_FILE",
	"AWARD_YOOKASSA_API",
	"AWARD_YOOKASSA_TIMEOUT_MS",
	"AWARD_RECONCILE_HOURS",
	"AWARD_VERIFY_PAYMENTS",
};

/*
 * One setting as found: its value (NULL = not set) and where it came from,
 * "" for the environment or "FILE:LINE: " for the configuration file, the
 * prefix of every error about it.
 */
struct cfg_val {
	const char	*val;
	char		 where[CONFIG_PATH_MAX + 32];
};

/* The values of the configuration file, copied out of its lines. */
struct cfg_file {
	char	*val[K__MAX];
	int	 line[K__MAX];
};

static void
cfg_file_free(struct cfg_file *f)
{
	for (size_t i = 0; i < K__MAX; i++)
		free(f->val[i]);
	memset(f, 0, sizeof(*f));
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * One line of the file (without its newline) into f. The syntax is the
 * part of systemd's EnvironmentFile= both agree on: KEY=value, blank
 * lines, comments on lines of their own ('#' or ';'), spaces around the
 * key and value dropped, and a value may be wrapped whole in "..." or
 * '...'. No escapes, no line continuation, no quote or backslash inside
 * a value: what systemd would read differently is refused.
 */
static int
file_line(const char *path, int lineno, char *s, struct cfg_file *f,
    char *err, size_t errsz)
{
	char	*eq, *key, *val, *end;
	size_t	 n;
	int	 k;

	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		snprintf(err, errsz, "%s:%d: not KEY=value", path, lineno);
		return -1;
	}
	key = s;
	for (end = eq; end > key && is_space(end[-1]); end--)
		continue;
	*end = '\0';
	for (k = 0; k < K__MAX; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == K__MAX) {
		snprintf(err, errsz, "%s:%d: unknown key \"%.64s\"", path,
		    lineno, key);
		return -1;
	}
	val = eq + 1;
	while (is_space(*val))
		val++;
	n = strlen(val);
	while (n > 0 && is_space(val[n - 1]))
		val[--n] = '\0';
	if (n >= 2 && (val[0] == '"' || val[0] == '\'') &&
	    val[n - 1] == val[0]) {
		val[n - 1] = '\0';
		val++;
	}
	if (strpbrk(val, "\"'\\") != NULL) {
		snprintf(err, errsz, "%s:%d: %s: a quote or backslash inside "
		    "the value (write it bare or wrap it whole in quotes)",
		    path, lineno, key_names[k]);
		return -1;
	}
	if (f->val[k] != NULL) {
		snprintf(err, errsz, "%s:%d: %s: set again (first on line %d)",
		    path, lineno, key_names[k], f->line[k]);
		return -1;
	}
	if ((f->val[k] = strdup(val)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	f->line[k] = lineno;
	return 0;
}

enum { LINE_EOF, LINE_OK, LINE_LONG, LINE_NUL };

/*
 * One line of fp into buf (NUL-terminated, without its newline; *len its
 * length). fgets() cannot tell a NUL byte from the end of the line, so the
 * bytes are read one by one. Returns LINE_EOF at the end of the file,
 * LINE_OK, LINE_LONG when it does not fit in bufsz - 1 bytes, LINE_NUL
 * when it holds a NUL byte (reported as what it is, not as a long line).
 */
static int
read_line(FILE *fp, char *buf, size_t bufsz, size_t *len)
{
	int ch, nul = 0, any = 0;

	*len = 0;
	while ((ch = getc(fp)) != EOF) {
		any = 1;
		if (ch == '\n')
			break;
		if (ch == '\0')
			nul = 1;
		if (*len + 1 >= bufsz) {
			buf[*len] = '\0';
			return nul ? LINE_NUL : LINE_LONG;
		}
		buf[(*len)++] = (char)ch;
	}
	buf[*len] = '\0';
	if (!any)
		return LINE_EOF;
	return nul ? LINE_NUL : LINE_OK;
}

/*
 * Read the configuration file at path into f: a regular file, not
 * writable by every user, lines of at most CONFIG_LINE_MAX bytes.
 */
static int
read_file(const char *path, struct cfg_file *f, char *err, size_t errsz)
{
	char		 line[CONFIG_LINE_MAX + 2];
	struct stat	 st;
	FILE		*fp;
	size_t		 n;
	int		 lineno = 0, rc = -1, got;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "--config %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "--config %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errsz, "--config %s: writable by every user "
		    "(chmod o-w it)", path);
		goto out;
	}
	while ((got = read_line(fp, line, sizeof(line), &n)) != 0) {
		lineno++;
		if (got == LINE_NUL) {
			snprintf(err, errsz, "%s:%d: a NUL byte in the line",
			    path, lineno);
			goto out;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (got == LINE_LONG || n > CONFIG_LINE_MAX) {
			snprintf(err, errsz, "%s:%d: line longer than %d "
			    "bytes", path, lineno, CONFIG_LINE_MAX);
			goto out;
		}
		if (file_line(path, lineno, line, f, err, errsz) == -1)
			goto out;
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "--config %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	if (rc == -1)
		cfg_file_free(f);
	return rc;
}

/* Setting k from the environment when it is set there, else the file. */
static void
resolve(const struct cfg_file *f, const char *path, int k, struct cfg_val *v)
{
	v->where[0] = '\0';
	if ((v->val = getenv(key_names[k])) != NULL)
		return;
	if ((v->val = f->val[k]) != NULL)
		snprintf(v->where, sizeof(v->where), "%s:%d: ", path,
		    f->line[k]);
}

/*
 * A token from NAME_FILE (preferred) or NAME. The pair is one setting:
 * the environment wins when it holds either name, else the file. Empty
 * means "not configured"; a token with control characters or spaces
 * inside, or shorter than CONFIG_TOKEN_MIN, is rejected (SPEC.md §7).
 * Values never appear in err.
 */
static int
load_token(const struct cfg_file *f, const char *path, int kname, int kfile,
    char *out, size_t outsz, char *err, size_t errsz)
{
	struct cfg_val	 tok, file;
	const char	*src;

	out[0] = '\0';
	if (getenv(key_names[kname]) != NULL ||
	    getenv(key_names[kfile]) != NULL) {
		tok.val = getenv(key_names[kname]);
		file.val = getenv(key_names[kfile]);
		tok.where[0] = file.where[0] = '\0';
	} else {
		resolve(f, path, kname, &tok);
		resolve(f, path, kfile, &file);
	}
	if (file.val != NULL && *file.val != '\0') {
		src = key_names[kfile];
		if (read_token_file(file.val, out, outsz) == -1) {
			snprintf(err, errsz, "%s%s: cannot read token file "
			    "(or longer than %zu bytes): %s", file.where, src,
			    outsz - 1, file.val);
			return -1;
		}
		if (out[0] == '\0') {
			snprintf(err, errsz, "%s%s: token file is empty: %s",
			    file.where, src, file.val);
			return -1;
		}
	} else if (tok.val != NULL && *tok.val != '\0') {
		src = key_names[kname];
		if (strlen(tok.val) >= outsz) {
			snprintf(err, errsz, "%s%s: longer than %zu bytes",
			    tok.where, src, outsz - 1);
			return -1;
		}
		strcpy(out, tok.val);
	} else
		return 0;
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errsz, "%s%s: token has spaces or control "
			    "characters", src == key_names[kfile] ? file.where :
			    tok.where, src);
			out[0] = '\0';
			return -1;
		}
	if (strlen(out) < CONFIG_TOKEN_MIN) {
		snprintf(err, errsz, "%s%s: token shorter than %d characters",
		    src == key_names[kfile] ? file.where : tok.where, src,
		    CONFIG_TOKEN_MIN);
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int
val_int(const struct cfg_val *v, const char *name, long long lo,
    long long hi, long long *out, char *err, size_t errsz)
{
	if (v->val == NULL)
		return 0;
	if (config_parse_int(v->val, lo, hi, out) == -1) {
		snprintf(err, errsz, "%s%s: not an integer from %lld to %lld: "
		    "\"%.64s\"", v->where, name, lo, hi, v->val);
		return -1;
	}
	return 0;
}

/* The integer settings: key, bounds, and where in the struct. */
static int
load_ints(struct award_config *c, const struct cfg_file *f,
    const char *path, char *err, size_t errsz)
{
	static const struct {
		int		k;
		long long	lo, hi;
	} ints[] = {
		{ K_WORKERS, 1, CONFIG_WORKERS_MAX },
		{ K_THREADS, 1, CONFIG_THREADS_MAX },
		{ K_READ_TIMEOUT_MS, 1, CONFIG_READ_TIMEOUT_MAX },
		{ K_MAX_BODY, 1, CONFIG_MAX_BODY_MAX },
		{ K_BUSY_TIMEOUT_MS, 0, CONFIG_BUSY_TIMEOUT_MAX },
		{ K_RETRY_MAX_ATTEMPTS, 1, CONFIG_RETRY_ATTEMPTS_MAX },
		{ K_RETAIN_RUNS_DAYS, 1, CONFIG_RETAIN_MAX },
		{ K_RETAIN_DONE_DAYS, 1, CONFIG_RETAIN_MAX },
		{ K_ACCEPT_TEST_PAYMENTS, 0, 1 },
		{ K_YK_TIMEOUT_MS, 1, CONFIG_YK_TIMEOUT_MAX },
		{ K_RECONCILE_HOURS, 1, CONFIG_RECONCILE_HOURS_MAX },
		{ K_VERIFY_PAYMENTS, 0, 1 },
	};
	struct cfg_val	v;
	long long	n;

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		resolve(f, path, ints[i].k, &v);
		n = 0;
		if (val_int(&v, key_names[ints[i].k], ints[i].lo, ints[i].hi,
		    &n, err, errsz) == -1)
			return -1;
		if (v.val == NULL)
			continue;
		switch (ints[i].k) {
		case K_WORKERS:
			c->workers = (int)n;
			break;
		case K_THREADS:
			c->threads = (int)n;
			break;
		case K_READ_TIMEOUT_MS:
			c->read_timeout_ms = (int)n;
			break;
		case K_MAX_BODY:
			c->max_body = (size_t)n;
			break;
		case K_BUSY_TIMEOUT_MS:
			c->busy_timeout_ms = (int)n;
			break;
		case K_RETAIN_RUNS_DAYS:
			c->retain_runs_days = (int)n;
			break;
		case K_RETAIN_DONE_DAYS:
			c->retain_done_days = (int)n;
			break;
		case K_ACCEPT_TEST_PAYMENTS:
			c->accept_test_payments = (int)n;
			break;
		case K_YK_TIMEOUT_MS:
			c->yk_timeout_ms = (int)n;
			break;
		case K_RECONCILE_HOURS:
			c->reconcile_hours = (int)n;
			break;
		case K_VERIFY_PAYMENTS:
			c->verify_payments = (int)n;
			break;
		default:
			c->retry_max_attempts = (int)n;
			break;
		}
	}
	return 0;
}

static int
load_cidrs(const struct cfg_file *f, const char *path, int k,
    const char *def, struct cidr_list *out, char *err, size_t errsz)
{
	struct cfg_val	 v;
	const char	*why;

	resolve(f, path, k, &v);
	if (v.val == NULL)
		v.val = def;
	if (cidr_parse_list(v.val, out, &why) == -1) {
		snprintf(err, errsz, "%s%s: %s: \"%.200s\"", v.where,
		    key_names[k], why, v.val);
		return -1;
	}
	return 0;
}

/*
 * SPEC.md §7: NORMAL can lose commits answered 200 when the power fails
 * (docs/durability.md), so it is refused unless AWARD_UNSAFE_NORMAL=1
 * says the operator accepts that. The flag is 0 or 1.
 */
static int
load_unsafe_normal(const struct award_config *c, const struct cfg_file *f,
    const char *path, const char *sync_where, char *err, size_t errsz)
{
	struct cfg_val	v;
	int		unsafe = 0;

	resolve(f, path, K_UNSAFE_NORMAL, &v);
	if (v.val != NULL) {
		if (strcmp(v.val, "1") == 0)
			unsafe = 1;
		else if (strcmp(v.val, "0") != 0) {
			snprintf(err, errsz, "%sAWARD_UNSAFE_NORMAL: must be 0 "
			    "or 1: \"%.64s\"", v.where, v.val);
			return -1;
		}
	}
	if (!c->synchronous_full && !unsafe) {
		snprintf(err, errsz, "%sAWARD_SYNCHRONOUS=NORMAL loses awards "
		    "already answered 200 when the power fails: refused "
		    "unless AWARD_UNSAFE_NORMAL=1 is set too", sync_where);
		return -1;
	}
	return 0;
}

/*
 * YooKassa's API (SPEC.md §7, §11): the shop id (digits), the secret key
 * (a token pair, never printed), the API base. Verification on without
 * shop id or key is the start-up error.
 */
static int
load_yookassa(struct award_config *c, const struct cfg_file *f,
    const char *path, char *err, size_t errsz)
{
	struct cfg_val	 v;
	const char	*why, *missing;
	size_t		 n;

	resolve(f, path, K_YK_SHOP_ID, &v);
	if (v.val != NULL && *v.val != '\0') {
		n = strlen(v.val);
		if (n > CONFIG_YK_SHOP_ID_MAX || strspn(v.val,
		    "0123456789") != n) {
			snprintf(err, errsz, "%sAWARD_YOOKASSA_SHOP_ID: not 1 "
			    "to %d digits: \"%.64s\"", v.where,
			    CONFIG_YK_SHOP_ID_MAX, v.val);
			return -1;
		}
		memcpy(c->yk_shop_id, v.val, n + 1);
	}
	if (load_token(f, path, K_YK_SECRET_KEY, K_YK_SECRET_KEY_FILE,
	    c->yk_secret_key, sizeof(c->yk_secret_key), err, errsz) == -1)
		return -1;
	resolve(f, path, K_YK_API, &v);
	if (v.val != NULL) {
		if (strlen(v.val) > CONFIG_YK_API_MAX) {
			snprintf(err, errsz, "%sAWARD_YOOKASSA_API: longer than "
			    "%d bytes", v.where, CONFIG_YK_API_MAX);
			return -1;
		}
		if (config_api_url_ok(v.val, &why) == -1) {
			/* Not the value: it might hold credentials. */
			snprintf(err, errsz, "%sAWARD_YOOKASSA_API: %s",
			    v.where, why);
			return -1;
		}
		strcpy(c->yk_api, v.val);
	}
	if (c->verify_payments && (missing = config_yookassa_missing(c)) !=
	    NULL) {
		snprintf(err, errsz, "AWARD_VERIFY_PAYMENTS=1 needs %s",
		    missing);
		return -1;
	}
	return 0;
}

static int
load_all(struct award_config *c, const struct cfg_file *f, const char *path,
    char *err, size_t errsz)
{
	struct cfg_val v;

	resolve(f, path, K_DB, &v);
	if (v.val != NULL && set_path(c->db_path, v.val)) {
		snprintf(err, errsz, "%sAWARD_DB: empty or too long", v.where);
		return -1;
	}
	resolve(f, path, K_BOT_DB, &v);
	if (v.val != NULL && *v.val != '\0' && set_path(c->bot_db_path,
	    v.val)) {
		snprintf(err, errsz, "%sAWARD_BOT_DB: too long", v.where);
		return -1;
	}
	resolve(f, path, K_LISTEN, &v);
	if (v.val != NULL && set_path(c->listen, v.val)) {
		snprintf(err, errsz, "%sAWARD_LISTEN: empty or too long",
		    v.where);
		return -1;
	}
	c->listen_set = v.val != NULL;
	if (load_ints(c, f, path, err, errsz) == -1)
		return -1;
	resolve(f, path, K_SYNCHRONOUS, &v);
	if (v.val != NULL) {
		if (strcmp(v.val, "FULL") == 0)
			c->synchronous_full = 1;
		else if (strcmp(v.val, "NORMAL") == 0)
			c->synchronous_full = 0;
		else {
			snprintf(err, errsz, "%sAWARD_SYNCHRONOUS: must be FULL "
			    "or NORMAL: \"%.64s\"", v.where, v.val);
			return -1;
		}
	}
	if (load_unsafe_normal(c, f, path, v.where, err, errsz) == -1)
		return -1;
	resolve(f, path, K_LOG_LEVEL, &v);
	if (v.val != NULL && log_level_parse(v.val, &c->log_level) == -1) {
		snprintf(err, errsz, "%sAWARD_LOG_LEVEL: must be debug, info, "
		    "warn or error: \"%.64s\"", v.where, v.val);
		return -1;
	}
	if (load_cidrs(f, path, K_WEBHOOK_ALLOW, CIDR_YOOKASSA,
	    &c->webhook_allow, err, errsz) == -1 ||
	    load_cidrs(f, path, K_FCGI_ALLOW, CONFIG_FCGI_ALLOW_DEFAULT,
	    &c->fcgi_allow, err, errsz) == -1)
		return -1;
	if (load_token(f, path, K_ADMIN_TOKEN, K_ADMIN_TOKEN_FILE,
	    c->admin_token, sizeof(c->admin_token), err, errsz) == -1)
		return -1;
	if (load_token(f, path, K_SERVICE_TOKEN, K_SERVICE_TOKEN_FILE,
	    c->service_token, sizeof(c->service_token), err, errsz) == -1)
		return -1;
	if (load_yookassa(c, f, path, err, errsz) == -1)
		return -1;
	return 0;
}

int
config_load_file(struct award_config *c, const char *path, char *err,
    size_t errsz)
{
	struct cfg_file	f;
	int		rc;

	memset(c, 0, sizeof(*c));
	memset(&f, 0, sizeof(f));
	strcpy(c->db_path, "var/award.db");
	strcpy(c->listen, "unix:var/award-fcgi.sock");
	c->workers = CONFIG_WORKERS_DEFAULT;
	c->threads = CONFIG_THREADS_DEFAULT;
	c->read_timeout_ms = CONFIG_READ_TIMEOUT_DEFAULT;
	c->max_body = CONFIG_MAX_BODY_DEFAULT;
	c->busy_timeout_ms = CONFIG_BUSY_TIMEOUT_DEFAULT;
	c->synchronous_full = 1;
	c->retry_max_attempts = CONFIG_RETRY_ATTEMPTS_DEFAULT;
	c->log_level = LOG_INFO;
	c->retain_runs_days = CONFIG_RETAIN_RUNS_DEFAULT;
	c->retain_done_days = CONFIG_RETAIN_DONE_DEFAULT;
	strcpy(c->yk_api, CONFIG_YK_API_DEFAULT);
	c->yk_timeout_ms = CONFIG_YK_TIMEOUT_DEFAULT;
	c->reconcile_hours = CONFIG_RECONCILE_HOURS_DEFAULT;

	if (path != NULL) {
		if (set_path(c->config_path, path) == -1) {
			snprintf(err, errsz, "--config: empty or too long");
			return -1;
		}
		if (read_file(path, &f, err, errsz) == -1)
			return -1;
		path = c->config_path;
	}
	rc = load_all(c, &f, path, err, errsz);
	cfg_file_free(&f);
	return rc;
}

int
config_load(struct award_config *c, char *err, size_t errsz)
{
	return config_load_file(c, NULL, err, errsz);
}

int
config_early(int argc, char *argv[], const char *const *value_flags,
    const char **file, int *explicit)
{
	const char	*val;
	int		 r;

	*file = NULL;
	*explicit = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return CONFIG_EARLY_HELP;
		if (strcmp(argv[i], "--version") == 0)
			return CONFIG_EARLY_VERSION;
		if ((r = config_flag_value("--config", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || *val == '\0')
				return CONFIG_EARLY_BAD;
			*file = val;
			*explicit = 1;
			continue;
		}
		for (const char *const *v = value_flags; *v != NULL; v++)
			if (strcmp(argv[i], *v) == 0) {
				i++;
				break;
			}
	}
	if (*file != NULL)
		return CONFIG_EARLY_RUN;
	/* SPEC.md §7, §10: the flag, then AWARD_CONFIG ("": no file). */
	if ((val = getenv(CONFIG_ENV)) != NULL) {
		*file = *val != '\0' ? val : NULL;
		*explicit = 1;
	} else
		*file = config_default_file();
	return CONFIG_EARLY_RUN;
}

const char *
config_default_file(void)
{
	/* One that cannot be looked at is there: reading it says why. */
	if (access(CONFIG_FILE_DEFAULT, F_OK) == 0 ||
	    (errno != ENOENT && errno != ENOTDIR))
		return CONFIG_FILE_DEFAULT;
	return NULL;
}

int
config_flag_value(const char *name, int argc, char *argv[], int *i,
    const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

int
config_flag(struct award_config *c, int argc, char *argv[], int *i,
    char *err, size_t errsz)
{
	const char	*val;
	int		 r;

	if ((r = config_flag_value("--db", argc, argv, i, &val)) != 0) {
		if (r == -1 || set_path(c->db_path, val)) {
			snprintf(err, errsz, "--db: needs a path");
			return -1;
		}
		return 1;
	}
	if ((r = config_flag_value("--bot-db", argc, argv, i, &val)) != 0) {
		if (r == -1 || set_path(c->bot_db_path, val)) {
			snprintf(err, errsz, "--bot-db: needs a path");
			return -1;
		}
		return 1;
	}
	return 0;
}

const char *
config_bot_db(const struct award_config *c)
{
	return c->bot_db_path[0] != '\0' ? c->bot_db_path : c->db_path;
}

/* 1 when host (as written in a URL, brackets for IPv6) is loopback. */
static int
host_is_loopback(const char *host, size_t n)
{
	char	 buf[64];
	int	 a, b, c, d;
	char	 tail;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (strcmp(buf, "localhost") == 0 || strcmp(buf, "[::1]") == 0)
		return 1;
	if (strspn(buf, "0123456789.") != n ||
	    sscanf(buf, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) != 4)
		return 0;
	return a == 127 && b >= 0 && b <= 255 && c >= 0 && c <= 255 &&
	    d >= 0 && d <= 255;
}

int
config_api_url_ok(const char *url, const char **why)
{
	const char	*host, *end, *port;
	int		 https;

	if (strncmp(url, "https://", 8) == 0) {
		https = 1;
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		https = 0;
		host = url + 7;
	} else {
		*why = "not an https:// URL";
		return -1;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' ||
		    *p == '#' || *p == '@' || *p == '%') {
			*why = "spaces, control characters, user info, query "
			    "or fragment";
			return -1;
		}
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL) {
			*why = "bad host";
			return -1;
		}
		end++;
	} else
		end = host + strcspn(host, ":/");
	if (end == host) {
		*why = "no host";
		return -1;
	}
	port = end;
	if (*port == ':') {
		size_t d = strspn(port + 1, "0123456789");

		if (d == 0 || d > 5 || (port[1 + d] != '\0' &&
		    port[1 + d] != '/')) {
			*why = "bad port";
			return -1;
		}
	} else if (*port != '\0' && *port != '/') {
		*why = "bad host";
		return -1;
	}
	if (url[strlen(url) - 1] == '/') {
		*why = "ends in '/' (write the base without it)";
		return -1;
	}
	if (!https && !host_is_loopback(host, (size_t)(end - host))) {
		*why = "plain http:// only to a loopback host (use https://)";
		return -1;
	}
	return 0;
}

const char *
config_yookassa_missing(const struct award_config *c)
{
	if (c->yk_shop_id[0] == '\0')
		return "AWARD_YOOKASSA_SHOP_ID";
	if (c->yk_secret_key[0] == '\0')
		return "AWARD_YOOKASSA_SECRET_KEY (or _FILE)";
	return NULL;
}
