"""What training chooses on the validation split: the ordinary traffic the false-alarm limit is
held on, and the cascade's band."""

import numpy as np

from sekimori.classify.corpus import team, team_data_dir
from sekimori.classify.train import choose_band, is_ordinary


def test_the_band_holds_the_most_validation_mistakes_within_the_judges_share() -> None:
    # 100 items spread evenly; the mistakes cluster just above a threshold of 0.5.
    score = np.linspace(0.0, 0.99, 100)
    mistaken = np.zeros(100, bool)
    mistaken[[52, 54, 56, 58, 90]] = True
    low, high = choose_band(score, mistaken, 0.5, share=0.10)
    assert low <= 0.5 < high
    inside = (score >= low) & (score < high)
    assert inside.mean() <= 0.10
    assert mistaken[inside].sum() == 4  # the cluster, not the lone far mistake
    assert (low, high) == (0.5, 0.59)  # the narrowest such band
    # The band must contain the threshold: reaching the far mistake would hold 41 items.
    assert choose_band(score, mistaken, 0.5, share=0.20) == (0.5, 0.59)
    assert choose_band(score, mistaken, 0.5, share=0.45) == (0.5, 0.91)


def test_ordinary_traffic_includes_the_teams_everyday_prompts_and_no_look_alike() -> None:
    rows = list(team(team_data_dir()))
    everyday = [e for e in rows if is_ordinary(e)]
    assert len(everyday) >= 500 and all(e.harmful is False for e in everyday)
    # look-alikes and contrast pairs are not ordinary traffic: a limit on them would be a
    # second, different target
    assert not any(is_ordinary(e) for e in rows if "team.ord." not in e.group)


def test_the_threshold_holds_the_false_alarm_limit_or_else_comes_closest() -> None:
    from sekimori.classify.train import choose_threshold

    # Harmful items score high on both parts; two ordinary items score high on the MLP only.
    mlp = np.array([0.9, 0.92, 0.95, 0.97, 0.1, 0.2, 0.3, 0.93, 0.96])
    ngram = np.array([0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.0, 0.0])
    harmful = np.array([True] * 4 + [False] * 5)
    ordinary = ~harmful
    threshold, blend = choose_threshold(mlp, ngram, harmful, ordinary, limit=0.0)
    score = blend * mlp + (1 - blend) * ngram
    assert not (score[ordinary] >= threshold).any() and (score[harmful] >= threshold).all()
    # An ordinary item that scores 1.0 on both parts is flagged at every threshold: no choice
    # holds the limit, so it flags the fewest ordinary items (that one), then keeps the best F1.
    mlp = np.array([0.9, 0.9, 0.6, 0.7, 1.0])
    ngram = np.array([0.9, 0.9, 0.1, 0.1, 1.0])
    harmful = np.array([True, True, False, False, False])
    threshold, blend = choose_threshold(mlp, ngram, harmful, ~harmful, limit=0.0)
    score = blend * mlp + (1 - blend) * ngram
    assert (score[~harmful] >= threshold).sum() == 1 and (score[harmful] >= threshold).all()
