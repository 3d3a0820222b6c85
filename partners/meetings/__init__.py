"""Expert meetings with partners and their follow-up actions.

``selectors`` (who reads and who organises), ``services`` (the writes, audited), ``forms``,
``views`` and ``urls`` (namespace ``meetings``). The models are ``partners.models.meeting``.
"""
