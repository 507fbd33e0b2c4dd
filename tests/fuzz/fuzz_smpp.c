/* fuzz_smpp.c - the SMPP 3.4 PDU codec of tern's message centre
 * (tools/smpp_pdu.c).
 *
 * Input: a byte stream as it would arrive on an SMPP connection. It is cut
 * into PDUs with tern_smpp_frame exactly as svc_smpp.c does, each decoded.
 * Properties: framing never claims more than the bytes given and stops at
 * a bad length; decoding never reads past the PDU (ASan) and returns
 * either ESME_ROK or a status an SMSC can answer with; a PDU that decodes
 * encodes again, no longer than it came, and decodes to the same struct
 * (the codec's canonical form: unknown TLVs are dropped). */
#include "fuzz.h"
#include "tools/smpp_pdu.h"

static bool answerable(uint32_t st)
{
	switch (st) {
	case TERN_ESME_ROK:
	case TERN_ESME_RINVMSGLEN:
	case TERN_ESME_RINVCMDLEN:
	case TERN_ESME_RINVCMDID:
	case TERN_ESME_RINVSRCADR:
	case TERN_ESME_RINVDSTADR:
	case TERN_ESME_RINVMSGID:
	case TERN_ESME_RINVPASWD:
	case TERN_ESME_RINVSYSID:
	case TERN_ESME_RINVSERTYP:
	case TERN_ESME_RINVSCHED:
	case TERN_ESME_RINVEXPIRY:
	case TERN_ESME_RINVOPTPARSTREAM:
	case TERN_ESME_RINVPARLEN:
		return true;
	default:
		return false;
	}
}

static void one_pdu(const uint8_t *data, size_t len)
{
	/* A copy of exactly len bytes: ASan catches any read beyond. */
	uint8_t *pdu = malloc(len);
	FZ_CHECK(pdu != NULL);
	memcpy(pdu, data, len);
	tern_smpp_pdu p, q;
	uint32_t st = tern_smpp_decode(pdu, len, &p);
	free(pdu);
	FZ_CHECK(answerable(st));
	FZ_CHECK(p.len == len);
	if (st != TERN_ESME_ROK)
		return;
	uint8_t *re = malloc(TERN_SMPP_PDU_MAX);
	FZ_CHECK(re != NULL);
	size_t n = tern_smpp_encode(&p, re, TERN_SMPP_PDU_MAX);
	FZ_CHECK(n >= TERN_SMPP_HDR_LEN && n <= len);
	FZ_CHECK(tern_smpp_decode(re, n, &q) == TERN_ESME_ROK);
	p.len = (uint32_t)n;
	FZ_CHECK(memcmp(&p, &q, sizeof p) == 0);
	FZ_CHECK(tern_smpp_encode(&p, re, n - 1) == 0);
	free(re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each pass consumes at least 16 bytes or ends the loop. */
	while (size > 0) {
		uint32_t len = 0;
		int f = tern_smpp_frame(data, size, &len);
		if (f < 0) {
			FZ_CHECK(len < TERN_SMPP_HDR_LEN || len > TERN_SMPP_PDU_MAX);
			return 0;
		}
		if (f == 0)
			return 0;
		FZ_CHECK(len >= TERN_SMPP_HDR_LEN && len <= size);
		one_pdu(data, len);
		data += len;
		size -= len;
	}
	return 0;
}
