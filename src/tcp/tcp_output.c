/* tcp_output.c - what to send now: SYN and SYN-ACK, data segmented to the
 * effective MSS within the send and congestion windows, Nagle (RFC 896)
 * and sender silly-window avoidance (RFC 1122 4.2.3.4), FIN after the
 * data, the advertised window with receiver SWS avoidance (RFC 1122
 * 4.2.3.3), ACKs, probes and resets. */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

/* RFC 9293 3.8.6.2.2 / RFC 1122 4.2.3.3: move the right edge only by at
 * least min(half the buffer, one MSS), and never shrink it (RFC 9293
 * 3.8.6.2.2: "the total of RCV.NXT and RCV.WND should not be reduced"). */
uint32_t tern_tcp_rcv_window(const tern_tcb *tcb)
{
	uint32_t space = tern_rcvbuf_window(&tcb->rcv);
	if (tcb->fin_rcvd || tcb->rd_shut)
		space = tcb->rcv.cap;  /* nothing more will be read into it */
	uint32_t adv = tcb->rcv_adv - tcb->rcv_nxt;
	if (seq_lt(tcb->rcv_adv, tcb->rcv_nxt))
		adv = 0;
	uint32_t step = tcb->rcv.cap / 2 < tcb->rmss ? tcb->rcv.cap / 2 : tcb->rmss;
	if (space > adv && space - adv >= step)
		adv = space;
	if (space >= tcb->rcv.cap)
		adv = space;  /* an empty buffer is always offered whole */
	uint32_t max = 65535u << (tcb->ws_ok ? tcb->rcv_wscale : 0);
	return adv > max ? max : adv;
}

/* The window field (RFC 7323 2.2: never scaled on a SYN) and the edge it
 * really advertises, after the shift dropped the low bits. */
static uint16_t window_field(tern_tcb *tcb, uint8_t flags)
{
	uint32_t wnd = tern_tcp_rcv_window(tcb);
	uint8_t shift = (flags & TERN_TCP_SYN) || !tcb->ws_ok ? 0 : tcb->rcv_wscale;
	uint32_t field = wnd >> shift;
	if (field > 65535)
		field = 65535;
	uint32_t edge = tcb->rcv_nxt + (field << shift);
	if (seq_gt(edge, tcb->rcv_adv))
		tcb->rcv_adv = edge;
	return (uint16_t)field;
}

/* RFC 3168 6.1.1: a first SYN asks for ECN with ECE and CWR, a SYN-ACK
 * agrees with ECE alone (a retransmitted SYN does not ask: the request may
 * be what a middlebox drops). Then ECE rides every ACK while a CE mark
 * waits for the peer's CWR (6.1.3), and CWR the first new data after a
 * reduction (6.1.2). */
static uint8_t ecn_flags(tern_tcb *tcb, uint8_t flags, bool fresh_data)
{
	if (flags & TERN_TCP_SYN) {
		if (!(flags & TERN_TCP_ACK))
			return tcb->backoff == 0 && !tcb->st->cfg.tcp_no_ecn ? TERN_TCP_ECE | TERN_TCP_CWR
									      : 0;
		return tcb->ecn_ok ? TERN_TCP_ECE : 0;
	}
	if (!tcb->ecn_ok)
		return 0;
	uint8_t f = tcb->ece_pending ? TERN_TCP_ECE : 0;
	if (tcb->cwr_pending && fresh_data) {
		tcb->cwr_pending = false;
		f |= TERN_TCP_CWR;
	}
	return f;
}

/* The packet of segment h with len bytes from seq: the payload goes from
 * the send ring straight to its place behind the header, summed for the
 * checksum on the way (one pass), or only copied when the device completes
 * the checksum (TERN_CSUM_OFFLOAD_TCP_TX). NULL when no packet can be had. */
