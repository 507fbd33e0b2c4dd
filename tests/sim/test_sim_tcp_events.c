/* test_sim_tcp_events.c - TCP behaviours over the simulator that need
 * time to pass: a cut link timing a connection out (R2), keepalive finding
 * a silent peer and keeping its time hours out, the user timeout, a receiver that stops reading (zero
 * window and persist), simultaneous open and close, half-close, listen
 * backlog overflow, and a peer that forgot the connection (half-open). */
#include <stdlib.h>

#include "tern/sim.h"
#include "tt.h"

#define A_IP TERN_IP4(10, 0, 0, 1)
#define B_IP TERN_IP4(10, 0, 0, 2)

typedef struct net {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	tern_sim_link_config lc;
} net;

static int net_up(net *n, uint64_t seed, const tern_config *cfg)
{
	memset(n, 0, sizeof *n);
	n->lc.rate_bps = 10000000;
	n->lc.delay = TERN_MS(10);
	n->lc.mtu = 1500;
	if (tern_sim_new(seed, &n->sim))
		return -1;
	int rc = cfg ? tern_sim_host_add_config(n->sim, "a", "10.0.0.1/24", 1500, cfg, &n->a)
		     : tern_sim_host_add(n->sim, "a", "10.0.0.1/24", 1500, &n->a);
	rc = rc ? rc
		: cfg ? tern_sim_host_add_config(n->sim, "b", "10.0.0.2/24", 1500, cfg, &n->b)
		      : tern_sim_host_add(n->sim, "b", "10.0.0.2/24", 1500, &n->b);
	return rc ? rc : tern_sim_connect(n->sim, n->a, n->b, &n->lc, &n->link);
}

static void cut(net *n, bool down)
{
	tern_sim_link_config c = n->lc;
	if (down)
		c.loss = 1.0;
	tern_sim_link_set_config(n->link, &c);
}

static tern_stack *A(net *n) { return tern_sim_host_stack(n->a); }
static tern_stack *B(net *n) { return tern_sim_host_stack(n->b); }

/* A connects to a listener on B:port; returns the accepted socket. */
static int connect_pair(net *n, uint16_t port, tern_socket **cli, tern_socket **lst,
			tern_socket **srv)
{
	tern_endpoint any = {0, port}, dst = {B_IP, port};
	if (tern_tcp_open(B(n), lst) || tern_socket_bind(*lst, &any) || tern_socket_listen(*lst, 8))
		return -1;
	if (tern_tcp_open(A(n), cli) || tern_socket_connect(*cli, &dst) != TERN_EINPROGRESS)
		return -2;
	tern_sim_run_for(n->sim, TERN_MS(200));
	return tern_socket_accept(*lst, srv, NULL);
}

static int state_of(tern_socket *s)
{
	tern_tcp_info i;
	tern_socket_info(s, &i);
	return i.state;
}

TT_TEST(test_cut_link_times_out_connection_after_r2_retransmissions)
{
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_retries2 = 6;
	net n;
	TT_EQ(net_up(&n, 1, &cfg), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	cut(&n, true);
	TT_EQ(tern_socket_send(c, "hello", 5, 0), 5);
	/* the handshake measured ~20 ms, so RTO = 200 ms: 7 expiries with
	 * backoff take 0.2 * (2^7 - 1) = 25.4 s */
	tern_sim_run_for(n.sim, TERN_SEC(20));
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	/* past R1 (3 retransmissions): IP was advised, the application told */
	tern_counters ct;
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_r1_reached, 1);
	TT_EQ(ct.ip_negative_advice, 1);
	TT_CHECK(tern_socket_events(c) & TERN_EV_SOFT_ERROR);
	int soft;
	TT_EQ(tern_socket_getopt(c, TERN_SO_SOFT_ERROR, &soft), 0);
	TT_EQ(soft, TERN_ETIMEDOUT);
	TT_CHECK(!(tern_socket_events(c) & TERN_EV_SOFT_ERROR));
	tern_sim_run_for(n.sim, TERN_SEC(10));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), TERN_ETIMEDOUT);
	TT_EQ(state_of(c), TERN_TCP_CLOSED);
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_timeout_drops, 1);
	tern_sim_del(n.sim);
}

