"""Write examples/dsl_tour.ipynb (run: python examples/make_dsl_tour.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# A tour of the `%%dl` model DSL

Declare a network in a few lines, get a real `torch.nn.Module`. Shapes are inferred and checked
as you declare, so a wrong layer is reported on its own line, before any data flows. The full
reference is docs/dsl.md (the "%%dl model DSL" page of the documentation)."""),
    code("""%load_ext dlwidgets
import torch
import torch.nn as nn
import dlwidgets"""),
    md("""## LeNet-5 in nine lines

The cell builds the model, binds it to `lenet` and shows its summary: a diagram drawn from the
declaration, the layer tree with each output shape and parameter count, totals and a memory
estimate (change the batch size in the widget). Padding 2 on the first conv gives MNIST's 28×28
digits the classic 32×32 geometry."""),
    code("""%%dl lenet
input 1x28x28
conv 6 5x5 pad=2 tanh
avgpool 2
conv 16 5x5 tanh
avgpool 2
flatten
dense 120 tanh
dense 84 tanh
dense 10"""),
    md("""It is an ordinary `nn.Sequential`: call it, train it, save it. Each conv output size
follows floor((n + 2p − d(k − 1) − 1)/s) + 1: 28 → 28 → 14 → 10 → 5."""),
    code("""x = torch.randn(4, 1, 28, 28)
print(lenet(x).shape)
print([n.out_shape for n in lenet.dl_spec.layers()][:6])
n = 28
for k, p, s in [(5, 2, 1), (2, 0, 2), (5, 0, 1), (2, 0, 2)]:
    n = (n + 2 * p - (k - 1) - 1) // s + 1
    print(n, end=" ")"""),
    md("""## One line

`->` separates layers, so small models fit on the magic's line."""),
    code("""%dl mlp = input 2 -> dense 8 relu -> dense 1 sigmoid"""),
    code("""mlp(torch.tensor([[0.0, 1.0]]))"""),
    md("""## Mistakes are short and point at the line

A `%%dl` cell with a mistake shows one block (what is wrong, where, the line with a caret, a
suggestion) and no traceback. Here the same errors are printed from `dlwidgets.build`, which
raises `dlwidgets.DSLError` with `.line` and `.column`."""),
    code("""for source in [
    "input 1x28x28\\nconv 6 5x5\\nconvv 16 5x5",
    "input 1x28x28\\nflatten\\ndense 120\\nconv 6 5x5",
    "input 1x8x8\\nconv 4 3x3 strid=2",
    "input 1x4x4\\nconv 4 5x5",
]:
    try:
        dlwidgets.build(source)
    except dlwidgets.DSLError as err:
        print(err, end="\\n\\n")"""),
    md("""## Blocks: repeat, named blocks, residual connections

A ResNet stage: `residual relu:` computes relu(body(x) + x); when the body halves the size and
doubles the channels, a `shortcut:` projection makes the two addable. In the diagram the skip is
an arc; in the tree, blocks fold and unfold."""),
    code("""%%dl resnet_stage
input 64x56x56
block stage:
    residual relu:
        conv 128 3x3 stride=2 pad=1 bias=false
        batchnorm relu
        conv 128 3x3 pad=1 bias=false
        batchnorm
        shortcut:
            conv 128 1x1 stride=2 bias=false
            batchnorm
    repeat 2:
        residual relu:
            conv 128 3x3 pad=1 bias=false
            batchnorm relu
            conv 128 3x3 pad=1 bias=false
            batchnorm
gap
dense 10"""),
    code("""print(resnet_stage.stage[0])
print(resnet_stage(torch.randn(2, 64, 56, 56)).shape)"""),
    md("""## Recurrent layers

Token ids go through an embedding, then an LSTM; `return=last` (the default) passes on the final
hidden state, `return=all` the whole sequence."""),
    code("""%%dl sentiment
input 40 tokens
embedding 5000 32
lstm 64 layers=2 bidirectional return=all
lstm 32
dense 2"""),
    md("""## Autoencoders, VAEs and GANs

Models made of parts expose them: `model.encoder`, `model.decoder`; a VAE also has
`encode(x) -> (mu, logvar)`, `reparameterize`, `kl_divergence` and `latent_dim`."""),
    code("""%%dl vae --seed 0
input 1x28x28
encoder:
    flatten
    dense 256 relu
latent 8
decoder:
    dense 256 relu
    dense 784 sigmoid
    reshape 1x28x28"""),
    code("""from dlwidgets.dsl import vae_loss
x = torch.rand(16, 1, 28, 28)
recon, mu, logvar = vae(x)
print(recon.shape, mu.shape, vae.latent_dim)
print("KL:", vae.kl_divergence(mu, logvar).item())
print("loss:", vae_loss(recon, x, mu, logvar, recon_loss=vae.recon_loss).item())"""),
    code("""%%dl gan -q
input 1x28x28
latent 32
generator:
    dense 128 relu
    dense 784 tanh
    reshape 1x28x28
discriminator:
    flatten
    dense 128 leaky_relu(0.2)
    dense 1"""),
    code("""fake = gan.sample(3)
print(fake.shape, gan.discriminator(fake).shape)
gan.dl_spec.kind, gan.latent_dim"""),
    md("""## Legal but probably wrong

A `loss` line tells the DSL how the model will be trained. A softmax in front of
`cross_entropy` is a bug (the loss wants logits), and a deep stack of sigmoids makes gradients
vanish (σ′ ≤ ¼ per layer): both are flagged in the summary."""),
    code("""%%dl suspicious
input 64
loss cross_entropy
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 10 softmax"""),
    md("""## Summaries of any model

`dlwidgets.summary` takes any `nn.Module` with an input shape (no batch dimension); printed, it
is a text table."""),
    code("""class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        return self.head(self.conv(x).mean(dim=(2, 3)))

info = dlwidgets.summary(Tiny(), (3, 32, 32))
print(info)
info.total_params, info.trainable_params"""),
    md("""## Training from the magic

`%%dl NAME --fit DATA ...` builds, then trains on a built-in data set (here scikit-learn's 8×8
digits, flattened to 64 features); `%dl fit NAME DATA ...` trains a model already in the
notebook. `--block` waits until training ends. The declared `loss` is used."""),
    code("""%%dl digits_net --seed 0 --fit digits --epochs 2 --block
input 64
loss cross_entropy
dense 32 relu
dense 10"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "dsl_tour")


if __name__ == "__main__":
    print(main())
