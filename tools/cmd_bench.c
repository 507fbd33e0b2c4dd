/* cmd_bench.c - `tern bench`: the benchmark runner (none written yet). */
#include <stdio.h>

#include "cmds.h"

int tern_cmd_bench(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("no benchmarks yet\n");
	return 0;
}
