/* wheel.c - the hierarchical timing wheel (see wheel.h for the contract).
 *
 * Level L holds timers whose tick lies 64^L .. 64^(L+1)-1 ticks ahead of the
 * wheel when they were placed; slot index is bits 6L..6L+5 of the tick. When
 * the wheel reaches the start of a level-L block, that block's slot cascades
 * into lower levels. Occupancy bitmaps make the next-deadline query and the
 * skipping of idle stretches O(levels). */
#include "core/wheel.h"

#include <string.h>

#define LEVEL_SPAN(l) (1ull << (TERN_WHEEL_BITS * ((l) + 1)))
#define SLOT_MASK (TERN_WHEEL_SLOTS - 1)

void tern_wheel_init(tern_wheel *w, tern_time now)
{
	memset(w, 0, sizeof *w);
	w->tick = now / TERN_WHEEL_TICK_US;
}

void tern_timer_init(tern_timer *t, tern_timer_fn fn)
{
	memset(t, 0, sizeof *t);
	t->fn = fn;
}

/* The helpers below are inline: at -O2 GCC kept them as calls on every arm
 * and advance, several per segment. */

/* The tick a timer fires at: its deadline rounded up to the next tick,
 * so that it is never early. */
static inline uint64_t timer_tick(const tern_timer *t)
{
	return t->deadline / TERN_WHEEL_TICK_US + (t->deadline % TERN_WHEEL_TICK_US ? 1 : 0);
}

/* The tick at which next_tick would find slot idx of level (the start of
 * that slot's next block after the wheel's tick). */
static inline uint64_t slot_tick(const tern_wheel *w, unsigned level, unsigned idx)
{
	unsigned shift = TERN_WHEEL_BITS * level;
	uint64_t base = w->tick >> shift;
	uint64_t k = ((idx - ((unsigned)base + 1)) & SLOT_MASK) + 1;
	return (base + k) << shift;
}

static inline void link_into(tern_wheel *w, tern_timer *t, unsigned level, unsigned idx)
{
	uint64_t at = slot_tick(w, level, idx);
	if (at < w->due)
		w->due = at;
	tern_timer **head = &w->slot[level][idx];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
	w->occupied[level] |= 1ull << idx;
}

/* min_tick: the earliest slot still to be processed. For a fresh arm that
 * is the next tick; during a cascade at tick T it is T itself, whose level-0
 * slot is processed right after the cascades. */
static inline void place(tern_wheel *w, tern_timer *t, uint64_t min_tick)
{
	uint64_t due = timer_tick(t);
	uint64_t tick = due > min_tick ? due : min_tick;
	uint64_t delta = tick - w->tick;
	for (unsigned l = 0; l < TERN_WHEEL_LEVELS; l++) {
		if (delta < LEVEL_SPAN(l)) {
			link_into(w, t, l, (tick >> (TERN_WHEEL_BITS * l)) & SLOT_MASK);
			return;
		}
	}
	/* Beyond the wheel's span: park in the farthest slot; the cascade
	 * re-places it from its true tick. */
	unsigned top = TERN_WHEEL_LEVELS - 1;
	tick = w->tick + LEVEL_SPAN(top) - 1;
	link_into(w, t, top, (tick >> (TERN_WHEEL_BITS * top)) & SLOT_MASK);
}

static void unlink_timer(tern_wheel *w, tern_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
	(void)w;
}

/* A timer alone in its slot has the slot head as pprev: its slot is empty
 * once it leaves, and clearing the bit spares a later advance a visit to
 * the empty slot (and the loop an early wake-up for it). Heads are found
 * by address within the slot array (compared as integers: pprev may point
 * into a timer instead). Bits left set (a slot emptied from its front
 * while others remain, then those leave) are still harmless: they only
 * make next() early and are cleared when the slot is processed. */
static void clear_if_emptied(tern_wheel *w, tern_timer **pprev)
{
	uintptr_t at = (uintptr_t)pprev, first = (uintptr_t)&w->slot[0][0];
	if (*pprev || at < first || at >= (uintptr_t)(&w->slot[TERN_WHEEL_LEVELS - 1][0] +
						     TERN_WHEEL_SLOTS))
		return;
	size_t i = (at - first) / sizeof *pprev;
	w->occupied[i / TERN_WHEEL_SLOTS] &= ~(1ull << (i % TERN_WHEEL_SLOTS));
	w->due_exact = false;  /* the next slot may now be later */
}

