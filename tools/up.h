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
} up_opts;

/* Parse the arguments after "up": the device options into dev, the rest
 * into o. Returns 0, 2 (invalid arguments, after one line on stderr) or -1
 * (after --help: exit 0). */
int up_parse(int argc, char **argv, tun_stack_opts *dev, up_opts *o);

#endif
