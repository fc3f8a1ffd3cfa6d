// Stub of Chirale_TensorFLowLite's (empty) umbrella header for syntax checks.
#pragma once
