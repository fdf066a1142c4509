#ifndef ANOMSYNTH_CONVOLUTION_LOWERING_H
#define ANOMSYNTH_CONVOLUTION_LOWERING_H

/// A 2-D convolution's window over NCHW images: `kernel_height x kernel_width`, moved by
/// `stride` over an image padded with `padding` zeros on every side (sizes checked by the caller).
struct anomsynth_convolution {
    long channels, height, width;
    long kernel_height, kernel_width, stride, padding;
};

/// Writes the windows of planes `[first_plane, end_plane)` (plane `c * batch + n`: channel `c`
/// of image `n`) of `batch` images as
/// columns: row `(c * kh + i) * kw + j` of the `[channels * kh * kw, batch * positions]`
/// matrix holds pixel `(c, y * stride - padding + i, x * stride - padding + j)` of every
/// output position `(y, x)` of every image (zero where that is padding).
void anomsynth_im2col(const struct anomsynth_convolution *geometry, long batch, const float *images,
                      float *columns, long first_plane, long end_plane);

/// The adjoint: sets planes `[first_plane, end_plane)` of `batch` images to the sum
/// of the column values that came from each pixel, added in window-offset order.
void anomsynth_col2im(const struct anomsynth_convolution *geometry, long batch, const float *columns,
                      float *images, long first_plane, long end_plane);

#endif
