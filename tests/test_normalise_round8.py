"""Helpers of normalise's eighth speed round: the same answers from less work."""

from __future__ import annotations

from estate.normalise import Candidate, _best_candidates


def test_best_candidates_are_the_top_three_by_score_then_id():
    found = [Candidate("b", "fuzzy", 88.0, "fuzzy"), Candidate("a", "fuzzy", 88.4, "fuzzy"),
             Candidate("c", "tokens", 97.0, "b"), Candidate("d", "fuzzy", 70.0, "fuzzy")]
    assert _best_candidates(found) == "c 97; a 88; b 88"
    assert _best_candidates(found[:1]) == "b 88"
