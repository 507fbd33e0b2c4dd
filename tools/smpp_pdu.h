/* smpp_pdu.h - an SMPP 3.4 PDU codec: framing, decoding and encoding of the
 * PDUs tern's message centre speaks (bind_*, submit_sm, deliver_sm, their
 * responses, enquire_link, unbind, generic_nack), nothing else.
 *
 * Sans-I/O and allocation-free: the decoder reads one whole PDU from a
 * buffer into a fixed-size struct, the encoder writes one into a buffer, so
 * both can be driven by a fuzzer and by unit tests alone. Every field is
 * checked against SMPP 3.4 section 4 and 5: C-Octet Strings must end with
 * their NUL within the field's maximum size, short_message within its
 * sm_length, optional parameters (TLVs, 3.2.4.1 and 5.3) within the PDU.
 * Section numbers below are those of the SMPP v3.4 specification, issue 1.2. */
#ifndef TERN_TOOLS_SMPP_PDU_H
#define TERN_TOOLS_SMPP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TERN_SMPP_HDR_LEN 16u
/* Our bound on command_length. 3.4 sets none; the largest PDU this codec
 * decodes is a submit_sm with 254 bytes of text and a few TLVs (well under
 * 1 KiB); 4 KiB leaves room for TLVs it skips. Longer is refused. */
#define TERN_SMPP_PDU_MAX 4096u

/* command_id values (5.1.2.1). */
enum {
	TERN_SMPP_GENERIC_NACK = 0x80000000u,
	TERN_SMPP_BIND_RECEIVER = 0x00000001u,
	TERN_SMPP_BIND_TRANSMITTER = 0x00000002u,
	TERN_SMPP_QUERY_SM = 0x00000003u,
	TERN_SMPP_SUBMIT_SM = 0x00000004u,
	TERN_SMPP_DELIVER_SM = 0x00000005u,
	TERN_SMPP_UNBIND = 0x00000006u,
	TERN_SMPP_REPLACE_SM = 0x00000007u,
	TERN_SMPP_CANCEL_SM = 0x00000008u,
	TERN_SMPP_BIND_TRANSCEIVER = 0x00000009u,
	TERN_SMPP_OUTBIND = 0x0000000Bu,
	TERN_SMPP_ENQUIRE_LINK = 0x00000015u,
	TERN_SMPP_SUBMIT_MULTI = 0x00000021u,
	TERN_SMPP_ALERT_NOTIFICATION = 0x00000102u,
	TERN_SMPP_DATA_SM = 0x00000103u,
	TERN_SMPP_RESP = 0x80000000u, /* a response: its request's id | this */
};

/* command_status values used here (5.1.3). */
enum {
	TERN_ESME_ROK = 0x00,
	TERN_ESME_RINVMSGLEN = 0x01,
	TERN_ESME_RINVCMDLEN = 0x02,
	TERN_ESME_RINVCMDID = 0x03,
	TERN_ESME_RINVBNDSTS = 0x04,
	TERN_ESME_RALYBND = 0x05,
	TERN_ESME_RSYSERR = 0x08,
	TERN_ESME_RINVSRCADR = 0x0A,
	TERN_ESME_RINVDSTADR = 0x0B,
	TERN_ESME_RINVMSGID = 0x0C,
	TERN_ESME_RBINDFAIL = 0x0D,
	TERN_ESME_RINVPASWD = 0x0E,
	TERN_ESME_RINVSYSID = 0x0F,
	TERN_ESME_RINVSERTYP = 0x15,
	TERN_ESME_RMSGQFUL = 0x14,
	TERN_ESME_RTHROTTLED = 0x58,
	TERN_ESME_RINVSCHED = 0x61,
	TERN_ESME_RINVEXPIRY = 0x62,
	TERN_ESME_RINVOPTPARSTREAM = 0xC0,
	TERN_ESME_RINVPARLEN = 0xC2,
	TERN_ESME_RUNKNOWNERR = 0xFF,
};

/* Optional parameter tags this codec reads and writes (5.3.2); others are
 * skipped. 0x1400..0x3FFF are reserved for SMSC vendors (5.3.2): tern puts
 * its message id in every deliver_sm so an ESME can spot re-deliveries. */
enum {
	TERN_SMPP_TLV_RECEIPTED_MSG_ID = 0x001E,
	TERN_SMPP_TLV_SC_INTERFACE_VERSION = 0x0210,
	TERN_SMPP_TLV_MESSAGE_STATE = 0x0427,
	TERN_SMPP_TLV_TERN_MSG_ID = 0x1401,
};

