"""doc_templates: ND30 document templates — a spec in, .docx / PDF bytes out.

Imports nothing of ours.
"""
