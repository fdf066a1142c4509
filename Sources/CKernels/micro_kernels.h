#ifndef ANOMSYNTH_MICRO_KERNELS_H
#define ANOMSYNTH_MICRO_KERNELS_H

/// Multiplies a packed `rows x kc` panel of A (k-major: `rows` values per step) by a packed
/// `kc x columns` panel of B (`columns` values per step) into a full `rows x columns` tile of
/// C (row stride `ldc`), starting each element from C's value when `load_c`, else from 0.
typedef void (*micro_kernel_fn)(long kc, const float *a, const float *b, float *c, long ldc, int load_c);

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
