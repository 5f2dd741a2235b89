#ifndef ISR_CSODIUM_SHIM_H
#define ISR_CSODIUM_SHIM_H
#include <sodium.h>
#endif
