/* gen_corpus.c - writes the fuzzers' seed corpora (tests/fuzz/corpus/).
 *
 *   fuzz_gen_corpus OUTDIR     (make fuzz-corpus runs it on tests/fuzz/corpus)
 *
 * The seeds are real traffic: a tern stack in the fuzzers' own environment
 * (stack_env.h, deterministic, so the recorded packets fit it exactly) goes
 * through handshakes, transfers, closes, resets, retransmissions, zero
 * windows, urgent data, UDP, ICMP echo and errors, and fragments. What the
 * peer sends is recorded as fuzz_stack inputs; every packet either way is
 * cut into seeds for the wire parsers (fuzz_ip4, fuzz_icmp, fuzz_udp,
 * fuzz_tcp). The structured harnesses (fuzz_tcpseg, fuzz_api) get short
 * hand-written programs in their input languages. Deterministic output. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <sys/stat.h>

#include "stack_env.h"
#include "tools/smpp_pdu.h"

static const char *outdir;

static void write_seed(const char *harness, const char *name, const uint8_t *d, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", outdir, harness);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/%s/%s", outdir, harness, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- wire seeds: every distinct kind of packet seen, either way --------- */

#define MAX_KINDS 128
static struct {
	char name[48];
} kinds[MAX_KINDS];
static int nkinds;

static bool new_kind(const char *name)
{
	for (int i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i].name, name))
			return false;
	if (nkinds == MAX_KINDS)
		return false;
	snprintf(kinds[nkinds++].name, sizeof kinds[0].name, "%s", name);
	return true;
}

static void tcp_flag_name(uint8_t f, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s%s%s%s", f & TERN_TCP_SYN ? "syn" : "", f & TERN_TCP_FIN ? "fin" : "",
		 f & TERN_TCP_RST ? "rst" : "", f & TERN_TCP_PSH ? "psh" : "",
		 f & TERN_TCP_URG ? "urg" : "", f & TERN_TCP_ACK ? "ack" : "");
}

static void wire_seeds(const char *dir, const uint8_t *p, size_t n)
{
	tern_ip4_repr ip;
	if (tern_ip4_parse(p, n, true, &ip) != TERN_WIRE_OK)
		return;
	char kind[48], what[24] = "";
	bool frag = ip.mf || ip.frag_off;
	if (frag)
		snprintf(what, sizeof what, "frag%s", ip.frag_off ? "-later" : "-first");
	else if (ip.proto == TERN_IPPROTO_TCP && ip.payload_len >= TERN_TCP_HLEN)
		tcp_flag_name(ip.payload[13], what, sizeof what);
	else if (ip.proto == TERN_IPPROTO_ICMP && ip.payload_len >= 2)
		snprintf(what, sizeof what, "t%u-c%u", ip.payload[0], ip.payload[1]);
	const char *proto = ip.proto == TERN_IPPROTO_TCP ? "tcp"
			    : ip.proto == TERN_IPPROTO_UDP ? "udp"
			    : ip.proto == TERN_IPPROTO_ICMP ? "icmp" : "ip";
	static uint8_t buf[70000];
	/* fuzz_ip4: one seed per direction, protocol and fragment position
	 * (flags: verify the checksum), then the packet */
	snprintf(kind, sizeof kind, "ip4:%s-%s%s%s", dir, proto, frag ? "-" : "", frag ? what : "");
	if (new_kind(kind)) {
		buf[0] = 2;
		memcpy(buf + 1, p, n);
		write_seed("ip4", kind + 4, buf, n + 1);
	}
	if (frag)
		return;
	/* the transport seeds: one per direction and TCP flags / ICMP type */
	snprintf(kind, sizeof kind, "l4:%s-%s%s%s", dir, proto, what[0] ? "-" : "", what);
	if (!new_kind(kind))
		return;
	size_t l4 = ip.payload_len;
	if (ip.proto == TERN_IPPROTO_ICMP) {
		buf[0] = 0;
		memcpy(buf + 1, ip.payload, l4);
		write_seed("icmp", kind + 3, buf, l4 + 1);
	} else if (ip.proto == TERN_IPPROTO_UDP || ip.proto == TERN_IPPROTO_TCP) {
		buf[0] = 2;
		tern_put32(buf + 1, ip.src);
		tern_put32(buf + 5, ip.dst);
		memcpy(buf + 9, ip.payload, l4);
		write_seed(ip.proto == TERN_IPPROTO_UDP ? "udp" : "tcp", kind + 3, buf, l4 + 9);
	}
}

