// Stub of FreeRTOS's task.h for syntax checks (see ../README.md).
#pragma once
extern "C" void vTaskDelay(TickType_t ticks);
