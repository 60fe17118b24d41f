#ifndef C_ULTRADICT_SHIMS_H
#define C_ULTRADICT_SHIMS_H

#include <sys/types.h>

/// Calls shm_open(name, flags, mode). Darwin declares shm_open variadic, which Swift cannot call.
int cud_shm_open(const char *name, int flags, mode_t mode);

#endif
