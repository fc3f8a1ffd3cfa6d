/* Definitions of the stand-in CMSIS-NN kernels that print each call's arguments, one
 * line per call, with pointers as offsets from record_base (the arena's start; the
 * weights' pointers only as present/absent). The test compares the lines with the
 * program and its memory plan. */
#include <stdio.h>

#include "third_party/cmsis_nn/Include/arm_nnfunctions.h"

const unsigned char *record_base = 0;

static long at(const void *p) {
    return p ? (long)((const unsigned char *)p - record_base) : -1;
}

static void dims(const char *name, const cmsis_nn_dims *d) {
    printf(" %s=%d,%d,%d,%d", name, (int)d->n, (int)d->h, (int)d->w, (int)d->c);
}

static void common(const char *kernel, const cmsis_nn_context *ctx, const cmsis_nn_dims *in,
                   const void *input, const cmsis_nn_dims *filter, const cmsis_nn_dims *out,
                   const void *output) {
    printf("%s in=%ld out=%ld ctx=%ld,%d", kernel, at(input), at(output),
           ctx->buf ? at(ctx->buf) : -1, (int)ctx->size);
    dims("input", in);
    dims("filter", filter);
    dims("output", out);
}

arm_cmsis_nn_status arm_convolve_wrapper_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_conv_params *p,
    const cmsis_nn_per_channel_quant_params *q, const cmsis_nn_dims *input_dims,
    const q7_t *input_data, const cmsis_nn_dims *filter_dims, const q7_t *filter_data,
    const cmsis_nn_dims *bias_dims, const int32_t *bias_data,
    const cmsis_nn_dims *output_dims, q7_t *output_data) {
    common("conv", ctx, input_dims, input_data, filter_dims, output_dims, output_data);
    printf(" offsets=%d,%d stride=%d,%d pad=%d,%d dilation=%d,%d act=%d,%d", (int)p->input_offset,
           (int)p->output_offset, (int)p->stride.h, (int)p->stride.w, (int)p->padding.h,
           (int)p->padding.w, (int)p->dilation.h, (int)p->dilation.w, (int)p->activation.min,
           (int)p->activation.max);
    printf(" quant=%d,%d,%d,%d bias=%d weights=%d\n", (int)q->multiplier[0], (int)q->shift[0],
           (int)q->multiplier[output_dims->c - 1], (int)q->shift[output_dims->c - 1],
           bias_data ? (int)bias_dims->c : 0, filter_data != 0);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_depthwise_conv_wrapper_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_dw_conv_params *p,
    const cmsis_nn_per_channel_quant_params *q, const cmsis_nn_dims *input_dims,
    const q7_t *input_data, const cmsis_nn_dims *filter_dims, const q7_t *filter_data,
    const cmsis_nn_dims *bias_dims, const int32_t *bias_data,
    const cmsis_nn_dims *output_dims, q7_t *output_data) {
    common("depthwise", ctx, input_dims, input_data, filter_dims, output_dims, output_data);
    printf(" offsets=%d,%d stride=%d,%d pad=%d,%d dilation=%d,%d act=%d,%d", (int)p->input_offset,
           (int)p->output_offset, (int)p->stride.h, (int)p->stride.w, (int)p->padding.h,
           (int)p->padding.w, (int)p->dilation.h, (int)p->dilation.w, (int)p->activation.min,
           (int)p->activation.max);
    printf(" quant=%d,%d,%d,%d bias=%d weights=%d mult=%d\n", (int)q->multiplier[0],
           (int)q->shift[0], (int)q->multiplier[output_dims->c - 1],
           (int)q->shift[output_dims->c - 1], bias_data ? (int)bias_dims->c : 0,
           filter_data != 0, (int)p->ch_mult);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_fully_connected_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_fc_params *p,
    const cmsis_nn_per_tensor_quant_params *q, const cmsis_nn_dims *input_dims,
    const q7_t *input_data, const cmsis_nn_dims *filter_dims, const q7_t *filter_data,
    const cmsis_nn_dims *bias_dims, const int32_t *bias_data,
    const cmsis_nn_dims *output_dims, q7_t *output_data) {
    common("fully_connected", ctx, input_dims, input_data, filter_dims, output_dims,
           output_data);
    printf(" offsets=%d,%d act=%d,%d quant=%d,%d bias=%d weights=%d\n", (int)p->input_offset,
           (int)p->output_offset, (int)p->activation.min, (int)p->activation.max,
           (int)q->multiplier, (int)q->shift, bias_data ? (int)bias_dims->c : 0,
           filter_data != 0);
    return ARM_CMSIS_NN_SUCCESS;
}

