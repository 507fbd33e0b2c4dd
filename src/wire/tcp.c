/*
 * tcp.c - the TCP header (RFC 9293 3.1) and its options: MSS (RFC 9293
 * 3.2), window scale and timestamps (RFC 7323 2, 3), SACK (RFC 2018 2, 3).
 */
#include <string.h>

#include "wire/wire.h"

#define TCP_MAX_OPTS    40
#define OLEN_MSS        4
#define OLEN_WSCALE     3
#define OLEN_SACK_PERM  2
#define OLEN_TS         10
#define OLEN_SACK_BLOCK 8

/* ---- option parsing ------------------------------------------------------ */

static int opt_sack(const uint8_t *p, size_t olen, tern_tcp_opts *out)
{
	size_t n = (olen - 2) / OLEN_SACK_BLOCK;

	/* RFC 2018 3: length 2 + 8n; at most 4 blocks fit in 40 bytes. */
	if ((olen - 2) % OLEN_SACK_BLOCK || n < 1 || n > TERN_TCP_MAX_SACK)
		return TERN_WIRE_BAD_OPTION;
	for (size_t i = 0; i < n; i++) {
		out->sack[i].left = tern_get32(p + 2 + i * OLEN_SACK_BLOCK);
		out->sack[i].right = tern_get32(p + 6 + i * OLEN_SACK_BLOCK);
	}
	out->sack_count = (uint8_t)n;
	out->present |= TERN_TCPO_SACK;
	return TERN_WIRE_OK;
}

/* One option with a length field; p[1] == olen has been checked to lie
 * within the area. */
static int opt_one(const uint8_t *p, size_t olen, tern_tcp_opts *out)
{
	switch (p[0]) {
	case TERN_TCPOPT_MSS:
		if (olen != OLEN_MSS)
			return TERN_WIRE_BAD_OPTION;
		out->mss = tern_get16(p + 2);
		out->present |= TERN_TCPO_MSS;
		return TERN_WIRE_OK;
	case TERN_TCPOPT_WSCALE:
		if (olen != OLEN_WSCALE)
			return TERN_WIRE_BAD_OPTION;
		out->wscale = p[2];
		out->present |= TERN_TCPO_WSCALE;
		return TERN_WIRE_OK;
	case TERN_TCPOPT_SACK_PERM:
		if (olen != OLEN_SACK_PERM)
			return TERN_WIRE_BAD_OPTION;
		out->present |= TERN_TCPO_SACK_PERM;
		return TERN_WIRE_OK;
	case TERN_TCPOPT_TIMESTAMP:
		if (olen != OLEN_TS)
			return TERN_WIRE_BAD_OPTION;
		out->ts_val = tern_get32(p + 2);
		out->ts_ecr = tern_get32(p + 6);
		out->present |= TERN_TCPO_TS;
		return TERN_WIRE_OK;
	case TERN_TCPOPT_SACK:
		return opt_sack(p, olen, out);
	}
	/* Unknown kinds are skipped by their length (RFC 9293 3.1, MUST-6). */
	return TERN_WIRE_OK;
}

int tern_tcp_opts_parse(const uint8_t *buf, size_t len, tern_tcp_opts *out)
{
	size_t i = 0;

	memset(out, 0, sizeof *out);
	/* RFC 7323 appendix A's layout, NOP NOP TS, is all that most segments
	 * of a connection with timestamps carry: the loop below would give
	 * exactly this, option by option. */
	if (len == 12 && buf[0] == TERN_TCPOPT_NOP && buf[1] == TERN_TCPOPT_NOP &&
	    buf[2] == TERN_TCPOPT_TIMESTAMP && buf[3] == OLEN_TS) {
		out->ts_val = tern_get32(buf + 4);
		out->ts_ecr = tern_get32(buf + 8);
		out->present = TERN_TCPO_TS;
		return TERN_WIRE_OK;
	}
	while (i < len) {
		uint8_t kind = buf[i];

		if (kind == TERN_TCPOPT_EOL)
			break;
		if (kind == TERN_TCPOPT_NOP) {
			i++;
			continue;
		}
		/* Every other kind has a length byte, counting kind and length
		 * (RFC 9293 3.1, MUST-68); 0 or 1 would never advance (MUST-7). */
		if (len - i < 2 || buf[i + 1] < 2 || buf[i + 1] > len - i)
			return TERN_WIRE_BAD_OPTION;
		int v = opt_one(buf + i, buf[i + 1], out);

		if (v != TERN_WIRE_OK)
			return v;
		i += buf[i + 1];
	}
	return TERN_WIRE_OK;
}

/* ---- option building ----------------------------------------------------- */

