// The C API of json-c. Everything UltraDictJSON calls is a plain function or an integer constant,
// which Swift imports directly; the one macro it would need, json_object_object_foreach, is
// replaced by the json_object_iter_* functions, so no wrappers are needed.
#include <json.h>
