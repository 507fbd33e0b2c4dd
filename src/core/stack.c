/* stack.c - the stack object: creation from a configuration, the two entry
 * points that carry time in (input, poll), and teardown. */
#include <string.h>

#include "core/stack.h"
#include "sock/socket.h"
#include "tcp/tcp.h"

static void apply_defaults(tern_config *c)
{
	tern_config d;
	tern_config_init(&d);
#define DEF(f) if (!c->f) c->f = d.f
	DEF(pkt_pool_count);
	DEF(pkt_buf_size);
	DEF(max_sockets);
	DEF(reasm_max_bytes);
	DEF(reasm_max_datagrams);
	DEF(reasm_timeout);
	DEF(udp_rcvq_max);
	DEF(icmp_err_rate);
	DEF(icmp_err_burst);
	DEF(ip_ttl);
	DEF(tcp_max_conns);
	DEF(tcp_max_time_wait);
	DEF(tcp_sndbuf);
	DEF(tcp_rcvbuf);
	DEF(tcp_rcvbuf_max);
	DEF(tcp_sndbuf_max);
	DEF(tcp_mem_max);
	DEF(tcp_msl);
	DEF(tcp_rto_min);
	DEF(tcp_rto_max);
	DEF(tcp_delack);
	DEF(tcp_fin_wait2);
	DEF(tcp_syn_retries);
	DEF(tcp_retries1);
	DEF(tcp_retries2);
	DEF(tcp_challenge_ack_limit);
#undef DEF
}

int tern_stack_new(const tern_config *cfg, tern_stack **out)
{
	if (!cfg || !out || !cfg->allocator.alloc || !cfg->allocator.free || !cfg->random)
		return TERN_EINVAL;
	/* A pooled buffer must hold at least a minimal IPv4 datagram (RFC 791:
	 * every host accepts 576 bytes) plus head room. */
	if (cfg->pkt_buf_size && cfg->pkt_buf_size < 640)
		return TERN_EINVAL;
	/* RFC 6528 (RFC 9293 MUST-9): ISNs, ports and cookies come from a keyed
	 * hash; an all-zero key is the sign of a caller that forgot it. */
	uint8_t any = 0;
	for (size_t i = 0; i < sizeof cfg->secret; i++)
		any |= cfg->secret[i];
	if (!any)
		return TERN_EINVAL;
	tern_stack *st = cfg->allocator.alloc(cfg->allocator.ctx, sizeof *st);
	if (!st)
		return TERN_ENOMEM;
	memset(st, 0, sizeof *st);
	st->cfg = *cfg;
	apply_defaults(&st->cfg);
	tern_wheel_init(&st->wheel, 0);
	st->ip_id = (uint16_t)tern_random(st);
	st->icmp_tokens_milli = (uint64_t)st->cfg.icmp_err_burst * 1000;
	int rc = tern_pkt_pool_init(st, &st->pool, st->cfg.pkt_pool_count, st->cfg.pkt_buf_size);
	if (rc == 0)
		rc = tern_reasm_init(st);
	if (rc == 0)
		rc = tern_tcp_init(st);
	if (rc) {
		tern_stack_del(st);
		return rc;
	}
	*out = st;
	return 0;
}

void tern_stack_del(tern_stack *st)
{
	if (!st)
		return;
	st->cfg.trace = NULL;  /* teardown is not traffic; the sink may be gone */
	tern_sockets_free_all(st);
	tern_tcp_free(st);
	tern_reasm_free(st);
	while (st->ifaces) {
		struct tern_iface *i = st->ifaces;
		st->ifaces = i->next;
		if (i->dev && i->dev->up_ctx == i) {
			i->dev->up = NULL;
			i->dev->up_ctx = NULL;
		}
		tern_mem_free(st, i, sizeof *i);
	}
	tern_mem_free(st, st->routes, st->routes_cap * sizeof *st->routes);
	tern_pkt_pool_free(st, &st->pool);
	st->cfg.allocator.free(st->cfg.allocator.ctx, st, sizeof *st);
}

void tern_stack_set_trace(tern_stack *st, tern_trace_fn fn, void *ctx)
{
	st->cfg.trace = fn;
	st->cfg.trace_ctx = fn ? ctx : NULL;
}

static void advance_clock(tern_stack *st, tern_time now)
{
	/* A clock that steps back must not rewind timers: the core keeps the
	 * latest time it was given. */
	if (now > st->now)
		st->now = now;
	tern_wheel_advance(&st->wheel, st->now);
}

tern_time tern_stack_poll(tern_stack *st, tern_time now)
{
	advance_clock(st, now);
	return tern_wheel_next(&st->wheel);
}

tern_time tern_stack_now(const tern_stack *st) { return st->now; }

void tern_stack_counters(const tern_stack *st, tern_counters *out) { *out = st->ctr; }

void tern_stack_input(tern_stack *st, tern_iface *ifc, const uint8_t *pkt, size_t len,
		      tern_time now)
{
	advance_clock(st, now);
	if (!ifc || !pkt)
		return;
	tern_ip4_input(st, ifc, pkt, len);
}

void tern_stack_batch_begin(tern_stack *st)
{
	st->batch_depth++;
}

void tern_stack_batch_end(tern_stack *st)
{
	if (st->batch_depth && --st->batch_depth == 0)
		tern_tcp_flush(st);
}
