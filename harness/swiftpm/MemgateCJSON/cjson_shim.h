/* The header of the MemgateCJSON system library module (see module.modulemap). */
#include <cjson/cJSON.h>
