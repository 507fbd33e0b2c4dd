/* stack_env.h - a whole stack for the input-path fuzzers (fuzz_stack,
 * fuzz_tcpseg), set up the same way for every input and for the corpus
 * generator:
 *
 *   tern at 192.0.2.2/24 on a capture device, the peer at 192.0.2.1;
 *   a UDP socket bound to port 7;
 *   a TCP listener on port 80 (backlog 2);
 *   conn 0: 192.0.2.1:40000 -> :80, established by an injected handshake
 *           (the peer offers MSS, SACK-permitted, timestamps, window scale);
 *   conn 1: an active open to 192.0.2.1:443, established by an injected
 *           SYN-ACK (MSS only);
 *   conns 2..5: 192.0.2.1:40001..40004 -> :80, not opened yet.
 *
 * The environment reads everything the stack sends, checks it is well
 * formed, and tracks per connection what a peer needs to answer in
 * sequence: the stack's SND.NXT (highest sequence it sent) and RCV.NXT (the
 * last ACK it sent), its latest timestamp, the last packet (for ICMP
 * quotes). env_fini closes every socket, runs the clock until the stack is
 * idle (TIME-WAIT, orphans and reassembly all expire) and checks that the
 * memory returns to the empty stack's, then to zero. Every loop is bounded. */
#ifndef TERN_FUZZ_STACK_ENV_H
#define TERN_FUZZ_STACK_ENV_H

#include "fuzz.h"

#define ENV_US TERN_IP4(192, 0, 2, 2)
#define ENV_PEER TERN_IP4(192, 0, 2, 1)
#define ENV_T0 TERN_SEC(1)
#define ENV_NCONN 6
#define ENV_NEXTRA 4
#define ENV_MTU 1500
#define ENV_LPORT 80
#define ENV_UDP_PORT 7
#define ENV_ACTIVE_PORT 443
#define ENV_PASSIVE_PORT 40000
#define ENV_QUOTE 96
#define ENV_MAX_BATCH 3
#define ENV_IDLE_LIMIT TERN_SEC(3 * 24 * 3600)

typedef struct env_conn {
	uint16_t lport, pport;  /* tern's port, the peer's */
	bool seen;              /* tern has sent on this 4-tuple */
	bool acked;             /* stack_ack holds tern's latest ACK */
	bool ts;                /* tern sends timestamps here */
	uint32_t stack_nxt;     /* the highest sequence tern sent, plus one */
	uint32_t stack_ack;     /* tern's RCV.NXT as it last acknowledged */
	uint32_t ts_recent;     /* tern's latest TSval */
	uint32_t peer_isn;
	uint32_t peer_nxt;      /* the peer's next sequence: tern's latest ACK, plus
				   what the peer sent in sequence since */
	size_t last_len;
	uint8_t last[ENV_QUOTE]; /* the start of the last packet tern sent here */
	tern_socket *sock;      /* the application's handle, or NULL */
} env_conn;

typedef struct env {
	fz_cap cap;
	fz_alloc alloc;
	uint64_t seed;
	tern_stack *st;
	tern_iface *ifc;
	tern_time now;
	fz_ctr ctr;
	size_t base_live;
	tern_socket *udp, *lsn;
	tern_socket *extra[ENV_NEXTRA]; /* accepted from untracked peers */
	env_conn c[ENV_NCONN];
	int batch;
	uint32_t ts_clock;
	uint64_t app_ops;
} env;

static uint8_t env_pattern[65536];
/* The corpus generator (gen_corpus.c) watches what goes in and out. */
static void (*env_in_hook)(const uint8_t *pkt, size_t len);
static void (*env_out_hook)(const uint8_t *pkt, size_t len);
static uint8_t env_scratch[65536 + 128];

static inline bool env_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* ---- what tern sends ----------------------------------------------------- */

static inline env_conn *env_find(env *e, uint16_t lport, uint16_t pport)
{
	for (int i = 0; i < ENV_NCONN; i++)
		if (e->c[i].lport == lport && e->c[i].pport == pport)
			return &e->c[i];
	return NULL;
}

