"""The torch modules the DSL builds beyond ``torch.nn``'s own: small, plain, picklable.

Composite models expose their parts as attributes: ``Autoencoder.encoder/.decoder``,
``VAE.encoder/.fc_mu/.fc_logvar/.decoder`` with ``encode``/``reparameterize``/``decode``/
``kl_divergence``, ``GAN.generator/.discriminator``. Every model the DSL builds carries its
declaration as ``model.dl_spec`` (a ``dlwidgets.dsl.spec.ModelSpec``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F


class MinPool(nn.Module):
    """Min pooling: ``-maxpool(-x)`` (PyTorch has no min pool of its own)."""

    def __init__(self, dims: int, kernel: tuple[int, ...], stride: tuple[int, ...],
                 padding: tuple[int, ...], dilation: tuple[int, ...], ceil_mode: bool) -> None:
        super().__init__()
        self.dims = dims
        self.kernel_size = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.max_pool1d if self.dims == 1 else F.max_pool2d
        return -pool(-x, self.kernel_size, self.stride, self.padding, self.dilation,
                     ceil_mode=self.ceil_mode)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class GlobalPool(nn.Module):
    """Average (or max) over every position of each channel: (N, C, ...) -> (N, C)."""

    def __init__(self, op: str = "avg") -> None:
        super().__init__()
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        return flat.mean(dim=2) if self.op == "avg" else flat.amax(dim=2)

    def extra_repr(self) -> str:
        return self.op


class Reshape(nn.Module):
    """Reshape each sample to ``shape`` (the batch dimension is kept)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return "x".join(str(s) for s in self.shape)


class Transpose(nn.Module):
    """Swap the two axes of a 2-D sample: (N, A, B) -> (N, B, A)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


class Recurrent(nn.Module):
    """An ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (batch_first) reduced to one tensor.

    ``mode``: ``last`` gives the final hidden state of the top layer (both directions
    concatenated: forward after the last step, backward after the first), ``all`` the whole
    output sequence (N, T, H·D), ``mean``/``max`` the output pooled over time. The wrapped
    layer is ``self.rnn``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, mode: str = "last",
                 bias: bool = True, nonlinearity: str = "tanh") -> None:
        super().__init__()
        kwargs: dict[str, Any] = dict(num_layers=num_layers, bidirectional=bidirectional,
                                      dropout=dropout if num_layers > 1 else 0.0,
                                      batch_first=True, bias=bias)
        if cell == "rnn":
            self.rnn: nn.RNNBase = nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity,
                                          **kwargs)
        elif cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size, **kwargs)
        elif cell == "gru":
            self.rnn = nn.GRU(input_size, hidden_size, **kwargs)
        else:
            raise ValueError(f"cell must be rnn, lstm or gru, got {cell!r}")
        self.cell = cell
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, state = self.rnn(x)
        if self.mode == "all":
            return out
        if self.mode == "mean":
            return out.mean(dim=1)
        if self.mode == "max":
            return out.amax(dim=1)
        h_n = state[0] if isinstance(state, tuple) else state
        if self.rnn.bidirectional:
            return torch.cat([h_n[-2], h_n[-1]], dim=1)
        return h_n[-1]

    def extra_repr(self) -> str:
        return f"return={self.mode}"


def causal_mask(steps: int, device: torch.device | None = None) -> torch.Tensor:
    """(T, T) bool mask, True above the diagonal: step t may not look at later steps."""
    return torch.ones(steps, steps, dtype=torch.bool, device=device).triu(1)


class SelfAttention(nn.Module):
    """Self-attention on (N, T, F): ``self.attn`` is a plain ``nn.MultiheadAttention``
    (batch_first) called as ``attn(x, x, x)``; ``dim`` != F projects the features first
    (``self.project``); ``causal`` masks later steps."""

    def __init__(self, features: int, heads: int, *, dim: int | None = None,
                 dropout: float = 0.0, causal: bool = False, bias: bool = True) -> None:
        super().__init__()
        dim = dim or features
        self.project = nn.Linear(features, dim) if dim != features else None
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, bias=bias,
                                          batch_first=True)
        self.causal = causal

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.project is not None:
            x = self.project(x)
        mask = causal_mask(x.shape[1], x.device) if self.causal else None
        out, _ = self.attn(x, x, x, attn_mask=mask, need_weights=False, is_causal=self.causal)
        return out

    def extra_repr(self) -> str:
        return "causal" if self.causal else ""


class EncoderLayer(nn.TransformerEncoderLayer):
    """``nn.TransformerEncoderLayer`` (batch_first) that applies its own causal mask when
    declared ``causal``; called with one tensor like every DSL layer."""

    def __init__(self, d_model: int, nhead: int, *, causal: bool = False, **kwargs: Any) -> None:
        super().__init__(d_model, nhead, batch_first=True, **kwargs)
        self.causal = causal

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,  # type: ignore[override]
                src_key_padding_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        if self.causal and src_mask is None:
            src_mask, is_causal = causal_mask(src.shape[1], src.device), True
        return super().forward(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                               is_causal=is_causal)