/* The layout Linux sends, so every option's multi-byte fields are 4-aligned
 * and each unit is a multiple of 4 bytes (no trailing pad is ever needed):
 *   MSS(4) | SACK_PERM TS(12) or NOP NOP TS(12) or NOP NOP SACK_PERM(4)
 *   | NOP WSCALE(4) | NOP NOP SACK(4 + 8n). */
static size_t opts_size(const tern_tcp_opts *o)
{
	size_t n = 0;

	if (o->present & TERN_TCPO_MSS)
		n += 4;
	if (o->present & TERN_TCPO_TS)
		n += 12;
	else if (o->present & TERN_TCPO_SACK_PERM)
		n += 4;
	if (o->present & TERN_TCPO_WSCALE)
		n += 4;
	if ((o->present & TERN_TCPO_SACK) && o->sack_count)
		n += 4 + (size_t)o->sack_count * OLEN_SACK_BLOCK;
	return n;
}

static uint8_t *put_sack(uint8_t *p, const tern_tcp_opts *o)
{
	*p++ = TERN_TCPOPT_NOP;
	*p++ = TERN_TCPOPT_NOP;
	*p++ = TERN_TCPOPT_SACK;
	*p++ = (uint8_t)(2 + o->sack_count * OLEN_SACK_BLOCK);
	for (size_t i = 0; i < o->sack_count; i++, p += OLEN_SACK_BLOCK) {
		tern_put32(p, o->sack[i].left);
		tern_put32(p + 4, o->sack[i].right);
	}
	return p;
}

static uint8_t *put_sackperm_ts(uint8_t *p, const tern_tcp_opts *o)
{
	bool sp = o->present & TERN_TCPO_SACK_PERM;

	if (!(o->present & TERN_TCPO_TS)) {
		if (sp) {
			*p++ = TERN_TCPOPT_NOP;
			*p++ = TERN_TCPOPT_NOP;
			*p++ = TERN_TCPOPT_SACK_PERM;
			*p++ = OLEN_SACK_PERM;
		}
		return p;
	}
	*p++ = sp ? TERN_TCPOPT_SACK_PERM : TERN_TCPOPT_NOP;
	*p++ = sp ? OLEN_SACK_PERM : TERN_TCPOPT_NOP;
	*p++ = TERN_TCPOPT_TIMESTAMP;
	*p++ = OLEN_TS;
	tern_put32(p, o->ts_val);
	tern_put32(p + 4, o->ts_ecr);
	return p + 8;
}

static void opts_write(uint8_t *p, const tern_tcp_opts *o)
{
	if (o->present & TERN_TCPO_MSS) {
		*p++ = TERN_TCPOPT_MSS;
		*p++ = OLEN_MSS;
		tern_put16(p, o->mss);
		p += 2;
	}
	p = put_sackperm_ts(p, o);
	if (o->present & TERN_TCPO_WSCALE) {
		*p++ = TERN_TCPOPT_NOP;
		*p++ = TERN_TCPOPT_WSCALE;
		*p++ = OLEN_WSCALE;
		*p++ = o->wscale;
	}
	if ((o->present & TERN_TCPO_SACK) && o->sack_count)
		put_sack(p, o);
}

size_t tern_tcp_opts_build(uint8_t *buf, size_t cap, const tern_tcp_opts *o)
{
	size_t n;

	if (o->sack_count > TERN_TCP_MAX_SACK)
		return 0;
	n = opts_size(o);
	if (n > TCP_MAX_OPTS || n > cap)
		return 0;
	opts_write(buf, o);
	return n;
}

/* ---- the header ---------------------------------------------------------- */

static int tcp_check(const uint8_t *buf, size_t len, size_t *hlen)
{
	if (len < TERN_TCP_HLEN)
		return TERN_WIRE_TRUNCATED;
	*hlen = (size_t)(buf[12] >> 4) * 4;
	if (*hlen < TERN_TCP_HLEN)
		return TERN_WIRE_BAD_HLEN;
	if (*hlen > len)
		return TERN_WIRE_TRUNCATED;
	return TERN_WIRE_OK;
}

static uint16_t tcp_sum(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst)
{
	uint64_t acc = tern_csum_pseudo4(src, dst, TERN_IPPROTO_TCP, (uint16_t)len);

	return tern_csum_fold(tern_csum_add(acc, buf, len));
}

/* The checksum is checked before the options so that a corrupted segment
 * counts as such rather than as a bad option. */