static void in_hook(const uint8_t *p, size_t n);
static void out_hook(const uint8_t *p, size_t n) { wire_seeds("out", p, n); }

/* ---- fuzz_stack seeds: recorded scenarios --------------------------------- */

static uint8_t rec[1 << 16];
static size_t nrec;
static bool recording;

static void rec_put(const void *d, size_t n)
{
	if (nrec + n > sizeof rec) {
		fprintf(stderr, "gen_corpus: a scenario is too long\n");
		exit(1);
	}
	memcpy(rec + nrec, d, n);
	nrec += n;
}

static void in_hook(const uint8_t *p, size_t n)
{
	wire_seeds("in", p, n);
	if (!recording)
		return;
	uint8_t h[3] = {0, (uint8_t)(n >> 8), (uint8_t)n};
	rec_put(h, 3);
	rec_put(p, n);
}

static void g_time(env *e, uint8_t t)
{
	uint8_t h[2] = {2, t};
	rec_put(h, 2);
	if (t & 0x80)
		env_next_deadline(e);
	else
		env_advance(e, (tern_time)1 << (t & 31));
}

static void g_app(env *e, uint8_t a, int extra)
{
	uint8_t h[3] = {3, a, (uint8_t)extra};
	size_t n = extra >= 0 ? 3 : 2;
	rec_put(h, n);
	fz_in in = {h + 2, n - 2};
	env_app(e, a, &in);
}

/* A segment from the peer on conn ci, in sequence plus seqoff, acking all
 * tern sent, with timestamps where tern uses them. */
static void g_seg(env *e, int ci, uint8_t flags, int32_t seqoff, uint16_t wnd, uint16_t urp,
		  size_t plen)
{
	env_conn *c = &e->c[ci];
	uint8_t o[40];
	size_t olen = c->ts ? env_ts_opt(e, c, o) : 0;
	if (flags & TERN_TCP_SYN) {
		tern_tcp_opts to = {0};
		to.present = TERN_TCPO_MSS | TERN_TCPO_SACK_PERM;
		to.mss = 1200;
		olen = tern_tcp_opts_build(o, sizeof o, &to);
	}
	env_seg s = {c->pport, c->lport, c->peer_nxt + (uint32_t)seqoff,
		     (flags & TERN_TCP_SYN) && !(flags & TERN_TCP_ACK) ? 0 : c->stack_nxt,
		     flags, wnd, urp, o, olen, env_pattern + 7, plen};
	if (seqoff == 0 && !(flags & TERN_TCP_RST))
		c->peer_nxt += (uint32_t)plen + !!(flags & TERN_TCP_SYN) + !!(flags & TERN_TCP_FIN);
	e->ts_clock += 10;
	env_send_seg(e, &s);
}

static void g_udp(env *e, uint16_t sport, uint16_t dport, size_t n)
{
	static uint8_t b[4096];
	size_t len = tern_udp_build(b, sizeof b, sport, dport, env_pattern, n, ENV_PEER, ENV_US, true);
	env_send_ip(e, TERN_IPPROTO_UDP, b, len);
}

static void g_icmp(env *e, uint8_t type, uint8_t code, uint16_t mtu, const uint8_t *quote,
		   size_t qlen)
{
	static uint8_t b[256];
	tern_icmp4_repr m = {0};
	m.type = type;
	m.code = code;
	m.mtu = mtu;
	m.id = 0x4242;
	m.seq = 1;
	m.data = quote;
	m.data_len = qlen;
	size_t n = tern_icmp4_build(b, sizeof b, &m);
	env_send_ip(e, TERN_IPPROTO_ICMP, b, n);
}

