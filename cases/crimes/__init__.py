"""The crimes of Rome Statute arts. 6-8 and the modes of liability: the bundled reference
data and its loading (``reference``), and the crime browser (``selectors``, ``views``,
``urls``, namespace ``crimes``). The models are ``cases.models.Crime`` and
``ModeOfLiability``."""
