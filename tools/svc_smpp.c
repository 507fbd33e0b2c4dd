/* svc_smpp.c - one SMPP session of tern's message centre (svc_smpp.h):
 * the connection of one ESME, from accept through bind, submits and
 * deliveries to unbind or its loss. Section numbers are SMPP 3.4's.
 *
 * A step reads and answers PDUs (a bounded batch), pumps deliver_sm from
 * the bind's mailbox into its window, runs the timers, then flushes. The
 * flush makes the store durable first: no submit_sm_resp leaves before
 * the message it acknowledges is on disk. */
#include <string.h>
#include <time.h>

#include "svc_smpp.h"

#define SMPP_STEP_PDUS 256
#define SMPP_BACKOFF   TERN_SEC(1) /* after the ESME refused a deliver_sm */

static tern_smsc_counters *K(smpp_sess *x)
{
	return &x->c->k;
}

/* ---- output ---------------------------------------------------------------------- */

static size_t room(const smpp_sess *x)
{
	return sizeof x->out - x->outlen;
}

static void send_pdu(smpp_sess *x, const tern_smpp_pdu *p)
{
	size_t n = tern_smpp_encode(p, x->out + x->outlen, room(x));
	if (n == 0) { /* callers keep TERN_SMPP_PDU_MAX free: cannot happen */
		x->dead = true;
		return;
	}
	x->outlen += n;
	x->pdus_out++;
	K(x)->pdu_out[smsc_pdu_slot(p->id)]++;
}

static void send_bare(smpp_sess *x, uint32_t id, uint32_t status, uint32_t seq)
{
	tern_smpp_pdu p;
	memset(&p, 0, sizeof p);
	p.id = id;
	p.status = status;
	p.seq = seq;
	send_pdu(x, &p);
}

/* Our requests' sequence numbers run 1..0x7FFFFFFF (3.2). */
static uint32_t next_seq(smpp_sess *x)
{
	x->seq = x->seq >= 0x7FFFFFFFu ? 1 : x->seq + 1;
	return x->seq;
}

/* Durable first, then out; what the socket does not take waits. */
static int flush(smpp_sess *x)
{
	if (x->outoff == x->outlen)
		return 0;
	int rc = tern_smpp_store_sync(x->c->store);
	if (rc < 0) {
		K(x)->store_errors++;
		return rc;
	}
	while (x->outoff < x->outlen) {
		int n = tern_socket_send(x->s, x->out + x->outoff, x->outlen - x->outoff, 0);
		if (n == TERN_EAGAIN)
			break;
		if (n < 0)
			return n;
		x->outoff += (size_t)n;
	}
	memmove(x->out, x->out + x->outoff, x->outlen - x->outoff);
	x->outlen -= x->outoff;
	x->outoff = 0;
	return 0;
}

/* ---- the window of our deliver_sm --------------------------------------------------- */

static void requeue_flight(smpp_sess *x)
{
	for (unsigned i = 0; i < x->nwin; i++)
		tern_smpp_store_requeue(x->c->store, x->win[i].m);
	x->nwin = 0;
	if (x->user >= 0)
		smsc_wake_box(x->c, (uint16_t)x->user);
}

static tern_smpp_msg *win_take(smpp_sess *x, uint32_t seq)
{
	for (unsigned i = 0; i < x->nwin; i++) {
		if (x->win[i].seq != seq)
			continue;
		tern_smpp_msg *m = x->win[i].m;
		memmove(&x->win[i], &x->win[i + 1], (x->nwin - i - 1) * sizeof x->win[0]);
		x->nwin--;
		return m;
	}
	return NULL;
}

/* deliver_sm (4.6.1) from the stored submit: schedule and validity are
 * NULL in a deliver_sm, registered_delivery asks nothing of the ESME, and
 * esm_class keeps only its GSM bits (UDHI, reply path; 5.2.12). */