TT_TEST(test_keepalive_detects_a_silent_peer)
{
	net n;
	TT_EQ(net_up(&n, 2, NULL), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_KEEPIDLE, 10), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_KEEPINTVL, 2), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_KEEPCNT, 3), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_KEEPALIVE, 1), 0);
	/* while the peer answers, probes keep the connection alive */
	tern_sim_run_for(n.sim, TERN_SEC(60));
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	tern_counters ct;
	tern_stack_counters(A(&n), &ct);
	TT_CHECK(ct.tcp_keepalive_probes >= 4);
	cut(&n, true);
	tern_sim_run_for(n.sim, TERN_SEC(20));  /* idle 10 s + 3 probes 2 s apart */
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), TERN_ETIMEDOUT);
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_keepalive_drops, 1);
	tern_sim_del(n.sim);
}

/* The TCB keeps its deadlines as 32-bit offsets from the earliest one
 * (issue 4: lean connections); a keepalive two hours out, set while the
 * retransmission timer runs, is held in whole ticks and must still come
 * at its time, again and again. */
TT_TEST(test_keepalive_hours_away_keeps_its_time_beside_other_timers)
{
	net n;
	TT_EQ(net_up(&n, 4, NULL), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_KEEPALIVE, 1), 0);  /* idle 7200 s */
	TT_EQ(tern_socket_send(c, "data", 4, 0), 4);  /* arms the RTO beside it */
	tern_sim_run_for(n.sim, TERN_SEC(1));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), 4);
	tern_counters ct;
	tern_sim_run_for(n.sim, TERN_SEC(7195));
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_keepalive_probes, 0);
	tern_sim_run_for(n.sim, TERN_SEC(10));
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_keepalive_probes, 1);
	/* the answer restarts the idle time: the next probe two hours on */
	tern_sim_run_for(n.sim, TERN_SEC(7190));
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_keepalive_probes, 1);
	tern_sim_run_for(n.sim, TERN_SEC(20));
	tern_stack_counters(A(&n), &ct);
	TT_EQ(ct.tcp_keepalive_probes, 2);
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	tern_sim_del(n.sim);
}

TT_TEST(test_user_timeout_ends_a_stalled_transfer)
{
	net n;
	TT_EQ(net_up(&n, 3, NULL), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_USER_TIMEOUT, 5000), 0);
	cut(&n, true);
	TT_EQ(tern_socket_send(c, "data", 4, 0), 4);
	tern_sim_run_for(n.sim, TERN_SEC(3));
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	tern_sim_run_for(n.sim, TERN_SEC(10));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), TERN_ETIMEDOUT);
	tern_sim_del(n.sim);
}

