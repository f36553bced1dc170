"""A small thread-safe store of values that never change once made (a complete
detection run's networks, summaries, activity and rendered fragments), keeping
the latest `size` of them per process."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, cast

V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])


class Memo(Generic[V]):
    """A bounded store: `get` a kept value (None when absent), `put` one in; the
    oldest go first when it is full."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._values.get(key)

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


def memoised(size: int, *, keep: Callable[[Any], bool] | None = None,
             copy: Callable[[Any], Any] | None = None) -> Callable[[F], F]:
    """Keep the results of a read whose answer never changes, per process.

    For functions `(graph, *args)`: the key is the graph's database and the
    arguments. A None result is never kept, nor one `keep` refuses (e.g. a
    network of a run still being written). With `copy`, callers get a copy of
    the kept value (its top level), so they may change what they get.
    """
    def wrap(read: F) -> F:
        memo: Memo[Any] = Memo(size)

        @functools.wraps(read)
        def kept(graph: Any, *args: Hashable) -> Any:
            key = (graph.database, *args)
            value = memo.get(key)
            if value is None:
                value = read(graph, *args)
                if value is not None and (keep is None or keep(value)):
                    memo.put(key, value)
            return value if copy is None or value is None else copy(value)

        return cast(F, kept)

    return wrap