static inline void env_seen_tcp(env *e, const uint8_t *pkt, size_t len, const tern_ip4_repr *ip)
{
	tern_tcp_repr t;
	/* Every segment tern sends is well formed, checksum included. */
	FZ_CHECK(tern_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, true, &t) ==
		 TERN_WIRE_OK);
	if (ip->dst != ENV_PEER)
		return;
	env_conn *c = env_find(e, t.sport, t.dport);
	if (!c)
		return;
	uint32_t end = t.seq + (uint32_t)t.payload_len + !!(t.flags & TERN_TCP_SYN) +
		       !!(t.flags & TERN_TCP_FIN);
	if (!(t.flags & TERN_TCP_RST) && (!c->seen || env_seq_gt(end, c->stack_nxt)))
		c->stack_nxt = end;
	if (!(t.flags & TERN_TCP_RST))
		c->seen = true;
	if (t.flags & TERN_TCP_ACK) {
		c->stack_ack = t.ack;
		c->peer_nxt = t.ack;
		c->acked = true;
	}
	if (t.opts.present & TERN_TCPO_TS) {
		c->ts = true;
		c->ts_recent = t.opts.ts_val;
	}
	c->last_len = len < ENV_QUOTE ? len : ENV_QUOTE;
	memcpy(c->last, pkt, c->last_len);
}

/* Read and check what tern sent, then forget it. */
static inline void env_collect(env *e)
{
	for (size_t i = 0; i < e->cap.n; i++) {
		const uint8_t *p = e->cap.pkt[i].data;
		size_t n = e->cap.pkt[i].len;
		if (env_out_hook)
			env_out_hook(p, n);
		tern_ip4_repr ip;
		FZ_CHECK(tern_ip4_parse(p, n, true, &ip) == TERN_WIRE_OK);
		FZ_CHECK(ip.src == ENV_US);
		if (ip.frag_off || ip.mf)
			continue;
		if (ip.proto == TERN_IPPROTO_TCP) {
			env_seen_tcp(e, p, n, &ip);
		} else if (ip.proto == TERN_IPPROTO_UDP) {
			tern_udp_repr u;
			FZ_CHECK(tern_udp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, true, &u) ==
				 TERN_WIRE_OK);
		} else if (ip.proto == TERN_IPPROTO_ICMP) {
			tern_icmp4_repr m;
			FZ_CHECK(tern_icmp4_parse(ip.payload, ip.payload_len, &m) == TERN_WIRE_OK);
		}
	}
	fz_cap_clear(&e->cap);
	fz_ctr_check(&e->ctr, e->st, &e->cap);
}

/* ---- what the peer sends ------------------------------------------------- */

static inline void env_input(env *e, const uint8_t *pkt, size_t len)
{
	/* An exact-size copy: tern must not read past what it was given. */
	uint8_t *copy = malloc(len ? len : 1);
	FZ_CHECK(copy != NULL);
	memcpy(copy, pkt, len);
	e->ctr.inputs++;
	if (env_in_hook)
		env_in_hook(copy, len);
	tern_stack_input(e->st, e->ifc, copy, len, e->now);
	free(copy);
	env_collect(e);
}

/* An IPv4 packet from the peer around l4 (which may already sit at
 * env_scratch + 20), checksums made right. */
static inline void env_send_ip(env *e, uint8_t proto, const uint8_t *l4, size_t l4len)
{
	if (l4len > 65535 - TERN_IP4_HLEN)
		l4len = 65535 - TERN_IP4_HLEN;
	uint8_t *b = env_scratch;
	memmove(b + TERN_IP4_HLEN, l4, l4len);
	tern_ip4_repr h = {0};
	h.total_len = (uint16_t)(TERN_IP4_HLEN + l4len);
	h.id = (uint16_t)e->ctr.inputs;
	h.ttl = 64;
	h.proto = proto;
	h.src = ENV_PEER;
	h.dst = ENV_US;
	tern_ip4_build(b, TERN_IP4_HLEN, &h);
	fz_fix_ip4(b, TERN_IP4_HLEN + l4len);
	env_input(e, b, TERN_IP4_HLEN + l4len);
}

typedef struct env_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd, urp;
	const uint8_t *opts; /* raw option bytes (padded with EOL to 4) */
	size_t optlen;       /* at most 40 */
	const uint8_t *payload;
	size_t plen;
} env_seg;

