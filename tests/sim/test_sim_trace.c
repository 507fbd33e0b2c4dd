/* test_sim_trace.c - the simulator's event trace (tern_sim_trace): every
 * host's events in one stream of JSON lines in virtual time, each naming
 * its host; on a loss-free link each segment one host sends is one the
 * other receives; TIME-WAIT ends with a 2MSL event; and a seed replays the
 * trace byte for byte. */
#include <stdlib.h>

#include "tern/sim.h"
#include "tt.h"

#define B_IP TERN_IP4(10, 0, 0, 2)

static size_t count(const tern_sim_buf *b, const char *needle)
{
	size_t n = 0;
	const char *p = (const char *)b->data, *end = p + b->len;
	size_t k = strlen(needle);
	for (; p && p + k <= end; p++) {
		p = memmem(p, (size_t)(end - p), needle, k);
		if (!p)
			break;
		n++;
	}
	return n;
}

/* A connects to B, sends 10,000 bytes and closes, then B closes; run past
 * 2*MSL. */
static int scenario(uint64_t seed, tern_sim_buf *trace)
{
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	tern_sim_link_config lc = {.rate_bps = 10000000, .delay = TERN_MS(10), .mtu = 1500};
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_msl = TERN_SEC(1);
	if (tern_sim_new(seed, &sim) ||
	    tern_sim_host_add_config(sim, "a", "10.0.0.1/24", 1500, &cfg, &a))
		return -1;
	if (tern_sim_trace(sim, tern_sim_buf_write, trace))  /* b joins it when added */
		return -2;
	if (tern_sim_host_add_config(sim, "b", "10.0.0.2/24", 1500, &cfg, &b) ||
	    tern_sim_connect(sim, a, b, &lc, &link))
		return -3;
	tern_socket *l, *c, *s;
	tern_endpoint any = {0, 80}, dst = {B_IP, 80};
	if (tern_tcp_open(tern_sim_host_stack(b), &l) || tern_socket_bind(l, &any) ||
	    tern_socket_listen(l, 4) || tern_tcp_open(tern_sim_host_stack(a), &c) ||
	    tern_socket_connect(c, &dst) != TERN_EINPROGRESS)
		return -4;
	tern_sim_run_for(sim, TERN_MS(100));
	if (tern_socket_accept(l, &s, NULL))
		return -5;
	static uint8_t data[10000], got[10000];
	memset(data, 'x', sizeof data);
	if (tern_socket_send(c, data, sizeof data, 0) != (int)sizeof data)
		return -6;
	tern_sim_run_for(sim, TERN_MS(500));
	if (tern_socket_recv(s, got, sizeof got, 0) != (int)sizeof got)
		return -7;
	tern_socket_close(c);
	tern_sim_run_for(sim, TERN_MS(100));
	tern_socket_close(s);
	tern_sim_run_for(sim, TERN_SEC(3));
	int rc = tern_sim_trace_stop(sim);
	tern_sim_del(sim);
	return rc;
}

TT_TEST(test_sim_trace_names_each_host_and_pairs_sends_with_arrivals)
{
	tern_sim_buf t = {0};
	TT_EQ(scenario(1, &t), 0);
	TT_CHECK(t.len > 0);
	TT_EQ(t.data[t.len - 1], '\n');
	size_t lines = count(&t, "\n"), objects = count(&t, "{\"t\":");
	TT_EQ(lines, objects);
	TT_EQ(count(&t, "\"host\":\"a\",\"ev\":\"seg_out\""),
	      count(&t, "\"host\":\"b\",\"ev\":\"seg_in\""));
	TT_EQ(count(&t, "\"host\":\"b\",\"ev\":\"seg_out\""),
	      count(&t, "\"host\":\"a\",\"ev\":\"seg_in\""));
	TT_EQ(count(&t, "\"new\":\"ESTABLISHED\""), 2);
	/* the active closer waits out 2*MSL, then the record goes */
	TT_EQ(count(&t, "\"new\":\"TIME-WAIT\""), 1);
	TT_EQ(count(&t, "\"old\":\"TIME-WAIT\",\"new\":\"CLOSED\",\"cause\":\"2MSL\""), 1);
	TT_CHECK(count(&t, "\"ev\":\"rtt\"") >= 2);
	TT_CHECK(count(&t, "\"ev\":\"cwnd\"") >= 2);
	TT_CHECK(count(&t, "\"timer\":\"rexmt\",\"action\":\"arm\"") >= 1);
	tern_sim_buf_free(&t);
}

TT_TEST(test_sim_trace_replays_byte_for_byte_from_a_seed)
{
	tern_sim_buf t1 = {0}, t2 = {0};
	TT_EQ(scenario(7, &t1), 0);
	TT_EQ(scenario(7, &t2), 0);
	TT_EQ(t1.len, t2.len);
	TT_EQ(memcmp(t1.data, t2.data, t1.len), 0);
	tern_sim_buf_free(&t1);
	tern_sim_buf_free(&t2);
}

TT_MAIN(test_sim_trace_names_each_host_and_pairs_sends_with_arrivals,
	test_sim_trace_replays_byte_for_byte_from_a_seed)