TT_TEST(test_zero_window_persists_until_the_reader_resumes)
{
	net n;
	/* a fixed 64 KiB buffer, unscaled: the window field can offer its
	 * last sliver byte for byte (a scaled one rounds it away) */
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_rcvbuf_max = cfg.tcp_rcvbuf;
	TT_EQ(net_up(&n, 4, &cfg), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	size_t total = 200000, sent = 0, got = 0;
	uint8_t *data = malloc(total), *out = malloc(total);
	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(i % 251);
	/* the receiver does not read for 60 s: its 64 KiB window closes */
	for (int ms = 0; ms < 60000; ms += 10) {
		int k = tern_socket_send(c, data + sent, total - sent, 0);
		if (k > 0)
			sent += (size_t)k;
		tern_sim_run_for(n.sim, TERN_MS(10));
	}
	tern_tcp_info ci, si;
	tern_socket_info(c, &ci);
	tern_socket_info(s, &si);
	TT_EQ(ci.snd_wnd, 0);
	TT_EQ(si.unread, 65535);  /* the SWS override filled the last sliver */
	TT_EQ(ci.state, TERN_TCP_ESTABLISHED);
	tern_counters ct;
	tern_stack_counters(A(&n), &ct);
	TT_CHECK(ct.tcp_persist_probes >= 3);
	TT_CHECK(ct.tcp_persist_probes < 40); /* backed off, not every RTO */
	for (int ms = 0; ms < 60000 && got < total; ms += 10) {
		int k = tern_socket_send(c, data + sent, total - sent, 0);
		if (k > 0)
			sent += (size_t)k;
		for (;;) {
			int r = tern_socket_recv(s, out + got, total - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		tern_sim_run_for(n.sim, TERN_MS(10));
	}
	TT_EQ(got, total);
	TT_CHECK(memcmp(data, out, total) == 0);
	free(data);
	free(out);
	tern_sim_del(n.sim);
}

TT_TEST(test_simultaneous_open_both_reach_established)
{
	net n;
	TT_EQ(net_up(&n, 5, NULL), 0);
	tern_socket *x, *y;
	tern_endpoint ax = {0, 7000}, by = {0, 7001}, to_b = {B_IP, 7001}, to_a = {A_IP, 7000};
	TT_EQ(tern_tcp_open(A(&n), &x), 0);
	TT_EQ(tern_tcp_open(B(&n), &y), 0);
	TT_EQ(tern_socket_bind(x, &ax), 0);
	TT_EQ(tern_socket_bind(y, &by), 0);
	TT_EQ(tern_socket_connect(x, &to_b), TERN_EINPROGRESS);
	TT_EQ(tern_socket_connect(y, &to_a), TERN_EINPROGRESS);
	tern_sim_run_for(n.sim, TERN_SEC(1));
	TT_EQ(state_of(x), TERN_TCP_ESTABLISHED);
	TT_EQ(state_of(y), TERN_TCP_ESTABLISHED);
	TT_EQ(tern_socket_send(x, "ping", 4, 0), 4);
	tern_sim_run_for(n.sim, TERN_MS(100));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(y, b, sizeof b, 0), 4);
	tern_sim_del(n.sim);
}

TT_TEST(test_simultaneous_close_both_reach_time_wait)
{
	net n;
	TT_EQ(net_up(&n, 6, NULL), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	TT_EQ(tern_socket_shutdown(c, TERN_SHUT_WR), 0);
	TT_EQ(tern_socket_shutdown(s, TERN_SHUT_WR), 0);
	tern_sim_run_for(n.sim, TERN_MS(100));
	TT_EQ(state_of(c), TERN_TCP_TIME_WAIT);
	TT_EQ(state_of(s), TERN_TCP_TIME_WAIT);
	tern_sim_del(n.sim);
}

TT_TEST(test_half_close_lets_the_peer_keep_sending)
{
	net n;
	TT_EQ(net_up(&n, 7, NULL), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	TT_EQ(tern_socket_send(c, "request", 7, 0), 7);
	TT_EQ(tern_socket_shutdown(c, TERN_SHUT_WR), 0);
	tern_sim_run_for(n.sim, TERN_MS(100));
	uint8_t b[32];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), 7);
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), 0);  /* the client's FIN */
	TT_EQ(state_of(s), TERN_TCP_CLOSE_WAIT);
	TT_EQ(tern_socket_send(s, "response", 8, 0), 8);
	tern_sim_run_for(n.sim, TERN_MS(100));
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), 8);
	TT_CHECK(memcmp(b, "response", 8) == 0);
	TT_EQ(tern_socket_send(c, "more", 4, 0), TERN_EPIPE);
	TT_EQ(tern_socket_close(s), 0);
	tern_sim_run_for(n.sim, TERN_MS(100));
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), 0);
	TT_EQ(state_of(c), TERN_TCP_TIME_WAIT);
	tern_sim_del(n.sim);
}

TT_TEST(test_listen_backlog_overflow_is_counted_and_clients_get_in_later)
{
	net n;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_no_syncookies = true;  /* the plain queue-full path: SYNs dropped */
	TT_EQ(net_up(&n, 8, &cfg), 0);
	tern_socket *l, *c[6];
	tern_endpoint any = {0, 80}, dst = {B_IP, 80};
	TT_EQ(tern_tcp_open(B(&n), &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 2), 0);
	for (int i = 0; i < 6; i++) {
		TT_EQ(tern_tcp_open(A(&n), &c[i]), 0);
		TT_EQ(tern_socket_connect(c[i], &dst), TERN_EINPROGRESS);
	}
	tern_sim_run_for(n.sim, TERN_MS(500));
	tern_counters ct;
	tern_stack_counters(B(&n), &ct);
	TT_CHECK(ct.tcp_listen_overflows > 0);
	/* the application accepts; retransmitted SYNs get in */
	int accepted = 0;
	for (int round = 0; round < 60 && accepted < 6; round++) {
		tern_socket *s;
		while (tern_socket_accept(l, &s, NULL) == 0)
			accepted++;
		tern_sim_run_for(n.sim, TERN_SEC(1));
	}
	TT_EQ(accepted, 6);
	tern_sim_del(n.sim);
}

