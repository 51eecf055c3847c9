"""One document-type table: registry.doctypes (ND30 Appendix III) is the source; the template
table of doc_templates (a leaf that may not import it) and intake's type names must agree."""

from __future__ import annotations

from doc_templates.doctypes import DOCTYPES as TEMPLATE_TYPES
from doc_templates.doctypes import Layout
from registry.doctypes import DOC_TYPES


class TestDocTypesAgree:
    def test_every_template_type_is_a_registry_type_with_the_same_abbreviation(self) -> None:
        """Each type with a template exists in the registry with the same Appendix III
        abbreviation (None for công văn)."""
        for key, template in TEMPLATE_TYPES.items():
            assert key in DOC_TYPES, key
            assert template.abbreviation == DOC_TYPES[key].abbreviation, key

    def test_printed_type_names_agree(self) -> None:
        """The printed type name is the registry's name in capitals (copies print the kind of
        copy: 'SAO Y' for 'Bản sao y'); a type without abbreviation prints no type name."""
        for key, template in TEMPLATE_TYPES.items():
            name = DOC_TYPES[key].name.upper()
            if template.type_name is None:
                assert DOC_TYPES[key].abbreviation is None, key
            elif template.layout is Layout.COPY:
                assert name.endswith(template.type_name), key
            else:
                assert template.type_name == name, key

    def test_intake_reads_type_names_from_the_registry(self) -> None:
        """Incoming documents are typed by the registry's names, not a table of their own."""
        from outbox import intake

        assert {t.name.upper(): t.key for t in DOC_TYPES.values()} == intake._TYPE_NAMES
