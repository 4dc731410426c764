"""TF-IDF features + logistic regression (scikit-learn), trained by the check on a labelled split."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scoring.adapters import require_pinned_package


class TfidfOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ngram_max: int = Field(1, ge=1, le=5, description="word n-grams from 1 to this")
    min_df: int = Field(1, ge=1)
    sublinear_tf: bool = False
    C: float = Field(1.0, gt=0, description="inverse regularisation strength")
    max_iter: int = Field(1000, ge=1)


class TfidfLogReg:
    """Classifier adapter ``tfidf-logreg``: scores are P(positive); needs ``fit`` before ``scores``."""

    Options = TfidfOptions
    probabilities = True

    def __init__(self, entry, options: dict, ctx):
        self.options = TfidfOptions.model_validate(options)
        _, self.model = require_pinned_package(entry, "sklearn")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        o = self.options
        self._pipeline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, o.ngram_max), min_df=o.min_df, sublinear_tf=o.sublinear_tf),
            LogisticRegression(C=o.C, max_iter=o.max_iter, random_state=ctx.seed if ctx else 0),
        )
        self._fitted = False

    def fit(self, sentences: list[str], labels: list[int], ctx) -> None:
        self._pipeline.fit(sentences, labels)
        self._fitted = True
        vocabulary = self._pipeline.steps[0][1].vocabulary_
        self.model = {**self.model, "features": len(vocabulary), "trained_on_rows": len(sentences)}

    def scores(self, sentences: list[str], ctx) -> list[float]:
        if not self._fitted:
            raise ValueError("tfidf-logreg must be trained first: set train_split in the check's args")
        return self._pipeline.predict_proba(sentences)[:, 1].tolist()
