/* test_wheel.c - the timing wheel: timers fire once, never early, at the
 * first advance that reaches their tick; cancel works from anywhere; the
 * next-deadline bound is never late. */
#include <stddef.h>

#include "core/wheel.h"
#include "tt.h"

#define N 2000

typedef struct {
	tern_timer t;
	tern_time fired_at;
	int fires;
} probe;

static probe probes[N];
static tern_wheel *cur_wheel;

static void on_fire(tern_timer *t, tern_time now)
{
	probe *p = (probe *)((char *)t - offsetof(probe, t));
	p->fired_at = now;
	p->fires++;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static tern_time fire_time(tern_time deadline)
{
	return (deadline + TERN_WHEEL_TICK_US - 1) / TERN_WHEEL_TICK_US * TERN_WHEEL_TICK_US;
}

TT_TEST(test_wheel_fires_each_timer_once_never_early)
{
	tern_wheel w;
	tern_time start = 123456789;
	tern_wheel_init(&w, start);
	for (int i = 0; i < N; i++) {
		tern_timer_init(&probes[i].t, on_fire);
		probes[i].fires = 0;
		/* spread from microseconds to 10 hours, beyond the wheel's span */
		uint64_t span = i % 4 == 0 ? TERN_SEC(36000) : i % 4 == 1 ? TERN_SEC(100) : TERN_MS(500);
		tern_timer_arm(&w, &probes[i].t, start + 1 + next_rand() % span);
	}
	tern_time now = start;
	for (int step = 0; step < 200000 && w.armed; step++) {
		tern_time nx = tern_wheel_next(&w);
		TT_CHECK(nx != TERN_TIME_NEVER);
		/* jump exactly to the bound half the time, else a bit before it */
		now = (step & 1) || nx <= now ? (nx > now ? nx : now + 1) : now + (nx - now) / 2;
		tern_wheel_advance(&w, now);
	}
	TT_EQ(w.armed, 0);
	for (int i = 0; i < N; i++) {
		TT_EQ(probes[i].fires, 1);
		TT_CHECK(probes[i].fired_at >= probes[i].t.deadline);
		/* fired at the first advance that reached its tick */
		TT_CHECK(probes[i].fired_at == fire_time(probes[i].t.deadline));
	}
}

TT_TEST(test_wheel_next_is_never_after_earliest_fire_time)
{
	tern_wheel w;
	tern_wheel_init(&w, 0);
	tern_time earliest = TERN_TIME_NEVER;
	for (int i = 0; i < 200; i++) {
		tern_timer_init(&probes[i].t, on_fire);
		tern_time d = 1 + next_rand() % TERN_SEC(20000);
		tern_timer_arm(&w, &probes[i].t, d);
		if (fire_time(d) < earliest)
			earliest = fire_time(d);
		TT_CHECK(tern_wheel_next(&w) <= earliest);
	}
	for (int i = 0; i < 200; i++)
		tern_timer_cancel(&w, &probes[i].t);
	TT_CHECK(tern_wheel_next(&w) == TERN_TIME_NEVER);
}

static tern_timer *victim;
static void cancel_other(tern_timer *t, tern_time now)
{
	on_fire(t, now);
	tern_timer_cancel(cur_wheel, victim);
}
static void rearm_self(tern_timer *t, tern_time now)
{
	on_fire(t, now);
	probe *p = (probe *)((char *)t - offsetof(probe, t));
	if (p->fires < 3)
		tern_timer_arm(cur_wheel, t, now + TERN_MS(5));
}

TT_TEST(test_wheel_callback_may_cancel_a_timer_due_in_the_same_tick)
{
	tern_wheel w;
	tern_wheel_init(&w, 0);
	cur_wheel = &w;
	probes[0].fires = probes[1].fires = 0;
	tern_timer_init(&probes[0].t, cancel_other);
	tern_timer_init(&probes[1].t, on_fire);
	victim = &probes[1].t;
	/* same tick; the list order decides who runs first, so arm the
	 * victim first: it sits behind the canceller */
	tern_timer_arm(&w, &probes[1].t, TERN_MS(10));
	tern_timer_arm(&w, &probes[0].t, TERN_MS(10));
	tern_wheel_advance(&w, TERN_MS(20));
	TT_EQ(probes[0].fires, 1);
	TT_EQ(probes[1].fires, 0);
	TT_EQ(w.armed, 0);
}

TT_TEST(test_wheel_callback_may_rearm_itself)
{
	tern_wheel w;
	tern_wheel_init(&w, 0);
	cur_wheel = &w;
	probes[2].fires = 0;
	tern_timer_init(&probes[2].t, rearm_self);
	tern_timer_arm(&w, &probes[2].t, TERN_MS(1));
	for (tern_time now = 0; now <= TERN_MS(100); now += TERN_MS(1))
		tern_wheel_advance(&w, now);
	TT_EQ(probes[2].fires, 3);
	TT_CHECK(!tern_timer_armed(&probes[2].t));
}

TT_TEST(test_wheel_timer_in_the_past_fires_at_next_tick)
{
	tern_wheel w;
	tern_wheel_init(&w, TERN_SEC(5));
	probes[3].fires = 0;
	tern_timer_init(&probes[3].t, on_fire);
	tern_timer_arm(&w, &probes[3].t, TERN_SEC(1));
	TT_CHECK(tern_wheel_next(&w) == TERN_SEC(5) + TERN_WHEEL_TICK_US);
	tern_wheel_advance(&w, TERN_SEC(5) + TERN_WHEEL_TICK_US);
	TT_EQ(probes[3].fires, 1);
}

TT_MAIN(test_wheel_fires_each_timer_once_never_early,
	test_wheel_next_is_never_after_earliest_fire_time,
	test_wheel_callback_may_cancel_a_timer_due_in_the_same_tick,
	test_wheel_callback_may_rearm_itself, test_wheel_timer_in_the_past_fires_at_next_tick)
