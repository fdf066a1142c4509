// im2col and col2im, the lowering of a convolution to one matrix product, image by image
// (one image's plane stays in L1 while every window offset visits it), with the common
// strides (1 and 2) as loops of a constant stride the compiler unrolls and vectorizes.
#include "convolution_lowering.h"

#include <string.h>

/// The output columns `[first, end)` of a line whose input column `x * stride - padding + j`
/// lies inside the image (empty when none does).
static void valid_columns(const struct anomsynth_convolution *g, long out_width, long j, long *first, long *end) {
    const long reach = g->width - 1 + g->padding - j;
    *first = (g->padding - j + g->stride - 1) / g->stride;
    if (*first < 0) *first = 0;
    *end = reach < 0 ? 0 : reach / g->stride + 1;
    if (*end > out_width) *end = out_width;
    if (*first > *end) *first = *end;
}

static long output_size(long size, long kernel, long stride, long padding) {
    return (size + 2 * padding - kernel) / stride + 1;
}

void anomsynth_im2col(const struct anomsynth_convolution *g, long batch, const float *images,
                      float *columns, long first_channel, long end_channel) {
    const long out_h = output_size(g->height, g->kernel_height, g->stride, g->padding);
    const long out_w = output_size(g->width, g->kernel_width, g->stride, g->padding);
    const long total = batch * out_h * out_w, stride = g->stride;
    for (long c = first_channel; c < end_channel; c++) {
        for (long n = 0; n < batch; n++) {
            const float *plane = images + (n * g->channels + c) * g->height * g->width;
            for (long i = 0; i < g->kernel_height; i++) {
                for (long j = 0; j < g->kernel_width; j++) {
                    float *out = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * total + n * out_h * out_w;
                    long first, end;
                    valid_columns(g, out_w, j, &first, &end);
                    for (long y = 0; y < out_h; y++, out += out_w) {
                        const long source_y = y * stride - g->padding + i;
                        if (source_y < 0 || source_y >= g->height || first == end) {
                            memset(out, 0, (size_t)out_w * sizeof(float));
                            continue;
                        }
                        for (long x = 0; x < first; x++) out[x] = 0;
                        for (long x = end; x < out_w; x++) out[x] = 0;
                        const float *line = plane + source_y * g->width;
                        const long offset = j - g->padding;
                        if (stride == 1)
                            for (long x = first; x < end; x++) out[x] = line[x + offset];
                        else if (stride == 2)
                            for (long x = first; x < end; x++) out[x] = line[2 * x + offset];
                        else
                            for (long x = first; x < end; x++) out[x] = line[x * stride + offset];
                    }
                }
            }
        }
    }
}

void anomsynth_col2im(const struct anomsynth_convolution *g, long batch, const float *columns,
                      float *images, long first_channel, long end_channel) {
    const long out_h = output_size(g->height, g->kernel_height, g->stride, g->padding);
    const long out_w = output_size(g->width, g->kernel_width, g->stride, g->padding);
    const long total = batch * out_h * out_w, stride = g->stride;
    for (long c = first_channel; c < end_channel; c++) {
        for (long n = 0; n < batch; n++) {
            float *plane = images + (n * g->channels + c) * g->height * g->width;
            memset(plane, 0, (size_t)(g->height * g->width) * sizeof(float));
            for (long i = 0; i < g->kernel_height; i++) {
                for (long j = 0; j < g->kernel_width; j++) {
                    const float *in = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * total + n * out_h * out_w;
                    long first, end;
                    valid_columns(g, out_w, j, &first, &end);
                    for (long y = 0; y < out_h; y++, in += out_w) {
                        const long source_y = y * stride - g->padding + i;
                        if (source_y < 0 || source_y >= g->height || first == end) continue;
                        float *line = plane + source_y * g->width;
                        const long offset = j - g->padding;
                        if (stride == 1)
                            for (long x = first; x < end; x++) line[x + offset] += in[x];
                        else if (stride == 2)
                            for (long x = first; x < end; x++) line[2 * x + offset] += in[x];
                        else
                            for (long x = first; x < end; x++) line[x * stride + offset] += in[x];
                    }
                }
            }
        }
    }
}
