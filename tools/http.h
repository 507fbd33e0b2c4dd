/* http.h - the HTTP/1.1 request head parser of the HTTP service (RFC 9112):
 * pure functions over bytes, separate from the connection's state machine
 * in svc_http.c. */
#ifndef TERN_TOOLS_HTTP_H
#define TERN_TOOLS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_PATH_MAX 1024

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

typedef struct http_req {
	enum http_method method;
	int minor;                /* HTTP/1.minor */
	bool keep_alive;          /* another request may follow on this connection */
	bool has_body;            /* a body we will not read: close after replying */
	bool dir;                 /* the target ended in '/' */
	char path[HTTP_PATH_MAX]; /* decoded, relative to the root, no "." or ".." */
} http_req;

/* The length of the request head in buf (through the empty line that ends
 * it, CRLF or bare LF), or 0 when it is not complete yet. */
size_t http_head_len(const char *buf, size_t len);

/* Parse a complete head. Returns 0, or the status to answer with: 400 (bad
 * request line, header or target; HTTP/1.1 without Host), 403 (a ".."
 * segment), 414 (target too long), 505 (not HTTP/1.x). A method other than
 * GET or HEAD parses fine as HTTP_OTHER; the caller answers 405. */
int http_parse(const char *head, size_t len, http_req *r);

#endif
