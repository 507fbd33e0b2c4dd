/*
 * capture.c - pcap writers for the simulator: files it owns and growing
 * memory buffers for tests that compare capture bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

static int file_write(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? 0 : TERN_ENOSPC;
}

int tern_sim_buf_write(void *ctx, const void *buf, size_t len)
{
	tern_sim_buf *b = ctx;
	uint8_t *p;

	if (len > b->cap - b->len) {
		size_t want = b->len + len, cap = b->cap ? b->cap : 4096;

		while (cap < want)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return TERN_ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buf, len);
	b->len += len;
	return 0;
}

void tern_sim_buf_free(tern_sim_buf *b)
{
	free(b->data);
	*b = (tern_sim_buf){0};
}

int tern_sim_capture_new(tern_pcap_write_fn write, void *ctx, FILE *file, struct sim_capture **out)
{
	struct sim_capture *c = calloc(1, sizeof(*c));

	if (!c)
		return TERN_ENOMEM;
	c->write = write;
	c->ctx = ctx;
	c->file = file;
	*out = c;
	return 0;
}

/* TERN_E* codes are negated Linux errno values, so fopen's errno passes
 * through as one (strerror(-rc) names it). */
int tern_sim_capture_open(const char *path, struct sim_capture **out)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return errno ? -errno : TERN_EINVAL;
	rc = tern_sim_capture_new(file_write, f, f, out);
	if (rc < 0)
		fclose(f);
	return rc;
}

void tern_sim_capture_free_all(struct sim_capture *c)
{
	while (c) {
		struct sim_capture *next = c->next;

		if (c->file)
			fclose(c->file);
		free(c);
		c = next;
	}
}
