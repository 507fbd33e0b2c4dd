/* test_sim_tcp_synflood.c - issue 5's flood test at its stated scale, over
 * the simulator: a SYN flood from all 131,072 addresses of 198.18.0.0/15,
 * 500 spoofed SYNs every millisecond for the whole run, at a listener whose
 * SYN queue holds 16, while 100 honest clients connect and each send 1 MB.
 *
 *   A (10.0.0.1, 100 clients) ---- 1 Gbit/s, 5 ms, 1000-packet queue ---- B
 *                                                                         ^
 *                              spoofed SYNs, 500 per ms, straight into B -+
 *
 * B (the listener, backlog 16, tcp_mem_max 2 MiB, other limits default) has
 * a default route back over the link, so every SYN-ACK it answers the flood
 * with really leaves: A counts them arriving for addresses not its own.
 * The checks: every honest stream arrives whole (FNV-1a of all 1 MB
 * compared) and ends with the client's FIN; every honest client gets in,
 * through a cookie (RFC 4987 3.6), since the SYN queue stays full of
 * spoofed entries; no connection is accepted that is not a client's; the
 * SYN-queue state stays at the backlog; the stack's buffer account reaches
 * tcp_mem_max and never passes it; B's allocator (sampled at every packet
 * B sends or receives over the link, at every flood burst and every
 * millisecond) stays under 3 MiB. Bounded: 6 s of virtual time at most. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/sim.h"
#include "tern/tern.h"
#include "tt.h"
#include "wire/wire.h"

#define A_IP TERN_IP4(10, 0, 0, 1)
#define B_IP TERN_IP4(10, 0, 0, 2)
#define SPOOF_NET TERN_IP4(198, 18, 0, 0) /* RFC 2544's 198.18.0.0/15 */
#define SPOOF_MASK 0x1ffffu               /* its 131,072 addresses */

#define NCLIENT 100
#define STREAM (1000u * 1000u) /* 1 MB each */
#define BACKLOG 16
#define MEM_MAX (2u << 20)          /* B's tcp_mem_max */
#define ALLOC_BOUND (3u << 20)      /* B's allocator, all told */
#define FLOOD_EVERY ((tern_time)100) /* a burst every 100 us ... */
#define FLOOD_BURST 50              /* ... of 50 SYNs: 500 per ms */
#define MAX_MS 6000                 /* virtual-time bound on the run */

typedef struct client {
	tern_socket *c, *s;
	uint16_t port; /* the client's port, to pair accepted sockets */
	size_t sent, got;
	uint64_t want, have;
	bool accepted, shut, done;
} client;

typedef struct flood {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_socket *l;
	client cl[NCLIENT];
	uint32_t syns;      /* spoofed SYNs injected */
	bool stop;
	size_t mem_peak;    /* B's allocator, sampled */
	uint32_t synrcvd_max, spoofed_tcbs_max, tcbs_max;
	uint8_t seen[(SPOOF_MASK + 1) / 8]; /* spoofed sources used */
	uint32_t sources;
	uint32_t strangers; /* accepted connections that were no client's */
} flood;

