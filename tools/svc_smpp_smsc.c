/* svc_smpp_smsc.c - the shared part of tern's SMPP message centre
 * (svc_smpp.h): the accounts and the store, routing, delivery receipts,
 * the registry of sessions and their timers, and the counters. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_smpp.h"

void tern_smsc_config_init(tern_smsc_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->window = 1000;
	cfg->queue_max = 100000;
	cfg->enquire = TERN_SEC(30);
}

int tern_smsc_new(const tern_smsc_config *cfg, FILE *err, tern_smsc **out)
{
	tern_smsc *c = calloc(1, sizeof *c);
	if (!c) {
		fprintf(err, "smpp: out of memory\n");
		return -1;
	}
	c->cfg = *cfg;
	c->next_due = TERN_TIME_NEVER;
	if (tern_smpp_users_load(cfg->users_path, &c->users, err) < 0 ||
	    tern_smpp_store_open(cfg->queue_path, cfg->queue_max, c->users.names, c->users.n, err,
	                         &c->store) < 0) {
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void tern_smsc_del(tern_smsc *c)
{
	if (!c)
		return;
	tern_smpp_store_close(c->store);
	free(c);
}

/* ---- sessions and their timers ------------------------------------------------------- */

void smsc_attach(tern_smsc *c, smpp_sess *x)
{
	x->prev = NULL;
	x->next = c->sessions;
	if (c->sessions)
		c->sessions->prev = x;
	c->sessions = x;
	c->nsess++;
}

void smsc_detach(tern_smsc *c, smpp_sess *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		c->sessions = x->next;
	if (x->next)
		x->next->prev = x->prev;
	c->nsess--;
}

void smsc_note_deadline(tern_smsc *c, tern_time when)
{
	if (when < c->next_due)
		c->next_due = when;
}

/* Sessions are scanned only when the earliest deadline has come, so an
 * idle centre costs one comparison per loop iteration. */
tern_time tern_smsc_tick(tern_smsc *c, tern_time now)
{
	c->now = now;
	if (now < c->next_due)
		return c->next_due;
	c->next_due = TERN_TIME_NEVER;
	for (smpp_sess *x = c->sessions; x; x = x->next) {
		if (x->deadline <= now)
			svc_host_wake(x->host, x);
		else
			smsc_note_deadline(c, x->deadline);
	}
	return c->next_due;
}

/* ---- routing and delivery ------------------------------------------------------------------ */

/* A prefix of dst, and how long (0: not one). address_range is a regular
 * expression in 3.4 (5.2.7); tern takes it as a literal prefix, with a
 * leading '^' allowed, which covers what gateways send in practice. */
static size_t prefix_len(const char *prefix, const char *dst)
{
	if (prefix[0] == '^')
		prefix++;
	size_t n = strlen(prefix);
	return n && !strncmp(prefix, dst, n) ? n : 0;
}

/* Longest prefix wins: the accounts' static prefixes, then the ranges of
 * bound receivers; with none, the submitter's own mailbox. */
uint16_t smsc_route(const tern_smsc *c, uint16_t from, const char *dst)
{
	uint16_t box = from;
	size_t best = 0;
	for (unsigned i = 0; i < c->users.n; i++)
		for (unsigned j = 0; j < c->users.u[i].nprefix; j++) {
			size_t n = prefix_len(c->users.u[i].prefix[j], dst);
			if (n > best) {
				best = n;
				box = (uint16_t)i;
			}
		}
	for (const smpp_sess *x = c->sessions; x; x = x->next) {
		size_t n = (x->mode & SMPP_RX) ? prefix_len(x->address_range, dst) : 0;
		if (n > best) {
			best = n;
			box = (uint16_t)x->user;
		}
	}
	return box;
}

void smsc_wake_box(tern_smsc *c, uint16_t box)
{
	for (smpp_sess *x = c->sessions; x; x = x->next)
		if ((x->mode & SMPP_RX) && x->user == box)
			svc_host_wake(x->host, x);
}

static void smpp_date(int64_t t, char out[11])
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(out, 11, "%y%m%d%H%M", &tm);
}

/* The receipt of Appendix B: a deliver_sm with esm_class 0x04 from the
 * handset back to the submitter, its text and TLVs (5.3.2.12, 5.3.2.35)
 * naming the message. */
