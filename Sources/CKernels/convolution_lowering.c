// im2col and col2im, the lowering of a convolution to one matrix product, plane by plane
// (one image channel stays in L1 while every window offset visits it), with the common
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

/// Handles one output line: `column` is its `out_width` values in the column matrix,
/// `pixels` the image line it reads (nil when the line lies wholly in padding), output `x`
/// in `[first, end)` at `pixels[x * stride + offset]`, padding elsewhere.
typedef void (*line_handler)(float *column, float *pixels, long first, long end, long stride, long offset, long out_width);

/// Calls `handle` for every output line of every window offset of planes
/// `[first_plane, end_plane)` (plane `c * batch + n`: channel `c` of image `n`), plane by plane
/// (one plane stays in L1 while every offset visits it), offsets in order; zeroes each plane
/// first when `zero_planes`. Inlined with a constant handler, so the lines' loops are the
/// handler's own.
__attribute__((always_inline))
static inline void for_each_line(const struct anomsynth_convolution *g, long batch, float *columns, float *images,
                                 long first_plane, long end_plane, int zero_planes, line_handler handle) {
    const long out_h = output_size(g->height, g->kernel_height, g->stride, g->padding);
    const long out_w = output_size(g->width, g->kernel_width, g->stride, g->padding);
    const long total = batch * out_h * out_w, plane_size = g->height * g->width;
    for (long q = first_plane; q < end_plane; q++) {
        const long c = q / batch, n = q % batch;
        float *plane = images + (n * g->channels + c) * plane_size;
        if (zero_planes) memset(plane, 0, (size_t)plane_size * sizeof(float));
        for (long i = 0; i < g->kernel_height; i++) {
            for (long j = 0; j < g->kernel_width; j++) {
                float *column = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * total + n * out_h * out_w;
                long first, end;
                valid_columns(g, out_w, j, &first, &end);
                for (long y = 0; y < out_h; y++, column += out_w) {
                    const long source_y = y * g->stride - g->padding + i;
                    const int inside = source_y >= 0 && source_y < g->height && first < end;
                    handle(column, inside ? plane + source_y * g->width : NULL, first, end, g->stride, j - g->padding, out_w);
                }
            }
        }
    }
}

/// im2col's line: the pixels with the common strides as constant-stride loops, zeros for padding.
static inline void copy_line(float *out, float *line, long first, long end, long stride, long offset, long out_w) {
    if (!line) {
        memset(out, 0, (size_t)out_w * sizeof(float));
        return;
    }
    for (long x = 0; x < first; x++) out[x] = 0;
    for (long x = end; x < out_w; x++) out[x] = 0;
    if (stride == 1)
        for (long x = first; x < end; x++) out[x] = line[x + offset];
    else if (stride == 2)
        for (long x = first; x < end; x++) out[x] = line[2 * x + offset];
    else
        for (long x = first; x < end; x++) out[x] = line[x * stride + offset];
}

/// col2im's line: adds the column values back into the pixels they came from.
static inline void add_line(float *in, float *line, long first, long end, long stride, long offset, long out_w) {
    (void)out_w;
    if (!line) return;
    if (stride == 1)
        for (long x = first; x < end; x++) line[x + offset] += in[x];
    else if (stride == 2)
        for (long x = first; x < end; x++) line[2 * x + offset] += in[x];
    else
        for (long x = first; x < end; x++) line[x * stride + offset] += in[x];
}

void anomsynth_im2col(const struct anomsynth_convolution *g, long batch, const float *images,
                      float *columns, long first_plane, long end_plane) {
    // The images are only read (copy_line never writes `line`).
    for_each_line(g, batch, columns, (float *)images, first_plane, end_plane, 0, copy_line);
}

void anomsynth_col2im(const struct anomsynth_convolution *g, long batch, const float *columns,
                      float *images, long first_plane, long end_plane) {
    // The columns are only read (add_line never writes `in`).
    for_each_line(g, batch, (float *)columns, images, first_plane, end_plane, 1, add_line);
}