static void send_deliver(smpp_sess *x, tern_smpp_msg *m)
{
	tern_smpp_pdu p;
	memset(&p, 0, sizeof p);
	p.id = TERN_SMPP_DELIVER_SM;
	p.seq = next_seq(x);
	p.u.sm = m->sm;
	tern_smpp_sm *s = &p.u.sm;
	s->schedule_delivery_time[0] = s->validity_period[0] = '\0';
	s->registered_delivery = 0;
	s->replace_if_present = 0;
	if (!(s->esm_class & TERN_SMPP_ESM_RECEIPT))
		s->esm_class &= 0xC0;
	tern_smpp_msg_id_str(m->id, s->tern_msg_id);
	send_pdu(x, &p);
	x->win[x->nwin++] = (smpp_flight){p.seq, m, x->c->now};
	if (++m->sends > 1)
		K(x)->redeliveries++;
	x->delivers++;
}

static void pump(smpp_sess *x)
{
	if (!(x->mode & SMPP_RX) || x->unbinding || x->c->now < x->pump_after)
		return;
	while (x->nwin < SMPP_WIN && room(x) >= TERN_SMPP_PDU_MAX) {
		tern_smpp_msg *m = tern_smpp_store_take(x->c->store, (uint16_t)x->user);
		if (!m)
			return;
		send_deliver(x, m);
	}
}

/* ---- requests from the ESME ---------------------------------------------------------- */

static tern_smpp_pdu resp_to(const tern_smpp_pdu *p, uint32_t status)
{
	tern_smpp_pdu r;
	memset(&r, 0, sizeof r);
	r.id = p->id | TERN_SMPP_RESP;
	r.status = status;
	r.seq = p->seq;
	return r;
}

static uint32_t bind_check(smpp_sess *x, const tern_smpp_bind *b, int *user)
{
	if (x->mode || x->unbinding)
		return TERN_ESME_RALYBND;
	*user = tern_smpp_users_find(&x->c->users, b->system_id);
	if (*user < 0)
		return TERN_ESME_RINVSYSID;
	if (strcmp(x->c->users.u[*user].password, b->password) != 0)
		return TERN_ESME_RINVPASWD;
	return TERN_ESME_ROK;
}

/* 4.1: the three binds differ only in the mode they open. */
static void on_bind(smpp_sess *x, const tern_smpp_pdu *p)
{
	int user = -1;
	uint32_t st = bind_check(x, &p->u.bind, &user);
	tern_smpp_pdu r = resp_to(p, st);
	if (st != TERN_ESME_ROK) {
		K(x)->bind_refused++;
		send_pdu(x, &r);
		return;
	}
	x->user = user;
	x->mode = p->id == TERN_SMPP_BIND_TRANSMITTER ? SMPP_TX
	          : p->id == TERN_SMPP_BIND_RECEIVER  ? SMPP_RX
	                                              : SMPP_TRX;
	memcpy(x->address_range, p->u.bind.address_range, sizeof x->address_range);
	x->bound_at = x->c->now;
	x->c->nbound++;
	K(x)->binds++;
	strcpy(r.u.resp.id, "tern");
	r.u.resp.has_sc_version = true; /* 5.3.2.25: we speak 3.4 */
	r.u.resp.sc_version = 0x34;
	send_pdu(x, &r);
}

static uint32_t submit_check(smpp_sess *x, const tern_smpp_sm *sm)
{
	if (!(x->mode & SMPP_TX) || x->unbinding)
		return TERN_ESME_RINVBNDSTS;
	if (!sm->dst_addr[0])
		return TERN_ESME_RINVDSTADR;
	if (x->outstanding >= x->c->cfg.window) {
		K(x)->throttled++;
		return TERN_ESME_RTHROTTLED;
	}
	return TERN_ESME_ROK;
}

static void link_origin(smpp_sess *x, tern_smpp_msg *m)
{
	m->origin = x;
	m->oprev = NULL;
	m->onext = x->origin;
	if (x->origin)
		x->origin->oprev = m;
	x->origin = m;
	x->outstanding++;
}