/* A UDP datagram of n bytes to port 7 in three fragments, sent in `order`. */
static void g_frags(env *e, size_t n, const int order[4])
{
	static uint8_t dg[4096], pkt[2048];
	size_t len = tern_udp_build(dg, sizeof dg, 5000, ENV_UDP_PORT, env_pattern, n, ENV_PEER,
				    ENV_US, true);
	size_t chunk = (len / 3 + 7) & ~(size_t)7;
	for (int i = 0; i < 4 && order[i] >= 0; i++) {
		size_t off = (size_t)order[i] * chunk;
		size_t m = off + chunk < len ? chunk : len - off;
		tern_ip4_repr h = {0};
		h.total_len = (uint16_t)(TERN_IP4_HLEN + m);
		h.id = 0x7777;
		h.mf = off + m < len;
		h.frag_off = (uint16_t)off;
		h.ttl = 64;
		h.proto = TERN_IPPROTO_UDP;
		h.src = ENV_PEER;
		h.dst = ENV_US;
		memcpy(pkt + TERN_IP4_HLEN, dg + off, m);
		tern_ip4_build(pkt, TERN_IP4_HLEN, &h);
		env_input(e, pkt, TERN_IP4_HLEN + m);
	}
}

typedef void (*scenario_fn)(env *e);

static void sc_data_in(env *e)
{
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_PSH, 0, 65535, 0, 300);
	g_time(e, 0x80); /* the delayed ACK */
	g_app(e, 0x00, -1);
	g_seg(e, 1, TERN_TCP_ACK | TERN_TCP_PSH, 0, 65535, 0, 100);
	g_app(e, 0x10, -1);
}

static void sc_data_out(env *e)
{
	g_app(e, 0x02, 40); /* 2561 bytes on conn 0 */
	g_seg(e, 0, TERN_TCP_ACK, 0, 65535, 0, 0);
	g_app(e, 0x12, 4);
	g_seg(e, 1, TERN_TCP_ACK, 0, 65535, 0, 0);
	g_time(e, 0x80);
}

static void sc_peer_close(env *e)
{
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_FIN, 0, 65535, 0, 10);
	g_app(e, 0x00, -1);
	g_app(e, 0x05, -1); /* close: LAST-ACK */
	g_seg(e, 0, TERN_TCP_ACK, 0, 65535, 0, 0);
	g_time(e, 0x80);
}

static void sc_active_close(env *e)
{
	g_app(e, 0x15, -1); /* close conn 1: FIN-WAIT-1 */
	g_seg(e, 1, TERN_TCP_ACK, 0, 65535, 0, 0);
	g_seg(e, 1, TERN_TCP_ACK | TERN_TCP_FIN, 0, 65535, 0, 0);
	g_time(e, 0x80); /* TIME-WAIT ends */
	g_app(e, 0x1d, -1); /* open conn 1 again */
	g_seg(e, 1, TERN_TCP_SYN | TERN_TCP_ACK, 0, 65535, 0, 0);
}

static void sc_simultaneous_close(env *e)
{
	g_app(e, 0x04, 2); /* shutdown(WR) on conn 0 */
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_FIN, 0, 65535, 0, 0);
	g_time(e, 0x80);
	g_time(e, 0x80);
}

static void sc_resets(env *e)
{
	g_seg(e, 1, TERN_TCP_RST, 0, 0, 0, 0);
	g_seg(e, 0, TERN_TCP_RST, 5, 0, 0, 0); /* in window, not exact: a challenge ACK */
	g_seg(e, 0, TERN_TCP_SYN, 0, 65535, 0, 0); /* SYN on an established conn */
	g_app(e, 0x09, 3);
	g_app(e, 0x00, -1);
}

static void sc_new_conn(env *e)
{
	g_seg(e, 2, TERN_TCP_SYN, 0, 65535, 0, 0);
	g_seg(e, 2, TERN_TCP_ACK, 0, 65535, 0, 0);
	g_app(e, 0x07, -1);
	g_seg(e, 2, TERN_TCP_ACK | TERN_TCP_PSH, 0, 65535, 0, 50);
	g_app(e, 0x20, -1);
	g_seg(e, 3, TERN_TCP_SYN, 0, 65535, 0, 0);
	g_seg(e, 4, TERN_TCP_SYN, 0, 65535, 0, 0); /* backlog 2: overflow */
	g_time(e, 0x80); /* SYN-ACK retransmitted */
}

