#ifndef C_ULTRADICT_SHIMS_H
#define C_ULTRADICT_SHIMS_H

#include <sys/types.h>

/// Calls shm_open(name, flags, mode). Darwin declares shm_open variadic, which Swift cannot call.
int cud_shm_open(const char *name, int flags, mode_t mode);

/// The calling thread's reader-slot number plus one, 0 until cud_thread_slot() first asks for it.
/// Swift cannot read a thread-local variable; the inline function below does it for it.
extern _Thread_local unsigned cud_thread_slot_plus_one;

/// Gives the calling thread the next number of a process-wide counter and returns it; called
/// once per thread, by cud_thread_slot().
unsigned cud_assign_thread_slot(void);

/// A number of the calling thread's own, fixed for its lifetime: 0 for the first thread that
/// asks, 1 for the next, and so on. A handle's readers each take the reader slot of this number
/// (modulo the slot count), so that threads reading one handle write different cache lines.
/// Costs one thread-local load once assigned.
static inline unsigned cud_thread_slot(void) {
    unsigned slot = cud_thread_slot_plus_one;
    return slot != 0 ? slot - 1 : cud_assign_thread_slot();
}

#endif
