"""Case packages: what a tribunal receives from the unit, from request to signed PDF.

A package goes: requested, decided and downloaded by users (``services``, the writes;
``selectors``, who sees a package and who may download it; ``views``, ``forms``, ``urls``
under the ``packages`` namespace), rendered by the worker (``worker``, its state machine, step
by step; ``tasks``, the Celery tasks that run each step), into a PDF (``pdf/``: plan, render,
assemble, sign, verify). ``state`` holds the steps both sides share; ``access_state`` checks
its recipients against the audit trail. The models are ``partners.models.package``.
"""
