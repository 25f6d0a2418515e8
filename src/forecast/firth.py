"""Firth's penalised-likelihood logistic regression (Firth 1993; Heinze and Schemper 2002), one implementation
for grouped binomial data; ungrouped data are the case of one trial per row. numpy only, so the forecasting
methods can use it without importing statsmodels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FirthResult:
    params: np.ndarray
    cov: np.ndarray
    converged: bool
    iterations: int
    penalised_loglik: float


def firth_fit(design: np.ndarray, successes: np.ndarray, trials: np.ndarray | None = None, tol: float = 1e-10,
              max_iter: int = 200, max_step: float = 5.0) -> FirthResult:
    """Newton-Raphson on the modified score X'(y - n p + h (1/2 - p)), h the diagonal of the hat matrix
    W^1/2 X (X'WX)^-1 X' W^1/2 with W = n p (1 - p). Steps are capped at ``max_step`` (as R's logistf does) and
    halved until the penalised log-likelihood l(b) + 1/2 log det(X'WX) does not fall. ``cov`` is (X'WX)^-1 at
    the solution. ``trials``: binomial trials per row (default 1: ungrouped data)."""
    X = np.asarray(design, dtype=float)
    y = np.asarray(successes, dtype=float)
    n = np.ones(len(y)) if trials is None else np.asarray(trials, dtype=float)

    def evaluate(beta):
        eta = X @ beta
        prob = 1 / (1 + np.exp(-eta))
        weight = n * prob * (1 - prob)
        information = X.T @ (weight[:, None] * X)
        sign, logdet = np.linalg.slogdet(information)
        loglik = np.sum(y * eta - n * np.logaddexp(0, eta))
        return prob, weight, information, loglik + 0.5 * logdet if sign > 0 else -np.inf

    beta = np.zeros(X.shape[1])
    prob, weight, information, penalised = evaluate(beta)
    converged, iteration = False, 0
    for iteration in range(1, max_iter + 1):
        try:
            cov = np.linalg.inv(information)
        except np.linalg.LinAlgError:
            break
        hat = weight * np.einsum("ij,jk,ik->i", X, cov, X)
        step = cov @ (X.T @ (y - n * prob + hat * (0.5 - prob)))
        largest = np.max(np.abs(step))
        if largest > max_step:
            step *= max_step / largest
        for _ in range(30):
            candidate = evaluate(beta + step)
            if candidate[3] >= penalised - 1e-12:
                break
            step /= 2
        beta = beta + step
        prob, weight, information, penalised = candidate
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    return FirthResult(params=beta, cov=np.linalg.inv(information), converged=converged, iterations=iteration,
                       penalised_loglik=float(penalised))
