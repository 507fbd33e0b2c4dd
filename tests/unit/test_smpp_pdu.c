/* test_smpp_pdu.c - the SMPP 3.4 codec (tools/smpp_pdu.c): every PDU it
 * speaks survives encode then decode unchanged, known bytes from the
 * specification's layout decode as expected, and every malformed case
 * (short length, length over the limit, unknown command id, a C-string
 * without its NUL, a truncated body, a bad TLV) is refused with the status
 * an SMSC answers with. */
#include "tools/smpp_pdu.h"
#include "tt.h"

static uint8_t buf[TERN_SMPP_PDU_MAX];

/* encode p, decode it back, compare the whole structure. */
static int round_trip(const tern_smpp_pdu *p)
{
	tern_smpp_pdu q;
	size_t n = tern_smpp_encode(p, buf, sizeof buf);
	if (n < TERN_SMPP_HDR_LEN)
		return -1;
	uint32_t len;
	if (tern_smpp_frame(buf, n, &len) != 1 || len != n || tern_smpp_frame(buf, n - 1, &len) != 0)
		return -2;
	if (tern_smpp_decode(buf, n, &q) != TERN_ESME_ROK)
		return -3;
	tern_smpp_pdu want = *p;
	want.len = (uint32_t)n;
	return memcmp(&want, &q, sizeof q) == 0 ? 0 : -4;
}

static tern_smpp_pdu hdr(uint32_t id, uint32_t seq)
{
	tern_smpp_pdu p;
	memset(&p, 0, sizeof p);
	p.id = id;
	p.seq = seq;
	return p;
}

static tern_smpp_pdu sample_sm(uint32_t id)
{
	tern_smpp_pdu p = hdr(id, 42);
	tern_smpp_sm *s = &p.u.sm;
	strcpy(s->service_type, "CMT");
	s->src_ton = 1;
	s->src_npi = 1;
	strcpy(s->src_addr, "447700900123");
	s->dst_ton = 1;
	s->dst_npi = 1;
	strcpy(s->dst_addr, "12345678901234567890"); /* 20: the longest */
	s->esm_class = 0;
	s->registered_delivery = 1;
	strcpy(s->validity_period, "000001000000000R");
	s->data_coding = 0;
	s->sm_length = TERN_SMPP_SM_MAX;
	for (int i = 0; i < TERN_SMPP_SM_MAX; i++)
		s->short_message[i] = (uint8_t)i;
	return p;
}

TT_TEST(round_trip_binds)
{
	const uint32_t ids[] = {TERN_SMPP_BIND_TRANSMITTER, TERN_SMPP_BIND_RECEIVER,
	                        TERN_SMPP_BIND_TRANSCEIVER};
	for (int i = 0; i < 3; i++) {
		tern_smpp_pdu p = hdr(ids[i], 1);
		strcpy(p.u.bind.system_id, "abcdefghijklmno"); /* 15: the longest */
		strcpy(p.u.bind.password, "secret12");
		strcpy(p.u.bind.system_type, "VMS");
		p.u.bind.interface_version = 0x34;
		p.u.bind.addr_ton = 1;
		strcpy(p.u.bind.address_range, "4477");
		TT_EQ(round_trip(&p), 0);
		tern_smpp_pdu r = hdr(ids[i] | TERN_SMPP_RESP, 1);
		strcpy(r.u.resp.id, "tern");
		r.u.resp.has_sc_version = true;
		r.u.resp.sc_version = 0x34;
		TT_EQ(round_trip(&r), 0);
	}
}

TT_TEST(round_trip_sm)
{
	tern_smpp_pdu p = sample_sm(TERN_SMPP_SUBMIT_SM);
	TT_EQ(round_trip(&p), 0);
	p = sample_sm(TERN_SMPP_DELIVER_SM);
	p.u.sm.esm_class = TERN_SMPP_ESM_RECEIPT;
	strcpy(p.u.sm.receipted_message_id, "00000000000000ff");
	p.u.sm.has_message_state = true;
	p.u.sm.message_state = TERN_SMPP_STATE_DELIVRD;
	strcpy(p.u.sm.tern_msg_id, "0000000000000100");
	TT_EQ(round_trip(&p), 0);
	p.u.sm.sm_length = 0; /* an empty message is allowed */
	memset(p.u.sm.short_message, 0, sizeof p.u.sm.short_message);
	TT_EQ(round_trip(&p), 0);
}

