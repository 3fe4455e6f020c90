"""store_batch keeps re-checking while other writers commit colliding ids (identical → accepted)."""

from __future__ import annotations

from typing import Any

from statements.errors import Conflict
from statements.ingest import prepare_batch, store_batch
from tests.factories import make_statement

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}}


class RacingStore:
    """Wraps a store; before each of the first ``races`` inserts, another 'writer' commits one
    more of the batch's statements (identical content), so the insert collides."""

    def __init__(self, inner: Any, others: list[Any], races: int) -> None:
        self.inner, self.others, self.races = inner, others, races

    def get_by_ids(self, ids: Any) -> Any:
        return self.inner.get_by_ids(ids)

    def insert(self, records: Any, attachments: Any) -> None:
        if self.races:
            self.races -= 1
            self.inner.insert([self.others.pop(0)], [])
            raise Conflict("collided")
        self.inner.insert(records, attachments)


def test_identical_statements_survive_repeated_collisions(store: Any) -> None:
    bodies = [make_statement(id=f"00000000-0000-0000-0000-00000000000{n}") for n in range(1, 4)]
    mine = prepare_batch(bodies, authority=AUTH, api_version="1.0.3", now_us=10)
    theirs = prepare_batch(bodies, authority=AUTH, api_version="1.0.3", now_us=5)
    racing = RacingStore(store, list(theirs[:2]), races=2)
    store_batch(racing, mine)  # two successive collisions, both identical: accepted
    assert sorted(store.get_by_ids([r.id for r in mine])) == sorted(r.id for r in mine)
