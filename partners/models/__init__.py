from partners.models.meeting import FollowUpAction, Meeting
from partners.models.organisation import (
    Agreement,
    Contact,
    Invitation,
    Network,
    PartnerMembership,
    PartnerOrganisation,
)
from partners.models.package import Package, PackageDisclosure, PackageSection
from partners.models.sharing import CaseShare

__all__ = [
    "Agreement",
    "CaseShare",
    "Contact",
    "FollowUpAction",
    "Invitation",
    "Meeting",
    "Network",
    "Package",
    "PackageDisclosure",
    "PackageSection",
    "PartnerMembership",
    "PartnerOrganisation",
]
