"""What each experiment shows on its page (:data:`REPORTS`), where (:data:`PAGES`), and the
numbers of the papers we set beside ours (:data:`CLAIMS`). Results are read as plain JSON."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..i18n import register_strings, t
from . import _text  # noqa: F401  (registers the texts used below)


@dataclass(frozen=True)
class Row:
    """One quantity: its label key (``report.row.<key>`` in :mod:`aebook.i18n`), how to read it
    from a result (a JSON dict, or a list for experiments that return tuples), its format, and
    the paper's number for the same quantity, if one exists (a string, shown as given)."""

    key: str
    get: Callable[[Any], Any] | None  # None: a quantity only the paper reports
    fmt: str = "{:.1f}"
    paper: str = ""
    label: tuple[str, str] | None = None  # (English, Korean); None: declared in report/_text.py

    def __post_init__(self):
        if self.label is not None:
            en, ko = self.label
            register_strings({f"report.row.{self.key}": {"en": en, "ko": ko}})

    def value(self, result: Any) -> str:
        """The formatted quantity, "–" where the result holds none (tests/test_report.py checks
        that the committed results and today's result classes have the same fields)."""
        if self.get is None:
            return "–"
        try:
            v = self.get(result)
        except (KeyError, IndexError, TypeError, ValueError):
            return "–"
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "–"
        return self.fmt.format(v)


@dataclass(frozen=True)
class Report:
    """How an experiment is shown: its headline ``rows``; or, for sweeps whose grid differs
    between the modes, ``columns`` of a table whose rows ``table_rows(result)`` yields; the
    paper the ``paper`` column quotes; and ``data(config, mode)``, ``detail(config)`` for the
    line under the table."""

    page: str = ""  # the notebook (book/<lang>/<page>.ipynb) that shows the experiment
    rows: tuple[Row, ...] = ()
    columns: tuple[Row, ...] = ()
    table_rows: Callable[[Any], Sequence[Any]] | None = None
    paper: str = ""
    table_key: int = 1  # how many leading columns name a row of the table (glue keys)
    data: Callable[[dict, str], str] = field(default=lambda c, mode: _mnist(mode))
    detail: Callable[[dict], str] = field(default=lambda c: _epochs(c))


# ------------------------------------------------------------------------------------------------
# descriptions of what ran


def _mnist(mode: str) -> str:
    return "MNIST 60,000 / 10,000" if mode == "full" else "MNIST-5k 4,000 / 1,000"


def _epochs(c: dict) -> str:
    parts = []
    if "epochs" in c:
        parts.append(t("report.epochs", None, n=c["epochs"]))
    if "batch_size" in c:
        parts.append(t("report.batch", None, n=c["batch_size"]))
    return ", ".join(parts)


def _synthetic(c: dict, mode: str) -> str:
    n = c.get("n_train") or c.get("n") or (c.get("surface") or {}).get("n_train")
    return t("report.synthetic", None, n=f"{n:,}") if n else t("report.synthetic.plain")


def _key(k: Any) -> str:
    return str(k)


def _at(*path: Any) -> Callable[[Any], Any]:
    """A getter for ``result[path[0]][path[1]]...``."""
    def get(result):
        for p in path:
            result = result[p]
        return result
    return get


def _runs(result: Any) -> list:
    """The runs of a β-sweep result (a dict with ``runs``) or of a tuple of runs (a list)."""
    return result["runs"] if isinstance(result, dict) else list(result)


def _run(label: str) -> Callable[[Any], dict]:
    def get(result):
        return next(r for r in _runs(result) if r["label"] == label)
    return get


def _M(result: dict, field_: str, M: int) -> float:
    """``result[field_]`` at the code size ``M`` (deep_vs_pca_mnist)."""
    return result[field_][result["Ms"].index(M)]


def _gv_ratios(result: dict) -> list[float]:
    """Score-function over reparameterised gradient variance at each L (gradient_variance)."""
    v = result["variance"]
    return [s / p for s, p in zip(v["score"], v["reparam"], strict=True)]


def _iwae(label: str, field_: str) -> Callable[[dict], float]:
    return lambda r: r[field_][r["labels"].index(label)]


_BURDA = {"VAE k=1": 86.76, "VAE k=5": 86.47, "IWAE k=5": 85.54}  # their Table 1, -ln p(x); typed once


