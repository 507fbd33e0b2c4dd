/* smpp_pdu.c - the SMPP 3.4 codec of smpp_pdu.h. The decoder walks the
 * body with a cursor that only ever moves forward and never past the PDU,
 * and stops at the first bad field; every loop is bounded by the bytes
 * left. Integers are big-endian (3.1). */
#include <string.h>

#include "smpp_pdu.h"

/* ---- reading ------------------------------------------------------------------ */

typedef struct rd {
	const uint8_t *p;
	size_t n;     /* bytes left */
	uint32_t err; /* first error, ESME_ROK while none */
} rd;

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void rd_fail(rd *r, uint32_t err)
{
	if (r->err == TERN_ESME_ROK)
		r->err = err;
	r->n = 0;
}

static uint8_t rd_u8(rd *r)
{
	if (r->err || r->n < 1) {
		rd_fail(r, TERN_ESME_RINVCMDLEN);
		return 0;
	}
	r->n--;
	return *r->p++;
}

/* A C-Octet String (3.1): at most sz bytes including its NUL, which must
 * be there. A string cut short by the end of the PDU is a length error;
 * one longer than its field is the field's own error (`bad`). */
static void rd_cstr(rd *r, char *dst, size_t sz, uint32_t bad)
{
	dst[0] = '\0';
	if (r->err)
		return;
	size_t lim = r->n < sz ? r->n : sz;
	const uint8_t *nul = memchr(r->p, 0, lim);
	if (!nul) {
		rd_fail(r, r->n < sz ? TERN_ESME_RINVCMDLEN : bad);
		return;
	}
	size_t len = (size_t)(nul - r->p);
	memcpy(dst, r->p, len + 1);
	r->p += len + 1;
	r->n -= len + 1;
}

/* schedule_delivery_time and validity_period: NULL or 16 characters
 * (7.1.1). */
static void rd_time(rd *r, char *dst, uint32_t bad)
{
	rd_cstr(r, dst, TERN_SMPP_TIME_SZ, bad);
	size_t n = strlen(dst);
	if (!r->err && n != 0 && n != TERN_SMPP_TIME_SZ - 1)
		rd_fail(r, bad);
}

/* ---- optional parameters (3.2.4.1, 5.3) ---------------------------------------- */

/* A TLV whose value is a C-Octet String: the NUL ends the value exactly. */
static uint32_t tlv_cstr(const uint8_t *v, uint16_t len, char *dst, size_t sz)
{
	if (len == 0 || len > sz || v[len - 1] != 0 || memchr(v, 0, len) != v + len - 1)
		return TERN_ESME_RINVPARLEN;
	memcpy(dst, v, len);
	return TERN_ESME_ROK;
}

static uint32_t tlv_u8(const uint8_t *v, uint16_t len, uint8_t *dst, bool *has)
{
	if (len != 1)
		return TERN_ESME_RINVPARLEN;
	*dst = v[0];
	*has = true;
	return TERN_ESME_ROK;
}

static uint32_t tlv_sm(tern_smpp_sm *sm, uint16_t tag, const uint8_t *v, uint16_t len)
{
	switch (tag) {
	case TERN_SMPP_TLV_RECEIPTED_MSG_ID:
		return tlv_cstr(v, len, sm->receipted_message_id, sizeof sm->receipted_message_id);
	case TERN_SMPP_TLV_TERN_MSG_ID:
		return tlv_cstr(v, len, sm->tern_msg_id, sizeof sm->tern_msg_id);
	case TERN_SMPP_TLV_MESSAGE_STATE:
		return tlv_u8(v, len, &sm->message_state, &sm->has_message_state);
	default:
		return TERN_ESME_ROK; /* 3.2.4.1: unknown parameters are ignored */
	}
}

static uint32_t tlv_resp(tern_smpp_resp *rp, uint16_t tag, const uint8_t *v, uint16_t len)
{
	if (tag == TERN_SMPP_TLV_SC_INTERFACE_VERSION)
		return tlv_u8(v, len, &rp->sc_version, &rp->has_sc_version);
	return TERN_ESME_ROK;
}

/* Every TLV to the end of the PDU: tag and length must be whole and the
 * value within the PDU. Each pass consumes at least 4 bytes. */
