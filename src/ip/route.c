/* route.c - interfaces and the route table: connected routes come with each
 * interface, others (a default gateway) are added by the embedder. Lookup is
 * longest-prefix match over a short array: a host has few routes. */
#include <string.h>

#include "core/stack.h"

static uint32_t prefix_mask(uint8_t prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static void iface_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	struct tern_iface *ifc = ctx;
	tern_stack_input(ifc->st, ifc, pkt, len, now);
}

int tern_iface_add(tern_stack *st, const tern_iface_config *ic, tern_dev *dev, tern_iface **out)
{
	if (!st || !ic || !dev || ic->prefix > 32 || ic->mtu < 68 || ic->mtu > 65535 ||
	    (ic->tso_max && (ic->tso_max < ic->mtu || ic->tso_max > 65535)) ||
	    (ic->csum_offload & ~(TERN_CSUM_OFFLOAD_TCP_TX | TERN_CSUM_OFFLOAD_RX)))
		return TERN_EINVAL;
	if (tern_ip4_local_iface(st, ic->addr))
		return TERN_EEXIST;
	struct tern_iface *ifc = tern_mem_alloc(st, sizeof *ifc);
	if (!ifc)
		return TERN_ENOMEM;
	memset(ifc, 0, sizeof *ifc);
	ifc->st = st;
	ifc->dev = dev;
	ifc->addr = ic->addr;
	ifc->mask = prefix_mask(ic->prefix);
	ifc->mtu = ic->mtu;
	ifc->tso_max = ic->tso_max;
	ifc->csum_offload = ic->csum_offload;
	if (ic->name) {
		size_t n = strlen(ic->name);
		memcpy(ifc->name, ic->name, n < TERN_IFNAMSIZ - 1 ? n : TERN_IFNAMSIZ - 1);
	}
	int rc = tern_route_add(st, ic->addr & ifc->mask, ic->prefix, 0, ifc);
	if (rc) {
		tern_mem_free(st, ifc, sizeof *ifc);
		return rc;
	}
	ifc->next = st->ifaces;
	st->ifaces = ifc;
	dev->up = iface_rx;
	dev->up_ctx = ifc;
	if (out)
		*out = ifc;
	return 0;
}

uint32_t tern_iface_addr(const tern_iface *ifc) { return ifc->addr; }
uint32_t tern_iface_mtu(const tern_iface *ifc) { return ifc->mtu; }

int tern_route_add(tern_stack *st, uint32_t dst, uint8_t prefix, uint32_t gw, tern_iface *ifc)
{
	if (!st || !ifc || prefix > 32)
		return TERN_EINVAL;
	if (st->nroutes == st->routes_cap) {
		uint32_t cap = st->routes_cap ? st->routes_cap * 2 : 4;
		tern_route *r = tern_mem_alloc(st, cap * sizeof *r);
		if (!r)
			return TERN_ENOMEM;
		if (st->nroutes)
			memcpy(r, st->routes, st->nroutes * sizeof *r);
		tern_mem_free(st, st->routes, st->routes_cap * sizeof *r);
		st->routes = r;
		st->routes_cap = cap;
	}
	tern_route *r = &st->routes[st->nroutes++];
	r->mask = prefix_mask(prefix);
	r->dst = dst & r->mask;
	r->prefix = prefix;
	r->gw = gw;
	r->ifc = ifc;
	return 0;
}

struct tern_iface *tern_route_lookup(tern_stack *st, uint32_t dst, uint32_t *next_hop)
{
	const tern_route *best = NULL;
	for (uint32_t i = 0; i < st->nroutes; i++) {
		const tern_route *r = &st->routes[i];
		if ((dst & r->mask) == r->dst && (!best || r->prefix > best->prefix))
			best = r;
	}
	if (!best)
		return NULL;
	if (next_hop)
		*next_hop = best->gw ? best->gw : dst;
	return best->ifc;
}

struct tern_iface *tern_ip4_local_iface(tern_stack *st, uint32_t addr)
{
	for (struct tern_iface *i = st->ifaces; i; i = i->next)
		if (i->addr == addr)
			return i;
	return NULL;
}

bool tern_ip4_is_bcast_or_mcast(const struct tern_iface *ifc, uint32_t addr)
{
	if (addr == 0xffffffffu || (addr >> 28) == 0xe)
		return true;
	/* Directed broadcast of the interface's subnet (RFC 1122 3.2.1.3),
	 * meaningful only when the prefix leaves host bits. */
	return ifc && ifc->mask != 0xffffffffu && ifc->mask != 0xfffffffeu &&
	       (addr & ~ifc->mask) == ~ifc->mask && (addr & ifc->mask) == (ifc->addr & ifc->mask);
}

void tern_ip4_negative_advice(tern_stack *st, uint32_t dst)
{
	(void)dst;
	TERN_COUNT(st, ip_negative_advice);
}
