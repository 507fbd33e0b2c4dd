/* fixture.h - a stack on a capture device, for tests that inject packets
 * and inspect what the stack sends. Deterministic: fixed random seed. */
#ifndef TERN_TEST_FIXTURE_H
#define TERN_TEST_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "tern/dev.h"
#include "tern/tern.h"
#include "wire/wire.h"

#define FX_MAX_PKTS 256

typedef struct fx_alloc {
	size_t live_bytes, peak_bytes;
} fx_alloc;

static inline void *fx_malloc(void *ctx, size_t n)
{
	fx_alloc *a = ctx;
	a->live_bytes += n;
	if (a->live_bytes > a->peak_bytes)
		a->peak_bytes = a->live_bytes;
	return malloc(n);
}
static inline void fx_free(void *ctx, void *p, size_t n)
{
	fx_alloc *a = ctx;
	if (p)
		a->live_bytes -= n;
	free(p);
}
static inline uint64_t fx_random(void *ctx)
{
	uint64_t *s = ctx;
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

typedef struct fx_pkt {
	uint8_t *data;
	size_t len;
} fx_pkt;

typedef struct fixture {
	tern_dev dev;
	fx_alloc alloc;
	uint64_t seed;
	tern_stack *st;
	tern_iface *ifc;
	fx_pkt out[FX_MAX_PKTS];
	size_t nout;
} fixture;

static inline int fx_transmit(tern_dev *d, const uint8_t *p, size_t n, tern_time now)
{
	(void)now;
	fixture *f = (fixture *)d;
	if (f->nout == FX_MAX_PKTS)
		return TERN_ENOBUFS;
	f->out[f->nout].data = malloc(n);
	memcpy(f->out[f->nout].data, p, n);
	f->out[f->nout].len = n;
	f->nout++;
	return 0;
}
static const tern_dev_ops fx_ops = {"capture", fx_transmit, NULL, NULL};

static inline void fx_clear(fixture *f)
{
	for (size_t i = 0; i < f->nout; i++)
		free(f->out[i].data);
	f->nout = 0;
}

/* addr/prefix for the stack's interface, with the checksum offloads
 * csum_offload (TERN_CSUM_OFFLOAD_*); cfg may adjust limits. */
static inline int fx_init_ifc(fixture *f, uint32_t addr, uint8_t prefix, uint32_t mtu,
			      uint32_t csum_offload, tern_config *cfg)
{
	memset(f, 0, sizeof *f);
	f->dev.ops = &fx_ops;
	f->seed = 0x9e3779b97f4a7c15ull;
	cfg->allocator.alloc = fx_malloc;
	cfg->allocator.free = fx_free;
	cfg->allocator.ctx = &f->alloc;
	cfg->random = fx_random;
	cfg->random_ctx = &f->seed;
	for (int i = 0; i < 16; i++)
		cfg->secret[i] = (uint8_t)(0xa5 ^ i);
	int rc = tern_stack_new(cfg, &f->st);
	if (rc)
		return rc;
	tern_iface_config ic = {"fx0", addr, prefix, mtu, 0, csum_offload};
	return tern_iface_add(f->st, &ic, &f->dev, &f->ifc);
}

/* addr/prefix for the stack's interface; cfg may adjust limits. */
static inline int fx_init_cfg(fixture *f, uint32_t addr, uint8_t prefix, uint32_t mtu, tern_config *cfg)
{
	return fx_init_ifc(f, addr, prefix, mtu, 0, cfg);
}

static inline int fx_init_offload(fixture *f, uint32_t addr, uint32_t mtu, uint32_t csum_offload)
{
	tern_config cfg;
	tern_config_init(&cfg);
	/* Tests reason about the 64 KiB default buffer and its window field:
	 * receive-buffer auto-tuning is off unless a test turns it on. */
	cfg.tcp_rcvbuf_max = cfg.tcp_rcvbuf;
	return fx_init_ifc(f, addr, 24, mtu, csum_offload, &cfg);
}

static inline int fx_init(fixture *f, uint32_t addr, uint32_t mtu)
{
	return fx_init_offload(f, addr, mtu, 0);
}

static inline void fx_fini(fixture *f)
{
	tern_stack_del(f->st);
	fx_clear(f);  /* after: closing sockets may send resets */
}

static inline void fx_input(fixture *f, const uint8_t *p, size_t n, tern_time now)
{
	tern_stack_input(f->st, f->ifc, p, n, now);
}

/* Build an IPv4 packet around payload into buf; returns its length. */
static inline size_t fx_ip4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
		     uint16_t frag_off, bool mf, const uint8_t *payload, size_t n)
{
	tern_ip4_repr h = {0};
	h.total_len = (uint16_t)(TERN_IP4_HLEN + n);
	h.id = id;
	h.mf = mf;
	h.frag_off = frag_off;
	h.ttl = 64;
	h.proto = proto;
	h.src = src;
	h.dst = dst;
	memmove(buf + TERN_IP4_HLEN, payload, n);
	tern_ip4_build(buf, TERN_IP4_HLEN, &h);
	return TERN_IP4_HLEN + n;
}

/* A whole IPv4/UDP datagram into buf. */
static inline size_t fx_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		     const uint8_t *payload, size_t n)
{
	static uint8_t tmp[70000];
	size_t ulen = tern_udp_build(tmp, sizeof tmp, sport, dport, payload, n, src, dst, true);
	return fx_ip4(buf, src, dst, TERN_IPPROTO_UDP, 1, 0, false, tmp, ulen);
}

/* FNV-1a over a byte stream, chained: transfer tests compare what
 * arrived with what was sent by this hash. */
#define FX_FNV_BASIS 0xcbf29ce484222325ull
static inline uint64_t fx_fnv(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* n bytes of a seeded pseudo-random stream: transfer tests' payloads. */
static inline void fx_fill(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(seed >> 56);
	}
}

#define FX_US TERN_IP4(192, 0, 2, 2)
#define FX_PEER TERN_IP4(192, 0, 2, 1)

#endif
