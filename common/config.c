/*
 * The configuration file, the environment and the shared flags to a
 * validated struct award_config (SPEC.md §7, §10): the settings, their
 * bounds and checks. Token values are never printed, not even in errors.
 * Not the reading of the file's lines or of token files (config_file.c),
 * nor the YooKassa URL check callers make (config_yk.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_keys.h"

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
 * One setting as found: its value (NULL = not set) and where it came from,
 * "" for the environment or "FILE:LINE: " for the configuration file, the
 * prefix of every error about it.
 */
struct cfg_val {
	const char	*val;
	char		 where[CONFIG_PATH_MAX + 32];
};


/* Setting k from the environment when it is set there, else the file. */
static void
resolve(const struct cfg_file *f, const char *path, int k, struct cfg_val *v)
{
	v->where[0] = '\0';
	if ((v->val = getenv(config_key_names[k])) != NULL)
		return;
	if ((v->val = f->val[k]) != NULL)
		snprintf(v->where, sizeof(v->where), "%s:%d: ", path,
		    f->line[k]);
}

/* 0 after config_tokens_unused(): this binary serves no HTTP. */
static int tokens_used = 1;

void
config_tokens_unused(void)
{
	tokens_used = 0;
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
	if (getenv(config_key_names[kname]) != NULL ||
	    getenv(config_key_names[kfile]) != NULL) {
		tok.val = getenv(config_key_names[kname]);
		file.val = getenv(config_key_names[kfile]);
		tok.where[0] = file.where[0] = '\0';
	} else {
		resolve(f, path, kname, &tok);
		resolve(f, path, kfile, &file);
	}
	if (file.val != NULL && *file.val != '\0') {
		src = config_key_names[kfile];
		errno = 0;
		if (config_read_token_file(file.val, out, outsz) == -1) {
			/* The tokens' files come at deploy step 2 (§6). */
			if (errno == ENOENT && !tokens_used &&
			    kfile != K_YK_SECRET_KEY_FILE) {
				out[0] = '\0';
				return 0;
			}
			/*
			 * Its value is not shown: it may be the token itself,
			 * pasted into _FILE (SPEC.md §5, §11).
			 */
			snprintf(err, errsz, "%s%s: cannot read the token "
			    "file it names (or it is longer than %zu bytes)",
			    file.where, src, outsz - 1);
			return -1;
		}
		if (out[0] == '\0') {
			snprintf(err, errsz, "%s%s: token file is empty: %s",
			    file.where, src, file.val);
			return -1;
		}
	} else if (tok.val != NULL && *tok.val != '\0') {
		src = config_key_names[kname];
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
			    "characters", src == config_key_names[kfile] ?
			    file.where : tok.where, src);
			out[0] = '\0';
			return -1;
		}
	if (strlen(out) < CONFIG_TOKEN_MIN) {
		snprintf(err, errsz, "%s%s: token shorter than %d characters",
		    src == config_key_names[kfile] ? file.where : tok.where,
		    src, CONFIG_TOKEN_MIN);
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
		if (val_int(&v, config_key_names[ints[i].k], ints[i].lo,
		    ints[i].hi, &n, err, errsz) == -1)
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
		    config_key_names[k], why, v.val);
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
			/* Not echoed: it may be the secret key, misplaced. */
			snprintf(err, errsz, "%sAWARD_YOOKASSA_SHOP_ID: not 1 "
			    "to %d digits", v.where, CONFIG_YK_SHOP_ID_MAX);
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

/*
 * AWARD_LISTEN's form, checked by every binary that reads it (the
 * responder binds it later; its host is resolved there): unix:PATH with a
 * PATH that fits a socket address, or HOST:PORT with a port from 1 to
 * 65535 (an IPv6 host in brackets).
 */
static int
listen_syntax(const char *s, const char *where, char *err, size_t errsz)
{
	const char	*colon;
	long long	 port;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '\0' && strlen(s + 5) < CONFIG_UNIX_PATH_MAX)
			return 0;
		snprintf(err, errsz, "%sAWARD_LISTEN: unix: needs a path of "
		    "1 to %d bytes", where, CONFIG_UNIX_PATH_MAX - 1);
		return -1;
	}
	if ((colon = strrchr(s, ':')) == NULL || colon == s ||
	    (s[0] == '[' && colon[-1] != ']')) {
		snprintf(err, errsz, "%sAWARD_LISTEN: not unix:PATH or "
		    "HOST:PORT: \"%.100s\"", where, s);
		return -1;
	}
	if (config_parse_int(colon + 1, 1, 65535, &port) == -1) {
		snprintf(err, errsz, "%sAWARD_LISTEN: port not from 1 to "
		    "65535: \"%.100s\"", where, s);
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
	if (v.val != NULL && listen_syntax(c->listen, v.where, err, errsz))
		return -1;
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
		if (config_file_read(path, &f, err, errsz) == -1)
			return -1;
		path = c->config_path;
	}
	rc = load_all(c, &f, path, err, errsz);
	config_file_free(&f);
	return rc;
}

int
config_load(struct award_config *c, char *err, size_t errsz)
{
	return config_load_file(c, NULL, err, errsz);
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
