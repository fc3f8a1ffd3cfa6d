// Stub of ESP-IDF's esp_timer.h for syntax checks (see README.md).
#pragma once
#include <stdint.h>
extern "C" int64_t esp_timer_get_time(void);
