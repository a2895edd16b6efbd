/*
 * ps_html.c - HTML answers for plain form posts (see ps_html.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ps_html.h"
#include "ps_log.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define HTML_CSP "default-src 'none'; style-src 'unsafe-inline'; " \
	"form-action 'self'"

ps_code
ps_html_open(ps_html *h, const char *title, int refresh_s)
{
	h->buf = NULL;
	h->len = 0;
	h->f = open_memstream(&h->buf, &h->len);
	if (h->f == NULL)
		return PS_E_NOMEM;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n", h->f);
	if (refresh_s > 0)
		fprintf(h->f, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    refresh_s);
	fputs("<title>", h->f);
	ps_html_put(h, title);
	fputs(" - pairstore</title>\n<style>\n"
	    "body { font: 16px/1.5 system-ui, sans-serif; max-width: 40em; "
	    "margin: 2em auto; padding: 0 1em; color: #1a1a1a; }\n"
	    "label { display: block; margin: 1em 0 .25em; }\n"
	    "input, select, button { font-size: 1rem; }\n"
	    "button { margin-top: 1.5em; padding: .4em 1.2em; }\n"
	    "dt { font-weight: bold; }\n"
	    "code, dd { overflow-wrap: anywhere; }\n"
	    ".code { font: bold 2.5rem/1.2 ui-monospace, monospace; "
	    "letter-spacing: .08em; }\n"
	    ".error { color: #a00; }\n"
	    "</style>\n</head>\n<body>\n", h->f);
	return PS_OK;
}

void
ps_html_put(ps_html *h, const char *s)
{
	char *e;

	if (s == NULL || h->f == NULL)
		return;
	if ((e = ps_html_escape(s)) != NULL) {
		fputs(e, h->f);
		free(e);
	}
}

void
ps_html_raw(ps_html *h, const char *s)
{
	if (h->f != NULL)
		fputs(s, h->f);
}

void
ps_html_abort(ps_html *h)
{
	if (h->f != NULL)
		fclose(h->f);
	free(h->buf);
	h->f = NULL;
	h->buf = NULL;
}

void
ps_html_send(ps_req *req, ps_html *h, int status)
{
	int bad;

	fputs("</body>\n</html>\n", h->f);
	bad = ferror(h->f);
	if (fclose(h->f) != 0 || bad || h->buf == NULL) {
		h->f = NULL;
		ps_html_abort(h);
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	h->f = NULL;
	ps_resp_header(req, "Content-Security-Policy", HTML_CSP);
	ps_resp_header(req, "X-Frame-Options", "DENY");
	ps_resp_header(req, "Cache-Control", "no-store");
	ps_resp_text(req, status, HTML_TYPE, h->buf);
	ps_html_abort(h);
}

const char *
ps_html_self(const ps_req *req)
{
	const char *s = ps_req_param(req, "SCRIPT_NAME");

	return s != NULL ? s : "";
}

void
ps_html_home(const ps_req *req, char *buf, size_t sz)
{
	const char *s = ps_html_self(req);
	size_t n = strlen(s);
	int cut;

	if (sz == 0)
		return;
	/* Drop the program's name, then its directory. */
	for (cut = 0; cut < 2 && n > 0; cut++) {
		while (n > 0 && s[n - 1] != '/')
			n--;
		if (cut == 0 && n > 0)
			n--;	/* the slash before the name */
	}
	if (n == 0 || s[0] != '/' || n + 1 >= sz) {
		snprintf(buf, sz, "/");
		return;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

void
ps_html_error(ps_req *req, const ps_err *err, const char *text,
    const char *href, const char *back)
{
	ps_code code = err->code != PS_OK ? err->code : PS_E_INTERNAL;
	int status = ps_code_http_status(code);
	char title[64];
	ps_html h;

	if (status >= 500)
		/* As ps_app_error(): the detail is for the log only. */
		ps_error("Server", "%s %s: %s", ps_req_method(req),
		    ps_html_self(req), err->msg);
	else if (code == PS_E_AUTH)
		/* RFC 9110, 15.5.2 */
		ps_resp_header(req, "WWW-Authenticate",
		    "Bearer realm=\"pairstore\"");
	snprintf(title, sizeof(title), "%d %s", status,
	    ps_http_reason(status));
	if (ps_html_open(&h, title, 0) != PS_OK) {
		ps_resp_problem(req, code, NULL);
		return;
	}
	ps_html_raw(&h, "<h1>");
	ps_html_put(&h, title);
	ps_html_raw(&h, "</h1>\n<p class=\"error\">");
	if (text != NULL)
		ps_html_put(&h, text);
	else {
		ps_html_put(&h, ps_code_title(code));
		if (status < 500 && err->msg[0] != '\0') {
			ps_html_raw(&h, ": ");
			ps_html_put(&h, err->msg);
		}
	}
	ps_html_raw(&h, "</p>\n<p><a href=\"");
	ps_html_put(&h, href);
	ps_html_raw(&h, "\">");
	ps_html_put(&h, back);
	ps_html_raw(&h, "</a></p>\n");
	ps_html_send(req, &h, status);
}