def _burda_passes() -> list[int]:
    """The passes of each stage of Burda et al.'s whole schedule (3,280 in all)."""
    from ..experiments.papers import burda_schedule
    from ..experiments.registry import BUDGETS

    return [n for n, _ in burda_schedule(BUDGETS["paper"]["iwae"].stages)]


# ------------------------------------------------------------------------------------------------
# what each experiment shows

HS = "Hinton & Salakhutdinov (2006)"
BURDA = "Burda et al. (2016)"

REPORTS: dict[str, Report] = {
    "linear_vs_pca": Report(page="ch19_1_1_linear", rows=(
        Row("pca_test", lambda r: r["pca_test_error"]),
        Row("ae_test", lambda r: r["ae_test_error"]),
        Row("rel_gap_test", lambda r: 100 * r["rel_gap_test"], "{:+.2f} %"),
        Row("max_angle", lambda r: r["max_angle_deg"], "{:.2f}°", paper="0° (Baldi & Hornik 1989)"),
        Row("max_offdiag_cos", lambda r: r["max_offdiag_cos"], "{:.3f}"),
        Row("min_angle", lambda r: min(r["angles_deg"]), "{:.2f}°"),
        Row("col_norm", lambda r: statistics.median(r["column_norms"]), "{:.1f}"),
    ), paper="Baldi & Hornik (1989)"),
    "shallow_vs_pca": Report(page="ch19_1_1_linear", rows=(
        Row("pca_test", lambda r: r["pca_test_error"]),
        Row("ae_test", lambda r: r["ae_test_error"]),
        Row("rel_gap_test", lambda r: 100 * r["rel_gap_test"], "{:+.2f} %", paper="≥ 0 (Bourlard & Kamp 1988)"),
    )),
    "deep_vs_pca_surface": Report(page="ch19_1_2_deep", rows=(
        Row("pca_test_point", lambda r: r["pca_test_error"], "{:.4f}"),
        Row("ae_test_point", lambda r: r["ae_test_error"], "{:.4f}"),
    ), data=_synthetic),
    "seed_spread": Report(page="ch19_1_2_deep", rows=(
        Row("seed_mean", lambda r: r["mean"], "{:.4f}"),
        Row("seed_min", lambda r: r["min"], "{:.4f}"),
        Row("seed_max", lambda r: r["max"], "{:.4f}"),
        Row("seed_ratio", lambda r: r["max"] / r["min"], "{:.1f}×"),
        Row("pca_test_point", lambda r: r["pca_test_error"], "{:.4f}"),
    ), data=_synthetic, detail=lambda c: t("report.seeds", None, n=c["n_seeds"], ep=c["surface"]["epochs"])),
    "deep_vs_pca_mnist": Report(page="ch19_1_2_deep", rows=(
        Row("pca_test_M2", lambda r: r["pca_test_errors"][r["Ms"].index(2)]),
        Row("ae_test_M2", lambda r: r["ae_test_errors"][r["Ms"].index(2)]),
        Row("pca_test_M30", lambda r: r["pca_test_errors"][r["Ms"].index(30)], "{:.2f}", paper="13.87"),
        Row("ae_test_M30", lambda r: r["ae_test_errors"][r["Ms"].index(30)], "{:.2f}", paper="3.00"),
        Row("logistic_pca_M30", None, paper="8.01"),
        Row("ae_train_M30", lambda r: _M(r, "ae_train_errors", 30), "{:.2f}"),
        Row("pca_over_ae_M30", lambda r: _M(r, "pca_test_errors", 30) / _M(r, "ae_test_errors", 30), "{:.1f}×"),
    ), paper=HS, detail=lambda c: f"784-{'-'.join(map(str, c['hidden']))}-M ({c['activation']}), {_epochs(c)}"),
    "sparse_sweep": Report(page="ch19_1_3_sparse",
        columns=(Row("penalty", lambda r: r["penalty"], "{}"), Row("strength", lambda r: r["strength"], "{:g}"),
                 Row("error", lambda r: r["test_error"], "{:.4f}"),
                 Row("zeros", lambda r: 100 * r["zero_fraction"], "{:.1f} %"),
                 Row("active", lambda r: r["active_per_input"], "{:.1f}"),
                 Row("dead", lambda r: 100 * r["dead_fraction"], "{:.1f} %"),
                 Row("dec_norm", lambda r: r["decoder_norm"], "{:.2f}")),
        table_rows=lambda r: r["rows"], table_key=2,
        data=lambda c, mode: _mnist(mode) if c["data"] == "mnist" else t("report.digits"),
        detail=lambda c: f"K = {c['K']}, {_epochs(c)}"),
    "denoising_table": Report(page="ch19_1_4_denoising",
        columns=(Row("kind", lambda r: r["kind"], "{}"), Row("level", lambda r: r["level"], "{:g}"),
                 Row("noisy", lambda r: r["noisy"]), Row("plain_ae", lambda r: r["plain"]),
                 Row("dae", lambda r: r["dae"]), Row("dae_clean", lambda r: r["dae_clean"])),
        table_rows=lambda r: r["rows"], table_key=2,
        detail=lambda c: f"784-{'-'.join(map(str, c['hidden']))}-{c['M']}, {_epochs(c)}"),
    "score_field": Report(page="ch19_1_4_denoising", rows=(
        Row("cos_median", lambda r: r["cos_median"], "{:.3f}"),
        Row("cos_mean", lambda r: r["cos_mean"], "{:.3f}"),
        Row("cos_above", lambda r: 100 * r["frac_cos_above_0_9"], "{:.0f} %"),
        Row("norm_ratio", lambda r: r["norm_ratio_median"], "{:.2f}"),
        Row("far_cos", lambda r: r["far_cos_median"], "{:.2f}"),
        Row("dae_mse", lambda r: r["dae_mse"], "{:.4f}"),
        Row("optimal_mse", lambda r: r["optimal_mse"], "{:.4f}"),
        Row("dae_share", lambda r: 100 * r["dae_mse"] / r["optimal_mse"], "{:.0f} %"),
    ), data=_synthetic),
    "curve_denoiser": Report(page="ch19_1_4_denoising", rows=(
        Row("cos_all", lambda r: r["cos_mean"], "{:.3f}"),
        Row("cos_far", lambda r: r["cos_far_mean"], "{:.3f}"),
        Row("dist_before", lambda r: r["dist_before"], "{:.4f}"),
        Row("dist_after", lambda r: r["dist_after"], "{:.4f}"),
    ), data=_synthetic),
    "mae_pretrain": Report(page="ch19_1_5_masked", rows=(
        Row("mae_loss", lambda r: r["train_loss"][-1], "{:.4f}"),
        Row("mae_baseline", lambda r: r["baseline"], "{:.4f}"),
        *(Row(f"mae_err_{k}", _at("errors", k), "{:.4f}") for k in ("0.5", "0.75", "0.9")),
        Row("mae_below_baseline", lambda r: 100 * (1 - r["errors"]["0.75"] / r["baseline"]), "{:.0f} %"),
    ), detail=lambda c: t("report.mae", None, p=c["model"]["patch_size"], w=c["model"]["embed_dim"],
                          d=c["model"]["depth"], ep=c["epochs"], r=c["mask_ratio"])),
    "linear_probe": Report(page="ch19_1_5_masked", rows=(
        Row("probe_raw", lambda r: 100 * r["raw_pixels"], "{:.1f} %"),
        Row("probe_random", lambda r: 100 * r["random_encoder"], "{:.1f} %"),
        Row("probe_mae", lambda r: 100 * r["mae_encoder"], "{:.1f} %"),
    ), detail=lambda c: t("report.mae", None, p=c["model"]["patch_size"], w=c["model"]["embed_dim"],
                          d=c["model"]["depth"], ep=c["epochs"], r=c["mask_ratio"])),
    "fine_tune": Report(page="ch19_1_5_masked", rows=(
        Row("ft_mae", lambda r: 100 * r["from_mae"], "{:.1f} %", paper="84.9 % (ViT-L, ImageNet)"),
        Row("ft_scratch", lambda r: 100 * r["from_scratch"], "{:.1f} %",
            paper="82.5 % (ViT-L, ImageNet)"),
    ), paper="He et al. (2022)", detail=lambda c: t("report.finetune", None, ep=c["finetune_epochs"])),
    "mask_ratio_sweep": Report(page="ch19_1_5_masked",
        columns=(Row("ratio", lambda r: r[0], "{:g}"), Row("err_own", lambda r: r[1], "{:.3f}"),
                 Row("err_075", lambda r: r[2], "{:.3f}"), Row("probe", lambda r: 100 * r[3], "{:.1f} %")),
        table_rows=lambda r: list(zip(r["ratios"], r["own_errors"], r["errors_at_075"], r["probe"], strict=True)),
        data=lambda c, mode: _mnist(mode) if c["sweep_data"] == "mnist" else t("report.digits"),
        detail=lambda c: t("report.sweep", None, ep=c["sweep_epochs"])),
    "mnist_vae": Report(page="ch19_2_1_amortized", rows=(
        Row("neg_elbo", lambda r: r["neg_elbo"]),
        Row("neg_recon", lambda r: r["neg_recon"]),
        Row("kl", lambda r: r["kl"]),
        *(Row(f"neg_iwae_{k}", _at("neg_iwae", k)) for k in ("100", "1000", "5000")),
        Row("active", lambda r: r["active"], "{}"),
        Row("iwae_gain", lambda r: r["neg_elbo"] - r["neg_iwae"][max(r["neg_iwae"], key=int)]),
    ), detail=lambda c: f"784-{c['hidden'][0]}-{c['M']}, {_epochs(c)}"),
    "mnist_vae_2d": Report(page="ch19_2_1_amortized", rows=(
        Row("neg_elbo", lambda r: r["neg_elbo"]),
        Row("kl", lambda r: r["kl"]),
        Row("neg_iwae_1000", lambda r: r["neg_iwae"]["1000"]),
    ), detail=lambda c: f"784-{c['hidden'][0]}-{c['M']}, {_epochs(c)}"),
    "pytorch_examples_vae": Report(page="ch19_2_1_amortized", rows=(
        Row("examples_loss", lambda r: r["test_loss"][-1], "{:.1f}", paper="≈ 105 (pytorch/examples)"),
        Row("neg_recon", lambda r: r["neg_recon"]),
        Row("kl", lambda r: r["kl"]),
    ), paper="pytorch/examples vae", detail=lambda c: f"784-{c['hidden'][0]}-{c['M']}, {_epochs(c)}"),
    "iwae_vs_vae": Report(page="ch19_2_vae", rows=(
        Row("nll_vae", _iwae("VAE k=1", "neg_log_px"), "{:.2f}", paper=str(_BURDA["VAE k=1"])),
        Row("nll_vae5", _iwae("VAE k=5", "neg_log_px"), "{:.2f}", paper=str(_BURDA["VAE k=5"])),
        Row("nll_iwae5", _iwae("IWAE k=5", "neg_log_px"), "{:.2f}", paper=str(_BURDA["IWAE k=5"])),
        Row("nll_iwae50", None, paper="84.78"),
        Row("active_vae", _iwae("VAE k=1", "active"), "{}"),
        Row("active_vae5", _iwae("VAE k=5", "active"), "{}", label=("active units, VAE k = 5", "활성 유닛, VAE k = 5")),
        Row("active_iwae5", _iwae("IWAE k=5", "active"), "{}"),
        Row("nll_gain", lambda r: _iwae("VAE k=1", "neg_log_px")(r) - _iwae("IWAE k=5", "neg_log_px")(r), "{:.2f}",
            paper="1.22"),
        Row("nll_gain5", lambda r: _iwae("VAE k=5", "neg_log_px")(r) - _iwae("IWAE k=5", "neg_log_px")(r),
            "{:.2f}", paper="0.93"),
        Row("nll_gain_samples", lambda r: _iwae("VAE k=1", "neg_log_px")(r) - _iwae("VAE k=5", "neg_log_px")(r),
            "{:.2f}", label=("VAE (k = 1) − VAE (k = 5), −ln p(x)", "VAE (k = 1) − VAE (k = 5), −ln p(x)")),
        Row("elbo_vae", _iwae("VAE k=1", "neg_elbo"), "{:.2f}"),
        Row("elbo_vae5", _iwae("VAE k=5", "neg_elbo"), "{:.2f}", label=("VAE (k = 5): −ELBO", "VAE (k = 5): −ELBO")),
        Row("elbo_iwae5", _iwae("IWAE k=5", "neg_elbo"), "{:.2f}"),
        Row("passes", lambda r: r["epochs"], "{}", paper="3,280"),
        Row("passes_share", lambda r: 100 * r["epochs"] / sum(_burda_passes()), "{:.1f} %"),
        Row("passes_left", lambda r: 100 * sum(_burda_passes()[r["config"]["stages"]:]) / sum(_burda_passes()),
            "{:.0f} %"),
    ), paper=BURDA, data=lambda c, mode: t("report.binary", None, data=_mnist(mode), n=f"{c['n_test']:,}"),
        detail=lambda c: f"784-{'-'.join(map(str, c['hidden']))}-{c['M']} (tanh), "
                         f"{t('report.batch', None, n=c['batch_size'])}, k_eval = {c['k_eval']:,}"),
    "gradient_variance": Report(page="ch19_2_2_reparam", rows=(
        Row("gv_score", lambda r: r["variance"]["score"][0] / r["variance"]["reparam"][0], "{:.1f}×"),
        Row("gv_reparam", lambda r: r["variance"]["reparam"][0], "{:.1f}"),
        Row("gv_min", lambda r: min(_gv_ratios(r)), "{:.0f}×"),
        Row("gv_max", lambda r: max(_gv_ratios(r)), "{:.0f}×"),
        Row("gv_bias", lambda r: max(abs(x) for v in r["bias_se"].values() for x in v if x is not None), "{:.1f}"),
    ), data=lambda c, mode: t("report.linear_gaussian"),
        detail=lambda c: t("report.draws", None, n=c["draws"])),
    "beta_sweep": Report(page="ch19_2_2_collapse",
        columns=(Row("run", lambda r: r["label"], "{}"), Row("neg_recon", lambda r: r["neg_recon"]),
                 Row("kl", lambda r: r["kl"], "{:.2f}"), Row("neg_elbo", lambda r: r["neg_elbo"]),
                 Row("active", lambda r: r["active"], "{}")),
        table_rows=_runs, detail=lambda c: f"784-{c['hidden'][0]}-{c['M']}, {_epochs(c)}"),
    "collapse_remedies": Report(page="ch19_2_2_collapse",
        columns=(Row("run", lambda r: r["label"], "{}"), Row("neg_recon", lambda r: r["neg_recon"]),
                 Row("kl", lambda r: r["kl"], "{:.2f}"), Row("neg_elbo", lambda r: r["neg_elbo"]),
                 Row("active", lambda r: r["active"], "{}")),
        table_rows=_runs, detail=lambda c: f"β = {c['collapse_beta']:g}, 784-{c['hidden'][0]}-{c['M']}, {_epochs(c)}"),
    "warmup_at_beta_one": Report(page="ch19_2_2_collapse", rows=(
        Row("neg_elbo_plain", lambda r: _run("plain")(r)["neg_elbo"]),
        Row("neg_elbo_warmup", lambda r: _run("warm-up")(r)["neg_elbo"]),
        Row("active_plain", lambda r: _run("plain")(r)["active"], "{}"),
        Row("active_warmup", lambda r: _run("warm-up")(r)["active"], "{}"),
    ), detail=lambda c: f"784-{c['hidden'][0]}-{c['M']}, {_epochs(c)}, {t('report.warmup', None, n=c['warmup'])}"),
    "conv_vs_mlp": Report(page="ch19_2_2_variants", rows=(
        Row("neg_elbo_mlp", lambda r: r["neg_elbo"]["mlp"]),
        Row("neg_elbo_conv", lambda r: r["neg_elbo"]["conv"]),
        Row("time_ratio", lambda r: r["train_time_s"]["conv"] / r["train_time_s"]["mlp"], "{:.1f}×"),
    ), detail=lambda c: f"M = {c['M']}, {_epochs(c)}"),
    "cvae_digits": Report(page="ch19_2_2_variants",
        columns=(Row("M", lambda r: r[0], "{}"), Row("agreement", lambda r: 100 * r[1], "{:.1f} %"),
                 Row("swap", lambda r: 100 * r[2], "{:.1f} %"), Row("neg_elbo", lambda r: r[3]),
                 Row("kl", lambda r: r[4])),
        table_rows=lambda r: list(zip(r["Ms"], r["agreement"], r["swap_follows_label"], r["neg_elbo"], r["kl"],
                                      strict=True)),
        detail=lambda c: f"784-{'-'.join(map(str, c['hidden']))}-M, {_epochs(c)}"),
    "digit_classifier": Report(page="ch19_2_2_variants", rows=(
        Row("clf_accuracy", lambda r: 100 * r[1], "{:.2f} %"),
    ), detail=lambda c: f"784-{c['clf_hidden']}-10, {t('report.epochs', None, n=c['clf_epochs'])}"),
    "learned_variance": Report(page="ch19_2_2_variants", rows=(
        *(Row(f"lv_{k}", _at("neg_elbo", k), "{:.3f}") for k in ("fixed", "learned", "scratch")),
        Row("lv_corr", lambda r: r["corr"]["learned"], "{:.2f}"),
        Row("lv_ratio", lambda r: r["median_ratio"]["learned"], "{:.2f}"),
    ), data=_synthetic),
}