TT_TEST(round_trip_resps_and_bare)
{
	tern_smpp_pdu p = hdr(TERN_SMPP_SUBMIT_SM | TERN_SMPP_RESP, 7);
	memset(p.u.resp.id, 'x', TERN_SMPP_MSG_ID_SZ - 1); /* 64: the longest */
	TT_EQ(round_trip(&p), 0);
	p = hdr(TERN_SMPP_DELIVER_SM | TERN_SMPP_RESP, 8);
	TT_EQ(round_trip(&p), 0);
	const uint32_t bare[] = {TERN_SMPP_ENQUIRE_LINK, TERN_SMPP_ENQUIRE_LINK | TERN_SMPP_RESP,
	                         TERN_SMPP_UNBIND, TERN_SMPP_UNBIND | TERN_SMPP_RESP,
	                         TERN_SMPP_GENERIC_NACK};
	for (int i = 0; i < 5; i++) {
		p = hdr(bare[i], 0x7fffffff);
		p.status = bare[i] == TERN_SMPP_GENERIC_NACK ? TERN_ESME_RINVCMDID : 0;
		TT_EQ(round_trip(&p), 0);
		TT_EQ(tern_smpp_encode(&p, buf, sizeof buf), 16);
	}
}

/* enquire_link, sequence 1, exactly as 4.11.1 lays it out. */
TT_TEST(known_bytes)
{
	const uint8_t el[] = {0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1};
	tern_smpp_pdu p;
	TT_EQ(tern_smpp_decode(el, sizeof el, &p), TERN_ESME_ROK);
	TT_EQ(p.id, TERN_SMPP_ENQUIRE_LINK);
	TT_EQ(p.seq, 1);
	const uint8_t bt[] = {0, 0, 0, 0x23, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9,
	                      't', 'e', 'r', 'n', 0, 't', 'e', 'r', 'n', 0, 0, 0x34, 0, 0, '1', '2', 0};
	uint8_t fixed[sizeof bt];
	memcpy(fixed, bt, sizeof bt);
	fixed[3] = sizeof bt;
	TT_EQ(tern_smpp_decode(fixed, sizeof fixed, &p), TERN_ESME_ROK);
	TT_CHECK(!strcmp(p.u.bind.system_id, "tern") && !strcmp(p.u.bind.password, "tern"));
	TT_CHECK(!strcmp(p.u.bind.address_range, "12") && p.u.bind.interface_version == 0x34);
	TT_CHECK(!strcmp(tern_smpp_cmd_name(p.id), "bind_transmitter"));
	TT_CHECK(!strcmp(tern_smpp_cmd_name(TERN_SMPP_SUBMIT_SM | TERN_SMPP_RESP), "submit_sm_resp"));
	TT_CHECK(!strcmp(tern_smpp_cmd_name(0x1234), "unknown"));
	TT_CHECK(!strcmp(tern_smpp_status_name(TERN_ESME_RTHROTTLED), "ESME_RTHROTTLED"));
}

TT_TEST(bad_lengths)
{
	uint8_t b[20] = {0, 0, 0, 15};
	uint32_t len;
	TT_EQ(tern_smpp_frame(b, 3, &len), 0);  /* not even a length yet */
	TT_EQ(tern_smpp_frame(b, 16, &len), -1); /* below the header */
	TT_EQ(len, 15);
	b[3] = 0;
	TT_EQ(tern_smpp_frame(b, 16, &len), -1); /* zero */
	b[2] = 0x10;
	b[3] = 1; /* 4097: over our limit */
	TT_EQ(tern_smpp_frame(b, 16, &len), -1);
	b[0] = 0xff; /* 4 GB */
	TT_EQ(tern_smpp_frame(b, 16, &len), -1);
	tern_smpp_pdu p;
	TT_EQ(tern_smpp_decode(b, 10, &p), TERN_ESME_RINVCMDLEN);
	/* A header claiming more than the buffer given. */
	const uint8_t el[] = {0, 0, 0, 17, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 5};
	TT_EQ(tern_smpp_decode(el, 16, &p), TERN_ESME_RINVCMDLEN);
	TT_EQ(p.seq, 5); /* still answerable */
}