static void sc_udp(env *e)
{
	g_udp(e, 5000, ENV_UDP_PORT, 64);
	g_udp(e, 5000, 9, 20); /* closed: port unreachable */
	g_app(e, 0x0b, 10);
	g_app(e, 0x0b, 100); /* 2400 bytes: fragmented */
}

static void sc_icmp(env *e)
{
	static const uint8_t echo[16] = "tern-fuzz-echo!";
	g_icmp(e, TERN_ICMP_ECHO_REQUEST, 0, 0, echo, sizeof echo);
	g_app(e, 0x02, 30); /* data out on conn 0, then errors quoting it */
	g_icmp(e, TERN_ICMP_DEST_UNREACH, TERN_ICMP_FRAG_NEEDED, 576, e->c[0].last, 48);
	g_icmp(e, TERN_ICMP_DEST_UNREACH, TERN_ICMP_HOST_UNREACH, 0, e->c[1].last, 28);
	g_icmp(e, TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH, 0, e->c[1].last, 40);
	g_icmp(e, TERN_ICMP_TIME_EXCEEDED, 0, 0, e->c[0].last, 28);
	g_app(e, 0x09, 13);
}

static void sc_fragments(env *e)
{
	static const int in_order[4] = {0, 1, 2, -1}, shuffled[4] = {2, 0, 0, 1};
	g_frags(e, 1200, in_order);
	g_frags(e, 900, shuffled);
	g_app(e, 0x0b, 0);
	static const int lost[4] = {0, 2, -1, -1};
	g_frags(e, 600, lost);
	g_time(e, 0x80); /* reassembly times out */
}

static void sc_strangers(env *e)
{
	env_conn stranger = e->c[5];
	stranger.lport = 81; /* a closed port: RST */
	env_conn saved = e->c[5];
	e->c[5] = stranger;
	g_seg(e, 5, TERN_TCP_SYN, 0, 65535, 0, 0);
	g_seg(e, 5, TERN_TCP_ACK, 0, 65535, 0, 0);
	e->c[5] = saved;
	g_seg(e, 5, TERN_TCP_ACK, 0, 65535, 0, 0); /* ACK to the listener, no SYN */
}

static void sc_retransmit(env *e)
{
	g_app(e, 0x02, 20);
	g_time(e, 0x80);
	g_time(e, 0x80);
	g_time(e, 0x80);
	g_seg(e, 0, TERN_TCP_ACK, 0, 65535, 0, 0);
}

static void sc_zero_window(env *e)
{
	g_seg(e, 0, TERN_TCP_ACK, 0, 0, 0, 0);
	g_app(e, 0x02, 10);
	g_time(e, 0x80);
	g_time(e, 0x80);
	g_seg(e, 0, TERN_TCP_ACK, 0, 65535, 0, 0);
}

static void sc_out_of_order(env *e)
{
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_PSH, 200, 65535, 0, 100);
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_PSH, 0, 65535, 0, 200);
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_PSH, 6000, 65535, 0, 2500); /* past the window */
	g_app(e, 0x00, -1);
}

static void sc_urgent(env *e)
{
	g_seg(e, 0, TERN_TCP_ACK | TERN_TCP_PSH | TERN_TCP_URG, 0, 65535, 5, 10);
	g_app(e, 0x01, 4);
	g_app(e, 0x03, -1);
	g_app(e, 0x00, -1);
}

static void sc_keepalive(env *e)
{
	g_app(e, 0x08, 0x14); /* KEEPALIVE 1 on conn 0 */
	g_app(e, 0x08, 0x42); /* KEEPIDLE 5 s */
	g_time(e, 0x80);
	g_time(e, 0x80);
	g_time(e, 0x80);
	g_app(e, 0x0a, -1);
}