# ------------------------------------------------------------------------------------------------
# the comparisons with the literature, and the list of runs

#: the page that shows each experiment
PAGES = {name: rep.page for name, rep in REPORTS.items()}


@dataclass(frozen=True)
class Claim:
    """One row of :func:`paper_table`: a quantity a paper reports (``value``) and ours, read from
    the full result of ``experiment`` by the row ``row`` of its report, with its ``status``:

    * ``"reproduced"``: ours is within ``within`` of theirs (same data, metric and setting);
    * ``"partial"``: their setting at a fraction of their training (``within`` is not used);
    * ``"setting"``: their data and metric, another training procedure;
    * ``"direction"``: another model or data set, so only the direction can agree;
    * ``"theory"``: their number is a theorem about an optimum, not a measurement;
    * ``"not_run"``: we have no number (yet).

    ``paper`` names the group (:data:`PAPERS`) the row belongs to."""

    key: str
    paper: str
    value: str
    experiment: str
    row: str
    status: str = "reproduced"
    within: float | None = None

    @property
    def source(self) -> str:
        return PAPERS[self.paper][0]


#: the papers we set numbers beside: display name, bibliography key, label key of the setting
PAPERS = {
    "hs": (HS, "hinton2006reducing"),
    "bh": ("Baldi & Hornik (1989)", "baldi1989neural"),
    "ex": ("pytorch/examples vae", "pytorch2017vae"),
    "burda": (BURDA, "burda2016importance"),
    "he": ("He et al. (2022)", "he2022masked"),
}