static inline void env_send_seg(env *e, const env_seg *s)
{
	uint8_t *t = env_scratch + TERN_IP4_HLEN;
	size_t olen = s->optlen > 40 ? 40 : s->optlen;
	size_t padded = (olen + 3) & ~(size_t)3;
	size_t hlen = TERN_TCP_HLEN + padded;
	size_t plen = s->plen;
	if (plen > 65535 - TERN_IP4_HLEN - hlen)
		plen = 65535 - TERN_IP4_HLEN - hlen;
	tern_put16(t, s->sport);
	tern_put16(t + 2, s->dport);
	tern_put32(t + 4, s->seq);
	tern_put32(t + 8, s->ack);
	t[12] = (uint8_t)((hlen / 4) << 4);
	t[13] = s->flags;
	tern_put16(t + 14, s->wnd);
	tern_put16(t + 16, 0);
	tern_put16(t + 18, s->urp);
	if (olen)
		memcpy(t + TERN_TCP_HLEN, s->opts, olen);
	memset(t + TERN_TCP_HLEN + olen, TERN_TCPOPT_EOL, padded - olen);
	if (plen)
		memcpy(t + hlen, s->payload, plen);
	env_send_ip(e, TERN_IPPROTO_TCP, t, hlen + plen);
}

/* The peer's timestamp option for conn c (TSval from the harness clock,
 * TSecr echoing tern's latest), as NOP NOP TS. */
static inline size_t env_ts_opt(env *e, const env_conn *c, uint8_t *o)
{
	tern_tcp_opts to = {0};
	to.present = TERN_TCPO_TS;
	to.ts_val = e->ts_clock;
	to.ts_ecr = c->ts_recent;
	return tern_tcp_opts_build(o, 40, &to);
}

/* ---- the application --------------------------------------------------- */

static inline void env_advance(env *e, tern_time dt)
{
	e->now += dt;
	e->ts_clock += (uint32_t)(dt / 1000);
	tern_stack_poll(e->st, e->now);
	env_collect(e);
}

/* Run to the stack's next deadline (when it has one within a day). */
static inline void env_next_deadline(env *e)
{
	tern_time next = tern_stack_poll(e->st, e->now);
	env_collect(e);
	if (next != TERN_TIME_NEVER && next > e->now && next - e->now <= TERN_SEC(86400))
		env_advance(e, next - e->now);
}

static inline void env_check_socket(tern_socket *s)
{
	unsigned ev = tern_socket_events(s);
	FZ_CHECK((ev & ~(unsigned)FZ_EV_ALL) == 0);
	tern_endpoint l, r;
	FZ_CHECK(tern_socket_name(s, &l, &r) == 0);
	tern_tcp_info info;
	int rc = FZ_RC(tern_socket_info(s, &info));
	if (rc == 0) {
		FZ_CHECK(info.state >= TERN_TCP_CLOSED && info.state <= TERN_TCP_TIME_WAIT);
		FZ_CHECK(strcmp(tern_tcp_state_name(info.state), "?") != 0);
		FZ_CHECK(memchr(info.cc, 0, sizeof info.cc) != NULL);
	}
}

static inline void env_walk_cb(const tern_tcp_info *info, void *ctx)
{
	size_t *n = ctx;
	FZ_CHECK(info->state >= TERN_TCP_CLOSED && info->state <= TERN_TCP_TIME_WAIT);
	(*n)++;
}

static inline void env_close(tern_socket **s, bool abortive)
{
	if (!*s)
		return;
	FZ_CHECK(FZ_RC(abortive ? tern_socket_abort(*s) : tern_socket_close(*s)) == 0);
	*s = NULL;
}

static inline void env_open_listener(env *e, int backlog)
{
	tern_endpoint any = {0, ENV_LPORT};
	if (FZ_RC(tern_tcp_open(e->st, &e->lsn)) != 0) {
		e->lsn = NULL;
		return;
	}
	if (FZ_RC(tern_socket_bind(e->lsn, &any)) != 0 ||
	    FZ_RC(tern_socket_listen(e->lsn, backlog)) != 0)
		env_close(&e->lsn, false);
}