static void rd_tlvs(rd *r, tern_smpp_pdu *pdu, bool sm)
{
	while (!r->err && r->n > 0) {
		if (r->n < 4) {
			rd_fail(r, TERN_ESME_RINVOPTPARSTREAM);
			return;
		}
		uint16_t tag = (uint16_t)(r->p[0] << 8 | r->p[1]);
		uint16_t len = (uint16_t)(r->p[2] << 8 | r->p[3]);
		if (len > r->n - 4) {
			rd_fail(r, TERN_ESME_RINVOPTPARSTREAM);
			return;
		}
		const uint8_t *v = r->p + 4;
		uint32_t e = sm ? tlv_sm(&pdu->u.sm, tag, v, len) : tlv_resp(&pdu->u.resp, tag, v, len);
		if (e) {
			rd_fail(r, e);
			return;
		}
		r->p += 4u + len;
		r->n -= 4u + len;
	}
}

/* ---- bodies ---------------------------------------------------------------------- */

static void rd_bind(rd *r, tern_smpp_bind *b)
{
	rd_cstr(r, b->system_id, sizeof b->system_id, TERN_ESME_RINVSYSID);
	rd_cstr(r, b->password, sizeof b->password, TERN_ESME_RINVPASWD);
	rd_cstr(r, b->system_type, sizeof b->system_type, TERN_ESME_RINVSYSID);
	b->interface_version = rd_u8(r);
	b->addr_ton = rd_u8(r);
	b->addr_npi = rd_u8(r);
	rd_cstr(r, b->address_range, sizeof b->address_range, TERN_ESME_RINVPARLEN);
}

static void rd_sm_addrs(rd *r, tern_smpp_sm *s)
{
	rd_cstr(r, s->service_type, sizeof s->service_type, TERN_ESME_RINVSERTYP);
	s->src_ton = rd_u8(r);
	s->src_npi = rd_u8(r);
	rd_cstr(r, s->src_addr, sizeof s->src_addr, TERN_ESME_RINVSRCADR);
	s->dst_ton = rd_u8(r);
	s->dst_npi = rd_u8(r);
	rd_cstr(r, s->dst_addr, sizeof s->dst_addr, TERN_ESME_RINVDSTADR);
}

static void rd_sm(rd *r, tern_smpp_pdu *pdu)
{
	tern_smpp_sm *s = &pdu->u.sm;
	rd_sm_addrs(r, s);
	s->esm_class = rd_u8(r);
	s->protocol_id = rd_u8(r);
	s->priority_flag = rd_u8(r);
	rd_time(r, s->schedule_delivery_time, TERN_ESME_RINVSCHED);
	rd_time(r, s->validity_period, TERN_ESME_RINVEXPIRY);
	s->registered_delivery = rd_u8(r);
	s->replace_if_present = rd_u8(r);
	s->data_coding = rd_u8(r);
	s->sm_default_msg_id = rd_u8(r);
	s->sm_length = rd_u8(r);
	if (r->err)
		return;
	/* 4.4.1: sm_length 0..254, the text within the PDU. */
	if (s->sm_length > TERN_SMPP_SM_MAX || s->sm_length > r->n) {
		rd_fail(r, TERN_ESME_RINVMSGLEN);
		return;
	}
	memcpy(s->short_message, r->p, s->sm_length);
	r->p += s->sm_length;
	r->n -= s->sm_length;
	rd_tlvs(r, pdu, true);
}

/* A response with a non-zero command_status comes without its body
 * (4.4.2, 4.6.2; binds too in practice): whatever follows the header of
 * one is ignored, and tern sends none. */
static void rd_resp(rd *r, tern_smpp_pdu *pdu, size_t sz, bool tlvs)
{
	if (pdu->status != TERN_ESME_ROK) {
		r->p += r->n;
		r->n = 0;
		return;
	}
	rd_cstr(r, pdu->u.resp.id, sz, TERN_ESME_RINVMSGID);
	if (tlvs)
		rd_tlvs(r, pdu, false);
}