def _number(text: str) -> float | None:
    """The first number in a formatted value ("13.87", "+0.05 %", "1.37°"), or ``None``."""
    m = re.search(r"[-+]?\d[\d,]*\.?\d*", text)
    return float(m.group(0).replace(",", "")) if m else None


def claim_status(claim: Claim, ours: str) -> tuple[str, dict]:
    """The status label key of ``claim`` given our formatted value, and its placeholders."""
    if ours == "–" or claim.status == "not_run":
        return "report.status.not_run", {}
    if claim.status == "reproduced":
        theirs, mine = _number(claim.value), _number(ours)
        if theirs is None or mine is None or claim.within is None:
            return "report.status.check", {}
        ok = abs(mine - theirs) <= claim.within
        return ("report.status.reproduced" if ok else "report.status.differs"), {"within": f"{claim.within:g}"}
    return f"report.status.{claim.status}", {}


CLAIMS = (
    Claim("hs_pca", "hs", "13.87", "deep_vs_pca_mnist", "pca_test_M30", "reproduced", 0.01),
    Claim("hs_ae", "hs", "3.00", "deep_vs_pca_mnist", "ae_test_M30", "setting"),
    Claim("hs_logistic", "hs", "8.01", "deep_vs_pca_mnist", "logistic_pca_M30", "not_run"),
    Claim("bh_angle", "bh", "0°", "linear_vs_pca", "max_angle", "theory"),
    Claim("bh_gap", "bh", "0 %", "linear_vs_pca", "rel_gap_test", "theory"),
    Claim("ex_loss", "ex", "≈ 105", "pytorch_examples_vae", "examples_loss", "reproduced", 2.0),
    Claim("burda_vae", "burda", str(_BURDA["VAE k=1"]), "iwae_vs_vae", "nll_vae", "partial"),
    Claim("burda_iwae5", "burda", str(_BURDA["IWAE k=5"]), "iwae_vs_vae", "nll_iwae5", "partial"),
    Claim("burda_vae5", "burda", str(_BURDA["VAE k=5"]), "iwae_vs_vae", "nll_vae5", "partial"),
    Claim("burda_gain", "burda", "1.22", "iwae_vs_vae", "nll_gain", "partial"),
    Claim("burda_gain5", "burda", "0.93", "iwae_vs_vae", "nll_gain5", "partial"),
    Claim("burda_iwae50", "burda", "84.78", "iwae_vs_vae", "nll_iwae50", "not_run"),
    Claim("burda_passes", "burda", "3,280", "iwae_vs_vae", "passes", "partial"),
    Claim("mae_probe", "he", "73.5 % (ViT-L, ImageNet)", "linear_probe", "probe_mae", "direction"),
    Claim("mae_ft", "he", "84.9 % (ImageNet)", "fine_tune", "ft_mae", "direction"),
    Claim("mae_scratch", "he", "82.5 % (ImageNet)", "fine_tune", "ft_scratch", "direction"),
)


