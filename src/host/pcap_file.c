/* pcap_file.c - the FILE-backed writer behind the pcap tap. The tap formats
 * the capture; this only stores bytes. */
#include <errno.h>
#include <stdio.h>

#include "tern/host.h"

int tern_pcap_file_open(const char *path, FILE **out)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	*out = f;
	return 0;
}

int tern_pcap_file_write(void *ctx, const void *buf, size_t len)
{
	errno = 0;
	if (fwrite(buf, 1, len, ctx) == len)
		return 0;
	return errno ? -errno : TERN_ENOSPC;
}

int tern_pcap_file_close(FILE *f)
{
	/* fclose reports a failed final flush, but ferror also catches a
	 * write that failed earlier and left a hole in the capture. */
	int lost = ferror(f);
	int rc = fclose(f) != 0 ? -errno : 0;
	if (!rc && lost)
		rc = TERN_ENOSPC;
	return rc;
}
