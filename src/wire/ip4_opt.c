/* ip4_opt.c - IPv4 options (RFC 791 3.1): walking the option area, and the
 * source route options (loose and strict source and record route). */
#include <string.h>

#include "wire/wire.h"

/* RFC 791: EOL ends the list, NOP is one byte, every other option is
 * type, length (counting both), data. */
/* 1: an option at *at; 0: the end; -1: malformed. */
static int next_option(const uint8_t *p, size_t len, size_t *at, uint8_t *type, size_t *olen)
{
	while (*at < len) {
		uint8_t t = p[*at];
		if (t == TERN_IPOPT_EOL)
			return 0;
		if (t == TERN_IPOPT_NOP) {
			(*at)++;
			continue;
		}
		if (*at + 2 > len || p[*at + 1] < 2 || *at + p[*at + 1] > len)
			return -1;
		*type = t;
		*olen = p[*at + 1];
		return 1;
	}
	return 0;
}

int tern_ip4_opt_srcroute(const uint8_t *opts, size_t len, tern_ip4_srcroute *out,
			  uint8_t *pointer)
{
	size_t at = 0;
	uint8_t type;
	size_t olen;
	int rc;
	memset(out, 0, sizeof *out);
	while ((rc = next_option(opts, len, &at, &type, &olen)) == 1) {
		if (type != TERN_IPOPT_LSRR && type != TERN_IPOPT_SSRR) {
			at += olen;
			continue;
		}
		/* length 3 + 4n, pointer at least 4 (the first address) */
		/* at most 9 addresses fit in the 40 bytes of an option area */
		if (olen < 7 || (olen - 3) % 4 || opts[at + 2] < 4 ||
		    (olen - 3) / 4 > TERN_IP4_SR_MAX) {
			out->n = 0;
			return TERN_WIRE_BAD_OPTION;
		}
		out->strict = type == TERN_IPOPT_SSRR;
		out->n = (uint8_t)((olen - 3) / 4);
		for (uint8_t i = 0; i < out->n; i++)
			out->hop[i] = tern_get32(opts + at + 3 + 4 * i);
		*pointer = opts[at + 2];
		return TERN_WIRE_OK;
	}
	return rc < 0 ? TERN_WIRE_BAD_OPTION : TERN_WIRE_OK;
}

size_t tern_ip4_opt_srcroute_build(uint8_t *buf, size_t cap, const tern_ip4_srcroute *sr,
				   uint32_t dst)
{
	if (!sr->n || sr->n > TERN_IP4_SR_MAX)
		return 0;
	size_t olen = 3 + 4u * sr->n;   /* hops 2..n, then the destination */
	size_t padded = (olen + 3) & ~(size_t)3;
	if (cap < padded)
		return 0;
	buf[0] = sr->strict ? TERN_IPOPT_SSRR : TERN_IPOPT_LSRR;
	buf[1] = (uint8_t)olen;
	buf[2] = 4;
	for (uint8_t i = 1; i < sr->n; i++)
		tern_put32(buf + 3 + 4 * (i - 1), sr->hop[i]);
	tern_put32(buf + 3 + 4 * (sr->n - 1), dst);
	memset(buf + olen, TERN_IPOPT_EOL, padded - olen);
	return padded;
}