/* Open conn 1 again (a new ephemeral port); its SYN goes out now. */
static inline void env_connect_active(env *e)
{
	env_conn *c = &e->c[1];
	if (c->sock)
		return;
	if (FZ_RC(tern_tcp_open(e->st, &c->sock)) != 0) {
		c->sock = NULL;
		return;
	}
	tern_endpoint dst = {ENV_PEER, ENV_ACTIVE_PORT};
	memset(c, 0, offsetof(env_conn, sock));
	c->pport = ENV_ACTIVE_PORT;
	c->peer_isn = c->peer_nxt = 0x50000000u + (uint32_t)e->app_ops * 0x01010101u;
	int rc = FZ_RC(tern_socket_connect(c->sock, &dst));
	tern_endpoint l;
	tern_socket_name(c->sock, &l, NULL);
	c->lport = l.port;
	if (rc != TERN_EINPROGRESS)
		env_close(&c->sock, false);
	env_collect(e);
}

static inline void env_accept(env *e)
{
	if (!e->lsn)
		return;
	for (int k = 0; k < 8; k++) {
		tern_socket *s;
		tern_endpoint peer;
		int rc = FZ_RC(tern_socket_accept(e->lsn, &s, &peer));
		if (rc != 0)
			return;
		env_conn *c = peer.addr == ENV_PEER ? env_find(e, ENV_LPORT, peer.port) : NULL;
		if (c && !c->sock) {
			c->sock = s;
			continue;
		}
		bool kept = false;
		for (int i = 0; i < ENV_NEXTRA && !kept; i++) {
			if (!e->extra[i]) {
				e->extra[i] = s;
				kept = true;
			}
		}
		if (!kept)
			env_close(&s, false);
	}
}

static const int env_opt_values[16] = {0, 1, -1, 2, 5, 60, 1024, 65536,
				       4096, 30000, 255, 7, 100, 1 << 20, -5, 32767};

/* One application call, chosen by a (and more bytes from in). */
static inline void env_app(env *e, uint8_t a, fz_in *in)
{
	static uint8_t rbuf[4096];
	int ci = (a >> 4) % ENV_NCONN;
	tern_socket **sp = &e->c[ci].sock;
	tern_socket *s = *sp;
	e->app_ops++;
	switch (a & 15) {
	case 0: /* read everything there is */
		for (int k = 0; s && k < 32; k++) {
			int rc = FZ_RC(tern_socket_recv(s, rbuf, sizeof rbuf, 0));
			FZ_CHECK(rc <= (int)sizeof rbuf);
			if (rc <= 0)
				break;
		}
		break;
	case 1: { /* peek */
		size_t cap = fz_u8(in);
		if (s)
			FZ_CHECK(FZ_RC(tern_socket_recv(s, rbuf, cap, TERN_MSG_PEEK)) <= (int)cap);
		break;
	}
	case 2: { /* send */
		size_t n = (size_t)fz_u8(in) * 64 + 1;
		if (s)
			FZ_CHECK(FZ_RC(tern_socket_send(s, env_pattern, n, 0)) <= (int)n);
		break;
	}
	case 3: /* send urgent */
		if (s)
			FZ_CHECK(FZ_RC(tern_socket_send(s, env_pattern, 1, TERN_MSG_OOB)) <= 1);
		break;
	case 4:
		if (s)
			FZ_RC(tern_socket_shutdown(s, fz_u8(in) % 5));
		break;
	case 5:
		env_close(sp, false);
		break;
	case 6:
		env_close(sp, true);
		break;
	case 7:
		env_accept(e);
		break;
	case 8: { /* setopt */
		uint8_t o = fz_u8(in);
		if (s)
			FZ_RC(tern_socket_setopt(s, 1 + o % 15, env_opt_values[o >> 4]));
		break;
	}
	case 9: { /* getopt */
		int v = 0;
		if (s)
			FZ_RC(tern_socket_getopt(s, fz_u8(in) % 17, &v));
		break;
	}
	case 10: { /* status of everything */
		size_t n = 0;
		for (int i = 0; i < ENV_NCONN; i++)
			if (e->c[i].sock)
				env_check_socket(e->c[i].sock);
		for (int i = 0; i < ENV_NEXTRA; i++)
			if (e->extra[i])
				env_check_socket(e->extra[i]);
		if (e->lsn)
			env_check_socket(e->lsn);
		FZ_CHECK((tern_socket_events(e->udp) & ~(unsigned)FZ_EV_ALL) == 0);
		tern_tcp_walk(e->st, env_walk_cb, &n);
		FZ_CHECK(n <= ENV_NCONN + ENV_NEXTRA + 1 + 64);
		break;
	}
	case 11: { /* UDP: drain, then send a datagram (fragmented when large) */
		tern_endpoint from, to = {ENV_PEER, (uint16_t)(1000 + (a >> 4))};
		for (int k = 0; k < 32; k++)
			if (FZ_RC(tern_socket_recvfrom(e->udp, rbuf, sizeof rbuf, &from)) < 0)
				break;
		size_t n = (size_t)fz_u8(in) * 24;
		FZ_RC(tern_socket_sendto(e->udp, env_pattern, n, &to));
		break;
	}
	case 12: /* the listener goes, or comes back */
		if (e->lsn)
			env_close(&e->lsn, (a >> 4) & 1);
		else
			env_open_listener(e, 1 + (a >> 4) % 4);
		break;
	case 13:
		env_connect_active(e);
		break;
	case 14: { /* congestion control by name; a source route (refused once
		      connected) */
		static const char *const names[4] = {"newreno", "cubic", "", "no-such-cc"};
		if (s) {
			FZ_RC(tern_socket_set_cc(s, names[(a >> 4) & 3]));
			uint32_t hops[2] = {TERN_IP4(192, 0, 2, 9), ENV_PEER};
			FZ_RC(tern_socket_set_source_route(s, hops, 2, false));
		}
		break;
	}
	case 15: /* batches: begin, or end */
		if (((a >> 4) & 1) && e->batch < ENV_MAX_BATCH) {
			tern_stack_batch_begin(e->st);
			e->batch++;
		} else if (e->batch > 0) {
			tern_stack_batch_end(e->st);
			e->batch--;
		}
		break;
	}
	env_collect(e);
}

