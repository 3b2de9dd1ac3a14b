"""The catalogue of services, desks, areas, meetings and crisis lines (validated data)."""

from bot.catalogue.loader import load_catalogue
from bot.catalogue.model import Catalogue, Confidence, CrisisLine, Department, Service, Site

__all__ = ["Catalogue", "Confidence", "CrisisLine", "Department", "Service", "Site", "load_catalogue"]
