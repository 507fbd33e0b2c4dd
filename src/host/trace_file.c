/* trace_file.c - the event trace written to a file as JSON lines
 * (docs/TRACE.md), for `tern up --trace FILE`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tern/host.h"

struct tern_trace_file {
	FILE *f;
	bool lost;
	char host[32];
};

int tern_trace_file_open(const char *path, const char *host, tern_trace_file **out)
{
	tern_trace_file *tf = calloc(1, sizeof *tf);
	if (!tf)
		return -ENOMEM;
	tf->f = fopen(path, "w");
	if (!tf->f) {
		int e = errno;
		free(tf);
		return -e;
	}
	snprintf(tf->host, sizeof tf->host, "%s", host ? host : "tern");
	*out = tf;
	return 0;
}

void tern_trace_file_event(void *ctx, const tern_trace_event *ev)
{
	tern_trace_file *tf = ctx;
	char line[512];
	size_t n = tern_trace_format(ev, tf->host, line, sizeof line);
	char *p = line;
	if (n >= sizeof line) {
		p = malloc(n + 1);
		if (!p) {
			tf->lost = true;
			return;
		}
		tern_trace_format(ev, tf->host, p, n + 1);
	}
	if (fwrite(p, 1, n, tf->f) != n)
		tf->lost = true;
	if (p != line)
		free(p);
}

int tern_trace_file_close(tern_trace_file *tf)
{
	if (!tf)
		return 0;
	int rc = fclose(tf->f) == 0 && !tf->lost ? 0 : -EIO;
	free(tf);
	return rc;
}
