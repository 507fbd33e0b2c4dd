/* reasm.c - IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2).
 *
 * Fragments are kept per datagram (src, dst, id, protocol) in offset order.
 * Policy, stricter than RFC 791 and the same as current Linux: an exact
 * duplicate fragment is ignored; any other overlap discards the whole
 * datagram (overlaps are how fragment-based evasion attacks work, and no
 * honest sender produces them; cf. RFC 5722 for IPv6). The held bytes and
 * the datagram count are bounded by the configuration; a fragment over
 * either limit is refused and counted. An incomplete datagram is freed on
 * timeout, with an ICMP time exceeded (code 1) when its first fragment
 * arrived (RFC 792, RFC 1122 3.3.2). */
#include <stddef.h>
#include <string.h>

#include "core/stack.h"

typedef struct frag {
	struct frag *next;
	uint16_t off, len;
	uint8_t data[];
} frag;

typedef struct dgram {
	struct dgram *next;
	tern_stack *st;
	tern_timer timer;
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	bool has_last;
	uint8_t hlen;           /* 0 until the first fragment arrived */
	uint32_t total;         /* payload bytes, known once has_last */
	uint32_t held;
	frag *frags;
	uint8_t hdr[60];
} dgram;

struct tern_reasm {
	dgram *list;
	uint32_t count, bytes;
};

int tern_reasm_init(tern_stack *st)
{
	st->reasm = tern_mem_alloc(st, sizeof *st->reasm);
	if (!st->reasm)
		return TERN_ENOMEM;
	memset(st->reasm, 0, sizeof *st->reasm);
	return 0;
}

