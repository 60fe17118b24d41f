// The C API of msgpack-c. Its packer functions and msgpack_unpacked_init/destroy are
// `static inline` in the headers, which Swift imports directly, so no wrappers are needed.
#include <msgpack.h>
