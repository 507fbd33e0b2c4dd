/* test_tcp_icmp.c - ICMP errors about TCP segments: a port unreachable
 * for our SYN refuses the connection; an error quoting a sequence number
 * not in flight is ignored and counted (RFC 5927); an established
 * connection survives a hard error (RFC 5461); fragmentation needed lowers
 * the path MTU, which is remembered per destination and tried larger again
 * after ten minutes (RFC 1191). */
#include "fixture.h"
#include "tt.h"

static uint8_t buf[2048];

/* Answer the segment f sent last with an ICMP error quoting it, shifted by
 * seq_delta in its sequence number. */
static void icmp_about_last_typed(fixture *f, uint8_t type, uint8_t code, uint32_t seq_delta);

static void icmp_about_last(fixture *f, uint8_t code, uint32_t seq_delta)
{
	icmp_about_last_typed(f, TERN_ICMP_DEST_UNREACH, code, seq_delta);
}

static void icmp_about_last_typed(fixture *f, uint8_t type, uint8_t code, uint32_t seq_delta)
{
	uint8_t quote[28];
	memcpy(quote, f->out[f->nout - 1].data, sizeof quote);
	tern_put32(quote + 24, tern_get32(quote + 24) + seq_delta);
	uint8_t icmp[64];
	tern_icmp4_repr m = {.type = type, .code = code, .data = quote, .data_len = sizeof quote};
	size_t il = tern_icmp4_build(icmp, sizeof icmp, &m);
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_ICMP, 1, 0, false, icmp, il);
	fx_input(f, buf, n, TERN_MS(1));
}

static tern_socket *connecting_to(fixture *f, uint32_t peer)
{
	tern_socket *s;
	tern_endpoint dst = {peer, 80};
	if (tern_tcp_open(f->st, &s) || tern_socket_connect(s, &dst) != TERN_EINPROGRESS)
		return NULL;
	return s;
}

static tern_socket *connecting(fixture *f) { return connecting_to(f, FX_PEER); }

TT_TEST(test_port_unreachable_for_our_syn_refuses_the_connection)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = connecting(&f);
	TT_CHECK(s && f.nout == 1);
	icmp_about_last(&f, TERN_ICMP_PORT_UNREACH, 0);
	uint8_t b[4];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), TERN_ECONNREFUSED);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.tcp_icmp_aborts, 1);
	fx_fini(&f);
}

TT_TEST(test_icmp_error_quoting_a_sequence_not_in_flight_is_ignored)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = connecting(&f);
	TT_CHECK(s);
	icmp_about_last(&f, TERN_ICMP_PORT_UNREACH, 100000);
	tern_tcp_info i;
	TT_EQ(tern_socket_info(s, &i), 0);
	TT_EQ(i.state, TERN_TCP_SYN_SENT);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.tcp_icmp_out_of_window, 1);
	fx_fini(&f);
}

TT_TEST(test_established_connection_survives_hard_icmp_error)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = connecting(&f);
	TT_CHECK(s);
	/* the peer's SYN-ACK */
	tern_tcp_repr syn;
	TT_EQ(tern_tcp_parse(f.out[0].data + 20, f.out[0].len - 20, FX_US, FX_PEER, true, &syn), 0);
	uint8_t seg[64];
	tern_tcp_repr h = {.sport = 80, .dport = syn.sport, .seq = 5000, .ack = syn.seq + 1,
			   .flags = TERN_TCP_SYN | TERN_TCP_ACK, .wnd = 65535};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, FX_PEER, FX_US);
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_TCP, 2, 0, false, seg, sl);
	fx_input(&f, buf, n, TERN_MS(1));
	TT_EQ(tern_socket_send(s, "x", 1, 0), 1);
	icmp_about_last(&f, TERN_ICMP_PORT_UNREACH, 0);
	tern_tcp_info i;
	TT_EQ(tern_socket_info(s, &i), 0);
	TT_EQ(i.state, TERN_TCP_ESTABLISHED);
	fx_fini(&f);
}

/* RFC 9293 3.9.2.2 (MUST-55, MUST-56): Source Quench is ignored; net or
 * host unreachable and time exceeded are soft errors that leave an opening
 * connection to its retransmissions, and are reported if it times out. */