/* 4.4: accept into the store (not yet synced: flush syncs before the
 * response leaves), answer with the message id. */
static void on_submit(smpp_sess *x, const tern_smpp_pdu *p)
{
	tern_smpp_pdu r = resp_to(p, submit_check(x, &p->u.sm));
	if (r.status == TERN_ESME_ROK) {
		tern_smpp_sm sm = p->u.sm;
		sm.receipted_message_id[0] = sm.tern_msg_id[0] = '\0';
		sm.has_message_state = false;
		uint16_t box = smsc_route(x->c, (uint16_t)x->user, sm.dst_addr);
		bool full;
		tern_smpp_msg *m =
		    tern_smpp_store_add(x->c->store, box, (uint16_t)x->user, &sm, time(NULL), &full);
		if (!m) {
			r.status = full ? TERN_ESME_RMSGQFUL : TERN_ESME_RSYSERR;
			K(x)->queue_full += full;
			K(x)->store_errors += !full;
		} else {
			link_origin(x, m);
			tern_smpp_msg_id_str(m->id, r.u.resp.id);
			K(x)->submits++;
			x->submits++;
			smsc_wake_box(x->c, box);
		}
	}
	send_pdu(x, &r);
}

/* 4.6.2: ESME_ROK completes the message; anything else puts it back, and
 * the bind rests a second before the next try. */
static void on_deliver_resp(smpp_sess *x, const tern_smpp_pdu *p)
{
	tern_smpp_msg *m = win_take(x, p->seq);
	if (!m) {
		K(x)->stray_resps++;
		return;
	}
	if (p->status == TERN_ESME_ROK && p->id != TERN_SMPP_GENERIC_NACK) {
		smsc_delivered(x->c, m);
		return;
	}
	K(x)->delivery_nacks++;
	tern_smpp_store_requeue(x->c->store, m);
	x->pump_after = x->c->now + SMPP_BACKOFF;
}

/* 4.2: answer, stop delivering, and let the ESME close. */
static void on_unbind(smpp_sess *x, const tern_smpp_pdu *p)
{
	tern_smpp_pdu r = resp_to(p, x->mode ? TERN_ESME_ROK : TERN_ESME_RINVBNDSTS);
	send_pdu(x, &r);
	if (!x->mode)
		return;
	K(x)->unbinds++;
	x->c->nbound--;
	x->mode = 0;
	x->unbinding = true;
	x->close_by = x->c->now + x->c->cfg.enquire;
	requeue_flight(x);
}

static void on_generic_nack(smpp_sess *x, const tern_smpp_pdu *p)
{
	if (x->enq_sent && p->seq == x->enq_seq)
		x->enq_sent = 0;
	else
		on_deliver_resp(x, p);
}

/* A PDU that decoded: by command_id. Responses we did not ask for are
 * dropped silently (a response is never answered, 3.2). */
static void dispatch(smpp_sess *x, const tern_smpp_pdu *p)
{
	switch (p->id) {
	case TERN_SMPP_BIND_RECEIVER:
	case TERN_SMPP_BIND_TRANSMITTER:
	case TERN_SMPP_BIND_TRANSCEIVER:
		return on_bind(x, p);
	case TERN_SMPP_SUBMIT_SM:
		return on_submit(x, p);
	case TERN_SMPP_DELIVER_SM | TERN_SMPP_RESP:
		return on_deliver_resp(x, p);
	case TERN_SMPP_ENQUIRE_LINK: /* 4.11: in any state */
		return send_bare(x, TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP, 0, p->seq);
	case TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP:
		if (p->seq == x->enq_seq)
			x->enq_sent = 0;
		return;
	case TERN_SMPP_UNBIND:
		return on_unbind(x, p);
	case TERN_SMPP_GENERIC_NACK:
		return on_generic_nack(x, p);
	case TERN_SMPP_DELIVER_SM: /* an SMSC's PDU: not an ESME's to send */
		return send_bare(x, TERN_SMPP_GENERIC_NACK, TERN_ESME_RINVCMDID, p->seq);
	default:
		K(x)->stray_resps++;
		return;
	}
}

