"""Write examples/lstm_gates.ipynb (run: python examples/make_lstm_gates.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# Inside an LSTM: gates, cell state, interventions, gradients

`dlwidgets.LSTMInspector` recomputes every gate of an `nn.LSTM` (or `nn.GRU`, `nn.RNN`) at
every time step from the layer's own weights, and shows them: heatmaps over time × units with
the tokens on the time axis (hover for exact values, click to pick a step and a unit), the
classic cell diagram with the live numbers, the text coloured by one unit, a search for units
that fire on a span you drag across, clamping a gate, and the gradient through time.

The demo needs no download: a character-level LSTM learns, in a few seconds on the CPU, to
output the **nesting depth** of brackets after each character of texts like `a(b(c)d)(a)`."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import dlwidgets
from dlwidgets.engine.char_demo import char_demo, depths"""),
    code("""demo = char_demo(seed=0)   # the demo LSTM and RNN (weights shipped with dlwidgets; pretrained=False trains them)
print(f"LSTM accuracy {demo.accuracy:.1%}, RNN accuracy {demo.rnn_accuracy:.1%}")
print("sample:", demo.text)
print("depth: ", "".join(str(d) for d in depths(demo.text)))"""),
    md("""## The inspector on the demo

The unit of the cell state that tracks the depth best (a *counting unit*) is selected, and the
text is coloured by it: watch it darken with every `(` and lighten with every `)`. Under each
character is the model's predicted depth. Press ▶ to step through time, or type your own
brackets in the text box and press Run."""),
    code("""insp = dlwidgets.LSTMInspector(demo.model, demo.text, tokenizer=demo.tokenizer,
                               compare=demo.rnn_model, unit=demo.counting_unit, gate="c",
                               compare_label="nn.RNN trained on the same task")
insp"""),
    md("""Every array in `.trace` is (num_layers, num_directions, T, units). The recomputed hidden
states are the layer's own output, and the cell state of the counting unit follows the depth."""),
    code("""tr = insp.trace
print({k: v.shape for k, v in tr.items()})
with torch.no_grad():
    out, (h_n, c_n) = demo.model.rnn(demo.model.embed(demo.tokenizer(demo.text)))
print("max |h - nn.LSTM output| =", float(np.abs(tr["h"][0, 0] - out[0].numpy()).max()))
print("max |c_T - c_n|          =", float(np.abs(tr["c"][0, 0, -1] - c_n[0, 0].numpy()).max()))
c_unit = tr["c"][0, 0, :, demo.counting_unit]
print(f"correlation of c[unit {demo.counting_unit}] with the depth:",
      round(float(np.corrcoef(c_unit, depths(demo.text))[0, 1]), 3))"""),
    md("""## Which units fire on a span?

Drag across a few characters in the widget, or ask from Python: units are ranked by their mean
value inside the span minus outside (LSTMVis's selection query)."""),
    code("""start = demo.text.index("((")
units, scores = insp.search_units(start, start + 2)
print(f"span {demo.text[start:start + 2]!r} at steps {start}-{start + 1}:")
for u, s in zip(units[:5], scores[:5]):
    print(f"  unit {u:2d}  inside − outside = {s:+.3f}")"""),
    md("""## Interventions: clamp a gate

Holding the counting unit's cell state fixed from step 10 on (at the value it had at step 9)
freezes its count, and the model's predicted depths after step 10 go wrong although the other
15 units are untouched. (The count is not held by this unit alone: clamp other units, or the
same one from another step, and compare.)
In the widget the predictions that changed turn red; *show* switches between the original trace,
the clamped one and their difference."""),
    code("""c9 = float(tr["c"][0, 0, 9, demo.counting_unit])
insp.step = 10
insp.clamp_gate("c", value=c9)          # the selected unit, from the selected step on
truth = depths(demo.text)
before = (insp.model_outputs.argmax(1) == truth)[10:].mean()
after = (insp.clamped_outputs.argmax(1) == truth)[10:].mean()
print(insp.clamp)
print(f"accuracy after step 10: {before:.0%} without the clamp, {after:.0%} with it")"""),
    md("""## Vanishing gradients: RNN vs LSTM

The gradient chart shows ‖∂h_T/∂h_t‖ for every t (autograd, log scale). In the RNN it falls by
many orders of magnitude over the sequence; in the LSTM it stays within about one."""),
    code("""g_lstm = insp.gradient_norms[0, 0]
g_rnn = insp.compare_gradient_norms[0, 0]
print(f"‖∂h_T/∂h_0‖ / ‖∂h_T/∂h_T‖: LSTM {g_lstm[0] / g_lstm[-1]:.1e}, RNN {g_rnn[0] / g_rnn[-1]:.1e}")"""),
    md("""## Any recurrent layer

A bare layer takes one sequence of features, `(T, F)` (or a batch of one in its own layout).
Here a 2-layer bidirectional GRU on random input; hover the heatmaps, switch layer and
direction. Token labels are text, never HTML."""),
    code("""torch.manual_seed(0)
gru = torch.nn.GRU(3, 8, num_layers=2, bidirectional=True)
x = torch.randn(24, 3)
dlwidgets.LSTMInspector(gru, x, tokens=[f"x{t}" for t in range(24)], layer=1)"""),
    md("""A model built with the DSL works as it is: the inspector finds its LSTM (`1.rnn`), runs the
model on the token ids and captures what reaches the layer. This classifier's output is one
vector per sequence, shown whole (and recomputed under a clamp)."""),
    code("""clf = dlwidgets.build('''input 30 tokens
embedding 6 8
lstm 12 layers=2
dense 2''', seed=0)
ids = demo.tokenizer("(ab(c)d)((a)b)c(d)(a(b)c)abcd()")[:, :30]
dlwidgets.LSTMInspector(clf, ids, tokens=list("(ab(c)d)((a)b)c(d)(a(b)c)abcd()"[:30]))"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "lstm_gates")


if __name__ == "__main__":
    print(main())
