"""The rules of a workshop, in pure Python (stdlib only).

No request, database or socket in here: a stage is a plain dict of the
workshop file, a ballot a plain dict of choices. ``methods`` checks and tallies
ballots, ``results`` ranks items and compares groups, ``lifecycle`` guards
stage states and results visibility, ``text`` picks a language.
"""

from .lifecycle import (
    ACTIONS,
    POLICIES,
    STATES,
    TransitionError,
    hide,
    results_visible,
    reveal,
    transition,
)
from .methods import (
    METHODS,
    BallotRejected,
    ItemTally,
    Method,
    Segmenter,
    get_method,
    item_values,
    simple_segment,
    validate_ballot,
)
from .results import rank_positions, stage_results
from .text import localize

__all__ = [
    "ACTIONS",
    "METHODS",
    "POLICIES",
    "STATES",
    "BallotRejected",
    "ItemTally",
    "Method",
    "Segmenter",
    "TransitionError",
    "get_method",
    "hide",
    "item_values",
    "localize",
    "rank_positions",
    "results_visible",
    "reveal",
    "simple_segment",
    "stage_results",
    "transition",
    "validate_ballot",
]
