"""aebook: the library behind the bilingual companion to Bishop & Bishop, chapter 19.

Every model and loss of the chapter lives here once, with the book's equation number in its
docstring (:mod:`aebook.equations` is the index); the notebooks under ``book/`` import it and
never redefine it.

The layers, each importing only those above it::

    _checks, config, i18n                 argument checks and seeded draws; mode, seeds, device; labels
    data, densities, noise                data sets; exact densities; corruptions and patch masks
    layers, models, pca, mae, vae, arc    the networks and the exact reference models
    losses, metrics, score                what training minimises and what the experiments measure
    train                                 one loop for every model, checkpoints
    experiments                           named experiments with a quick and a full configuration
    figures, widgets                      what the pages show (imported on first use: matplotlib)
"""

import importlib

from . import arc, data, densities, equations, glossary, losses, mae, metrics, models, noise, pca, score, train, vae  # noqa: E402,I001
from ._version import __version__
from .config import Setup, get_mode, pick_device, seed_everything, setup
from .data import Split, load, load_digits8, load_mnist5k  # noqa: E402
from .i18n import get_language, set_language, t
from .losses import (  # noqa: E402
    book_error_19_1,
    book_error_19_3,
    denoising_error,
    denoising_loss,
    l1_activation_penalty,
    recon_loss,
    reconstruction_error,
    sparse_loss,
    weight_l2_penalty,
)
from .models import AEOutput, DeepAutoencoder, LinearAutoencoder, ShallowAutoencoder  # noqa: E402
from .noise import Corruption, gaussian_noise, mask_noise  # noqa: E402
from .pca import PCA, principal_angles, subspace_distance  # noqa: E402
from .train import History, TrainingDiverged, evaluate, fit, load_checkpoint, save_checkpoint  # noqa: E402

_LAZY = ("experiments", "figures", "widgets")  # matplotlib and the experiments load on first use


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'aebook' has no attribute {name!r}")


__all__ = [
    "__version__",
    "Setup", "get_mode", "pick_device", "seed_everything", "setup",
    "get_language", "set_language", "t",
    "arc", "data", "densities", "equations", "experiments", "figures", "glossary", "losses", "mae", "metrics",
    "models", "noise", "pca", "score", "train", "vae", "widgets",
    "book_error_19_1", "book_error_19_3", "denoising_error", "denoising_loss", "l1_activation_penalty",
    "recon_loss", "reconstruction_error", "sparse_loss", "weight_l2_penalty",
    "Corruption", "gaussian_noise", "mask_noise",
    "AEOutput", "DeepAutoencoder", "LinearAutoencoder", "ShallowAutoencoder",
    "PCA", "principal_angles", "subspace_distance",
    "History", "TrainingDiverged", "evaluate", "fit", "load_checkpoint", "save_checkpoint",
    "Split", "load", "load_digits8", "load_mnist5k",
]
