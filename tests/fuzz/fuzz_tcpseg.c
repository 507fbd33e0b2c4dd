/* fuzz_tcpseg.c - the TCP engine's state machine: the fuzzer fills in TCP
 * header fields, options and payload for the environment's connections
 * (stack_env.h) and the harness makes them valid packets (addresses, ports,
 * lengths, checksums), with sequence and acknowledgment numbers relative to
 * what tern last sent, so segments land in or near the window instead of
 * dying at the checksum or the acceptability test.
 *
 * Input: records, each an op byte b and its arguments; ci = (b >> 3) % 6
 * names a connection (0: passive, 1: active, 2..5: new peers of the
 * listener); kind = b & 7:
 *   0, 1, 2  a segment on conn ci:
 *       flags   1 byte, the TCP flags as sent
 *       mode    1 byte: bits 0-1 seq (0: the peer's next sequence, 1: +int8,
 *               2: +int16, 3: absolute u32); bits 2-3 ack, the same around
 *               tern's SND.NXT; bits 4-5 window (0: 65535, 1: u8 << 8,
 *               2: u16, 3: 0); bit 6 an options byte follows, else the
 *               timestamp option is sent where tern uses timestamps;
 *               bit 7 a u16 urgent pointer follows
 *       options 1 byte: bit 0 timestamps, 1 MSS (u16 follows), 2 window
 *               scale (u8 follows), 3 SACK-permitted, 4 SACK with
 *               ((o >> 5) & 3) + 1 blocks below tern's SND.NXT (u16 pairs
 *               follow); bit 7: raw option bytes instead (u8 length, bytes)
 *       payload 1 byte L: L < 192, L bytes from the input; else
 *               (L - 191) * 256 bytes of a pattern
 *   3        time: one byte, as in fuzz_stack
 *   4        an application call (env_app)
 *   5        an ICMP error quoting the last packet tern sent on conn ci:
 *            one byte picks type and code (and a u16 MTU follows for
 *            "fragmentation needed"); bit 4 cuts the quote to 28 bytes
 *   6        a raw packet (u16 length, bytes) from the peer to tern,
 *            checksums made right
 *   7        a bare in-sequence ACK of everything tern sent on conn ci */
#include "stack_env.h"

#define MAX_RECORDS 1024

static uint32_t rel(fz_in *in, unsigned mode, uint32_t base)
{
	switch (mode & 3) {
	case 0: return base;
	case 1: return base + (uint32_t)(int32_t)(int8_t)fz_u8(in);
	case 2: return base + (uint32_t)(int32_t)(int16_t)fz_u16(in);
	default: return fz_u32(in);
	}
}

static void segment(env *e, int ci, fz_in *in)
{
	static uint8_t payload[256];
	env_conn *c = &e->c[ci];
	if (!c->lport)
		return; /* the active conn without a socket: no 4-tuple */
	uint8_t flags = fz_u8(in), mode = fz_u8(in);
	uint32_t seq = rel(in, mode, c->peer_nxt);
	uint32_t ack = rel(in, mode >> 2, c->stack_nxt);
	uint16_t wnd;
	switch ((mode >> 4) & 3) {
	case 0: wnd = 65535; break;
	case 1: wnd = (uint16_t)(fz_u8(in) << 8); break;
	case 2: wnd = fz_u16(in); break;
	default: wnd = 0; break;
	}
	uint8_t o[48];
	size_t olen = 0;
	if (mode & 0x40) {
		uint8_t d = fz_u8(in);
		if (d & 0x80) {
			olen = fz_take(in, o, fz_u8(in) % 41);
		} else {
			tern_tcp_opts to = {0};
			if (d & 1) {
				to.present |= TERN_TCPO_TS;
				to.ts_val = e->ts_clock;
				to.ts_ecr = c->ts_recent;
			}
			if (d & 2) {
				to.present |= TERN_TCPO_MSS;
				to.mss = fz_u16(in);
			}
			if (d & 4) {
				to.present |= TERN_TCPO_WSCALE;
				to.wscale = fz_u8(in);
			}
			if (d & 8)
				to.present |= TERN_TCPO_SACK_PERM;
			if (d & 16) {
				to.present |= TERN_TCPO_SACK;
				to.sack_count = (uint8_t)(((d >> 5) & 3) + 1);
				for (int k = 0; k < to.sack_count; k++) {
					to.sack[k].left = c->stack_nxt - fz_u16(in);
					to.sack[k].right = to.sack[k].left + fz_u16(in);
				}
			}
			olen = tern_tcp_opts_build(o, 40, &to);
		}
	} else if (c->ts) {
		olen = env_ts_opt(e, c, o);
	}
	uint16_t urp = (mode & 0x80) ? fz_u16(in) : 0;
	uint8_t l = fz_u8(in);
	const uint8_t *p = payload;
	size_t plen;
	if (l < 192) {
		plen = fz_take(in, payload, l);
	} else {
		plen = (size_t)(l - 191) * 256;
		p = env_pattern;
	}
	env_seg s = {c->pport, c->lport, seq, ack, flags, wnd, urp, o, olen, p, plen};
	if ((mode & 3) == 0 && !(flags & TERN_TCP_RST))
		c->peer_nxt = seq + (uint32_t)plen + !!(flags & TERN_TCP_SYN) +
			      !!(flags & TERN_TCP_FIN);
	e->ts_clock++;
	env_send_seg(e, &s);
}

