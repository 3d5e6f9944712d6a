"""Write examples/playground.ipynb (run: python examples/make_playground.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# The Playground: hidden layers, decision regions, regularisation

A small network trains live on 2-D points: the plane shows its decision regions (the 0.5
contour drawn), each hidden neuron shows its own map on the network diagram, and the train and
test losses are plotted as it learns. The network is a real PyTorch `nn.Module` trained by the
same engine as `dlwidgets.fit`; change the data, the features, the layers, the activations,
the initialisation, the optimizer or the regularisation and press ▶ again. Click the plane to
add points of the selected class."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import dlwidgets"""),
    md("""## A spiral needs depth (or features)

With only x1 and x2 as inputs, a network needs a few layers to wind a boundary around a
spiral. Here it trains for 150 epochs before the widget is shown (`block=True`; in a notebook
`train` otherwise returns at once and the widget updates live)."""),
    code("""pg = dlwidgets.Playground(data="spiral", features=["x1", "x2", "sin_x1", "sin_x2"],
                          hidden=[16, 16], activation="tanh", optimizer="adam", lr=0.01,
                          batch_size=10, seed=0)
pg.train(epochs=150, block=True)
print(f"train accuracy {pg.accuracy('train'):.3f}, test accuracy {pg.accuracy('test'):.3f}")
pg"""),
    md("""Everything the widget draws can be read in Python. `boundary()` is the model's output on
a grid over `grid_bounds` (row i is y, column j is x), `neuron_maps()` each hidden unit's output
there, and both equal running `pg.model` in eval mode on those points:"""),
    code("""b = pg.boundary(resolution=50)
maps = pg.neuron_maps(resolution=25)
print(b.shape, {layer: m.shape for layer, m in maps.items()}, pg.grid_bounds)
X_train, y_train, X_test, y_test = pg.data
print(X_train.shape, X_test.shape, pg.history)"""),
    md("""## Your own points, and a model of your own

`data=(X, y)` takes any 2-D points with class labels 0..C-1 (three classes here: softmax regions
coloured by class, lighter where the model is less sure). `model=` takes DSL text, a `%%dl`
model or any `nn.Module` with as many inputs as features; the controls that would rebuild it are
then disabled."""),
    code("""rng = np.random.default_rng(0)
centres = np.array([[-3.0, -1.0], [3.0, -1.0], [0.0, 3.0]])
y = np.arange(300) % 3
X = centres[y] + rng.normal(0, 1.2, (300, 2))
three = dlwidgets.Playground(data=(X, y), model="input 2 -> dense 8 relu -> dense 3",
                             optimizer="adam", lr=0.02)
three.train(epochs=30, block=True)
print(f"test accuracy {three.accuracy('test'):.3f}")
three"""),
    md("""## Regularisation shrinks the gap between train and test

Noisy XOR, only 20% of the points for training and a large network: without regularisation the
training loss goes to almost 0 while the test loss climbs. L2 (or dropout) keeps the weights
small and the boundary smooth (docs/playground.md runs this over three seeds)."""),
    code("""def gap(**extra):
    lab = dlwidgets.Playground(data="xor", noise=0.35, train_fraction=0.2,
                               hidden=[32, 32, 32], activation="relu", optimizer="adam",
                               lr=0.01, seed=0, **extra)
    lab.train(epochs=150, block=True)
    train_loss, test_loss = lab.curves["train_loss"][-1], lab.curves["test_loss"][-1]
    print(f"{str(extra) or 'none':16s} train loss {train_loss:.3f}  test loss {test_loss:.3f}  "
          f"gap {test_loss - train_loss:.3f}")
    return lab

plain = gap()
l2 = gap(l2=0.003)
l2"""),
    md("""## Zero initialisation: the symmetry lesson

With every weight 0, all neurons of a layer compute the same thing and receive the same
gradient, so they stay identical: the network can never use more than one neuron per layer, and
the circles stay out of reach (with tanh it is worse: tanh(0) = 0, so only the output bias ever
moves). Switch the initialisation to Xavier or He and press ▶."""),
    code("""sym = dlwidgets.Playground(data="circles", hidden=[4, 4], init="zeros",
                          activation="sigmoid", lr=0.1)
sym.train(epochs=20, block=True)
first = sym.neuron_maps()[0]
print("all first-layer maps identical:", all(np.allclose(first[0], m) for m in first))
print(f"train accuracy {sym.accuracy('train'):.3f}")
sym"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "playground")


if __name__ == "__main__":
    print(main())