/* ---- input ---------------------------------------------------------------------------- */

static void handle(smpp_sess *x, const uint8_t *b, uint32_t len)
{
	tern_smpp_pdu p;
	uint32_t st = tern_smpp_decode(b, len, &p);
	x->last_rx = x->c->now;
	x->pdus_in++;
	K(x)->pdu_in[smsc_pdu_slot(p.id)]++;
	if (st == TERN_ESME_ROK) {
		dispatch(x, &p);
		return;
	}
	/* 4.3: a PDU we cannot use is answered with generic_nack and its
	 * reason; the framing still holds, so the session goes on. */
	K(x)->bad_pdus++;
	if (p.id != TERN_SMPP_GENERIC_NACK)
		send_bare(x, TERN_SMPP_GENERIC_NACK, st, p.seq);
}

/* More bytes from the socket. Returns true when some came. */
static bool fill(smpp_sess *x)
{
	int n = tern_socket_recv(x->s, x->in + x->inlen, sizeof x->in - x->inlen, 0);
	if (n == TERN_EAGAIN)
		return false;
	if (n == 0)
		x->eof = true;
	if (n < 0) {
		K(x)->peer_resets++;
		x->dead = true;
	}
	if (n <= 0)
		return false;
	x->inlen += (size_t)n;
	return true;
}

/* A length that cannot be framed (3.2: command_length is the whole PDU):
 * generic_nack, then close, since the next PDU cannot be found. */
static void bad_frame(smpp_sess *x)
{
	const uint8_t *h = x->in + 12;
	uint32_t seq = 0;
	if (x->inlen >= TERN_SMPP_HDR_LEN)
		seq = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	K(x)->bad_pdus++;
	send_bare(x, TERN_SMPP_GENERIC_NACK, TERN_ESME_RINVCMDLEN, seq);
	x->inlen = 0;
	x->closing = true;
	x->close_by = x->c->now + x->c->cfg.enquire;
}

/* One PDU handled (true), or nothing more to do now (false). */
static bool one_pdu(smpp_sess *x)
{
	if (room(x) < TERN_SMPP_PDU_MAX && (flush(x) < 0 || room(x) < TERN_SMPP_PDU_MAX))
		return false; /* the ESME is not reading: stop reading it */
	uint32_t len;
	int f = tern_smpp_frame(x->in, x->inlen, &len);
	if (f < 0) {
		bad_frame(x);
		return false;
	}
	if (f == 0)
		return !x->eof && fill(x);
	handle(x, x->in, len);
	memmove(x->in, x->in + len, x->inlen - len);
	x->inlen -= len;
	return true;
}

/* ---- timers ------------------------------------------------------------------------------ */

static tern_time earliest(tern_time a, tern_time b)
{
	return a < b ? a : b;
}

/* A bind idle for the enquire interval gets an enquire_link (4.11); the
 * answer, and every deliver_sm_resp, is due within the same interval,
 * or the bind is dead. A session never bound, or unbound and not closed
 * by the ESME, is closed after it too (7.2's session_init_timer). */
static void drop_if_late(smpp_sess *x, tern_time now, tern_time t)
{
	if (x->enq_sent && now - x->enq_sent >= t) {
		K(x)->enquire_timeouts++;
		x->dead = true;
	} else if (x->nwin && now - x->win[0].sent >= t) {
		K(x)->resp_timeouts++;
		x->dead = true;
	} else if (x->close_by && now >= x->close_by) {
		K(x)->idle_closes++;
		x->dead = true;
	} else if (!x->mode && !x->unbinding && now - x->opened >= 2 * t) {
		K(x)->idle_closes++;
		x->closing = true;
		x->close_by = now + t;
	}
}