static void drop_dgram(tern_stack *st, dgram *d)
{
	tern_reasm *r = st->reasm;
	for (dgram **pp = &r->list; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	tern_timer_cancel(&st->wheel, &d->timer);
	while (d->frags) {
		frag *f = d->frags;
		d->frags = f->next;
		tern_mem_free(st, f, sizeof *f + f->len);
	}
	r->bytes -= d->held;
	r->count--;
	tern_mem_free(st, d, sizeof *d);
}

void tern_reasm_free(tern_stack *st)
{
	if (!st->reasm)
		return;
	while (st->reasm->list)
		drop_dgram(st, st->reasm->list);
	tern_mem_free(st, st->reasm, sizeof *st->reasm);
	st->reasm = NULL;
}

static void on_timeout(tern_timer *t, tern_time now)
{
	dgram *d = (dgram *)((uint8_t *)t - offsetof(dgram, timer));
	tern_stack *st = d->st;
	(void)now;
	TERN_COUNT(st, ip_reasm_timeout);
	if (d->hlen && d->frags && d->frags->off == 0) {
		/* Quote the first fragment's header as it arrived and its first
		 * 8 data bytes; the repr the ICMP layer checks comes from a copy
		 * whose total length fits the quote. */
		uint8_t q[60 + 8], fit[60 + 8];
		uint16_t n = d->frags->len < 8 ? d->frags->len : 8;
		memcpy(q, d->hdr, d->hlen);
		memcpy(q + d->hlen, d->frags->data, n);
		memcpy(fit, q, sizeof fit);
		tern_put16(fit + 2, (uint16_t)(d->hlen + n));
		tern_ip4_repr ip;
		if (tern_ip4_parse(fit, d->hlen + n, false, &ip) == TERN_WIRE_OK)
			tern_icmp_send_error(st, &ip, q, d->hlen + n, TERN_ICMP_TIME_EXCEEDED, 1, 0);
	}
	drop_dgram(st, d);
}

static dgram *find(tern_reasm *r, const tern_ip4_repr *ip)
{
	for (dgram *d = r->list; d; d = d->next)
		if (d->id == ip->id && d->src == ip->src && d->dst == ip->dst && d->proto == ip->proto)
			return d;
	return NULL;
}

static dgram *create(tern_stack *st, const tern_ip4_repr *ip)
{
	dgram *d = tern_mem_alloc(st, sizeof *d);
	if (!d)
		return NULL;
	memset(d, 0, sizeof *d);
	d->st = st;
	d->src = ip->src;
	d->dst = ip->dst;
	d->id = ip->id;
	d->proto = ip->proto;
	tern_timer_init(&d->timer, on_timeout);
	tern_timer_arm(&st->wheel, &d->timer, st->now + st->cfg.reasm_timeout);
	d->next = st->reasm->list;
	st->reasm->list = d;
	st->reasm->count++;
	return d;
}

/* Returns false when the datagram had to be dropped (counted). */
static bool check_bounds(tern_stack *st, dgram *d, const tern_ip4_repr *ip)
{
	uint32_t end = (uint32_t)ip->frag_off + (uint32_t)ip->payload_len;
	bool bad = false;
	if (!ip->mf) {
		if (d->has_last && d->total != end)
			bad = true;
		for (frag *f = d->frags; f; f = f->next)
			if ((uint32_t)f->off + f->len > end)
				bad = true;
	} else if (d->has_last && end > d->total) {
		bad = true;
	}
	if (bad) {
		TERN_COUNT(st, ip_reasm_bad);
		drop_dgram(st, d);
	}
	return !bad;
}

/* 0: insert; 1: exact duplicate; -1: overlap (datagram dropped). */
static int check_overlap(tern_stack *st, dgram *d, const tern_ip4_repr *ip)
{
	uint32_t off = ip->frag_off, end = off + (uint32_t)ip->payload_len;
	for (frag *f = d->frags; f; f = f->next) {
		uint32_t fend = (uint32_t)f->off + f->len;
		if (fend <= off || f->off >= end)
			continue;
		if (f->off == off && fend == end && memcmp(f->data, ip->payload, f->len) == 0) {
			TERN_COUNT(st, ip_reasm_dup);
			return 1;
		}
		TERN_COUNT(st, ip_reasm_overlap);
		drop_dgram(st, d);
		return -1;
	}
	return 0;
}

static bool insert(tern_stack *st, dgram *d, const tern_ip4_repr *ip, const uint8_t *raw)
{
	frag *f = tern_mem_alloc(st, sizeof *f + ip->payload_len);
	if (!f)
		return false;
	f->off = ip->frag_off;
	f->len = (uint16_t)ip->payload_len;
	memcpy(f->data, ip->payload, ip->payload_len);
	frag **pp = &d->frags;
	while (*pp && (*pp)->off < f->off)
		pp = &(*pp)->next;
	f->next = *pp;
	*pp = f;
	d->held += f->len;
	st->reasm->bytes += f->len;
	if (f->off == 0) {
		d->hlen = ip->hlen;
		memcpy(d->hdr, raw, ip->hlen);
	}
	if (!ip->mf) {
		d->has_last = true;
		d->total = (uint32_t)f->off + f->len;
	}
	return true;
}

static bool complete(const dgram *d)
{
	if (!d->has_last || !d->hlen)
		return false;
	uint32_t next = 0;
	for (const frag *f = d->frags; f; f = f->next) {
		if (f->off != next)
			return false;
		next += f->len;
	}
	return next == d->total;
}

/* Build the whole datagram, with the first fragment's header made to look
 * unfragmented, and hand it up. */
static void deliver(tern_stack *st, struct tern_iface *ifc, dgram *d)
{
	size_t n = d->hlen + d->total;
	uint8_t *buf = tern_mem_alloc(st, n);
	if (buf) {
		memcpy(buf, d->hdr, d->hlen);
		for (const frag *f = d->frags; f; f = f->next)
			memcpy(buf + d->hlen + f->off, f->data, f->len);
		tern_put16(buf + 2, (uint16_t)n);
		tern_put16(buf + 6, (uint16_t)(tern_get16(buf + 6) & TERN_IP4_DF));
		tern_put16(buf + 10, 0);
		tern_put16(buf + 10, tern_csum(buf, d->hlen));
		tern_ip4_repr ip;
		if (tern_ip4_parse(buf, n, false, &ip) == TERN_WIRE_OK) {
			TERN_COUNT(st, ip_reasm_oks);
			tern_ip4_deliver(st, ifc, &ip, buf, n);
		}
		tern_mem_free(st, buf, n);
	}
	drop_dgram(st, d);
}

void tern_reasm_input(tern_stack *st, struct tern_iface *ifc, const tern_ip4_repr *ip,
		      const uint8_t *raw)
{
	tern_reasm *r = st->reasm;
	TERN_COUNT(st, ip_reasm_reqds);
	/* RFC 791: non-final fragments carry multiples of 8 bytes; and the
	 * datagram may not exceed 65535 bytes (the "ping of death"). */
	if (ip->payload_len == 0 || (ip->mf && ip->payload_len % 8) ||
	    (uint32_t)ip->frag_off + ip->payload_len + ip->hlen > 65535u) {
		TERN_COUNT(st, ip_reasm_bad);
		return;
	}
	dgram *d = find(r, ip);
	if (r->bytes + ip->payload_len > st->cfg.reasm_max_bytes ||
	    (!d && r->count >= st->cfg.reasm_max_datagrams)) {
		TERN_COUNT(st, ip_reasm_over_limit);
		return;
	}
	if (!d && !(d = create(st, ip)))
		return;
	if (!check_bounds(st, d, ip) || check_overlap(st, d, ip) != 0)
		return;
	if (!insert(st, d, ip, raw)) {
		if (!d->frags)
			drop_dgram(st, d);
		return;
	}
	if (complete(d))
		deliver(st, ifc, d);
}
