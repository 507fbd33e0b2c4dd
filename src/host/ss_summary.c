/* ss_summary.c - the stack-wide counters grouped as `netstat -s` groups
 * them (`tern ss -s`). The Tcp group is RFC 4022's MIB (tcpActiveOpens ...
 * tcpOutRsts) and always shown whole; tern's other TCP counters form
 * TcpExt, shown when not zero, as Linux does. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tern/host.h"

typedef struct group {
	const char *title, *prefix;
	bool all;  /* show zero counters too */
} group;

/* RFC 4022 section 3's TCP MIB objects tern counts, in the MIB's order. */
static const char *const tcp_mib[] = {
	"tcp_active_opens", "tcp_passive_opens", "tcp_attempt_fails", "tcp_estab_resets",
	"tcp_in_segs",      "tcp_out_segs",      "tcp_retrans_segs",  "tcp_in_errs",
	"tcp_out_rsts",     "tcp_in_rsts",
};

static bool in_tcp_mib(const char *name)
{
	for (size_t i = 0; i < sizeof tcp_mib / sizeof tcp_mib[0]; i++)
		if (!strcmp(name, tcp_mib[i]))
			return true;
	return false;
}

/* "TCP segments received" under "Tcp:" reads "segments received". */
static const char *without_protocol(const char *desc)
{
	static const char *const words[] = {"IPv4 ", "ICMP ", "UDP ", "TCP "};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strncmp(desc, words[i], strlen(words[i])))
			return desc + strlen(words[i]);
	return desc;
}

static void count_established(const tern_tcp_info *i, void *ctx)
{
	/* RFC 4022 tcpCurrEstab: ESTABLISHED or CLOSE-WAIT */
	if (i->state == TERN_TCP_ESTABLISHED || i->state == TERN_TCP_CLOSE_WAIT)
		++*(uint64_t *)ctx;
}

static void print_counter(FILE *f, const uint64_t *v, size_t i)
{
	fprintf(f, "    %" PRIu64 " %s\n", v[i], without_protocol(tern_counter_desc(i)));
}

static void print_tcp(FILE *f, tern_stack *st, const uint64_t *v)
{
	uint64_t estab = 0;
	tern_tcp_walk(st, count_established, &estab);
	fprintf(f, "Tcp:\n");
	for (size_t m = 0; m < sizeof tcp_mib / sizeof tcp_mib[0]; m++) {
		for (size_t i = 0; i < tern_counter_count(); i++)
			if (!strcmp(tern_counter_name(i), tcp_mib[m]))
				print_counter(f, v, i);
		if (!strcmp(tcp_mib[m], "tcp_estab_resets"))
			fprintf(f, "    %" PRIu64 " connections established now\n", estab);
	}
}

static void print_group(FILE *f, const uint64_t *v, const group *g)
{
	bool titled = false;
	for (size_t i = 0; i < tern_counter_count(); i++) {
		const char *name = tern_counter_name(i);
		if (strncmp(name, g->prefix, strlen(g->prefix)) || (!g->all && !v[i]))
			continue;
		if (!strcmp(g->prefix, "tcp_") && in_tcp_mib(name))
			continue;
		if (!titled)
			fprintf(f, "%s:\n", g->title);
		titled = true;
		print_counter(f, v, i);
	}
}

int tern_ss_print_summary(tern_stack *st, FILE *f)
{
	static const group before[] = {{"Ip", "ip_", true}, {"Icmp", "icmp_", true}};
	static const group after[] = {{"TcpExt", "tcp_", false},
				      {"Udp", "udp_", true},
				      {"Memory", "pkt_", false},
				      {"Memory", "mem_", false}};
	tern_counters c;
	tern_stack_counters(st, &c);
	const uint64_t *v = (const uint64_t *)&c;
	for (size_t g = 0; g < sizeof before / sizeof before[0]; g++)
		print_group(f, v, &before[g]);
	print_tcp(f, st, v);
	for (size_t g = 0; g < sizeof after / sizeof after[0]; g++)
		print_group(f, v, &after[g]);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