static void make_receipt(const tern_smpp_msg *m, int64_t now, tern_smpp_sm *r)
{
	char id[TERN_SMPP_MSG_ID_SZ], sub[11], done[11], text[21];
	size_t n = m->sm.sm_length < 20 ? m->sm.sm_length : 20;
	for (size_t i = 0; i < n; i++)
		text[i] = m->sm.short_message[i] >= 32 && m->sm.short_message[i] < 127
		              ? (char)m->sm.short_message[i]
		              : '.';
	text[n] = '\0';
	tern_smpp_msg_id_str(m->id, id);
	smpp_date(m->accepted, sub);
	smpp_date(now, done);
	memset(r, 0, sizeof *r);
	r->src_ton = m->sm.dst_ton;
	r->src_npi = m->sm.dst_npi;
	memcpy(r->src_addr, m->sm.dst_addr, sizeof r->src_addr);
	r->dst_ton = m->sm.src_ton;
	r->dst_npi = m->sm.src_npi;
	memcpy(r->dst_addr, m->sm.src_addr, sizeof r->dst_addr);
	r->esm_class = TERN_SMPP_ESM_RECEIPT;
	int len = snprintf((char *)r->short_message, sizeof r->short_message,
	                   "id:%s sub:001 dlvrd:001 submit date:%s done date:%s stat:DELIVRD "
	                   "err:000 text:%s",
	                   id, sub, done, text);
	r->sm_length = (uint8_t)(len < TERN_SMPP_SM_MAX ? len : TERN_SMPP_SM_MAX);
	memcpy(r->receipted_message_id, id, sizeof id);
	r->has_message_state = true;
	r->message_state = TERN_SMPP_STATE_DELIVRD;
}

static void unlink_origin(tern_smpp_msg *m)
{
	smpp_sess *o = m->origin;
	if (!o)
		return;
	if (m->oprev)
		m->oprev->onext = m->onext;
	else
		o->origin = m->onext;
	if (m->onext)
		m->onext->oprev = m->oprev;
	o->outstanding--;
	m->origin = m->oprev = m->onext = NULL;
}

/* registered_delivery bits 0-1 == 1: a receipt on final outcome (5.2.17);
 * tern's outcome is always delivery, so 2 (failure only) never asks. */
void smsc_delivered(tern_smsc *c, tern_smpp_msg *m)
{
	c->k.delivered++;
	unlink_origin(m);
	if ((m->sm.registered_delivery & 3) == 1 && !(m->sm.esm_class & TERN_SMPP_ESM_RECEIPT)) {
		tern_smpp_sm r;
		bool full;
		int64_t now = (int64_t)time(NULL);
		make_receipt(m, now, &r);
		if (tern_smpp_store_add(c->store, m->from, m->box, &r, now, &full)) {
			c->k.receipts++;
			smsc_wake_box(c, m->from);
		} else {
			c->k.store_errors++;
		}
	}
	tern_smpp_store_done(c->store, m);
}

/* ---- counters and printing -------------------------------------------------------------------- */

static const uint32_t slot_ids[SMPP_PDU_SLOTS - 1] = {
    TERN_SMPP_BIND_RECEIVER,
    TERN_SMPP_BIND_TRANSMITTER,
    TERN_SMPP_BIND_TRANSCEIVER,
    TERN_SMPP_SUBMIT_SM,
    TERN_SMPP_DELIVER_SM,
    TERN_SMPP_UNBIND,
    TERN_SMPP_ENQUIRE_LINK,
    TERN_SMPP_BIND_RECEIVER | TERN_SMPP_RESP,
    TERN_SMPP_BIND_TRANSMITTER | TERN_SMPP_RESP,
    TERN_SMPP_BIND_TRANSCEIVER | TERN_SMPP_RESP,
    TERN_SMPP_SUBMIT_SM | TERN_SMPP_RESP,
    TERN_SMPP_DELIVER_SM | TERN_SMPP_RESP,
    TERN_SMPP_UNBIND | TERN_SMPP_RESP,
    TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP,
    TERN_SMPP_GENERIC_NACK,
};

unsigned smsc_pdu_slot(uint32_t id)
{
	for (unsigned i = 0; i < SMPP_PDU_SLOTS - 1; i++)
		if (slot_ids[i] == id)
			return i;
	return SMPP_PDU_SLOTS - 1; /* anything else */
}

