#ifndef ANOMSYNTH_TREE_SHAP_H
#define ANOMSYNTH_TREE_SHAP_H

#include <stdint.h>

/// Adds to `phi` (`row_count x columns`, row-major) each column's exact Shapley value, for
/// each row of `rows` (`row_count x columns`, row-major), of every tree's leaf value: depth
/// plus `leaf_value` (path-dependent TreeSHAP, Lundberg et al. 2018, Algorithm 2: a column left
/// out follows both branches in proportion to the training rows that took them), summed over
/// the trees in root order. The forest is in flat arrays, node `i`: its split column (-1 for a
/// leaf), the split value (a row goes left when its value is below it), its children, the
/// training rows that reached it, and a leaf's value added to its depth (an isolation forest's
/// c(n)); `height` bounds the levels from a root to a leaf. Returns 0, or -1 when the path
/// buffer cannot be allocated.
int anomsynth_forest_path_shapley(const int32_t *column, const float *value, const int32_t *left, const int32_t *right,
                                  const int32_t *size, const double *leaf_value, const int32_t *roots, int32_t trees,
                                  int32_t height, const float *rows, long row_count, long columns, double *phi);

#endif
