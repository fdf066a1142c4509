#ifndef ANOMSYNTH_TREE_SHAP_H
#define ANOMSYNTH_TREE_SHAP_H

#include <stdint.h>

/// A forest of binary trees in flat arrays, node `i`: its split column (-1 for a leaf), the
/// split value (a row goes left when its value is below it), its children, the training rows
/// that reached it, and for a leaf the value added to its depth (an isolation forest's c(n)).
struct anomsynth_forest {
    const int32_t *column;
    const float *value;
    const int32_t *left, *right, *size;
    const double *leaf_value;
    const int32_t *roots;
    int32_t trees;
    /// Levels from a root to its deepest leaf, at most (bounds the path buffer).
    int32_t height;
};

/// Adds to `phi` (one per column) each column's exact Shapley value of every tree's leaf
/// value, depth plus `leaf_value` (path-dependent TreeSHAP, Lundberg et al. 2018, Algorithm 2:
/// a column left out follows both branches in proportion to the training rows that took
/// them), for the row `x`. Sums over the trees, in root order. Returns 0, or -1 when the path
/// buffer cannot be allocated.
int anomsynth_forest_path_shapley(const struct anomsynth_forest *forest, const float *x, double *phi);

#endif
