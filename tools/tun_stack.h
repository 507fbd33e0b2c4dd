/* tun_stack.h - what the TUN commands (`tern cat`, `tern up`) share: the
 * device options (--tun, --addr, --peer, --mtu, --pcap, the fault options,
 * --stats, and TCP's --cc and --no-sack), and building the chain stack -> [fault] -> [pcap tap] -> TUN with
 * an event loop, then taking it down again.
 *
 * Option values are numbered from TUN_OPT_BASE so a command can mix them
 * into its own getopt_long table with TUN_STACK_LONG_OPTS; a command may
 * also offer the short forms TUN_STACK_SHORT_OPTS (-t -a -p -m -w). */
#ifndef TERN_TOOLS_TUN_STACK_H
#define TERN_TOOLS_TUN_STACK_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "tern/host.h"

enum {
	TUN_OPT_BASE = 0x1000,
	TUN_OPT_TUN = TUN_OPT_BASE,
	TUN_OPT_ADDR,
	TUN_OPT_PEER,
	TUN_OPT_MTU,
	TUN_OPT_PCAP,
	TUN_OPT_LOSS,
	TUN_OPT_DUP,
	TUN_OPT_REORDER,
	TUN_OPT_CORRUPT,
	TUN_OPT_DELAY,
	TUN_OPT_SEED,
	TUN_OPT_STATS,
	TUN_OPT_TRACE,
	TUN_OPT_NO_OFFLOAD,
	TUN_OPT_IO_THREADS,
	TUN_OPT_RATE,
	TUN_OPT_QUEUE,
	TUN_OPT_CC,
	TUN_OPT_NO_SACK,
	TUN_OPT_END,
};

/* clang-format off */
#define TUN_STACK_LONG_OPTS                                    \
	{"tun", required_argument, NULL, TUN_OPT_TUN},         \
	{"addr", required_argument, NULL, TUN_OPT_ADDR},       \
	{"peer", required_argument, NULL, TUN_OPT_PEER},       \
	{"mtu", required_argument, NULL, TUN_OPT_MTU},         \
	{"pcap", required_argument, NULL, TUN_OPT_PCAP},       \
	{"loss", required_argument, NULL, TUN_OPT_LOSS},       \
	{"dup", required_argument, NULL, TUN_OPT_DUP},         \
	{"reorder", required_argument, NULL, TUN_OPT_REORDER}, \
	{"corrupt", required_argument, NULL, TUN_OPT_CORRUPT}, \
	{"delay", required_argument, NULL, TUN_OPT_DELAY},     \
	{"seed", required_argument, NULL, TUN_OPT_SEED},       \
	{"stats", no_argument, NULL, TUN_OPT_STATS},           \
	{"trace", required_argument, NULL, TUN_OPT_TRACE},     \
	{"no-offload", no_argument, NULL, TUN_OPT_NO_OFFLOAD}, \
	{"io-threads", required_argument, NULL, TUN_OPT_IO_THREADS}, \
	{"rate", required_argument, NULL, TUN_OPT_RATE},       \
	{"queue", required_argument, NULL, TUN_OPT_QUEUE},     \
	{"cc", required_argument, NULL, TUN_OPT_CC},           \
	{"no-sack", no_argument, NULL, TUN_OPT_NO_SACK}
/* clang-format on */

/* The short forms, for a getopt_long option string. */
#define TUN_STACK_SHORT_OPTS "t:a:p:m:w:"

/* The usage lines for those options. The flag columns are parameters so
 * the command with short forms lists them beside the same descriptions. */
#define TUN_STACK_USAGE_WITH(tun, addr, peer, mtu, pcap)                                           \
	"  " tun "TUN device to create [tern0]\n"                                                  \
	"  " addr "tern's address and prefix\n"                                                    \
	"  " peer "the Linux side's address and prefix (must contain --addr)\n"                    \
	"  " mtu "link MTU, 68..65535 [1500]\n"                                                    \
	"  " pcap "capture every packet crossing the TUN device\n"                                 \
	"  --loss P, --dup P, --reorder P, --corrupt P\n"                                          \
	"                  fault probabilities, 0..1, each direction\n"                            \
	"  --delay MS      extra delay each direction, 0..60000 ms\n"                              \
	"  --rate MBITS    bottleneck rate each direction, Mbit/s (0.001..100000);\n"              \
	"                  packets queue behind it and are serialised at that rate\n"             \
	"  --queue PKTS    the bottleneck's drop-tail queue, packets waiting behind\n"            \
	"                  the one being sent, 1..65536 [1000]; needs --rate (with\n"             \
	"                  offloads a packet may be a 64 KiB segment: --no-offload)\n"             \
	"  --seed N        fault injector seed [random]\n"                                         \
	"  --cc NAME       TCP congestion control: cubic or newreno [cubic]\n"                     \
	"  --no-sack       do not offer or accept SACK (RFC 2018)\n"                               \
	"  --stats         print counters to stderr on exit\n"                                     \
	"  --trace FILE    write TCP's events as JSON lines (docs/TRACE.md)\n"                  \
	"  --no-offload    plain TUN: no virtio-net header, no 64 KiB segments\n"               \
	"  --io-threads N  0: one thread; 1: a second thread writes to the TUN\n"             \
	"                  device [" TUN_STACK_IO_THREADS_DEFAULT_STR ", or $TERN_IO_THREADS]\n"
