/* test_ss_summary.c - `tern ss -s`: the counters grouped as netstat -s
 * groups them, with the Tcp group whole (RFC 4022) and the current
 * established count, after a real connection between two stacks. */
#include <stdio.h>
#include <stdlib.h>

#include "pair.h"
#include "tern/host.h"
#include "tt.h"

static char *summary(tern_stack *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int rc = tern_ss_print(st, TERN_SS_SUMMARY, f);
	fclose(f);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The line "    <n> <what>" under title, -1 when absent. */
static long long value_of(const char *text, const char *title, const char *what)
{
	const char *g = strstr(text, title);
	if (!g)
		return -1;
	char want[128];
	snprintf(want, sizeof want, " %s\n", what);
	const char *end = strstr(g + strlen(title), ":\n");  /* the next group's title */
	for (const char *p = strstr(g, want); p && (!end || p < end); p = NULL) {
		const char *line = p;
		while (line > g && line[-1] != '\n')
			line--;
		return atoll(line);
	}
	return -1;
}

TT_TEST(test_ss_summary_groups_counters_like_netstat)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	/* and one attempt at a closed port, refused by a reset */
	tern_socket *c2;
	tern_endpoint closed = {TERN_IP4(192, 0, 2, 2), 81};
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &c2), 0);
	TT_EQ(tern_socket_connect(c2, &closed), TERN_EINPROGRESS);
	pair_run(&p, TERN_MS(200));
	char *a = summary(pair_st(&p, 0)), *b = summary(pair_st(&p, 1));
	TT_CHECK(a && b);
	if (getenv("SS_SHOW"))
		fputs(b, stderr);
	TT_CHECK(strstr(a, "Ip:\n") && strstr(a, "Icmp:\n") && strstr(a, "Tcp:\n") &&
		 strstr(a, "Udp:\n"));
	TT_CHECK(strstr(a, "Ip:\n") < strstr(a, "Tcp:\n"));
	TT_EQ(value_of(a, "Tcp:\n", "connections opened actively"), 2);
	TT_EQ(value_of(a, "Tcp:\n", "connection attempts failed"), 1);
	TT_EQ(value_of(a, "Tcp:\n", "connections established now"), 1);
	TT_EQ(value_of(b, "Tcp:\n", "connections opened passively"), 1);
	TT_EQ(value_of(b, "Tcp:\n", "resets sent"), 1);
	TT_EQ(value_of(b, "TcpExt:\n", "segments for no connection or listener"), 1);
	/* the MIB group shows zeros; TcpExt hides them */
	TT_EQ(value_of(b, "Tcp:\n", "segments retransmitted"), 0);
	TT_CHECK(!strstr(b, "PAWS"));
	free(a);
	free(b);
	pair_fini(&p);
}

TT_MAIN(test_ss_summary_groups_counters_like_netstat)
