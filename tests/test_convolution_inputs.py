"""Input forms, built-in samples and named kernels, and the refusals of bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlwidgets.engine import convolution as conv
from dlwidgets.engine import samples
from dlwidgets.engine.convolution import as_image, as_weight, conv_trace, pool_trace


# ---------------------------------------------------------------------------- input forms
def test_image_forms():
    assert as_image(np.ones((4, 5))).shape == (1, 4, 5)
    assert as_image(np.ones((3, 4, 5))).shape == (3, 4, 5)
    assert as_image(torch.ones(1, 2, 4, 5)).shape == (2, 4, 5)
    assert as_image([[1, 2], [3, 4]]).shape == (1, 2, 2)
    assert as_image(np.ones((4, 5), dtype=bool)).dtype == np.float64
    rgb = np.zeros((10, 12, 3), dtype=np.uint8)
    rgb[..., 1] = 255
    chw = as_image(rgb)
    assert chw.shape == (3, 10, 12)
    np.testing.assert_array_equal(chw[1], 1.0)
    np.testing.assert_array_equal(chw[0], 0.0)
    rgba = np.zeros((10, 12, 4))
    assert as_image(rgba).shape == (3, 10, 12)


def test_builtin_images():
    from sklearn.datasets import load_digits

    data = load_digits()
    np.testing.assert_array_equal(samples.digit(7), data.images[7] / 16.0)
    assert samples.digit_label(7) == data.target[7]
    np.testing.assert_array_equal(as_image("digit:7")[0], data.images[7] / 16.0)
    for name in samples.IMAGES:
        img = as_image(name)
        assert img.ndim == 3 and np.isfinite(img).all() and img.max() > img.min()
    assert as_image("rgb").shape[0] == 3


def test_named_kernels_respond_as_described():
    step_right = np.zeros((5, 5))
    step_right[:, 3:] = 1.0                 # intensity grows to the right
    step_down = step_right.T.copy()         # intensity grows downwards
    x = torch.tensor(step_right)[None, None]
    y = torch.tensor(step_down)[None, None]

    def response(img: torch.Tensor, name: str) -> float:
        k = torch.tensor(samples.named_kernel(name))[None, None]
        return float(F.conv2d(img, k)[0, 0, 1, 1])  # window centred on (2, 2), edge inside

    assert response(x, "sobel_x") > 0 and response(y, "sobel_y") > 0
    assert response(x, "vertical_edge") < 0  # bright on the right: negative
    assert response(y, "horizontal_edge") < 0  # bright below: negative
    assert response(y, "sobel_x") == 0 and response(x, "sobel_y") == 0
    flat = torch.full((1, 1, 5, 5), 3.0, dtype=torch.float64)
    assert response(flat, "blur") == pytest.approx(3.0)
    assert response(flat, "gaussian_blur") == pytest.approx(3.0)
    assert response(flat, "sharpen") == pytest.approx(3.0)
    assert response(flat, "laplacian") == pytest.approx(0.0)
    rnd = torch.rand(1, 1, 5, 5, dtype=torch.float64)
    assert response(rnd, "identity") == float(rnd[0, 0, 2, 2])
    assert samples.kernel_names() == list(samples.KERNELS)
    assert samples.named_kernel("Sobel-X").shape == (3, 3)


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("image,exc,words", [
    ([[1, 2, 3], [4, 5]], ValueError, "image is ragged"),
    ([["a", "b"], ["c", "d"]], TypeError, "image must hold numbers"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "image contains nan at index (0, 0, 1)"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "image contains inf"),
    (np.zeros((2, 3, 4, 5)), ValueError, "image must be 2-D"),
    (np.zeros((0, 5)), ValueError, "image is empty"),
    (np.zeros((10_000, 10_000), dtype=np.uint8), ValueError, "limit is 512×512"),
    ("cat", ValueError, "image='cat' is not a built-in image"),
    ("digit:x", ValueError, "must be an index"),
    ("digit:5000", ValueError, "index must be in [0, 1796]"),
])
def test_bad_images_are_refused_naming_the_argument(image, exc, words):
    with pytest.raises(exc) as err:
        conv_trace(image, "blur")
    assert words in str(err.value)


@pytest.mark.parametrize("kernel,exc,words", [
    ("sobel", ValueError, "kernel='sobel' is not a known kernel; choose one of: vertical_edge"),
    ([[1, 2], [3]], ValueError, "kernel is ragged"),
    ([[1, "x"]], TypeError, "kernel must hold numbers"),
    ([[1.0, np.nan]], ValueError, "kernel contains nan"),
    (np.ones((2, 3, 3)), ValueError, "kernel has 2 input channel(s) (shape (2, 3, 3)) but the image has 3"),
    (np.ones((1, 2, 3, 3)), ValueError, "but the image has 3"),
    (np.ones(3), ValueError, "kernel must be 2-D"),
    (np.ones((40, 40)), ValueError, "largest kernel shown is 31×31"),
])
def test_bad_kernels_are_refused_naming_the_argument(kernel, exc, words):
    with pytest.raises(exc) as err:
        conv_trace(np.zeros((3, 50, 50)), kernel)
    assert words in str(err.value)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel \(5×5\) is larger than the padded input \(4×4\)"):
        conv_trace(np.zeros((4, 4)), np.ones((5, 5)))
    with pytest.raises(ValueError, match=r"with dilation 3,3 it spans 7×7\) is larger than the padded input \(6×6\)"):
        conv_trace(np.zeros((4, 4)), np.ones((3, 3)), padding=1, dilation=3)
    # the same kernel fits once padded enough
    assert conv_trace(np.zeros((4, 4)), np.ones((5, 5)), padding=1).output.shape == (1, 2, 2)


@pytest.mark.parametrize("kwargs,exc,words", [
    ({"stride": 0}, ValueError, "stride must be in [1, 16], got 0"),
    ({"stride": (1, 2, 3)}, ValueError, "stride must be an int or a pair"),
    ({"stride": 1.5}, TypeError, "stride must be an int, got 1.5"),
    ({"stride": "2"}, TypeError, "stride must be an int"),
    ({"dilation": 0}, ValueError, "dilation must be in [1, 16]"),
    ({"padding": -1}, ValueError, "padding must be in [0, 64], got -1"),
    ({"padding": 1000}, ValueError, "padding must be in [0, 64]"),
    ({"padding": "full"}, ValueError, "padding='full': use an int, a pair, 'same' or 'valid'"),
    ({"padding": "same", "stride": 2}, ValueError, "padding='same' needs stride=1"),
    ({"padding_mode": "mirror"}, ValueError, "padding_mode='mirror'; choose one of: zeros"),
    ({"padding_mode": "reflect", "padding": 6}, ValueError, "padding_mode='reflect' needs padding smaller"),
    ({"groups": 2}, ValueError, "groups=2 must divide the 3 input channels"),
    ({"groups": 0}, ValueError, "groups must be in [1, 3]"),
    ({"bias": [1.0, 2.0]}, ValueError, "bias must be a number or hold one value per filter (1)"),
    ({"bias": float("nan")}, ValueError, "bias contains nan"),
])
def test_bad_settings_are_refused_naming_the_argument(kwargs, exc, words):
    with pytest.raises(exc) as err:
        conv_trace(np.zeros((3, 6, 6)), "blur", **kwargs)
    assert words in str(err.value)


def test_traces_too_large_for_a_browser_are_refused_with_the_limit():
    with pytest.raises(ValueError, match=r"would hold 6\.9 million products; the limit is 2 million"):
        conv_trace(np.zeros((3, 128, 128)), np.zeros((16, 3, 3, 3)))
    # just under the limit works
    assert conv_trace(np.zeros((1, 64, 64)), np.zeros((8, 1, 3, 3))).products.size == 8 * 62 * 62 * 9
    assert conv.MAX_PRODUCTS == 2_000_000


def test_bad_pooling_and_transpose_settings():
    x = np.zeros((1, 6, 6))
    with pytest.raises(ValueError, match="pool='median'; choose one of: max, avg, min"):
        pool_trace(x, "median")
    with pytest.raises(ValueError, match="pool_padding=.* at most half the pooling window"):
        pool_trace(x, "max", 2, padding=2)
    with pytest.raises(ValueError, match=r"pool_size \(7×7\) is larger than the padded input"):
        pool_trace(x, "max", 7)
    with pytest.raises(ValueError, match="output_padding=.* must be smaller than the stride"):
        conv.conv_transpose_trace(x, np.ones((1, 1, 3, 3)), output_padding=1)
    with pytest.raises(ValueError, match=r"weight must be \(C_in=1, C_out/groups, kh, kw\)"):
        conv.conv_transpose_trace(x, np.ones((2, 1, 3, 3)))
    with pytest.raises(ValueError, match="activation='swish'"):
        conv.activate(x, "swish")


def test_inputs_are_copied_not_shared():
    img = np.zeros((4, 4))
    k = np.ones((2, 2))
    trace = conv_trace(img, k)
    img[0, 0] = 5.0
    k[0, 0] = 5.0
    assert trace.input[0, 0, 0] == 0.0 and trace.weight[0, 0, 0, 0] == 1.0
    assert as_weight(k, 1).flags.writeable
    assert as_weight("blur", 3, groups=3).flags.c_contiguous
