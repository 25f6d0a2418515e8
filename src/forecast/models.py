"""Logistic models that survive tiny samples, and an ordinal model for ceasefire progress.

``fit_logit`` fits a statsmodels formula-API logit. With tens of rounds, perfect or quasi-complete separation
is normal (e.g. no round without both Russia and Ukraine at the table has ever agreed a swap); maximum
likelihood then has no finite estimate, yet statsmodels returns large, meaningless coefficients. We detect
separation from the data (a linear programme, as in Konis 2007 and R's ``detectseparation``) and from the fit
(convergence, standard errors, coefficient size), and then fit Firth's penalised likelihood (Firth 1993;
Heinze and Schemper 2002), which always has finite estimates. Intervals are Wald intervals on the logit
scale (coefficients) and delta-method intervals on the logit scale, mapped back (predictions).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf
from scipy import optimize, special, stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from forecast.base_rates import DEFAULT_LEVEL
from forecast.firth import FirthResult, firth_fit  # noqa: F401  (FirthResult re-exported)

LARGE_STANDARD_ERROR = 1e3
"""A maximum-likelihood standard error above this (logit scale) means the likelihood is flat: separation."""

LARGE_COEFFICIENT = 10.0
"""A maximum-likelihood coefficient above this in size (odds ratio > 22,000) is treated as separation."""

SEPARATION_TOLERANCE = 1e-7
"""Objective above which the separation linear programme reports a separating direction."""


def plain_frame(frame: pd.DataFrame, formula: str | None = None) -> pd.DataFrame:
    """A copy with pandas' nullable columns (Int64, Float64, boolean, string) as float64/object with NaN,
    which is what patsy understands. With ``formula``, only the columns it names are kept (much faster)."""
    if formula is not None:
        named = set(re.findall(r"[A-Za-z_]\w*", formula))
        frame = frame[[column for column in frame.columns if column in named]]
    plain = frame.copy()
    for column in plain.columns:
        dtype = plain[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_bool_dtype(dtype) or (pd.api.types.is_numeric_dtype(dtype)
                                                  and pd.api.types.is_extension_array_dtype(dtype)):
            plain[column] = plain[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_string_dtype(dtype) and pd.api.types.is_extension_array_dtype(dtype):
            plain[column] = plain[column].astype(object).where(plain[column].notna(), None)
    return plain


def design_matrix(design_info: patsy.DesignInfo, frame: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Model matrix of new rows for a fitted formula (rows with a missing predictor are dropped); a category
    the model never saw raises ValueError naming the formula."""
    try:
        return patsy.build_design_matrices([design_info], plain_frame(frame, formula), return_type="dataframe")[0]
    except patsy.PatsyError as error:
        raise ValueError(f"cannot predict with '{formula}': {str(error).splitlines()[0]}") from None


class SeparationWarning(UserWarning):
    """Separation was found and the model was fitted with Firth's penalised likelihood instead."""


def separating_terms(exog: np.ndarray, endog: np.ndarray, names: list[str]) -> list[str]:
    """Terms along which the outcome is (quasi-)completely separated; empty when the MLE exists.

    Solves max sum_i s_i x_i'b subject to s_i x_i'b >= 0 and -1 <= b <= 1, with s_i = +1 for y = 1 and -1 for
    y = 0. A positive optimum is a direction in which the likelihood keeps rising for ever (Albert and
    Anderson 1984); the terms with non-zero weight in it are returned.
    """
    signs = np.where(np.asarray(endog) > 0.5, 1.0, -1.0)
    signed = np.asarray(exog, dtype=float) * signs[:, None]
    result = optimize.linprog(
        c=-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(signed)),
        bounds=[(-1, 1)] * signed.shape[1], method="highs",
    )
    if not result.success or -result.fun <= SEPARATION_TOLERANCE:
        return []
    return [name for name, weight in zip(names, result.x) if abs(weight) > 1e-6]


