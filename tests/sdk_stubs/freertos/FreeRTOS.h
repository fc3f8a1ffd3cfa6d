// Stub of FreeRTOS.h for syntax checks (see ../README.md).
#pragma once
#include <stdint.h>
typedef uint32_t TickType_t;
#define pdMS_TO_TICKS(ms) ((TickType_t)(ms))