static const struct {
	const char *name;
	scenario_fn fn;
} scenarios[] = {
	{"data-in", sc_data_in},         {"data-out", sc_data_out},
	{"peer-close", sc_peer_close},   {"active-close", sc_active_close},
	{"simultaneous-close", sc_simultaneous_close},
	{"resets", sc_resets},           {"new-conn", sc_new_conn},
	{"udp", sc_udp},                 {"icmp", sc_icmp},
	{"fragments", sc_fragments},     {"strangers", sc_strangers},
	{"retransmit", sc_retransmit},   {"zero-window", sc_zero_window},
	{"out-of-order", sc_out_of_order}, {"urgent", sc_urgent},
	{"keepalive", sc_keepalive},
};

/* ---- fuzz_tcpseg and fuzz_api seeds: programs in their languages -------- */

#define SEED(h, name, ...)                                           \
	do {                                                         \
		static const uint8_t d_[] = {__VA_ARGS__};           \
		write_seed(h, name, d_, sizeof d_);                  \
	} while (0)

static void tcpseg_seeds(void)
{
	/* seg conn 0: PSH|ACK, in sequence, 16 bytes; read; delayed ACK */
	SEED("tcpseg", "data-in", 0x00, 0x18, 0x00, 16, 'h', 'e', 'l', 'l', 'o', ' ', 't', 'e',
	     'r', 'n', ' ', 'f', 'u', 'z', 'z', '\n', 0x04, 0x00, 0x03, 0x80);
	/* peer FIN on conn 0, close, ACK of our FIN, time */
	SEED("tcpseg", "peer-close", 0x00, 0x11, 0x00, 0x00, 0x04, 0x05, 0x07, 0x03, 0x80);
	/* close conn 1, ACK, peer FIN, TIME-WAIT runs out */
	SEED("tcpseg", "active-close", 0x04, 0x15, 0x0f, 0x08, 0x11, 0x00, 0x00, 0x03, 0x80, 0x03,
	     0x80);
	/* conn 2: SYN with TS, MSS 1460, SACK-permitted; ACK; accept; data; read */
	SEED("tcpseg", "new-conn", 0x10, 0x02, 0x40, 0x0b, 0x05, 0xb4, 0x00, 0x17, 0x04, 0x07, 0x10,
	     0x18, 0x00, 4, 'p', 'i', 'n', 'g', 0x04, 0x20);
	/* RST on conn 1, exact; then on conn 0, off by 3 (challenge ACK) */
	SEED("tcpseg", "resets", 0x08, 0x14, 0x00, 0x00, 0x00, 0x14, 0x01, 0x03, 0x00);
	/* send 2049 bytes on conn 0; ICMP fragmentation needed, MTU 576; RTO */
	SEED("tcpseg", "icmp-frag-needed", 0x04, 0x02, 0x20, 0x05, 0x04, 0x02, 0x40, 0x03, 0x80,
	     0x07);
	/* ICMP port unreachable (hard) and host unreachable (soft) on conn 1 */
	SEED("tcpseg", "icmp-unreach", 0x04, 0x12, 0x01, 0x0d, 0x03, 0x0d, 0x11, 0x04, 0x19, 0x0d);
	/* zero window, send, persist probes, window opens */
	SEED("tcpseg", "zero-window", 0x00, 0x10, 0x30, 0x00, 0x04, 0x02, 0x10, 0x03, 0x80, 0x03,
	     0x80, 0x03, 0x80, 0x07);
	/* 46 bytes at +100 (out of order), then 100 in sequence fill the hole */
	SEED("tcpseg", "out-of-order", 0x00, 0x18, 0x02, 0x00, 0x64, 46, 'o', 'o', 'o', 'o', 'o',
	     'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o',
	     'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'o',
	     'o', 'o', 'o', 'o', 'o', 0x00, 0x18, 0x00, 0xc0, 0x04, 0x00);
	/* urgent data: URG|PSH|ACK, urgent pointer 5, 8 bytes; peek; read */
	SEED("tcpseg", "urgent", 0x00, 0x38, 0x80, 0x00, 0x05, 8, 'u', 'r', 'g', 'e', 'n', 't', '!',
	     '!', 0x04, 0x01, 0x04, 0x04, 0x00);
	/* send 4097 bytes; a partial ACK (SND.NXT - 2000) with a SACK block */
	SEED("tcpseg", "sack", 0x04, 0x02, 0x40, 0x00, 0x10, 0x48, 0xf8, 0x30, 0x11, 0x03, 0xe8,
	     0x01, 0xf4, 0x00, 0x00, 0x10, 0x48, 0xfc, 0x18, 0x01, 0x00, 0x07);
	/* keepalive on, idle 5 s, probes go unanswered */
	SEED("tcpseg", "keepalive", 0x04, 0x08, 0x14, 0x04, 0x08, 0x42, 0x03, 0x80, 0x03, 0x80,
	     0x03, 0x80, 0x03, 0x80, 0x04, 0x0a);
	/* abort conn 1, open it again, the peer's SYN-ACK, send */
	SEED("tcpseg", "reconnect", 0x04, 0x16, 0x04, 0x0d, 0x08, 0x12, 0x00, 0x00, 0x04, 0x12,
	     0x05);
	/* duplicate and old segments, window shrink, a big pattern payload */
	SEED("tcpseg", "dup-old", 0x00, 0x18, 0x00, 0xc2, 0x00, 0x18, 0x01, 0x80, 0x00, 0x00, 0x10,
	     0x10, 0x01, 0x00, 0x07);
	/* batch: two segments, one answer */
	SEED("tcpseg", "batch", 0x04, 0x1f, 0x00, 0x18, 0x00, 0x02, 'a', 'b', 0x00, 0x18, 0x00,
	     0x02, 'c', 'd', 0x04, 0x0f);
}

