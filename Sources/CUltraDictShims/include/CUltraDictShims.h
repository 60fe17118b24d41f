#ifndef C_ULTRADICT_SHIMS_H
#define C_ULTRADICT_SHIMS_H

#include <stdint.h>
#include <sys/types.h>

/// Calls shm_open(name, flags, mode). Darwin declares shm_open variadic, which Swift cannot call.
int cud_shm_open(const char *name, int flags, mode_t mode);

/// An anonymous file in memory, close-on-exec: memfd_create(name, MFD_CLOEXEC) on Linux; elsewhere
/// -1 with errno ENOSYS. Returns the descriptor, or -1 with errno set.
int cud_memfd_create(const char *name);

/// Sleeps while the 32-bit word at `word` holds `expected`, at most `timeout_ns` nanoseconds, as
/// a sleeper of the kinds in `bitset`: futex(word, FUTEX_WAIT_BITSET, expected, now + timeout on
/// CLOCK_MONOTONIC, bitset), shared between processes (no FUTEX_PRIVATE_FLAG: the word is in a
/// MAP_SHARED page). Returns 0 when woken, else the errno: EAGAIN (the word did not hold
/// `expected`), ETIMEDOUT and EINTR are normal outcomes. `syscall` is variadic, which Swift cannot
/// call. Without futexes (Darwin) it sleeps min(timeout, 1 ms) and returns ETIMEDOUT: a waiter
/// then polls.
int cud_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns, uint32_t bitset);

/// Wakes at most `count` of the processes and threads sleeping in cud_futex_wait on `word` whose
/// bitset shares a bit with `bitset`: futex(word, FUTEX_WAKE_BITSET, count, bitset), shared.
/// Returns how many it woke, or -errno. Without futexes it returns 0.
int cud_futex_wake(uint32_t *word, int count, uint32_t bitset);

/// Names the calling thread as the system shows it (`top -H`, a debugger, /proc's `comm`): at
/// most 15 bytes are kept on Linux. Foundation's `Thread.name` does not always reach the system.
void cud_name_this_thread(const char *name);

/// Nonzero once a test has injected a system-call fault in this process (Swift's
/// SystemCallFault). Until then the system-call wrappers skip looking for one, which reads a
/// task-local value: on a virtual machine, an idle waiter's slice cost a sixth more CPU with it.
extern int cud_system_call_faults_injected;

/// cud_system_call_faults_injected, read with a relaxed load.
static inline int cud_system_call_faults_were_injected(void) {
    return __atomic_load_n(&cud_system_call_faults_injected, __ATOMIC_RELAXED);
}

/// Sets cud_system_call_faults_injected, for good (a sequentially consistent store).
static inline void cud_note_system_call_fault_injected(void) {
    __atomic_store_n(&cud_system_call_faults_injected, 1, __ATOMIC_SEQ_CST);
}

/// The calling thread's number plus one, 0 until cud_thread_slot() first asks for it (and again
/// once the thread's exit gave the number back). Swift cannot read a thread-local variable; the
/// inline function below does it for it.
extern _Thread_local unsigned cud_thread_slot_plus_one;

/// Gives the calling thread the lowest number that no live thread has and returns it; called
/// once per thread, by cud_thread_slot(). The number goes back when the thread exits.
unsigned cud_assign_thread_slot(void);

/// A number of the calling thread's own, which no other live thread has: the lowest free one
/// when it first asks, so that the numbers stay small. A handle's readers each take the reader
/// slot of this number, so that threads reading one handle write different cache lines.
/// Costs one thread-local load once assigned.
static inline unsigned cud_thread_slot(void) {
    unsigned slot = cud_thread_slot_plus_one;
    return slot != 0 ? slot - 1 : cud_assign_thread_slot();
}

/// How many thread numbers cud_thread_slot() has given so far: every live thread's number is
/// below it. It only grows, and a new number counts before cud_thread_slot() returns it (a
/// sequentially consistent store), so that a handle's exclusive holder needs to look only at the
/// reader slots of the numbers below it.
extern unsigned cud_thread_numbers_given;

/// cud_thread_numbers_given, read with a sequentially consistent load.
static inline unsigned cud_thread_numbers_given_now(void) {
    return __atomic_load_n(&cud_thread_numbers_given, __ATOMIC_SEQ_CST);
}

/// How many forks this process is from the first process of its line that gave a thread a
/// number: a child's count is its parent's plus one (from the moment it starts).
extern unsigned cud_fork_generation;

/// The calling thread's number plus one in the low 32 bits, and the process's fork generation in
/// the high ones: no other live thread of this process has it, and neither does the copy of
/// this thread in a forked child. Costs two loads once the number is assigned.
static inline uint64_t cud_thread_token(void) {
    unsigned slot = cud_thread_slot();
    return (uint64_t)cud_fork_generation << 32 | (uint64_t)(slot + 1);
}

#endif