def sinusoids(steps: int, features: int) -> torch.Tensor:
    """The fixed position code of "Attention is all you need": sin on even, cos on odd features,
    wavelengths from 2π to 10000·2π."""
    pos = torch.arange(steps, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, features, 2, dtype=torch.float32)
                     * (-torch.log(torch.tensor(10000.0)) / features))
    table = torch.zeros(steps, features)
    table[:, 0::2] = torch.sin(pos * rate)
    table[:, 1::2] = torch.cos(pos * rate[: features // 2])
    return table


class Positional(nn.Module):
    """Adds a position vector to each step of (N, T, F): fixed sinusoids (a buffer, not saved)
    or a learned (T, F) table ``self.weight``; shorter sequences use the first rows."""

    def __init__(self, steps: int, features: int, kind: str = "sinusoidal") -> None:
        super().__init__()
        if kind not in ("learned", "sinusoidal"):
            raise ValueError(f"kind must be learned or sinusoidal, got {kind!r}")
        self.kind = kind
        self.weight: nn.Parameter | None = None
        if kind == "learned":
            self.weight = nn.Parameter(torch.randn(steps, features) * 0.02)
        else:
            self.register_buffer("table", sinusoids(steps, features), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        table = self.weight if self.weight is not None else self.get_buffer("table")
        if x.shape[1] > table.shape[0]:
            raise ValueError(f"positional: the sequence has {x.shape[1]} steps but the layer "
                             f"was declared for at most {table.shape[0]}")
        return x + table[: x.shape[1]]

    def extra_repr(self) -> str:
        return self.kind


class Residual(nn.Module):
    """``act(body(x) + shortcut(x))``; the shortcut is the identity unless one is declared."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None,
                 act: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()
        self.act = act if act is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class DLSequential(nn.Sequential):
    """A plain (feed-forward) model from the DSL: an ``nn.Sequential`` carrying ``dl_spec``."""

    dl_spec: Any = None


class Autoencoder(nn.Module):
    """``forward(x) = decoder(encoder(x))``."""

    dl_spec: Any = None

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) = -1/2 Σ_j (1 + logvar_j - mu_j² - exp(logvar_j)),
    summed over latent dimensions and averaged over the batch."""
    per_sample = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
    return per_sample.mean()


def vae_loss(recon: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, *,
             recon_loss: str = "bce", beta: float = 1.0) -> torch.Tensor:
    """Negative ELBO per sample: reconstruction (summed over features, averaged over the batch;
    ``"bce"`` for outputs in [0, 1], ``"mse"`` otherwise) + ``beta`` · KL divergence."""
    if recon.shape != x.shape:
        raise ValueError(f"recon has shape {tuple(recon.shape)} but x has {tuple(x.shape)}; "
                         "they must match")
    if recon_loss == "bce":
        rec = F.binary_cross_entropy(recon, x, reduction="sum")
    elif recon_loss == "mse":
        rec = F.mse_loss(recon, x, reduction="sum")
    else:
        raise ValueError(f"recon_loss must be 'bce' or 'mse', got {recon_loss!r}")
    return rec / x.shape[0] + beta * kl_divergence(mu, logvar)


class VAE(nn.Module):
    """Variational autoencoder with a Gaussian latent of ``latent_dim`` dimensions.

    ``encode(x) -> (mu, logvar)``; ``reparameterize(mu, logvar) = mu + eps·exp(logvar/2)`` with
    eps ~ N(0, I) in training mode (``mu`` in eval mode); ``forward(x) -> (recon, mu, logvar)``.
    """

    dl_spec: Any = None

    def __init__(self, encoder: nn.Module, fc_mu: nn.Linear, fc_logvar: nn.Linear,
                 decoder: nn.Module, recon_loss: str = "bce") -> None:
        super().__init__()
        self.encoder = encoder
        self.fc_mu = fc_mu
        self.fc_logvar = fc_logvar
        self.decoder = decoder
        self.latent_dim = int(fc_mu.out_features)
        self.recon_loss = recon_loss

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return mu
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

    def kl_divergence(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL term of the ELBO (summed over latent dims, mean over the batch)."""
        return kl_divergence(mu, logvar)

    def loss(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        """``vae_loss`` of this model on a batch ``x`` (one forward pass)."""
        recon, mu, logvar = self(x)
        return vae_loss(recon, x, mu, logvar, recon_loss=self.recon_loss, beta=beta)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` draws from the prior N(0, I)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.decode(z)


class GAN(nn.Module):
    """Generator and discriminator; ``forward(z) = generator(z)``."""

    dl_spec: Any = None

    def __init__(self, generator: nn.Module, discriminator: nn.Module, latent_dim: int) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Generate ``n`` samples from z ~ N(0, I)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.generator(z)
