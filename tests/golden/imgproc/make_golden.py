#!/usr/bin/env python3
"""Golden outputs for tests/imgproc from independent implementations.

  wavelet  PyWavelets wavedec2 / waverec2, 'db15', mode 'symmetric' (= MATLAB dwtmode 'sym')
  wiener   scipy.signal.wiener (zero-padded 'same' correlation, like MATLAB wiener2's filter2)
  clahe    skimage.exposure.equalize_adapthist (a different algorithm: compared loosely), and
           adapthisteq_numpy below, a line-by-line NumPy transcription of MATLAB's adapthisteq.m
  resize   imresize_numpy below, a NumPy transcription of MATLAB imresize's contributions()

Every file is <name>.f32: int32 width, int32 height, then height*width float32, row-major, little-endian.
Run from anywhere:  python3 tests/golden/imgproc/make_golden.py   (numpy, scipy, scikit-image, PyWavelets)
"""
import os
import numpy as np
import pywt
import scipy
import scipy.signal
import skimage
from skimage import exposure

OUT = os.path.dirname(os.path.abspath(__file__))


def save(name, a):
    a = np.asarray(a, dtype=np.float32)
    assert a.ndim == 2
    with open(os.path.join(OUT, name + ".f32"), "wb") as f:
        f.write(np.array([a.shape[1], a.shape[0]], dtype="<i4").tobytes())
        f.write(a.astype("<f4").tobytes())


