"""records: hồ sơ (ND30 chapter IV) — the year's file plan (Danh mục hồ sơ), filing documents
into files by reference, closing, the 30-day handover warning, the handover documents (Mục lục
hồ sơ, Biên bản giao nhận) and the export package with its reader.

Plain services taking a session and the acting person, like reporting/. The tables live in
registry.models (FilePlan, FilePlanEntry, CaseFile, CaseFileDocument) so every package can read
them; the rules that change them live here.
"""
