"""registry: the core — the data model and the rules every entry point gets for free.

Imports no package of ours. A number is never given twice, an issued document never changes,
every date is Viet Nam's. Services take ``session=`` and never commit; only
``registry.db.transaction()`` commits.

Entry points: :mod:`registry.db` (``configure``, ``transaction``), :mod:`registry.models`
(ORM classes), :mod:`registry.documents` (``get``, ``create``, ``update``, ``issue_number``,
``link``), :mod:`registry.numbering` (``allocate_number``, ``number_document``),
:mod:`registry.doctypes` (the one document-type table, ``format_symbol``),
:mod:`registry.directory` (import/export of organisations and people),
:mod:`registry.calendar` (working days, deadline policies, ``due_date``),
:mod:`registry.clock` (``local_now``, ``local_today``), :mod:`registry.files` (the file
store), :mod:`registry.lookup` (``get_by_key``), :mod:`registry.labels` (the label table),
:mod:`registry.permissions` (``require_role``, ``require_member``), :mod:`registry.audit`
(``record``, ``history``), :mod:`registry.recipients`, :mod:`registry.errors` (the exception
tree), :mod:`registry.schema` (Alembic ``upgrade``).
"""
