"""Write examples/train_digits.ipynb (run: python examples/make_train_digits.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# Training a network on handwritten digits, live

`dlwidgets.fit` trains any PyTorch model and shows a **training monitor**: the loss and the
accuracy of every step (faint: raw, bold: smoothed) and of every epoch (dots: training, dashed:
validation), the learning rate, a progress bar with the time left, and **Pause** / **Stop**
buttons that work while it trains.

In a notebook `fit` returns at once: the training runs in a background thread, so the notebook
stays free for the buttons. The `History` it returns fills as it trains. The digits are
scikit-learn's bundled 8×8 images (nothing is downloaded)."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import torch.nn.functional as F
import dlwidgets"""),
    md("""## A dense network

The model is declared with the DSL (`%%dl`); any `torch.nn.Module` works the same way."""),
    code("""%%dl net --seed 0
input 64
dense 128 relu
dense 10"""),
    code("""history = dlwidgets.fit(net, "digits", epochs=8, lr=1e-3, batch_size=32,
                        schedule="cosine")"""),
    md("""`fit` gave `digits` to the network flat (64 values) because its first layer is dense; a
convolutional network gets (1, 8, 8) images. Press **Stop** above at any time: the model stops
after the step it is in, keeps its weights and the history so far.

Before using the trained model, wait for the training to end (a cell that waits does not let the
notebook process button clicks until it ends)."""),
    code("""history.wait()
print(history)
print("learning rate per epoch:", np.round(history.epochs["lr"], 6))"""),
    md("""Everything in the history is PyTorch's own arithmetic. Check the last epoch's validation
numbers by evaluating the model directly on the validation split:"""),
    code("""data = dlwidgets.load_dataset("digits", flat=True)   # same seed, same split as fit used
with torch.no_grad():
    logits = net.eval()(torch.from_numpy(data.x_val))
    y_val = torch.from_numpy(data.y_val)
    print("val_loss    :", F.cross_entropy(logits, y_val).item(), "vs", history.final("val_loss"))
    print("val_accuracy:", (logits.argmax(1) == y_val).float().mean().item(),
          "vs", history.final("val_accuracy"))"""),
    md("""## A convolutional network from the magic

`%%dl NAME --fit DATA` builds the model and trains it in one cell (`--block` waits for the end,
which a notebook run top to bottom wants). The same options work in `%dl fit NET DATA`."""),
    code("""%%dl cnn --seed 0 --fit digits --epochs 4 --lr 0.002 --block
input 1x8x8
conv 16 3 pad=1 relu
maxpool 2
flatten
dense 10"""),
    code("""%dl fit cnn digits --epochs 2 --optimizer momentum --lr 0.05 --block"""),
    md("""## When training diverges

A regression with a learning rate far too large: every step overshoots more than the last, the
loss grows to infinity and becomes NaN. Training stops at that step, the monitor marks it with a
red line, and the message says what to try. The model keeps the weights of the last finished
step."""),
    code("""g = torch.Generator().manual_seed(0)
x = torch.randn(256, 8, generator=g)
y = x.sum(1, keepdim=True)                      # a float target of shape (N, 1): loss "mse"
wild = dlwidgets.build("input 8 -> dense 32 relu -> dense 1", seed=0)
bad = dlwidgets.fit(wild, (x, y), optimizer="sgd", lr=1.0, epochs=5, block=True)
print(bad.status, "at step", bad.diverged_at)
print(bad.message)
bad"""),
    md("""## Comparing optimizers

Each optimizer name is exactly the `torch.optim` class (`momentum` is `SGD(momentum=0.9)`,
`nesterov` adds `nesterov=True`...). Without a monitor and with `block=True`, `fit` is a plain
training function."""),
    code("""for name in ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw"]:
    model = dlwidgets.build("input 64 -> dense 64 relu -> dense 10", seed=0)
    h = dlwidgets.fit(model, "digits", optimizer=name, epochs=3, monitor=False, block=True)
    print(f"{name:9s} lr {h.info['lr']:<6g} val_accuracy {h.final('val_accuracy'):.3f}")"""),
    md("""## A recurrent network on a memory task

`sequence` sequences start with +1 or −1 followed by noise; the class is the sign of the first
value, so the network must remember it through all the steps. Early stopping watches the
validation loss; gradients are clipped to norm 1 (the monitor shows the learning rate and,
without a metric, the gradient norm)."""),
    code("""%%dl rnn --seed 0 -q
input 10x1
lstm 16
dense 2"""),
    code("""seq = dlwidgets.fit(rnn, dlwidgets.load_dataset("sequence", n=800, length=10), epochs=8,
                    lr=0.01, early_stopping=3, clip_grad_norm=1.0)
seq.wait()
print(seq)"""),
    md("""Stopping and re-running are safe: running a training cell again while its previous
training still runs stops the old one first (never two threads on one model). For more GPUs,
the same `fit` runs under `torchrun` / DDP; see docs/training.md."""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "train_digits")


if __name__ == "__main__":
    print(main())
