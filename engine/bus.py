"""The in-process message bus: every actor talks only through it, in one deterministic FIFO order.

Three ways to deliver:

- publish/subscribe on dotted topics; a pattern segment ``*`` matches exactly one topic segment
  (``data.trade.*.*`` matches ``data.trade.binance.BTCUSDT``, never ``data.trade.binance``);
- point-to-point ``send`` to a named endpoint;
- ``request`` to a named responder, answered later by ``respond`` with the correlation id.

One run queue orders everything: a handler that publishes, sends or responds never re-enters
another handler; its message is queued and handled after the current one. When the bus is idle,
``publish`` dispatches at once (nothing can be ahead of it) and then drains whatever the handlers
queued. Topics are resolved to handler tuples once and cached until a subscription changes;
queued publications are resolved when they are handled, so an unsubscribed handler receives
nothing published after the message being handled.

A handler that raises does not stop the bus: the error is logged and published as a
``HandlerError`` on ``events.error`` (a failing ``events.error`` handler is only logged, so an
error never feeds itself).

The bus is not thread-safe: the core runs on one task, and the edges hand it messages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, TypeAlias

import structlog

from engine.errors import EngineError
from engine.messages import HandlerError
from engine.topics import ERRORS as ERROR_TOPIC

Handler: TypeAlias = Callable[[Any], None]
Responder: TypeAlias = Callable[[Any, int], None]

_log = structlog.get_logger(__name__)

# A queued delivery: (handlers, label, message). ``handlers`` is None for a publication, which is
# resolved from its topic (the label) when handled; sends and responses carry their target.
_Item: TypeAlias = tuple[tuple[Handler, ...] | None, str, Any]
# A topic's handlers and its counter weight: one publication plus one delivery per handler.
_Route: TypeAlias = tuple[tuple[Handler, ...], int]
_PUBLISHED = 1 << 64


class BusError(EngineError):
    """The bus was asked for something it cannot do (bad topic, endpoint name taken, ...)."""


class UnknownEndpoint(BusError, KeyError):
    """``send``/``request``/``deregister_endpoint`` named an endpoint nobody registered."""

    __str__ = BusError.__str__

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        super().__init__(f"no endpoint named {endpoint!r} is registered")


class UnknownRequest(BusError, KeyError):
    """``respond`` named a correlation id that is not waiting for a response."""

    __str__ = BusError.__str__

    def __init__(self, correlation_id: int, answered: bool) -> None:
        self.correlation_id = correlation_id
        why = "was already answered" if answered else "was never issued"
        super().__init__(f"request {correlation_id} {why}")


class MessageBus:
    """Routes messages to handlers through one FIFO run queue.

    ``timestamp_ns`` stamps the ``HandlerError`` messages the bus publishes (give it the node's
    clock). Counters: ``published`` (publish calls), ``sent`` (sends, requests and responses),
    ``delivered`` (handler calls, failed ones included) and ``errors`` (handler calls that raised).

    A ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``) aborts
    the run: it propagates out of the outermost publish/send and the queued messages are dropped.
    """

    __slots__ = (
        "_busy",
        "_endpoints",
        "_last_request_id",
        "_pending",
        "_queue",
        "_responders",
        "_routes",
        "_subscriptions",
        "_tally",
        "_timestamp_ns",
        "errors",
        "sent",
    )

    def __init__(self, timestamp_ns: Callable[[], int] = lambda: 0) -> None:
        self._timestamp_ns = timestamp_ns
        self._subscriptions: list[_Subscription] = []
        self._routes: dict[str, _Route] = {}
        self._endpoints: dict[str, tuple[Handler]] = {}
        self._responders: dict[str, Responder] = {}
        self._pending: dict[int, tuple[tuple[Handler], str]] = {}
        self._last_request_id = 0
        self._queue: deque[_Item] = deque()
        self._busy = False
        # publications count in the bits from _PUBLISHED up, handler calls below: the hot path
        # then updates one counter with the route's precomputed weight.
        self._tally = 0
        self.sent = 0
        self.errors = 0

    @property
    def published(self) -> int:
        return self._tally // _PUBLISHED

    @property
    def delivered(self) -> int:
        return self._tally % _PUBLISHED

    # -- publish / subscribe ---------------------------------------------------------------

    def subscribe(self, pattern: str, handler: Handler, priority: int = 0) -> None:
        """Deliver messages on topics matching ``pattern`` to ``handler``.

        Handlers of a topic run by descending ``priority``, then in subscription order. A handler
        matched by several patterns receives each message once. Subscribing the same handler to
        the same pattern again is a no-op.
        """
        parts = _split(pattern, wildcard=True)
        if any(s.pattern == pattern and s.handler == handler for s in self._subscriptions):
            return
        self._subscriptions.append(_Subscription(pattern, parts, handler, priority))
        self._invalidate(parts)

    def unsubscribe(self, pattern: str, handler: Handler) -> None:
        """Stop delivering ``pattern`` to ``handler`` from the next message on; unknown pairs are ignored."""
        for index, sub in enumerate(self._subscriptions):
            if sub.pattern == pattern and sub.handler == handler:
                del self._subscriptions[index]
                self._invalidate(sub.parts)
                return

    def publish(self, topic: str, msg: Any) -> None:
        """Deliver ``msg`` to every handler subscribed to a pattern matching ``topic``."""
        if self._busy:
            if topic not in self._routes:
                self._resolve(topic)  # a malformed topic fails here, in the publishing handler
            self._tally += _PUBLISHED
            self._queue.append((None, topic, msg))
            return
        try:
            handlers, weight = self._routes[topic]
        except KeyError:
            handlers, weight = self._resolve(topic)
        self._tally += weight
        self._busy = True
        try:
            for handler in handlers:
                try:
                    handler(msg)
                except Exception as exc:
                    self._handler_failed(topic, handler, exc)
            if self._queue:
                self._drain()
        except BaseException:
            self._queue.clear()
            raise
        finally:
            self._busy = False

    # -- point to point --------------------------------------------------------------------

    def register_endpoint(self, name: str, handler: Handler) -> None:
        """Make ``handler`` the receiver of every ``send(name, ...)``; a name can be taken once."""
        self._check_free(name)
        self._endpoints[name] = (handler,)

    def register_responder(self, name: str, handler: Responder) -> None:
        """Make ``handler(msg, correlation_id)`` answer ``request(name, ...)`` by calling ``respond``."""
        self._check_free(name)
        self._responders[name] = handler

    def deregister_endpoint(self, name: str) -> None:
        """Remove an endpoint or responder; raises ``UnknownEndpoint`` if there is none."""
        if self._endpoints.pop(name, None) is None and self._responders.pop(name, None) is None:
            raise UnknownEndpoint(name)

    def send(self, endpoint: str, msg: Any) -> None:
        """Deliver ``msg`` to the endpoint's handler; raises ``UnknownEndpoint`` at once if there is none."""
        target = self._endpoints.get(endpoint)
        if target is None:
            raise UnknownEndpoint(endpoint)
        self.sent += 1
        if self._busy:  # _post's common case, inlined: a handler sends, the message waits its turn
            self._queue.append((target, endpoint, msg))
            return
        self._post((target, endpoint, msg))

    def request(self, endpoint: str, msg: Any, on_response: Handler) -> int:
        """Ask the responder at ``endpoint``; its answer is delivered to ``on_response`` via the queue.

        Returns the correlation id. On an idle bus the request is handled before this returns, so
        an immediate answer reaches ``on_response`` first: keep what it needs in its closure. A
        responder that raises is reported like any handler, and its request stays unanswered.
        """
        responder = self._responders.get(endpoint)
        if responder is None:
            raise UnknownEndpoint(endpoint)
        self._last_request_id += 1
        correlation_id = self._last_request_id
        self._pending[correlation_id] = ((on_response,), endpoint)
        self.sent += 1
        self._post(((_Request(responder, correlation_id),), endpoint, msg))
        return correlation_id

    def respond(self, correlation_id: int, msg: Any) -> None:
        """Answer a request, now or any time later; each request is answered exactly once."""
        pending = self._pending.pop(correlation_id, None)
        if pending is None:
            raise UnknownRequest(correlation_id, answered=0 < correlation_id <= self._last_request_id)
        target, endpoint = pending
        self.sent += 1
        self._post((target, endpoint, msg))

    # -- machinery -------------------------------------------------------------------------

    def _post(self, item: _Item) -> None:
        self._queue.append(item)
        if self._busy:
            return
        self._busy = True
        try:
            self._drain()
        except BaseException:
            self._queue.clear()
            raise
        finally:
            self._busy = False

    def _drain(self) -> None:
        queue = self._queue
        popleft = queue.popleft
        routes = self._routes
        failed = self._handler_failed
        while queue:
            handlers, label, msg = popleft()
            if handlers is None:
                handlers = (routes.get(label) or self._resolve(label))[0]
            for handler in handlers:
                try:
                    handler(msg)
                except Exception as exc:
                    failed(label, handler, exc)
            self._tally += len(handlers)

    def _resolve(self, topic: str) -> _Route:
        parts = _split(topic, wildcard=False)
        matching = sorted(
            (s for s in self._subscriptions if _matches(s.parts, parts)), key=lambda s: -s.priority
        )
        handlers: list[Handler] = []
        for sub in matching:
            if sub.handler not in handlers:
                handlers.append(sub.handler)
        route = self._routes[topic] = (tuple(handlers), _PUBLISHED + len(handlers))
        return route

    def _invalidate(self, pattern: tuple[str, ...]) -> None:
        for topic in [t for t in self._routes if _matches(pattern, tuple(t.split(".")))]:
            del self._routes[topic]

    def _check_free(self, name: str) -> None:
        if name in self._endpoints or name in self._responders:
            raise BusError(f"endpoint {name!r} is already registered")

    def _handler_failed(self, label: str, handler: Handler, exc: Exception) -> None:
        self.errors += 1
        target = getattr(handler, "__wrapped__", handler)
        name = getattr(target, "__qualname__", None) or type(target).__qualname__
        _log.error("handler_error", topic=label, handler=name, exc_info=exc)
        if label != ERROR_TOPIC:
            now = self._timestamp_ns()
            error = HandlerError(
                ts_event=now,
                ts_init=now,
                topic=label,
                handler=name,
                error_type=type(exc).__qualname__,
                error=str(exc),
            )
            self.publish(ERROR_TOPIC, error)