void tern_timer_cancel(tern_wheel *w, tern_timer *t)
{
	if (!t->pprev)
		return;
	tern_timer **pprev = t->pprev;
	unlink_timer(w, t);
	clear_if_emptied(w, pprev);
	w->armed--;
}

void tern_timer_arm(tern_wheel *w, tern_timer *t, tern_time deadline)
{
	tern_timer_cancel(w, t);
	t->deadline = deadline;
	place(w, t, w->tick + 1);
	w->armed++;
}

/* Take a slot's list out of the wheel into a local head whose address the
 * list's pprev links can point at, so callbacks may cancel any of them. */
static tern_timer *detach(tern_wheel *w, unsigned level, unsigned idx, tern_timer **head)
{
	*head = w->slot[level][idx];
	w->slot[level][idx] = NULL;
	w->occupied[level] &= ~(1ull << idx);
	w->due_exact = false;
	if (*head)
		(*head)->pprev = head;
	return *head;
}

static void cascade(tern_wheel *w, unsigned level, unsigned idx)
{
	tern_timer *head;
	detach(w, level, idx, &head);
	while (head) {
		tern_timer *t = head;
		unlink_timer(w, t);
		place(w, t, w->tick);
	}
}

static void process_tick(tern_wheel *w, uint64_t tick, tern_time now)
{
	w->tick = tick;
	for (unsigned l = TERN_WHEEL_LEVELS - 1; l >= 1; l--) {
		if ((tick & ((1ull << (TERN_WHEEL_BITS * l)) - 1)) == 0)
			cascade(w, l, (tick >> (TERN_WHEEL_BITS * l)) & SLOT_MASK);
	}
	tern_timer *head;
	detach(w, 0, tick & SLOT_MASK, &head);
	while (head) {
		tern_timer *t = head;
		unlink_timer(w, t);
		if (timer_tick(t) > tick) { /* defensive: not yet due */
			place(w, t, tick + 1);
			continue;
		}
		w->armed--;
		t->fn(t, now);
	}
}

/* The first tick at which some slot holds work, from the occupancy bitmaps. */
static inline uint64_t next_tick(const tern_wheel *w)
{
	uint64_t best = UINT64_MAX;
	for (unsigned l = 0; l < TERN_WHEEL_LEVELS; l++) {
		uint64_t occ = w->occupied[l];
		if (!occ)
			continue;
		unsigned shift = TERN_WHEEL_BITS * l;
		unsigned start = (unsigned)((w->tick >> shift) + 1) & SLOT_MASK;
		uint64_t rot = (occ >> start) | (start ? occ << (64 - start) : 0);
		uint64_t k = (uint64_t)__builtin_ctzll(rot) + 1;
		uint64_t t = ((w->tick >> shift) + k) << shift;
		if (t < best)
			best = t;
	}
	return best;
}

void tern_wheel_advance(tern_wheel *w, tern_time now)
{
	uint64_t target = now / TERN_WHEEL_TICK_US;
	/* Nothing is due up to target: what the scan below would conclude.
	 * Slot ticks do not move while the wheel's tick stays below them. */
	if (target < w->due) {
		if (w->tick < target)
			w->tick = target;
		return;
	}
	while (w->tick < target) {
		uint64_t next = next_tick(w);
		if (next > target) {
			w->tick = target;
			w->due = next;
			w->due_exact = true;
			break;
		}
		process_tick(w, next > w->tick + 1 ? next : w->tick + 1, now);
	}
}

tern_time tern_wheel_next(tern_wheel *w)
{
	if (!w->armed)
		return TERN_TIME_NEVER;
	/* Exact stays exact while the tick moves short of it and arms only
	 * lower it (link_into); emptied slots clear the mark. */
	if (!w->due_exact) {
		w->due = next_tick(w);
		w->due_exact = true;
	}
	uint64_t t = w->due;
	if (t == UINT64_MAX || t > UINT64_MAX / TERN_WHEEL_TICK_US)
		return TERN_TIME_NEVER;
	return t * TERN_WHEEL_TICK_US;
}
