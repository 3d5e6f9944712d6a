"""Write examples/backprop.ipynb (run: python examples/make_backprop.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# How a network learns: one backpropagation step with real numbers

`dlwidgets.BackpropStepper` takes a PyTorch model of `nn.Linear` layers and element-wise
activations, one sample (or a small batch) and a loss, and steps through one training step:
the forward pass neuron by neuron, the loss, the backward pass (upstream gradient × f′(z) = δ,
∂L/∂W = δ·aᵀ) and the SGD update. Every number is computed with torch and checked against
`loss.backward()`."""),
    code("""%load_ext dlwidgets
import torch
import torch.nn as nn
import dlwidgets"""),
    md("""## The 2-2-1 sigmoid network of the course notes

x = (2, 1), target 1, loss (y − ŷ)², η = 0.1. Step with ▶| or the arrow keys (click the
network first); hover an edge to see the chain of factors of its gradient; click a weight to
change it (Python traces the step again)."""),
    code("""w = dlwidgets.BackpropStepper.demo("2-2-1")
w"""),
    md("""The same numbers from Python, and autograd's own gradients for comparison:"""),
    code("""print("ŷ =", float(w.activations[-1][0, 0]), " L =", w.loss_value)
for name, grad in w.grads.items():
    print(f"{name:9s} grad {grad.ravel().round(6)}  new {w.updated[name].ravel().round(6)}")

model, x, y, loss, lr = dlwidgets.engine.backprop.demo("2-2-1")
nn.functional.mse_loss(model(x), y).backward()
print("largest |difference| from loss.backward():",
      max(float((torch.as_tensor(w.grads[n]) - p.grad).abs().max())
          for n, p in model.named_parameters()))"""),
    md("""## Vanishing gradients in a deep sigmoid chain

Eight sigmoid layers: each local derivative is at most ¼, so the gradient shrinks by decades on
its way to the input (see the depth view under the widget). Switch the hidden activation to
ReLU and the initialisation to He in the widget, or from Python, to see it hold."""),
    code("""torch.manual_seed(0)
layers = []
for _ in range(8):
    layers += [nn.Linear(3, 3), nn.Sigmoid()]
deep = nn.Sequential(*layers, nn.Linear(3, 1), nn.Sigmoid())
x = torch.randn(4, 3)
y = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
d = dlwidgets.BackpropStepper(deep, x, y, loss="bce", lr=0.5)
d"""),
    code("""def profile(stepper):
    return [float(abs(layer.upstream).mean()) for layer in stepper.result.layers]

print("sigmoid, default init:", ["%.1e" % v for v in profile(d)])
d.set_activation("relu")
d.reinitialize("he")
print("ReLU, He init:       ", ["%.1e" % v for v in profile(d)])"""),
    md("""## A model from the DSL, a batch and cross-entropy

With `cross_entropy` the model ends with a Linear layer (logits); softmax and the loss are one
step whose gradient is p − y (divided by the batch size, as the loss averages)."""),
    code("""%%dl net
input 4
dense 5 tanh
dense 3"""),
    code("""x = torch.randn(6, 4)
labels = torch.tensor([0, 1, 2, 1, 0, 2])
dlwidgets.BackpropStepper(net, x, labels, loss="cross_entropy", lr=0.1)"""),
]



def main() -> pathlib.Path:
    return write_notebook(CELLS, "backprop")


if __name__ == "__main__":
    print(main())