/* ---- set-up and tear-down ---------------------------------------------- */

static inline void env_handshake_passive(env *e, int ci, bool with_opts)
{
	env_conn *c = &e->c[ci];
	uint8_t o[40];
	size_t olen = 0;
	if (with_opts) {
		tern_tcp_opts to = {0};
		to.present = TERN_TCPO_MSS | TERN_TCPO_SACK_PERM | TERN_TCPO_TS | TERN_TCPO_WSCALE;
		to.mss = 1460;
		to.ts_val = e->ts_clock;
		to.wscale = 7;
		olen = tern_tcp_opts_build(o, sizeof o, &to);
	}
	env_seg syn = {c->pport, c->lport, c->peer_isn, 0, TERN_TCP_SYN, 65535, 0, o, olen,
		       NULL, 0};
	env_send_seg(e, &syn);
	FZ_CHECK(c->seen && c->acked && c->stack_ack == c->peer_isn + 1);
	olen = c->ts ? env_ts_opt(e, c, o) : 0;
	env_seg ack = {c->pport, c->lport, c->peer_isn + 1, c->stack_nxt, TERN_TCP_ACK, 65535, 0,
		       o, olen, NULL, 0};
	env_send_seg(e, &ack);
}

static inline void env_handshake_active(env *e)
{
	env_connect_active(e);
	env_conn *c = &e->c[1];
	FZ_CHECK(c->sock && c->seen);
	uint8_t o[4] = {TERN_TCPOPT_MSS, 4, 1400 >> 8, 1400 & 0xff};
	env_seg synack = {c->pport, c->lport, c->peer_isn, c->stack_nxt,
			  TERN_TCP_SYN | TERN_TCP_ACK, 65535, 0, o, sizeof o, NULL, 0};
	env_send_seg(e, &synack);
}

