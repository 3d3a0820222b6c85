"""The case package renderer: plan the parts, render them (on several workers if need be),
assemble them into one PDF/A-3b, sign it, and verify a file someone hands back.

Used by ``partners/packages/worker.py``::

    plans = plan_parts(package)                      # stored as PackageSection rows
    result = render_part(package, plan, part_file)   # one worker per part
    pages = assemble(package, [(result, part_file), ...], unsigned_file)
    sign(unsigned_file, signed_file)
    verify(uploaded_file)                            # manage.py verify_package, /packages/verify/
"""

from partners.packages.pdf.assemble import assemble
from partners.packages.pdf.render import PartPlan, PartResult, plan_parts, render_part
from partners.packages.pdf.signing import sign
from partners.packages.pdf.verify import Verification, verify

__all__ = [
    "PartPlan",
    "PartResult",
    "Verification",
    "assemble",
    "plan_parts",
    "render_part",
    "sign",
    "verify",
]
