/* demo_figures.h - `tern demo`'s figures: the SVGs of `tern plot` drawn
 * from the demo's trace, and the terminal ladder of its handshake and close. */
#ifndef TERN_TOOLS_DEMO_FIGURES_H
#define TERN_TOOLS_DEMO_FIGURES_H

#include <stdio.h>

/* The figures written, each as DIR/<kind>.svg; NULL-terminated. */
extern const char *const demo_figure_kinds[];
/* Each kind's file name and what it shows, in the same order. */
extern const char *const demo_figure_files[];
extern const char *const demo_figure_what[];

/* Draw every figure of the trace at path `trace` into dir. Returns 0, or
 * -1 after saying on stderr which could not be drawn. */
int demo_figures_write(const char *dir, const char *trace);

/* The ladder of the first and last segments (the handshake and the close)
 * as text. Returns 0 or -1. */
int demo_ladder_print(const char *trace, FILE *out);

#endif