static tern_pkt *seg_pkt(tern_tcb *tcb, uint32_t seq, uint32_t len, const tern_tcp_repr *h)
{
	uint32_t hdr = TERN_TCP_HLEN + (uint32_t)tern_tcp_opts_len(&h->opts);
	tern_pkt *p = tern_pkt_alloc(tcb->st, TERN_PKT_HEADROOM, hdr + len);
	if (!p)
		return NULL;
	uint32_t off = seq - tcb->snd_una;
	if (tcb->csum_tx_off) {
		if (len)
			tern_sndbuf_read(&tcb->snd, off, p->data + hdr, len);
		p->len = (uint32_t)tern_tcp_build_hdr_partial(p->data, hdr + len, h, len,
							      tcb->local.addr, tcb->remote.addr);
		return p;
	}
	uint64_t sum = len ? tern_sndbuf_read_csum(&tcb->snd, off, p->data + hdr, len) : 0;
	p->len = (uint32_t)tern_tcp_build_hdr(p->data, hdr + len, h, len, sum, tcb->local.addr,
					      tcb->remote.addr);
	return p;
}

int tern_tcp_xmit(tern_tcb *tcb, uint32_t seq, uint32_t len, uint8_t flags)
{
	tern_stack *st = tcb->st;
	tern_tcp_repr h;
	memset(&h, 0, sizeof h);
	h.sport = tcb->local.port;
	h.dport = tcb->remote.port;
	h.seq = seq;
	if (tcb->state != TERN_TCP_SYN_SENT || (flags & TERN_TCP_ACK)) {
		flags |= TERN_TCP_ACK;
		h.ack = tcb->rcv_nxt;
	}
	bool fresh_data = len && !seq_lt(seq, tcb->snd_max);
	flags |= ecn_flags(tcb, flags, fresh_data);
	h.flags = flags;
	h.wnd = window_field(tcb, flags);
	if (flags & TERN_TCP_SYN)
		tern_tcp_syn_options(tcb, &h.opts);
	else
		tern_tcp_data_options(tcb, &h.opts);
	/* SACK blocks take what the segment leaves of the MSS's room */
	uint32_t room = tcb->smss > len ? tcb->smss - len : 0;
	if ((flags & TERN_TCP_ACK) && !(flags & TERN_TCP_SYN))
		tern_sack_fill(tcb, &h.opts, room);
	if (flags & TERN_TCP_ACK)
		tcb->last_ack_sent = tcb->rcv_nxt;
	if (tcb->snd_urgent && seq_gt(tcb->snd_up, seq)) {
		/* RFC 6093: the urgent pointer points one past the last urgent byte */
		uint32_t up = tcb->snd_up - seq;
		h.flags |= TERN_TCP_URG;
		h.urp = (uint16_t)(up > 65535 ? 65535 : up);
	}
	tern_pkt *p = seg_pkt(tcb, seq, len, &h);
	if (!p)
		return TERN_ENOBUFS;
	/* RFC 3168 6.1.4-6.1.5: ECT(0) only on new data, never on SYNs,
	 * pure ACKs or retransmissions */
	uint8_t tos = (uint8_t)(tcb->tos & ~TERN_IP4_ECN_MASK);
	if (tcb->ecn_ok && fresh_data && !(flags & TERN_TCP_SYN))
		tos |= TERN_IP4_ECT0;
	tern_ip4_out o = {.src = tcb->local.addr, .dst = tcb->remote.addr,
			  .proto = TERN_IPPROTO_TCP, .tos = tos, .ttl = tcb->ttl, .df = true,
			  .sr = tcb->sr};
	if (!(flags & TERN_TCP_SYN) && (len || (flags & TERN_TCP_FIN)))
		tern_rack_on_send(tcb, seq, seq + len + !!(flags & TERN_TCP_FIN));
	TERN_COUNT(st, tcp_out_segs);
	tcb->segs_out++;
	tern_trace_seg_out(tcb, &h, len);
	tcb->xmit_rtx = TERN_RTX_NONE;
	if (h.flags & TERN_TCP_ACK) {
		tcb->ack_now = false;
		tcb->delack_segs = 0;
		if (tern_tcp_timer_is_set(tcb, TCPT_DELACK))
			tern_tcp_timer_clear(tcb, TCPT_DELACK);
	}
	return tern_ip4_output(st, p, &o);
}