int tern_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst, bool verify_csum,
                   tern_tcp_repr *out)
{
	size_t hlen = 0;
	int v = tcp_check(buf, len, &hlen);

	if (v != TERN_WIRE_OK)
		return v;
	if (verify_csum && tcp_sum(buf, len, src, dst) != 0xffff)
		return TERN_WIRE_BAD_CHECKSUM;
	v = tern_tcp_opts_parse(buf + TERN_TCP_HLEN, hlen - TERN_TCP_HLEN, &out->opts);
	if (v != TERN_WIRE_OK)
		return v;
	out->sport = tern_get16(buf);
	out->dport = tern_get16(buf + 2);
	out->seq = tern_get32(buf + 4);
	out->ack = tern_get32(buf + 8);
	out->hlen = (uint8_t)hlen;
	out->flags = buf[13];
	out->wnd = tern_get16(buf + 14);
	out->csum = tern_get16(buf + 16);
	out->urp = tern_get16(buf + 18);
	out->payload = buf + hlen;
	out->payload_len = len - hlen;
	return TERN_WIRE_OK;
}

static void tcp_put_header(uint8_t *buf, const tern_tcp_repr *r, size_t hlen)
{
	tern_put16(buf, r->sport);
	tern_put16(buf + 2, r->dport);
	tern_put32(buf + 4, r->seq);
	tern_put32(buf + 8, r->ack);
	buf[12] = (uint8_t)((hlen / 4) << 4);
	buf[13] = r->flags;
	tern_put16(buf + 14, r->wnd);
	tern_put16(buf + 16, 0);
	tern_put16(buf + 18, r->urp);
}

size_t tern_tcp_opts_len(const tern_tcp_opts *o)
{
	return opts_size(o);
}

/* The header's length for r with payload_len bytes behind it in cap, or 0
 * when it cannot be built. */
static size_t build_hlen(const tern_tcp_repr *r, size_t cap, size_t payload_len)
{
	if (r->opts.sack_count > TERN_TCP_MAX_SACK)
		return 0;
	size_t olen = opts_size(&r->opts);
	size_t hlen = TERN_TCP_HLEN + olen;
	/* The pseudo-header carries the segment length in 16 bits. */
	if (olen > TCP_MAX_OPTS || hlen > cap || payload_len > cap - hlen ||
	    payload_len > 0xffffu - hlen)
		return 0;
	return hlen;
}

/* Header and options for a payload of payload_len; the header length, or
 * 0 when it does not fit. The checksum field is left 0. */
static size_t put_hdr(uint8_t *buf, size_t cap, const tern_tcp_repr *r, size_t payload_len)
{
	size_t hlen = build_hlen(r, cap, payload_len);
	if (hlen) {
		tcp_put_header(buf, r, hlen);
		opts_write(buf + TERN_TCP_HLEN, &r->opts);
	}
	return hlen;
}

size_t tern_tcp_build_hdr_partial(uint8_t *buf, size_t cap, const tern_tcp_repr *r,
				  size_t payload_len, uint32_t src, uint32_t dst)
{
	size_t hlen = put_hdr(buf, cap, r, payload_len);
	if (!hlen)
		return 0;
	/* Summing from the TCP header to the end, this field included, and
	 * storing the complement completes it (virtio-net NEEDS_CSUM). */
	uint64_t acc = tern_csum_pseudo4(src, dst, TERN_IPPROTO_TCP, (uint16_t)(hlen + payload_len));
	tern_put16(buf + 16, tern_csum_fold(acc));
	return hlen + payload_len;
}

size_t tern_tcp_build_hdr(uint8_t *buf, size_t cap, const tern_tcp_repr *r, size_t payload_len,
			  uint64_t payload_sum, uint32_t src, uint32_t dst)
{
	size_t hlen = put_hdr(buf, cap, r, payload_len);
	if (!hlen)
		return 0;
	uint64_t acc = tern_csum_pseudo4(src, dst, TERN_IPPROTO_TCP, (uint16_t)(hlen + payload_len));
	acc = tern_csum_add(acc, buf, hlen);
	acc += tern_csum_fold(payload_sum);
	tern_put16(buf + 16, (uint16_t)~tern_csum_fold(acc));
	return hlen + payload_len;
}

size_t tern_tcp_build(uint8_t *buf, size_t cap, const tern_tcp_repr *r, const uint8_t *payload,
                      size_t payload_len, uint32_t src, uint32_t dst)
{
	size_t hlen = build_hlen(r, cap, payload_len);
	if (!hlen)
		return 0;
	/* Move the payload first: it may sit where the header goes. */
	if (payload_len)
		memmove(buf + hlen, payload, payload_len);
	uint64_t sum = tern_csum_add(0, buf + hlen, payload_len);
	return tern_tcp_build_hdr(buf, cap, r, payload_len, sum, src, dst);
}