static void rd_body(rd *r, tern_smpp_pdu *pdu)
{
	switch (pdu->id) {
	case TERN_SMPP_BIND_RECEIVER:
	case TERN_SMPP_BIND_TRANSMITTER:
	case TERN_SMPP_BIND_TRANSCEIVER:
		rd_bind(r, &pdu->u.bind);
		break;
	case TERN_SMPP_BIND_RECEIVER | TERN_SMPP_RESP:
	case TERN_SMPP_BIND_TRANSMITTER | TERN_SMPP_RESP:
	case TERN_SMPP_BIND_TRANSCEIVER | TERN_SMPP_RESP:
		rd_resp(r, pdu, TERN_SMPP_SYSTEM_ID_SZ, true);
		break;
	case TERN_SMPP_SUBMIT_SM:
	case TERN_SMPP_DELIVER_SM:
		rd_sm(r, pdu);
		break;
	case TERN_SMPP_SUBMIT_SM | TERN_SMPP_RESP:
	case TERN_SMPP_DELIVER_SM | TERN_SMPP_RESP:
		rd_resp(r, pdu, TERN_SMPP_MSG_ID_SZ, false);
		break;
	case TERN_SMPP_ENQUIRE_LINK:
	case TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP:
	case TERN_SMPP_UNBIND:
	case TERN_SMPP_UNBIND | TERN_SMPP_RESP:
	case TERN_SMPP_GENERIC_NACK:
		break; /* header only (4.2, 4.3, 4.11) */
	default:
		rd_fail(r, TERN_ESME_RINVCMDID);
		return;
	}
	/* Bytes left over: the length disagrees with the body. */
	if (!r->err && r->n != 0)
		rd_fail(r, TERN_ESME_RINVCMDLEN);
}

int tern_smpp_frame(const uint8_t *buf, size_t len, uint32_t *pdu_len)
{
	if (len < 4)
		return 0;
	*pdu_len = get32(buf);
	if (*pdu_len < TERN_SMPP_HDR_LEN || *pdu_len > TERN_SMPP_PDU_MAX)
		return -1;
	return len >= *pdu_len ? 1 : 0;
}

uint32_t tern_smpp_decode(const uint8_t *buf, size_t len, tern_smpp_pdu *out)
{
	memset(out, 0, sizeof *out);
	if (len < TERN_SMPP_HDR_LEN)
		return TERN_ESME_RINVCMDLEN;
	out->len = get32(buf);
	out->id = get32(buf + 4);
	out->status = get32(buf + 8);
	out->seq = get32(buf + 12);
	if (out->len != len || len > TERN_SMPP_PDU_MAX)
		return TERN_ESME_RINVCMDLEN;
	rd r = {buf + TERN_SMPP_HDR_LEN, len - TERN_SMPP_HDR_LEN, TERN_ESME_ROK};
	rd_body(&r, out);
	return r.err;
}

/* ---- writing ---------------------------------------------------------------------- */

typedef struct wr {
	uint8_t *p;
	size_t cap, len;
	bool bad; /* out of room or an unterminated string */
} wr;

