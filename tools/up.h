/* up.h - `tern up`'s options, shared by its parser (up_opts.c) and the
 * command itself (cmd_up.c). */
#ifndef TERN_TOOLS_UP_H
#define TERN_TOOLS_UP_H

#include <stdbool.h>

#include "tern/dev.h"
#include "tern/tern.h"

typedef struct up_opts {
	const char *tun, *pcap, *ctl, *http_root;
	uint32_t addr, peer, mtu;
	uint8_t prefix, peer_prefix;
	uint16_t http_port;
	unsigned services; /* bit i set: svc_at(i) runs */
	tern_time msl;     /* 0: the stack's default */
	bool have_addr, have_peer, faulty, seeded, stats;
	tern_fault_config fault;
} up_opts;

/* Parse the arguments after "up". Returns 0, 2 (invalid arguments, after
 * one line on stderr) or -1 (after --help: exit 0). */
int up_parse(int argc, char **argv, up_opts *o);

#endif
