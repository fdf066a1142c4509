// The product's blocking (after Goto and van de Geijn): panels of B and blocks of a
// transposed A are packed into contiguous, zero-padded buffers sized for the caches (a
// non-transposed A is read in place), and a micro-kernel runs over them tile by tile.
// Blocking only cuts each element's chain into pieces that resume from the stored partial
// sum, so it never changes a result.
#include "fixed_order_gemm.h"
#include "micro_kernels.h"

#include <stdlib.h>
#include <string.h>

enum {
    /// Steps of the inner index per packed panel (a kernel's B panel stays in L1).
    STEP_BLOCK = 256,
    /// Rows of A per block (kept in L2); a multiple of every kernel's tile rows.
    ROW_BLOCK = 48,
    /// Columns of B per packed panel (kept in L3); a multiple of every kernel's tile columns.
    COLUMN_BLOCK = 1024,
    /// The largest tile of any kernel, for partial tiles at the edges.
    MAX_TILE = 8 * 32,
};

static long min_long(long x, long y) { return x < y ? x : y; }
static long round_up(long x, long multiple) { return (x + multiple - 1) / multiple * multiple; }

typedef float float4 __attribute__((ext_vector_type(4)));

static float4 load4(const float *from) {
    float4 v;
    memcpy(&v, from, sizeof v);
    return v;
}

static void store4(float *to, float4 v) { memcpy(to, &v, sizeof v); }

/// Copies `count` (at most `tile`) rows of `steps` values, `ld` apart, into `steps` groups
/// of `tile` values (row `r`'s value of step `p` at `out[p * tile + r]`), zero past `count`:
/// four rows by four steps at a time, transposed in vector registers.
static void pack_transposing(const float *from, long ld, long count, long steps, int tile, float *out) {
    long r = 0;
    for (; r + 4 <= count; r += 4) {
        const float *row0 = from + r * ld, *row1 = row0 + ld, *row2 = row1 + ld, *row3 = row2 + ld;
        long p = 0;
        for (; p + 4 <= steps; p += 4) {
            const float4 a0 = load4(row0 + p), a1 = load4(row1 + p), a2 = load4(row2 + p), a3 = load4(row3 + p);
            const float4 low01 = __builtin_shufflevector(a0, a1, 0, 4, 1, 5), high01 = __builtin_shufflevector(a0, a1, 2, 6, 3, 7);
            const float4 low23 = __builtin_shufflevector(a2, a3, 0, 4, 1, 5), high23 = __builtin_shufflevector(a2, a3, 2, 6, 3, 7);
            store4(out + p * tile + r, __builtin_shufflevector(low01, low23, 0, 1, 4, 5));
            store4(out + (p + 1) * tile + r, __builtin_shufflevector(low01, low23, 2, 3, 6, 7));
            store4(out + (p + 2) * tile + r, __builtin_shufflevector(high01, high23, 0, 1, 4, 5));
            store4(out + (p + 3) * tile + r, __builtin_shufflevector(high01, high23, 2, 3, 6, 7));
        }
        for (; p < steps; p++)
            for (long q = 0; q < 4; q++) out[p * tile + r + q] = from[(r + q) * ld + p];
    }
    for (; r < count; r++)
        for (long p = 0; p < steps; p++) out[p * tile + r] = from[r * ld + p];
    for (; r < tile; r++)
        for (long p = 0; p < steps; p++) out[p * tile + r] = 0;
}

/// Copies `steps` rows of `count` (at most `tile`) values, `ld` apart, into groups of
/// `tile`, zero past `count`. A full tile row is a copy of a constant size, which the
/// compiler inlines (a loop or a `memcpy` of a variable size becomes a call per row).
static void pack_copying(const float *from, long ld, long count, long steps, int tile, float *out) {
#define COPY_ROWS(width) \
    for (long p = 0; p < steps; p++) memcpy(out + p * (width), from + p * ld, (width) * sizeof(float)); \
    return
    if (count == tile) {
        switch (tile) {
        case 32: COPY_ROWS(32);
        case 16: COPY_ROWS(16);
        case 8: COPY_ROWS(8);
        case 6: COPY_ROWS(6);
        case 4: COPY_ROWS(4);
        default: break;
        }
    }
#undef COPY_ROWS
    for (long p = 0; p < steps; p++, from += ld, out += tile) {
        long j = 0;
        for (; j < count; j++) out[j] = from[j];
        for (; j < tile; j++) out[j] = 0;
    }
}

