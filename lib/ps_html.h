/*
 * ps_html.h - the small HTML pages the programs answer to browsers that
 * post a plain form (no JavaScript): results, errors, a job's status.
 *
 * A page is built in a memory stream and sent whole with a strict
 * Content-Security-Policy (no script, inline style only), X-Frame-Options
 * DENY and Cache-Control no-store.  Every string from outside goes
 * through ps_html_put (escaped).
 */
#ifndef PS_HTML_H
#define PS_HTML_H

#include <stdio.h>

#include "ps_error.h"
#include "ps_http.h"

typedef struct ps_html {
	FILE *f;
	char *buf;
	size_t len;
} ps_html;

/*
 * Start a page titled title (escaped).  refresh_s > 0 adds
 * <meta http-equiv="refresh"> so the browser reloads the page after that
 * many seconds (a job that is still running).  PS_E_NOMEM on failure.
 */
ps_code ps_html_open(ps_html *h, const char *title, int refresh_s);

/* Write s escaped (NULL writes nothing). */
void ps_html_put(ps_html *h, const char *s);

/* Write s as it is: markup written by the program itself. */
void ps_html_raw(ps_html *h, const char *s);

/* Close the page and send it with status; frees h in every case. */
void ps_html_send(ps_req *req, ps_html *h, int status);

/* Free an unsent page. */
void ps_html_abort(ps_html *h);

/* The program's own URL path (SCRIPT_NAME), "" when unknown. */
const char *ps_html_self(const ps_req *req);

/*
 * The site's page: SCRIPT_NAME without its last two segments, so
 * "/cgi-bin/pair" gives "/" and "/app/cgi-bin/pair.fcgi" "/app/".
 */
void ps_html_home(const ps_req *req, char *buf, size_t sz);

/*
 * An error page for err (status from its code; for a 5xx the detail goes
 * to the log only, as ps_app_error does), with a link back to href
 * labelled back.  text, when not NULL, replaces the message.
 */
void ps_html_error(ps_req *req, const ps_err *err, const char *text,
    const char *href, const char *back);

#endif /* PS_HTML_H */
