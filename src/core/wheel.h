/* wheel.h - a hierarchical timing wheel: O(1) arm and cancel, and a cheap
 * lower bound on the next deadline for tern_stack_poll().
 *
 * Four levels of 64 slots with a 1 ms tick cover 64^4 ms (about 4.6 h);
 * later deadlines park in the last level and are re-placed as time comes.
 * A timer fires at the first advance whose `now` has reached its deadline
 * rounded up to the next tick, so timers are never early and at most one
 * tick late. The wheel holds no memory of its own: timers are embedded in
 * their owners (container_of style). */
#ifndef TERN_CORE_WHEEL_H
#define TERN_CORE_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#include "tern/tern.h"

#define TERN_WHEEL_LEVELS 4
#define TERN_WHEEL_BITS 6
#define TERN_WHEEL_SLOTS (1u << TERN_WHEEL_BITS)
#define TERN_WHEEL_TICK_US 1000u

typedef struct tern_timer tern_timer;
typedef void (*tern_timer_fn)(tern_timer *t, tern_time now);

struct tern_timer {
	tern_timer *next, **pprev;  /* pprev == NULL: not armed */
	tern_time deadline;         /* its tick is derived (one field less in
	                               every TCB, issue 4: lean connections) */
	tern_timer_fn fn;
};

typedef struct tern_wheel {
	uint64_t tick;  /* last tick processed */
	uint64_t occupied[TERN_WHEEL_LEVELS];
	uint64_t due;   /* no slot needs processing before this tick (a lower
	                   bound, so most advances skip the bitmap scan) */
	bool due_exact; /* due is what the scan would give (next() reuses it) */
	tern_timer *slot[TERN_WHEEL_LEVELS][TERN_WHEEL_SLOTS];
	uint32_t armed;
} tern_wheel;

void tern_wheel_init(tern_wheel *w, tern_time now);
void tern_timer_init(tern_timer *t, tern_timer_fn fn);
/* Arm (or re-arm) t for deadline. */
void tern_timer_arm(tern_wheel *w, tern_timer *t, tern_time deadline);
void tern_timer_cancel(tern_wheel *w, tern_timer *t);
static inline bool tern_timer_armed(const tern_timer *t) { return t->pprev != 0; }
/* Fire every timer due at now, in deadline-tick order. A callback may arm
 * or cancel any timer, itself included. */
void tern_wheel_advance(tern_wheel *w, tern_time now);
/* A time at or before the earliest armed deadline (never later), or
 * TERN_TIME_NEVER when nothing is armed. */
tern_time tern_wheel_next(tern_wheel *w);

#endif