/// Packs rows `[row, row + rows)` and steps `[step, step + steps)` of A into tiles of
/// `tile` rows, each stored step by step (`tile` values per step), zero past the last row;
/// of a non-transposed A only a partial last tile (the kernel reads full ones in place).
static void pack_a(const float *a, long lda, int transposed, long row, long rows, long step, long steps,
                   int tile, float *out) {
    for (long first = 0; first < rows; first += tile, out += steps * tile) {
        const long count = min_long(tile, rows - first);
        if (transposed)
            pack_copying(a + step * lda + row + first, lda, count, steps, tile, out);
        else if (count < tile)
            pack_transposing(a + (row + first) * lda + step, lda, count, steps, tile, out);
        // A full tile of a non-transposed A is read in place by the kernel (see `multiply`).
    }
}

/// Packs steps `[step, step + steps)` and columns `[column, column + columns)` of B into
/// tiles of `tile` columns, each stored step by step, zero past the last column.
static void pack_b(const float *b, long ldb, int transposed, long step, long steps, long column, long columns,
                   int tile, float *out) {
    for (long first = 0; first < columns; first += tile, out += steps * tile) {
        const long count = min_long(tile, columns - first);
        if (transposed)
            pack_transposing(b + (column + first) * ldb + step, ldb, count, steps, tile, out);
        else
            pack_copying(b + step * ldb + column + first, ldb, count, steps, tile, out);
    }
}

/// Runs the kernel on a tile that sticks out of C: through a full-size copy of its corner.
static void run_partial_tile(const struct micro_kernel *kernel, long steps, const float *a, long a_row, long a_step,
                             const float *b, float *c, long ldc, long rows, long columns, int load_c) {
    float tile[MAX_TILE] = {0};
    const long width = kernel->columns;
    if (load_c)
        for (long i = 0; i < rows; i++) memcpy(tile + i * width, c + i * ldc, (size_t)columns * sizeof(float));
    kernel->run(steps, a, a_row, a_step, b, tile, width, load_c);
    for (long i = 0; i < rows; i++) memcpy(c + i * ldc, tile + i * width, (size_t)columns * sizeof(float));
}

static void multiply(const struct micro_kernel *kernel, long m, long n, long k,
                     const float *a, long lda, int transpose_a, const float *b, long ldb, int transpose_b,
                     float *c, long ldc, int accumulate) {
    const int tile_rows = kernel->rows, tile_columns = kernel->columns;
    const long step_block = min_long(k, STEP_BLOCK);
    const size_t a_size = (size_t)(round_up(min_long(m, ROW_BLOCK), tile_rows) * step_block) * sizeof(float);
    const size_t b_size = (size_t)(round_up(min_long(n, COLUMN_BLOCK), tile_columns) * step_block) * sizeof(float);
    float *packed_a = aligned_alloc(64, (size_t)round_up((long)a_size, 64));
    float *packed_b = aligned_alloc(64, (size_t)round_up((long)b_size, 64));
    if (!packed_a || !packed_b) abort();
    for (long column = 0; column < n; column += COLUMN_BLOCK) {
        const long columns = min_long(COLUMN_BLOCK, n - column);
        for (long step = 0; step < k; step += STEP_BLOCK) {
            const long steps = min_long(STEP_BLOCK, k - step);
            const int load_c = accumulate || step > 0;
            pack_b(b, ldb, transpose_b, step, steps, column, columns, tile_columns, packed_b);
            for (long row = 0; row < m; row += ROW_BLOCK) {
                const long rows = min_long(ROW_BLOCK, m - row);
                pack_a(a, lda, transpose_a, row, rows, step, steps, tile_rows, packed_a);
                for (long j = 0; j < columns; j += tile_columns) {
                    const float *panel_b = packed_b + j * steps;
                    for (long i = 0; i < rows; i += tile_rows) {
                        float *corner = c + (row + i) * ldc + column + j;
                        const long tile_m = min_long(tile_rows, rows - i), tile_n = min_long(tile_columns, columns - j);
                        // A's panel: A itself (a non-transposed, full tile) or its packed copy.
                        const int in_place = !transpose_a && tile_m == tile_rows;
                        const float *panel_a = in_place ? a + (row + i) * lda + step : packed_a + i * steps;
                        const long a_row = in_place ? lda : 1, a_step = in_place ? 1 : tile_rows;
                        if (tile_m == tile_rows && tile_n == tile_columns)
                            kernel->run(steps, panel_a, a_row, a_step, panel_b, corner, ldc, load_c);
                        else
                            run_partial_tile(kernel, steps, panel_a, a_row, a_step, panel_b, corner, ldc, tile_m, tile_n,
                                             load_c);
                    }
                }
            }
        }
    }
    free(packed_a);
    free(packed_b);
}