/* RFC 4987 3.6: with the SYN queue full, SYN cookies let every client
 * in without the listener holding state for it; a cookie ACK that meets a
 * full accept queue is dropped, and the client's retransmitted request
 * (which still carries the cookie) gets it in once the application accepts. */
TT_TEST(test_syn_cookies_let_every_client_in_past_a_full_syn_queue)
{
	net n;
	TT_EQ(net_up(&n, 18, NULL), 0);
	tern_socket *l, *c[6];
	tern_endpoint any = {0, 80}, dst = {B_IP, 80};
	TT_EQ(tern_tcp_open(B(&n), &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 2), 0);
	for (int i = 0; i < 6; i++) {
		TT_EQ(tern_tcp_open(A(&n), &c[i]), 0);
		TT_EQ(tern_socket_connect(c[i], &dst), TERN_EINPROGRESS);
	}
	tern_sim_run_for(n.sim, TERN_MS(100));
	for (int i = 0; i < 6; i++) {
		char req[8] = {'c', 'l', 'i', 'e', 'n', 't', (char)('0' + i), 0};
		TT_EQ(tern_socket_send(c[i], req, 8, 0), 8);
	}
	int accepted = 0;
	unsigned seen = 0;
	for (int round = 0; round < 120 && accepted < 6; round++) {
		tern_socket *s;
		while (tern_socket_accept(l, &s, NULL) == 0) {
			accepted++;
			tern_sim_run_for(n.sim, TERN_MS(50));
			char b[16] = {0};
			TT_EQ(tern_socket_recv(s, b, sizeof b, 0), 8);
			TT_CHECK(memcmp(b, "client", 6) == 0);
			seen |= 1u << (b[6] - '0');
		}
		tern_sim_run_for(n.sim, TERN_SEC(1));
	}
	TT_EQ(accepted, 6);
	TT_EQ(seen, 0x3fu);
	tern_counters ct;
	tern_stack_counters(B(&n), &ct);
	TT_CHECK(ct.tcp_syncookies_sent >= 4);
	TT_CHECK(ct.tcp_syncookies_ok >= 4);
	TT_EQ(ct.tcp_syncookies_failed, 0);
	tern_sim_del(n.sim);
}

TT_TEST(test_peer_that_forgot_the_connection_resets_it)
{
	net n;
	TT_EQ(net_up(&n, 9, NULL), 0);
	tern_socket *c, *l, *s;
	TT_EQ(connect_pair(&n, 80, &c, &l, &s), 0);
	/* B loses the connection without a word reaching A (its RST is lost) */
	cut(&n, true);
	TT_EQ(tern_socket_abort(s), 0);
	tern_sim_run_for(n.sim, TERN_MS(100));
	cut(&n, false);
	TT_EQ(tern_socket_send(c, "anyone?", 7, 0), 7);
	tern_sim_run_for(n.sim, TERN_MS(200));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), TERN_ECONNRESET);
	TT_EQ(state_of(c), TERN_TCP_CLOSED);
	tern_sim_del(n.sim);
}

TT_MAIN(test_cut_link_times_out_connection_after_r2_retransmissions,
	test_keepalive_detects_a_silent_peer,
	test_keepalive_hours_away_keeps_its_time_beside_other_timers,
	test_user_timeout_ends_a_stalled_transfer,
	test_zero_window_persists_until_the_reader_resumes,
	test_simultaneous_open_both_reach_established, test_simultaneous_close_both_reach_time_wait,
	test_half_close_lets_the_peer_keep_sending,
	test_listen_backlog_overflow_is_counted_and_clients_get_in_later,
	test_syn_cookies_let_every_client_in_past_a_full_syn_queue,
	test_peer_that_forgot_the_connection_resets_it)
