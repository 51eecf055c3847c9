"""doc_templates: ND30 document templates — a spec in, .docx / PDF bytes out.

Imports nothing of ours.

Entry points: :mod:`doc_templates.spec` (``DocumentSpec``, ``load_spec``),
:mod:`doc_templates.render` (``render_docx``), :mod:`doc_templates.pdf` (``PdfConverter``:
a warm, batched LibreOffice), :mod:`doc_templates.check` (``check_docx``, the ND30 checker),
:mod:`doc_templates.formatting` (Vietnamese numbers, dates, percentages),
:mod:`doc_templates.register_book` (the printed register books), :mod:`doc_templates.doctypes`
(the template types, checked against registry.doctypes by a test).
"""