/* A pure ACK carries SND.MAX rather than SND.NXT: after a timeout SND.NXT
 * steps back to SND.UNA, and an ACK numbered below what the peer already
 * holds would fail its acceptability test (RFC 9293 3.10.7.4), so both
 * sides could discard each other's ACKs forever (FreeBSD does the same). */
void tern_tcp_send_ack(tern_tcb *tcb)
{
	tern_tcp_xmit(tcb, tcb->snd_max, 0, TERN_TCP_ACK);
}

void tern_tcp_send_keepalive(tern_tcb *tcb)
{
	tern_tcp_xmit(tcb, tcb->snd_max - 1, 0, TERN_TCP_ACK);
}

static uint32_t usable_window(const tern_tcb *tcb);
static void arm_rexmt(tern_tcb *tcb);

/* The persist timer's expiry (RFC 9293 3.8.6.1, RFC 1122 4.2.3.4): with a
 * window too small for the sender's SWS rule, send what it allows anyway
 * (the override timeout); with a closed window, one byte past it, which
 * becomes part of the flight so that its acknowledgment is recognised. */
void tern_tcp_send_probe(tern_tcb *tcb)
{
	uint32_t off = tcb->snd_nxt - tcb->snd_una;
	if (off >= tcb->snd.len) {
		tern_tcp_send_keepalive(tcb);
		return;
	}
	uint32_t len = usable_window(tcb);
	if (len > tcb->snd.len - off)
		len = tcb->snd.len - off;
	if (len > tcb->smss)
		len = tcb->smss;
	if (len == 0) {
		/* Closed window: the byte is offered, not counted as sent, so the
		 * persist timer keeps probing until the window opens; if the peer
		 * takes it, its ACK (<= SND.MAX) moves SND.UNA past it. */
		tern_tcp_xmit(tcb, tcb->snd_nxt, 1, TERN_TCP_ACK);
		tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt + 1);
		return;
	}
	tern_tcp_xmit(tcb, tcb->snd_nxt, len, TERN_TCP_ACK | TERN_TCP_PSH);
	tcb->snd_nxt += len;
	tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt);
	arm_rexmt(tcb);  /* real data in an open window: normal recovery */
}

/* RFC 5961 7: ACKs that answer unacceptable segments (challenge ACKs, and
 * the ACKs of 3.10.7.4's sequence and ACK checks and of PAWS) share one
 * budget per stack, so a blind attacker gets bounded amplification. The
 * quota of each second is drawn at random between half and one and a half
 * times the limit, so counting them tells nothing about whether a guess hit
 * the window (the side channel of CVE-2016-5696). */
static bool oow_ack_allowed(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	uint32_t limit = st->cfg.tcp_challenge_ack_limit;
	if (st->now - tcp->chack_second >= TERN_SEC(1) || !tcp->chack_quota) {
		tcp->chack_second = st->now;
		tcp->chack_sent = 0;
		tcp->chack_quota = limit / 2 + (uint32_t)(tern_random(st) % (limit + 1));
	}
	if (tcp->chack_sent >= tcp->chack_quota) {
		TERN_COUNT(st, tcp_oow_acks_limited);
		return false;
	}
	tcp->chack_sent++;
	return true;
}

void tern_tcp_send_oow_ack(tern_tcb *tcb)
{
	if (oow_ack_allowed(tcb->st))
		tern_tcp_send_ack(tcb);
}

void tern_tcp_send_challenge_ack(tern_tcb *tcb)
{
	if (!oow_ack_allowed(tcb->st))
		return;
	TERN_COUNT(tcb->st, tcp_challenge_acks);
	tern_tcp_send_ack(tcb);
}

/* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> when the offending segment had
 * an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never in reply
 * to a reset. */
