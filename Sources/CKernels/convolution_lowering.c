// im2col and col2im, the lowering of a convolution to one matrix product, plane by plane
// (one image channel stays in L1 while every window offset visits it) and line by line: an
// image line is read once for all the kernel columns that use it. Lines of at most 32 pixels
// (16 outputs) sit in two AVX-512 registers, and each kernel column's outputs are one permute
// away; other lines use loops of a constant stride. Both paths give the same bits: the copies
// are exact, and col2im adds each pixel's values in window-offset order either way.
#include "convolution_lowering.h"
#include "fixed_order_gemm.h"

#include <stdlib.h>
#include <string.h>

enum {
    /// Image lines at most this wide (two AVX-512 registers), with at most half as many outputs, take the vector path.
    VECTOR_LINE = 32,
};

static long output_size(long size, long kernel, long stride, long padding) {
    return (size + 2 * padding - kernel) / stride + 1;
}

/// Handles one output line `y` of one kernel row `i` of one plane, for every kernel column
/// `j`: `columns` is its `out_width` values for `j = 0` in the column matrix (`j`'s are
/// `j * row_stride` further on), `line` the image line it reads (nil when the line lies in
/// the padding), `padded` a buffer of the padded line's width, whose padding is zero.
typedef void (*line_handler)(const struct anomsynth_convolution *g, float *columns, long row_stride, float *line,
                             float *padded, long out_width);

/// Calls `handle` for every output line of every kernel row of planes `[first_plane,
/// end_plane)` (plane `c * batch + n`: channel `c` of image `n`), plane by plane (one plane
/// stays in L1 while every offset visits it), kernel rows in order; zeroes each plane first
/// when `zero_planes`. Inlined with a constant handler, so the lines' loops are the handler's own.
__attribute__((always_inline))
static inline void for_each_line(const struct anomsynth_convolution *g, long batch, float *columns, float *images,
                                 long first_plane, long end_plane, int zero_planes, line_handler handle) {
    const long out_h = output_size(g->height, g->kernel_height, g->stride, g->padding);
    const long out_w = output_size(g->width, g->kernel_width, g->stride, g->padding);
    const long total = batch * out_h * out_w, plane_size = g->height * g->width;
    float *padded = calloc((size_t)(g->width + 2 * g->padding), sizeof(float));
    if (!padded) abort();
    for (long q = first_plane; q < end_plane; q++) {
        const long c = q / batch, n = q % batch;
        float *plane = images + (n * g->channels + c) * plane_size;
        if (zero_planes) memset(plane, 0, (size_t)plane_size * sizeof(float));
        for (long i = 0; i < g->kernel_height; i++) {
            float *column = columns + (c * g->kernel_height + i) * g->kernel_width * total + n * out_h * out_w;
            for (long y = 0; y < out_h; y++, column += out_w) {
                const long source_y = y * g->stride - g->padding + i;
                const int inside = source_y >= 0 && source_y < g->height;
                handle(g, column, total, inside ? plane + source_y * g->width : NULL, padded, out_w);
            }
        }
    }
    free(padded);
}

/// im2col's line: the padded image line once, then every kernel column's values from it,
/// with the common strides as constant-stride loops.
static inline void copy_line(const struct anomsynth_convolution *g, float *columns, long row_stride, float *line,
                             float *padded, long out_w) {
    if (!line) {
        for (long j = 0; j < g->kernel_width; j++) memset(columns + j * row_stride, 0, (size_t)out_w * sizeof(float));
        return;
    }
    memcpy(padded + g->padding, line, (size_t)g->width * sizeof(float));
    for (long j = 0; j < g->kernel_width; j++) {
        float *out = columns + j * row_stride;
        const float *from = padded + j;
        if (g->stride == 1)
            for (long x = 0; x < out_w; x++) out[x] = from[x];
        else if (g->stride == 2)
            for (long x = 0; x < out_w; x++) out[x] = from[2 * x];
        else
            for (long x = 0; x < out_w; x++) out[x] = from[x * g->stride];
    }
}

