"""Write examples/latent_space.ipynb (run: python examples/make_latent_space.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# Latent spaces: encode, look, decode

An autoencoder squeezes each input through a small **code** `z` (the latent vector) and
rebuilds it from there. `dlwidgets.LatentExplorer` draws the codes of a whole data set as a
scatter, coloured by label, next to a **decoder view**: move the pointer over the plot and the
point under it is decoded live into an image. Drag to draw a path and see its decodings in order;
tick *decoded lattice* to tile the visible region with decodings; click points to set A, B, C for
interpolation (linear and spherical) and latent arithmetic A − B + C; the tabs show per-dimension
traversals and the worst reconstructions.

Everything is computed by PyTorch. When the decoder is a small MLP its weights also travel to
the page, which then decodes by itself (no round trip, and it keeps working in an exported page)."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import torch.nn as nn
import dlwidgets
from sklearn.datasets import load_digits"""),
    md("""## Train and watch

A tiny autoencoder (64 → 64 → 2 → 64 → 64 pixels) on scikit-learn's 8×8 digits, trained in a
background thread with Adam. The scatter refreshes as it learns: the ten digit classes pull apart
within a few epochs. Press *Stop* to stop early. (`pretrained=False` trains from scratch; without
it the demo loads weights shipped with dlwidgets, the same model on every machine.)"""),
    code("""ae = dlwidgets.LatentExplorer.demo("ae", epochs=20, pretrained=False)
ae"""),
    md("""`wait()` blocks until training is done (only so that the cells below see the trained
model). The codes Python holds are exactly the encoder's outputs:"""),
    code("""ae.wait()
print(ae.status)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
model = ae.model
with torch.no_grad():
    assert np.allclose(ae.codes, model.encoder(x).numpy(), atol=1e-5)
    assert np.allclose(ae.decode(ae.codes[:5]), model.decoder(torch.tensor(ae.codes[:5])).numpy(),
                       atol=1e-5)
print("codes:", ae.codes.shape, " projection:", ae.projection.shape)"""),
    md("""## A VAE with a 4-D latent space: PCA and sliders

With more than two latent dimensions the plot shows the first two **principal components** of the
codes. Decoding a point p = (p₁, p₂) of the plot uses the explicit inverse mapping

  z = mean + p₁·c₁ + p₂·c₂ + s₃·c₃ + s₄·c₄

where c₁…c₄ are the principal axes (orthonormal rows) and s₃, s₄ the slider values (0 = through
the mean code). For a VAE the code of an input is its posterior mean μ."""),
    code("""vae = dlwidgets.LatentExplorer.demo("vae", latent_dim=4)  # shipped weights
vae"""),
    code("""vae.wait()
plane = vae.plane_map                      # origin = mean, basis = c1, c2, others = c3, c4
p = np.array([0.5, -1.0])
s = np.array([0.3, 0.0])
z = plane.origin + p @ plane.basis + s @ plane.others
assert np.allclose(plane.to_latent(p, s), z)
# projecting a code and mapping it back (with its own slider coordinates) gives the code again
z0 = vae.codes[0]
assert np.allclose(plane.to_latent(plane.to_plane(z0), plane.slider_coords(z0)), z0, atol=1e-5)
print(plane.axis_labels, plane.slider_labels)"""),
    md("""Choose two latent dimensions instead of PCA (in the widget: *view → two latent dimensions*),
and set A, B, C from Python as well as by clicking:"""),
    code("""vae.use_dims(0, 1)
labels = digits.target
a, b, c = [int(np.flatnonzero(labels == k)[0]) for k in (1, 7, 3)]
vae.select(a, b, c)
lin = vae.interpolate(a, b, steps=7, method="linear")
sph = vae.interpolate(a, b, steps=7, method="slerp")
print("interpolations:", lin.shape, sph.shape, " A - B + C decodes to", vae.arithmetic(a, b, c).shape)
print("worst reconstructions:", vae.anomalies_top(5))"""),
    md("""## Your own model

Anything with `.encoder` and `.decoder` modules works (autoencoders from `%%dl` have them), as does
a VAE with `encode(x) -> (mu, logvar)` and `decode(z)`, or an explicit pair
`LatentExplorer((encoder, decoder), data)`. Here a small convolutional autoencoder, trained for a
few seconds: its decoder is not an MLP, so hovering decodes **through the kernel** (one request in
flight at a time; a newer pointer position replaces a pending one)."""),
    code("""torch.manual_seed(0)
images = x.reshape(-1, 1, 8, 8)
conv_ae = nn.Module()
conv_ae.encoder = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                nn.Linear(8 * 8 * 8, 2))
conv_ae.decoder = nn.Sequential(nn.Linear(2, 16 * 4 * 4), nn.ReLU(), nn.Unflatten(1, (16, 4, 4)),
                                nn.ConvTranspose2d(16, 1, 2, stride=2), nn.Sigmoid())
opt = torch.optim.Adam(conv_ae.parameters(), lr=3e-3)
for epoch in range(5):
    for batch in images[torch.randperm(len(images))].split(64):
        opt.zero_grad()
        loss = nn.functional.mse_loss(conv_ae.decoder(conv_ae.encoder(batch)), batch)
        loss.backward()
        opt.step()
conv = dlwidgets.LatentExplorer(conv_ae, images, labels)
print("in-browser decoder:", bool(conv.decoder_mlp), "-", conv.mlp_reason)
conv"""),
    md("""## A generator alone

A GAN generator has no encoder: the explorer samples its prior N(0, I) instead (here an untrained
generator built with the DSL, just to show the mechanics)."""),
    code("""gan = dlwidgets.build('''
input 1x8x8
latent 2
generator:
    dense 64 relu
    dense 64 sigmoid
    reshape 1x8x8
discriminator:
    flatten
    dense 1
''', seed=0)
dlwidgets.LatentExplorer(gan, 1000)"""),
    md("""## Without a kernel

`dlwidgets.export_html` writes one offline page. The MLP decoders keep decoding there (their
weights are in the page); the convolutional one falls back to a precomputed grid of decodings."""),
    code("""import pathlib, tempfile
page = dlwidgets.export_html([ae, conv], pathlib.Path(tempfile.mkdtemp()) / "latent.html")
print(page.name, f"{page.stat().st_size / 1e6:.1f} MB")"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "latent_space")


if __name__ == "__main__":
    print(main())
