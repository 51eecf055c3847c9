"""YAML from people and other offices, read with bounded time and memory.

PyYAML's ``safe_load`` keeps aliases: nine levels of nine aliases expand to
hundreds of millions of strings in any code that walks the result (our NFC
clean-up did: MemoryError after 20 s at 2 GiB). The files this project reads
(directory, document specs, calendar adjustments) never need anchors, so a
file with an alias is refused outright, and so is one over a size or node
limit, before anything is built from it. The check streams the parser's
events: its memory is bounded by the deepest nesting, not by the file.
"""

from __future__ import annotations

import yaml

MAX_BYTES = 5 * 1024 * 1024  # 5 MiB: a province's directory is ~100 KiB
MAX_EVENTS = 1_000_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _n(number: int) -> str:
    """A count as Vietnamese writes it: 5.242.880."""
    return f"{number:,}".replace(",", ".")


class UnsafeYaml(ValueError):
    """A YAML text refused before loading; ``line`` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


def check(text: str, *, max_bytes: int = MAX_BYTES, max_events: int = MAX_EVENTS) -> None:
    """Refuse ``text`` if it is over ``max_bytes`` (UTF-8), uses an alias or has too many nodes.

    YAML syntax errors are left to the real load, which reports them with their line.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise UnsafeYaml(f"tệp quá lớn ({_n(size)} byte, tối đa {_n(max_bytes)}); hãy chia nhỏ "
                         "tệp")
    count = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            count += 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise UnsafeYaml(
                    "tệp dùng neo/bí danh YAML (&… / *…), không được hỗ trợ; hãy viết đầy đủ "
                    "giá trị thay cho bí danh", line=line)
            if count > max_events:
                raise UnsafeYaml(f"tệp có quá nhiều phần tử (hơn {_n(max_events)}); hãy chia "
                                 "nhỏ tệp")
    except yaml.YAMLError:
        return


__all__ = ["MAX_BYTES", "MAX_EVENTS", "UnsafeYaml", "check"]
