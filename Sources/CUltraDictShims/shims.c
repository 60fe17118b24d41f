#include "CUltraDictShims.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

int cud_shm_open(const char *name, int flags, mode_t mode) {
    return shm_open(name, flags, mode);
}

int cud_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    if (timeout_ns < 0) timeout_ns = 0;
#if defined(__linux__)
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    long result = syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, NULL, 0);
    return result == 0 ? 0 : errno;
#else
    (void)word;
    (void)expected;
    if (timeout_ns > 1000000) timeout_ns = 1000000;
    struct timespec timeout = { .tv_sec = 0, .tv_nsec = (long)timeout_ns };
    nanosleep(&timeout, NULL);
    return ETIMEDOUT;
#endif
}

int cud_futex_wake(uint32_t *word) {
#if defined(__linux__)
    long result = syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    return result >= 0 ? (int)result : -errno;
#else
    (void)word;
    return 0;
#endif
}