/* fuzz_api: b = (op << 1) | side, then a slot byte, then the op's bytes. */
static void api_seeds(void)
{
	/* B: TCP socket, bind :80, listen 5. A: connect to B:80. Run. B:
	 * accept. A: send 5000. Run. B: read. A: close. Run. B: read EOF,
	 * close. Run a while. */
	SEED("api", "tcp-transfer-close", 0x01, 0x00, 0x05, 0x00, 0x10, 0x07, 0x00, 0x03, 0x00,
	     0x00, 0x08, 0x00, 0x11, 0x20, 0x06, 0x01, 0x0b, 0x00, 0x01, 0x0c, 0x00, 0x05, 0x20,
	     0x06, 0x01, 0x20, 0x06, 0x01, 0x11, 0x01, 0x05, 0x16, 0x00, 0x20, 0x06, 0x01, 0x11,
	     0x01, 0x05, 0x17, 0x01, 0x20, 0x04, 0x02, 0x20, 0x04, 0x03);
	/* the same with loss, duplication and reordering on the way */
	SEED("api", "tcp-lossy", 0x01, 0x00, 0x05, 0x00, 0x10, 0x07, 0x00, 0x03, 0x00, 0x00, 0x08,
	     0x00, 0x11, 0x22, 0x00, 0x00, 0x20, 0x06, 0x01, 0x20, 0x04, 0x02, 0x0b, 0x00, 0x01,
	     0x0c, 0x00, 0x06, 0x22, 0x00, 0x01, 0x22, 0x00, 0x02, 0x22, 0x00, 0x00, 0x20, 0x06,
	     0x01, 0x20, 0x04, 0x02, 0x11, 0x01, 0x05, 0x20, 0x04, 0x02, 0x11, 0x01, 0x05);
	/* UDP both ways: B binds :7; A sends 100 and 5000 (fragmented) bytes
	 * to B:7 and 100 to B:80 (port unreachable); B reads, A reads */
	SEED("api", "udp", 0x03, 0x00, 0x05, 0x00, 0x32, 0x02, 0x00, 0x0e, 0x00, 0x62, 0x0e, 0x00,
	     0x65, 0x0e, 0x00, 0x3a, 0x20, 0x06, 0x01, 0x13, 0x00, 0x05, 0x13, 0x00, 0x05, 0x12,
	     0x00, 0x05, 0x12, 0x00, 0x05);
	/* connect to a closed port (RST), to nowhere (no route), to nobody
	 * on the link (SYN retransmissions), and run long */
	SEED("api", "refused", 0x00, 0x00, 0x08, 0x00, 0x20, 0x00, 0x01, 0x08, 0x01, 0x13, 0x00,
	     0x02, 0x08, 0x02, 0x12, 0x20, 0x06, 0x01, 0x1c, 0x00, 0x03, 0x20, 0x04, 0x03, 0x1c,
	     0x02, 0x03, 0x20, 0x07, 0x03);
	/* socket options on a fresh TCP socket and a UDP one, then getopt */
	SEED("api", "options", 0x00, 0x00, 0x1a, 0x00, 0x05, 0x1a, 0x00, 0x16, 0x1a, 0x00, 0x27,
	     0x1a, 0x00, 0x4f, 0x1a, 0x00, 0x6a, 0x1c, 0x00, 0x05, 0x1c, 0x00, 0x0e, 0x02, 0x01,
	     0x1a, 0x01, 0x11, 0x1c, 0x01, 0x03, 0x26, 0x00, 0x01, 0x26, 0x00, 0x05);
	/* allocation failures around an open and a connect */
	SEED("api", "enomem", 0x24, 0x00, 0x11, 0x00, 0x00, 0x24, 0x00, 0x02, 0x01, 0x00, 0x05,
	     0x00, 0x10, 0x07, 0x00, 0x03, 0x00, 0x00, 0x08, 0x00, 0x11, 0x25, 0x00, 0x01, 0x20,
	     0x06, 0x01, 0x0b, 0x00, 0x01);
}

