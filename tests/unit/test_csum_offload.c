/* test_csum_offload.c - checksum offloads (TERN_CSUM_OFFLOAD_*): with
 * TCP_TX the stack leaves data segments' checksums partial for the device
 * to finish; with RX it takes the device's word for TCP and UDP checksums
 * of whole packets, but still checks datagrams it reassembles itself. */
#include "pair.h"
#include "tt.h"

#define BOTH (TERN_CSUM_OFFLOAD_TCP_TX | TERN_CSUM_OFFLOAD_RX)

typedef struct seen {
	uint64_t data_segs, partial, finished;
} seen;

/* Is pkt's TCP checksum field the pseudo-header sum alone? */
static bool csum_partial(const tern_ip4_repr *ip, const tern_tcp_repr *t)
{
	uint64_t ps = tern_csum_pseudo4(ip->src, ip->dst, TERN_IPPROTO_TCP, (uint16_t)ip->payload_len);
	return t->csum == tern_csum_fold(ps);
}

static bool watch_data(pair *p, int from, uint8_t *pkt, size_t len)
{
	seen *w = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from != 0 || tern_ip4_parse(pkt, len, true, &ip) || ip.proto != TERN_IPPROTO_TCP)
		return true;
	bool good = tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, true, &t) == 0;
	if (tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t) || !t.payload_len)
		return true;
	w->data_segs++;
	w->partial += csum_partial(&ip, &t);
	w->finished += good;
	return true;
}

static uint8_t data[1 << 20];

/* Send all of data from c to s; returns the hash of what s read. */
static uint64_t transfer(pair *p, tern_socket *c, tern_socket *s)
{
	size_t sent = 0, got = 0;
	uint64_t h = FX_FNV_BASIS;
	uint8_t buf[16384];
	for (int round = 0; round < 20000 && got < sizeof data; round++) {
		if (sent < sizeof data) {
			int n = tern_socket_send(c, data + sent, sizeof data - sent, 0);
			if (n > 0)
				sent += (size_t)n;
		}
		pair_run(p, p->now + TERN_MS(1));
		int n;
		while ((n = tern_socket_recv(s, buf, sizeof buf, 0)) > 0) {
			h = fx_fnv(h, buf, (size_t)n);
			got += (size_t)n;
		}
	}
	return got == sizeof data ? h : 0;
}

/* 1 MiB from side 0 to side 1 over interfaces with csum_offload; what the
 * data segments' checksum fields held is counted into *w. */
static void offload_transfer(uint32_t csum_offload, seen *w)
{
	pair p;
	fx_fill(data, sizeof data, 0x243f6a8885a308d3ull);
	TT_EQ(pair_init_offload(&p, TERN_MS(1), csum_offload), 0);
	p.filter = watch_data;
	p.ctx = w;
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	TT_EQ(transfer(&p, c, s), fx_fnv(FX_FNV_BASIS, data, sizeof data));
	TT_CHECK(w->data_segs >= sizeof data / 1460);
	tern_counters k;
	tern_stack_counters(pair_st(&p, 1), &k);
	TT_EQ(k.tcp_in_errs, 0);
	pair_fini(&p);
}

TT_TEST(test_offload_both_ends_transfer_is_intact_with_data_checksums_left_partial)
{
	seen w = {0};
	offload_transfer(BOTH, &w);
	/* Every data segment went out unfinished, for the device to complete. */
	TT_EQ(w.partial, w.data_segs);
	TT_EQ(w.finished, 0);
}

TT_TEST(test_without_offload_every_data_segment_carries_a_finished_checksum)
{
	seen w = {0};
	offload_transfer(0, &w);
	TT_EQ(w.finished, w.data_segs);
}

/* A SYN to port 80 from 192.0.2.1, its checksum spoilt when bad. */
static size_t syn(uint8_t *pkt, bool bad)
{
	uint8_t seg[64];
	tern_tcp_repr h = {.sport = 4000, .dport = 80, .seq = 1000, .flags = TERN_TCP_SYN,
			   .wnd = 65535};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, FX_PEER, FX_US);
	if (bad)
		seg[16] ^= 0x5a;
	return fx_ip4(pkt, FX_PEER, FX_US, TERN_IPPROTO_TCP, 1, 0, false, seg, sl);
}

/* Side effects of one SYN with a bad checksum at a listener on an
 * interface with csum_offload: SYN-ACKs sent, tcp_in_errs counted. */