/// A product with at most half a tile's columns (most of each tile would be padding), as
/// its transpose `Cᵀ = Bᵀ Aᵀ` (which fills the tiles) through a scratch copy of `Cᵀ`.
/// `fma(a, b, c) == fma(b, a, c)`, so every element's chain, and its bits, are the same.
static void multiply_transposed(const struct micro_kernel *kernel, long m, long n, long k,
                                const float *a, long lda, int transpose_a, const float *b, long ldb,
                                int transpose_b, float *c, long ldc, int accumulate) {
    float *scratch = malloc((size_t)(m * n) * sizeof(float));
    if (!scratch) abort();
    if (accumulate)
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) scratch[j * m + i] = c[i * ldc + j];
    multiply(kernel, n, m, k, b, ldb, !transpose_b, a, lda, !transpose_a, scratch, m, accumulate);
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = scratch[j * m + i];
    free(scratch);
}

int anomsynth_gemm_supports(enum anomsynth_gemm_isa isa) {
    switch (isa) {
#if defined(__x86_64__)
    case ANOMSYNTH_GEMM_AVX512: return __builtin_cpu_supports("avx512f");
    case ANOMSYNTH_GEMM_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    case ANOMSYNTH_GEMM_PORTABLE: return 1;
    default: return 0;
    }
}

/// -1 until the first product picks the fastest instruction set the CPU has.
static int chosen_isa = -1;

enum anomsynth_gemm_isa anomsynth_gemm_current_isa(void) {
    int isa = __atomic_load_n(&chosen_isa, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = ANOMSYNTH_GEMM_PORTABLE;
        for (int candidate = ANOMSYNTH_GEMM_AVX512; candidate < ANOMSYNTH_GEMM_PORTABLE; candidate++)
            if (anomsynth_gemm_supports((enum anomsynth_gemm_isa)candidate)) { isa = candidate; break; }
        __atomic_store_n(&chosen_isa, isa, __ATOMIC_RELAXED);
    }
    return (enum anomsynth_gemm_isa)isa;
}

int anomsynth_gemm_use(enum anomsynth_gemm_isa isa) {
    if (!anomsynth_gemm_supports(isa)) return 0;
    __atomic_store_n(&chosen_isa, (int)isa, __ATOMIC_RELAXED);
    return 1;
}

void anomsynth_gemm(long m, long n, long k, const float *a, long lda, int transpose_a,
                    const float *b, long ldb, int transpose_b, float *c, long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    const struct micro_kernel *kernel = &micro_kernel_portable;
#if defined(__x86_64__)
    switch (anomsynth_gemm_current_isa()) {
    case ANOMSYNTH_GEMM_AVX512: kernel = &micro_kernel_avx512; break;
    case ANOMSYNTH_GEMM_AVX2: kernel = &micro_kernel_avx2; break;
    default: break;
    }
#endif
    if (2 * n <= kernel->columns && n < m) {
        multiply_transposed(kernel, m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc, accumulate);
    } else {
        multiply(kernel, m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc, accumulate);
    }
}
