"""Which channels the live model uses, and why, in words a model card, a page and a report share.

The product's rule: a channel earns its place only where `burnout evaluate` shows it helps on the
hospital's own data. `evaluation.choose_feature_set` runs that evaluation and returns a
`FeatureChoice`: the facial channel is kept only when it *improved* the early warning (the 95%
interval of the average-precision difference, check-ins and facial expressions against check-ins
alone on the later weeks, lies above zero). When it made the early warning worse, or the interval
spans zero, the model uses check-ins only. When no evaluation is possible the choice says why: a
channel switched off (`BURNOUT_FACE_CHANNEL=off`) or that nobody shares means check-ins only; too
few weeks to judge keeps the channel until `burnout evaluate` can.

A trained model's card records the choice (`FeatureChoice.record`, as `card["channels"]`, saved
in `model_version.metrics`), and, when the model was asked to use another set, that it goes
against the evaluation and why. This module reads nothing heavy: pages that describe the live
model import it without loading scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from burnout_lib.errors import InvalidInput

if TYPE_CHECKING:  # the evaluation and the model load scikit-learn
    from burnout_lib.risk.evaluation import Evaluation
    from burnout_lib.risk.model import TrainedModel

#: What the held-out comparison found about the facial channel, or why there was none.
IMPROVED = "improved"
WORSE = "worse"
NO_BETTER = "no better"
#: too few weeks to evaluate, or too few held-out weeks to compare
NOT_EVALUATED = "not evaluated"
#: the evaluated model used check-ins only, so the facial channel was not part of it
CHECKIN_ONLY = "check-ins only"
SWITCHED_OFF = "switched off"
NOT_SHARED = "not shared"
#: Outcomes that come from comparing the two models on later weeks.
JUDGED = (IMPROVED, WORSE, NO_BETTER)

#: The channels each feature set uses, as people read them.
CHANNEL_WORDS = {
    "checkin": "weekly check-ins only",
    "full": "weekly check-ins and facial expression scores",
    "facial": "facial expression scores only",
}
#: Feature sets that use the facial channel.
WITH_FACE = ("full", "facial")
#: What a channel is called in the evaluation's sentences ("The facial channel improved …"),
#: where that is not "<name> channel"; keyed by the channel registry's names.
CHANNEL_SUBJECTS = {"face": "facial channel"}
#: A feature set as the subject of "… did as well", where that is not "The model without it".
ALONE_WORDS = {"checkin": "Check-ins alone"}


def channel_subject(channel: str) -> str:
    """What the evaluation's sentences call a channel: "facial channel", "speech channel"."""
    return CHANNEL_SUBJECTS.get(channel, f"{channel} channel")


def alone_words(feature_set: str) -> str:
    """What the evaluation's sentences call the model without a channel ("Check-ins alone")."""
    return ALONE_WORDS.get(feature_set, "The model without it")


#: What the outcome means for the facial channel, completing "The live model uses …: ".
SUMMARY = {
    IMPROVED: "on this hospital's data the facial channel improved the early warning",
    WORSE: "on this hospital's data the facial channel made the early warning worse",
    NO_BETTER: "on this hospital's data the facial channel did not improve the early warning",
    NOT_EVALUATED: "the facial channel has not yet been evaluated on this hospital's data",
    SWITCHED_OFF: "the facial channel is switched off for this deployment",
    NOT_SHARED: "nobody has shared facial expression scores",
}
#: Why the choice is what it is.
REASON = {
    IMPROVED: "the facial channel is kept because it improved the early warning on later weeks",
    WORSE: "the facial channel is left out because it made the early warning worse on later weeks",
    NO_BETTER: "the facial channel is left out because it did not improve the early warning on "
    "later weeks",
    NOT_EVALUATED: "the facial channel is kept until `burnout evaluate` can judge it",
    SWITCHED_OFF: "the facial channel is switched off for this deployment",
    NOT_SHARED: "nobody has shared facial expression scores",
}