def firth_logit(exog: np.ndarray, endog: np.ndarray, max_iter: int = 200, tol: float = 1e-10,
                max_step: float = 5.0) -> FirthResult:
    """Firth's bias-reduced logistic regression of 0/1 ``endog`` on ``exog`` (``forecast.firth``, one trial per
    row)."""
    return firth_fit(exog, endog, None, tol=tol, max_iter=max_iter, max_step=max_step)


@dataclass
class LogitFit:
    """A fitted logistic model: coefficients on the logit scale with Wald intervals, and predictions."""

    formula: str
    method: str  # "mle" or "firth"
    params: pd.Series
    cov: pd.DataFrame
    separated_terms: list[str]
    nobs: int
    design_info: patsy.DesignInfo = field(repr=False)
    level: float = DEFAULT_LEVEL

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov)), index=self.params.index)

    def coefficients(self) -> pd.DataFrame:
        """term, estimate, standard error, interval (logit scale) and odds ratio."""
        z = stats.norm.ppf(0.5 + self.level / 2)
        table = pd.DataFrame({"estimate": self.params, "std_error": self.bse})
        table["lower"] = table["estimate"] - z * table["std_error"]
        table["upper"] = table["estimate"] + z * table["std_error"]
        table["odds_ratio"] = np.exp(table["estimate"])
        table["separating"] = [term in self.separated_terms for term in table.index]
        return table.rename_axis("term").reset_index()

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model matrix of new rows; a category the model never saw raises ValueError."""
        return design_matrix(self.design_info, frame, self.formula)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Probability of the outcome for each row, with a delta-method interval on the logit scale."""
        design = self.design(frame)  # rows with a missing predictor are dropped here: NaN below
        X = design.to_numpy()
        eta = X @ self.params.to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.cov.to_numpy(), X))
        z = stats.norm.ppf(0.5 + self.level / 2)
        return pd.DataFrame({"p": special.expit(eta), "lower": special.expit(eta - z * se),
                             "upper": special.expit(eta + z * se)}, index=design.index).reindex(frame.index)


def _check_training_outcome(endog: np.ndarray, formula: str) -> None:
    if len(endog) == 0:
        raise ValueError(f"cannot fit '{formula}': no rows with a known outcome and complete predictors")
    if np.all(endog == endog[0]):
        which = "yes" if endog[0] > 0.5 else "no"
        raise ValueError(f"cannot fit '{formula}': every one of the {len(endog)} training rows has outcome "
                         f"'{which}' (one class only); use a base rate instead")


def fit_logit(formula: str, frame: pd.DataFrame, method: str = "auto", level: float = DEFAULT_LEVEL) -> LogitFit:
    """Fit ``formula`` (statsmodels/patsy syntax, e.g. ``"swap_agreed ~ both_sides_at_table"``) to ``frame``.

    ``method``: ``"auto"`` (maximum likelihood unless separation is detected, then Firth, with a
    :class:`SeparationWarning` naming the terms), ``"mle"`` or ``"firth"``. Boolean outcomes are cast to 0/1;
    rows with a missing outcome or predictor are dropped.
    """
    if method not in ("auto", "mle", "firth"):
        raise ValueError(f"unknown method {method!r}; expected auto, mle or firth")
    outcome = formula.split("~")[0].strip()
    frame = plain_frame(frame, formula)
    if outcome not in frame:
        raise ValueError(f"cannot fit '{formula}': no column {outcome!r} in the frame")
    if frame[outcome].notna().sum() == 0:
        _check_training_outcome(np.array([]), formula)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (PerfectSeparationWarning, ConvergenceWarning, RuntimeWarning))
        model = smf.logit(formula, frame, missing="drop")
    exog, endog = model.exog, model.endog
    _check_training_outcome(endog, formula)
    names = list(model.exog_names)
    separated = separating_terms(exog, endog, names)

    use_firth = method == "firth" or (method == "auto" and bool(separated))
    if not use_firth:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (PerfectSeparationWarning, ConvergenceWarning, RuntimeWarning))
            try:
                result = model.fit(disp=0, maxiter=100)
                params, cov = np.asarray(result.params), np.asarray(result.cov_params())
                unstable = (not result.mle_retvals.get("converged", False)
                            or not np.all(np.isfinite(cov))
                            or np.nanmax(np.sqrt(np.abs(np.diag(cov)))) > LARGE_STANDARD_ERROR
                            or np.nanmax(np.abs(params)) > LARGE_COEFFICIENT)
            except np.linalg.LinAlgError:
                unstable = True
        if unstable and method == "auto":
            use_firth = True
            separated = separated or ["(fit did not converge or had huge standard errors)"]
        elif unstable:
            raise ValueError(f"maximum likelihood for '{formula}' is unstable (separation or collinearity); "
                             "use method='auto' or 'firth'")
    if use_firth:
        firth = firth_logit(exog, endog)
        params, cov = firth.params, firth.cov
        if method == "auto":
            warnings.warn(f"separation in '{formula}' along {', '.join(separated)}: fitted with Firth's "
                          "penalised likelihood", SeparationWarning, stacklevel=2)
    return LogitFit(formula=formula, method="firth" if use_firth else "mle",
                    params=pd.Series(params, index=names), cov=pd.DataFrame(cov, index=names, columns=names),
                    separated_terms=separated, nobs=len(endog), design_info=model.data.model_spec, level=level)