TT_TEST(test_soft_icmp_errors_leave_the_syn_to_its_retransmissions)
{
	fixture f;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_syn_retries = 2;
	TT_EQ(fx_init_cfg(&f, FX_US, 24, 1500, &cfg), 0);
	tern_socket *s = connecting(&f);
	TT_CHECK(s);
	icmp_about_last_typed(&f, 4 /* source quench */, 0, 0);
	icmp_about_last(&f, TERN_ICMP_NET_UNREACH, 0);
	icmp_about_last_typed(&f, TERN_ICMP_TIME_EXCEEDED, 0, 0);
	icmp_about_last(&f, TERN_ICMP_HOST_UNREACH, 0);
	tern_tcp_info i;
	TT_EQ(tern_socket_info(s, &i), 0);
	TT_EQ(i.state, TERN_TCP_SYN_SENT);
	/* MUST-47: the soft error is reported at once, asynchronously */
	TT_CHECK(tern_socket_events(s) & TERN_EV_SOFT_ERROR);
	int soft;
	TT_EQ(tern_socket_getopt(s, TERN_SO_SOFT_ERROR, &soft), 0);
	TT_EQ(soft, TERN_EHOSTUNREACH);
	for (tern_time t = 0; t <= TERN_SEC(10); t += TERN_MS(100))
		tern_stack_poll(f.st, t);  /* 1 + 2 + 4 s of retransmissions */
	uint8_t b[4];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), TERN_EHOSTUNREACH);  /* the last soft error */
	fx_fini(&f);
}

/* RFC 9293 3.9.1 / RFC 1122 4.2.3.10 (MUST-57): a SYN to a broadcast
 * address is dropped without a word. */
TT_TEST(test_syn_to_a_broadcast_address_is_ignored)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *l;
	tern_endpoint any = {0, 80};
	TT_EQ(tern_tcp_open(f.st, &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 4), 0);
	uint8_t seg[64];
	tern_tcp_repr h = {.sport = 40000, .dport = 80, .seq = 1, .flags = TERN_TCP_SYN, .wnd = 1000};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, FX_PEER, TERN_IP4(192, 0, 2, 255));
	size_t n = fx_ip4(buf, FX_PEER, TERN_IP4(192, 0, 2, 255), TERN_IPPROTO_TCP, 3, 0, false, seg, sl);
	fx_input(&f, buf, n, TERN_MS(1));
	TT_EQ(f.nout, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.tcp_in_errs, 1);
	fx_fini(&f);
}

/* An established connection to a peer with MSS 1460 and 3000 bytes queued:
 * two full segments go out, Nagle holds the tail. */
static tern_socket *established_sending_to(fixture *f, uint32_t peer)
{
	size_t syn_at = f->nout;
	tern_socket *s = connecting_to(f, peer);
	if (!s || f->nout != syn_at + 1)
		return NULL;
	tern_tcp_repr syn;
	if (tern_tcp_parse(f->out[syn_at].data + 20, f->out[syn_at].len - 20, FX_US, peer, true,
			   &syn))
		return NULL;
	uint8_t seg[64];
	tern_tcp_repr h = {.sport = 80, .dport = syn.sport, .seq = 5000, .ack = syn.seq + 1,
			   .flags = TERN_TCP_SYN | TERN_TCP_ACK, .wnd = 65535};
	h.opts.present = TERN_TCPO_MSS;
	h.opts.mss = 1460;
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, peer, FX_US);
	size_t n = fx_ip4(buf, peer, FX_US, TERN_IPPROTO_TCP, 2, 0, false, seg, sl);
	fx_input(f, buf, n, tern_stack_now(f->st));
	static uint8_t data[3000];
	if (tern_socket_send(s, data, sizeof data, 0) != (long)sizeof data)
		return NULL;
	return s;
}

static tern_socket *established_sending(fixture *f) { return established_sending_to(f, FX_PEER); }

static void frag_needed_about(fixture *f, size_t pkt, uint16_t mtu)
{
	uint8_t quote[28];
	memcpy(quote, f->out[pkt].data, sizeof quote);
	uint8_t icmp[64];
	tern_icmp4_repr m = {.type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_FRAG_NEEDED,
			     .mtu = mtu, .data = quote, .data_len = sizeof quote};
	size_t il = tern_icmp4_build(icmp, sizeof icmp, &m);
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_ICMP, 3, 0, false, icmp, il);
	fx_input(f, buf, n, tern_stack_now(f->st));
}

static size_t payload_of(fixture *f, size_t pkt, uint32_t *seq)
{
	tern_tcp_repr t;
	if (tern_tcp_parse(f->out[pkt].data + 20, f->out[pkt].len - 20, FX_US, FX_PEER, true, &t))
		return 0;
	*seq = t.seq;
	return t.payload_len;
}

static size_t first_data(fixture *f)
{
	uint32_t seq;
	for (size_t i = 0; i < f->nout; i++)
		if (payload_of(f, i, &seq))
			return i;
	return 0;
}

/* RFC 1191 6.1-6.4: fragmentation needed with a next-hop MTU of 1280
 * makes the connection resend its flight at once in 1240-byte segments. */
TT_TEST(test_fragmentation_needed_resegments_the_flight_to_the_reported_mtu)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	TT_CHECK(established_sending(&f) != NULL);
	size_t first = first_data(&f);
	uint32_t seq0, seq;
	TT_EQ(payload_of(&f, first, &seq0), 1460);
	size_t before = f.nout;
	frag_needed_about(&f, first, 1280);
	TT_CHECK(f.nout >= before + 2);
	TT_EQ(payload_of(&f, before, &seq), 1240);
	TT_EQ(seq, seq0);
	TT_EQ(payload_of(&f, before + 1, &seq), 1240);
	TT_EQ(seq, seq0 + 1240);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.tcp_pmtu_lowered, 1);
	fx_fini(&f);
}

