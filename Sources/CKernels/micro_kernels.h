#ifndef ANOMSYNTH_MICRO_KERNELS_H
#define ANOMSYNTH_MICRO_KERNELS_H

/// Multiplies a `rows x kc` panel of A (row `r`'s value of step `p` at `a[r * a_row + p * a_step]`:
/// packed, `a_row = 1, a_step = rows`; or A itself, `a_row = lda, a_step = 1`) by a packed
/// `kc x columns` panel of B (`columns` values per step) into a full `rows x columns` tile of
/// C (row stride `ldc`), starting each element from C's value when `load_c`, else from 0.
typedef void (*micro_kernel_fn)(long kc, const float *a, long a_row, long a_step, const float *b, float *c, long ldc,
                                int load_c);

/// A micro-kernel and its tile.
struct micro_kernel {
    int rows;
    int columns;
    micro_kernel_fn run;
};

#if defined(__x86_64__)
/// 8 x 32 tile in sixteen 512-bit accumulators.
extern const struct micro_kernel micro_kernel_avx512;
/// 6 x 16 tile in twelve 256-bit accumulators.
extern const struct micro_kernel micro_kernel_avx2;
#endif
/// 4 x 8 tile in plain C with `fmaf`, for every other CPU.
extern const struct micro_kernel micro_kernel_portable;

#endif