/* ---- more wire seeds: what the stack never sends ------------------------- */

static void extra_wire_seeds(void)
{
	uint8_t b[128];
	/* IPv4 with a loose source route, and one with a strict route */
	tern_ip4_srcroute sr = {3, false, {TERN_IP4(10, 0, 0, 1), TERN_IP4(10, 0, 0, 2), TERN_IP4(10, 0, 0, 3)}};
	uint8_t opts[40];
	for (int strict = 0; strict < 2; strict++) {
		sr.strict = strict;
		size_t olen = tern_ip4_opt_srcroute_build(opts, sizeof opts, &sr, ENV_US);
		tern_ip4_repr h = {0};
		h.total_len = (uint16_t)(TERN_IP4_HLEN + olen + 8);
		h.ttl = 9;
		h.proto = TERN_IPPROTO_UDP;
		h.src = ENV_PEER;
		h.dst = ENV_US;
		b[0] = 3;
		size_t n = tern_ip4_build_opts(b + 1, sizeof b - 1, &h, opts, olen);
		memset(b + 1 + n, 0, 8);
		write_seed("ip4", strict ? "ssrr" : "lsrr", b, 1 + n + 8);
	}
	/* TCP option areas: every kind, and SACK with four blocks */
	tern_tcp_opts to = {0};
	to.present = TERN_TCPO_MSS | TERN_TCPO_WSCALE | TERN_TCPO_SACK_PERM | TERN_TCPO_TS;
	to.mss = 1460;
	to.wscale = 14;
	to.ts_val = 1;
	to.ts_ecr = 2;
	tern_tcp_repr r = {0};
	r.sport = 40000;
	r.dport = 80;
	r.seq = 1;
	r.flags = TERN_TCP_SYN;
	r.wnd = 65535;
	r.opts = to;
	b[0] = 3;
	tern_put32(b + 1, ENV_PEER);
	tern_put32(b + 5, ENV_US);
	size_t n = tern_tcp_build(b + 9, sizeof b - 9, &r, NULL, 0, ENV_PEER, ENV_US);
	write_seed("tcp", "syn-all-options", b, 9 + n);
	memset(&to, 0, sizeof to);
	to.present = TERN_TCPO_SACK;
	to.sack_count = 4;
	for (int i = 0; i < 4; i++) {
		to.sack[i].left = 1000u * (uint32_t)i;
		to.sack[i].right = 1000u * (uint32_t)i + 500;
	}
	r.flags = TERN_TCP_ACK;
	r.opts = to;
	n = tern_tcp_build(b + 9, sizeof b - 9, &r, NULL, 0, ENV_PEER, ENV_US);
	write_seed("tcp", "ack-sack-4", b, 9 + n);
	/* UDP without a checksum (RFC 768), and with link padding after it */
	b[0] = 3;
	n = tern_udp_build(b + 9, sizeof b - 9, 5000, 7, (const uint8_t *)"no checksum", 11,
			   ENV_PEER, ENV_US, false);
	write_seed("udp", "no-checksum", b, 9 + n);
	n = tern_udp_build(b + 9, sizeof b - 9, 53, 5353, (const uint8_t *)"padded", 6, ENV_PEER,
			   ENV_US, true);
	memset(b + 9 + n, 0, 6);
	write_seed("udp", "padded", b, 9 + n + 6);
}

