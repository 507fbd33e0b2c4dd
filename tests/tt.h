/*
 * tt.h - the smallest test harness that does the job.
 *
 * A test file defines functions with TT_TEST(name) and ends with
 * TT_MAIN(name, name, ...). Each test prints "ok name" or "FAIL name: where";
 * main prints "N passed, N failed" and exits non-zero on any failure.
 * A test may be run alone: ./test_x name.
 */
#ifndef TERN_TT_H
#define TERN_TT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tt_failed_now;

#define TT_TEST(name) static void name(void)

#define TT_CHECK(cond)                                                          \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			tt_failed_now = 1;                                      \
			return;                                                 \
		}                                                               \
	} while (0)

#define TT_EQ(a, b)                                                             \
	do {                                                                    \
		long long tt_a = (long long)(a), tt_b = (long long)(b);         \
		if (tt_a != tt_b) {                                             \
			fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, tt_a, tt_b);        \
			tt_failed_now = 1;                                      \
			return;                                                 \
		}                                                               \
	} while (0)

typedef struct { const char *name; void (*fn)(void); } tt_case;

static inline int tt_run(const tt_case *cases, size_t n, int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		tt_failed_now = 0;
		cases[i].fn();
		if (tt_failed_now) {
			printf("FAIL %s\n", cases[i].name);
			failed++;
		} else {
			printf("ok   %s\n", cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : (passed ? 0 : 1);
}

#define TT_CASE(fn) {#fn, fn},
#define TT_MAIN(...)                                                            \
	int main(int argc, char **argv)                                         \
	{                                                                       \
		static const tt_case cases[] = {TT_FOREACH(TT_CASE, __VA_ARGS__)}; \
		return tt_run(cases, sizeof cases / sizeof cases[0], argc, argv); \
	}

/* Apply M to up to 32 arguments. */
#define TT_FOREACH(M, ...) TT_FE_(__VA_ARGS__, TT_FE_N())(M, __VA_ARGS__)
#define TT_FE_(...) TT_FE_ARGN(__VA_ARGS__)
#define TT_FE_ARGN(_1,_2,_3,_4,_5,_6,_7,_8,_9,_10,_11,_12,_13,_14,_15,_16,_17,_18,_19,_20,_21,_22,_23,_24,_25,_26,_27,_28,_29,_30,_31,_32,N,...) TT_FE_##N
#define TT_FE_N() 32,31,30,29,28,27,26,25,24,23,22,21,20,19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1
#define TT_FE_1(M,a) M(a)
#define TT_FE_2(M,a,...) M(a) TT_FE_1(M,__VA_ARGS__)
#define TT_FE_3(M,a,...) M(a) TT_FE_2(M,__VA_ARGS__)
#define TT_FE_4(M,a,...) M(a) TT_FE_3(M,__VA_ARGS__)
#define TT_FE_5(M,a,...) M(a) TT_FE_4(M,__VA_ARGS__)
#define TT_FE_6(M,a,...) M(a) TT_FE_5(M,__VA_ARGS__)
#define TT_FE_7(M,a,...) M(a) TT_FE_6(M,__VA_ARGS__)
#define TT_FE_8(M,a,...) M(a) TT_FE_7(M,__VA_ARGS__)
#define TT_FE_9(M,a,...) M(a) TT_FE_8(M,__VA_ARGS__)
#define TT_FE_10(M,a,...) M(a) TT_FE_9(M,__VA_ARGS__)
#define TT_FE_11(M,a,...) M(a) TT_FE_10(M,__VA_ARGS__)
#define TT_FE_12(M,a,...) M(a) TT_FE_11(M,__VA_ARGS__)
#define TT_FE_13(M,a,...) M(a) TT_FE_12(M,__VA_ARGS__)
#define TT_FE_14(M,a,...) M(a) TT_FE_13(M,__VA_ARGS__)
#define TT_FE_15(M,a,...) M(a) TT_FE_14(M,__VA_ARGS__)
#define TT_FE_16(M,a,...) M(a) TT_FE_15(M,__VA_ARGS__)
#define TT_FE_17(M,a,...) M(a) TT_FE_16(M,__VA_ARGS__)
#define TT_FE_18(M,a,...) M(a) TT_FE_17(M,__VA_ARGS__)
#define TT_FE_19(M,a,...) M(a) TT_FE_18(M,__VA_ARGS__)
#define TT_FE_20(M,a,...) M(a) TT_FE_19(M,__VA_ARGS__)
#define TT_FE_21(M,a,...) M(a) TT_FE_20(M,__VA_ARGS__)
#define TT_FE_22(M,a,...) M(a) TT_FE_21(M,__VA_ARGS__)
#define TT_FE_23(M,a,...) M(a) TT_FE_22(M,__VA_ARGS__)
#define TT_FE_24(M,a,...) M(a) TT_FE_23(M,__VA_ARGS__)
#define TT_FE_25(M,a,...) M(a) TT_FE_24(M,__VA_ARGS__)
#define TT_FE_26(M,a,...) M(a) TT_FE_25(M,__VA_ARGS__)
#define TT_FE_27(M,a,...) M(a) TT_FE_26(M,__VA_ARGS__)
#define TT_FE_28(M,a,...) M(a) TT_FE_27(M,__VA_ARGS__)
#define TT_FE_29(M,a,...) M(a) TT_FE_28(M,__VA_ARGS__)
#define TT_FE_30(M,a,...) M(a) TT_FE_29(M,__VA_ARGS__)
#define TT_FE_31(M,a,...) M(a) TT_FE_30(M,__VA_ARGS__)
#define TT_FE_32(M,a,...) M(a) TT_FE_31(M,__VA_ARGS__)

#endif
