/* The header of the CJSON system library module (see module.modulemap). */
#include <cjson/cJSON.h>
