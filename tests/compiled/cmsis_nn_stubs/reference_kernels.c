/* Definitions of the stand-in CMSIS-NN kernels that compute: TFLM's int8 reference
 * arithmetic (double-rounding MultiplyByQuantizedMultiplier, gemmlowp's fixed-point
 * softmax), written here for the test, so that the generated program can run on the host
 * and be compared with the numpy oracle. Not CMSIS-NN's optimized code: whether that
 * equals TFLM's reference kernels only a build with the real library can tell. */
#include <stdint.h>

#include "third_party/cmsis_nn/Include/arm_nnfunctions.h"

static int32_t srdhm(int32_t a, int32_t b) {
    const int64_t ab = (int64_t)a * b;
    const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    if (a == b && a == INT32_MIN) return INT32_MAX;
    return (int32_t)((ab + nudge) / (1LL << 31));
}

static int32_t rdbpot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static int32_t requantize(int32_t x, int32_t multiplier, int32_t shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    return rdbpot(srdhm((int32_t)((int64_t)x * (1LL << left)), multiplier), right);
}

static int32_t clamp(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

static arm_cmsis_nn_status conv(const cmsis_nn_tile *stride, const cmsis_nn_tile *pad,
                                const cmsis_nn_tile *dilation, int32_t input_offset,
                                int32_t output_offset, const cmsis_nn_activation *act,
                                const cmsis_nn_per_channel_quant_params *q, int depthwise,
                                int32_t ch_mult, const cmsis_nn_dims *in, const q7_t *input,
                                const cmsis_nn_dims *f, const q7_t *filter,
                                const int32_t *bias, const cmsis_nn_dims *out, q7_t *output) {
    for (int b = 0; b < out->n; ++b)
    for (int oy = 0; oy < out->h; ++oy)
    for (int ox = 0; ox < out->w; ++ox)
    for (int oc = 0; oc < out->c; ++oc) {
        int32_t acc = 0;
        for (int fy = 0; fy < f->h; ++fy)
        for (int fx = 0; fx < f->w; ++fx) {
            const int iy = oy * stride->h - pad->h + fy * dilation->h;
            const int ix = ox * stride->w - pad->w + fx * dilation->w;
            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) continue;
            const q7_t *pixel = input + ((b * in->h + iy) * in->w + ix) * in->c;
            if (depthwise) {
                acc += filter[(fy * f->w + fx) * f->c + oc] * (pixel[oc / ch_mult] + input_offset);
            } else {
                for (int ic = 0; ic < in->c; ++ic) {
                    acc += filter[((oc * f->h + fy) * f->w + fx) * f->c + ic]
                           * (pixel[ic] + input_offset);
                }
            }
        }
        if (bias) acc += bias[oc];
        acc = requantize(acc, q->multiplier[oc], q->shift[oc]) + output_offset;
        output[((b * out->h + oy) * out->w + ox) * out->c + oc] =
            (q7_t)clamp(acc, act->min, act->max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_convolve_wrapper_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_conv_params *p,
    const cmsis_nn_per_channel_quant_params *q, const cmsis_nn_dims *input_dims,
    const q7_t *input_data, const cmsis_nn_dims *filter_dims, const q7_t *filter_data,
    const cmsis_nn_dims *bias_dims, const int32_t *bias_data,
    const cmsis_nn_dims *output_dims, q7_t *output_data) {
    (void)ctx; (void)bias_dims;
    return conv(&p->stride, &p->padding, &p->dilation, p->input_offset, p->output_offset,
                &p->activation, q, 0, 1, input_dims, input_data, filter_dims, filter_data,
                bias_data, output_dims, output_data);
}

arm_cmsis_nn_status arm_depthwise_conv_wrapper_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_dw_conv_params *p,
    const cmsis_nn_per_channel_quant_params *q, const cmsis_nn_dims *input_dims,
    const q7_t *input_data, const cmsis_nn_dims *filter_dims, const q7_t *filter_data,
    const cmsis_nn_dims *bias_dims, const int32_t *bias_data,
    const cmsis_nn_dims *output_dims, q7_t *output_data) {
    (void)ctx; (void)bias_dims;
    return conv(&p->stride, &p->padding, &p->dilation, p->input_offset, p->output_offset,
                &p->activation, q, 1, p->ch_mult, input_dims, input_data, filter_dims,
                filter_data, bias_data, output_dims, output_data);
}

arm_cmsis_nn_status arm_fully_connected_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_fc_params *p,
    const cmsis_nn_per_tensor_quant_params *q, const cmsis_nn_dims *input_dims,
    const q7_t *input_data, const cmsis_nn_dims *filter_dims, const q7_t *filter_data,
    const cmsis_nn_dims *bias_dims, const int32_t *bias_data,
    const cmsis_nn_dims *output_dims, q7_t *output_data) {
    const int depth = filter_dims->n, units = output_dims->c;
    (void)ctx; (void)bias_dims;
    for (int b = 0; b < input_dims->n; ++b)
    for (int u = 0; u < units; ++u) {
        int32_t acc = 0;
        for (int d = 0; d < depth; ++d) {
            acc += (filter_data[u * depth + d] + p->filter_offset)
                   * (input_data[b * depth + d] + p->input_offset);
        }
        if (bias_data) acc += bias_data[u];
        acc = requantize(acc, q->multiplier, q->shift) + p->output_offset;
        output_data[b * units + u] = (q7_t)clamp(acc, p->activation.min, p->activation.max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

static arm_cmsis_nn_status pool(int average, const cmsis_nn_pool_params *p,
                                const cmsis_nn_dims *in, const q7_t *input,
                                const cmsis_nn_dims *f, const cmsis_nn_dims *out,
                                q7_t *output) {
    for (int oy = 0; oy < out->h; ++oy)
    for (int ox = 0; ox < out->w; ++ox)
    for (int c = 0; c < out->c; ++c) {
        int32_t acc = average ? 0 : -128, count = 0;
        for (int fy = 0; fy < f->h; ++fy)
        for (int fx = 0; fx < f->w; ++fx) {
            const int iy = oy * p->stride.h - p->padding.h + fy;
            const int ix = ox * p->stride.w - p->padding.w + fx;
            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) continue;
            const int32_t v = input[(iy * in->w + ix) * in->c + c];
            if (average) acc += v; else if (v > acc) acc = v;
            ++count;
        }
        if (average) {
            if (count == 0) return ARM_CMSIS_NN_ARG_ERROR;
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        }
        output[(oy * out->w + ox) * out->c + c] =
            (q7_t)clamp(acc, p->activation.min, p->activation.max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_avgpool_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_pool_params *p, const cmsis_nn_dims *in,
    const q7_t *input, const cmsis_nn_dims *filter, const cmsis_nn_dims *out, q7_t *output) {
    (void)ctx;
    return pool(1, p, in, input, filter, out, output);
}

arm_cmsis_nn_status arm_max_pool_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_pool_params *p, const cmsis_nn_dims *in,
    const q7_t *input, const cmsis_nn_dims *filter, const cmsis_nn_dims *out, q7_t *output) {
    (void)ctx;
    return pool(0, p, in, input, filter, out, output);
}

/* gemmlowp's fixed point: exp on [-1/4, 0) and on negative Q5.26, 1/(1+x) on [0, 1). */
static int32_t exp_interval(int32_t a) {
    const int32_t constant_term = 1895147668, one_third = 715827883;
    const int32_t x = a + (1 << 28);
    const int32_t x2 = srdhm(x, x), x3 = srdhm(x2, x), x4 = srdhm(x2, x2);
    const int32_t poly = rdbpot(srdhm(rdbpot(x4, 2) + x3, one_third) + x2, 1);
    return constant_term + srdhm(constant_term, x + poly);
}

static int32_t shl_saturating(int32_t x, int exponent) {
    const int64_t r = (int64_t)x * (1LL << exponent);
    return r > INT32_MAX ? INT32_MAX : (r < INT32_MIN ? INT32_MIN : (int32_t)r);
}

static int32_t exp_negative(int32_t a) {
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t a_mod = (a & (quarter - 1)) - quarter;
    int32_t result = exp_interval(shl_saturating(a_mod, 5));
    const int32_t remainder = a_mod - a;
    for (int k = 0; k < 7; ++k) {
        if (remainder & (1 << (24 + k))) result = srdhm(result, barrel[k]);
    }
    return a == 0 ? INT32_MAX : result;
}

static int32_t one_over_one_plus_x(int32_t a) {
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + srdhm(half, -1010580540);
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = (1 << 29) - srdhm(half, x);
        x = x + shl_saturating(srdhm(x, one_minus), 2);
    }
    return shl_saturating(x, 1);
}

void arm_softmax_s8(const int8_t *input, const int32_t num_rows, const int32_t row_size,
                    const int32_t mult, const int32_t shift, const int32_t diff_min,
                    int8_t *output) {
    for (int r = 0; r < num_rows; ++r) {
        const int8_t *in = input + r * row_size;
        int8_t *out = output + r * row_size;
        int32_t max = -128, sum = 0;
        for (int c = 0; c < row_size; ++c) if (in[c] > max) max = in[c];
        for (int c = 0; c < row_size; ++c) {
            const int32_t diff = in[c] - max;
            if (diff >= diff_min) sum += rdbpot(exp_negative(srdhm(diff * (1 << shift), mult)), 12);
        }
        int headroom = 0;
        while (headroom < 32 && !((uint32_t)sum & (0x80000000u >> headroom))) ++headroom;
        const int32_t scale = one_over_one_plus_x(
            (int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
        const int exponent = (12 - headroom) + 31 - 8;
        for (int c = 0; c < row_size; ++c) {
            const int32_t diff = in[c] - max;
            if (diff >= diff_min) {
                const int32_t e = exp_negative(srdhm(diff * (1 << shift), mult));
                out[c] = (int8_t)clamp(rdbpot(srdhm(scale, e), exponent) - 128, -128, 127);
            } else {
                out[c] = -128;
            }
        }
    }
}

arm_cmsis_nn_status arm_elementwise_add_s8(
    const int8_t *in1, const int8_t *in2, const int32_t off1, const int32_t mult1,
    const int32_t shift1, const int32_t off2, const int32_t mult2, const int32_t shift2,
    const int32_t left_shift, int8_t *output, const int32_t out_offset, const int32_t out_mult,
    const int32_t out_shift, const int32_t act_min, const int32_t act_max,
    const int32_t size) {
    for (int i = 0; i < size; ++i) {
        const int32_t a = rdbpot(srdhm((in1[i] + off1) * (1 << left_shift), mult1), -shift1);
        const int32_t b = rdbpot(srdhm((in2[i] + off2) * (1 << left_shift), mult2), -shift2);
        const int32_t sum = rdbpot(srdhm(a + b, out_mult), -out_shift) + out_offset;
        output[i] = (int8_t)clamp(sum, act_min, act_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_elementwise_mul_s8(
    const int8_t *in1, const int8_t *in2, const int32_t off1, const int32_t off2,
    int8_t *output, const int32_t out_offset, const int32_t out_mult, const int32_t out_shift,
    const int32_t act_min, const int32_t act_max, const int32_t size) {
    for (int i = 0; i < size; ++i) {
        const int32_t product = (in1[i] + off1) * (in2[i] + off2);
        output[i] = (int8_t)clamp(requantize(product, out_mult, out_shift) + out_offset,
                                  act_min, act_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

/* For reference_ops.cc: MultiplyByQuantizedMultiplier, and the smaller-than-one variant
 * ADD uses. */
int32_t reference_requantize(int32_t x, int32_t multiplier, int32_t shift) {
    return requantize(x, multiplier, shift);
}

int32_t reference_scale_down(int32_t x, int32_t multiplier, int32_t shift) {
    return rdbpot(srdhm(x, multiplier), -shift);
}
