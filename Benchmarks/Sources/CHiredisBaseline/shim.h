// hiredis's C API, for RedisComparison's baseline: what one XADD round trip costs in plain C.
#include <hiredis/hiredis.h>