static arm_cmsis_nn_status pool(const char *kernel, const cmsis_nn_context *ctx,
                                const cmsis_nn_pool_params *p, const cmsis_nn_dims *in,
                                const q7_t *input, const cmsis_nn_dims *filter,
                                const cmsis_nn_dims *out, q7_t *output) {
    common(kernel, ctx, in, input, filter, out, output);
    printf(" stride=%d,%d pad=%d,%d act=%d,%d\n", (int)p->stride.h, (int)p->stride.w,
           (int)p->padding.h, (int)p->padding.w, (int)p->activation.min,
           (int)p->activation.max);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_avgpool_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_pool_params *p, const cmsis_nn_dims *in,
    const q7_t *input, const cmsis_nn_dims *filter, const cmsis_nn_dims *out, q7_t *output) {
    return pool("average_pool", ctx, p, in, input, filter, out, output);
}

arm_cmsis_nn_status arm_max_pool_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_pool_params *p, const cmsis_nn_dims *in,
    const q7_t *input, const cmsis_nn_dims *filter, const cmsis_nn_dims *out, q7_t *output) {
    return pool("max_pool", ctx, p, in, input, filter, out, output);
}

void arm_softmax_s8(const int8_t *input, const int32_t num_rows, const int32_t row_size,
                    const int32_t mult, const int32_t shift, const int32_t diff_min,
                    int8_t *output) {
    printf("softmax in=%ld out=%ld rows=%d,%d params=%d,%d,%d\n", at(input), at(output),
           (int)num_rows, (int)row_size, (int)mult, (int)shift, (int)diff_min);
}

arm_cmsis_nn_status arm_elementwise_add_s8(
    const int8_t *in1, const int8_t *in2, const int32_t off1, const int32_t mult1,
    const int32_t shift1, const int32_t off2, const int32_t mult2, const int32_t shift2,
    const int32_t left_shift, int8_t *output, const int32_t out_offset, const int32_t out_mult,
    const int32_t out_shift, const int32_t act_min, const int32_t act_max,
    const int32_t size) {
    printf("add in=%ld,%ld out=%ld size=%d params=%d,%d,%d,%d,%d,%d,%d,%d,%d,%d act=%d,%d\n",
           at(in1), at(in2), at(output), (int)size, (int)off1, (int)mult1, (int)shift1,
           (int)off2, (int)mult2, (int)shift2, (int)left_shift, (int)out_offset,
           (int)out_mult, (int)out_shift, (int)act_min, (int)act_max);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_elementwise_mul_s8(
    const int8_t *in1, const int8_t *in2, const int32_t off1, const int32_t off2,
    int8_t *output, const int32_t out_offset, const int32_t out_mult, const int32_t out_shift,
    const int32_t act_min, const int32_t act_max, const int32_t size) {
    printf("mul in=%ld,%ld out=%ld size=%d params=%d,%d,%d,%d,%d act=%d,%d\n", at(in1),
           at(in2), at(output), (int)size, (int)off1, (int)off2, (int)out_offset,
           (int)out_mult, (int)out_shift, (int)act_min, (int)act_max);
    return ARM_CMSIS_NN_SUCCESS;
}
