"""Demo and scale data for development and benchmarks, never installed in production.

Like Zulip's ``zilencer``: the product apps never import it. It writes through the product's
own services (``demo/``) or, for bulk rows, through the product's own pure functions
(``scale/``: custody hashes, audit hashes, search documents), never through copies of them.
"""
