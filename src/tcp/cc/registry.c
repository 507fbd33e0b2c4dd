/* registry.c - the congestion-control modules by name, and what they all
 * share. */
#include <string.h>

#include "tcp/tcp_cc.h"

/* Adding a module is one line here (and its ops in its own file). The
 * first entry is the default. */
static const tern_cc_ops *const cc_modules[] = {
    &tern_cc_cubic,
    &tern_cc_newreno,
};

#define CC_NMODULES (sizeof cc_modules / sizeof cc_modules[0])

uint32_t tern_cc_initial_window(uint32_t mss)
{
	/* RFC 5681 3.1: the segment count shrinks as segments grow, keeping IW
	 * near 4380 bytes. */
	uint64_t iw;
	if (mss > 2190)
		iw = 2 * (uint64_t)mss;
	else if (mss > 1095)
		iw = 3 * (uint64_t)mss;
	else
		iw = 4 * (uint64_t)mss;
	return iw > UINT32_MAX ? UINT32_MAX : (uint32_t)iw;
}

const tern_cc_ops *tern_cc_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < CC_NMODULES; i++)
		if (strcmp(cc_modules[i]->name, name) == 0)
			return cc_modules[i];
	return NULL;
}

const tern_cc_ops *tern_cc_default(void)
{
	return cc_modules[0];
}