static inline void env_init(env *e)
{
	memset(e, 0, sizeof *e);
	if (!env_pattern[1])
		for (size_t i = 0; i < sizeof env_pattern; i++)
			env_pattern[i] = (uint8_t)((i * 2654435761u) >> 13) | 1;
	e->seed = 0x9e3779b97f4a7c15ull;
	e->now = ENV_T0;
	e->ts_clock = 1000;
	tern_config cfg;
	tern_config_init(&cfg);
	/* Small limits, so that the fuzzer reaches them. */
	cfg.pkt_pool_count = 64;
	cfg.max_sockets = 16;
	cfg.tcp_max_conns = 10;
	cfg.tcp_max_time_wait = 6;
	cfg.tcp_sndbuf = 16384;
	cfg.tcp_rcvbuf = 8192;
	cfg.udp_rcvq_max = 8192;
	cfg.reasm_max_datagrams = 4;
	cfg.reasm_max_bytes = 16384;
	FZ_CHECK(fz_stack_new(&cfg, &e->alloc, &e->seed, &e->cap, ENV_US, ENV_MTU, &e->st,
			      &e->ifc) == 0);
	e->base_live = e->alloc.live_bytes;
	tern_stack_poll(e->st, e->now);

	for (int i = 0; i < ENV_NCONN; i++) {
		e->c[i].lport = ENV_LPORT;
		e->c[i].pport = (uint16_t)(ENV_PASSIVE_PORT + (i ? i - 1 : 0));
		e->c[i].peer_isn = 0x10000000u * (uint32_t)(i + 1) + 0x1234u;
		e->c[i].peer_nxt = e->c[i].peer_isn;
	}
	e->c[1].lport = 0; /* conn 1 is the active open: set by connect */
	e->c[1].pport = ENV_ACTIVE_PORT;
	tern_endpoint u = {0, ENV_UDP_PORT};
	FZ_CHECK(tern_udp_open(e->st, &e->udp) == 0 && tern_socket_bind(e->udp, &u) == 0);
	env_open_listener(e, 2);
	FZ_CHECK(e->lsn != NULL);

	env_handshake_passive(e, 0, true);
	env_accept(e);
	FZ_CHECK(e->c[0].sock != NULL);
	env_handshake_active(e);
	tern_tcp_info info;
	FZ_CHECK(tern_socket_info(e->c[0].sock, &info) == 0 && info.state == TERN_TCP_ESTABLISHED);
	FZ_CHECK(tern_socket_info(e->c[1].sock, &info) == 0 && info.state == TERN_TCP_ESTABLISHED);
	e->app_ops = 0;
}

static inline void env_dump_cb(const tern_tcp_info *i, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "  %s :%u -> :%u snd_wnd %u unacked %u unsent %u unread %u rto %llu us "
			"retransmits %llu\n",
		tern_tcp_state_name(i->state), i->local.port, i->remote.port, i->snd_wnd,
		i->unacked, i->unsent, i->unread, (unsigned long long)i->rto,
		(unsigned long long)i->retransmits);
}

static inline void env_fini(env *e)
{
	while (e->batch > 0) {
		tern_stack_batch_end(e->st);
		e->batch--;
	}
	env_collect(e);
	for (int i = 0; i < ENV_NCONN; i++)
		env_close(&e->c[i].sock, false);
	for (int i = 0; i < ENV_NEXTRA; i++)
		env_close(&e->extra[i], false);
	env_close(&e->lsn, false);
	env_close(&e->udp, false);
	env_collect(e);
	/* Orphans retransmit until they give up, TIME-WAIT lasts 2*MSL,
	 * reassembly times out: then the stack is idle, and holds no more
	 * memory than when it was new. */
	tern_time start = e->now, next = e->now;
	for (int k = 0; k < 100000; k++) {
		next = tern_stack_poll(e->st, e->now);
		env_collect(e);
		if (next == TERN_TIME_NEVER || e->now - start > ENV_IDLE_LIMIT)
			break;
		e->now = next > e->now ? next : e->now + 1;
	}
	if (next != TERN_TIME_NEVER) {
		tern_tcp_walk(e->st, env_dump_cb, NULL);
		fprintf(stderr, "fuzz invariant failed: the stack is not idle %llu s after every "
				"socket closed (next deadline in %lld us)\n",
			(unsigned long long)((e->now - start) / 1000000u),
			(long long)(next - e->now));
		abort();
	}
	if (e->alloc.live_bytes != e->base_live || e->st->pool.in_use != 0) {
		fprintf(stderr, "fuzz invariant failed: %zu bytes live after everything closed "
				"and expired, %zu when new; %u pooled packets in use\n",
			e->alloc.live_bytes, e->base_live, e->st->pool.in_use);
		abort();
	}
	tern_stack_del(e->st);
	fz_cap_clear(&e->cap);
	FZ_CHECK(e->alloc.live_bytes == 0 && e->alloc.live_blocks == 0);
}

#endif
