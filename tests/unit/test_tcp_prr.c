/* test_tcp_prr.c - Proportional Rate Reduction (RFC 6937) on the SACK
 * scoreboard: while the pipe is above ssthresh, recovery sends in
 * proportion ssthresh / RecoverFS to what is delivered (one segment per
 * two here); below it, PRR-SSRB grows back to ssthresh by at most one
 * segment more than delivered. */
#include "fixture.h"
#include "core/stack.h"
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

/* The loss state lives out of line (issue 4: lean connections): had with
 * the first SACK block, it goes once everything sent is acknowledged and
 * recovery is over; absent, HighRxt reads as SND.UNA. */
TT_TEST(test_loss_state_is_freed_when_idle)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_tcb t;
	memset(&t, 0, sizeof t);
	t.st = f.st;
	t.sack_ok = true;
	t.smss = MSS;
	t.snd_max = t.snd_nxt = 4 * MSS;
	TT_CHECK(t.loss == NULL);
	TT_EQ(tern_sack_pipe(&t), 4 * MSS);  /* nothing retransmitted, nothing lost */
	size_t before = f.alloc.live_bytes;
	sack_segment(&t, 2);
	TT_CHECK(t.loss != NULL);
	TT_EQ(t.nsb, 1);
	TT_CHECK(f.alloc.live_bytes > before);
	tern_loss_idle(&t);  /* data still in flight: kept */
	TT_CHECK(t.loss != NULL);
	t.snd_una = t.snd_max;
	tern_tcp_opts none = {0};
	tern_sack_update(&t, &none);  /* the cumulative ACK drops the block */
	TT_EQ(t.nsb, 0);
	t.in_recovery = true;
	tern_loss_idle(&t);
	TT_CHECK(t.loss != NULL);
	t.in_recovery = false;
	tern_loss_idle(&t);
	TT_CHECK(t.loss == NULL);
	TT_EQ(f.alloc.live_bytes, before);
	fx_fini(&f);
}

static void *refuse(void *ctx, size_t n)
{
	(void)ctx;
	(void)n;
	return NULL;
}

/* Out of memory the sender degrades: a SACK block is not recorded (as
 * with a full scoreboard) and recovery runs without PRR, cwnd left as the
 * module set it; each refusal is counted. */
TT_TEST(test_loss_state_out_of_memory_degrades)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_tcb t;
	memset(&t, 0, sizeof t);
	t.st = f.st;
	t.sack_ok = true;
	t.smss = MSS;
	t.snd_max = t.snd_nxt = 20 * MSS;
	t.ccs.cwnd = 7 * MSS;
	t.ccs.ssthresh = 10 * MSS;
	void *(*alloc)(void *, size_t) = f.st->cfg.allocator.alloc;
	f.st->cfg.allocator.alloc = refuse;
	uint64_t fails = f.st->ctr.mem_alloc_fail;
	TT_EQ(sack_segment(&t, 3), 0);
	TT_EQ(t.nsb, 0);
	tern_prr_start(&t);
	tern_prr_ack(&t, MSS);
	TT_CHECK(t.loss == NULL);
	TT_EQ(t.ccs.cwnd, 7 * MSS);
	TT_EQ(tern_sack_pipe(&t), 20 * MSS);
	TT_CHECK(f.st->ctr.mem_alloc_fail >= fails + 2);
	f.st->cfg.allocator.alloc = alloc;
	fx_fini(&f);
}

TT_MAIN(test_prr_sends_in_proportion_while_pipe_exceeds_ssthresh,
	test_prr_ssrb_grows_back_to_ssthresh_by_delivered_plus_one_segment,
	test_loss_state_is_freed_when_idle, test_loss_state_out_of_memory_degrades)
