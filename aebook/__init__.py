"""aebook: the library behind the bilingual companion to Bishop & Bishop, chapter 19.

Every model and loss of the chapter lives here once, with the book's equation number in its
docstring; the notebooks under ``book/`` import it and never redefine it.
"""

__version__ = "0.1.0"

from .config import Setup, get_mode, pick_device, seed_everything, setup
from .i18n import get_language, set_language, t

from . import arc, data, figures, glossary, losses, mae, models, noise, pca, score, train, vae  # noqa: E402  (aebook.data.<name>)
from .data import Split, load, load_digits8, load_mnist5k  # noqa: E402
from .losses import (  # noqa: E402
    book_error_19_1, book_error_19_3, denoising_error, denoising_loss, l1_activation_penalty, recon_loss,
    reconstruction_error, sparse_loss, weight_l2_penalty,
)
from .noise import Corruption, gaussian_noise, mask_noise  # noqa: E402
from .models import AEOutput, DeepAutoencoder, LinearAutoencoder, ShallowAutoencoder  # noqa: E402
from .pca import PCA, principal_angles, subspace_distance  # noqa: E402
from .train import History, TrainingDiverged, evaluate, fit, load_checkpoint, save_checkpoint  # noqa: E402

__all__ = [
    "__version__",
    "Setup", "get_mode", "pick_device", "seed_everything", "setup",
    "get_language", "set_language", "t",
    "arc", "data", "figures", "glossary", "losses", "mae", "models", "noise", "pca", "score", "train", "vae",
    "book_error_19_1", "book_error_19_3", "denoising_error", "denoising_loss", "l1_activation_penalty",
    "recon_loss", "reconstruction_error", "sparse_loss", "weight_l2_penalty",
    "Corruption", "gaussian_noise", "mask_noise",
    "AEOutput", "DeepAutoencoder", "LinearAutoencoder", "ShallowAutoencoder",
    "PCA", "principal_angles", "subspace_distance",
    "History", "TrainingDiverged", "evaluate", "fit", "load_checkpoint", "save_checkpoint",
    "Split", "load", "load_digits8", "load_mnist5k",
]
