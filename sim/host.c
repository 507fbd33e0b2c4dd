/*
 * host.c - simulated hosts: a stack (or nothing, for a raw port) over a
 * chain of devices ending in the wire that feeds the link.
 *
 *   stack <-> top <-> [captures...] <-> wire <-> link
 *
 * The top device is what the stack attaches to; it forwards to whatever is
 * currently below, so captures can be slid in after the stack is up.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

#define SIM_DEFAULT_MTU 1500u

static void *host_alloc(void *ctx, size_t size)
{
	tern_sim_host *h = ctx;
	void *p = malloc(size ? size : 1);

	if (p)
		h->mem += size;
	return p;
}

static void host_free_mem(void *ctx, void *p, size_t size)
{
	tern_sim_host *h = ctx;

	if (!p)
		return;
	h->mem -= size;
	free(p);
}

static uint64_t host_random(void *ctx)
{
	return tern_prng_next(&((tern_sim_host *)ctx)->rng);
}

static int top_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_sim_host *h = ((struct sim_port *)d)->host;

	return tern_dev_transmit(h->below, pkt, len, now);
}

static tern_time top_poll(tern_dev *d, tern_time now)
{
	tern_sim_host *h = ((struct sim_port *)d)->host;

	return tern_dev_poll(h->below, now);
}

/* The link runs on the simulation's clock, not on the `now` a stack passes
 * (which is its last poll); nothing leaves while the simulation is torn
 * down. An unlinked port is an unplugged cable. */
static int wire_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_sim_host *h = ((struct sim_port *)d)->host;

	(void)now;
	if (h->sim->closing || !h->out)
		return 0;
	return tern_sim_link_offer(h->out, pkt, len);
}

/* Installed as the receive sink of whatever is just below top. */
static void host_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_sim_host *h = ctx;

	tern_dev_deliver(&h->top.dev, pkt, len, now);
}

static const tern_dev_ops top_ops = {
    .name = "sim-top",
    .transmit = top_transmit,
    .poll = top_poll,
};

static const tern_dev_ops wire_ops = {
    .name = "sim-wire",
    .transmit = wire_transmit,
};

static tern_sim_host *host_new(tern_sim *sim, const char *name)
{
	size_t idx = sim->nhosts;
	tern_sim_host **arr, *h;

	arr = tern_sim_grow(sim->hosts, &sim->hosts_cap, idx + 1, sizeof(*arr));
	if (!arr)
		return NULL;
	sim->hosts = arr;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->sim = sim;
	for (size_t i = 0; i < sizeof(h->name) - 1 && name[i]; i++)
		h->name[i] = name[i];
	h->top = (struct sim_port){.dev = {.ops = &top_ops}, .host = h};
	h->wire =
	    (struct sim_port){.dev = {.ops = &wire_ops, .up = host_rx, .up_ctx = h}, .host = h};
	h->below = &h->wire.dev;
	h->alloc = (tern_allocator){.alloc = host_alloc, .free = host_free_mem, .ctx = h};
	tern_prng_seed(&h->rng, tern_prng_derive(sim->seed, SIM_STREAM_HOST | idx));
	h->deadline = sim->now;
	sim->hosts[sim->nhosts++] = h;
	return h;
}

/* Hosts are kept until the simulation ends; one that failed to come up is
 * taken off the end again, so indices (and streams) stay dense. */
static void host_drop_last(tern_sim *sim)
{
	tern_sim_host_free(sim->hosts[--sim->nhosts]);
}

int tern_sim_raw_add(tern_sim *sim, const char *name, tern_sim_host **out)
{
	tern_sim_host *h;

	if (!sim || !name || !out)
		return TERN_EINVAL;
	h = host_new(sim, name);
	if (!h)
		return TERN_ENOMEM;
	*out = h;
	return 0;
}

static void host_secret(const tern_sim *sim, size_t idx, uint8_t secret[16])
{
	uint64_t x = tern_prng_derive(sim->seed, SIM_STREAM_SECRET | idx);

	for (int i = 0; i < 16; i++) {
		if (i % 8 == 0)
			x = tern_splitmix64(&x);
		secret[i] = (uint8_t)(x >> (8 * (i % 8)));
	}
}

