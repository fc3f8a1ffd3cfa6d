/* Definitions of the stand-in ESP-NN kernels (esp_nn.h beside this file) that compute
 * TFLM's int8 reference arithmetic, by handing each call to the CMSIS-NN stand-ins of
 * ../cmsis_nn_stubs/reference_kernels.c (written for the tests, not CMSIS-NN's or
 * ESP-NN's code): the compiled ESP-NN program can then run on the host and be compared
 * with the numpy oracle. The scratch getters return what esp-nn 1.2.3's plain-ESP32
 * ("generic opt") build returns (conv and depthwise 0, softmax 4 bytes per row element),
 * and the softmax refuses to run without a scratch buffer, as that build's does. */
#include <stdio.h>

#include "arm_nnfunctions.h"
#include "esp_nn.h"

static void *softmax_scratch;

static cmsis_nn_dims dims(const data_dims_t *d, int32_t n) {
    const cmsis_nn_dims out = {n, d->height, d->width, d->channels};
    return out;
}

void esp_nn_conv_s8(const data_dims_t *input_dims, const int8_t *input_data,
                    const data_dims_t *filter_dims, const int8_t *filter_data,
                    const int32_t *bias, const data_dims_t *output_dims, int8_t *out_data,
                    const conv_params_t *p, const quant_data_t *q) {
    const cmsis_nn_context ctx = {0, 0};
    const cmsis_nn_conv_params params = {
        p->in_offset, p->out_offset, {p->stride.width, p->stride.height},
        {p->padding.width, p->padding.height}, {1, 1}, {p->activation.min, p->activation.max}};
    const cmsis_nn_per_channel_quant_params quant = {q->mult, q->shift};
    const cmsis_nn_dims in = dims(input_dims, 1), out = dims(output_dims, 1);
    const cmsis_nn_dims filter = {output_dims->channels, filter_dims->height,
                                  filter_dims->width, filter_dims->channels};
    const cmsis_nn_dims bias_dims = {1, 1, 1, output_dims->channels};
    arm_convolve_wrapper_s8(&ctx, &params, &quant, &in, input_data, &filter, filter_data,
                            &bias_dims, bias, &out, out_data);
}

int esp_nn_get_conv_scratch_size(const data_dims_t *input_dims, const data_dims_t *filter_dims,
                                 const data_dims_t *output_dims, const conv_params_t *p) {
    (void)input_dims; (void)filter_dims; (void)output_dims; (void)p;
    return 0;
}

void esp_nn_set_conv_scratch_buf(const void *buf) { (void)buf; }

void esp_nn_depthwise_conv_s8(const data_dims_t *input_dims, const int8_t *input_data,
                              const data_dims_t *filter_dims, const int8_t *filter_data,
                              const int32_t *bias, const data_dims_t *output_dims,
                              int8_t *out_data, const dw_conv_params_t *p,
                              const quant_data_t *q) {
    const cmsis_nn_context ctx = {0, 0};
    const cmsis_nn_dw_conv_params params = {
        p->in_offset, p->out_offset, p->ch_mult, {p->stride.width, p->stride.height},
        {p->padding.width, p->padding.height}, {1, 1}, {p->activation.min, p->activation.max}};
    const cmsis_nn_per_channel_quant_params quant = {q->mult, q->shift};
    const cmsis_nn_dims in = dims(input_dims, 1), out = dims(output_dims, 1);
    const cmsis_nn_dims filter = dims(filter_dims, 1);
    const cmsis_nn_dims bias_dims = {1, 1, 1, output_dims->channels};
    arm_depthwise_conv_wrapper_s8(&ctx, &params, &quant, &in, input_data, &filter,
                                  filter_data, &bias_dims, bias, &out, out_data);
}

int esp_nn_get_depthwise_conv_scratch_size(const data_dims_t *input_dims,
                                           const data_dims_t *filter_dims,
                                           const data_dims_t *output_dims,
                                           const dw_conv_params_t *p) {
    (void)input_dims; (void)filter_dims; (void)output_dims; (void)p;
    return 0;
}

void esp_nn_set_depthwise_conv_scratch_buf(const void *buf) { (void)buf; }

static void dense(const int8_t *input, int32_t input_offset, uint16_t row_len,
                  const int8_t *filter, int32_t filter_offset, const int32_t *bias,
                  int8_t *output, uint16_t units, int32_t out_offset, const int32_t *shifts,
                  const int32_t *mults, int per_channel, int32_t act_min, int32_t act_max) {
    /* one unit at a time, each with its own multiplier and shift when per channel */
    for (int u = 0; u < units; ++u) {
        const cmsis_nn_context ctx = {0, 0};
        const cmsis_nn_fc_params params = {input_offset, filter_offset, out_offset,
                                           {act_min, act_max}};
        const int k = per_channel ? u : 0;
        const cmsis_nn_per_tensor_quant_params quant = {mults[k], shifts[k]};
        const cmsis_nn_dims in = {1, 1, 1, row_len}, filter_dims = {row_len, 1, 1, 1};
        const cmsis_nn_dims bias_dims = {1, 1, 1, 1}, out = {1, 1, 1, 1};
        arm_fully_connected_s8(&ctx, &params, &quant, &in, input, &filter_dims,
                               filter + u * row_len, &bias_dims, bias ? bias + u : 0, &out,
                               output + u);
    }
}

