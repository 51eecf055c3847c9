"""The pages' languages: Vietnamese (default; the msgids are the Vietnamese text) and English.

Catalogs live in ``congvan/web/locale/<lang>/LC_MESSAGES/messages.po`` (in the
repository) and are compiled to ``.mo`` at install (``scripts/install-venv.sh``,
``make i18n``). A checkout where they were not compiled still works: the
``.po`` is compiled in memory on first use.
"""

from __future__ import annotations

import ast
import gettext as _gettext
import io
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALE_DIR = Path(__file__).with_name("locale")
LOCALES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "ngon_ngu"
DOMAIN = "messages"


@lru_cache(maxsize=len(LOCALES))
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (identity for Vietnamese when there is none)."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if po.is_file():
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=lang, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)
    return NullTranslations()


def choose(request: Request) -> str:
    """``?lang=`` > the language cookie > Vietnamese.

    Accept-Language is not consulted: many office machines run an English browser,
    and the agency's working language is Vietnamese; English is a choice in the page.
    """
    wanted = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return wanted if wanted in LOCALES else DEFAULT


def gettext_for(lang: str) -> _gettext.NullTranslations:
    """The translations object for a locale (unknown → Vietnamese)."""
    return translations(lang if lang in LOCALES else DEFAULT)


def extract_labels(fileobj: Any, keywords: Any, comment_tags: Any,
                   options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for the label table (``registry/labels.py``): every string value of a
    module-level dict literal is a message, so the one table stays free of gettext markers."""
    tree = ast.parse(fileobj.read().decode("utf-8"))
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Dict):
            for item in value.values:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    yield item.lineno, "", item.value, []