class _Subscription:
    __slots__ = ("handler", "parts", "pattern", "priority")

    def __init__(self, pattern: str, parts: tuple[str, ...], handler: Handler, priority: int) -> None:
        self.pattern = pattern
        self.parts = parts
        self.handler = handler
        self.priority = priority


class _Request:
    """Adapts a responder to the one-argument handler call, carrying the correlation id."""

    __slots__ = ("__wrapped__", "correlation_id")

    def __init__(self, responder: Responder, correlation_id: int) -> None:
        self.__wrapped__ = responder
        self.correlation_id = correlation_id

    def __call__(self, msg: Any) -> None:
        self.__wrapped__(msg, self.correlation_id)


def _split(name: str, *, wildcard: bool) -> tuple[str, ...]:
    parts = tuple(name.split("."))
    for part in parts:
        if not part or ("*" in part and not (wildcard and part == "*")):
            kind, allowed = ("pattern", "a name or '*'") if wildcard else ("topic", "a name without '*'")
            raise BusError(f"invalid {kind} {name!r}: every segment must be {allowed}") from None
    return parts


def _matches(pattern: tuple[str, ...], topic: tuple[str, ...]) -> bool:
    return len(pattern) == len(topic) and all(p in ("*", t) for p, t in zip(pattern, topic, strict=True))
