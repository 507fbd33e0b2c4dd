/* http_req.c - parse an HTTP/1.x request head (RFC 9112 sections 3 and 5):
 * the request line, the few header fields the server acts on (Host,
 * Connection, Content-Length, Transfer-Encoding), and the target, which is
 * percent-decoded and split into segments so that no ".." can climb out of
 * the served directory. Lines may end in CRLF or a bare LF (RFC 9112 2.2). */
#include <string.h>
#include <strings.h>

#include "http.h"

#define METHOD_MAX 16

/* A view of one line or field, without its line ending. */
typedef struct span {
	const char *p;
	size_t n;
} span;

size_t http_head_len(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Take the next line from *rest. */
static span next_line(span *rest)
{
	span l = {rest->p, 0};
	const char *nl = memchr(rest->p, '\n', rest->n);
	size_t take = nl ? (size_t)(nl - rest->p) + 1 : rest->n;
	l.n = take - (nl ? 1 : 0);
	if (l.n && l.p[l.n - 1] == '\r')
		l.n--;
	rest->p += take;
	rest->n -= take;
	return l;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool span_is(span s, const char *lit)
{
	return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

static bool span_is_ci(span s, const char *lit)
{
	return s.n == strlen(lit) && !strncasecmp(s.p, lit, s.n);
}

static span trim(span s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
		s.p++, s.n--;
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* ---- the target ------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode t into out (NUL-terminated). Returns 0, 400 or 414. */
static int decode(span t, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < t.n; i++) {
		int c = (unsigned char)t.p[i];
		if (c == '%') {
			int hi = i + 2 < t.n ? hexval(t.p[i + 1]) : -1;
			int lo = i + 2 < t.n ? hexval(t.p[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return 400;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return 400; /* NUL and controls never name a file */
		if (o + 1 >= cap)
			return 414;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Rebuild the decoded path from its segments, dropping empty and "."
 * segments. A ".." segment is refused rather than resolved: nothing the
 * client sends may name a file outside the root. */
static int segments(const char *dec, http_req *r)
{
	size_t o = 0;
	const char *p = dec;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 403;
		if (n && !(n == 1 && p[0] == '.')) {
			if (o + n + 2 > sizeof r->path)
				return 414;
			if (o)
				r->path[o++] = '/';
			memcpy(r->path + o, p, n);
			o += n;
		}
		p += n + (p[n] == '/');
	}
	r->path[o] = '\0';
	r->dir = o == 0 || dec[strlen(dec) - 1] == '/';
	return 0;
}

/* origin-form "/path?query" or absolute-form "http://host/path?query". */
static int parse_target(span t, http_req *r)
{
	char dec[HTTP_PATH_MAX];
	if (t.n > 7 && !strncasecmp(t.p, "http://", 7)) {
		const char *slash = memchr(t.p + 7, '/', t.n - 7);
		size_t skip = slash ? (size_t)(slash - t.p) : t.n;
		t.p += skip;
		t.n -= skip;
		if (!t.n)
			t = (span){"/", 1};
	}
	if (!t.n || t.p[0] != '/')
		return 400;
	for (size_t i = 0; i < t.n; i++) {
		if (t.p[i] == '?' || t.p[i] == '#') {
			t.n = i;
			break;
		}
	}
	int rc = decode(t, dec, sizeof dec);
	return rc ? rc : segments(dec, r);
}

/* ---- the request line and header fields ------------------------------------ */

/* "METHOD SP target SP HTTP/1.x". Returns 0, 400 or 505; *target is set. */
static int request_line(span l, http_req *r, span *target)
{
	const char *sp1 = memchr(l.p, ' ', l.n);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', l.n - (size_t)(sp1 + 1 - l.p)) : NULL;
	if (!sp1 || !sp2)
		return 400;
	span m = {l.p, (size_t)(sp1 - l.p)};
	span v = {sp2 + 1, l.n - (size_t)(sp2 + 1 - l.p)};
	*target = (span){sp1 + 1, (size_t)(sp2 - sp1 - 1)};
	if (!m.n || m.n > METHOD_MAX || !target->n || memchr(target->p, ' ', target->n))
		return 400;
	for (size_t i = 0; i < m.n; i++)
		if (!is_tchar(m.p[i]))
			return 400;
	if (v.n != 8 || memcmp(v.p, "HTTP/", 5) || v.p[6] != '.' || v.p[5] < '0' || v.p[5] > '9' ||
	    v.p[7] < '0' || v.p[7] > '9')
		return 400;
	if (v.p[5] != '1')
		return 505;
	r->minor = v.p[7] - '0';
	r->method = span_is(m, "GET") ? HTTP_GET : span_is(m, "HEAD") ? HTTP_HEAD : HTTP_OTHER;
	r->keep_alive = r->minor >= 1;
	return 0;
}

/* Connection is a comma-separated list of options (RFC 9110 7.6.1). */
static void connection_field(span v, http_req *r)
{
	while (v.n) {
		const char *comma = memchr(v.p, ',', v.n);
		size_t n = comma ? (size_t)(comma - v.p) : v.n;
		span opt = trim((span){v.p, n});
		if (span_is_ci(opt, "close"))
			r->keep_alive = false;
		else if (span_is_ci(opt, "keep-alive") && r->minor == 0)
			r->keep_alive = true;
		v.p += n + (comma != NULL);
		v.n -= n + (comma != NULL);
	}
}

/* One "Name: value" line. Returns 0 or 400; *host is set for Host. */
static int field(span l, http_req *r, bool *host)
{
	const char *colon = memchr(l.p, ':', l.n);
	if (!colon || colon == l.p)
		return 400;
	span name = {l.p, (size_t)(colon - l.p)};
	span value = trim((span){colon + 1, l.n - name.n - 1});
	for (size_t i = 0; i < name.n; i++)
		if (!is_tchar(name.p[i]))
			return 400; /* also refuses whitespace before the colon (RFC 9112 5.1) */
	if (span_is_ci(name, "Host"))
		*host = true;
	else if (span_is_ci(name, "Connection"))
		connection_field(value, r);
	else if (span_is_ci(name, "Transfer-Encoding"))
		r->has_body = true;
	else if (span_is_ci(name, "Content-Length") && !(value.n == 1 && value.p[0] == '0'))
		r->has_body = true;
	return 0;
}

int http_parse(const char *head, size_t len, http_req *r)
{
	span rest = {head, len}, target;
	bool host = false;
	memset(r, 0, sizeof *r);
	int rc = request_line(next_line(&rest), r, &target);
	if (rc)
		return rc;
	for (span l = next_line(&rest); l.n; l = next_line(&rest))
		if ((rc = field(l, r, &host)) != 0)
			return rc;
	if (r->minor >= 1 && !host)
		return 400; /* RFC 9112 3.2 */
	return r->method == HTTP_OTHER ? 0 : parse_target(target, r);
}
