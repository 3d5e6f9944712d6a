"""Write examples/lesson.ipynb, the end-to-end lesson (run: python examples/make_lesson.py).

Served as a dashboard with `voila examples/lesson.ipynb`, students see the text and the widgets
and no code.
"""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# From a neuron to an autoencoder

A lesson in five steps. Every number on this page is computed by PyTorch; hover, click and step
through the widgets to see where each one comes from."""),
    code("""%load_ext dlwidgets
import torch
import dlwidgets
from dlwidgets.engine.char_demo import char_demo
torch.manual_seed(0);"""),
    md("""## 1. A neuron and its activation

A neuron computes a weighted sum z = w·x + b and passes it through an activation f. Training
needs f′(z): where it is close to 0 (a saturated sigmoid or tanh, a ReLU below 0) the gradient
stops. Compare the dashed derivative curves."""),
    code("""dlwidgets.ActivationExplorer("sigmoid")"""),
    md("""### How a network learns: backpropagation and the chain rule

The 2-2-1 sigmoid network of the course notes, one training step at a time: the forward pass, the
loss, then backward layer by layer (upstream gradient × f′(z) = δ, ∂L/∂W = δ·aᵀ) and the update
w ← w − η·∂L/∂w. Step with the arrow keys; hover an edge to see the chain of factors behind its
gradient. Every number equals what `loss.backward()` gives."""),
    code("""dlwidgets.BackpropStepper.demo("2-2-1")"""),
    md("""## 2. Gradient descent and its variants

Training moves the weights against the gradient of the loss. On Rosenbrock's curved valley plain
SGD crawls, momentum overshoots and comes back, Adam adapts its step to each coordinate. Press
play; change a learning rate and the race re-runs."""),
    code("""dlwidgets.OptimizerRace(surface="rosenbrock", optimizers=["sgd", "momentum", "adam"],
                        start=(-1.5, 2.0), steps=200)"""),
    md("""### What hidden layers do: the Playground

A network with hidden layers bends the boundary between classes. Each small map on the diagram
is one hidden neuron's output over the plane; the big map is the network's answer (the line is
where it says 50/50). Press ▶ to train on; try fewer neurons, another activation, the spiral
data set, or extra input features such as x1² and x2²."""),
    code("""playground = dlwidgets.Playground(data="circles", hidden=[4, 2], activation="tanh",
                                  lr=0.03, noise=0.1, seed=0)
playground.train(epochs=30, block=True)
playground"""),
    md("""## 3. A convolutional network

Declared in four lines, shapes checked as it is declared, trained on scikit-learn's 8×8 digits."""),
    code("""%%dl cnn
input 1x8x8
conv 8 3x3 pad=1 relu
maxpool 2
flatten
dense 10"""),
    code("""history = dlwidgets.fit(cnn, "digits", epochs=4, lr=3e-3, batch_size=64, block=True)"""),
    md("""What does the first convolution compute? Step through it on a real digit: the window, the
products with the learned kernel, their sum, and the feature map filling in. The gallery shows
all eight filters."""),
    code("""digits = dlwidgets.load_dataset("digits")
x = torch.as_tensor(digits.x_val[:1], dtype=torch.float32)   # one validation digit, 1×1×8×8
dlwidgets.ConvStepper.from_layer(cnn[0], x, activation="relu")"""),
    md("""### Why deep networks were hard to train: vanishing gradients

The same 8-layer network three ways, trained side by side (three trainings at once, one monitor
each) for 3 epochs with the same SGD settings and `inspect=True`: sigmoid with PyTorch's default
initialisation, ReLU with He initialisation, and sigmoid with batch norm. Open each monitor's
**Layers** view: with plain sigmoids the gradient norm falls by orders of magnitude from the
output layer (light) to the input layer (dark), so the first layers barely learn, and a warning
says so; ReLU + He and batch norm keep the layers' gradients within a few factors of each
other. The "inspect layers" box turns the recording off and on while a run goes."""),
    code("""import ipywidgets
from torch import nn

def deep(activation, he=False, batch_norm=False, depth=8, width=32):
    torch.manual_seed(0)
    layers, n = [], 64
    for _ in range(depth):
        linear = nn.Linear(n, width)
        if he:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        layers += [linear, *([nn.BatchNorm1d(width)] if batch_norm else []), activation()]
        n = width
    return nn.Sequential(*layers, nn.Linear(n, 10))

nets = {"sigmoid, default init": deep(nn.Sigmoid),
        "ReLU, He init": deep(nn.ReLU, he=True),
        "sigmoid + batch norm": deep(nn.Sigmoid, batch_norm=True)}
monitors = {name: dlwidgets.TrainingMonitor(name) for name in nets}
display(ipywidgets.HBox(list(monitors.values())))
# block=False: the three train at once, each in its own thread, each feeding its own monitor
runs = {name: dlwidgets.fit(net, "digits", optimizer="sgd", lr=0.05, epochs=3, inspect=True,
                            inspect_every=5, monitor=monitors[name], block=False)
        for name, net in nets.items()}"""),
    code("""for name, h in runs.items():
    h.wait()   # the three run side by side; this waits for all of them
    first, last = h.info["layers"][0], h.info["layers"][-1]
    ratio = h.layers[first]["grad_norm"].mean() / h.layers[last]["grad_norm"].mean()
    print(f"{name:22s} first/last layer gradient norm {ratio:8.1e}   "
          f"val accuracy {h.final('val_accuracy'):.2f}   warnings: {len(h.warnings)}")"""),
    md("""## 4. Memory over time: the LSTM

A small character-level LSTM learned to predict text with nested brackets. To do it, it has to
count. Its gates decide what the cell state c keeps (forget gate), what it writes (input gate ×
candidate) and what it shows (output gate). Hover the heatmaps; the coloured text is one unit's
cell state: it rises and falls with the bracket depth."""),
    code("""demo = char_demo(seed=0)
dlwidgets.LSTMInspector(demo.model, demo.text, tokenizer=demo.tokenizer,
                        unit=demo.counting_unit, gate="c")"""),
    md("""## 5. Compressing and generating: the autoencoder

An autoencoder squeezes each 64-pixel digit into 2 numbers and rebuilds it. Each dot is a digit's
code, coloured by its label. Move the pointer over the plane: the decoder turns that point into
an image."""),
    code("""dlwidgets.LatentExplorer.demo("ae")"""),
    md("""## 6. Attention

Instead of squeezing a sequence through one hidden state, attention lets each position look at
every other one and take a weighted mix. This one-head transformer learned to reverse 8 digits:
each output position attends to its mirror image, so the weights form an anti-diagonal. Hover a
token; switch to the matrix view; click a query to see q·k/√d, the softmax and the weighted sum."""),
    code("""dlwidgets.AttentionInspector.demo()"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "lesson")


if __name__ == "__main__":
    print(main())
