"""Write examples/convolution.ipynb (run: python examples/make_convolution.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# Convolution, step by step

A CNN layer slides a small kernel over its input. At each position it multiplies the window
and the kernel element by element and adds the products up (plus a bias): that sum is one cell
of the output. CNN "convolution" is **cross-correlation**: the kernel is not flipped.

`dlwidgets.ConvStepper` shows every step with the numbers PyTorch computed. Press ▶, use the
arrow keys on the canvas, hover a cell of the output to see which inputs it reads, hover an
input cell to see which outputs it feeds, click an input or kernel cell to change it."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import dlwidgets"""),
    md("""## An edge detector on a handwritten digit

The digit comes with scikit-learn (nothing is downloaded). `vertical_edge` has rows
(1, 0, −1): it is positive where the left of the window is brighter than the right."""),
    code("""stepper = dlwidgets.ConvStepper("digit:3", "vertical_edge")
stepper"""),
    md("""Python sees the same numbers. `.output` is exactly what `F.conv2d` gives for the same
arguments, and the sum of the products shown for a window, plus the bias, is the output there."""),
    code("""x = torch.tensor(stepper.image)[None]          # (1, C, H, W)
w = torch.tensor(stepper.weight)               # (filters, C, kh, kw)
assert np.allclose(stepper.output, F.conv2d(x, w)[0].numpy())
print("output shape:", stepper.output_shape)
print("position:", stepper.position, "-> after two steps:", stepper.step(2))
shown = stepper.window()
print("products:\\n", shown["products"][0].round(3))
print("sum =", float(shown["sum"]), " output =", float(shown["output"]))"""),
    md("""## Stride, padding, dilation and the output size

Along each axis: **n_out = floor((n + 2p − d(k − 1) − 1) / s) + 1**. With stride 2 on a 12×12
image and a 3×3 kernel, (12 − 3) = 9 is odd: the last row and column are never reached, and the
widget shades that dropped border in red."""),
    code("""strided = dlwidgets.ConvStepper("edges", "sobel_x", stride=2)
print(strided.formula())
print("dropped rows, cols:", strided.geometry["dropped"])
strided"""),
    code("""padded = dlwidgets.ConvStepper("edges", "laplacian", stride=2, padding=1, dilation=2,
                               padding_mode="replicate")
xp = F.pad(torch.tensor(padded.image)[None], (1, 1, 1, 1), mode="replicate")
ref = F.conv2d(xp, torch.tensor(padded.weight), stride=2, dilation=2)[0].numpy()
assert np.allclose(padded.output, ref)
print(padded.formula())
padded"""),
    md("""## Several channels and several filters

A colour image has three channels; each filter has one kernel slice per channel and sums the
products over all of them. Here three filters: Sobel x, Sobel y and a blur. The gallery below
the widget shows the feature map of every filter (click one to step through it)."""),
    code("""rgb = dlwidgets.ConvStepper("rgb", ["sobel_x", "sobel_y", "blur"], padding=1, bias=[0.0, 0.0, -0.5])
rgb"""),
    md("""With `groups = channels` each filter sees one channel only (a depthwise convolution):"""),
    code("""depthwise = dlwidgets.ConvStepper("rgb", "sharpen", groups=3, filter=2, channel=2)
ref = F.conv2d(torch.tensor(depthwise.image)[None], torch.tensor(depthwise.weight), groups=3)
assert np.allclose(depthwise.output, ref[0].numpy())
depthwise.output_shape"""),
    md("""## Activation, then pooling

The *Activation + pooling* view applies the activation to the map, then steps through a
pooling layer and marks the input that wins each window. Min pooling is −max_pool(−x)."""),
    code("""pooling = dlwidgets.ConvStepper("digit:7", "sobel_y", padding=1, activation="relu",
                                pool="max", pool_size=2, view="pool")
ref = F.max_pool2d(F.relu(torch.tensor(pooling.output))[None], 2)[0].numpy()
assert np.allclose(pooling.pooled, ref)
pooling"""),
    md("""## Transposed convolution is the adjoint

The *Transposed (adjoint)* view scatters each output value back through the kernel: it lands on
the cells its window read. Summed over all steps this is `F.conv_transpose2d`, and
⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩."""),
    code("""adj = dlwidgets.ConvStepper("edges", "sobel_x", stride=2, padding=1, view="transposed")
y = torch.tensor(adj.output)[None]
back = F.conv_transpose2d(y, torch.tensor(adj.weight), stride=2, padding=1,
                          output_padding=tuple(adj.geometry["dropped"]))[0].numpy()
assert np.allclose(adj.transposed, back)
print("<conv(x), y> =", float((adj.output ** 2).sum()), " <x, conv_T(y)> =", float((adj.image * back).sum()))
adj"""),
    md("""## A layer of a real model

`ConvStepper.from_layer` takes any `nn.Conv2d` — for a `%%dl` model, the conv layer inside it —
and its input. With `model=`, the input of the whole model is given and the layer's own input is
captured while the model runs."""),
    code("""torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(4, 6, 3), nn.ReLU())
digit = torch.tensor(dlwidgets.engine.samples.digit(0), dtype=torch.float32)[None, None]
layer = dlwidgets.ConvStepper.from_layer(model[3], digit, model=model, filter=2, channel=1)
with torch.no_grad():
    expected = model[:4](digit)[0].numpy()
assert np.allclose(layer.output, expected, atol=1e-5)
layer"""),
    md("""## Change a number

Click an input or kernel cell in the widget and type a value, or do it from Python; either way
PyTorch recomputes the whole trace."""),
    code("""stepper.edit_kernel((0, 0, 1, 1), 2.0)   # filter 0, channel 0, centre of the kernel
x = torch.tensor(stepper.image)[None]
assert np.allclose(stepper.output, F.conv2d(x, torch.tensor(stepper.weight))[0].numpy())
stepper.weight[0, 0]"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "convolution")


if __name__ == "__main__":
    print(main())
