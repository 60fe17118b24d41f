#include "CUltraDictShims.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

int cud_shm_open(const char *name, int flags, mode_t mode) {
    return shm_open(name, flags, mode);
}

int cud_memfd_create(const char *name) {
#if defined(__linux__)
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
#else
    (void)name;
    errno = ENOSYS;
    return -1;
#endif
}

int cud_system_call_faults_injected = 0;

int cud_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns, uint32_t bitset) {
    if (timeout_ns < 0) timeout_ns = 0;
#if defined(__linux__)
    // FUTEX_WAIT_BITSET takes an absolute time on CLOCK_MONOTONIC.
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    int64_t seconds = timeout_ns / 1000000000;
    if (seconds > INT32_MAX) seconds = INT32_MAX;
    deadline.tv_sec += (time_t)seconds;
    deadline.tv_nsec += (long)(timeout_ns % 1000000000);
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000;
    }
    long result = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, &deadline, NULL, bitset);
    return result == 0 ? 0 : errno;
#else
    (void)word;
    (void)expected;
    (void)bitset;
    if (timeout_ns > 1000000) timeout_ns = 1000000;
    struct timespec timeout = { .tv_sec = 0, .tv_nsec = (long)timeout_ns };
    nanosleep(&timeout, NULL);
    return ETIMEDOUT;
#endif
}

int cud_futex_wake(uint32_t *word, int count, uint32_t bitset) {
#if defined(__linux__)
    long result = syscall(SYS_futex, word, FUTEX_WAKE_BITSET, count, NULL, NULL, bitset);
    return result >= 0 ? (int)result : -errno;
#else
    (void)word;
    (void)count;
    (void)bitset;
    return 0;
#endif
}

_Thread_local unsigned cud_thread_slot_plus_one = 0;

// The numbers of threads that exited, to give again, lowest first; guarded by slots_mutex.
static pthread_mutex_t slots_mutex = PTHREAD_MUTEX_INITIALIZER;
static unsigned *free_slots = NULL;
static size_t free_count = 0, free_capacity = 0;
unsigned cud_thread_numbers_given = 0;
// Its destructor gives a thread's number back when the thread exits.
static pthread_key_t slot_key;
static pthread_once_t slot_key_once = PTHREAD_ONCE_INIT;

static void release_thread_slot(void *value) {
    unsigned slot = (unsigned)(uintptr_t)value - 1;
    // A destructor run after this one that reads a dictionary gets a number again.
    cud_thread_slot_plus_one = 0;
    pthread_mutex_lock(&slots_mutex);
    if (free_count == free_capacity) {
        size_t capacity = free_capacity ? 2 * free_capacity : 64;
        unsigned *grown = realloc(free_slots, capacity * sizeof *grown);
        if (grown == NULL) {  // The number is lost, never given twice.
            pthread_mutex_unlock(&slots_mutex);
            return;
        }
        free_slots = grown;
        free_capacity = capacity;
    }
    free_slots[free_count++] = slot;
    pthread_mutex_unlock(&slots_mutex);
}

unsigned cud_fork_generation = 0;

// In a child after fork only the forking thread lives: the others' numbers stay taken, and the
// mutex, which one of them may have held, starts unlocked. The fork generation counts the fork.
static void reset_after_fork(void) {
    pthread_mutex_init(&slots_mutex, NULL);
    cud_fork_generation++;
}

static void make_slot_key(void) {
    pthread_key_create(&slot_key, release_thread_slot);
    pthread_atfork(NULL, NULL, reset_after_fork);
}

unsigned cud_assign_thread_slot(void) {
    pthread_once(&slot_key_once, make_slot_key);
    pthread_mutex_lock(&slots_mutex);
    unsigned slot;
    if (free_count > 0) {
        size_t lowest = 0;
        for (size_t i = 1; i < free_count; i++) {
            if (free_slots[i] < free_slots[lowest]) lowest = i;
        }
        slot = free_slots[lowest];
        free_slots[lowest] = free_slots[--free_count];
    } else {
        slot = cud_thread_numbers_given;
        __atomic_store_n(&cud_thread_numbers_given, slot + 1, __ATOMIC_SEQ_CST);
    }
    pthread_mutex_unlock(&slots_mutex);
    cud_thread_slot_plus_one = slot + 1;
    pthread_setspecific(slot_key, (void *)(uintptr_t)(slot + 1));
    return slot;
}

void cud_name_this_thread(const char *name) {
#if defined(__linux__)
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
#elif defined(__APPLE__)
    pthread_setname_np(name);
#else
    (void)name;
#endif
}