static void bad_syn_at(uint32_t csum_offload, size_t *synacks, uint64_t *errs)
{
	fixture f;
	TT_EQ(fx_init_offload(&f, FX_US, 1500, csum_offload), 0);
	tern_socket *l;
	tern_endpoint any = {0, 80};
	TT_EQ(tern_tcp_open(f.st, &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 4), 0);
	uint8_t pkt[128];
	fx_input(&f, pkt, syn(pkt, true), TERN_MS(1));
	tern_counters k;
	tern_stack_counters(f.st, &k);
	*synacks = f.nout;
	*errs = k.tcp_in_errs;
	fx_fini(&f);
}

TT_TEST(test_rx_offload_takes_the_devices_word_a_plain_interface_drops_a_bad_checksum)
{
	size_t synacks;
	uint64_t errs;
	bad_syn_at(0, &synacks, &errs);
	TT_EQ(synacks, 0);
	TT_EQ(errs, 1);
	/* The device vouched for it (it would have dropped a bad one): the
	 * stack spends no pass over the bytes. */
	bad_syn_at(TERN_CSUM_OFFLOAD_RX, &synacks, &errs);
	TT_EQ(synacks, 1);
	TT_EQ(errs, 0);
}

TT_TEST(test_rx_offload_still_checks_a_datagram_it_reassembled)
{
	fixture f;
	TT_EQ(fx_init_offload(&f, FX_US, 1500, BOTH), 0);
	tern_socket *u;
	tern_endpoint ep = {0, 7};
	TT_EQ(tern_udp_open(f.st, &u), 0);
	TT_EQ(tern_socket_bind(u, &ep), 0);
	static uint8_t payload[2000], dgram[2100], frag[1600];
	memset(payload, 'x', sizeof payload);
	size_t dl = tern_udp_build(dgram, sizeof dgram, 5555, 7, payload, sizeof payload, FX_PEER,
				   FX_US, true);
	dgram[7] ^= 0x01;  /* the checksum, spoilt */
	/* Two fragments: 1480 bytes, then the rest. */
	size_t k = fx_ip4(frag, FX_PEER, FX_US, TERN_IPPROTO_UDP, 9, 0, true, dgram, 1480);
	fx_input(&f, frag, k, TERN_MS(1));
	k = fx_ip4(frag, FX_PEER, FX_US, TERN_IPPROTO_UDP, 9, 1480, false, dgram + 1480, dl - 1480);
	fx_input(&f, frag, k, TERN_MS(2));
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_oks, 1);
	TT_EQ(c.udp_in_errors, 1);
	uint8_t buf[2100];
	TT_EQ(tern_socket_recvfrom(u, buf, sizeof buf, NULL), TERN_EAGAIN);
	fx_fini(&f);
}

TT_TEST(test_iface_refuses_unknown_checksum_offload_bits)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_iface_config ic = {.name = "x", .addr = TERN_IP4(198, 51, 100, 1), .prefix = 24,
				.mtu = 1500, .csum_offload = 4};
	tern_iface *ifc;
	TT_EQ(tern_iface_add(f.st, &ic, &f.dev, &ifc), TERN_EINVAL);
	fx_fini(&f);
}

TT_TEST(test_device_side_check_flags_only_whole_tcp_and_udp_with_a_wrong_sum)
{
	uint8_t pkt[2100];
	size_t n = syn(pkt, false);
	TT_CHECK(!tern_ip4_l4_csum_bad(pkt, n));
	n = syn(pkt, true);
	TT_CHECK(tern_ip4_l4_csum_bad(pkt, n));
	/* A fragment cannot be judged alone; nor can what does not parse. */
	pkt[6] |= 0x20;  /* MF */
	TT_CHECK(!tern_ip4_l4_csum_bad(pkt, n));
	TT_CHECK(!tern_ip4_l4_csum_bad(pkt, 10));
	uint8_t pl[5] = "hello";
	n = fx_udp(pkt, FX_PEER, 5555, FX_US, 7, pl, sizeof pl);
	TT_CHECK(!tern_ip4_l4_csum_bad(pkt, n));
	pkt[n - 1] ^= 0x40;
	TT_CHECK(tern_ip4_l4_csum_bad(pkt, n));
	/* RFC 768: a zero checksum is no checksum. */
	pkt[TERN_IP4_HLEN + 6] = pkt[TERN_IP4_HLEN + 7] = 0;
	TT_CHECK(!tern_ip4_l4_csum_bad(pkt, n));
}

TT_MAIN(test_offload_both_ends_transfer_is_intact_with_data_checksums_left_partial,
	test_without_offload_every_data_segment_carries_a_finished_checksum,
	test_rx_offload_takes_the_devices_word_a_plain_interface_drops_a_bad_checksum,
	test_rx_offload_still_checks_a_datagram_it_reassembled,
	test_iface_refuses_unknown_checksum_offload_bits,
	test_device_side_check_flags_only_whole_tcp_and_udp_with_a_wrong_sum)
