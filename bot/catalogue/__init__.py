"""The catalogue of services, desks, areas, meetings and crisis lines (validated data)."""

from bot.catalogue.loader import load_catalogue
from bot.catalogue.model import CRISIS_KINDS, Catalogue, Confidence, CrisisLine, Department, Service, Site
from bot.catalogue.public import PublicContact, PublicCrisisLine, public_contacts, public_crisis_lines

__all__ = ["CRISIS_KINDS", "Catalogue", "Confidence", "CrisisLine", "Department", "PublicContact",
           "PublicCrisisLine", "Service", "Site", "load_catalogue", "public_contacts", "public_crisis_lines"]
