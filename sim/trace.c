/* trace.c - the simulator's event trace: every host's stack reports to one
 * writer, each line naming the host, in virtual time (docs/TRACE.md). */
#include <errno.h>
#include <stdlib.h>

#include "sim_int.h"

static void host_event(void *ctx, const tern_trace_event *ev)
{
	tern_sim_host *h = ctx;
	tern_sim *sim = h->sim;
	char line[512];
	size_t n = tern_trace_format(ev, h->name, line, sizeof line);
	char *p = line;
	if (!sim->trace_write)
		return;
	if (n >= sizeof line) {
		if (!(p = malloc(n + 1))) {
			sim->trace_lost = true;
			return;
		}
		tern_trace_format(ev, h->name, p, n + 1);
	}
	if (sim->trace_write(sim->trace_ctx, p, n) < 0)
		sim->trace_lost = true;
	if (p != line)
		free(p);
}

void tern_sim_trace_host(tern_sim_host *h)
{
	if (h->st)
		tern_stack_set_trace(h->st, h->sim->trace_write ? host_event : NULL, h);
}

static void trace_all(tern_sim *sim)
{
	for (size_t i = 0; i < sim->nhosts; i++)
		tern_sim_trace_host(sim->hosts[i]);
}

int tern_sim_trace(tern_sim *sim, tern_pcap_write_fn write, void *ctx)
{
	if (!sim || !write)
		return TERN_EINVAL;
	tern_sim_trace_stop(sim);
	sim->trace_write = write;
	sim->trace_ctx = ctx;
	trace_all(sim);
	return 0;
}

static int file_write(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? 0 : (-EIO);
}

int tern_sim_trace_file(tern_sim *sim, const char *path)
{
	if (!sim || !path)
		return TERN_EINVAL;
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int rc = tern_sim_trace(sim, file_write, f);
	if (rc < 0) {
		fclose(f);
		return rc;
	}
	sim->trace_file = f;
	return 0;
}

int tern_sim_trace_stop(tern_sim *sim)
{
	if (!sim)
		return TERN_EINVAL;
	int rc = sim->trace_lost ? (-EIO) : 0;
	sim->trace_write = NULL;
	sim->trace_ctx = NULL;
	trace_all(sim);
	if (sim->trace_file && fclose(sim->trace_file) != 0)
		rc = (-EIO);
	sim->trace_file = NULL;
	sim->trace_lost = false;
	return rc;
}
