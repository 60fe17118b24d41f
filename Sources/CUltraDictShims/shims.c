#include "CUltraDictShims.h"

#include <fcntl.h>
#include <sys/mman.h>

int cud_shm_open(const char *name, int flags, mode_t mode) {
    return shm_open(name, flags, mode);
}
