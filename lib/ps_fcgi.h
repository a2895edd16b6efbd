/*
 * ps_fcgi.h - the accept loop every program in cgi-bin/ shares.
 *
 * One binary serves three ways, decided at start:
 *  - FastCGI, started by the web server (mod_fcgid, lighttpd bin-path):
 *    stdin is the listening socket;
 *  - FastCGI on its own socket, --listen ADDRESS (nginx + spawn-fcgi or
 *    a systemd service): "127.0.0.1:9000", "[::1]:9000", ":9000"
 *    (loopback) or a unix socket path;
 *  - plain CGI (mod_cgi): one request, then exit.
 * SIGTERM, SIGINT and SIGUSR1 stop it gracefully: the request in progress
 * is finished, then the loop ends.
 */
#ifndef PS_FCGI_H
#define PS_FCGI_H

#include "ps_http.h"

typedef struct ps_fcgi_opts {
	const char *program;	/* name for --help/--version and logs */
	const char *summary;	/* one line for --help */
	const char *listen;	/* --listen ADDRESS, or NULL */
	int backlog;		/* --backlog N (default 128) */
	long max_requests;	/* --max-requests N: exit after N (0 = no
				 * limit); lets a supervisor recycle */
} ps_fcgi_opts;

/*
 * Parse the command line.  Handles --help and --version itself (returns
 * 1: the caller exits 0); returns -1 on a bad option (message printed,
 * caller exits 2); 0 to go on.
 */
int ps_fcgi_parse_args(int argc, char **argv, ps_fcgi_opts *opts);

/* The handler answers one request.  Its return value is ignored; it
 * must have sent a response (if it did not, a 500 problem is sent). */
typedef void (*ps_fcgi_handler)(ps_req *req, void *arg);

/* Accept and serve until stopped (or the one CGI request is done).
 * Returns the process exit status. */
int ps_fcgi_run(const ps_fcgi_opts *opts, ps_fcgi_handler handler,
    void *arg);

/* 1 once a stop signal came (during a request it is held pending until
 * the request ends); a handler may check it to cut long work. */
int ps_fcgi_stopping(void);
/* 1 when serving as plain CGI. */
int ps_fcgi_is_cgi(void);

#endif /* PS_FCGI_H */