TT_TEST(unknown_and_unsupported_ids)
{
	uint8_t b[16] = {0, 0, 0, 16, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 3};
	tern_smpp_pdu p;
	TT_EQ(tern_smpp_decode(b, 16, &p), TERN_ESME_RINVCMDID);
	TT_EQ(p.seq, 3);
	b[6] = 0;
	b[7] = 0x03; /* query_sm: valid, not spoken here */
	TT_EQ(tern_smpp_decode(b, 16, &p), TERN_ESME_RINVCMDID);
	p = hdr(TERN_SMPP_QUERY_SM, 1);
	TT_EQ(tern_smpp_encode(&p, buf, sizeof buf), 0);
}

/* Every strict prefix of a good PDU, relabelled with its own length, is
 * refused: a truncated body never decodes. */
TT_TEST(truncated_bodies)
{
	tern_smpp_pdu p = sample_sm(TERN_SMPP_SUBMIT_SM);
	strcpy(p.u.sm.tern_msg_id, "abc");
	uint8_t good[TERN_SMPP_PDU_MAX];
	size_t n = tern_smpp_encode(&p, good, sizeof good);
	TT_CHECK(n > 300);
	/* Exactly k bytes of heap, so ASan sees any read past the PDU. The
	 * one prefix that decodes is the PDU without its 8-byte TLV. */
	for (size_t k = TERN_SMPP_HDR_LEN; k < n; k++) {
		uint8_t *cut = malloc(k);
		TT_CHECK(cut != NULL);
		memcpy(cut, good, k);
		cut[0] = (uint8_t)(k >> 24);
		cut[1] = (uint8_t)(k >> 16);
		cut[2] = (uint8_t)(k >> 8);
		cut[3] = (uint8_t)k;
		tern_smpp_pdu q;
		uint32_t st = tern_smpp_decode(cut, k, &q);
		free(cut);
		TT_CHECK(st != TERN_ESME_ROK || k == n - 8);
	}
	/* One byte too many: the length disagrees with the body. */
	tern_smpp_pdu e = hdr(TERN_SMPP_ENQUIRE_LINK, 1);
	n = tern_smpp_encode(&e, good, sizeof good);
	good[3] = 17;
	good[16] = 0;
	tern_smpp_pdu q;
	TT_EQ(tern_smpp_decode(good, 17, &q), TERN_ESME_RINVCMDLEN);
}

/* A bind whose system_id runs past its 16 bytes without a NUL, and one
 * whose string runs off the end of the PDU. */
TT_TEST(missing_nul)
{
	uint8_t b[64] = {0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1};
	memset(b + 16, 'A', 20);
	b[36] = 0;
	memcpy(b + 37, "pw\0\0\x34\0\0\0", 8);
	b[3] = 45;
	tern_smpp_pdu p;
	TT_EQ(tern_smpp_decode(b, 45, &p), TERN_ESME_RINVSYSID);
	b[3] = 26; /* "AAAAAAAAAA" and the PDU ends */
	TT_EQ(tern_smpp_decode(b, 26, &p), TERN_ESME_RINVCMDLEN);
	/* A password of 9 characters (its field holds 8). */
	memcpy(b + 16, "tern\0" "123456789\0" "\0\x34\0\0\0", 20);
	b[3] = 36;
	TT_EQ(tern_smpp_decode(b, 36, &p), TERN_ESME_RINVPASWD);
	/* The encoder refuses an unterminated field too. */
	p = hdr(TERN_SMPP_BIND_TRANSMITTER, 1);
	memset(p.u.bind.system_id, 'x', sizeof p.u.bind.system_id);
	TT_EQ(tern_smpp_encode(&p, buf, sizeof buf), 0);
}

static size_t put_tlv_pdu(uint8_t *b, const uint8_t *tlv, size_t tlen)
{
	tern_smpp_pdu p = sample_sm(TERN_SMPP_DELIVER_SM);
	p.u.sm.sm_length = 3;
	size_t n = tern_smpp_encode(&p, b, TERN_SMPP_PDU_MAX);
	memcpy(b + n, tlv, tlen);
	n += tlen;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	return n;
}