/* esm_class bits (5.2.12) and message_state values (5.2.28). */
#define TERN_SMPP_ESM_RECEIPT   0x04u
#define TERN_SMPP_STATE_DELIVRD 2u

/* C-Octet String sizes including the NUL (4.1, 4.4.1, 4.4.2). */
#define TERN_SMPP_SYSTEM_ID_SZ   16
#define TERN_SMPP_PASSWORD_SZ    9
#define TERN_SMPP_SYSTEM_TYPE_SZ 13
#define TERN_SMPP_RANGE_SZ       41
#define TERN_SMPP_SERVICE_SZ     6
#define TERN_SMPP_ADDR_SZ        21
#define TERN_SMPP_TIME_SZ        17
#define TERN_SMPP_MSG_ID_SZ      65
#define TERN_SMPP_SM_MAX         254

/* bind_transmitter, bind_receiver, bind_transceiver (4.1.1, 4.1.3, 4.1.5). */
typedef struct tern_smpp_bind {
	char system_id[TERN_SMPP_SYSTEM_ID_SZ];
	char password[TERN_SMPP_PASSWORD_SZ];
	char system_type[TERN_SMPP_SYSTEM_TYPE_SZ];
	uint8_t interface_version, addr_ton, addr_npi;
	char address_range[TERN_SMPP_RANGE_SZ];
} tern_smpp_bind;

/* submit_sm and deliver_sm share one body layout (4.4.1, 4.6.1). */
typedef struct tern_smpp_sm {
	char service_type[TERN_SMPP_SERVICE_SZ];
	uint8_t src_ton, src_npi;
	char src_addr[TERN_SMPP_ADDR_SZ];
	uint8_t dst_ton, dst_npi;
	char dst_addr[TERN_SMPP_ADDR_SZ];
	uint8_t esm_class, protocol_id, priority_flag;
	char schedule_delivery_time[TERN_SMPP_TIME_SZ];
	char validity_period[TERN_SMPP_TIME_SZ];
	uint8_t registered_delivery, replace_if_present, data_coding, sm_default_msg_id;
	uint8_t sm_length;
	uint8_t short_message[TERN_SMPP_SM_MAX];
	/* Known optional parameters; an empty string / false: absent. */
	char receipted_message_id[TERN_SMPP_MSG_ID_SZ];
	char tern_msg_id[TERN_SMPP_MSG_ID_SZ];
	bool has_message_state;
	uint8_t message_state;
} tern_smpp_sm;

/* bind_*_resp (system_id) and submit_sm_resp / deliver_sm_resp
 * (message_id; always empty in deliver_sm_resp, 4.6.2). */
typedef struct tern_smpp_resp {
	char id[TERN_SMPP_MSG_ID_SZ];
	bool has_sc_version; /* bind_*_resp's sc_interface_version TLV */
	uint8_t sc_version;
} tern_smpp_resp;

typedef struct tern_smpp_pdu {
	uint32_t len, id, status, seq; /* the header (3.2) */
	union {
		tern_smpp_bind bind;
		tern_smpp_sm sm;
		tern_smpp_resp resp;
	} u;
} tern_smpp_pdu;

/* How much of buf is the PDU at its front. Returns 1 with *pdu_len set
 * when a whole PDU is there, 0 when more bytes are needed, -1 when the
 * command_length (then in *pdu_len) is below 16 or above
 * TERN_SMPP_PDU_MAX: the stream cannot be framed any more. */
int tern_smpp_frame(const uint8_t *buf, size_t len, uint32_t *pdu_len);

/* Decode the one PDU buf[0..len) (len: its command_length). Returns
 * TERN_ESME_ROK, or the command_status to answer with: RINVCMDLEN for a
 * length that disagrees with the body, RINVCMDID for an id this codec does
 * not decode, a field's own error for a bad field. The header fields are
 * filled whenever len >= 16, so even a bad PDU can be answered. */
uint32_t tern_smpp_decode(const uint8_t *buf, size_t len, tern_smpp_pdu *out);

/* Encode p (its len is ignored: computed) into buf. Returns the PDU's
 * length, or 0 when it does not fit in cap, p->id is not one this codec
 * encodes, or a string is not terminated within its field. */
size_t tern_smpp_encode(const tern_smpp_pdu *p, uint8_t *buf, size_t cap);

/* "submit_sm", "deliver_sm_resp", ...; "unknown" otherwise. */
const char *tern_smpp_cmd_name(uint32_t id);
/* "ESME_RTHROTTLED", ...; "ESME_R?" for codes not listed above. */
const char *tern_smpp_status_name(uint32_t status);

#endif