void esp_nn_fully_connected_s8(const int8_t *input_data, const int32_t input_offset,
                               const uint16_t row_len, const int8_t *filter_data,
                               const int32_t filter_offset, const int32_t *bias,
                               int8_t *out_data, const uint16_t out_channels,
                               const int32_t out_offset, const int32_t out_shift,
                               const int32_t out_mult, const int32_t activation_min,
                               const int32_t activation_max) {
    dense(input_data, input_offset, row_len, filter_data, filter_offset, bias, out_data,
          out_channels, out_offset, &out_shift, &out_mult, 0, activation_min, activation_max);
}

void esp_nn_fully_connected_per_ch_s8(const int8_t *input_data, const int32_t input_offset,
                                      const uint16_t row_len, const int8_t *filter_data,
                                      const int32_t filter_offset, const int32_t *bias,
                                      int8_t *out_data, const uint16_t out_channels,
                                      const int32_t out_offset, const int32_t *out_shift,
                                      const int32_t *out_mult, const int32_t activation_min,
                                      const int32_t activation_max) {
    dense(input_data, input_offset, row_len, filter_data, filter_offset, bias, out_data,
          out_channels, out_offset, out_shift, out_mult, 1, activation_min, activation_max);
}

static void pool(int average, const int8_t *input, uint16_t input_wd, uint16_t input_ht,
                 int8_t *output, uint16_t output_wd, uint16_t output_ht, uint16_t stride_wd,
                 uint16_t stride_ht, uint16_t filter_wd, uint16_t filter_ht, uint16_t pad_wd,
                 uint16_t pad_ht, int32_t act_min, int32_t act_max, uint16_t channels) {
    const cmsis_nn_context ctx = {0, 0};
    const cmsis_nn_pool_params params = {{stride_wd, stride_ht}, {pad_wd, pad_ht},
                                         {act_min, act_max}};
    const cmsis_nn_dims in = {1, input_ht, input_wd, channels};
    const cmsis_nn_dims filter = {1, filter_ht, filter_wd, 1};
    const cmsis_nn_dims out = {1, output_ht, output_wd, channels};
    if (average) {
        arm_avgpool_s8(&ctx, &params, &in, input, &filter, &out, output);
    } else {
        arm_max_pool_s8(&ctx, &params, &in, input, &filter, &out, output);
    }
}

#define EDGETF_TEST_POOL_BODY(average)                                                   \
    {                                                                                    \
        pool(average, input, input_wd, input_ht, output, output_wd, output_ht,           \
             stride_wd, stride_ht, filter_wd, filter_ht, pad_wd, pad_ht, activation_min, \
             activation_max, channels);                                                  \
    }
EDGETF_TEST_POOL(esp_nn_avg_pool_s8) EDGETF_TEST_POOL_BODY(1)
EDGETF_TEST_POOL(esp_nn_avg_pool_s8_ansi) EDGETF_TEST_POOL_BODY(1)
EDGETF_TEST_POOL(esp_nn_max_pool_s8) EDGETF_TEST_POOL_BODY(0)
EDGETF_TEST_POOL(esp_nn_max_pool_s8_ansi) EDGETF_TEST_POOL_BODY(0)

int32_t esp_nn_get_softmax_scratch_size(const int32_t width, const int32_t height) {
    (void)height;
    return 4 * width;
}

void esp_nn_set_softmax_scratch_buf(void *buffer) { softmax_scratch = buffer; }

void esp_nn_softmax_s8(const int8_t *input_data, const int32_t height, const int32_t width,
                       const int32_t mult, const int32_t shift, const int32_t diff_min,
                       int8_t *output_data) {
    if (softmax_scratch == 0) {
        printf("esp_nn_softmax_s8: scratch buffer not set\n");
        return;
    }
    arm_softmax_s8(input_data, height, width, mult, shift, diff_min, output_data);
}

void esp_nn_add_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data,
                               const int32_t input1_offset, const int32_t input2_offset,
                               const int32_t input1_mult, const int32_t input2_mult,
                               const int32_t input1_shift, const int32_t input2_shift,
                               const int32_t left_shift, int8_t *output,
                               const int32_t out_offset, const int32_t out_mult,
                               const int32_t out_shift, const int32_t activation_min,
                               const int32_t activation_max, const int32_t size) {
    arm_elementwise_add_s8(input1_data, input2_data, input1_offset, input1_mult, input1_shift,
                           input2_offset, input2_mult, input2_shift, left_shift, output,
                           out_offset, out_mult, out_shift, activation_min, activation_max,
                           size);
}

void esp_nn_mul_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data,
                               const int32_t input1_offset, const int32_t input2_offset,
                               int8_t *output, const int32_t out_offset,
                               const int32_t out_mult, const int32_t out_shift,
                               const int32_t activation_min, const int32_t activation_max,
                               const int32_t size) {
    arm_elementwise_mul_s8(input1_data, input2_data, input1_offset, input2_offset, output,
                           out_offset, out_mult, out_shift, activation_min, activation_max,
                           size);
}
