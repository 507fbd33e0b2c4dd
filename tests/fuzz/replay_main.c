/* replay_main.c - runs a fuzz harness over files without libFuzzer, so that
 * the seed corpora and the regression inputs are replayed in every build
 * (gcc plain and ASan/UBSan), on machines without clang too.
 *
 * Usage: fuzz_replay_NAME PATH...   (files, or directories of files)
 * Prints one line per path and "replayed N inputs"; a failing input aborts
 * (the harness's invariant message, or the sanitizer's report, names it). */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (1u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	/* An exact-size copy, as libFuzzer gives, so over-reads are caught. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file in dir, in name order; returns inputs run or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0; /* a harness may have no regressions yet */
	char *names[4096];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < sizeof names / sizeof names[0]) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (!names[n])
			break;
		snprintf(names[n], len, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	int ran = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (run_file(names[i]) < 0)
				ran = -1;
			else if (ran >= 0)
				ran++;
		}
		free(names[i]);
	}
	return ran;
}

int main(int argc, char **argv)
{
	int total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		int r;
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			r = run_dir(argv[i]);
		else if (stat(argv[i], &sb) == 0)
			r = run_file(argv[i]) == 0 ? 1 : -1;
		else
			r = 0; /* a missing regress/ folder is not an error */
		if (r < 0)
			return 1;
		total += r;
	}
	printf("replayed %d inputs\n", total);
	return 0;
}
