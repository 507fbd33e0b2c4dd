/* up.h - `tern up`'s own options (the device ones are tun_stack's), shared
 * by its parser (up_opts.c) and the command itself (cmd_up.c). */
#ifndef TERN_TOOLS_UP_H
#define TERN_TOOLS_UP_H

#include <stdbool.h>

#include "tern/dev.h"
#include "tern/tern.h"
#include "tun_stack.h"

#define UP_PROG "tern up"

typedef struct up_opts {
	const char *ctl, *http_root;
	uint16_t http_port;
	unsigned services; /* bit i set: svc_at(i) runs */
	tern_time msl;     /* 0: the stack's default */
	/* The SMPP message centre (svc_smpp.h): its port, accounts file,
	 * queue file, per-bind window and enquire_link interval. */
	const char *smpp_users, *smpp_queue;
	uint16_t smpp_port;
	uint32_t smpp_window;
	tern_time smpp_enquire;
} up_opts;

/* Parse the arguments after "up": the device options into dev, the rest
 * into o. Returns 0, 2 (invalid arguments, after one line on stderr) or -1
 * (after --help: exit 0). */
int up_parse(int argc, char **argv, tun_stack_opts *dev, up_opts *o);

/* The port a service listens on, after --http and --smpp-port. */
struct svc_ops;
uint16_t up_port(const up_opts *o, const struct svc_ops *svc);

#endif
