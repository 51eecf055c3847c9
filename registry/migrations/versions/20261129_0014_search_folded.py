"""documents.search_folded: the register search's folded text, kept by PostgreSQL

The search folds diacritics and case with translate() over a table of Vietnamese letters.
Done at query time on every row, that costs ≈ 150 µs per document on PostgreSQL (multibyte
translate), ≈ 3 s for 20,000 documents (bench/web.py). A stored generated column computes
the same text once per write; the search reads it. PostgreSQL only: SQLite keeps folding
at query time with the Python function (small registers).

The expression must stay the one registry.search builds (_haystack): subject, number,
symbol, original number and sender name joined by spaces, through translate(FROM, TO).

Revision ID: 0014_search_folded
Revises: 0013_access_log
Create Date: 2026-11-29 21:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_search_folded"
down_revision: str | None = "0013_access_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# registry.search.FROM and TO when this revision was written (NFC).
FROM = 'aàáảãạăằắẳẵặâầấẩẫậAÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬeèéẻẽẹêềếểễệEÈÉẺẼẸÊỀẾỂỄỆiìíỉĩịIÌÍỈĨỊoòóỏõọôồốổỗộơờớởỡợOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢuùúủũụưừứửữựUÙÚỦŨỤƯỪỨỬỮỰyỳýỷỹỵYỲÝỶỸỴdđDĐABCDEFGHIJKLMNOPQRSTUVWXYZ'
TO = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeeeeeeeeeiiiiiiiiiiiioooooooooooooooooooooooooooooooooooouuuuuuuuuuuuuuuuuuuuuuuuyyyyyyyyyyyyddddabcdefghijklmnopqrstuvwxyz'
HAYSTACK = ("coalesce(subject, '') || ' ' || coalesce(number::varchar, '') || ' ' || "
            "coalesce(symbol, '') || ' ' || coalesce(original_number, '') || ' ' || "
            "coalesce(sender_name, '')")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE documents ADD COLUMN search_folded text GENERATED ALWAYS AS "
               f"(translate({HAYSTACK}, '{FROM}', '{TO}')) STORED")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE documents DROP COLUMN search_folded")
