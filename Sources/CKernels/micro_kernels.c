// The innermost loops of the product: one tile of C per call, each element a chain of
// fused multiply-adds over the packed panels' steps, in order.
#include "micro_kernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f")))
static void run_avx512(long kc, const float *a, long a_row, long a_step, const float *b, float *c, long ldc, int load_c) {
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) {
        acc[i][0] = load_c ? _mm512_loadu_ps(c + i * ldc) : _mm512_setzero_ps();
        acc[i][1] = load_c ? _mm512_loadu_ps(c + i * ldc + 16) : _mm512_setzero_ps();
    }
    for (long p = 0; p < kc; p++, a += a_step, b += 32) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        for (int i = 0; i < 8; i++) {
            const __m512 ai = _mm512_set1_ps(a[i * a_row]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < 8; i++) {
        _mm512_storeu_ps(c + i * ldc, acc[i][0]);
        _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
    }
}

__attribute__((target("avx2,fma")))
static void run_avx2(long kc, const float *a, long a_row, long a_step, const float *b, float *c, long ldc, int load_c) {
    __m256 acc[6][2];
    for (int i = 0; i < 6; i++) {
        acc[i][0] = load_c ? _mm256_loadu_ps(c + i * ldc) : _mm256_setzero_ps();
        acc[i][1] = load_c ? _mm256_loadu_ps(c + i * ldc + 8) : _mm256_setzero_ps();
    }
    for (long p = 0; p < kc; p++, a += a_step, b += 16) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        for (int i = 0; i < 6; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i * a_row);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < 6; i++) {
        _mm256_storeu_ps(c + i * ldc, acc[i][0]);
        _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
    }
}

const struct micro_kernel micro_kernel_avx512 = {8, 32, run_avx512};
const struct micro_kernel micro_kernel_avx2 = {6, 16, run_avx2};
#endif

static void run_portable(long kc, const float *a, long a_row, long a_step, const float *b, float *c, long ldc, int load_c) {
    float acc[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) acc[i][j] = load_c ? c[i * ldc + j] : 0.0f;
    for (long p = 0; p < kc; p++, a += a_step, b += 8)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i * a_row], b[j], acc[i][j]);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) c[i * ldc + j] = acc[i][j];
}

const struct micro_kernel micro_kernel_portable = {4, 8, run_portable};