static void timers(smpp_sess *x)
{
	tern_time now = x->c->now, t = x->c->cfg.enquire;
	drop_if_late(x, now, t);
	if (x->dead)
		return;
	if (x->mode && !x->enq_sent && now - x->last_rx >= t && room(x) >= TERN_SMPP_PDU_MAX) {
		x->enq_seq = next_seq(x);
		x->enq_sent = now;
		send_bare(x, TERN_SMPP_ENQUIRE_LINK, 0, x->enq_seq);
	}
	tern_time d = x->mode ? (x->enq_sent ? x->enq_sent : x->last_rx) + t : x->opened + 2 * t;
	if (x->nwin)
		d = earliest(d, x->win[0].sent + t);
	if (x->close_by)
		d = earliest(d, x->close_by);
	if (x->pump_after > now)
		d = earliest(d, x->pump_after);
	x->deadline = d;
	smsc_note_deadline(x->c, d);
}

/* ---- the service ---------------------------------------------------------------------- */

static enum svc_next next_step(smpp_sess *x)
{
	if (x->dead)
		return SVC_ABORT;
	if (x->outlen)
		return SVC_WAIT; /* the socket turning writable steps us */
	if (x->closing || x->eof)
		return SVC_CLOSE;
	return x->more ? SVC_MORE : SVC_WAIT;
}

static enum svc_next smpp_step(void *state, tern_socket *s)
{
	smpp_sess *x = state;
	(void)s;
	int i = 0;
	while (i < SMPP_STEP_PDUS && !x->dead && !x->closing && one_pdu(x))
		i++;
	x->more = i == SMPP_STEP_PDUS;
	if (!x->dead)
		pump(x);
	if (!x->dead)
		timers(x);
	if (!x->dead && flush(x) < 0)
		x->dead = true;
	return next_step(x);
}

/* Dead peers show up by enquire_link or by TCP keepalive, whichever
 * first: keepalive probes an idle connection after the same interval. */
static int smpp_open(void *state, tern_socket *s, const svc_env *env)
{
	smpp_sess *x = state;
	x->c = env->smsc;
	x->host = env->host;
	x->s = s;
	x->user = -1;
	x->opened = x->last_rx = x->c->now;
	int secs = (int)(x->c->cfg.enquire / TERN_SEC(1));
	secs = secs > 0 ? secs : 1;
	int rc = tern_socket_setopt(s, TERN_SO_NODELAY, 1);
	if (rc == 0 && (rc = tern_socket_setopt(s, TERN_SO_KEEPALIVE, 1)) == 0 &&
	    (rc = tern_socket_setopt(s, TERN_SO_KEEPIDLE, secs)) == 0 &&
	    (rc = tern_socket_setopt(s, TERN_SO_KEEPINTVL, secs)) == 0)
		rc = tern_socket_setopt(s, TERN_SO_KEEPCNT, 3);
	if (rc < 0)
		return rc;
	smsc_attach(x->c, x);
	return 0;
}

/* However it ended: what was in flight goes back to its mailbox, what it
 * submitted outlives it. */
static void smpp_close(void *state)
{
	smpp_sess *x = state;
	/* Out of the registry first: waking the mailbox below must not
	 * queue this connection, which the host is freeing. */
	if (x->mode)
		x->c->nbound--;
	x->mode = 0;
	smsc_detach(x->c, x);
	requeue_flight(x);
	for (tern_smpp_msg *m = x->origin, *n; m; m = n) {
		n = m->onext;
		m->origin = m->oprev = m->onext = NULL;
	}
}

const svc_ops svc_smpp = {
    .name = "smpp",
    .port = SMPP_PORT,
    .state_size = sizeof(smpp_sess),
    .opt_in = true,
    .open = smpp_open,
    .step = smpp_step,
    .close = smpp_close,
};
