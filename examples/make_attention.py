"""Write examples/attention.ipynb (run: python examples/make_attention.py)."""

from __future__ import annotations

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# Attention: what each token looks at

`dlwidgets.AttentionInspector(model, inputs, tokens=None)` runs any PyTorch model once and
records the weights of every `nn.MultiheadAttention` in it — called directly, inside
`nn.TransformerEncoder`/`Decoder` layers, or as seq2seq cross-attention — per head, exactly as
the layer returns them with `need_weights=True, average_attn_weights=False`. The model is left
as it was (eval mode during the pass, every flag and the random state restored).

Two views: **heads** (for one layer, a line from each query token on the left to each key
token on the right, its opacity the weight, one colour per head; click a head to hide it,
hover a token to keep only its lines) and **matrix** (every layer × head as a heatmap, click one
to enlarge it, hover a cell for its weight; grey cells are masked)."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import dlwidgets
np.set_printoptions(precision=2, suppress=True)"""),
    md("""## A transformer that reverses digits

The built-in demo is a one-head model declared in the DSL and trained (in about two seconds)
to output a string of 8 digits backwards. To put digit 7 − t at step t, the query at step t has
to look at the key at step 7 − t: its attention is the **anti-diagonal**. The trained weights
ship with the package, so this is the same on every machine."""),
    code("""from dlwidgets.engine.attention_demo import SOURCE, accuracy, reversal_demo
print(SOURCE)
model = reversal_demo()
print(f"accuracy on fresh strings: {accuracy(model):.1%}")
demo = dlwidgets.AttentionInspector.demo("31415926")
demo"""),
    code("""print(demo.layers)
print(demo.weights[0, 0])   # (layers, heads, T_query, T_key)"""),
    md("""## One query written out

`detail(layer, head, query)` is the formula of the course notes for one query: its vector q,
every key's k, the scores q·k/√d, the mask added to them, the softmax, and the weighted sum of
the values — that head's part of the output before the output projection."""),
    code("""d = demo.detail(0, head=0, query=2)
print("scores q·k/√d:", d["scores"])
print("softmax      :", d["weights"])
print("same as the layer's weights:", np.allclose(d["weights"], demo.weights[0, 0, 2], atol=1e-6))"""),
    md("""## A stack of transformer layers with a causal mask

`causal` keeps each step from looking ahead: the weights above the diagonal are zero and the
matrix view greys them out. These layers are untrained; what matters here is the shape of the
pattern and that every number is PyTorch's."""),
    code("""lm = dlwidgets.build('''
input 12 tokens
embedding 50 32
positional
repeat 3:
    transformer 4 ff=64 norm=pre causal
dense 50''', seed=0)
words = "the cat sat on the mat because it was warm and soft".split()
vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
ids = torch.tensor([vocab[w] for w in words])
lm_view = dlwidgets.AttentionInspector(lm, ids, tokens=words)
lm_view.view = "matrix"
lm_view"""),
    code("""w = lm_view.weights                    # (3 layers, 4 heads, 12, 12)
print(w.shape, "above the diagonal:", float(np.triu(w, 1).max()))"""),
    md("""## Cross-attention in a seq2seq transformer

For `nn.Transformer` pass the source and the target as a tuple and one token list for each:
the decoder's cross-attention layers have the target's tokens as queries and the source's as
keys."""),
    code("""torch.manual_seed(0)
seq2seq = torch.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                               dim_feedforward=32, batch_first=True)
src, tgt = torch.randn(6, 16), torch.randn(4, 16)
cross = dlwidgets.AttentionInspector(seq2seq, (src, tgt),
                                     tokens=[list("abcdef"), ["w", "x", "y", "z"]])
print(list(zip(cross.layers, cross.cross)))
cross.layer = 2
cross"""),
]

if __name__ == "__main__":
    print(write_notebook(CELLS, "attention"))
