/* A minimal unit-test harness: each test is a function; CHECK records a failure and goes on.
 * Every test binary ends by printing "N passed, N failed" and exits non-zero on a failure. */
#ifndef COOPD_UNIT_H
#define COOPD_UNIT_H
#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_passed, unit_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *ua_ = (a), *ub_ = (b);                                                 \
		if (!ua_ || !ub_ || strcmp(ua_, ub_) != 0) {                                       \
			fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,         \
			        ua_ ? ua_ : "(null)", ub_ ? ub_ : "(null)");                       \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long ua_ = (long long)(a), ub_ = (long long)(b);                              \
		if (ua_ != ub_) {                                                                  \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__,          \
			        __LINE__, #a, ua_, ub_);                                           \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define RUN(test)                                                                                  \
	do {                                                                                       \
		int before_ = unit_failed_checks;                                                  \
		test();                                                                            \
		if (unit_failed_checks == before_) {                                               \
			unit_passed++;                                                             \
			printf("ok   %s\n", #test);                                                \
		} else {                                                                           \
			unit_failed++;                                                             \
			printf("FAIL %s\n", #test);                                                \
		}                                                                                  \
	} while (0)

#define UNIT_END()                                                                                 \
	do {                                                                                       \
		printf("%d passed, %d failed\n", unit_passed, unit_failed);                        \
		return unit_failed ? 1 : 0;                                                        \
	} while (0)

#endif