static void wr_bytes(wr *w, const void *v, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void wr_u8(wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void wr_u16(wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	wr_bytes(w, b, 2);
}

static void wr_u32(wr *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	wr_bytes(w, b, 4);
}

/* The string with its NUL; it must end within its field of sz bytes. */
static void wr_cstr(wr *w, const char *s, size_t sz)
{
	const char *nul = memchr(s, 0, sz);
	if (!nul) {
		w->bad = true;
		return;
	}
	wr_bytes(w, s, (size_t)(nul - s) + 1);
}

static void wr_tlv_cstr(wr *w, uint16_t tag, const char *s, size_t sz)
{
	const char *nul = memchr(s, 0, sz);
	if (!nul || nul == s)
		return; /* absent (or unterminated: refused by wr_cstr below) */
	wr_u16(w, tag);
	wr_u16(w, (uint16_t)(nul - s + 1));
	wr_cstr(w, s, sz);
}

static void wr_tlv_u8(wr *w, uint16_t tag, uint8_t v)
{
	wr_u16(w, tag);
	wr_u16(w, 1);
	wr_u8(w, v);
}

static void wr_bind(wr *w, const tern_smpp_bind *b)
{
	wr_cstr(w, b->system_id, sizeof b->system_id);
	wr_cstr(w, b->password, sizeof b->password);
	wr_cstr(w, b->system_type, sizeof b->system_type);
	wr_u8(w, b->interface_version);
	wr_u8(w, b->addr_ton);
	wr_u8(w, b->addr_npi);
	wr_cstr(w, b->address_range, sizeof b->address_range);
}

static void wr_sm(wr *w, const tern_smpp_sm *s)
{
	wr_cstr(w, s->service_type, sizeof s->service_type);
	wr_u8(w, s->src_ton);
	wr_u8(w, s->src_npi);
	wr_cstr(w, s->src_addr, sizeof s->src_addr);
	wr_u8(w, s->dst_ton);
	wr_u8(w, s->dst_npi);
	wr_cstr(w, s->dst_addr, sizeof s->dst_addr);
	wr_u8(w, s->esm_class);
	wr_u8(w, s->protocol_id);
	wr_u8(w, s->priority_flag);
	wr_cstr(w, s->schedule_delivery_time, sizeof s->schedule_delivery_time);
	wr_cstr(w, s->validity_period, sizeof s->validity_period);
	wr_u8(w, s->registered_delivery);
	wr_u8(w, s->replace_if_present);
	wr_u8(w, s->data_coding);
	wr_u8(w, s->sm_default_msg_id);
	wr_u8(w, s->sm_length);
	if (s->sm_length > TERN_SMPP_SM_MAX)
		w->bad = true;
	else
		wr_bytes(w, s->short_message, s->sm_length);
	wr_tlv_cstr(w, TERN_SMPP_TLV_RECEIPTED_MSG_ID, s->receipted_message_id,
	            sizeof s->receipted_message_id);
	if (s->has_message_state)
		wr_tlv_u8(w, TERN_SMPP_TLV_MESSAGE_STATE, s->message_state);
	wr_tlv_cstr(w, TERN_SMPP_TLV_TERN_MSG_ID, s->tern_msg_id, sizeof s->tern_msg_id);
}

/* An error response is its header alone (4.4.2). */
static void wr_resp(wr *w, const tern_smpp_pdu *p, size_t sz, bool tlvs)
{
	if (p->status != TERN_ESME_ROK)
		return;
	wr_cstr(w, p->u.resp.id, sz);
	if (tlvs && p->u.resp.has_sc_version)
		wr_tlv_u8(w, TERN_SMPP_TLV_SC_INTERFACE_VERSION, p->u.resp.sc_version);
}

static bool wr_body(wr *w, const tern_smpp_pdu *p)
{
	switch (p->id) {
	case TERN_SMPP_BIND_RECEIVER:
	case TERN_SMPP_BIND_TRANSMITTER:
	case TERN_SMPP_BIND_TRANSCEIVER:
		wr_bind(w, &p->u.bind);
		return true;
	case TERN_SMPP_BIND_RECEIVER | TERN_SMPP_RESP:
	case TERN_SMPP_BIND_TRANSMITTER | TERN_SMPP_RESP:
	case TERN_SMPP_BIND_TRANSCEIVER | TERN_SMPP_RESP:
		wr_resp(w, p, TERN_SMPP_SYSTEM_ID_SZ, true);
		return true;
	case TERN_SMPP_SUBMIT_SM:
	case TERN_SMPP_DELIVER_SM:
		wr_sm(w, &p->u.sm);
		return true;
	case TERN_SMPP_SUBMIT_SM | TERN_SMPP_RESP:
	case TERN_SMPP_DELIVER_SM | TERN_SMPP_RESP:
		wr_resp(w, p, TERN_SMPP_MSG_ID_SZ, false);
		return true;
	case TERN_SMPP_ENQUIRE_LINK:
	case TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP:
	case TERN_SMPP_UNBIND:
	case TERN_SMPP_UNBIND | TERN_SMPP_RESP:
	case TERN_SMPP_GENERIC_NACK:
		return true;
	default:
		return false;
	}
}

size_t tern_smpp_encode(const tern_smpp_pdu *p, uint8_t *buf, size_t cap)
{
	wr w = {buf, cap < TERN_SMPP_PDU_MAX ? cap : TERN_SMPP_PDU_MAX, 0, false};
	wr_u32(&w, 0); /* command_length, filled in below */
	wr_u32(&w, p->id);
	wr_u32(&w, p->status);
	wr_u32(&w, p->seq);
	if (!wr_body(&w, p) || w.bad)
		return 0;
	size_t n = w.len;
	w.len = 0;
	wr_u32(&w, (uint32_t)n);
	return n;
}

/* ---- names ------------------------------------------------------------------------ */

const char *tern_smpp_cmd_name(uint32_t id)
{
	/* outbind and alert_notification have no response (4.1.7, 4.12). */
	static const struct {
		uint32_t id;
		const char *name, *resp;
	} names[] = {
	    {TERN_SMPP_BIND_RECEIVER, "bind_receiver", "bind_receiver_resp"},
	    {TERN_SMPP_BIND_TRANSMITTER, "bind_transmitter", "bind_transmitter_resp"},
	    {TERN_SMPP_QUERY_SM, "query_sm", "query_sm_resp"},
	    {TERN_SMPP_SUBMIT_SM, "submit_sm", "submit_sm_resp"},
	    {TERN_SMPP_DELIVER_SM, "deliver_sm", "deliver_sm_resp"},
	    {TERN_SMPP_UNBIND, "unbind", "unbind_resp"},
	    {TERN_SMPP_REPLACE_SM, "replace_sm", "replace_sm_resp"},
	    {TERN_SMPP_CANCEL_SM, "cancel_sm", "cancel_sm_resp"},
	    {TERN_SMPP_BIND_TRANSCEIVER, "bind_transceiver", "bind_transceiver_resp"},
	    {TERN_SMPP_OUTBIND, "outbind", NULL},
	    {TERN_SMPP_ENQUIRE_LINK, "enquire_link", "enquire_link_resp"},
	    {TERN_SMPP_SUBMIT_MULTI, "submit_multi", "submit_multi_resp"},
	    {TERN_SMPP_ALERT_NOTIFICATION, "alert_notification", NULL},
	    {TERN_SMPP_DATA_SM, "data_sm", "data_sm_resp"},
	};
	if (id == TERN_SMPP_GENERIC_NACK)
		return "generic_nack";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].id == id)
			return names[i].name;
		if ((names[i].id | TERN_SMPP_RESP) == id && names[i].resp)
			return names[i].resp;
	}
	return "unknown";
}

