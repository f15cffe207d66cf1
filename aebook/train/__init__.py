"""One training loop for every model of the chapter, plus checkpoints and the loss history.

Every autoencoder of the book (linear, deep, sparse, denoising, masked, the VAE variants) is
trained by :func:`fit`. A model only has to come with a *loss function*::

    def loss_fn(model, batch):          # batch is ALWAYS a tuple of tensors, here (x,)
        (x,) = batch
        y = model(x)
        return ((y - x) ** 2).sum(dim=1).mean()       # a scalar tensor ...

    def two_term_loss(model, batch):
        (x,) = batch
        recon, kl = model.terms(x)
        return {"loss": recon + kl, "recon": recon, "kl": kl}   # ... or a dict with "loss"

    aebook.seed_everything(0)           # seed BEFORE building the model: fit does not touch init
    model = MyAE()
    hist = fit(model, loss_fn, x_train, val=x_test, epochs=20)
    aebook.figures.plot_history(hist)

Design (nanoGPT-like: one flat loop, nothing hidden):

* In-memory tensors only, no ``DataLoader``: the data are moved to the device once, each epoch
  draws ``torch.randperm`` from a private generator and batches are gathered with
  ``index_select``. The permutation is drawn on the CPU and moved to the device, so a given seed
  visits the examples in the same order on every device.
* Per-batch losses stay tensors (no ``.item()``); they are stacked and copied to the host once
  per epoch. History values are means over batches weighted by batch size.
* NaN/inf guard (see :func:`fit`, argument ``nan_check``): on the CPU every batch is checked
  before ``backward`` (about a microsecond: CPU tensors need no device sync); on a GPU the check
  is deferred to the end of the epoch (one sync per epoch instead of one per batch) and the
  offending batch is still named exactly. In both cases the model and optimizer are restored to
  their state at the end of the last completed epoch, kept as an in-memory copy that is
  refreshed in preallocated buffers once per epoch (one memcpy of the parameters and optimizer
  state: well under 1 % of an epoch for the book's models; pass ``keep_last_good=False`` to skip
  it for a model too large to hold twice).
* Checkpoints are written atomically (temporary file + ``os.replace``) and read back with
  ``torch.load(..., weights_only=True)``: they hold tensors and plain Python values only.

=================================  ============================================================
:mod:`.loop`                       :func:`fit`, :func:`evaluate`, :func:`make_optimizer`,
                                   :class:`TrainingDiverged` (the NaN guard)
:mod:`.history`                    :class:`History`, the per-epoch losses of one ``fit``
:mod:`.checkpoint`                 :func:`save_checkpoint`, :func:`load_checkpoint`
=================================  ============================================================
"""

from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint, to_primitives
from .history import History
from .loop import PROGRESS_ENV, TrainingDiverged, evaluate, fit, make_optimizer

__all__ = ["CHECKPOINT_FORMAT", "PROGRESS_ENV", "History", "TrainingDiverged", "evaluate", "fit",
           "load_checkpoint", "make_optimizer", "save_checkpoint", "to_primitives"]