static const char *slot_name(unsigned i)
{
	return i < SMPP_PDU_SLOTS - 1 && slot_ids[i] ? tern_smpp_cmd_name(slot_ids[i]) : "other";
}

static const char *mode_name(const smpp_sess *x)
{
	static const char *const names[] = {"unbound", "transmitter", "receiver", "transceiver"};
	return x->unbinding ? "unbinding" : names[x->mode & 3];
}

static void print_bind(const tern_smsc *c, const smpp_sess *x, FILE *f)
{
	tern_tcp_info ti;
	char a[16] = "?";
	uint16_t port = 0;
	if (tern_socket_info(x->s, &ti) == 0) {
		tern_ip4_to_str(ti.remote.addr, a);
		port = ti.remote.port;
	}
	const char *who = x->user >= 0 ? c->users.u[x->user].system_id : "-";
	uint32_t queued = x->user >= 0 ? tern_smpp_store_box(c->store, (uint16_t)x->user)->count : 0;
	fprintf(f,
	        "  %-15s %-11s %s:%u up %.1fs idle %.1fs in %" PRIu64 " out %" PRIu64
	        " submits %" PRIu64 " delivers %" PRIu64 " in_flight %u/%u outstanding %" PRIu32
	        "/%" PRIu32 " queued %" PRIu32 "\n",
	        who, mode_name(x), a, port, (double)(c->now - x->opened) / 1e6,
	        (double)(c->now - x->last_rx) / 1e6, x->pdus_in, x->pdus_out, x->submits,
	        x->delivers, x->nwin, SMPP_WIN, x->outstanding, c->cfg.window, queued);
}

void tern_smsc_print_binds(const tern_smsc *c, FILE *f)
{
	tern_smpp_store_stats ss;
	tern_smpp_store_stats_get(c->store, &ss);
	fprintf(f,
	        "SMPP: %u sessions, %u bound, queue %" PRIu64 " (redelivered %" PRIu64
	        ", enquire_link %.0fs)\n",
	        c->nsess, c->nbound, ss.live, c->k.redeliveries, (double)c->cfg.enquire / 1e6);
	for (const smpp_sess *x = c->sessions; x; x = x->next)
		print_bind(c, x, f);
}

static void stat_line(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%-24s %" PRIu64 "\n", name, v);
}

void tern_smsc_print_stats(const tern_smsc *c, FILE *f)
{
	char name[64];
	tern_smpp_store_stats ss;
	tern_smpp_store_stats_get(c->store, &ss);
	for (unsigned i = 0; i < SMPP_PDU_SLOTS; i++) {
		snprintf(name, sizeof name, "smpp_in_%s", slot_name(i));
		if (c->k.pdu_in[i])
			stat_line(f, name, c->k.pdu_in[i]);
		snprintf(name, sizeof name, "smpp_out_%s", slot_name(i));
		if (c->k.pdu_out[i])
			stat_line(f, name, c->k.pdu_out[i]);
	}
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
	    {"smpp_binds", c->k.binds},           {"smpp_bind_refused", c->k.bind_refused},
	    {"smpp_bound_now", c->nbound},        {"smpp_unbinds", c->k.unbinds},
	    {"smpp_submits", c->k.submits},       {"smpp_throttled", c->k.throttled},
	    {"smpp_queue_full", c->k.queue_full}, {"smpp_store_errors", c->k.store_errors},
	    {"smpp_delivered", c->k.delivered},   {"smpp_receipts", c->k.receipts},
	    {"smpp_redeliveries", c->k.redeliveries}, {"smpp_delivery_nacks", c->k.delivery_nacks},
	    {"smpp_stray_resps", c->k.stray_resps}, {"smpp_bad_pdus", c->k.bad_pdus},
	    {"smpp_enquire_timeouts", c->k.enquire_timeouts},
	    {"smpp_resp_timeouts", c->k.resp_timeouts}, {"smpp_idle_closes", c->k.idle_closes},
	    {"smpp_peer_resets", c->k.peer_resets}, {"smpp_queue_depth", ss.live},
	    {"smpp_queue_max_depth", ss.max_live}, {"smpp_store_records", ss.records},
	    {"smpp_store_syncs", ss.syncs},       {"smpp_store_replayed", ss.replayed},
	    {"smpp_store_skipped", ss.skipped},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		stat_line(f, rows[i].name, rows[i].v);
}
