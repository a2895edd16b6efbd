/*
 * ps_curl.h - the one way pairstore sets up an outgoing libcurl request
 * (pairing provider, storage services):
 *  - never a proxy: libcurl would read http_proxy, HTTPS_PROXY, ALL_PROXY
 *    from the environment, and in a CGI process HTTP_PROXY comes from a
 *    client's "Proxy:" header (RFC 3875, 4.1.18: "httpoxy");
 *  - http and https only, no redirects (a redirect is an answer like any
 *    other non-2xx one), TLS verification on, no ~/.netrc;
 *  - connect and total time limits, no signals (CURLOPT_NOSIGNAL);
 *  - a declared answer larger than max_answer refused before reading.
 */
#ifndef PS_CURL_H
#define PS_CURL_H

#include <curl/curl.h>

/* Apply the above to e for url; 0 on success, -1 if libcurl refused an
 * option. */
int ps_curl_safe(CURL *e, const char *url, long timeout_ms, long connect_ms,
    curl_off_t max_answer);

#endif