@dataclass
class OrdinalFit:
    """Proportional-odds logit fit of an ordered outcome; predicts the probability of each level."""

    formula: str
    levels: list
    result: object = field(repr=False)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Probability of each level for each row (rows with a missing predictor get NaN)."""
        design = design_matrix(self.result.model.data.model_spec, frame, self.formula)
        probabilities = np.asarray(self.result.model.predict(self.result.params, exog=design.to_numpy()))
        return pd.DataFrame(probabilities, columns=[f"p_{level}" for level in self.levels],
                            index=design.index).reindex(frame.index)


def fit_ordinal(formula: str, frame: pd.DataFrame) -> OrdinalFit:
    """Fit an ordered logit (statsmodels ``OrderedModel``) for an ordinal outcome such as ceasefire_progress.

    The formula must not have an intercept (``- 1`` is added if absent; the thresholds play its part).
    Levels with no observations are dropped. Raises ValueError when fewer than two levels are observed.
    """
    outcome = formula.split("~")[0].strip()
    frame = plain_frame(frame.dropna(subset=[outcome]), formula)
    levels = sorted(int(value) for value in frame[outcome].unique())
    if len(levels) < 2:
        raise ValueError(f"cannot fit '{formula}': the outcome takes fewer than two levels in the training rows")
    frame[outcome] = pd.Categorical(frame[outcome].astype(int), categories=levels, ordered=True)
    if "- 1" not in formula.replace(" ", " "):
        formula = f"{formula} - 1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, RuntimeWarning, PerfectSeparationWarning))
        model = OrderedModel.from_formula(formula, frame, distr="logit")
        result = model.fit(method="bfgs", disp=0, maxiter=500)
    return OrdinalFit(formula=formula, levels=levels, result=result)


def term_steps(frame: pd.DataFrame, outcome: str, terms: list[str], level: float = 0.9) -> pd.DataFrame:
    """In-sample fit as the terms enter one at a time (intercept only, then + each term): ``model``, ``method``,
    ``in-sample Brier`` and ``in-sample skill vs base rate`` (Brier skill against the constant in-sample rate),
    on the rounds where the outcome and every term are known. Fit only: the backtest judges out of sample."""
    import warnings

    from forecast import evaluate

    known = frame.dropna(subset=[outcome, *terms])
    y = known[outcome].astype(int)
    base = np.full(len(y), y.mean())
    steps = []
    for k in range(len(terms) + 1):
        rhs = " + ".join(terms[:k]) or "1"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            step_fit = fit_logit(f"{outcome} ~ {rhs}", known, level=level)
        p = step_fit.predict(known)["p"]
        steps.append({"model": f"{outcome} ~ {rhs}", "method": step_fit.method,
                      "in-sample Brier": evaluate.brier_score(p, y),
                      "in-sample skill vs base rate": evaluate.brier_skill_score(p, y, base)})
    return pd.DataFrame(steps)
