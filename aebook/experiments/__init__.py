"""Named experiments of chapter 19, shared by the figures and the pages.

Each experiment is declared once (:mod:`.registry`): a *quick* configuration (seconds on one
CPU thread; used by the tests, the figure baselines and ``AEBOOK_MODE=quick``) and a *full*
one (bigger nets, more data, more epochs), chosen by :func:`aebook.config.get_mode` from the
``mode`` argument (``None`` = ``$AEBOOK_MODE``). ``python -m aebook run <name> --mode full``
runs one headless.

=================================  ==========================================================
:mod:`.deterministic`              19.1-19.1.2: linear, shallow and deep AEs against PCA
:mod:`.regularized`                19.1.3-19.1.4: sparse and denoising AEs, the score
:mod:`.masked`                     19.1.5: masked autoencoders
:mod:`.vae`                        19.2: the VAE on MNIST, estimators of ln p(x), the arc model
:mod:`.variants`                   19.2.2: gradient estimators, β and collapse, cVAE,
                                   convolutional VAE, a decoder that outputs a variance
:mod:`.papers`                     in the setting of a published number: pytorch/examples'
                                   VAE, Burda et al.'s VAE and IWAE
:mod:`.results`                    full-size results with provenance (``python -m aebook run``)
=================================  ==========================================================

Results are cached per mode, seed and configuration (:func:`clear_cache` forgets them), so the
Korean and the English figure and the cells that print numbers share one training run. **Do
not modify returned tensors or models in place**: every later caller shares them.
"""

from ._data import mnist_data, recon_error
from .deterministic import *  # noqa: F401,F403
from .deterministic import __all__ as _det_all
from .masked import *  # noqa: F401,F403
from .masked import __all__ as _mae_all
from .papers import *  # noqa: F401,F403
from .papers import __all__ as _papers_all
from .registry import CONFIGS, EXPERIMENTS, Schedule, clear_cache, config_for, configure, experiment
from .regularized import *  # noqa: F401,F403
from .regularized import __all__ as _reg_all
from .vae import *  # noqa: F401,F403
from .vae import __all__ as _vae_all
from .variants import *  # noqa: F401,F403
from .variants import __all__ as _var_all

__all__ = ["CONFIGS", "EXPERIMENTS", "Schedule", "clear_cache", "config_for", "configure",
           "experiment", "mnist_data", "recon_error", *_det_all, *_reg_all, *_mae_all, *_vae_all, *_var_all,
           *_papers_all]
