/* tun_stack.h - what the TUN commands (`tern cat`, and `tern up` if it wants)
 * share: the device options (--tun, --addr, --peer, --mtu, --pcap and the
 * fault options), and building the chain stack -> [fault] -> [pcap tap] -> TUN
 * with an event loop, then taking it down again.
 *
 * Option values are numbered from TUN_OPT_BASE so a command can mix them
 * into its own getopt_long table with TUN_STACK_LONG_OPTS. */
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
	{"stats", no_argument, NULL, TUN_OPT_STATS}
/* clang-format on */

/* The usage lines for those options. */
#define TUN_STACK_USAGE                                                                            \
	"  --tun NAME      TUN device to create [tern0]\n"                                         \
	"  --addr A/P      tern's address and prefix\n"                                            \
	"  --peer A/P      the Linux side's address and prefix (must contain --addr)\n"            \
	"  --mtu N         link MTU, 68..65535 [1500]\n"                                           \
	"  --pcap FILE     capture every packet crossing the TUN device\n"                         \
	"  --loss P, --dup P, --reorder P, --corrupt P\n"                                          \
	"                  fault probabilities, 0..1, each direction\n"                            \
	"  --delay MS      extra delay each direction, 0..60000 ms\n"                              \
	"  --seed N        fault injector seed [random]\n"                                         \
	"  --stats         print counters to stderr on exit\n"

typedef struct tun_stack_opts {
	const char *prog; /* "tern cat": the prefix of every message */
	const char *tun, *pcap;
	uint32_t addr, peer, mtu;
	uint8_t prefix, peer_prefix;
	bool have_addr, have_peer, faulty, seeded, stats;
	tern_fault_config fault;
} tun_stack_opts;

typedef struct tun_stack {
	tun_stack_opts o;
	tern_config cfg;
	tern_stack *st;
	tern_iface *ifc;
	tern_dev *tun, *tap, *fault, *top;
	FILE *pcap;
	tern_loop *loop;
} tun_stack;

/* Defaults: tun "tern0", MTU 1500. */
void tun_stack_opts_init(tun_stack_opts *o, const char *prog);

/* Take one option value c (TUN_OPT_*) with argument arg. Returns 0, or 2
 * after printing why the value is invalid. */
int tun_stack_opt(tun_stack_opts *o, int c, const char *arg);

/* After parsing: --addr and --peer given and consistent. Returns 0 or 2. */
int tun_stack_check(const tun_stack_opts *o);

/* Print "<prog>: <fmt...>" on stderr; returns 2 (invalid arguments). */
int tun_stack_bad(const tun_stack_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Create the TUN device, configure its Linux side, the middleware, the
 * stack with its interface, and a loop watching the device. ts->o must be
 * filled. Returns 0, or 1 after printing what failed. */
int tun_stack_open(tun_stack *ts);

/* Print the counters (and fault statistics) on stderr. */
void tun_stack_print_stats(const tun_stack *ts);

/* Delete everything tun_stack_open created (safe on a partial one). The
 * TUN device vanishes with its fd. Returns 0, or 1 when the capture could
 * not be completed. */
int tun_stack_close(tun_stack *ts);

#endif
