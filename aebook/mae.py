"""Masked autoencoders (section 19.1.5), after He et al. (2022), small enough for a CPU.

An image is cut into ``L`` square patches. A random subset of ``⌊L(1 − r)⌋`` patches stays
visible; the **encoder** (a Vision Transformer) sees only those, plus a class token. The
**decoder** projects the encoded tokens to its own width, appends one shared, learned **mask
token** for every removed patch, puts all tokens back in their original order, adds its own
position embeddings, runs a few transformer blocks and predicts the pixels of every patch. The
loss is the squared error on the **removed patches only** (:meth:`MaskedAutoencoder.forward_loss`,
:func:`aebook.losses.masked_patch_loss`).
After pre-training the decoder is dropped and the encoder serves as a feature extractor.

==================================  ============================================================
:func:`patchify`, :func:`unpatchify`  images ``(N, C, H, W)`` ↔ patches ``(N, L, p·p·C)``, exact
                                      inverses
:func:`sincos_pos_embed_2d`           fixed 2-D sine-cosine position embeddings ``(L, dim)``
:func:`random_masking`                per-sample random masks by sorting uniform noise (in
                                      :mod:`aebook.noise`, with the other corruptions)
:class:`MaskedAutoencoder`            encoder on visible patches + decoder with mask tokens;
                                      ``encoder_mode="all"`` gives the BERT-style variant that
                                      feeds mask tokens through the encoder
:class:`MAEConfig`                    its configuration (checkpoints store and compare it)
==================================  ============================================================

Shapes: ``imgs: (N, C, H, W)``, ``patches: (N, L, p*p*C)``, ``mask: (N, L)`` with 1 = removed,
``ids_restore: (N, L)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import boolean, check_finite, choice, integer, positive
from .losses import masked_patch_loss
from .noise import check_mask_ratio, n_visible, random_masking

Tensor = torch.Tensor

__all__ = ["ENCODER_MODES", "EncoderClassifier", "MAEConfig", "MAEOutput", "MaskedAutoencoder",
           "as_images", "check_mask_ratio", "n_visible", "patchify", "random_masking",
           "sincos_pos_embed_2d", "unpatchify"]

#: ``"visible"``: the MAE encoder sees only visible patches; ``"all"``: BERT-style, every
#: position enters the encoder, removed ones as a learned mask token.
ENCODER_MODES = ("visible", "all")
#: guards flat patches when targets are normalised per patch (``norm_pix_loss``)
NORM_PIX_EPS = 1e-6


# ------------------------------------------------------------------------------------------------
# patches


def _check_images(imgs: Any, p: int) -> Tensor:
    if not isinstance(imgs, Tensor) or not imgs.is_floating_point():
        raise TypeError(f"imgs must be a floating torch.Tensor of shape (N, C, H, W), got "
                        f"{getattr(imgs, 'dtype', type(imgs).__name__)}")
    if imgs.ndim != 4:
        raise ValueError(f"imgs must have shape (N, C, H, W), got {tuple(imgs.shape)}")
    H, W = imgs.shape[2:]
    if H % p or W % p:
        raise ValueError(f"image size {H}x{W} is not divisible by patch_size={p}")
    return imgs


def patchify(imgs: Tensor, patch_size: int) -> Tensor:
    """``(N, C, H, W)`` → ``(N, L, p·p·C)`` with ``L = (H/p)(W/p)`` patches in row-major order;
    inside a patch the values are ordered (row, column, channel)."""
    p = integer(patch_size, "patch_size")
    imgs = _check_images(imgs, p)
    N, C, H, W = imgs.shape
    h, w = H // p, W // p
    x = imgs.reshape(N, C, h, p, w, p)
    x = torch.einsum("nchpwq->nhwpqc", x)
    return x.reshape(N, h * w, p * p * C)


def unpatchify(patches: Tensor, patch_size: int, channels: int = 1,
               grid: tuple[int, int] | None = None) -> Tensor:
    """The inverse of :func:`patchify`: ``(N, L, p·p·C)`` → ``(N, C, h·p, w·p)``. ``grid`` is
    ``(h, w)``; by default the grid is square (``h = w = √L``)."""
    p = integer(patch_size, "patch_size")
    C = integer(channels, "channels")
    if not isinstance(patches, Tensor) or patches.ndim != 3 or patches.shape[2] != p * p * C:
        raise ValueError(f"patches must have shape (N, L, p*p*C = {p * p * C}), got "
                         f"{tuple(patches.shape) if isinstance(patches, Tensor) else type(patches).__name__}")
    N, L, _ = patches.shape
    if grid is None:
        h = math.isqrt(L)
        if h * h != L:
            raise ValueError(f"L = {L} patches do not form a square grid; pass grid=(h, w)")
        grid = (h, h)
    h, w = grid
    if h * w != L:
        raise ValueError(f"grid {grid} does not hold L = {L} patches")
    x = patches.reshape(N, h, w, p, p, C)
    x = torch.einsum("nhwpqc->nchpwq", x)
    return x.reshape(N, C, h * p, w * p)


def sincos_pos_embed_2d(dim: int, grid: tuple[int, int]) -> Tensor:
    """Fixed 2-D sine-cosine position embeddings, ``(h·w, dim)`` float32 (row-major, as
    :func:`patchify`).

    Half of the ``dim`` channels encode the row, half the column; each half is the 1-D
    transformer embedding ``[sin(pos·ω_i), cos(pos·ω_i)]`` with ``ω_i = 10000^(−i/(dim/4))``,
    ``i = 0 .. dim/4 − 1`` (Vaswani et al. 2017). ``dim`` must be a multiple of 4.
    """
    dim = integer(dim, "dim")
    if dim % 4:
        raise ValueError(f"dim must be a multiple of 4 for 2-D sine-cosine embeddings, got {dim}")
    h, w = (integer(g, "grid") for g in grid)
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4))

    def one_d(pos: Tensor) -> Tensor:
        out = pos[:, None] * omega[None, :]
        return torch.cat([torch.sin(out), torch.cos(out)], dim=1)  # (n, dim/2)

    rows, cols = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                                torch.arange(w, dtype=torch.float64), indexing="ij")
    emb = torch.cat([one_d(rows.flatten()), one_d(cols.flatten())], dim=1)
    return emb.float()


def _gather_tokens(x: Tensor, ids: Tensor) -> Tensor:
    """``x: (N, L, D)``, ``ids: (N, K)`` → ``(N, K, D)``."""
    return torch.gather(x, 1, ids[:, :, None].expand(-1, -1, x.shape[2]))


# ------------------------------------------------------------------------------------------------
# transformer blocks (pre-norm, as in ViT)


class Attention(nn.Module):
    """Multi-head self-attention with one ``qkv`` projection and PyTorch's fused
    ``scaled_dot_product_attention``."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"embed dim {dim} must be divisible by num_heads={num_heads}")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        N, T, D = x.shape
        qkv = self.qkv(x).reshape(N, T, 3, self.num_heads, D // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (N, heads, T, d)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(N, T, D))


class Block(nn.Module):
    """``x + Attn(LN(x))`` then ``x + MLP(LN(x))``, GELU MLP of width ``mlp_ratio · dim``."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


# ------------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class MAEConfig:
    """Configuration of :class:`MaskedAutoencoder` (plain values; checkpoints compare it).

    Defaults fit MNIST (28×28, one channel, 7×7 patches: L = 16) on a CPU.
    """

    img_size: int = 28
    patch_size: int = 7
    in_chans: int = 1
    embed_dim: int = 64
    depth: int = 4
    num_heads: int = 4
    decoder_embed_dim: int = 64
    decoder_depth: int = 2
    decoder_num_heads: int = 4
    mlp_ratio: float = 2.0
    norm_pix_loss: bool = False
    encoder_mode: str = "visible"

    def __post_init__(self):
        for name in ("img_size", "patch_size", "in_chans", "embed_dim", "depth", "num_heads",
                     "decoder_embed_dim", "decoder_depth", "decoder_num_heads"):
            integer(getattr(self, name), name)
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size={self.img_size} must be divisible by "
                             f"patch_size={self.patch_size}")
        for dim, heads in (("embed_dim", "num_heads"), ("decoder_embed_dim", "decoder_num_heads")):
            if getattr(self, dim) % 4 or getattr(self, dim) % getattr(self, heads):
                raise ValueError(f"{dim}={getattr(self, dim)} must be a multiple of 4 and of "
                                 f"{heads}={getattr(self, heads)}")
        object.__setattr__(self, "mlp_ratio", positive(self.mlp_ratio, "mlp_ratio"))
        boolean(self.norm_pix_loss, "norm_pix_loss")
        choice(self.encoder_mode, "encoder_mode", ENCODER_MODES)

    @property
    def grid(self) -> int:
        """Patches per side, ``img_size / patch_size``."""
        return self.img_size // self.patch_size

    @property
    def num_patches(self) -> int:
        """``L``."""
        return self.grid ** 2

    @property
    def patch_dim(self) -> int:
        """Values per patch, ``p · p · C``."""
        return self.patch_size ** 2 * self.in_chans


@dataclass(frozen=True, eq=False)
class MAEOutput:
    """What :meth:`MaskedAutoencoder.forward` returns.

    Attributes:
        loss: scalar, the squared error on removed patches (:func:`aebook.losses.masked_patch_loss`).
        pred: ``(N, L, p·p·C)`` predicted pixels of every patch (normalised per patch when
            ``norm_pix_loss``), in the original patch order.
        mask: ``(N, L)``, 1 = removed. ids_restore: ``(N, L)``.
        latent: ``(N, T, embed_dim)`` the encoder's output tokens (class token first); ``T`` is
            ``1 + ⌊L(1 − r)⌋`` for the MAE, ``1 + L`` for the BERT-style encoder.
    """

    loss: Tensor
    pred: Tensor
    mask: Tensor
    ids_restore: Tensor
    latent: Tensor


class MaskedAutoencoder(nn.Module):
    """Masked autoencoder (He et al. 2022), Fig. 19.5 of the book.

    ``encoder_mode="visible"`` (default) is the MAE: the encoder sees the ``⌊L(1 − r)⌋``
    visible patch tokens and a class token, nothing else. ``encoder_mode="all"`` is the
    BERT-style baseline of the paper's Table 2 ("encoder w/ [M]"): every position enters the
    encoder, removed ones replaced by a learned encoder mask token; the decoder then needs no
    mask tokens of its own.

    Args: the fields of :class:`MAEConfig`, by keyword.
    """

    def __init__(self, **kwargs: Any):
        super().__init__()
        self.config = c = MAEConfig(**kwargs)
        width, dec_width = c.embed_dim, c.decoder_embed_dim
        self.patch_embed = nn.Linear(c.patch_dim, width)  # = a conv with kernel and stride p
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        pos = sincos_pos_embed_2d(width, (c.grid, c.grid))
        self.register_buffer("pos_embed", torch.cat([torch.zeros(1, width), pos])[None], persistent=False)
        self.blocks = nn.ModuleList(Block(width, c.num_heads, c.mlp_ratio) for _ in range(c.depth))
        self.norm = nn.LayerNorm(width)
        self.decoder_embed = nn.Linear(width, dec_width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec_width))
        dpos = sincos_pos_embed_2d(dec_width, (c.grid, c.grid))
        self.register_buffer("decoder_pos_embed", torch.cat([torch.zeros(1, dec_width), dpos])[None],
                             persistent=False)
        self.decoder_blocks = nn.ModuleList(
            Block(dec_width, c.decoder_num_heads, c.mlp_ratio) for _ in range(c.decoder_depth))
        self.decoder_norm = nn.LayerNorm(dec_width)
        self.decoder_pred = nn.Linear(dec_width, c.patch_dim)
        if c.encoder_mode == "all":
            self.encoder_mask_token = nn.Parameter(torch.zeros(1, 1, width))
        self._init_weights()

    def _init_weights(self) -> None:
        # as in the MAE reference: small normal tokens, Xavier-uniform linear layers
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        if hasattr(self, "encoder_mask_token"):
            nn.init.normal_(self.encoder_mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @classmethod
    def from_config(cls, config: MAEConfig | Mapping) -> MaskedAutoencoder:
        """Build from an :class:`MAEConfig` or a dict of its fields (e.g. from a checkpoint)."""
        if isinstance(config, MAEConfig):
            config = dataclasses.asdict(config)
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be an MAEConfig or a dict, got {type(config).__name__}")
        return cls(**config)

    @property
    def num_patches(self) -> int:
        return self.config.num_patches

    # -- encoder ---------------------------------------------------------------------------------

    def _check(self, imgs: Tensor) -> Tensor:
        c = self.config
        imgs = _check_images(imgs, c.patch_size)
        if tuple(imgs.shape[1:]) != (c.in_chans, c.img_size, c.img_size):
            raise ValueError(f"imgs must have shape (N, {c.in_chans}, {c.img_size}, {c.img_size}), "
                             f"got {tuple(imgs.shape)}")
        return imgs

    def _run_encoder(self, tokens: Tensor) -> Tensor:
        for blk in self.blocks:
            tokens = blk(tokens)
        return self.norm(tokens)

    def forward_encoder(self, imgs: Tensor, mask_ratio: float = 0.75, *,
                        generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Mask and encode: returns ``(latent, mask, ids_restore)``.

        ``latent`` is ``(N, 1 + K, embed_dim)`` with ``K = ⌊L(1 − r)⌋`` (MAE) or
        ``(N, 1 + L, embed_dim)`` (BERT-style), class token first.
        """
        imgs = self._check(imgs)
        N, L = imgs.shape[0], self.num_patches
        x = self.patch_embed(patchify(imgs, self.config.patch_size))  # (N, L, E)
        ids_keep, mask, ids_restore = random_masking(N, L, mask_ratio, generator=generator,
                                                     device=imgs.device)
        if self.config.encoder_mode == "visible":
            x = _gather_tokens(x + self.pos_embed[:, 1:], ids_keep)  # (N, K, E)
        else:  # BERT-style: every position, removed ones as the encoder's mask token
            x = torch.where(mask[:, :, None].bool(), self.encoder_mask_token.to(x.dtype), x)
            x = x + self.pos_embed[:, 1:]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(N, -1, -1)
        return self._run_encoder(torch.cat([cls, x], dim=1)), mask, ids_restore

    @torch.no_grad()
    def features(self, imgs: Tensor, pool: str = "mean") -> Tensor:
        """The encoder as a feature extractor (no masking, decoder unused): ``(N, embed_dim)``,
        the mean of the patch tokens (``pool="mean"``) or the class token (``pool="cls"``)."""
        if pool not in ("mean", "cls"):
            raise ValueError(f"pool must be 'mean' or 'cls', got {pool!r}")
        latent, _, _ = self.forward_encoder(imgs, 0.0)
        return latent[:, 1:].mean(1) if pool == "mean" else latent[:, 0]

    # -- decoder ---------------------------------------------------------------------------------

    def forward_decoder(self, latent: Tensor, ids_restore: Tensor) -> Tensor:
        """Decode to per-patch pixels ``(N, L, p·p·C)`` in the original patch order."""
        x = self.decoder_embed(latent)  # (N, 1 + K, Ed)
        N, L = ids_restore.shape
        if self.config.encoder_mode == "visible":
            n_mask = L + 1 - x.shape[1]
            tokens = torch.cat([x[:, 1:], self.mask_token.to(x.dtype).expand(N, n_mask, -1)], dim=1)
            tokens = _gather_tokens(tokens, ids_restore)  # unshuffle: (N, L, Ed)
            x = torch.cat([x[:, :1], tokens], dim=1)
        x = x + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]  # drop the class token

    def forward_loss(self, imgs: Tensor, pred: Tensor, mask: Tensor) -> Tensor:
        """The squared error on the removed patches (:func:`aebook.losses.masked_patch_loss`),
        against normalised patches when ``norm_pix_loss``."""
        target = patchify(imgs, self.config.patch_size)
        # the mask is valid by construction: skip the checks that would sync a GPU every batch
        return masked_patch_loss(pred, target, mask, norm_pix=self.config.norm_pix_loss,
                                 eps=NORM_PIX_EPS, validate=False)

    def forward(self, imgs: Tensor, mask_ratio: float = 0.75, *,
                generator: torch.Generator | None = None) -> MAEOutput:
        """Mask, encode, decode and score: an :class:`MAEOutput`. ``mask_ratio`` in (0, 1):
        the loss is defined on removed patches, so a ratio that removes none raises."""
        if n_visible(self.num_patches, mask_ratio) == self.num_patches:
            raise ValueError(f"mask_ratio={mask_ratio!r} removes no patch out of L="
                             f"{self.num_patches}: the MAE loss is defined on removed patches only")
        latent, mask, ids_restore = self.forward_encoder(imgs, mask_ratio, generator=generator)
        pred = self.forward_decoder(latent, ids_restore)
        loss = self.forward_loss(imgs, pred, mask)
        return MAEOutput(loss=loss, pred=pred, mask=mask, ids_restore=ids_restore, latent=latent)

    @torch.no_grad()
    def reconstruct(self, imgs: Tensor, mask_ratio: float = 0.75, *,
                    generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """For figures: ``(masked, recon, pasted)`` images ``(N, C, H, W)``: the input with removed
        patches set to 0, the full prediction, and the prediction on removed patches pasted into
        the visible input. With ``norm_pix_loss`` the prediction is un-normalised with each
        patch's true mean and standard deviation (as the MAE paper's visualisations do)."""
        out = self(imgs, mask_ratio, generator=generator)
        p, C = self.config.patch_size, self.config.in_chans
        target = patchify(imgs, p)
        pred = out.pred
        if self.config.norm_pix_loss:
            mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
            pred = pred * (var + NORM_PIX_EPS).sqrt() + mean
        m = out.mask[:, :, None]
        masked = unpatchify(target * (1 - m), p, C)
        recon = unpatchify(pred, p, C)
        pasted = unpatchify(target * (1 - m) + pred * m, p, C)
        return masked, recon, pasted


def as_images(x: Tensor, side: int, channels: int = 1) -> Tensor:
    """Flattened images ``(N, C·side·side)`` → ``(N, C, side, side)``; NaN/inf refused."""
    if not isinstance(x, Tensor) or x.ndim != 2 or x.shape[1] != channels * side * side:
        raise ValueError(f"x must have shape (N, {channels * side * side}), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    check_finite(x, "x")
    return x.reshape(-1, channels, side, side)


class EncoderClassifier(nn.Module):
    """A pre-trained MAE's encoder (no masking) with a linear head on the mean patch token: the
    network that fine-tuning trains (He et al. 2022)."""

    def __init__(self, mae: MaskedAutoencoder, n_classes: int = 10):
        super().__init__()
        self.mae = mae
        self.head = nn.Linear(mae.config.embed_dim, integer(n_classes, "n_classes"))

    def forward(self, x: Tensor) -> Tensor:
        latent, _, _ = self.mae.forward_encoder(x, 0.0)
        return self.head(latent[:, 1:].mean(1))