void tern_tcp_send_bare(tern_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags,
			const tern_tcp_opts *opts)
{
	tern_tcp_repr h;
	memset(&h, 0, sizeof h);
	h.sport = lport;
	h.dport = rport;
	h.seq = seq;
	h.ack = ack;
	h.flags = flags;
	if (opts)
		h.opts = *opts;
	tern_pkt *p = tern_pkt_alloc(st, TERN_PKT_HEADROOM, TERN_TCP_HLEN + 40);
	if (!p)
		return;
	p->len = (uint32_t)tern_tcp_build(p->data, TERN_TCP_HLEN + 40, &h, NULL, 0, laddr, raddr);
	tern_ip4_out o = {.src = laddr, .dst = raddr, .proto = TERN_IPPROTO_TCP, .df = true};
	if (flags & TERN_TCP_RST)
		TERN_COUNT(st, tcp_out_rsts);
	TERN_COUNT(st, tcp_out_segs);
	tern_trace_seg_bare(st, laddr, raddr, &h);
	tern_ip4_output(st, p, &o);
}

void tern_tcp_send_rst_for(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *seg)
{
	if (seg->flags & TERN_TCP_RST)
		return;
	if (seg->flags & TERN_TCP_ACK) {
		tern_tcp_send_bare(st, ip->dst, seg->dport, ip->src, seg->sport, seg->ack, 0,
				   TERN_TCP_RST, NULL);
		return;
	}
	uint32_t seglen = (uint32_t)seg->payload_len + !!(seg->flags & TERN_TCP_SYN) +
			  !!(seg->flags & TERN_TCP_FIN);
	tern_tcp_send_bare(st, ip->dst, seg->dport, ip->src, seg->sport, 0, seg->seq + seglen,
			   TERN_TCP_RST | TERN_TCP_ACK, NULL);
}

static void arm_rexmt(tern_tcb *tcb)
{
	if (!tern_tcp_timer_is_set(tcb, TCPT_REXMT))
		tern_tcp_timer_set(tcb, TCPT_REXMT,
				   tcb->st->now + tern_tcb_rto(tcb, tcb->backoff));
}

/* Sequence space the FIN takes, once queued: it follows the last byte. */
static uint32_t fin_seq(const tern_tcb *tcb) { return tcb->snd_una + tcb->snd.len; }


void tern_tcp_retransmit_first(tern_tcb *tcb, int why)
{
	uint8_t flags = 0;
	uint32_t len = 0;
	if (tcb->state == TERN_TCP_SYN_SENT) {
		flags = TERN_TCP_SYN;
	} else if (tcb->state == TERN_TCP_SYN_RECEIVED) {
		flags = TERN_TCP_SYN | TERN_TCP_ACK;
	} else {
		uint32_t out = tcb->snd_max - tcb->snd_una;
		len = out < tcb->smss ? out : tcb->smss;
		if (len > tcb->snd.len)
			len = tcb->snd.len;
		if (tcb->fin_sent && tcb->snd_una + len == fin_seq(tcb))
			flags |= TERN_TCP_FIN;
		if (!len && !(flags & TERN_TCP_FIN))
			return;
	}
	uint32_t seq = (flags & TERN_TCP_SYN) ? tcb->iss : tcb->snd_una;
	TERN_COUNT(tcb->st, tcp_retrans_segs);
	tcb->retransmits++;
	tern_trace_rexmit(tcb, (flags & TERN_TCP_SYN) ? TERN_RTX_SYN : why, seq, len);
	tern_tcp_xmit(tcb, seq, len, flags | (len ? TERN_TCP_PSH : 0));
	uint32_t end = seq + len + !!(flags & (TERN_TCP_SYN | TERN_TCP_FIN));
	if (seq_gt(end, tcb->snd_nxt))
		tcb->snd_nxt = end;
}

/* The handshake segments (RFC 9293 3.5). */
static void output_syn(tern_tcb *tcb)
{
	if (tcb->snd_nxt != tcb->iss)
		return;
	uint8_t flags = tcb->state == TERN_TCP_SYN_SENT ? TERN_TCP_SYN : TERN_TCP_SYN | TERN_TCP_ACK;
	if (tcb->backoff == 0) {  /* Karn: only an unrepeated SYN is timed */
		tcb->rtt_timing = true;
		tcb->rtt_start = tcb->st->now;
	}
	tern_tcp_xmit(tcb, tcb->iss, 0, flags);
	tcb->snd_nxt = tcb->iss + 1;
	tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt);
	arm_rexmt(tcb);
}

