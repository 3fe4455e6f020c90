"""The per-process cache of Activities/Agents already handed to the store (lrs.learning)."""

from __future__ import annotations

from lrs.learning import LearnedCache


def test_only_first_occurrences_of_unseen_items_are_fresh() -> None:
    cache = LearnedCache()
    a = {"id": "http://x/a", "definition": {"name": {"en": "A"}, "type": "http://t"}}
    same_a = {"definition": {"type": "http://t", "name": {"en": "A"}}, "id": "http://x/a"}
    b = {"id": "http://x/b"}
    out, prints = cache.fresh([a, same_a, b, a], "a0")
    assert out == [a, b] and len(prints) == 2
    cache.remember(prints)
    assert cache.fresh([same_a, b], "a0") == ([], [])
    assert cache.fresh([a], "a1")[0] == [a]  # another salt (define scope) is another key
    assert cache.fresh([{"id": "http://x/a", "n": 1.0}, {"id": "http://x/a", "n": 1}], "g")[0] == [
        {"id": "http://x/a", "n": 1.0},
        {"id": "http://x/a", "n": 1},
    ]


def test_integers_beyond_64_bits_are_fingerprinted_too() -> None:
    cache = LearnedCache()
    big = {"id": "http://x/a", "definition": {"extensions": {"http://e": 2**70}}}
    out, prints = cache.fresh([big, dict(big)], "a0")
    assert out == [big]
    cache.remember(prints)
    assert cache.fresh([big], "a0")[0] == []
    assert cache.fresh(
        [{"id": "http://x/a", "definition": {"extensions": {"http://e": 2**70 + 1}}}], "a0"
    )[0]


def test_the_cache_forgets_wholesale_past_its_limit() -> None:
    cache = LearnedCache(limit=2)
    _first, prints = cache.fresh([{"id": "1"}, {"id": "2"}], "g")
    cache.remember(prints)
    cache.remember(cache.fresh([{"id": "3"}], "g")[1])
    assert cache.fresh([{"id": "1"}], "g")[0] == [{"id": "1"}]
