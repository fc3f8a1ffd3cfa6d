// Stub of TFLM's MicroPrintf declaration (tensorflow/lite/micro/micro_log.h).
#pragma once
void MicroPrintf(const char* format, ...);
