// msgpack-c's C API, for BulkComparison's baseline: what unpacking a dump costs in plain C.
#include <msgpack.h>
