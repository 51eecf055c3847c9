"""Locating the signature block on the rendered PDF."""

from __future__ import annotations

import pytest

from signing.errors import SignatureBlockNotFound
from signing.locate import find_signature_block
from tests.signing.conftest import NAME, TITLE

pytestmark = pytest.mark.libreoffice


class TestFindSignatureBlock:
    def test_short_document_block_is_on_page_one(self, dispatch_pdfs):
        """On a one-page dispatch the block is on page 1, the title above the name."""
        block = find_signature_block(dispatch_pdfs["short"], title=TITLE, name=NAME, page_count=1)
        assert block.page == 0
        assert block.title.text == "PHÓ TRƯỞNG BAN" and block.name.text == NAME
        assert block.title.y0 > block.name.y1 + 40  # four blank lines between them

    def test_long_document_block_moves_to_the_last_page(self, dispatch_pdfs):
        """When the body grows, the block is found on page 2, not at fixed coordinates."""
        short = find_signature_block(dispatch_pdfs["short"], title=TITLE, name=NAME, page_count=1)
        long = find_signature_block(dispatch_pdfs["long"], title=TITLE, name=NAME, page_count=2)
        assert long.page == 1
        assert long.name.y0 != pytest.approx(short.name.y0, abs=5)

    def test_matching_ignores_case_spacing_and_normalisation(self, dispatch_pdfs):
        """A decomposed (NFD), lower-case, double-spaced title still matches."""
        import unicodedata

        title = unicodedata.normalize("NFD", "phó  trưởng ban")
        block = find_signature_block(dispatch_pdfs["short"], title=title, name=NAME, page_count=1)
        assert block.page == 0

    def test_missing_name_names_the_strings(self, dispatch_pdfs):
        """A name that is not in the document raises SignatureBlockNotFound quoting it."""
        with pytest.raises(SignatureBlockNotFound, match="Trần Thị Vắng"):
            find_signature_block(dispatch_pdfs["short"], title=TITLE, name="Trần Thị Vắng",
                                 page_count=1)