/* RFC 1122 4.2.3.4 (sender SWS) with Nagle (RFC 896): send a segment when
 * it is full, or when it carries everything queued and nothing is in
 * flight (or Nagle is off), or when it fills half the largest window the
 * peer ever offered. */
static bool worth_sending(const tern_tcb *tcb, uint32_t len, uint32_t avail)
{
	if (len >= tcb->smss)
		return true;
	if (len == avail && (tcb->nodelay || tcb->snd_nxt == tcb->snd_una))
		return true;
	return tcb->max_snd_wnd && len >= tcb->max_snd_wnd / 2;
}

static uint32_t usable_window(const tern_tcb *tcb)
{
	uint32_t wnd = tcb->snd_wnd < tcb->ccs.cwnd ? tcb->snd_wnd : tcb->ccs.cwnd;
	uint32_t edge = tcb->snd_una + wnd;
	return seq_gt(edge, tcb->snd_nxt) ? edge - tcb->snd_nxt : 0;
}

/* Send len bytes at SND.NXT (and the FIN after them), advancing SND.NXT. */
static void send_at_nxt(tern_tcb *tcb, uint32_t len, bool fin, uint32_t avail)
{
	uint8_t flags = TERN_TCP_ACK | (fin ? TERN_TCP_FIN : 0) |
			(len && len == avail ? TERN_TCP_PSH : 0);
	if (seq_lt(tcb->snd_nxt, tcb->snd_max)) {
		TERN_COUNT(tcb->st, tcp_retrans_segs);
		tcb->retransmits++;
		tern_trace_rexmit(tcb, tcb->rewind_why ? tcb->rewind_why : TERN_RTX_RTO, tcb->snd_nxt, len);
	} else if (!tcb->rtt_timing && len) {
		tcb->rtt_timing = true;  /* Karn: time only new data */
		tcb->rtt_seq = tcb->snd_nxt;
		tcb->rtt_start = tcb->st->now;
	}
	tern_tcp_xmit(tcb, tcb->snd_nxt, len, flags);
	if (fin) {
		tcb->fin_sent = true;
		tcb->fin_seqno = tcb->snd_nxt + len;
	}
	tcb->snd_nxt += len + fin;
	tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt);
	tcb->last_snd = tern_t32(tcb->st->now, TERN_T32_MS);
	arm_rexmt(tcb);
	tern_tlp_arm(tcb);
}

/* The most one new segment carries: the MSS, or, when the device does
 * TSO, as many whole MSS as it takes at once; it cuts them apart again,
 * each piece an MSS with these same headers, so the peer sees segments
 * of the MSS it announced (RFC 9293 3.7.1). */
static uint32_t seg_max(const tern_tcb *tcb)
{
	uint32_t overhead = tern_tcp_seg_overhead(tcb);
	if (!tcb->tso_max || tcb->tso_max <= overhead)
		return tcb->smss;
	uint32_t n = (tcb->tso_max - overhead) / tcb->smss;
	return n > 1 ? n * tcb->smss : tcb->smss;
}

/* Send as many segments as the windows allow (RFC 9293 3.8.6). */
static void output_data(tern_tcb *tcb)
{
	uint32_t most = seg_max(tcb);
	for (int guard = 0; guard < 1024; guard++) {
		uint32_t off = tcb->snd_nxt - tcb->snd_una;
		if (off > tcb->snd.len)
			break;  /* only the FIN is beyond the data, and it is out */
		uint32_t avail = tcb->snd.len - off;
		uint32_t usable = usable_window(tcb);
		uint32_t len = avail < usable ? avail : usable;
		if (len > most)
			len = most;
		bool fin = tcb->fin_queued && len == avail;
		if (len == 0 && !fin)
			break;
		if (len && !fin && !worth_sending(tcb, len, avail))
			break;
		send_at_nxt(tcb, len, fin, avail);
		if (fin)
			break;
	}
}

/* RFC 6675 NextSeg rule 2: one segment of new data within the peer's
 * window; in SACK recovery the pipe, not SND.NXT - SND.UNA, is what
 * congestion control limits. Returns false when there is none to send. */
