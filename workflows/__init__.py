"""workflows: the Prefect flows — the only package importing prefect.

Flows sequence; each task opens one transaction, calls a service (mostly :mod:`reporting`)
and passes ids on. No SQL and no wording here. Approval is data: a flow stops at "awaiting
approval" and the recorded decision (or ``reconcile_approved``) runs the next step.

Entry points: the flows ``receive_guidance``, ``instruct_units``/``issue_instruction``,
``collect``/``ingest_posts``, ``remind_late_units``, ``aggregate_reports``,
``forward_report``, ``quarterly_cycle``, ``reconcile_approved``; :mod:`workflows.steps`
(the same steps as plain functions, for the bench and tests); :mod:`workflows.deployments`
(schedules, ``congvan flows serve``); :mod:`workflows.issuance` (the warm converter and
issuing keys a process installs).
"""
