"""JSON from clients, parsed with its nesting bounded first (validation.loads_json): Flask's
JSON provider for HTTP bodies and the JSON module of Socket.IO packets. A body nested too deeply
is a 400 like any other bad JSON; a socket message, an `invalid` ack (see TOO_DEEP)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

from .domain.validation import InvalidJSON, loads_json


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s, **kwargs)


class _TooDeep:
    """Stands for the arguments of a socket message that nested too deeply to be parsed."""

    def __repr__(self) -> str:
        return "TOO_DEEP"


TOO_DEEP = _TooDeep()
_EVENT_NAME = re.compile(r'\s*\[\s*("(?:[^"\\]|\\.){1,100}")\s*,')


class SocketJSON:
    """The `json` module python-socketio parses packets with. An event whose arguments nest too
    deeply arrives as [its name, TOO_DEEP], so its handler answers `invalid` to its ack (a
    refusal to parse would leave the client waiting); anything else that is not JSON fails to
    decode as before (python-socketio drops the packet)."""

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **kwargs)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        try:
            return loads_json(text, **kwargs)
        except InvalidJSON as error:
            name = _EVENT_NAME.match(text) if isinstance(text, str) else None
            if not error.too_deep or name is None:
                raise
            return [json.loads(name[1]), TOO_DEEP]
