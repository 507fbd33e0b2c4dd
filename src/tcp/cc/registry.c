/* registry.c - the congestion-control modules by name, and what they all
 * share. */
#include <string.h>

#include "tcp/tcp_cc.h"

/* Adding a module is one line here, its ops in its own file and the
 * count in tcp_cc.h (TERN_CC_NMODULES). The first entry is the default. */
const tern_cc_ops *const tern_cc_modules[TERN_CC_NMODULES] = {
    &tern_cc_cubic,
    &tern_cc_newreno,
};

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
	for (size_t i = 0; i < TERN_CC_NMODULES; i++)
		if (strcmp(tern_cc_modules[i]->name, name) == 0)
			return tern_cc_modules[i];
	return NULL;
}

const tern_cc_ops *tern_cc_default(void)
{
	return tern_cc_modules[0];
}

uint8_t tern_cc_id(const tern_cc_ops *ops)
{
	for (uint8_t i = 0; i < TERN_CC_NMODULES; i++)
		if (tern_cc_modules[i] == ops)
			return i;
	return 0;  /* not reached: every ops a caller holds came from here */
}