/* RFC 5927 7.2: a forged report cannot shrink segments below the floor
 * (576, so 536 bytes of payload), and one not below the path MTU does
 * nothing but count. */
TT_TEST(test_fragmentation_needed_never_goes_below_the_floor_or_up)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	TT_CHECK(established_sending(&f) != NULL);
	size_t first = first_data(&f), before = f.nout;
	frag_needed_about(&f, first, 1500);
	TT_EQ(f.nout, before);
	frag_needed_about(&f, first, 100);
	uint32_t seq;
	TT_CHECK(f.nout > before);
	TT_EQ(payload_of(&f, before, &seq), 536);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.tcp_pmtu_ignored, 1);
	TT_EQ(c.tcp_pmtu_lowered, 1);
	fx_fini(&f);
}

static uint32_t smss_of(tern_socket *s)
{
	tern_tcp_info i;
	tern_socket_info(s, &i);
	return i.smss;
}

/* RFC 1191 6.3: the path MTU learnt for a destination is where the next
 * connection to it starts; other destinations keep the interface's. */
TT_TEST(test_path_mtu_learnt_for_a_destination_is_where_its_next_connection_starts)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *a = established_sending(&f);
	TT_CHECK(a != NULL);
	frag_needed_about(&f, first_data(&f), 1280);
	TT_EQ(smss_of(a), 1240);
	fx_clear(&f);
	tern_socket *b = established_sending(&f);
	TT_CHECK(b != NULL);
	TT_EQ(smss_of(b), 1240);
	uint32_t seq;
	TT_EQ(payload_of(&f, first_data(&f), &seq), 1240);  /* its first segment fits */
	tern_socket *other = established_sending_to(&f, TERN_IP4(192, 0, 2, 3));
	TT_CHECK(other != NULL);
	TT_EQ(smss_of(other), 1460);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.tcp_pmtu_lowered, 1);
	TT_EQ(c.tcp_pmtu_cached, 1);
	fx_fini(&f);
}

/* RFC 1191 6.3 ("no less than 5 minutes ... recommended 10"): ten minutes
 * after a decrease the larger MTU is tried again, by new connections (the
 * cache entry is gone) and by the lowered one (its full MSS back); a path
 * still narrow reports again and is lowered again. */
TT_TEST(test_path_mtu_is_tried_larger_again_ten_minutes_after_a_decrease)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *a = established_sending(&f);
	TT_CHECK(a != NULL);
	frag_needed_about(&f, first_data(&f), 1280);
	tern_time lowered = tern_stack_now(f.st);
	tern_stack_poll(f.st, lowered + TERN_SEC(599));
	fx_clear(&f);
	tern_socket *b = established_sending(&f);
	TT_EQ(smss_of(b), 1240);   /* nine minutes on: still the learnt MTU */
	uint8_t more[4000] = {0};
	TT_EQ(tern_socket_send(a, more, sizeof more, 0), (long)sizeof more);
	TT_EQ(smss_of(a), 1240);
	tern_stack_poll(f.st, lowered + TERN_SEC(600));
	fx_clear(&f);
	tern_socket *c = established_sending(&f);
	TT_EQ(smss_of(c), 1460);   /* ten: a new connection tries the full size */
	TT_EQ(tern_socket_send(a, more, 100, 0), 100);
	TT_EQ(smss_of(a), 1460);   /* and so does the lowered one */
	tern_counters ct;
	tern_stack_counters(f.st, &ct);
	TT_CHECK(ct.tcp_pmtu_raised >= 1);
	TT_EQ(ct.tcp_pmtu_cached, 1);
	/* the path is still narrow: c's full-size segment brings a report */
	fx_clear(&f);
	TT_EQ(tern_socket_send(c, more, sizeof more, 0), (long)sizeof more);
	uint32_t seq;
	size_t big = first_data(&f);
	TT_EQ(payload_of(&f, big, &seq), 1460);
	frag_needed_about(&f, big, 1280);
	TT_EQ(smss_of(c), 1240);
	tern_stack_counters(f.st, &ct);
	TT_EQ(ct.tcp_pmtu_lowered, 2);
	fx_fini(&f);
}

TT_MAIN(test_port_unreachable_for_our_syn_refuses_the_connection,
	test_soft_icmp_errors_leave_the_syn_to_its_retransmissions,
	test_syn_to_a_broadcast_address_is_ignored,
	test_icmp_error_quoting_a_sequence_not_in_flight_is_ignored,
	test_established_connection_survives_hard_icmp_error,
	test_fragmentation_needed_resegments_the_flight_to_the_reported_mtu,
	test_fragmentation_needed_never_goes_below_the_floor_or_up,
	test_path_mtu_learnt_for_a_destination_is_where_its_next_connection_starts,
	test_path_mtu_is_tried_larger_again_ten_minutes_after_a_decrease)
