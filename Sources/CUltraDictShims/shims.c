#include "CUltraDictShims.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>

int cud_shm_open(const char *name, int flags, mode_t mode) {
    return shm_open(name, flags, mode);
}

_Thread_local unsigned cud_thread_slot_plus_one = 0;

unsigned cud_assign_thread_slot(void) {
    static atomic_uint next = 0;
    unsigned slot = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
    cud_thread_slot_plus_one = slot + 1;
    return slot;
}
