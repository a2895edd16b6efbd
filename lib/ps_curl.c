/* ps_curl.c - see ps_curl.h. */
#include "config.h"

#include "ps_curl.h"

int
ps_curl_safe(CURL *e, const char *url, long timeout_ms, long connect_ms,
    curl_off_t max_answer)
{
	int bad = 0;

#define SET(opt, val) bad |= curl_easy_setopt(e, (opt), (val)) != CURLE_OK
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, max_answer);
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
#undef SET
	return bad ? -1 : 0;
}
