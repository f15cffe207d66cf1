"""Named experiments of chapter 19, shared by the figures and the pages.

Each experiment has a *quick* configuration (seconds on one CPU thread; used by the tests, the
figure baselines and ``AEBOOK_MODE=quick``) and a *full* one (bigger nets, more epochs; meant
for a GPU), chosen by :func:`aebook.config.get_mode` from the ``mode`` argument (``None`` =
``$AEBOOK_MODE``). Nothing here reads the environment except :func:`mnist_data`.

=================================  ==========================================================
:mod:`.deterministic`              19.1-19.1.2: linear, shallow and deep AEs against PCA
:mod:`.regularized`                19.1.3-19.1.4: sparse and denoising AEs, the score
:mod:`.masked`                     19.1.5: masked autoencoders
:mod:`.vae`                        19.2: the VAE on MNIST-5k, estimators of ln p(x)
:mod:`.variants`                   19.2.2: gradient estimators, β and collapse, cVAE,
                                   convolutional VAE, a decoder that outputs a variance
=================================  ==========================================================

Results are cached in-process per mode and seed (:func:`clear_cache` forgets them), so the
Korean and the English figure and the cells that print numbers share one training run. **Do
not modify returned tensors or models in place**: every later caller shares them.
"""

from ._base import MNIST_DIR_ENV, _mnist_from, clear_cache, config_for, mnist_data  # noqa: F401
from .deterministic import *  # noqa: F401,F403
from .deterministic import __all__ as _det_all
from .regularized import *  # noqa: F401,F403
from .regularized import __all__ as _reg_all
from .masked import *  # noqa: F401,F403
from .masked import __all__ as _mae_all
from .vae import *  # noqa: F401,F403
from .vae import __all__ as _vae_all
from .variants import *  # noqa: F401,F403
from .variants import __all__ as _var_all

__all__ = ["MNIST_DIR_ENV", "clear_cache", "config_for", "mnist_data", *_det_all, *_reg_all, *_mae_all, *_vae_all, *_var_all]
