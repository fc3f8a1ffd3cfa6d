/* edgetf demo: what the generated main.cpp runs, kept portable.
 *
 * The board's main.cpp only moves characters: it hands the demo a function that
 * writes text (printf on ESP-IDF, Serial.print on Arduino) and feeds it the characters
 * that arrive on the serial port. Everything else (init, the arena and self-test
 * report, parsing a line of numbers, printing label, scores and timing) lives here, in
 * plain C++17 that edgetf's own checks build and run on a host.
 */
#ifndef EDGETF_EDGETF_DEMO_H_
#define EDGETF_EDGETF_DEMO_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*edgetf_writer)(const char* text);

/* edgetf_init, then one line with the arena used, then the self-test's PASS or FAIL
 * (with the first mismatch). Returns edgetf_init's status; on failure it has printed
 * what to change. */
int edgetf_demo_begin(edgetf_writer write);

/* Collect one character of a line of input values (separated by commas, spaces or
 * tabs). At the end of a line, run the model on them and print the result, or say how
 * many values were expected. */
void edgetf_demo_input_char(char c);

/* Run the model on the library's sample input and print the result. */
void edgetf_demo_run_sample(void);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* EDGETF_EDGETF_DEMO_H_ */
