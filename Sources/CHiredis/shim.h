// The C API of hiredis. UltraDictRedis calls only plain functions of its blocking API
// (redisConnectWithTimeout, redisCommandArgv, redisAppendCommandArgv, redisGetReply, ...) and
// reads the fields of redisContext and redisReply; the REDIS_* constants are integer macros,
// which Swift imports directly, so no wrappers are needed.
#include <hiredis/hiredis.h>