const char *tern_smpp_status_name(uint32_t status)
{
	switch (status) {
	case TERN_ESME_ROK: return "ESME_ROK";
	case TERN_ESME_RINVMSGLEN: return "ESME_RINVMSGLEN";
	case TERN_ESME_RINVCMDLEN: return "ESME_RINVCMDLEN";
	case TERN_ESME_RINVCMDID: return "ESME_RINVCMDID";
	case TERN_ESME_RINVBNDSTS: return "ESME_RINVBNDSTS";
	case TERN_ESME_RALYBND: return "ESME_RALYBND";
	case TERN_ESME_RSYSERR: return "ESME_RSYSERR";
	case TERN_ESME_RINVSRCADR: return "ESME_RINVSRCADR";
	case TERN_ESME_RINVDSTADR: return "ESME_RINVDSTADR";
	case TERN_ESME_RINVMSGID: return "ESME_RINVMSGID";
	case TERN_ESME_RBINDFAIL: return "ESME_RBINDFAIL";
	case TERN_ESME_RINVPASWD: return "ESME_RINVPASWD";
	case TERN_ESME_RINVSYSID: return "ESME_RINVSYSID";
	case TERN_ESME_RINVSERTYP: return "ESME_RINVSERTYP";
	case TERN_ESME_RMSGQFUL: return "ESME_RMSGQFUL";
	case TERN_ESME_RTHROTTLED: return "ESME_RTHROTTLED";
	case TERN_ESME_RINVSCHED: return "ESME_RINVSCHED";
	case TERN_ESME_RINVEXPIRY: return "ESME_RINVEXPIRY";
	case TERN_ESME_RINVOPTPARSTREAM: return "ESME_RINVOPTPARSTREAM";
	case TERN_ESME_RINVPARLEN: return "ESME_RINVPARLEN";
	case TERN_ESME_RUNKNOWNERR: return "ESME_RUNKNOWNERR";
	default: return "ESME_R?";
	}
}