/* ---- SMPP seeds: one of each PDU the codec speaks, and a session ------------ */

static size_t smpp_put(uint8_t *b, size_t at, uint32_t id, uint32_t seq, const tern_smpp_pdu *body)
{
	tern_smpp_pdu p;
	if (body)
		p = *body;
	else
		memset(&p, 0, sizeof p);
	p.id = id;
	p.seq = seq;
	return at + tern_smpp_encode(&p, b + at, TERN_SMPP_PDU_MAX);
}

static void smpp_seeds(void)
{
	static uint8_t b[8 * TERN_SMPP_PDU_MAX];
	tern_smpp_pdu bind, sm, resp;
	memset(&bind, 0, sizeof bind);
	strcpy(bind.u.bind.system_id, "tern");
	strcpy(bind.u.bind.password, "tern");
	bind.u.bind.interface_version = 0x34;
	memset(&sm, 0, sizeof sm);
	strcpy(sm.u.sm.src_addr, "4477009001");
	strcpy(sm.u.sm.dst_addr, "12345");
	sm.u.sm.registered_delivery = 1;
	sm.u.sm.sm_length = 5;
	memcpy(sm.u.sm.short_message, "hello", 5);
	memset(&resp, 0, sizeof resp);
	strcpy(resp.u.resp.id, "0000000000000001");
	size_t n = smpp_put(b, 0, TERN_SMPP_BIND_TRANSCEIVER, 1, &bind);
	write_seed("smpp", "bind", b, n);
	n = smpp_put(b, 0, TERN_SMPP_SUBMIT_SM, 2, &sm);
	write_seed("smpp", "submit", b, n);
	sm.u.sm.esm_class = TERN_SMPP_ESM_RECEIPT;
	strcpy(sm.u.sm.receipted_message_id, "0000000000000001");
	sm.u.sm.has_message_state = true;
	sm.u.sm.message_state = TERN_SMPP_STATE_DELIVRD;
	strcpy(sm.u.sm.tern_msg_id, "0000000000000002");
	n = smpp_put(b, 0, TERN_SMPP_DELIVER_SM, 3, &sm);
	write_seed("smpp", "deliver-receipt", b, n);
	/* A whole session in one stream. */
	n = smpp_put(b, 0, TERN_SMPP_BIND_TRANSMITTER | TERN_SMPP_RESP, 1, &resp);
	n = smpp_put(b, n, TERN_SMPP_SUBMIT_SM | TERN_SMPP_RESP, 2, &resp);
	n = smpp_put(b, n, TERN_SMPP_DELIVER_SM | TERN_SMPP_RESP, 3, NULL);
	n = smpp_put(b, n, TERN_SMPP_ENQUIRE_LINK, 4, NULL);
	n = smpp_put(b, n, TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP, 4, NULL);
	n = smpp_put(b, n, TERN_SMPP_GENERIC_NACK, 5, NULL);
	n = smpp_put(b, n, TERN_SMPP_UNBIND, 6, NULL);
	n = smpp_put(b, n, TERN_SMPP_UNBIND | TERN_SMPP_RESP, 6, NULL);
	write_seed("smpp", "session", b, n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	static env e;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		env_in_hook = NULL;
		env_out_hook = NULL;
		env_init(&e);
		env_in_hook = in_hook;
		env_out_hook = out_hook;
		nrec = 0;
		recording = true;
		scenarios[i].fn(&e);
		recording = false;
		write_seed("stack", scenarios[i].name, rec, nrec);
		env_fini(&e);
	}
	env_in_hook = NULL;
	env_out_hook = NULL;
	tcpseg_seeds();
	api_seeds();
	extra_wire_seeds();
	smpp_seeds();
	printf("seeds written to %s\n", outdir);
	return 0;
}