# ------------------------------------------------------------------------------------------------
# what the pages conclude from the full-size runs, checked on the committed results


@dataclass(frozen=True)
class FullClaim:
    """A conclusion a page draws from the committed full-size result of ``experiment``: its
    ``text`` (as the page's claims cell prints it) and the test ``holds(result)``."""

    experiment: str
    text: str
    holds: Callable[[dict], bool]


FULL_CLAIMS = (
    FullClaim("deep_vs_pca_mnist", "full MNIST, M = 30: deep AE below PCA on the test images",
              lambda r: _M(r, "ae_test_errors", 30) < _M(r, "pca_test_errors", 30)),
    FullClaim("deep_vs_pca_mnist", "full MNIST, M = 2: deep AE below PCA on the test images",
              lambda r: _M(r, "ae_test_errors", 2) < _M(r, "pca_test_errors", 2)),
    FullClaim("deep_vs_pca_mnist", "full MNIST, M = 30: PCA gives Hinton & Salakhutdinov's 13.87 (within 0.01)",
              lambda r: abs(_M(r, "pca_test_errors", 30) - 13.87) <= 0.01),
    FullClaim("deep_vs_pca_mnist", "full MNIST, M = 30: deep AE above their 3.00 and below their logistic PCA's 8.01",
              lambda r: 3.00 < _M(r, "ae_test_errors", 30) < 8.01),
    FullClaim("deep_vs_pca_mnist", "full MNIST, M = 30: deep AE's training error below its test error",
              lambda r: _M(r, "ae_train_errors", 30) < _M(r, "ae_test_errors", 30)),
    FullClaim("iwae_vs_vae", "full MNIST: IWAE (k = 5) below the one-sample VAE in -ln p(x)",
              lambda r: _iwae("IWAE k=5", "neg_log_px")(r) < _iwae("VAE k=1", "neg_log_px")(r)),
    FullClaim("iwae_vs_vae", "full MNIST: each model above its number in Burda et al. (a share of their passes)",
              lambda r: all(_iwae(m, "neg_log_px")(r) > p for m, p in _BURDA.items())),
    FullClaim("iwae_vs_vae", "full MNIST, like for like (k = 5): the IWAE below the VAE in -ln p(x)",
              lambda r: _iwae("IWAE k=5", "neg_log_px")(r) < _iwae("VAE k=5", "neg_log_px")(r)),
    FullClaim("iwae_vs_vae", "full MNIST: the VAE with k = 5 below the VAE with k = 1 in -ln p(x)",
              lambda r: _iwae("VAE k=5", "neg_log_px")(r) < _iwae("VAE k=1", "neg_log_px")(r)),
    FullClaim("iwae_vs_vae", "full MNIST: the three differences within a few hundredths (0.05) of Burda et al.'s",
              lambda r: all(abs(_iwae(a, "neg_log_px")(r) - _iwae(b, "neg_log_px")(r) - _BURDA[a] + _BURDA[b]) < 0.05
                            for a, b in (("VAE k=5", "IWAE k=5"), ("VAE k=1", "VAE k=5"), ("VAE k=1", "IWAE k=5")))),
    FullClaim("iwae_vs_vae", "full MNIST: the IWAE keeps more active units than either VAE, and has the worse ELBO",
              lambda r: all(_iwae("IWAE k=5", f)(r) > _iwae(m, f)(r)
                            for m in ("VAE k=1", "VAE k=5") for f in ("active", "neg_elbo"))),
    FullClaim("seed_spread", "full: every seed ends below PCA's error", lambda r: r["max"] < r["pca_test_error"]),
    FullClaim("seed_spread", "full: the worst seed's error > 3 x the best seed's", lambda r: r["max"] > 3 * r["min"]),
    FullClaim("sparse_sweep", "full MNIST: the share of zeros rises at every step of the L1 strength",
              lambda r: _increasing([x["zero_fraction"] for x in _rows(r, "none", "l1")])),
    FullClaim("sparse_sweep", "full MNIST: the largest L1 strength more than doubles the dead units",
              lambda r: _rows(r, "l1")[-1]["dead_fraction"] > 2 * _rows(r, "none")[0]["dead_fraction"]),
    FullClaim("sparse_sweep", "full MNIST: every L1 model has longer decoder columns than no penalty",
              lambda r: all(x["decoder_norm"] > _rows(r, "none")[0]["decoder_norm"] for x in _rows(r, "l1"))),
    FullClaim("sparse_sweep", "full MNIST: weight decay moves the share of zeros by less than 3 points",
              lambda r: all(abs(x["zero_fraction"] - _rows(r, "none")[0]["zero_fraction"]) < 0.03
                            for x in _rows(r, "l2"))),
    FullClaim("denoising_table", "full MNIST: DAE below the plain AE on corrupted images, every level",
              lambda r: all(x["dae"] < x["plain"] for x in r["rows"])),
    FullClaim("denoising_table", "full MNIST: DAE below the corrupted input, every level from 0.25",
              lambda r: all(x["dae"] < x["noisy"] for x in r["rows"] if x["level"] >= 0.25)),
    FullClaim("denoising_table", "full MNIST: at level 0.1 the DAE's output is further from x than its input",
              lambda r: all(x["dae"] > x["noisy"] for x in r["rows"] if x["level"] == 0.1)),
    FullClaim("denoising_table", "full MNIST, mask 0.75: DAE on clean images worse than the plain AE",
              lambda r: _level(r, "mask", 0.75)["dae_clean"] > r["plain_clean_error"]),
    FullClaim("beta_sweep", "full MNIST: KL falls at every step of beta",
              lambda r: _increasing([-x["kl"] for x in r["runs"]])),
    FullClaim("beta_sweep", "full MNIST: beta = 1 has the lowest held-out -ELBO",
              lambda r: min(r["runs"], key=lambda x: x["neg_elbo"])["beta"] == 1.0),
    FullClaim("beta_sweep", "full MNIST: no active unit from beta = 32 on",
              lambda r: all(x["active"] == 0 for x in r["runs"] if x["beta"] >= 32)),
    FullClaim("collapse_remedies", "full MNIST, beta = 32: warm-up and cyclic leave at most 2 active units",
              lambda r: all(_run(k)(r)["active"] <= 2 for k in ("warm-up", "cyclic"))),
    FullClaim("collapse_remedies", "full MNIST, beta = 32: free bits keeps at least 45 of 50 units active",
              lambda r: _run("free bits")(r)["active"] >= 45),
    FullClaim("warmup_at_beta_one", "full MNIST, beta = 1: warm-up leaves more active units (Burda's count)",
              lambda r: _run("warm-up")(r)["active"] > _run("plain")(r)["active"]),
    FullClaim("warmup_at_beta_one", "full MNIST, beta = 1: warm-up's held-out -ELBO is worse",
              lambda r: _run("warm-up")(r)["neg_elbo"] > _run("plain")(r)["neg_elbo"]),
    FullClaim("conv_vs_mlp", "full MNIST: the convolutional VAE's -ELBO is below the MLP's",
              lambda r: r["neg_elbo"]["conv"] < r["neg_elbo"]["mlp"]),
    FullClaim("conv_vs_mlp", "full MNIST: the convolutional VAE trains more than 2 x slower",
              lambda r: r["train_time_s"]["conv"] > 2 * r["train_time_s"]["mlp"]),
    FullClaim("mnist_vae_2d", "full MNIST, M = 2: KL below 10 nats", lambda r: r["kl"] < 10),
    FullClaim("mnist_vae_2d", "full MNIST, M = 2: -L_1000 below the -ELBO",
              lambda r: r["neg_iwae"]["1000"] < r["neg_elbo"]),
)


def _rows(result: dict, *penalties: str) -> list[dict]:
    """The rows of a sparse sweep with these penalties, in the sweep's order."""
    return [x for x in result["rows"] if x["penalty"] in penalties]


def _level(result: dict, kind: str, level: float) -> dict:
    return next(x for x in result["rows"] if x["kind"] == kind and x["level"] == level)


def _increasing(values: Sequence[float]) -> bool:
    return all(a < b for a, b in zip(values, values[1:]))
