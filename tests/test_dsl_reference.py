"""Reference models declared in the DSL equal hand-written PyTorch, parameter for parameter and
output for output (same seed where construction order allows, else the same state_dict).

torchvision is not importable beside this torch, so VGG-11 and ResNet-18 are written out here
exactly as torchvision.models defines them (VGG cfg "A" with its classifier; ResNet with
BasicBlock, bias-free 3x3 convs and the conv1x1 + BatchNorm downsample).
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlwidgets import build
from dlwidgets.dsl import VAE, Autoencoder, vae_loss
from tests.dsl_models import LENET

VGG11 = """
input 3x224x224
block features:
    conv 64 3x3 pad=1 relu
    maxpool 2
    conv 128 3x3 pad=1 relu
    maxpool 2
    repeat 2:
        conv 256 3x3 pad=1 relu
    maxpool 2
    repeat 2:
        conv 512 3x3 pad=1 relu
    maxpool 2
    repeat 2:
        conv 512 3x3 pad=1 relu
    maxpool 2
adaptiveavgpool 7x7 name=avgpool
flatten
block classifier:
    dense 4096 relu
    dropout 0.5
    dense 4096 relu
    dropout 0.5
    dense 1000
"""


def _resnet_stage(name: str, channels: int, stride: int) -> str:
    first_stride = f" stride={stride}" if stride > 1 else ""
    shortcut = (f"""
        shortcut:
            conv {channels} 1x1 stride={stride} bias=false
            batchnorm""" if stride > 1 else "")
    return f"""
block {name}:
    residual relu:
        conv {channels} 3x3{first_stride} pad=1 bias=false
        batchnorm relu
        conv {channels} 3x3 pad=1 bias=false
        batchnorm{shortcut}
    residual relu:
        conv {channels} 3x3 pad=1 bias=false
        batchnorm relu
        conv {channels} 3x3 pad=1 bias=false
        batchnorm"""


RESNET18 = ("""
input 3x224x224
conv 64 7x7 stride=2 pad=3 bias=false
batchnorm relu
maxpool 3 stride=2 pad=1"""
            + _resnet_stage("layer1", 64, 1) + _resnet_stage("layer2", 128, 2)
            + _resnet_stage("layer3", 256, 2) + _resnet_stage("layer4", 512, 2) + """
globalavgpool
dense 1000
""")


# ------------------------------------------------------------------ torchvision, by hand

class TorchvisionVGG(nn.Module):
    """torchvision.models.vgg11 (cfg 'A', no batch norm)."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 3
        for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            if v == "M":
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                assert isinstance(v, int)
                layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1),
                           nn.ReLU(inplace=True)]
                in_channels = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TorchvisionResNet18(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride),
                                       nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


# ------------------------------------------------------------------ helpers

def shapes(model: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(p.shape) for p in model.parameters()]


def copy_state_by_order(src: nn.Module, dst: nn.Module) -> None:
    """Load ``src``'s state into ``dst`` entry by entry (names differ, order and shapes agree)."""
    s_items = list(src.state_dict().items())
    d_items = list(dst.state_dict().items())
    assert len(s_items) == len(d_items)
    new = OrderedDict()
    for (_, sv), (dk, dv) in zip(s_items, d_items):
        assert sv.shape == dv.shape, dk
        new[dk] = sv.clone()
    dst.load_state_dict(new)


def randomize_bn_stats(model: nn.Module, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def same_weights(a: nn.Module, b: nn.Module) -> None:
    assert shapes(a) == shapes(b)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


# ------------------------------------------------------------------ small models, same seed

def test_mlp_one_line_form() -> None:
    model = build("input 2 -> dense 8 relu -> dense 1 sigmoid", seed=0)
    torch.manual_seed(0)
    ref = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    same_weights(model, ref)
    x = torch.randn(16, 2)
    torch.testing.assert_close(model(x), ref(x), rtol=0, atol=0)


def test_lenet_verbatim() -> None:
    model = build(LENET, seed=3)
    torch.manual_seed(3)
    ref = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    same_weights(model, ref)
    assert model.state_dict().keys() == ref.state_dict().keys()
    x = torch.randn(4, 1, 28, 28)
    torch.testing.assert_close(model(x), ref(x), rtol=0, atol=0)
    spec = model.dl_spec
    assert spec.input_shape == (1, 28, 28)
    assert [n.out_shape for n in spec.layers()][:3] == [(6, 28, 28), (6, 28, 28), (6, 14, 14)]
    assert sum(p.numel() for p in ref.parameters()) == spec.total_params


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(32)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.bn(self.conv2(x))), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


