/* cmds.h - the subcommands of the `tern` command, one file each. Each takes
 * the arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status: 0 ok, 1 failure, 2 invalid arguments. */
#ifndef TERN_TOOLS_CMDS_H
#define TERN_TOOLS_CMDS_H

int tern_cmd_up(int argc, char **argv);    /* cmd_up.c: stack over TUN */
int tern_cmd_demo(int argc, char **argv);  /* cmd_demo.c: simulator demo */
int tern_cmd_cat(int argc, char **argv);   /* cmd_cat.c: netcat over TUN */
int tern_cmd_ss(int argc, char **argv);    /* cmd_ss.c: connection table */
int tern_cmd_bench(int argc, char **argv); /* cmd_bench.c: benchmarks */
int tern_cmd_plot(int argc, char **argv);  /* cmd_plot.c: figures as SVG */

#endif
