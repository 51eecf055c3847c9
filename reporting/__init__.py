"""The reporting domain: duties a guidance sets, the requests they open for each unit and
period, the figures units submit, reminders for late units, the aggregated Báo cáo.

Plain services — keyword-only, taking a session, ids and the acting person, never committing
(only ``registry.db.transaction()`` commits) — used alike by the CLI, the web and the flows
(``workflows/`` only sequences them). Layer: above signing and outbox, below workflows.

Entry points:

- :mod:`reporting.guidance` — ``register_guidance`` (a superior's guidance and its duties);
- :mod:`reporting.instructions` — ``InstructionIn``, ``draft`` (the instruction công văn),
  ``plan`` (which duty, period and units get requests once it is issued);
- :mod:`reporting.requests` — ``open_requests``, ``is_owed``/``is_late``, ``overview``
  (owed and late reports), ``key_dates``;
- :mod:`reporting.submissions` — ``submit_json``, ``submit_xlsx``, ``submit_email``
  (validated against the form; the file kept in the file store);
- :mod:`reporting.staging` — ``stage_posts``, ``ingest_range`` (bulk JSON posts by id range);
- :mod:`reporting.reminders` — ``pending``, ``claim``, ``send_notices``, ``draft_don_doc``
  (once per request and stage);
- :mod:`reporting.aggregation` — ``aggregate``, ``derive``, ``report_body``;
- :mod:`reporting.reports` — ``draft_report`` (the Báo cáo to the superior), ``figures``;
- :mod:`reporting.forms`, :mod:`reporting.xlsx` — the form YAML (indicators, derived figures,
  checks, the campaign's ``wording``) and its .xlsx workbook;
- :mod:`reporting.drafting` — registry rows to document specs; submit, decide, issue through
  :mod:`signing`;
- :mod:`reporting.tracing` — the chain guidance → instruction → requests → report;
- :mod:`reporting.scenario` — the Kon Tum 2022 example campaign (demo, tests, bench).
"""
