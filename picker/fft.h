// fft.h: a small in-place complex FFT (iterative radix-2 Cooley-Tukey) for the simulator's CTF.
//
//   forward:  X[k] = sum_n x[n] exp(-2 pi i k n / N)
//   inverse:  x[n] = (1/N) sum_k X[k] exp(+2 pi i k n / N)
// N must be a power of two; the simulator pads other sizes. 2-D transforms do every row, then every column
// (row-major data, ny rows of nx). Frequencies follow the usual order: index k < N/2 is +k, else k - N.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace yp::picker {

bool is_power_of_two(size_t n);
size_t next_power_of_two(size_t n);
void fft_inplace(std::complex<double>* data, size_t n, bool inverse);
void fft2d_inplace(std::vector<std::complex<double>>& data, size_t nx, size_t ny, bool inverse);

}  // namespace yp::picker