#define TUN_STACK_USAGE                                                                            \
	TUN_STACK_USAGE_WITH("--tun NAME      ", "--addr A/P      ", "--peer A/P      ",           \
	                     "--mtu N         ", "--pcap FILE     ")
#define TUN_STACK_USAGE_SHORT                                                                      \
	TUN_STACK_USAGE_WITH("-t, --tun NAME  ", "-a, --addr A/P  ", "-p, --peer A/P  ",           \
	                     "-m, --mtu N     ", "-w, --pcap FILE ")

/* --io-threads when neither it nor TERN_IO_THREADS is given
 * (docs/DECISIONS.md, "TUN writer thread": not the default). */
#define TUN_STACK_IO_THREADS_DEFAULT 0
#define TUN_STACK_IO_THREADS_DEFAULT_STR "0"

typedef struct tun_stack_opts {
	const char *prog; /* "tern cat": the prefix of every message */
	const char *tun, *pcap, *trace;
	const char *cc; /* --cc, NULL: the stack's default */
	uint32_t addr, peer, mtu;
	unsigned io_threads; /* 0 or 1: a writer thread for the TUN device */
	uint8_t prefix, peer_prefix;
	bool have_addr, have_peer, faulty, seeded, stats, no_offload, no_sack;
	tern_fault_config fault;
} tun_stack_opts;

/* Where a command adds to the chain's life; any may be NULL. */
typedef struct tun_stack_hooks {
	/* Adjust the configuration before the stack is created (`tern up
	 * --msl`): tern_stack_new is the last point it is read. */
	void (*configure)(void *ctx, tern_config *cfg);
	/* Print the command's own counters, between the stack's and the
	 * fault injector's, with --stats. */
	void (*print_stats)(void *ctx, FILE *out);
	/* Delete what the command built on the stack and loop: called by
	 * tun_stack_close after the counters are printed (so they include
	 * nothing the deletion resets) and before the stack goes. */
	void (*release)(void *ctx);
	void *ctx;
} tun_stack_hooks;

typedef struct tun_stack {
	tun_stack_opts o;
	tun_stack_hooks hooks;
	tern_config cfg;
	tern_stack *st;
	tern_iface *ifc;
	tern_dev *tun, *tap, *fault, *top;
	FILE *pcap;
	tern_trace_file *trace;
	tern_loop *loop;
} tun_stack;

/* Defaults: tun "tern0", MTU 1500. */
void tun_stack_opts_init(tun_stack_opts *o, const char *prog);

/* The TUN_OPT_* value of c, a getopt_long result that is a
 * TUN_STACK_LONG_OPTS value or a TUN_STACK_SHORT_OPTS letter; 0 when c is
 * neither. */
int tun_stack_opt_id(int c);

/* Take one option value c (TUN_OPT_*) with argument arg. Returns 0, or 2
 * after printing why the value is invalid. */
int tun_stack_opt(tun_stack_opts *o, int c, const char *arg);

/* After parsing: --addr and --peer given and consistent, --queue only
 * with --rate. Returns 0 or 2. */
int tun_stack_check(const tun_stack_opts *o);

/* Print "<prog>: <fmt...>" on stderr; returns 2 (invalid arguments). */
int tun_stack_bad(const tun_stack_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Decimal digits only, at most max. */
bool tun_stack_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* A finite number in lo..hi. */
bool tun_stack_parse_double(const char *s, double lo, double hi, double *out);

/* Print "<prog>: <what>: <strerror(-rc)>" on stderr; returns 1 (failure). */
int tun_stack_fail(const tun_stack *ts, const char *what, int rc);

/* Create the TUN device, configure its Linux side, the middleware, the
 * stack with its interface, and a loop watching the device. ts->o (and
 * ts->hooks, if any) must be filled. Returns 0, or 1 after printing what
 * failed. */
int tun_stack_open(tun_stack *ts);

/* Give a TCP socket the options' per-socket settings (--cc): every TCP
 * socket a command opens goes through here (accepted ones inherit them
 * from their listener). Returns 0 or a TERN_E* code. */
int tun_stack_socket_init(const tun_stack_opts *o, tern_socket *s);

/* Print the counters (the hook's, and fault statistics) on stderr. */
void tun_stack_print_stats(const tun_stack *ts);

/* With --stats print the counters, call the release hook, then delete
 * everything tun_stack_open created (safe on a partial one). The TUN
 * device vanishes with its fd. Returns 0, or 1 when the capture could
 * not be completed. */
int tun_stack_close(tun_stack *ts);

#endif
