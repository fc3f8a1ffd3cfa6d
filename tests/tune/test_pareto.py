"""The Pareto front and the chosen trial, on synthetic trials."""

from __future__ import annotations

import itertools
import random

from edgetf.tune.pareto import Point, choose, dominates, pareto_front


def _p(number, accuracy, flash, ram, latency=None, feasible=True):
    return Point(number, accuracy, flash, ram, latency, feasible)


def test_dominated_and_infeasible_points_are_off_the_front():
    points = [
        _p(0, 0.90, 60_000, 2_000),
        _p(1, 0.95, 70_000, 2_000),   # more accurate, more flash: on the front too
        _p(2, 0.89, 61_000, 2_100),   # worse than 0 in everything
        _p(3, 0.97, 50_000, 1_000, feasible=False),  # would dominate all, but breaks a cap
        _p(4, 0.90, 60_000, 1_900),   # 0 with less RAM: dominates 0
        _p(5, 0.80, 55_000, 2_500),   # least flash: on the front
    ]
    front = pareto_front(points)
    assert [p.number for p in front] == [1, 4, 5]  # most accurate first
    assert choose(points).number == 1
    assert dominates(points[4], points[0]) and not dominates(points[0], points[4])


def test_equal_points_do_not_dominate_each_other():
    a, b = _p(0, 0.9, 60_000, 2_000), _p(1, 0.9, 60_000, 2_000)
    assert not dominates(a, b) and not dominates(b, a)
    assert [p.number for p in pareto_front([a, b])] == [0, 1]
    assert choose([b, a]).number == 0  # ties go to the earlier trial


def test_latency_is_an_objective_only_when_capped():
    slow = _p(0, 0.9, 60_000, 2_000, latency=5.0)
    fast = _p(1, 0.9, 60_000, 2_000, latency=1.0)
    assert not dominates(fast, slow)
    assert dominates(fast, slow, latency=True)
    assert [p.number for p in pareto_front([slow, fast], latency=True)] == [1]


def test_no_feasible_point_means_no_choice():
    assert choose([_p(0, 0.9, 1, 1, feasible=False)]) is None
    assert pareto_front([_p(0, 0.9, 1, 1, feasible=False)]) == []


def test_the_front_is_exactly_the_non_dominated_feasible_set_on_random_trials():
    rng = random.Random(7)
    for _ in range(50):
        points = [_p(i, rng.choice([0.8, 0.85, 0.9, 0.95]), rng.randrange(50, 60) * 1000,
                     rng.randrange(1, 5) * 500, rng.choice([1.0, 2.0]), rng.random() < 0.8)
                  for i in range(12)]
        front = {p.number for p in pareto_front(points, latency=True)}
        feasible = [p for p in points if p.feasible]
        for p, q in itertools.product(feasible, feasible):  # brute force, by definition
            if p.number in front:
                assert not (q.accuracy >= p.accuracy and q.flash_bytes <= p.flash_bytes
                            and q.ram_bytes <= p.ram_bytes and q.latency_ms <= p.latency_ms
                            and q.objectives(True) != p.objectives(True))
        for p in feasible:
            assert p.number in front or any(dominates(q, p, True) for q in feasible)
        chosen = choose(points)
        assert chosen is None or (chosen.number in front and chosen.accuracy == max(
            p.accuracy for p in feasible))
