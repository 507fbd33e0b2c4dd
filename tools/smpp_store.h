/* smpp_store.h - the message centre's store: every message accepted
 * (submit_sm_resp sent) until its deliver_sm_resp arrives, queued per
 * mailbox (a system_id), and an append-only log that lets a restarted
 * `tern up` lose nothing it accepted.
 *
 * The log is text, one record a line, each ending in its FNV-1a checksum:
 *   N <next id>                      ids below this were given out
 *   A <id> <box> <from> <fields...>  accepted: the message, whole
 *   D <id>                           delivered: deliver_sm_resp arrived
 * A line that is torn (a crash in mid-write) or corrupt is skipped on
 * replay. Opening replays the log, then compacts it (the live messages
 * only, written to a new file that is synced and renamed over the old).
 * tern_smpp_store_sync makes every record so far durable (fdatasync); the
 * service calls it before any submit_sm_resp leaves, so an accepted
 * message is on disk before the ESME learns it was accepted. D records
 * ride along with the next sync: one lost in a crash means a re-delivery,
 * which the message id makes detectable, never a loss.
 *
 * No sockets here: the store is driven by svc_smpp.c and by unit tests. */
#ifndef TERN_TOOLS_SMPP_STORE_H
#define TERN_TOOLS_SMPP_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "smpp_pdu.h"

#define TERN_SMPP_BOXES 64 /* mailboxes: one per system_id, as the users */

typedef struct tern_smpp_msg tern_smpp_msg;
struct tern_smpp_msg {
	uint64_t id;
	tern_smpp_msg *prev, *next; /* in its mailbox while queued */
	tern_smpp_msg *hnext;       /* in the id hash */
	tern_smpp_msg *oprev, *onext; /* in its origin's outstanding list */
	void *origin;    /* the session that submitted it, while it lives */
	uint16_t box;    /* whose mailbox: a user index */
	uint16_t from;   /* who submitted it: receipts go there */
	bool queued;     /* in its mailbox (else in flight on a bind) */
	uint32_t sends;  /* deliver_sm sent so far: above 1 is a re-delivery */
	int64_t accepted; /* Unix time, for the receipt's submit date */
	tern_smpp_sm sm; /* delivered as is, as the body of a deliver_sm */
};

typedef struct tern_smpp_box {
	tern_smpp_msg *head, *tail;
	uint32_t count;
} tern_smpp_box;

typedef struct tern_smpp_store tern_smpp_store;

typedef struct tern_smpp_store_stats {
	uint64_t live, max_live, records, syncs, replayed, skipped, write_errors;
} tern_smpp_store_stats;

/* A store of at most max_live messages. path NULL: memory only. The names
 * map box numbers to system_ids in the log (names[i] for box i, nnames of
 * them); records naming an unknown system_id are skipped on replay.
 * Returns 0, or a negative errno (after printing why on err). */
int tern_smpp_store_open(const char *path, uint32_t max_live, const char *const *names,
                         unsigned nnames, FILE *err, tern_smpp_store **out);
void tern_smpp_store_close(tern_smpp_store *st);

/* A new message, given its next id, logged (not yet synced) and queued at
 * the tail of its box. Returns it, or NULL when the store is full (*full
 * set) or the log cannot be written. */
tern_smpp_msg *tern_smpp_store_add(tern_smpp_store *st, uint16_t box, uint16_t from,
                                   const tern_smpp_sm *sm, int64_t now_unix, bool *full);
/* Its deliver_sm_resp arrived: log it and free it (it must be in flight). */
void tern_smpp_store_done(tern_smpp_store *st, tern_smpp_msg *m);
/* The oldest message queued for box, taken out of the queue (in flight). */
tern_smpp_msg *tern_smpp_store_take(tern_smpp_store *st, uint16_t box);
/* An in-flight message goes back to the head of its box (bind lost). */
void tern_smpp_store_requeue(tern_smpp_store *st, tern_smpp_msg *m);
/* Make every record so far durable. Returns 0 or a negative errno. */
int tern_smpp_store_sync(tern_smpp_store *st);

const tern_smpp_box *tern_smpp_store_box(const tern_smpp_store *st, uint16_t box);
void tern_smpp_store_stats_get(const tern_smpp_store *st, tern_smpp_store_stats *out);
/* The id as the 16 hex digits the ESME sees. */
void tern_smpp_msg_id_str(uint64_t id, char out[TERN_SMPP_MSG_ID_SZ]);

#endif
