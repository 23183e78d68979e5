"""Consistency tokens: read your own writes on an eventually consistent view.

A write answer carries the positions of every source's log as they stood when the write had
taken effect (`orders:12,inventory:40,payment:33`). A read that sends the token back waits,
bounded, until the serving build has got at least that far in every source it names.
"""

import re
from dataclasses import dataclass

_PART = re.compile(r"^([a-z]{1,20}):(\d{1,18})$")


class BadToken(ValueError):
    """Not a consistency token this API wrote."""


@dataclass(frozen=True)
class Token:
    positions: dict[str, int]

    def __str__(self) -> str:
        return ",".join(f"{source}:{seq}" for source, seq in sorted(self.positions.items()))

    @classmethod
    def parse(cls, text: str) -> "Token":
        positions = {}
        for part in filter(None, text.split(",")):
            match = _PART.match(part.strip())
            if match is None:
                raise BadToken(f"{part!r} is not source:position (e.g. orders:12)")
            positions[match[1]] = int(match[2])
        if not positions:
            raise BadToken("the token names no position")
        return cls(positions)

    def reached_by(self, positions: dict[str, int]) -> bool:
        return all(positions.get(source, -1) >= seq for source, seq in self.positions.items())