/// col2im's line: adds every kernel column's values, in order, into the padded line, then
/// stores its inside back (each pixel receives its values in window-offset order).
static inline void add_line(const struct anomsynth_convolution *g, float *columns, long row_stride, float *line,
                            float *padded, long out_w) {
    if (!line) return;
    memcpy(padded + g->padding, line, (size_t)g->width * sizeof(float));
    for (long j = 0; j < g->kernel_width; j++) {
        const float *in = columns + j * row_stride;
        float *to = padded + j;
        if (g->stride == 1)
            for (long x = 0; x < out_w; x++) to[x] += in[x];
        else if (g->stride == 2)
            for (long x = 0; x < out_w; x++) to[2 * x] += in[x];
        else
            for (long x = 0; x < out_w; x++) to[x * g->stride] += in[x];
    }
    memcpy(line, padded + g->padding, (size_t)g->width * sizeof(float));
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Whether the lines fit the AVX-512 path: an image line in two registers, an output line
/// in one, stride 1 or 2.
static int takes_vector_path(const struct anomsynth_convolution *g) {
    const long out_w = output_size(g->width, g->kernel_width, g->stride, g->padding);
    return g->width <= VECTOR_LINE && out_w <= VECTOR_LINE / 2 && g->stride <= 2 &&
           anomsynth_gemm_current_isa() == ANOMSYNTH_GEMM_AVX512;
}

/// The image columns that outputs `x < out_w` of kernel column `j` read (`x * stride + j -
/// padding`, those inside the image), as a 32-bit mask.
static unsigned columns_read(const struct anomsynth_convolution *g, long out_w, long j) {
    const unsigned long long every = g->stride == 1 ? ~0ull : 0x5555555555555555ull;
    const unsigned long long padded = (every & ((1ull << (g->stride * out_w)) - 1)) << j;  // in padded coordinates
    return (unsigned)((padded >> g->padding) & ((1ull << g->width) - 1));
}

static const int lane_numbers[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/// copy_line on an image line held in two registers: one permute and one store per kernel
/// column (padding lanes zeroed by the permute's mask).
__attribute__((target("avx512f"), always_inline))
static inline void copy_line_avx512(const struct anomsynth_convolution *g, float *columns, long row_stride, float *line,
                                    float *padded, long out_w) {
    (void)padded;
    const __mmask16 store = (__mmask16)((1u << out_w) - 1);
    if (!line) {
        for (long j = 0; j < g->kernel_width; j++) _mm512_mask_storeu_ps(columns + j * row_stride, store, _mm512_setzero_ps());
        return;
    }
    const unsigned inside = (unsigned)((1ull << g->width) - 1);
    const __m512 low = _mm512_maskz_loadu_ps((__mmask16)inside, line);
    const __m512 high = g->width > 16 ? _mm512_maskz_loadu_ps((__mmask16)(inside >> 16), line + 16) : _mm512_setzero_ps();
    const __m512i lanes = _mm512_loadu_si512(lane_numbers);
    const __m512i first = g->stride == 2 ? _mm512_slli_epi32(lanes, 1) : lanes;  // x * stride
    const __m512i width = _mm512_set1_epi32((int)g->width);
    for (long j = 0; j < g->kernel_width; j++) {
        const __m512i from = _mm512_add_epi32(first, _mm512_set1_epi32((int)(j - g->padding)));  // image columns read
        const __mmask16 valid = _mm512_cmpge_epi32_mask(from, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(from, width);
        _mm512_mask_storeu_ps(columns + j * row_stride, store, _mm512_maskz_permutex2var_ps(valid, low, from, high));
    }
}

/// add_line on an image line held in two registers: each kernel column's values moved to
/// the columns they add to, and added there alone (masked, so other lanes keep their bits).
__attribute__((target("avx512f"), always_inline))
static inline void add_line_avx512(const struct anomsynth_convolution *g, float *columns, long row_stride, float *line,
                                   float *padded, long out_w) {
    (void)padded;
    if (!line) return;
    const unsigned inside = (unsigned)((1ull << g->width) - 1);
    __m512 low = _mm512_maskz_loadu_ps((__mmask16)inside, line);
    __m512 high = g->width > 16 ? _mm512_maskz_loadu_ps((__mmask16)(inside >> 16), line + 16) : _mm512_setzero_ps();
    const __mmask16 load = (__mmask16)((1u << out_w) - 1);
    const __m512i lanes = _mm512_loadu_si512(lane_numbers);
    const __m512i upper = _mm512_add_epi32(lanes, _mm512_set1_epi32(16));
    const int shift = g->stride == 2;
    for (long j = 0; j < g->kernel_width; j++) {
        const __m512 in = _mm512_maskz_loadu_ps(load, columns + j * row_stride);
        // Image column L takes output (L + padding - j) / stride, where that is one of this kernel column's.
        const __m512i offset = _mm512_set1_epi32((int)(g->padding - j));
        const __m512i from_low = _mm512_srai_epi32(_mm512_add_epi32(lanes, offset), shift);
        const __m512i from_high = _mm512_srai_epi32(_mm512_add_epi32(upper, offset), shift);
        const unsigned hit = columns_read(g, out_w, j);
        low = _mm512_mask_add_ps(low, (__mmask16)hit, low, _mm512_permutexvar_ps(from_low, in));
        high = _mm512_mask_add_ps(high, (__mmask16)(hit >> 16), high, _mm512_permutexvar_ps(from_high, in));
    }
    _mm512_mask_storeu_ps(line, (__mmask16)inside, low);
    if (g->width > 16) _mm512_mask_storeu_ps(line + 16, (__mmask16)(inside >> 16), high);
}

__attribute__((target("avx512f")))
static void im2col_avx512(const struct anomsynth_convolution *g, long batch, float *columns, float *images,
                          long first_plane, long end_plane) {
    for_each_line(g, batch, columns, images, first_plane, end_plane, 0, copy_line_avx512);
}

__attribute__((target("avx512f")))
static void col2im_avx512(const struct anomsynth_convolution *g, long batch, float *columns, float *images,
                          long first_plane, long end_plane) {
    for_each_line(g, batch, columns, images, first_plane, end_plane, 1, add_line_avx512);
}
#endif

void anomsynth_im2col(const struct anomsynth_convolution *g, long batch, const float *images,
                      float *columns, long first_plane, long end_plane) {
    // The images are only read (the line handlers never write `line`).
#if defined(__x86_64__)
    if (takes_vector_path(g)) {
        im2col_avx512(g, batch, columns, (float *)images, first_plane, end_plane);
        return;
    }
#endif
    for_each_line(g, batch, columns, (float *)images, first_plane, end_plane, 0, copy_line);
}

void anomsynth_col2im(const struct anomsynth_convolution *g, long batch, const float *columns,
                      float *images, long first_plane, long end_plane) {
    // The columns are only read (the line handlers never write them).
#if defined(__x86_64__)
    if (takes_vector_path(g)) {
        col2im_avx512(g, batch, (float *)columns, images, first_plane, end_plane);
        return;
    }
#endif
    for_each_line(g, batch, (float *)columns, images, first_plane, end_plane, 1, add_line);
}