TT_TEST(bad_fields_and_tlvs)
{
	uint8_t b[TERN_SMPP_PDU_MAX];
	tern_smpp_pdu p;
	/* Unknown TLVs are skipped; known ones with a wrong length refused. */
	const uint8_t unknown[] = {0x20, 0x00, 0, 3, 1, 2, 3};
	TT_EQ(tern_smpp_decode(b, put_tlv_pdu(b, unknown, sizeof unknown), &p), TERN_ESME_ROK);
	const uint8_t state2[] = {0x04, 0x27, 0, 2, 1, 2};
	TT_EQ(tern_smpp_decode(b, put_tlv_pdu(b, state2, sizeof state2), &p), TERN_ESME_RINVPARLEN);
	const uint8_t nonul[] = {0x00, 0x1E, 0, 2, 'a', 'b'};
	TT_EQ(tern_smpp_decode(b, put_tlv_pdu(b, nonul, sizeof nonul), &p), TERN_ESME_RINVPARLEN);
	const uint8_t over[] = {0x20, 0x00, 0, 9, 1};
	TT_EQ(tern_smpp_decode(b, put_tlv_pdu(b, over, sizeof over), &p),
	      TERN_ESME_RINVOPTPARSTREAM);
	const uint8_t half[] = {0x20, 0x00, 0};
	TT_EQ(tern_smpp_decode(b, put_tlv_pdu(b, half, sizeof half), &p),
	      TERN_ESME_RINVOPTPARSTREAM);
	/* sm_length beyond the PDU, and over 254. */
	tern_smpp_pdu s = sample_sm(TERN_SMPP_SUBMIT_SM);
	s.u.sm.sm_length = 10;
	size_t n = tern_smpp_encode(&s, b, sizeof b);
	b[n - 11] = 200; /* sm_length, just before the 10 bytes of text */
	TT_EQ(tern_smpp_decode(b, n, &p), TERN_ESME_RINVMSGLEN);
	b[n - 11] = 255;
	TT_EQ(tern_smpp_decode(b, n, &p), TERN_ESME_RINVMSGLEN);
	/* A validity period of neither 0 nor 16 characters. */
	s = sample_sm(TERN_SMPP_SUBMIT_SM);
	strcpy(s.u.sm.validity_period, "0001");
	n = tern_smpp_encode(&s, b, sizeof b);
	TT_EQ(tern_smpp_decode(b, n, &p), TERN_ESME_RINVEXPIRY);
}

/* A response with an error status may omit its body. */
TT_TEST(error_resp_without_body)
{
	const uint8_t r[] = {0, 0, 0, 16, 0x80, 0, 0, 4, 0, 0, 0, 0x58, 0, 0, 0, 2};
	tern_smpp_pdu p;
	TT_EQ(tern_smpp_decode(r, sizeof r, &p), TERN_ESME_ROK);
	TT_EQ(p.status, TERN_ESME_RTHROTTLED);
	uint8_t ok[16];
	memcpy(ok, r, 16);
	ok[11] = 0; /* status 0: the body (message_id) is required */
	TT_EQ(tern_smpp_decode(ok, 16, &p), TERN_ESME_RINVCMDLEN);
	/* A body after an error status is ignored; tern sends none. */
	const uint8_t rb[] = {0, 0, 0, 19, 0x80, 0, 0, 4, 0, 0, 0, 0x14, 0, 0, 0, 2, 'a', 'b', 0};
	TT_EQ(tern_smpp_decode(rb, sizeof rb, &p), TERN_ESME_ROK);
	TT_CHECK(p.u.resp.id[0] == 0);
	TT_EQ(tern_smpp_encode(&p, buf, sizeof buf), 16);
}

TT_TEST(encode_bounds)
{
	tern_smpp_pdu p = sample_sm(TERN_SMPP_SUBMIT_SM);
	size_t n = tern_smpp_encode(&p, buf, sizeof buf);
	TT_CHECK(n > 0);
	TT_EQ(tern_smpp_encode(&p, buf, n - 1), 0);
	TT_EQ(tern_smpp_encode(&p, buf, 3), 0);
	TT_EQ(tern_smpp_encode(&p, buf, n), n);
}

TT_MAIN(round_trip_binds, round_trip_sm, round_trip_resps_and_bare, known_bytes, bad_lengths,
        unknown_and_unsupported_ids, truncated_bodies, missing_nul, bad_fields_and_tlvs,
        error_resp_without_body, encode_bounds)
