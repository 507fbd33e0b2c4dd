/* main.c - the `tern` command: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

/* CMake may pass the project version; the fallback keeps a bare compile
 * working. */
#ifndef TERN_VERSION_STRING
#define TERN_VERSION_STRING "0.1.0"
#endif

typedef struct tern_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} tern_cmd;

static const tern_cmd cmds[] = {
    {"up", tern_cmd_up, "run a stack on a TUN device (ping, UDP echo, TCP services)"},
    {"ss", tern_cmd_ss, "show a running stack's TCP connections"},
    {"cat", tern_cmd_cat, "netcat over a stack on a TUN device (TCP, -l to listen)"},
    {"demo", tern_cmd_demo, "run a demo in the simulator (no root needed)"},
    {"bench", tern_cmd_bench, "run the benchmarks"},
    {"plot", tern_cmd_plot, "draw TCP figures (ladder, tsg, cwnd, rtt, states) as SVG"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tern <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-6s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "  %-6s %s\n", "help", "show this help");
	fprintf(f, "\n'tern <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "tern: no command given (try 'tern help')\n");
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("tern %s\n", TERN_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tern: unknown command '%s' (try 'tern help')\n", name);
	return 2;
}