static int host_stack_up(tern_sim_host *h, size_t idx, uint32_t addr, uint8_t prefix, uint32_t mtu,
                         const tern_config *base)
{
	tern_config cfg;
	tern_iface_config ic = {
	    .name = "sim0", .addr = addr, .prefix = prefix, .mtu = mtu ? mtu : SIM_DEFAULT_MTU};
	int rc;

	if (base)
		cfg = *base;
	else
		tern_config_init(&cfg);
	cfg.allocator = h->alloc;
	cfg.random = host_random;
	cfg.random_ctx = h;
	host_secret(h->sim, idx, cfg.secret);
	rc = tern_stack_new(&cfg, &h->st);
	if (rc < 0)
		return rc;
	h->addr = addr;
	tern_sim_trace_host(h);
	return tern_iface_add(h->st, &ic, &h->top.dev, &h->ifc);
}

int tern_sim_host_add_config(tern_sim *sim, const char *name, const char *addr, uint32_t mtu,
                             const tern_config *cfg, tern_sim_host **out)
{
	uint32_t ip;
	uint8_t prefix;
	tern_sim_host *h;
	int rc;

	if (!sim || !name || !addr || !out)
		return TERN_EINVAL;
	if (tern_ip4_from_str(addr, &ip, &prefix) < 0)
		return TERN_EINVAL;
	h = host_new(sim, name);
	if (!h)
		return TERN_ENOMEM;
	rc = host_stack_up(h, sim->nhosts - 1, ip, prefix, mtu, cfg);
	if (rc < 0) {
		host_drop_last(sim);
		return rc;
	}
	*out = h;
	return 0;
}

int tern_sim_host_add(tern_sim *sim, const char *name, const char *addr, uint32_t mtu,
                      tern_sim_host **out)
{
	return tern_sim_host_add_config(sim, name, addr, mtu, NULL, out);
}

void tern_sim_host_free(tern_sim_host *h)
{
	if (!h)
		return;
	if (h->st)
		tern_stack_del(h->st);
	/* Newest first: each middleware hands its lower's sink back. */
	for (size_t i = h->mw_len; i > 0; i--)
		tern_dev_del(h->mw[i - 1]);
	free(h->mw);
	tern_sim_capture_free_all(h->caps);
	free(h);
}

void tern_sim_host_deliver(tern_sim_host *h, const uint8_t *pkt, size_t len)
{
	tern_dev_deliver(&h->wire.dev, pkt, len, h->sim->now);
	/* The stack may have armed timers while taking the packet in. */
	h->deadline = h->sim->now;
}

void tern_sim_host_poll(tern_sim_host *h)
{
	tern_time now = h->sim->now;
	tern_time next = h->st ? tern_stack_poll(h->st, now) : TERN_TIME_NEVER;
	tern_time devs = tern_dev_poll(&h->top.dev, now);

	if (devs < next)
		next = devs;
	/* Everything due at now has just run; a deadline not in the future
	 * would poll again without the clock moving. */
	h->deadline = next <= now ? now + 1 : next;
}

/* Slide a capture tap in just above top's current lower device. */
static int host_add_tap(tern_sim_host *h, tern_pcap_write_fn write, void *ctx)
{
	tern_dev **mw, *tap;
	int rc;

	mw = tern_sim_grow(h->mw, &h->mw_cap, h->mw_len + 1, sizeof(*mw));
	if (!mw)
		return TERN_ENOMEM;
	h->mw = mw;
	rc = tern_pcap_tap_new(&h->alloc, h->below, write, ctx, 0, &tap);
	if (rc < 0)
		return rc;
	h->mw[h->mw_len++] = tap;
	h->below = tap;
	return 0;
}

int tern_sim_capture_host(tern_sim_host *h, tern_pcap_write_fn write, void *ctx)
{
	if (!h || !write)
		return TERN_EINVAL;
	return host_add_tap(h, write, ctx);
}

int tern_sim_pcap_host(tern_sim_host *h, const char *path)
{
	struct sim_capture *c;
	int rc;

	if (!h || !path)
		return TERN_EINVAL;
	rc = tern_sim_capture_open(path, &c);
	if (rc < 0)
		return rc;
	rc = host_add_tap(h, c->write, c->ctx);
	if (rc < 0) {
		tern_sim_capture_free_all(c);
		return rc;
	}
	c->next = h->caps;
	h->caps = c;
	return 0;
}

tern_stack *tern_sim_host_stack(const tern_sim_host *h)
{
	return h->st;
}

tern_iface *tern_sim_host_iface(const tern_sim_host *h)
{
	return h->ifc;
}

tern_dev *tern_sim_host_dev(tern_sim_host *h)
{
	return &h->top.dev;
}

const char *tern_sim_host_name(const tern_sim_host *h)
{
	return h->name;
}

uint32_t tern_sim_host_addr(const tern_sim_host *h)
{
	return h->addr;
}

size_t tern_sim_host_mem(const tern_sim_host *h)
{
	return h->mem;
}