/* FNV-1a, chained over a stream (as tests/unit/fixture.h's fx_fnv). */
#define FNV_BASIS 0xcbf29ce484222325ull
static uint64_t fnv(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint8_t stream_byte(size_t i, unsigned k)
{
	return (uint8_t)(i * 31 + (i >> 11) + k * 101);
}

static bool spoofed(uint32_t addr) { return (addr & ~SPOOF_MASK) == SPOOF_NET; }

/* One spoofed SYN straight into B's stack, as if it had come in on B's
 * interface. Sources walk 198.18.0.0/15 in a permutation (odd multiplier
 * mod 2^17), so the first 131,072 are all distinct; ports and ISNs vary.
 * Options as a Linux client sends them. */
static void spoofed_syn(flood *f)
{
	uint32_t n = f->syns++;
	uint32_t host = (n * 40503u + 12345u) & SPOOF_MASK;
	uint32_t src = SPOOF_NET | host;
	if (!(f->seen[host / 8] & (1u << (host % 8)))) {
		f->seen[host / 8] |= (uint8_t)(1u << (host % 8));
		f->sources++;
	}
	tern_tcp_repr h = {.sport = (uint16_t)(1024 + n * 7919u % 64000u), .dport = 80,
			   .seq = n * 2654435761u, .flags = TERN_TCP_SYN, .wnd = 64240};
	h.opts.present = TERN_TCPO_MSS | TERN_TCPO_TS | TERN_TCPO_SACK_PERM | TERN_TCPO_WSCALE;
	h.opts.mss = 1460;
	h.opts.wscale = 7;
	h.opts.ts_val = n * 3u;
	uint8_t pkt[128];
	size_t sl = tern_tcp_build(pkt + TERN_IP4_HLEN, sizeof pkt - TERN_IP4_HLEN, &h, NULL, 0,
				   src, B_IP);
	tern_ip4_repr ip = {0};
	ip.total_len = (uint16_t)(TERN_IP4_HLEN + sl);
	ip.id = (uint16_t)n;
	ip.ttl = 64;
	ip.proto = TERN_IPPROTO_TCP;
	ip.src = src;
	ip.dst = B_IP;
	tern_ip4_build(pkt, TERN_IP4_HLEN, &ip);
	tern_stack_input(tern_sim_host_stack(f->b), tern_sim_host_iface(f->b), pkt,
			 TERN_IP4_HLEN + sl, tern_sim_now(f->sim));
}

static void sample_mem(flood *f)
{
	size_t m = tern_sim_host_mem(f->b);
	if (m > f->mem_peak)
		f->mem_peak = m;
}

/* Runs at every packet B sends or receives over the link. */
static int on_b_packet(void *ctx, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	sample_mem(ctx);
	return 0;
}

/* The flood: a burst every FLOOD_EVERY until the honest work is done. */
static void flood_tick(tern_sim *sim, void *ctx)
{
	flood *f = ctx;
	if (f->stop)
		return;
	for (int i = 0; i < FLOOD_BURST; i++)
		spoofed_syn(f);
	sample_mem(f);
	tern_sim_at(sim, tern_sim_now(sim) + FLOOD_EVERY, flood_tick, f);
}

typedef struct census {
	uint32_t synrcvd, spoofed, tcbs;
} census;

static void count_tcb(const tern_tcp_info *i, void *ctx)
{
	census *c = ctx;
	if (i->state == TERN_TCP_LISTEN || i->state == TERN_TCP_TIME_WAIT)
		return;
	c->tcbs++;
	if (i->state == TERN_TCP_SYN_RECEIVED)
		c->synrcvd++;
	if (spoofed(i->remote.addr))
		c->spoofed++;
}

static void take_census(flood *f)
{
	census c = {0};
	tern_tcp_walk(tern_sim_host_stack(f->b), count_tcb, &c);
	if (c.synrcvd > f->synrcvd_max)
		f->synrcvd_max = c.synrcvd;
	if (c.spoofed > f->spoofed_tcbs_max)
		f->spoofed_tcbs_max = c.spoofed;
	if (c.tcbs > f->tcbs_max)
		f->tcbs_max = c.tcbs;
}

static void client_send(client *x, unsigned k)
{
	uint8_t chunk[8192];
	while (x->sent < STREAM) {
		size_t n = STREAM - x->sent < sizeof chunk ? STREAM - x->sent : sizeof chunk;
		for (size_t i = 0; i < n; i++)
			chunk[i] = stream_byte(x->sent + i, k);
		int r = tern_socket_send(x->c, chunk, n, 0);
		if (r <= 0)
			return;
		x->want = fnv(x->want, chunk, (size_t)r);
		x->sent += (size_t)r;
	}
	if (!x->shut && tern_socket_shutdown(x->c, TERN_SHUT_WR) == 0)
		x->shut = true;
}

/* B's application: accept whatever is ready, pair it with its client by
 * port, read everything, close at end of stream. Returns streams done. */
static unsigned server_work(flood *f)
{
	tern_socket *s;
	tern_endpoint peer;
	while (tern_socket_accept(f->l, &s, &peer) == 0) {
		client *mine = NULL;
		for (unsigned k = 0; k < NCLIENT && !mine; k++) {
			client *x = &f->cl[k];
			if (x->c && !x->accepted && peer.addr == A_IP && peer.port == x->port)
				mine = x;
		}
		if (!mine) { /* a spoofed source cannot finish a handshake */
			f->strangers++;
			tern_socket_abort(s);
			continue;
		}
		mine->s = s;
		mine->accepted = true;
	}
	unsigned done = 0;
	uint8_t b[16384];
	for (unsigned k = 0; k < NCLIENT; k++) {
		client *x = &f->cl[k];
		int r = TERN_EAGAIN;
		while (x->s && (r = tern_socket_recv(x->s, b, sizeof b, 0)) > 0) {
			x->have = fnv(x->have, b, (size_t)r);
			x->got += (size_t)r;
		}
		if (x->s && r == 0) { /* end of stream: the client's FIN */
			x->done = true;
			tern_socket_close(x->s);
			x->s = NULL;
		}
		done += x->done;
	}
	return done;
}

TT_TEST(test_syn_flood_from_spoofed_thousands_lets_100_honest_1mb_transfers_through_in_bounded_memory)
{
	static flood fl;
	flood *f = &fl;
	memset(f, 0, sizeof *f);
	tern_config cb;
	tern_config_init(&cb);
	cb.tcp_mem_max = MEM_MAX;
	TT_EQ(tern_sim_new(5, &f->sim), 0);
	TT_EQ(tern_sim_host_add(f->sim, "a", "10.0.0.1/24", 1500, &f->a), 0);
	TT_EQ(tern_sim_host_add_config(f->sim, "b", "10.0.0.2/24", 1500, &cb, &f->b), 0);
	tern_sim_link_config lc = {.rate_bps = 1000000000ull, .delay = TERN_MS(5),
				   .queue_pkts = 1000, .mtu = 1500};
	tern_sim_link *link;
	TT_EQ(tern_sim_connect(f->sim, f->a, f->b, &lc, &link), 0);
	tern_stack *A = tern_sim_host_stack(f->a), *B = tern_sim_host_stack(f->b);
	/* the way out to the spoofed sources is over the link, via A */
	TT_EQ(tern_route_add(B, 0, 0, A_IP, tern_sim_host_iface(f->b)), 0);
	TT_EQ(tern_sim_capture_host(f->b, on_b_packet, f), 0);

	tern_endpoint any = {0, 80}, dst = {B_IP, 80};
	TT_EQ(tern_tcp_open(B, &f->l), 0);
	TT_EQ(tern_socket_bind(f->l, &any), 0);
	TT_EQ(tern_socket_listen(f->l, BACKLOG), 0);
	size_t mem_idle = tern_sim_host_mem(f->b);

	/* the flood starts first and fills the SYN queue; client k connects
	 * at 10 + 3k ms, so all of them arrive in the thick of it */
	TT_EQ(tern_sim_at(f->sim, 0, flood_tick, f), 0);
	unsigned done = 0;
	int ms = 0;
	tern_time last_connect = 0;
	for (; ms < MAX_MS && done < NCLIENT; ms++) {
		TT_EQ(tern_sim_run_for(f->sim, TERN_MS(1)), 0);
		for (unsigned k = 0; k < NCLIENT; k++) {
			client *x = &f->cl[k];
			if (!x->c && ms >= 10 + 3 * (int)k) {
				x->want = x->have = FNV_BASIS;
				TT_EQ(tern_tcp_open(A, &x->c), 0);
				TT_EQ(tern_socket_connect(x->c, &dst), TERN_EINPROGRESS);
				tern_endpoint local;
				TT_EQ(tern_socket_name(x->c, &local, NULL), 0);
				x->port = local.port;
				last_connect = tern_sim_now(f->sim);
			}
			if (x->c && !x->shut)
				client_send(x, k);
		}
		done = server_work(f);
		take_census(f);
		sample_mem(f);
	}
	f->stop = true;
	tern_time end = tern_sim_now(f->sim);
	/* let what is on the wire land: the last SYN-ACKs reach A */
	TT_EQ(tern_sim_run_for(f->sim, TERN_MS(50)), 0);

	tern_counters ca, ct;
	tern_stack_counters(A, &ca);
	tern_stack_counters(B, &ct);
	uint64_t tcp_peak = tern_tcp_mem_peak(B);
	tern_sim_link_stats ab, ba;
	tern_sim_link_stats_get(link, TERN_SIM_AB, &ab);
	tern_sim_link_stats_get(link, TERN_SIM_BA, &ba);
	printf("# %u spoofed SYNs from %u distinct sources over %.0f ms (%u per ms); "
	       "honest clients connected from %.0f to %.0f ms\n",
	       f->syns, f->sources, (double)end / 1000, FLOOD_BURST * 1000u / (unsigned)(FLOOD_EVERY),
	       10.0, (double)last_connect / 1000);
	printf("# %u of %u honest 1 MB streams intact (hash); %u accepted connections not a client's\n",
	       done, NCLIENT, f->strangers);
	printf("# cookies: %llu sent, %llu ok, %llu failed; %llu listen overflows; "
	       "%llu SYN-ACKs to spoofed sources reached A; %llu passive opens\n",
	       (unsigned long long)ct.tcp_syncookies_sent, (unsigned long long)ct.tcp_syncookies_ok,
	       (unsigned long long)ct.tcp_syncookies_failed,
	       (unsigned long long)ct.tcp_listen_overflows,
	       (unsigned long long)ca.ip_in_not_for_us, (unsigned long long)ct.tcp_passive_opens);
	printf("# link: A to B %llu packets, %llu dropped by the queue; B to A %llu packets, %llu dropped\n",
	       (unsigned long long)ab.sent, (unsigned long long)ab.queue_drops,
	       (unsigned long long)ba.sent, (unsigned long long)ba.queue_drops);
	printf("# memory: tcp_mem_max %u, TCP buffer peak %llu (%llu pressure drops); "
	       "allocator %zu idle, peak %zu (bound %u)\n",
	       MEM_MAX, (unsigned long long)tcp_peak, (unsigned long long)ct.tcp_mem_pressure_drops,
	       mem_idle, f->mem_peak, ALLOC_BOUND);
	printf("# state: at most %u SYN-RECEIVED, %u spoofed, %u connections in all (backlog %d)\n",
	       f->synrcvd_max, f->spoofed_tcbs_max, f->tcbs_max, BACKLOG);

	/* on failure, say which client is stuck where */
	for (unsigned k = 0; k < NCLIENT; k++) {
		client *x = &f->cl[k];
		tern_tcp_info ic = {0};
		if (x->done || tern_socket_info(x->c, &ic))
			continue;
		printf("#   client %u (port %u): sent %zu, got %zu, accepted %d, state %d, "
		       "%u retransmits\n",
		       k, x->port, x->sent, x->got, x->accepted, ic.state, (unsigned)ic.retransmits);
	}
	TT_EQ(done, NCLIENT);
	for (unsigned k = 0; k < NCLIENT; k++) {
		TT_EQ(f->cl[k].got, STREAM);
		TT_CHECK(f->cl[k].have == f->cl[k].want);
	}
	TT_EQ(f->strangers, 0);
	/* the flood was sustained: still running when the last stream ended */
	TT_CHECK(f->syns >= (uint32_t)(end / FLOOD_EVERY) * FLOOD_BURST);
	TT_EQ(f->sources, SPOOF_MASK + 1);
	/* every SYN past the (full) queue was answered with a cookie, or
	 * refused at the memory limit before it (the 16 queued got plain
	 * SYN-ACKs), and the SYN-ACKs really left B: A saw each one arrive
	 * for someone else, short of any the link's queue dropped */
	TT_CHECK(ct.tcp_syncookies_sent + ct.tcp_mem_pressure_drops >= f->syns - BACKLOG);
	TT_CHECK(ba.sent >= ct.tcp_syncookies_sent);
	TT_CHECK(ca.ip_in_not_for_us + ba.queue_drops >= ct.tcp_syncookies_sent - NCLIENT);
	TT_CHECK(ct.tcp_syncookies_sent > 1000 * NCLIENT);
	/* the queue never drained of spoofed entries, so every honest client
	 * came in on a cookie. A cookie fails only where a client's first
	 * segments were lost on the congested link and a later one came
	 * first: it is dropped, not reset, and the retransmission gets in */
	TT_EQ(ct.tcp_syncookies_ok, NCLIENT);
	TT_CHECK(ct.tcp_syncookies_failed <= ab.queue_drops);
	/* bounded state and memory */
	TT_CHECK(f->synrcvd_max <= BACKLOG);
	TT_CHECK(f->spoofed_tcbs_max <= BACKLOG);
	TT_CHECK(f->tcbs_max <= BACKLOG + NCLIENT);
	TT_CHECK(tcp_peak <= MEM_MAX);
	/* the limit was really met: 100 receivers want more than 2 MiB */
	TT_CHECK(ct.tcp_mem_pressure_drops > 0);
	TT_CHECK(f->mem_peak <= ALLOC_BOUND);
	tern_sim_del(f->sim);
}

TT_MAIN(test_syn_flood_from_spoofed_thousands_lets_100_honest_1mb_transfers_through_in_bounded_memory)