bool tern_tcp_send_new_segment(tern_tcb *tcb)
{
	uint32_t off = tcb->snd_nxt - tcb->snd_una;
	if (off > tcb->snd.len)
		return false;
	uint32_t avail = tcb->snd.len - off;
	uint32_t edge = tcb->snd_una + tcb->snd_wnd;
	uint32_t rwnd = seq_gt(edge, tcb->snd_nxt) ? edge - tcb->snd_nxt : 0;
	uint32_t len = avail < rwnd ? avail : rwnd;
	if (len > tcb->smss)
		len = tcb->smss;
	bool fin = tcb->fin_queued && len == avail;
	if ((len == 0 && !fin) || (len < tcb->smss && len < avail))
		return false;
	send_at_nxt(tcb, len, fin, avail);
	return true;
}

/* Retransmit [seq, seq + len) from the send ring, with the FIN when the
 * range reaches it (SACK recovery's NextSeg rule 1). */
void tern_tcp_resend(tern_tcb *tcb, uint32_t seq, uint32_t len, int why)
{
	uint32_t data_end = fin_seq(tcb);
	uint8_t flags = TERN_TCP_ACK;
	if (seq_gt(seq + len, data_end)) {
		len = seq_gt(data_end, seq) ? data_end - seq : 0;
		if (tcb->fin_sent)
			flags |= TERN_TCP_FIN;
	}
	TERN_COUNT(tcb->st, tcp_retrans_segs);
	tcb->retransmits++;
	tern_trace_rexmit(tcb, why, seq, len);
	tern_tcp_xmit(tcb, seq, len, flags);
}

/* RFC 9293 3.8.6.1 and RFC 1122 4.2.3.4: data waits and nothing is in
 * flight to bring an update, because the window is closed or too small to
 * be worth a segment: the persist timer probes (or overrides the SWS rule). */
static void check_persist(tern_tcb *tcb)
{
	uint32_t off = tcb->snd_nxt - tcb->snd_una;
	bool waiting = off < tcb->snd.len;
	if (tcb->snd_wnd == 0 && tcb->snd.len) {
		/* The window closed with data outstanding: retransmitting into it
		 * would count towards R2 although the peer answers, and a window
		 * may stay shut indefinitely (MUST-36, MUST-37). Probe instead,
		 * resending from SND.UNA once it opens (as BSD does). */
		if (tern_tcp_timer_is_set(tcb, TCPT_REXMT)) {
			tern_tcp_timer_clear(tcb, TCPT_REXMT);
			tcb->backoff = 0;
			tcb->snd_nxt = tcb->snd_una;
			tcb->rewind_why = TERN_RTX_RTO;
		}
		waiting = true;
	}
	if (waiting && tcb->snd_nxt == tcb->snd_una &&
	    !tern_tcp_timer_is_set(tcb, TCPT_REXMT)) {
		if (!tern_tcp_timer_is_set(tcb, TCPT_PERSIST))
			tern_tcp_timer_set(tcb, TCPT_PERSIST,
					   tcb->st->now + tern_tcb_rto(tcb, tcb->persist_backoff));
	} else if (tern_tcp_timer_is_set(tcb, TCPT_PERSIST)) {
		tcb->persist_backoff = 0;
		tern_tcp_timer_clear(tcb, TCPT_PERSIST);
	}
}

void tern_tcp_output(tern_tcb *tcb)
{
	tern_tcp_pmtu_check(tcb);  /* RFC 1191 6.3: time to try a larger MTU? */
	switch (tcb->state) {
	case TERN_TCP_SYN_SENT:
	case TERN_TCP_SYN_RECEIVED:
		output_syn(tcb);
		return;
	case TERN_TCP_ESTABLISHED:
	case TERN_TCP_CLOSE_WAIT:
	case TERN_TCP_FIN_WAIT_1:
	case TERN_TCP_CLOSING:
	case TERN_TCP_LAST_ACK:
		if (tcb->in_recovery && tcb->sack_ok)
			tern_sack_recovery_output(tcb);
		else
			output_data(tcb);
		check_persist(tcb);
		break;
	default:
		break;
	}
	if (tcb->ack_now && tcb->state != TERN_TCP_CLOSED)
		tern_tcp_send_ack(tcb);
}
