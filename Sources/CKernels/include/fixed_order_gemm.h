#ifndef ANOMSYNTH_FIXED_ORDER_GEMM_H
#define ANOMSYNTH_FIXED_ORDER_GEMM_H

/// A single-precision matrix product whose every result element is one chain of fused
/// multiply-adds in the order of the inner index, whatever the CPU:
///
///     c = accumulate ? C[i][j] : 0;  for p in 0 ..< k: c = fma(A[i][p], B[p][j], c)
///
/// Vector units only work on different elements side by side (never split one sum), so
/// the AVX-512, AVX2 and portable kernels give the same bits, and so does any split of the
/// rows or columns over threads. `A` is `[m, k]` (`[k, m]` when `transpose_a`), `B` is
/// `[k, n]` (`[n, k]` when `transpose_b`), `C` is `[m, n]`, all row-major with leading
/// dimensions `lda`, `ldb`, `ldc`.
void anomsynth_gemm(long m, long n, long k,
                    const float *a, long lda, int transpose_a,
                    const float *b, long ldb, int transpose_b,
                    float *c, long ldc, int accumulate);

/// The instruction sets the kernels use, fastest first.
enum anomsynth_gemm_isa { ANOMSYNTH_GEMM_AVX512 = 0, ANOMSYNTH_GEMM_AVX2 = 1, ANOMSYNTH_GEMM_PORTABLE = 2 };

/// The instruction set `anomsynth_gemm` uses now.
enum anomsynth_gemm_isa anomsynth_gemm_current_isa(void);

/// Whether this CPU can run `isa`.
int anomsynth_gemm_supports(enum anomsynth_gemm_isa isa);

/// Makes `anomsynth_gemm`, and the convolution lowering's vector path (AVX-512 only), use
/// `isa` (for tests that compare the kernels); returns 0 and changes nothing when the CPU
/// cannot run it. Not thread-safe: call before any product.
int anomsynth_gemm_use(enum anomsynth_gemm_isa isa);

#endif
