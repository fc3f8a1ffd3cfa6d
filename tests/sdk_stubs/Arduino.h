// Stub of the Arduino core's Arduino.h for syntax checks (see README.md).
#pragma once
#include <stddef.h>
#include <stdint.h>
struct StubSerial {
  void begin(unsigned long baud);
  explicit operator bool() const;
  size_t print(const char* text);
  int available();
  int read();
};
extern StubSerial Serial;
unsigned long micros();
unsigned long millis();
void delay(unsigned long ms);
