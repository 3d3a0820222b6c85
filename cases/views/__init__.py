"""Case pages, one module per subject. Every view loads its case through
``cases.selectors.case_access``: 404 for a case the user may not see, 403 for an action their
role on it does not allow."""
