from partners.models.organisation import (
    Agreement,
    Contact,
    Invitation,
    Network,
    PartnerMembership,
    PartnerOrganisation,
)
from partners.models.sharing import CaseShare

__all__ = [
    "Agreement",
    "CaseShare",
    "Contact",
    "Invitation",
    "Network",
    "PartnerMembership",
    "PartnerOrganisation",
]