def test_image(h, w, seed):
    """A small micrograph-like picture: smooth blobs + a ramp + Gaussian noise, values roughly 0..1."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = 0.3 + 0.2 * x / w + 0.1 * y / h
    for _ in range(6):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(3, 8)
        img += 0.25 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r))
    img += 0.05 * rng.standard_normal((h, w))
    return img.astype(np.float32)


# ---- resize: MATLAB imresize, bicubic, transcribed ------------------------------------------------
def cubic(x):
    ax = np.abs(x)
    return ((1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1) +
            (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def contributions(in_len, out_len, antialias):
    scale = out_len / in_len
    kw = 4.0
    if scale < 1 and antialias:
        h = lambda t: scale * cubic(scale * t)
        kw = kw / scale
    else:
        h = cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)[:, None]
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kw / 2)
    P = int(np.ceil(kw)) + 2
    ind = left + np.arange(P)[None, :]
    wts = h(u - ind)
    wts = wts / wts.sum(axis=1, keepdims=True)
    aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
    ind = aux[(ind.astype(np.int64) - 1) % len(aux)] - 1
    return wts, ind


def imresize_numpy(img, out_h, out_w, antialias=True):
    a = img.astype(np.float64)
    sy, sx = out_h / a.shape[0], out_w / a.shape[1]
    def along_rows(a):  # dimension 1 (height)
        w, i = contributions(a.shape[0], out_h, antialias)
        return np.einsum("ok,okx->ox", w, a[i, :])
    def along_cols(a):
        w, i = contributions(a.shape[1], out_w, antialias)
        return np.einsum("ok,yok->yo", w, a[:, i])
    return along_cols(along_rows(a)) if sy <= sx else along_rows(along_cols(a))


# ---- CLAHE: MATLAB adapthisteq for a double image in [0, 1], transcribed -------------------------
def adapthisteq_numpy(I, num_tiles=(4, 4), clip_limit=0.01, nbins=256, distribution="uniform", alpha=0.4):
    I = np.clip(I.astype(np.float64), 0, 1)
    H0, W0 = I.shape
    pads = []
    for n, t in zip(I.shape, num_tiles):
        pad = 0
        tile = n // t
        if n % t:
            tile = n // t + 1
            pad = tile * t - n
        if tile % 2:
            pad += t
        pads.append((pad // 2, pad - pad // 2))
    I = np.pad(I, pads, mode="symmetric")
    dim_tile = (I.shape[0] // num_tiles[0], I.shape[1] // num_tiles[1])
    npix = dim_tile[0] * dim_tile[1]
    min_clip = int(np.ceil(npix / nbins))
    clip = min_clip + int(np.floor(clip_limit * (npix - min_clip) + 0.5))
    bins = np.floor(I * (nbins - 1) + 0.5).astype(np.int64)
    maps = {}
    for r in range(num_tiles[0]):
        for c in range(num_tiles[1]):
            tile = bins[r * dim_tile[0]:(r + 1) * dim_tile[0], c * dim_tile[1]:(c + 1) * dim_tile[1]]
            hist = np.bincount(tile.ravel(), minlength=nbins).astype(np.int64)
            # clipHistogram
            excess = int(np.maximum(hist - clip, 0).sum())
            avg = excess // nbins
            upper = clip - avg
            for k in range(nbins):
                if hist[k] > clip:
                    hist[k] = clip
                elif hist[k] > upper:
                    excess -= clip - hist[k]
                    hist[k] = clip
                else:
                    excess -= avg
                    hist[k] += avg
            k = 0
            while excess != 0:
                step = max(nbins // excess, 1)
                for m in range(k, nbins, step):
                    if hist[m] < clip:
                        hist[m] += 1
                        excess -= 1
                        if excess == 0:
                            break
                k = k + 1 if k + 1 < nbins else 0
            # makeMapping
            s = np.cumsum(hist) / npix
            if distribution == "uniform":
                m = s
            elif distribution == "rayleigh":
                hc = 2 * alpha**2
                val = np.minimum((1 - np.exp(-1 / hc)) * s, 1 - np.finfo(float).eps)
                m = np.sqrt(-hc * np.log(1 - val))
            else:
                val = np.minimum((1 - np.exp(-alpha)) * s, 1 - np.finfo(float).eps)
                m = -1 / alpha * np.log(1 - val)
            maps[r, c] = np.minimum(m, 1)
    out = np.zeros(I.shape)
    row = 0
    for k in range(num_tiles[0] + 1):
        if k == 0:
            nr, mr = dim_tile[0] // 2, (0, 0)
        elif k == num_tiles[0]:
            nr, mr = dim_tile[0] // 2, (num_tiles[0] - 1,) * 2
        else:
            nr, mr = dim_tile[0], (k - 1, k)
        col = 0
        for l in range(num_tiles[1] + 1):
            if l == 0:
                nc, mc = dim_tile[1] // 2, (0, 0)
            elif l == num_tiles[1]:
                nc, mc = dim_tile[1] // 2, (num_tiles[1] - 1,) * 2
            else:
                nc, mc = dim_tile[1], (l - 1, l)
            b = bins[row:row + nr, col:col + nc]
            rw = np.arange(nr)[:, None]; cw = np.arange(nc)[None, :]
            rrw = nr - rw; crw = nc - cw
            out[row:row + nr, col:col + nc] = (
                rrw * (crw * maps[mr[0], mc[0]][b] + cw * maps[mr[0], mc[1]][b]) +
                rw * (crw * maps[mr[1], mc[0]][b] + cw * maps[mr[1], mc[1]][b])) / (nr * nc)
            col += nc
        row += nr
    return out[pads[0][0]:pads[0][0] + H0, pads[1][0]:pads[1][0] + W0]


def main():
    a = test_image(64, 64, 1)     # square, even
    b = test_image(37, 45, 2)     # odd sizes
    c = test_image(80, 96, 3)     # 96 x 80
    save("input_64x64", a)
    save("input_45x37", b)
    save("input_96x80", c)

    # resize
    save("resize_96x80_to_48x40_aa", imresize_numpy(c, 40, 48, True))
    save("resize_96x80_to_48x40_noaa", imresize_numpy(c, 40, 48, False))
    save("resize_45x37_to_100x70", imresize_numpy(b, 70, 100, True))
    save("resize_96x80_to_30x50", imresize_numpy(c, 50, 30, True))   # shrink x, grow y

    # wavelet: pywt's order is [cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]
    for name, img in (("64x64", a), ("45x37", b)):
        coeffs = pywt.wavedec2(img.astype(np.float64), "db15", mode="symmetric", level=2)
        save(f"wavelet_{name}_cA2", coeffs[0])
        for level, bands in ((2, coeffs[1]), (1, coeffs[2])):
            for tag, band in zip("HVD", bands):
                save(f"wavelet_{name}_c{tag}{level}", band)
        zeroed = [coeffs[0]] + [tuple(np.zeros_like(x) for x in lvl) for lvl in coeffs[1:]]
        save(f"wavelet_{name}_zeroed", pywt.waverec2(zeroed, "db15", mode="symmetric")[:img.shape[0], :img.shape[1]])

    # wiener
    save("wiener_64x64_9x9", scipy.signal.wiener(a.astype(np.float64), (9, 9)))
    save("wiener_96x80_5x3", scipy.signal.wiener(c.astype(np.float64), (5, 3)))
    save("wiener_96x80_9x9_noise0.01", scipy.signal.wiener(c.astype(np.float64), (9, 9), noise=0.01))

    # clahe on [0, 1] images
    a01 = (a - a.min()) / (a.max() - a.min())
    c01 = (c - c.min()) / (c.max() - c.min())
    b01 = (b - b.min()) / (b.max() - b.min())
    save("clahe_input_64x64", a01)
    save("clahe_input_96x80", c01)
    save("clahe_input_45x37", b01)
    save("clahe_64x64_matlab", adapthisteq_numpy(a01))
    save("clahe_96x80_matlab_clip0.02", adapthisteq_numpy(c01, clip_limit=0.02))
    save("clahe_45x37_matlab_padded", adapthisteq_numpy(b01))
    save("clahe_64x64_matlab_rayleigh", adapthisteq_numpy(a01, distribution="rayleigh"))
    save("clahe_64x64_matlab_exponential", adapthisteq_numpy(a01, distribution="exponential"))
    # scikit-image: kernel 16 x 16 = the same 4 x 4 tiles on 64 x 64. Without clipping (clip_limit 1 in
    # both) the two algorithms differ only in quantisation (skimage rescales to 14 bits) and edge handling;
    # their clip limits mean different counts (skimage: clip * kernel pixels; MATLAB: see adapthisteq_numpy).
    save("clahe_64x64_skimage_noclip", exposure.equalize_adapthist(a01.astype(np.float64), kernel_size=16,
                                                                   clip_limit=1.0, nbins=256))
    save("clahe_64x64_matlab_noclip", adapthisteq_numpy(a01, clip_limit=1.0))
    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(f"numpy {np.__version__}\nscipy {scipy.__version__}\nscikit-image {skimage.__version__}\n"
                f"PyWavelets {pywt.__version__}\n")


if __name__ == "__main__":
    main()