@dataclass(frozen=True)
class FeatureChoice:
    """The feature set to train, what the evaluation said and the figures it rests on."""

    feature_set: str
    outcome: str
    #: the evaluation's plain sentence on the facial channel, or why there is none
    statement: str
    #: average precision with and without the facial channel, the difference's 95% interval,
    #: the cut-off, the held-out weeks and the bootstrap rounds (empty without an evaluation)
    figures: dict = field(default_factory=dict)
    evaluation: Evaluation | None = field(default=None, repr=False, compare=False)

    @property
    def keeps_facial(self) -> bool:
        return self.feature_set in WITH_FACE

    @property
    def reason(self) -> str:
        return REASON[self.outcome]

    def record(self, feature_set: str | None = None, asked_by: str | None = None) -> dict:
        """The model card's entry for a model trained on `feature_set` (default: the choice):
        the channels it uses, the evaluation's sentence and, when it goes against the
        evaluation, why (`asked_by`, e.g. "asked for by --feature-set full")."""
        used = feature_set or self.feature_set
        if used not in CHANNEL_WORDS:
            raise InvalidInput(f"unknown feature set {used!r} (use one of: "
                               f"{', '.join(CHANNEL_WORDS)})")  # fmt: skip
        against = self.outcome in JUDGED and (used in WITH_FACE) != self.keeps_facial
        if used == self.feature_set:
            reason = self.reason
        else:
            reason = asked_by or f"asked for ({used!r} features)"
        return {
            "feature_set": used,
            "uses": CHANNEL_WORDS[used],
            "facial_channel": used in WITH_FACE,
            "evaluation": self.statement,
            "outcome": self.outcome,
            "summary": SUMMARY[self.outcome],
            "chosen_by_evaluation": self.feature_set,
            "reason": reason,
            "against_evaluation": against,
            "figures": dict(self.figures),
        }

    def attach(self, model: TrainedModel, asked_by: str | None = None) -> dict:
        """Record the choice on `model`'s card (`card["channels"]`) and return the entry."""
        model.card["channels"] = self.record(model.feature_set, asked_by)
        return model.card["channels"]


def channel_record(model: object) -> dict | None:
    """The channels a model uses, from whatever describes it: a feature set's name, a model card
    or `model_version.metrics` (their `channels` entry), that entry itself, or the
    `model_version.feature_set` column ({"name": …, "columns": …}). None when nothing says."""
    if model is None:
        return None
    if isinstance(model, str):
        if model not in CHANNEL_WORDS:
            raise InvalidInput(f"unknown feature set {model!r} (use one of: "
                               f"{', '.join(CHANNEL_WORDS)})")  # fmt: skip
        return {"feature_set": model, "uses": CHANNEL_WORDS[model],
                "facial_channel": model in WITH_FACE}  # fmt: skip
    if not isinstance(model, Mapping):
        return None
    if isinstance(model.get("channels"), Mapping):
        return channel_record(model["channels"])
    if "uses" in model and model.get("feature_set") in CHANNEL_WORDS:
        return dict(model)
    for key in ("feature_set", "name"):
        if model.get(key) in CHANNEL_WORDS:
            return channel_record(model[key])
    return None


def live_model_sentence(model: object, subject: str = "The live model") -> str | None:
    """The sentence "The live model uses …: …." for pages and reports (None when nothing
    describes the model)."""
    record = channel_record(model)
    if record is None:
        return None
    summary = record.get("summary")
    if not summary:
        return f"{subject} uses {record['uses']}."
    joiner = ", although " if record.get("against_evaluation") else ": "
    return f"{subject} uses {record['uses']}{joiner}{summary}."


def training_line(record: Mapping) -> str:
    """What `burnout train` says about the channels of the model it trained."""
    if record.get("against_evaluation"):
        return (
            f"channels: {record['uses']}, {record['reason']}, against the evaluation: "
            f"{record['evaluation']}"
        )
    return f"channels: {record['uses']} ({record['reason']}). {record['evaluation']}"


def against_line(model_id: int, model: object) -> str | None:
    """For a model that goes against its evaluation, the line `burnout promote` prints."""
    record = channel_record(model)
    if record is None or not record.get("against_evaluation"):
        return None
    return (
        f"model {model_id} uses {record['uses']} against its evaluation "
        f"({record['reason']}): {record['evaluation']}"
    )
