/* fuzz.h - what every tern fuzz harness shares: a reader over the fuzzer's
 * bytes, an allocator that counts live bytes, checks sizes and can refuse
 * on demand, a capture device, checksum fix-ups and the invariants on error
 * codes and counters. Header-only; each harness is one .c file defining
 * LLVMFuzzerTestOneInput. Every loop here is bounded. */
#ifndef TERN_FUZZ_H
#define TERN_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "tern/dev.h"
#include "tern/tern.h"
#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed invariant: say which, then abort so libFuzzer saves the input. */
#define FZ_CHECK(cond)                                                              \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "fuzz invariant failed: %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                                   \
			abort();                                                    \
		}                                                                   \
	} while (0)

/* ---- the fuzzer's bytes -------------------------------------------------- */

typedef struct fz_in {
	const uint8_t *p;
	size_t n;
} fz_in;

static inline bool fz_more(const fz_in *in) { return in->n > 0; }
static inline uint8_t fz_u8(fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}
static inline uint16_t fz_u16(fz_in *in)
{
	uint16_t hi = fz_u8(in);
	return (uint16_t)((hi << 8) | fz_u8(in));
}
static inline uint32_t fz_u32(fz_in *in)
{
	uint32_t hi = fz_u16(in);
	return (hi << 16) | fz_u16(in);
}
/* Up to n bytes (fewer when the input runs out); returns how many. */
static inline size_t fz_take(fz_in *in, uint8_t *out, size_t n)
{
	if (n > in->n)
		n = in->n;
	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

/* ---- the allocator ---------------------------------------------------------
 * Each block carries its size in front, so a free with a different size
 * than the allocation (the tern_allocator contract) is caught at once.
 * fail_at > 0 refuses the fail_at-th allocation from now, fail_n of them. */
typedef struct fz_alloc {
	size_t live_bytes, live_blocks, peak_bytes;
	uint64_t allocs, refusals;
	uint32_t fail_at, fail_n;
} fz_alloc;

#define FZ_HDR 16

static inline void *fz_malloc(void *ctx, size_t n)
{
	fz_alloc *a = ctx;
	if (a->fail_at) {
		if (--a->fail_at == 0) {
			if (a->fail_n > 1) {
				a->fail_n--;
				a->fail_at = 1;
			}
			a->refusals++;
			return NULL;
		}
	}
	if (n > ((size_t)256 << 20))
		return NULL; /* nothing in tern asks for this much */
	uint8_t *p = malloc(n + FZ_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	a->allocs++;
	a->live_bytes += n;
	a->live_blocks++;
	if (a->live_bytes > a->peak_bytes)
		a->peak_bytes = a->live_bytes;
	return p + FZ_HDR;
}

static inline void fz_free(void *ctx, void *p, size_t n)
{
	fz_alloc *a = ctx;
	if (!p)
		return;
	uint8_t *b = (uint8_t *)p - FZ_HDR;
	size_t was;
	memcpy(&was, b, sizeof was);
	if (was != n) {
		fprintf(stderr, "fuzz invariant failed: free of %zu bytes given size %zu\n", was, n);
		abort();
	}
	FZ_CHECK(a->live_bytes >= n && a->live_blocks > 0);
	a->live_bytes -= n;
	a->live_blocks--;
	free(b);
}

static inline uint64_t fz_random(void *ctx)
{
	uint64_t *s = ctx;
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- a capture device ------------------------------------------------------
 * Keeps what the stack sends (up to FZ_CAP_MAX packets; beyond, it refuses
 * like a full queue) and counts calls, so tern's counters can be checked. */
#define FZ_CAP_MAX 512

typedef struct fz_pkt {
	uint8_t *data;
	size_t len;
} fz_pkt;

typedef struct fz_cap {
	tern_dev dev; /* first: the transmit callback finds the capture from it */
	fz_pkt pkt[FZ_CAP_MAX];
	size_t n;
	uint64_t calls, refused, bytes;
	size_t mtu;
} fz_cap;

static inline int fz_cap_transmit(tern_dev *d, const uint8_t *p, size_t n, tern_time now)
{
	(void)now;
	fz_cap *c = (fz_cap *)d;
	c->calls++;
	/* What a stack sends is a well-formed IPv4 packet within the MTU. */
	tern_ip4_repr ip;
	FZ_CHECK(tern_ip4_parse(p, n, true, &ip) == TERN_WIRE_OK);
	FZ_CHECK(ip.total_len == n);
	FZ_CHECK(!c->mtu || n <= c->mtu);
	if (c->n == FZ_CAP_MAX) {
		c->refused++;
		return TERN_ENOBUFS;
	}
	uint8_t *copy = malloc(n ? n : 1);
	FZ_CHECK(copy != NULL);
	memcpy(copy, p, n);
	c->pkt[c->n].data = copy;
	c->pkt[c->n].len = n;
	c->n++;
	c->bytes += n;
	return 0;
}

static const tern_dev_ops fz_cap_ops = {"fuzz-capture", fz_cap_transmit, NULL, NULL};

static inline void fz_cap_clear(fz_cap *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->pkt[i].data);
	c->n = 0;
}

/* ---- checksums --------------------------------------------------------- */

/* Make an IPv4 packet's header checksum right, and the transport checksum
 * too when the packet is a whole datagram (not a fragment) whose transport
 * header fits. Leaves anything it cannot make sense of as it is. */
static inline void fz_fix_l4(uint8_t *l4, size_t len, uint8_t proto, uint32_t src, uint32_t dst)
{
	if (proto == TERN_IPPROTO_TCP && len >= TERN_TCP_HLEN && len <= 0xffff) {
		tern_put16(l4 + 16, 0);
		uint64_t acc = tern_csum_pseudo4(src, dst, TERN_IPPROTO_TCP, (uint16_t)len);
		tern_put16(l4 + 16, (uint16_t)~tern_csum_fold(tern_csum_add(acc, l4, len)));
	} else if (proto == TERN_IPPROTO_UDP && len >= TERN_UDP_HLEN) {
		uint16_t ulen = tern_get16(l4 + 4);
		if (ulen < TERN_UDP_HLEN || ulen > len)
			return;
		tern_put16(l4 + 6, 0);
		uint64_t acc = tern_csum_pseudo4(src, dst, TERN_IPPROTO_UDP, ulen);
		uint16_t c = (uint16_t)~tern_csum_fold(tern_csum_add(acc, l4, ulen));
		tern_put16(l4 + 6, c ? c : 0xffff);
	} else if (proto == TERN_IPPROTO_ICMP && len >= 8) {
		tern_put16(l4 + 2, 0);
		tern_put16(l4 + 2, tern_csum(l4, len));
	}
}

static inline void fz_fix_ip4(uint8_t *p, size_t len)
{
	if (len < TERN_IP4_HLEN || (p[0] >> 4) != 4)
		return;
	size_t hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < TERN_IP4_HLEN || hl > len)
		return;
	size_t tot = tern_get16(p + 2);
	uint16_t frag = tern_get16(p + 6);
	if (tot >= hl && tot <= len && !(frag & (TERN_IP4_MF | TERN_IP4_OFFMASK)))
		fz_fix_l4(p + hl, tot - hl, p[9], tern_get32(p + 12), tern_get32(p + 16));
	tern_put16(p + 10, 0);
	tern_put16(p + 10, tern_csum(p, hl));
}

/* ---- invariants ---------------------------------------------------------- */

/* Is rc 0, a count, or one of the TERN_E* codes tern.h lists? */
static inline bool fz_rc_ok(int rc)
{
	if (rc >= 0)
		return true;
	switch (rc) {
	case TERN_EPERM: case TERN_ENOENT: case TERN_EBADF: case TERN_EAGAIN:
	case TERN_ENOMEM: case TERN_EFAULT: case TERN_EEXIST: case TERN_EINVAL:
	case TERN_ENOSPC: case TERN_EPIPE: case TERN_ENOSYS: case TERN_EPROTO:
	case TERN_EDESTADDRREQ: case TERN_EMSGSIZE: case TERN_EPROTONOSUPPORT:
	case TERN_EOPNOTSUPP: case TERN_EADDRINUSE: case TERN_EADDRNOTAVAIL:
	case TERN_ENETUNREACH: case TERN_ECONNABORTED: case TERN_ECONNRESET:
	case TERN_ENOBUFS: case TERN_EISCONN: case TERN_ENOTCONN: case TERN_ETIMEDOUT:
	case TERN_ECONNREFUSED: case TERN_EHOSTUNREACH: case TERN_EALREADY:
	case TERN_EINPROGRESS:
		return strcmp(tern_strerror(rc), "unknown error") != 0;
	default:
		return false;
	}
}
static inline int fz_rc_at(int rc, const char *what, const char *file, int line)
{
	if (!fz_rc_ok(rc)) {
		fprintf(stderr, "fuzz invariant failed: %s:%d: %s returned %d\n", file, line,
			what, rc);
		abort();
	}
	return rc;
}
/* Evaluate a tern call and check its result is a valid return. */
#define FZ_RC(expr) fz_rc_at((expr), #expr, __FILE__, __LINE__)

#define FZ_EV_ALL                                                                    \
	(TERN_EV_READABLE | TERN_EV_WRITABLE | TERN_EV_ERROR | TERN_EV_HUP |         \
	 TERN_EV_URGENT | TERN_EV_SOFT_ERROR)

/* Counters only grow, and agree with what the harness saw: every packet
 * handed in is a receive, every transmit call on the device is a send. */
typedef struct fz_ctr {
	tern_counters last;
	uint64_t inputs; /* tern_stack_input calls made by the harness */
} fz_ctr;

static inline void fz_ctr_check(fz_ctr *k, const tern_stack *st, const fz_cap *cap)
{
	tern_counters c;
	tern_stack_counters(st, &c);
	const uint64_t *now = (const uint64_t *)&c, *was = (const uint64_t *)&k->last;
	for (size_t i = 0; i < tern_counter_count(); i++) {
		if (now[i] < was[i]) {
			fprintf(stderr, "fuzz invariant failed: counter %s went from %llu to %llu\n",
				tern_counter_name(i), (unsigned long long)was[i],
				(unsigned long long)now[i]);
			abort();
		}
	}
	FZ_CHECK(c.ip_in_receives == k->inputs);
	FZ_CHECK(c.ip_in_delivers <= c.ip_in_receives);
	FZ_CHECK(c.ip_reasm_oks <= c.ip_reasm_reqds);
	FZ_CHECK(c.tcp_in_errs <= c.tcp_in_segs);
	FZ_CHECK(c.tcp_out_rsts <= c.tcp_out_segs);
	FZ_CHECK(c.ip_out_requests == cap->calls);
	FZ_CHECK(c.ip_out_dev_errors == cap->refused);
	k->last = c;
}

/* A stack on a capture device at `addr`/24, with the given configuration
 * (allocator, random source and secret are filled in here). */
static inline int fz_stack_new(tern_config *cfg, fz_alloc *a, uint64_t *seed, fz_cap *cap,
			       uint32_t addr, uint32_t mtu, tern_stack **st, tern_iface **ifc)
{
	cfg->allocator.alloc = fz_malloc;
	cfg->allocator.free = fz_free;
	cfg->allocator.ctx = a;
	cfg->random = fz_random;
	cfg->random_ctx = seed;
	for (int i = 0; i < 16; i++)
		cfg->secret[i] = (uint8_t)(0xa5 ^ (i * 7));
	memset(cap, 0, sizeof *cap);
	cap->dev.ops = &fz_cap_ops;
	cap->mtu = mtu;
	int rc = tern_stack_new(cfg, st);
	if (rc)
		return rc;
	tern_iface_config ic = {"fz0", addr, 24, mtu, 0, 0};
	rc = tern_iface_add(*st, &ic, &cap->dev, ifc);
	if (rc) {
		tern_stack_del(*st);
		*st = NULL;
	}
	return rc;
}

#endif
