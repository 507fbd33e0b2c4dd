/* test_tcp_prr.c - Proportional Rate Reduction (RFC 6937) on the SACK
 * scoreboard: while the pipe is above ssthresh, recovery sends in
 * proportion ssthresh / RecoverFS to what is delivered (one segment per
 * two here); below it, PRR-SSRB grows back to ssthresh by at most one
 * segment more than delivered. */
#include "fixture.h"
#include "tcp/tcp.h"
#include "tt.h"

#define MSS 1000u

/* A connection in SACK recovery: 20 segments out, the first lost. */
static void setup(fixture *f, tern_tcb *t)
{
	memset(t, 0, sizeof *t);
	t->st = f->st;
	t->sack_ok = true;
	t->smss = MSS;
	t->snd_una = 0;
	t->snd_max = t->snd_nxt = 20 * MSS;
	t->ccs.ssthresh = 10 * MSS;
	tern_prr_start(t);
	t->loss->high_rxt = MSS;  /* the first segment was retransmitted on entry */
	t->loss->prr_out = MSS;
}

/* The peer SACKs segment k (1-based): [k*MSS, (k+1)*MSS). */
static uint32_t sack_segment(tern_tcb *t, uint32_t k)
{
	uint32_t before = tern_sack_bytes(t);
	tern_tcp_opts o = {.present = TERN_TCPO_SACK, .sack_count = 1};
	o.sack[0].left = MSS;
	o.sack[0].right = (k + 1) * MSS;
	tern_sack_update(t, &o);
	return tern_sack_bytes(t) - before;
}

TT_TEST(test_prr_sends_in_proportion_while_pipe_exceeds_ssthresh)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_tcb t;
	setup(&f, &t);
	uint32_t sent = 0;
	for (uint32_t k = 1; k <= 10; k++) {
		tern_prr_ack(&t, sack_segment(&t, k));
		uint32_t pipe = tern_sack_pipe(&t);
		TT_CHECK(t.ccs.cwnd >= pipe);
		uint32_t now = t.ccs.cwnd - pipe;
		sent += now;
		t.loss->prr_out += now;
		t.snd_max += now;  /* what was sent is new data in flight */
	}
	/* 10 segments delivered, ssthresh / RecoverFS = 1/2: 5 segments due,
	 * one of which was the retransmission on entry */
	TT_EQ(sent + MSS, 5 * MSS);
	tern_loss_free(&t);
	fx_fini(&f);
}

TT_TEST(test_prr_ssrb_grows_back_to_ssthresh_by_delivered_plus_one_segment)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_tcb t;
	setup(&f, &t);
	t.ccs.ssthresh = 18 * MSS;  /* pipe (19 segments less the SACKed) soon below it */
	for (uint32_t k = 1; k <= 4; k++)
		tern_prr_ack(&t, sack_segment(&t, k));
	uint32_t pipe = tern_sack_pipe(&t);
	TT_CHECK(pipe <= t.ccs.ssthresh);
	/* SSRB: at most max(prr_delivered - prr_out, delivered) + 1 SMSS */
	uint32_t limit = 4 * MSS - MSS + MSS;
	TT_CHECK(t.ccs.cwnd - pipe <= limit);
	TT_CHECK(t.ccs.cwnd <= t.ccs.ssthresh + MSS);
	tern_loss_free(&t);
	fx_fini(&f);
}

TT_MAIN(test_prr_sends_in_proportion_while_pipe_exceeds_ssthresh,
	test_prr_ssrb_grows_back_to_ssthresh_by_delivered_plus_one_segment)