def test_small_cnn_by_state_dict() -> None:
    model = build("""
input 1x28x28
conv 16 3x3 pad=1 relu
maxpool 2
conv 32 3x3 pad=1 bias=false
batchnorm relu
maxpool 2
flatten
dropout 0.25
dense 10
""", seed=0)
    ref = SmallCNN()
    randomize_bn_stats(ref)
    assert shapes(model) == shapes(ref)
    copy_state_by_order(ref, model)
    x = torch.randn(5, 1, 28, 28)
    model.eval()
    ref.eval()
    torch.testing.assert_close(model(x), ref(x))
    model.train()
    ref.train()
    torch.manual_seed(1)
    out_model = model(x)
    torch.manual_seed(1)
    torch.testing.assert_close(out_model, ref(x))  # same dropout mask, batch statistics


class LSTMClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(1000, 32)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.fc = nn.Linear(64, 5)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, (h_n, _) = self.lstm(self.embed(tokens))
        return self.fc(h_n[-1])


def test_lstm_classifier_same_seed() -> None:
    model = build("input 30 tokens\nembedding 1000 32\nlstm 64\ndense 5", seed=4)
    torch.manual_seed(4)
    ref = LSTMClassifier()
    same_weights(model, ref)
    tokens = torch.randint(0, 1000, (6, 30))
    torch.testing.assert_close(model(tokens), ref(tokens))
    assert model.dl_spec.input_dtype == "int64"


CONV_AE = """
input 1x28x28
encoder:
    conv 8 3x3 stride=2 pad=1 relu
    conv 16 3x3 stride=2 pad=1 relu
    flatten
    dense 32
decoder:
    dense 784 relu
    reshape 16x7x7
    deconv 8 3x3 stride=2 pad=1 output_padding=1 relu
    deconv 1 3x3 stride=2 pad=1 output_padding=1 sigmoid
"""


class ConvAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
            nn.Linear(16 * 7 * 7, 32))
        self.decoder = nn.Sequential(
            nn.Linear(32, 784), nn.ReLU(), nn.Unflatten(1, (16, 7, 7)),
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def test_autoencoder_contract_and_same_seed() -> None:
    model = build(CONV_AE, seed=7)
    assert isinstance(model, Autoencoder)
    assert isinstance(model.encoder, nn.Module) and isinstance(model.decoder, nn.Module)
    torch.manual_seed(7)
    ref = ConvAE()
    same_weights(model, ref)
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(model(x), ref(x))
    torch.testing.assert_close(model(x), model.decoder(model.encoder(x)))
    assert model.dl_spec.kind == "autoencoder"
    assert model.dl_spec.part("encoder").out_shape == (32,)
    assert model.dl_spec.output_shape == (1, 28, 28)


MLP_VAE = """
input 784
encoder:
    dense 400 relu
latent 20
decoder:
    dense 400 relu
    dense 784 sigmoid
"""


class ExamplesVAE(nn.Module):
    """The VAE of pytorch/examples (vae/main.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def test_vae_contract_same_seed_and_loss() -> None:
    model = build(MLP_VAE, seed=9)
    assert isinstance(model, VAE) and model.latent_dim == 20
    torch.manual_seed(9)
    ref = ExamplesVAE()
    same_weights(model, ref)
    x = torch.rand(8, 784)
    model.train()
    torch.manual_seed(0)
    recon, mu, logvar = model(x)
    torch.manual_seed(0)
    r_recon, r_mu, r_logvar = ref(x)
    torch.testing.assert_close(recon, r_recon)
    torch.testing.assert_close(mu, r_mu)
    torch.testing.assert_close(logvar, r_logvar)
    enc_mu, enc_logvar = model.encode(x)
    torch.testing.assert_close(enc_mu, r_mu)
    assert model.encoder(x).shape == (8, 400)
    # KL(N(mu, sigma^2) || N(0, 1)), written out: sum over latent dims, mean over the batch
    sigma2 = logvar.exp()
    kl = (0.5 * (sigma2 + mu**2 - 1 - torch.log(sigma2))).sum(1).mean()
    torch.testing.assert_close(model.kl_divergence(mu, logvar), kl)
    # pytorch/examples loss (sums over the batch) divided by the batch size
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    torch.testing.assert_close(vae_loss(recon, x, mu, logvar), (bce + kld) / 8)
    assert model.recon_loss == "bce"
    model.eval()
    recon_eval, mu_eval, _ = model(x)
    torch.testing.assert_close(recon_eval, model.decode(mu_eval))  # eval: z = mu
    z = model.reparameterize(mu, logvar)
    torch.testing.assert_close(z, mu)
    model.train()
    torch.manual_seed(5)
    z1 = model.reparameterize(mu, logvar)
    torch.manual_seed(5)
    torch.testing.assert_close(model.reparameterize(mu, logvar), z1)  # same seed, same z
    assert model.sample(4).shape == (4, 784)
    assert model.dl_spec.kind == "vae" and model.dl_spec.latent_dim == 20


def test_vae_loss_rejects_bad_arguments() -> None:
    x = torch.rand(2, 4)
    with pytest.raises(ValueError, match="recon_loss"):
        vae_loss(x, x, torch.zeros(2, 1), torch.zeros(2, 1), recon_loss="l7")
    with pytest.raises(ValueError, match="shape"):
        vae_loss(x[:, :3], x, torch.zeros(2, 1), torch.zeros(2, 1))


def test_conv_vae_and_gan_parts() -> None:
    vae = build("""
input 1x28x28
encoder:
    conv 8 3x3 stride=2 pad=1 relu
    flatten
latent 4
decoder:
    dense 784
    reshape 1x28x28
""", seed=0)
    assert vae.dl_spec.part("latent").in_shape == (8 * 14 * 14,)
    recon, mu, logvar = vae(torch.rand(2, 1, 28, 28))
    assert recon.shape == (2, 1, 28, 28) and mu.shape == (2, 4) and logvar.shape == (2, 4)
    assert vae.recon_loss == "mse"
    gan = build("""
input 1x28x28
latent 16
generator:
    dense 64 relu
    dense 784 tanh
    reshape 1x28x28
discriminator:
    flatten
    dense 64 leaky_relu(0.2)
    dense 1
""", seed=0)
    assert gan.latent_dim == 16
    assert isinstance(gan.generator, nn.Module) and isinstance(gan.discriminator, nn.Module)
    fake = gan.generator(torch.randn(3, 16))
    assert fake.shape == (3, 1, 28, 28)
    assert gan.discriminator(fake).shape == (3, 1)
    torch.testing.assert_close(gan(torch.zeros(1, 16)), gan.generator(torch.zeros(1, 16)))
    assert gan.sample(2).shape == (2, 1, 28, 28)
    assert isinstance(gan.discriminator[2], nn.LeakyReLU)
    assert gan.discriminator[2].negative_slope == 0.2


def test_gan_generator_must_make_data_shape() -> None:
    from dlwidgets.dsl import DSLError

    with pytest.raises(DSLError, match=r"the generator gives \(784,\) but the data"):
        build("input 1x28x28\nlatent 8\ngenerator:\n  dense 784\ndiscriminator:\n  flatten\n"
              "  dense 1")


# ------------------------------------------------------------------ torchvision families

def test_vgg11_equals_torchvision() -> None:
    with torch.device("meta"):  # 133M parameters: skip the DSL side's initialisation
        model = build(VGG11, seed=0)
    ref = TorchvisionVGG()
    assert shapes(model) == shapes(ref)
    total = sum(p.numel() for p in ref.parameters())
    assert total == 132_863_336  # torchvision's published count for vgg11
    assert model.dl_spec.total_params == total
    # names line up with torchvision too, so its state_dict loads by name (strict)
    assert list(model.state_dict()) == list(ref.state_dict())
    model = model.to_empty(device="cpu")
    model.load_state_dict(ref.state_dict())
    model.eval()
    ref.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x))
    spec_shapes = {n.path: n.out_shape for n in model.dl_spec.layers()}
    assert spec_shapes["features.20"] == (512, 7, 7)  # last maxpool at 224x224
    del model, ref


def test_resnet18_equals_torchvision() -> None:
    model = build(RESNET18, seed=0)
    torch.manual_seed(0)
    ref = TorchvisionResNet18()
    assert shapes(model) == shapes(ref)
    total = sum(p.numel() for p in ref.parameters())
    assert total == 11_689_512  # torchvision's published count for resnet18
    assert model.dl_spec.total_params == total
    buffers = [tuple(b.shape) for b in ref.buffers()]
    assert [tuple(b.shape) for b in model.buffers()] == buffers
    randomize_bn_stats(ref)
    copy_state_by_order(ref, model)
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    ref.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x), rtol=1e-4, atol=1e-4)
    model.train()
    ref.train()
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x), rtol=1e-4, atol=1e-4)
    shapes_at = {n.path: n.out_shape for n in model.dl_spec.layers()}
    assert model.dl_spec.part is not None
    assert shapes_at["3"] == (64, 56, 56)  # after the stem's maxpool
    stage4 = [n for n in model.dl_spec.walk() if n.path == "layer4"][0]
    assert stage4.out_shape == (512, 7, 7)
    assert model.dl_spec.output_shape == (1000,)
