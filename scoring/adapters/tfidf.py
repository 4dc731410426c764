"""TF-IDF features + logistic regression (scikit-learn), trained by the check on a labelled split."""

from __future__ import annotations

import warnings

from pydantic import BaseModel, ConfigDict, Field

from scoring.adapters import require_pinned_package

VERSION = "2"


class TfidfOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ngram_max: int = Field(1, ge=1, le=5, description="word n-grams from 1 to this")
    min_df: int = Field(1, ge=1)
    sublinear_tf: bool = False
    C: float = Field(1.0, gt=0, description="inverse regularisation strength")
    max_iter: int = Field(10_000, ge=1)
    tol: float = Field(1e-8, gt=0, le=1e-2, description="lbfgs stops when the gradient is this small")


class TfidfLogReg:
    """Classifier adapter ``tfidf-logreg``: scores are P(positive); needs ``fit`` before ``scores``."""

    Options = TfidfOptions
    probabilities = True

    def __init__(self, entry, options: dict, ctx):
        self.options = TfidfOptions.model_validate(options)
        _, self.model = require_pinned_package(entry, "sklearn", "scikit-learn")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        o = self.options
        self._pipeline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, o.ngram_max), min_df=o.min_df, sublinear_tf=o.sublinear_tf),
            LogisticRegression(C=o.C, max_iter=o.max_iter, tol=o.tol, random_state=ctx.seed if ctx else 0),
        )
        self._fitted = False

    def fit(self, sentences: list[str], labels: list[int], ctx) -> None:
        from sklearn.exceptions import ConvergenceWarning

        with one_blas_thread(), warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # an unconverged fit depends on the thread count
            try:
                self._pipeline.fit(sentences, labels)
            except ConvergenceWarning as err:
                raise ValueError(f"logistic regression did not converge in {self.options.max_iter} iterations "
                                 f"(tol {self.options.tol:g}): raise options.max_iter") from err
        self._fitted = True
        vocabulary = self._pipeline.steps[0][1].vocabulary_
        self.model = {**self.model, "features": len(vocabulary), "trained_on_rows": len(sentences)}

    def scores(self, sentences: list[str], ctx) -> list[float]:
        if not self._fitted:
            raise ValueError("tfidf-logreg must be trained first: set train_split in the check's args")
        with one_blas_thread():
            return self._pipeline.predict_proba(sentences)[:, 1].tolist()


def one_blas_thread():
    """Float sums in BLAS depend on its thread count; one thread makes the fit the same on any machine size."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)
