/*
 * cmd_bench.c - `tern bench [NAME...] [--json] [options]`: the benchmark
 * runner. Each benchmark measures tern and its peer in the same run and
 * prints one line (JSON with --json); docs/BENCHMARKS.md records the
 * figures with the commands that made them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmds.h"

typedef struct bench_entry {
	const char *name;
	int (*run)(const bench_opts *o, bench_result *r);
	const char *help;
} bench_entry;

static const bench_entry benches[] = {
    {"memlink-throughput", bench_memlink_throughput,
     "bulk transfer tern<->tern in memory vs Linux loopback and the copy+checksum bound"},
    {"rr-latency", bench_rr_latency, "1-byte request/response round trips vs Linux loopback"},
    {"connect-rate", bench_connect_rate,
     "connect, request/response, close, TIME-WAIT, vs Linux loopback"},
    {"conn-memory", bench_conn_memory,
     "bytes per idle connection and TIME-WAIT record vs Linux and lwIP (documented)"},
    {"loss-goodput", bench_loss_goodput,
     "simulator: one flow under random loss / a shallow buffer vs the Mathis and CUBIC models"},
    {"fairness", bench_fairness,
     "simulator: 2, 10, 100 flows through one bottleneck: Jain's index, link utilisation"},
    {"tun-throughput", bench_tun_throughput,
     "root: Linux TCP <-> tern over TUN (offloads / plain) vs veth, lwIP, the raw TUN"},
};
#define NBENCHES (sizeof benches / sizeof benches[0])

static void bench_usage(FILE *f)
{
	fprintf(f, "usage: tern bench [NAME...] [--json] [options]\n"
		   "  runs the named benchmarks (all when none is named):\n");
	for (size_t i = 0; i < NBENCHES; i++)
		fprintf(f, "    %-19s %s\n", benches[i].name, benches[i].help);
	fprintf(f, "  --json          one JSON line per benchmark\n"
		   "  --bytes N       memlink-throughput transfer size (default 256 MiB)\n"
		   "  --mtu N         memlink MTU (default 65535, as loopback's 65536)\n"
		   "  --chunk N       application write/read size (default 65536)\n"
		   "  --rcvbuf N      tern receive buffer (default 4 MiB)\n"
		   "  --sndbuf N      tern send buffer (default 1 MiB)\n"
		   "  --count N       rr-latency round trips / connect-rate lifecycles\n"
		   "                  (defaults 100000 / 20000)\n"
		   "  --conns N       conn-memory connections (default 10000)\n"
		   "  --sim-seconds N loss-goodput, fairness: virtual seconds per case, scaled\n"
		   "                  by each (default 60: loss-goodput measures 600/240/240/120 s\n"
		   "                  after 5 s; fairness runs 2N s and measures the second half)\n"
		   "  --flows N       fairness: N flows only (default 2, 10 and 100)\n"
		   "  --tun-bytes N   tun-throughput: bytes per transfer (default 64 MiB)\n"
		   "  --repeat N      tun-throughput: runs of each stack, medians reported\n"
		   "                  (default 3, at most 15)\n"
		   "  --no-peer       measure tern only (instruction counts)\n"
		   "  --csum MODE     memlink-throughput: both (default; the figure with\n"
		   "                  checksums offloaded as on Linux's loopback and the\n"
		   "                  receiver reading in place, beside it the same copying\n"
		   "                  out, and checksums in software copying out), offload\n"
		   "                  (only the first), or sw (only the last)\n");
}

static bool parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

/* A numeric option: its value is argv[i + 1]. */
static int parse_numeric(bench_opts *o, const char *opt, const char *val)
{
	uint64_t v;

	if (!strcmp(opt, "--bytes") && parse_num(val, 1, 1ull << 40, &v))
		o->bytes = v;
	else if (!strcmp(opt, "--mtu") && parse_num(val, 576, 65535, &v))
		o->mtu = (uint32_t)v;
	else if (!strcmp(opt, "--chunk") && parse_num(val, 1, 1u << 24, &v))
		o->chunk = (uint32_t)v;
	else if (!strcmp(opt, "--rcvbuf") && parse_num(val, 1024, 64u << 20, &v))
		o->rcvbuf = (uint32_t)v;
	else if (!strcmp(opt, "--sndbuf") && parse_num(val, 1024, 64u << 20, &v))
		o->sndbuf = (uint32_t)v;
	else if (!strcmp(opt, "--count") && parse_num(val, 1, 1ull << 32, &v))
		o->count = v;
	else if (!strcmp(opt, "--conns") && parse_num(val, 1, 1000000, &v))
		o->conns = (uint32_t)v;
	else if (!strcmp(opt, "--sim-seconds") && parse_num(val, 1, 3600, &v))
		o->sim_s = (uint32_t)v;
	else if (!strcmp(opt, "--flows") && parse_num(val, 1, 1000, &v))
		o->flows = (uint32_t)v;
	else if (!strcmp(opt, "--tun-bytes") && parse_num(val, 1, 1ull << 36, &v))
		o->tun_bytes = v;
	else if (!strcmp(opt, "--repeat") && parse_num(val, 1, 15, &v))
		o->repeat = (uint32_t)v;
	else
		return -1;
	return 0;
}

static bool parse_csum(const char *v, bench_opts *o)
{
	static const char *const modes[] = {"both", "offload", "sw"};
	for (int m = 0; m < 3; m++)
		if (!strcmp(v, modes[m])) {
			o->csum = m;
			return true;
		}
	return false;
}

static const bench_entry *find_bench(const char *name)
{
	for (size_t i = 0; i < NBENCHES; i++)
		if (!strcmp(name, benches[i].name))
			return &benches[i];
	return NULL;
}

/* Fills o and the list of benchmarks to run; returns 0, 1 for --help, or
 * 2 for invalid arguments. */
static int parse_args(int argc, char **argv, bench_opts *o, const bench_entry **run,
		      size_t *nrun)
{
	*o = (bench_opts){.bytes = 256u << 20, .mtu = 65535, .chunk = 65536,
			  .rcvbuf = 4u << 20, .sndbuf = 1u << 20, .count = 0, .conns = 10000};
	*nrun = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--no-peer")) {
			o->no_peer = true;
		} else if (!strcmp(a, "--csum") && i + 1 < argc && parse_csum(argv[i + 1], o)) {
			i++;
		} else if (a[0] == '-') {
			if (i + 1 >= argc || parse_numeric(o, a, argv[i + 1])) {
				fprintf(stderr, "tern bench: bad option '%s'\n", a);
				return 2;
			}
			i++;
		} else if (find_bench(a) && *nrun < NBENCHES) {
			run[(*nrun)++] = find_bench(a);
		} else {
			fprintf(stderr, "tern bench: unknown benchmark '%s'\n", a);
			return 2;
		}
	}
	if (*nrun == 0)
		for (size_t i = 0; i < NBENCHES; i++)
			run[(*nrun)++] = &benches[i];
	return 0;
}

int tern_cmd_bench(int argc, char **argv)
{
	const bench_entry *run[NBENCHES];
	bench_opts o;
	size_t nrun;
	int rc = parse_args(argc, argv, &o, run, &nrun), fails = 0;

	if (rc) {
		bench_usage(rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : 2;
	}
	for (size_t i = 0; i < nrun; i++) {
		bench_result r;

		memset(&r, 0, sizeof r);
		if (run[i]->run(&o, &r)) {
			fprintf(stderr, "tern bench: %s failed\n", run[i]->name);
			fails++;
			continue;
		}
		if (!r.printed)
			bench_report(&r, o.json);
	}
	return fails ? 1 : 0;
}
