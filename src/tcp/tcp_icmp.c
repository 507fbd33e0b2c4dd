/* tcp_icmp.c - ICMP errors about our segments (RFC 1122 4.2.3.9, RFC 5461,
 * RFC 5927). An error acts only if the sequence number it quotes is in
 * flight (RFC 5927 4.1), which a blind attacker cannot easily guess. A hard
 * error (protocol or port unreachable) ends a connection that is still
 * opening; for an established one every error is soft (RFC 5461: aborting
 * on them makes blind resets easy): it is remembered, and reported if the
 * connection later times out. */
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

bool tern_tcp_icmp_error(tern_stack *st, const tern_icmp_err *e)
{
	tern_tcb *tcb = tern_tcb_lookup(st, e->src, e->sport, e->dst, e->dport);
	if (!tcb)
		return false;
	uint32_t seq = tern_get32(e->l4 + 4);
	if (!seq_in(seq, tcb->snd_una, tcb->snd_max)) {
		TERN_COUNT(st, tcp_icmp_out_of_window);
		return true;
	}
	if (e->type == TERN_ICMP_DEST_UNREACH && e->code == TERN_ICMP_FRAG_NEEDED)
		return true;  /* path MTU discovery (RFC 1191) is not done yet */
	bool opening = tcb->state == TERN_TCP_SYN_SENT || tcb->state == TERN_TCP_SYN_RECEIVED;
	if (e->hard && opening) {
		TERN_COUNT(st, tcp_icmp_aborts);
		if (tcb->state == TERN_TCP_SYN_SENT)
			TERN_COUNT(st, tcp_attempt_fails);
		tern_tcb_drop(tcb, e->err);
		return true;
	}
	tern_tcb_soft_error(tcb, e->err);
	return true;
}
