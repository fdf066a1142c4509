#include "tree_shap.h"

#include <stdlib.h>
#include <string.h>

/// The forest, as `anomsynth_forest_path_shapley` receives it.
struct forest {
    const int32_t *column;
    const float *value;
    const int32_t *left, *right, *size;
    const double *leaf_value;
};

/// One split of the path: its column, the share of rows that follow it when the column is
/// left out (`zero`) or known (`one`, 0 or 1), and the permutation weight.
struct path_element {
    int32_t feature;
    double zero, one, weight;
};

/// Appends a split (elements 0..<unique before, 0...unique after), moving every subset
/// size's weight along.
static void extend_path(struct path_element *m, int unique, double zero, double one, int32_t feature) {
    m[unique].feature = feature;
    m[unique].zero = zero;
    m[unique].one = one;
    m[unique].weight = unique == 0 ? 1.0 : 0.0;
    for (int i = unique - 1; i >= 0; i--) {
        m[i + 1].weight += one * m[i].weight * (double)(i + 1) / (double)(unique + 1);
        m[i].weight = zero * m[i].weight * (double)(unique - i) / (double)(unique + 1);
    }
}

/// Removes element `index` (of 0...unique): `extend_path` undone.
static void unwind_path(struct path_element *m, int unique, int index) {
    const double zero = m[index].zero, one = m[index].one;
    double next = m[unique].weight;
    for (int i = unique - 1; i >= 0; i--) {
        if (one != 0) {
            const double t = m[i].weight;
            m[i].weight = next * (double)(unique + 1) / ((double)(i + 1) * one);
            next = t - m[i].weight * zero * (double)(unique - i) / (double)(unique + 1);
        } else {
            m[i].weight = m[i].weight * (double)(unique + 1) / (zero * (double)(unique - i));
        }
    }
    for (int i = index; i < unique; i++) {
        m[i].feature = m[i + 1].feature;
        m[i].zero = m[i + 1].zero;
        m[i].one = m[i + 1].one;
    }
}

/// The total weight of the path without element `index`, leaving it as it is.
static double unwound_sum(const struct path_element *m, int unique, int index) {
    const double zero = m[index].zero, one = m[index].one;
    double next = m[unique].weight, total = 0;
    for (int i = unique - 1; i >= 0; i--) {
        if (one != 0) {
            const double t = next * (double)(unique + 1) / ((double)(i + 1) * one);
            total += t;
            next = m[i].weight - t * zero * (double)(unique - i) / (double)(unique + 1);
        } else if (zero != 0) {
            total += m[i].weight / zero * (double)(unique + 1) / (double)(unique - i);
        }
    }
    return total;
}

/// The shares of `node`'s training rows that went left and right (halves when it has none).
static void cover_shares(const struct forest *f, int32_t node, double *left, double *right) {
    const double total = (double)f->size[node];
    if (total > 0) {
        *left = (double)f->size[f->left[node]] / total;
        *right = (double)f->size[f->right[node]] / total;
    } else {
        *left = *right = 0.5;
    }
}

/// This node's path is the parent's (elements 0...parent_depth at `parent`) extended by the
/// split that led here, written just after it.
static void recurse(const struct forest *f, const float *x, int32_t node, struct path_element *parent,
                    int parent_depth, double zero, double one, int32_t feature, int depth, double *phi) {
    struct path_element *m = parent + parent_depth + 1;
    if (parent_depth >= 0) memcpy(m, parent, sizeof(struct path_element) * (size_t)(parent_depth + 1));
    int unique = parent_depth + 1;
    extend_path(m, unique, zero, one, feature);
    const int32_t split = f->column[node];
    if (split < 0) {
        const double v = (double)depth + f->leaf_value[node];
        for (int i = 1; i <= unique; i++) phi[m[i].feature] += unwound_sum(m, unique, i) * (m[i].one - m[i].zero) * v;
        return;
    }
    const int goes_left = x[split] < f->value[node];
    const int32_t hot = goes_left ? f->left[node] : f->right[node], cold = goes_left ? f->right[node] : f->left[node];
    double left_share, right_share;
    cover_shares(f, node, &left_share, &right_share);
    const double hot_share = goes_left ? left_share : right_share, cold_share = goes_left ? right_share : left_share;
    double incoming_zero = 1, incoming_one = 1;
    for (int k = 1; k <= unique; k++) {
        if (m[k].feature == split) {
            incoming_zero = m[k].zero;
            incoming_one = m[k].one;
            unwind_path(m, unique, k);
            unique--;
            break;
        }
    }
    recurse(f, x, hot, m, unique, incoming_zero * hot_share, incoming_one, split, depth + 1, phi);
    // A branch no training row took, with the column known to go the other way, adds nothing.
    if (incoming_zero * cold_share > 0) recurse(f, x, cold, m, unique, incoming_zero * cold_share, 0, split, depth + 1, phi);
}

int anomsynth_forest_path_shapley(const int32_t *column, const float *value, const int32_t *left, const int32_t *right,
                                  const int32_t *size, const double *leaf_value, const int32_t *roots, int32_t trees,
                                  int32_t height, const float *rows, long row_count, long columns, double *phi) {
    const struct forest f = {column, value, left, right, size, leaf_value};
    const size_t levels = (size_t)height + 2;
    struct path_element *buffer = malloc(sizeof(struct path_element) * levels * (levels + 1) / 2);
    if (!buffer) return -1;
    for (long r = 0; r < row_count; r++) {
        for (int32_t t = 0; t < trees; t++) recurse(&f, rows + r * columns, roots[t], buffer, -1, 1, 1, -1, 0, phi + r * columns);
    }
    free(buffer);
    return 0;
}
