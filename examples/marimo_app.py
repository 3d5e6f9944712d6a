"""dlwidgets in marimo: every widget is an anywidget, so ``mo.ui.anywidget(w)`` shows it.

Run: ``marimo run examples/marimo_app.py`` (or ``marimo edit``). tests/browser/test_marimo_browser.py
serves this app and checks each widget is styled, draws and answers a click.
"""

# ruff: noqa: B018  (a cell's last expression is what marimo shows)
import marimo

app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    import dlwidgets
    return dlwidgets, mo


@app.cell
def _(dlwidgets, mo):
    act = mo.ui.anywidget(dlwidgets.ActivationExplorer("gelu"))
    act
    return


@app.cell
def _(dlwidgets, mo):
    conv = mo.ui.anywidget(dlwidgets.ConvStepper("digit:3", "sobel_x", stride=2))
    conv
    return


@app.cell
def _(dlwidgets, mo):
    race = mo.ui.anywidget(dlwidgets.OptimizerRace("rosenbrock", ["sgd", "momentum", "adam"]))
    race
    return


@app.cell
def _(dlwidgets, mo):
    import torch
    from torch import nn

    torch.manual_seed(0)
    lstm = mo.ui.anywidget(dlwidgets.LSTMInspector(nn.LSTM(3, 8), torch.randn(20, 3)))
    lstm
    return


if __name__ == "__main__":
    app.run()
