"""Hand-written models that follow the latent-explorer contract (shared by the latent tests)."""

from __future__ import annotations

import torch
from torch import nn


class TinyAE(nn.Module):
    """Autoencoder exposing .encoder and .decoder; forward = decoder(encoder(x))."""

    def __init__(self, d_in: int = 16, latent_dim: int = 3, hidden: int = 32) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, hidden), nn.Tanh(), nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, d_in), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class TinyVAE(nn.Module):
    """VAE exposing encode(x) -> (mu, logvar), decode(z) and latent_dim."""

    def __init__(self, d_in: int = 16, latent_dim: int = 4, hidden: int = 32) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.trunk = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.GELU(),
                                     nn.Linear(hidden, d_in))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


class ConvAE(nn.Module):
    """Image autoencoder on (N, 1, 8, 8) with a conv encoder (decoder is not an MLP)."""

    def __init__(self, latent_dim: int = 2) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                     nn.Linear(4 * 8 * 8, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 16 * 4 * 4), nn.ReLU(),
                                     nn.Unflatten(1, (16, 4, 4)),
                                     nn.ConvTranspose2d(16, 1, 2, stride=2), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class Generator(nn.Module):
    """A GAN generator alone, with a latent_dim attribute."""

    def __init__(self, latent_dim: int = 5, d_out: int = 12) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(nn.Linear(latent_dim, 24), nn.LeakyReLU(0.2),
                                 nn.Linear(24, d_out), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class DCGenerator(nn.Module):
    """DCGAN-style generator taking (N, d, 1, 1)."""

    def __init__(self, latent_dim: int = 6) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(latent_dim, 4, 4), nn.ReLU(),
                                 nn.ConvTranspose2d(4, 1, 2, stride=2), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class GAN(nn.Module):
    def __init__(self, latent_dim: int = 5) -> None:
        super().__init__()
        self.generator = Generator(latent_dim)
        self.discriminator = nn.Sequential(nn.Linear(12, 1))


class NotAnAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.fc1(x))