static void icmp_error(env *e, int ci, fz_in *in)
{
	static const uint8_t kinds[8][2] = {
		{TERN_ICMP_DEST_UNREACH, TERN_ICMP_NET_UNREACH},
		{TERN_ICMP_DEST_UNREACH, TERN_ICMP_HOST_UNREACH},
		{TERN_ICMP_DEST_UNREACH, TERN_ICMP_PROTO_UNREACH},
		{TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH},
		{TERN_ICMP_DEST_UNREACH, TERN_ICMP_FRAG_NEEDED},
		{TERN_ICMP_TIME_EXCEEDED, 0},
		{TERN_ICMP_PARAM_PROBLEM, 0},
		{TERN_ICMP_DEST_UNREACH, 13},
	};
	env_conn *c = &e->c[ci];
	uint8_t x = fz_u8(in);
	uint8_t msg[8 + ENV_QUOTE];
	tern_icmp4_repr m = {0};
	m.type = kinds[x & 7][0];
	m.code = kinds[x & 7][1];
	if (m.type == TERN_ICMP_DEST_UNREACH && m.code == TERN_ICMP_FRAG_NEEDED)
		m.mtu = fz_u16(in);
	if (!c->last_len)
		return;
	m.data = c->last;
	m.data_len = (x & 0x10) && c->last_len > 28 ? 28 : c->last_len;
	size_t n = tern_icmp4_build(msg, sizeof msg, &m);
	FZ_CHECK(n == 8 + m.data_len);
	env_send_ip(e, TERN_IPPROTO_ICMP, msg, n);
}

static void raw(env *e, fz_in *in)
{
	static uint8_t pkt[2048];
	size_t n = fz_take(in, pkt, fz_u16(in) % (sizeof pkt + 1));
	if (n >= TERN_IP4_HLEN) {
		tern_put32(pkt + 12, ENV_PEER);
		tern_put32(pkt + 16, ENV_US);
	}
	fz_fix_ip4(pkt, n);
	env_input(e, pkt, n);
}

static void bare_ack(env *e, int ci)
{
	env_conn *c = &e->c[ci];
	if (!c->lport || !c->seen)
		return;
	uint8_t o[40];
	size_t olen = c->ts ? env_ts_opt(e, c, o) : 0;
	env_seg s = {c->pport, c->lport, c->peer_nxt, c->stack_nxt, TERN_TCP_ACK, 65535, 0,
		     o, olen, NULL, 0};
	e->ts_clock++;
	env_send_seg(e, &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static env e;
	fz_in in = {data, size};

	env_init(&e);
	for (int r = 0; r < MAX_RECORDS && fz_more(&in); r++) {
		uint8_t b = fz_u8(&in);
		int ci = (b >> 3) % ENV_NCONN;
		switch (b & 7) {
		case 0: case 1: case 2:
			segment(&e, ci, &in);
			break;
		case 3: {
			uint8_t t = fz_u8(&in);
			if (t & 0x80)
				env_next_deadline(&e);
			else
				env_advance(&e, (tern_time)1 << (t & 31));
			break;
		}
		case 4:
			env_app(&e, fz_u8(&in), &in);
			break;
		case 5:
			icmp_error(&e, ci, &in);
			break;
		case 6:
			raw(&e, &in);
			break;
		case 7:
			bare_ack(&e, ci);
			break;
		}
	}
	env_fini(&e);
	return 0;
}
