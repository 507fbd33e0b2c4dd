/* config.c - a configuration backed by the C library's allocator and the
 * kernel's entropy, and the clocks the runtime feeds the core. */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "tern/host.h"

static void *host_alloc(void *ctx, size_t size)
{
	(void)ctx;
	/* malloc(0) may return NULL, which the core would read as "out of
	 * memory". */
	return malloc(size ? size : 1);
}

static void host_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

/* Fill buf completely from the kernel's pool. getrandom never returns short
 * for requests of 256 bytes or less except on a signal, hence the retry. */
static int entropy(void *buf, size_t len)
{
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = getrandom(buf, len, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

/* The random source cannot fail by contract. Should getrandom ever refuse
 * after the secret was drawn, fall back to a SplitMix64 step over the clock:
 * these bits pick identification fields and ports, and feed the rotating
 * SYN-cookie key only mixed with the secret, never a secret on their own. */
static uint64_t host_random(void *ctx)
{
	(void)ctx;
	uint64_t v;
	if (entropy(&v, sizeof v) == 0)
		return v;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	v += 0x9e3779b97f4a7c15u;
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9u;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebu;
	return v ^ (v >> 31);
}

int tern_host_config_init(tern_config *cfg)
{
	tern_config_init(cfg);
	cfg->allocator.alloc = host_alloc;
	cfg->allocator.free = host_free;
	cfg->allocator.ctx = NULL;
	cfg->random = host_random;
	cfg->random_ctx = NULL;
	return entropy(cfg->secret, sizeof cfg->secret);
}

static tern_time clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (tern_time)ts.tv_sec * 1000000u + (tern_time)ts.tv_nsec / 1000u;
}

tern_time tern_host_now(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

tern_time tern_host_wall_base(void)
{
	tern_time mono = clock_us(CLOCK_MONOTONIC);
	return clock_us(CLOCK_REALTIME) - mono;
}
