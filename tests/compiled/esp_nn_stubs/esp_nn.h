/* Stand-in for ESP-NN's esp_nn.h: the types and s8 kernel declarations the compiled
 * program calls, with the struct layouts (esp_nn_defs.h) and the signatures of the
 * generic names (esp_nn_generic_opt.h, esp_nn_ansi_headers.h) of esp-nn 1.2.3 (5f0a807),
 * written here. esp_nn_reference.c defines them with TFLM's reference arithmetic. */
#ifndef EDGETF_TEST_ESP_NN_H
#define EDGETF_TEST_ESP_NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct data_dims { int32_t width; int32_t height; int32_t channels; int32_t extra; }
    data_dims_t;
typedef struct data_2d { int32_t width; int32_t height; } data_2d_t;
typedef struct act_params { int32_t min; int32_t max; } act_params_t;
typedef struct quant_data { int32_t *shift; int32_t *mult; } quant_data_t;
typedef struct conv_params {
    int32_t in_offset;
    int32_t out_offset;
    data_2d_t stride;
    data_2d_t padding;
    data_2d_t dilation;
    act_params_t activation;
} conv_params_t;
typedef struct dw_conv_params {
    int32_t in_offset;
    int32_t out_offset;
    int32_t ch_mult;
    data_2d_t stride;
    data_2d_t padding;
    data_2d_t dilation;
    act_params_t activation;
} dw_conv_params_t;

void esp_nn_conv_s8(const data_dims_t *input_dims, const int8_t *input_data,
                    const data_dims_t *filter_dims, const int8_t *filter_data,
                    const int32_t *bias, const data_dims_t *output_dims, int8_t *out_data,
                    const conv_params_t *conv_params, const quant_data_t *quant_data);
int esp_nn_get_conv_scratch_size(const data_dims_t *input_dims, const data_dims_t *filter_dims,
                                 const data_dims_t *output_dims,
                                 const conv_params_t *conv_params);
void esp_nn_set_conv_scratch_buf(const void *buf);

void esp_nn_depthwise_conv_s8(const data_dims_t *input_dims, const int8_t *input_data,
                              const data_dims_t *filter_dims, const int8_t *filter_data,
                              const int32_t *bias, const data_dims_t *output_dims,
                              int8_t *out_data, const dw_conv_params_t *conv_params,
                              const quant_data_t *quant_data);
int esp_nn_get_depthwise_conv_scratch_size(const data_dims_t *input_dims,
                                           const data_dims_t *filter_dims,
                                           const data_dims_t *output_dims,
                                           const dw_conv_params_t *conv_params);
void esp_nn_set_depthwise_conv_scratch_buf(const void *buf);

void esp_nn_fully_connected_s8(const int8_t *input_data, const int32_t input_offset,
                               const uint16_t row_len, const int8_t *filter_data,
                               const int32_t filter_offset, const int32_t *bias,
                               int8_t *out_data, const uint16_t out_channels,
                               const int32_t out_offset, const int32_t out_shift,
                               const int32_t out_mult, const int32_t activation_min,
                               const int32_t activation_max);
void esp_nn_fully_connected_per_ch_s8(const int8_t *input_data, const int32_t input_offset,
                                      const uint16_t row_len, const int8_t *filter_data,
                                      const int32_t filter_offset, const int32_t *bias,
                                      int8_t *out_data, const uint16_t out_channels,
                                      const int32_t out_offset, const int32_t *out_shift,
                                      const int32_t *out_mult, const int32_t activation_min,
                                      const int32_t activation_max);

#define EDGETF_TEST_POOL(name)                                                              \
    void name(const int8_t *input, const uint16_t input_wd, const uint16_t input_ht,       \
              int8_t *output, const uint16_t output_wd, const uint16_t output_ht,          \
              const uint16_t stride_wd, const uint16_t stride_ht, const uint16_t filter_wd, \
              const uint16_t filter_ht, const uint16_t pad_wd, const uint16_t pad_ht,       \
              const int32_t activation_min, const int32_t activation_max,                  \
              const uint16_t channels)
EDGETF_TEST_POOL(esp_nn_avg_pool_s8);
EDGETF_TEST_POOL(esp_nn_avg_pool_s8_ansi);
EDGETF_TEST_POOL(esp_nn_max_pool_s8);
EDGETF_TEST_POOL(esp_nn_max_pool_s8_ansi);

int32_t esp_nn_get_softmax_scratch_size(const int32_t width, const int32_t height);
void esp_nn_set_softmax_scratch_buf(void *buffer);
void esp_nn_softmax_s8(const int8_t *input_data, const int32_t height, const int32_t width,
                       const int32_t mult, const int32_t shift, const int32_t diff_min,
                       int8_t *output_data);

void esp_nn_add_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data,
                               const int32_t input1_offset, const int32_t input2_offset,
                               const int32_t input1_mult, const int32_t input2_mult,
                               const int32_t input1_shift, const int32_t input2_shift,
                               const int32_t left_shift, int8_t *output,
                               const int32_t out_offset, const int32_t out_mult,
                               const int32_t out_shift, const int32_t activation_min,
                               const int32_t activation_max, const int32_t size);
void esp_nn_mul_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data,
                               const int32_t input1_offset, const int32_t input2_offset,
                               int8_t *output, const int32_t out_offset,
                               const int32_t out_mult, const int32_t out_shift,
                               const int32_t activation_min, const int32_t activation_max,
                               const int32_t size);

#ifdef __cplusplus
}
#endif

#endif
