/*
 * The responder's view of one FastCGI request (RFC 3875 meta-variables as
 * nginx passes them) and of its response. Handlers fill a struct response;
 * http_send() writes it. Nothing here knows the routes.
 */
#ifndef AWARD_HTTP_H
#define AWARD_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ctx.h"
#include "fcgi_rec.h"

struct request {
	const struct frec *fr;		/* the parsed request */
	int		 fd;		/* its connection */
	int		 send_timeout_ms; /* writing the response */
	int		 send_failed;	/* set by http_send() */
	int		 head;		/* HEAD: method is "GET", no body sent */
	const char	*method;
	const char	*path;		/* DOCUMENT_URI, no query */
	const char	*query;		/* QUERY_STRING, may be "" */
	const char	*remote_addr;
	const char	*request_id;	/* nginx $request_id, may be NULL */
	const char	*authorization;
	const char	*content_length;
	const char	*content_type;	/* CONTENT_TYPE, may be NULL */
	const char	*origin;	/* HTTP_ORIGIN: the browser's Origin */
	const char	*host;		/* HTTP_HOST: the client's Host */
	const char	*scheme;	/* REQUEST_SCHEME: nginx's $scheme */
	const char	*server_port;	/* SERVER_PORT: nginx's $server_port */
	/* Called once the body has been read (or failed): the read deadline. */
	void		(*read_done)(void *);
	void		*read_done_arg;
};

struct response {
	int		 status;
	const char	*ctype;
	char		*body;		/* malloc'd, freed by http_send() */
	size_t		 len;
	const char	*allow;		/* 405: the Allow header */
	int		 auth_bearer;	/* 401: offer Bearer */
	int		 auth_basic;	/* 401: offer Basic too */
	const char	*route;		/* the route's label, for metrics */
	const char	*location;	/* 303: the Location header */
	const char	*csp;		/* Content-Security-Policy, if any */
};

#define CTYPE_JSON	"application/json; charset=utf-8"
#define CTYPE_METRICS	"text/plain; version=0.0.4"
#define CTYPE_HTML	"text/html; charset=utf-8"

/*
 * Fill *r from the parameters of the whole request fr (fcgi_rec.h), read
 * from connection fd; the response is written within send_timeout_ms. A
 * HEAD request is served as GET (r->head set, no body sent). read_done is
 * left NULL. r points into fr: fr outlives r.
 */
void	http_request_init(struct request *r, const struct frec *fr, int fd,
	    int send_timeout_ms);

/* JSON body from a tree (deleted here) with status; 500 if printing fails. */
void	http_json(struct response *res, int status, cJSON *tree);

/* {"error": msg} with status. */
void	http_error(struct response *res, int status, const char *msg);

/*
 * Write status line, headers and body as FastCGI records with one writev
 * (fcgi_rec.h); no body for HEAD. Frees res->body. Sets req->send_failed
 * when the response was not delivered (the connection is then not kept).
 */
void	http_send(struct request *req, struct response *res);

/*
 * Read the body when CONTENT_LENGTH is at most max (checked before any
 * read). Returns 0 with *body (malloc'd, NUL-terminated) and *len; 1 when
 * too large (nothing read); -1 when short, malformed, or out of memory.
 */
int	http_read_body(struct request *req, size_t max, char **body,
	    size_t *len);

/*
 * Copy the percent-decoded value of query parameter name into buf
 * (bufsz). Returns 1 found, 0 absent, -1 malformed or too long.
 */
int	http_query(const char *query, const char *name, char *buf,
	    size_t bufsz);

/*
 * 1 when the request's Origin header is exactly the origin the request
 * reached: REQUEST_SCHEME "://" the host of HTTP_HOST (its port, if any,
 * left out) and ":" SERVER_PORT unless it is the scheme's default (80,
 * 443), as browsers serialize an origin (RFC 6454 §6.1). 0 when Origin is
 * missing, "null", another origin, or a part is missing or malformed.
 * Why the client's Host may be used: see http.c.
 */
int	http_same_origin(const struct request *req);

/* 1 when CONTENT_TYPE is application/x-www-form-urlencoded (a form). */
int	http_is_form(const struct request *req);

/* A 303 See Other to path (a static string), with a short JSON body. */
void	http_see_other(struct response *res, const char *path);

enum auth_result {
	AUTH_OK,
	AUTH_MISSING,		/* 401 */
	AUTH_OFF		/* 403: token not configured */
};

/*
 * Check the Authorization header against token ("" = not configured).
 * Bearer always; Basic (token as password) only when allow_basic.
 * Compares in constant time.
 */
enum auth_result http_auth(const struct request *req, const char *token,
	    int allow_basic);

/*
 * Who sent an authorized request, for the record of an admin action: the
 * Basic user name (at most bufsz - 1 bytes; bytes outside printable ASCII
 * become '?'), or "token" for Bearer. An empty name, one that holds the
 * password (the token), or a long one the token holds, is "basic". Call
 * only after http_auth() said AUTH_OK.
 */
void	http_auth_actor(const struct request *req, char *buf, size_t bufsz);

#endif
