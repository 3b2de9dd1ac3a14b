"""Catalogue lint helper: the example inquiries of a service must reach that service.

``scrum-bot catalogue check`` imports ``examples_not_reaching`` lazily and fails on any result.
"""

from __future__ import annotations

from bot.catalogue.model import Catalogue
from bot.routing.result import Outcome


def examples_not_reaching(router, catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """(service id, example, what the router gave) for every example that does not reach its service.

    An example reaches its service when the service is the first match of a route, one of the
    desks of a multi, or a crisis desk that fits. Services that are not routable (offered only with
    several needs, like 多機関協働) are never routed to, so their examples are not checked.
    """
    problems: list[tuple[str, str, str]] = []
    for svc in catalogue.services:
        if not svc.routable:
            continue
        for ex in svc.examples:
            res = router.route(ex)
            if res.outcome is Outcome.ROUTE:
                ok = bool(res.matches) and res.matches[0].id == svc.id
            elif res.outcome in (Outcome.MULTI, Outcome.CRISIS):
                ok = svc.id in res.needed
            else:
                ok = False
            if not ok:
                got = res.outcome.value + (":" + ",".join(res.needed) if res.needed else
                                           (":" + res.matches[0].id if res.matches else ""))
                problems.append((svc.id, ex, got))
    return problems
