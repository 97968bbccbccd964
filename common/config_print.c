/*
 * The resolved configuration as text (config_print(), SPEC.md §10): what
 * `award-retry --print-config` shows, so that deploy/award-backup and an
 * operator read the settings through the one parser the binaries use
 * (issue 18 finding 7) instead of parsing the file again. The output is
 * itself a valid configuration file. Token values are never printed.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>

#include "config.h"

static const char *const level_names[] = { "debug", "info", "warn",
	"error" };

static void
print_cidrs(FILE *f, const char *key, const struct cidr_list *l)
{
	char buf[INET6_ADDRSTRLEN];

	fprintf(f, "%s=", key);
	for (size_t i = 0; i < l->len; i++) {
		if (inet_ntop(l->item[i].family, l->item[i].addr, buf,
		    sizeof(buf)) == NULL)
			snprintf(buf, sizeof(buf), "?");
		fprintf(f, "%s%s/%u", i > 0 ? ", " : "", buf,
		    l->item[i].prefix);
	}
	fputc('\n', f);
}

int
config_print(const struct award_config *c, FILE *f)
{
	unsigned lvl = (unsigned)c->log_level;

	fprintf(f, "# resolved from %s, the environment and the flags\n",
	    c->config_path[0] != '\0' ? c->config_path : "(no file)");
	fprintf(f, "AWARD_DB=%s\n", c->db_path);
	fprintf(f, "AWARD_BOT_DB=%s\n", config_bot_db(c));
	fprintf(f, "AWARD_LISTEN=%s\n", c->listen);
	fprintf(f, "AWARD_WORKERS=%d\n", c->workers);
	fprintf(f, "AWARD_THREADS=%d\n", c->threads);
	fprintf(f, "AWARD_MAX_BODY=%zu\n", c->max_body);
	fprintf(f, "AWARD_BUSY_TIMEOUT_MS=%d\n", c->busy_timeout_ms);
	fprintf(f, "AWARD_SYNCHRONOUS=%s\n", c->synchronous_full ? "FULL" :
	    "NORMAL");
	fprintf(f, "AWARD_RETRY_MAX_ATTEMPTS=%d\n", c->retry_max_attempts);
	print_cidrs(f, "AWARD_WEBHOOK_ALLOW", &c->webhook_allow);
	print_cidrs(f, "AWARD_FCGI_ALLOW", &c->fcgi_allow);
	fprintf(f, "AWARD_READ_TIMEOUT_MS=%d\n", c->read_timeout_ms);
	fprintf(f, "AWARD_LOG_LEVEL=%s\n", lvl < sizeof(level_names) /
	    sizeof(level_names[0]) ? level_names[lvl] : "info");
	fprintf(f, "AWARD_RETAIN_RUNS_DAYS=%d\n", c->retain_runs_days);
	fprintf(f, "AWARD_RETAIN_DONE_DAYS=%d\n", c->retain_done_days);
	/* NORMAL was accepted only with the operator's consent. */
	if (!c->synchronous_full)
		fprintf(f, "AWARD_UNSAFE_NORMAL=1\n");
	fprintf(f, "AWARD_ACCEPT_TEST_PAYMENTS=%d\n", c->accept_test_payments);
	fprintf(f, "AWARD_YOOKASSA_SHOP_ID=%s\n", c->yk_shop_id);
	fprintf(f, "AWARD_YOOKASSA_API=%s\n", c->yk_api);
	fprintf(f, "AWARD_YOOKASSA_TIMEOUT_MS=%d\n", c->yk_timeout_ms);
	fprintf(f, "AWARD_RECONCILE_HOURS=%d\n", c->reconcile_hours);
	fprintf(f, "AWARD_VERIFY_PAYMENTS=%d\n", c->verify_payments);
	/* Whether a token is set, never its value. */
	fprintf(f, "# AWARD_ADMIN_TOKEN: %s\n", c->admin_token[0] != '\0' ?
	    "set" : "not set");
	fprintf(f, "# AWARD_SERVICE_TOKEN: %s\n", c->service_token[0] !=
	    '\0' ? "set" : "not set");
	fprintf(f, "# AWARD_YOOKASSA_SECRET_KEY: %s\n",
	    c->yk_secret_key[0] != '\0' ? "set" : "not set");
	fflush(f);
	return ferror(f) ? -1 : 0;
}
