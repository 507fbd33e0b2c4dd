/* svc_smpp.h - tern's SMPP 3.4 message centre (SMSC), a service of `tern
 * up` (--services ...,smpp; port 2775). Two parts share this header:
 *
 *   svc_smpp_smsc.c  the centre: accounts, the store, routing, receipts,
 *                    the bind registry, timers, counters and their printing
 *   svc_smpp.c       one connection (a session, bound or not): framing,
 *                    the PDUs of SMPP 3.4 section 4, windows, enquire_link
 *
 * Delivery is at least once: a message accepted (submit_sm_resp sent) is
 * in the store until a deliver_sm_resp with ESME_ROK arrives for it; a
 * bind that goes away puts what it had in flight back at the head of its
 * mailbox; every deliver_sm carries tern's message id (TLV 0x1401), so an
 * ESME can drop a re-delivery. docs/SMS.md tells the whole story. */
#ifndef TERN_TOOLS_SVC_SMPP_H
#define TERN_TOOLS_SVC_SMPP_H

#include <stdio.h>

#include "smpp_store.h"
#include "smpp_users.h"
#include "svc.h"

#define SMPP_PORT      2775
#define SMPP_WIN       16          /* our deliver_sm in flight per bind */
#define SMPP_OUT       (32 * 1024) /* per session: responses and deliveries */
#define SMPP_IN        (2 * TERN_SMPP_PDU_MAX)
#define SMPP_PDU_SLOTS 20

typedef struct tern_smsc_config {
	const char *users_path;  /* NULL: one account, tern/tern */
	const char *queue_path;  /* NULL: the queue lives in memory only */
	uint32_t window;         /* per bind: its messages accepted, not yet delivered */
	uint32_t queue_max;      /* messages in the store, all mailboxes */
	tern_time enquire;       /* idle time before enquire_link; also every response timeout */
} tern_smsc_config;

typedef struct tern_smsc_counters {
	uint64_t pdu_in[SMPP_PDU_SLOTS], pdu_out[SMPP_PDU_SLOTS];
	uint64_t binds, bind_refused, unbinds, submits, throttled, queue_full, store_errors;
	uint64_t delivered, receipts, redeliveries, delivery_nacks, stray_resps;
	uint64_t bad_pdus, enquire_timeouts, resp_timeouts, idle_closes, peer_resets;
} tern_smsc_counters;

typedef struct smpp_flight {
	uint32_t seq;
	tern_smpp_msg *m;
	tern_time sent;
} smpp_flight;

enum { SMPP_TX = 1, SMPP_RX = 2, SMPP_TRX = 3 }; /* a bind's mode: bits */

typedef struct smpp_sess smpp_sess;
struct smpp_sess {
	struct tern_smsc *c;
	svc_host *host;
	tern_socket *s;
	smpp_sess *prev, *next; /* the centre's sessions */
	int user;               /* the account, once bound; -1 before */
	unsigned mode;          /* SMPP_TX | SMPP_RX; 0 while not bound */
	bool unbinding, closing, dead, eof, more;
	char address_range[TERN_SMPP_RANGE_SZ];
	uint32_t seq;                  /* of our last request */
	smpp_flight win[SMPP_WIN];     /* our deliver_sm awaiting their resp, oldest first */
	unsigned nwin;
	uint32_t enq_seq;
	tern_time enq_sent;            /* our enquire_link in flight since, 0: none */
	tern_time opened, bound_at, last_rx, close_by, pump_after, deadline;
	tern_smpp_msg *origin;         /* messages it submitted, not yet delivered */
	uint32_t outstanding;
	uint64_t pdus_in, pdus_out, submits, delivers;
	size_t inlen, outlen, outoff;
	uint8_t in[SMPP_IN];
	uint8_t out[SMPP_OUT];
};

typedef struct tern_smsc {
	tern_smsc_config cfg;
	tern_smpp_users users;
	tern_smpp_store *store;
	tern_time now, next_due;
	smpp_sess *sessions;
	unsigned nsess, nbound;
	tern_smsc_counters k;
} tern_smsc;

/* ---- for tern up ---------------------------------------------------------------- */

void tern_smsc_config_init(tern_smsc_config *cfg);
/* Loads the accounts and the queue file. Returns 0, or -1 after printing
 * why on err. */
int tern_smsc_new(const tern_smsc_config *cfg, FILE *err, tern_smsc **out);
/* After every session has closed (svc_host_del). */
void tern_smsc_del(tern_smsc *c);
/* The loop hook's share, before svc_host_run: wake the sessions whose
 * timers are due. Returns the next deadline. */
tern_time tern_smsc_tick(tern_smsc *c, tern_time now);
/* One line per session (`tern ss -i`), and the counters (--stats, ctl "smpp"). */
void tern_smsc_print_binds(const tern_smsc *c, FILE *f);
void tern_smsc_print_stats(const tern_smsc *c, FILE *f);

/* ---- for the sessions (svc_smpp.c) ---------------------------------------------------- */

void smsc_attach(tern_smsc *c, smpp_sess *x);
void smsc_detach(tern_smsc *c, smpp_sess *x);
/* The mailbox a submit_sm from account `from` to dst goes to. */
uint16_t smsc_route(const tern_smsc *c, uint16_t from, const char *dst);
/* Step every bound receiver of box (a message is waiting). */
void smsc_wake_box(tern_smsc *c, uint16_t box);
/* A deliver_sm_resp with ESME_ROK: receipt if asked for, then free it. */
void smsc_delivered(tern_smsc *c, tern_smpp_msg *m);
/* The counter slot of a command_id. */
unsigned smsc_pdu_slot(uint32_t id);
/* A session's next timer, for the tick. */
void smsc_note_deadline(tern_smsc *c, tern_time when);

#endif
