"""The supervisor's own lines, prefixed like its children's."""

import sys

WIDTH = 9


def say(text: str, name: str = "ordersaga") -> None:
    for line in text.splitlines() or [""]:
        write_line(name, line)


def write_line(name: str, line: str) -> None:
    sys.stdout.write(f"{name:>{WIDTH}} | {line}\n")
    sys.stdout.flush()
