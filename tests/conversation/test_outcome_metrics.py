"""/metrics counts what the conversation decides and files: outcomes and intakes, never text."""

from __future__ import annotations

from conv_kit import ChatBot
from test_transcripts import file_intake, phrasing

from bot.routing.result import Outcome
from bot.web.metrics import get_metrics


def _sample(name: str, **labels: str) -> float:
    return get_metrics().registry.get_sample_value(name, labels) or 0.0


async def test_routing_outcomes_and_intakes_are_counted(testbot: ChatBot) -> None:
    routes, oos = _sample("scrum_routing_outcomes_total", outcome="route"), _sample(
        "scrum_routing_outcomes_total", outcome="out_of_scope")
    intakes = _sample("scrum_intakes_total")
    await testbot.push(phrasing(Outcome.OUT_OF_SCOPE))
    assert _sample("scrum_routing_outcomes_total", outcome="out_of_scope") == oos + 1
    await testbot.push(phrasing(Outcome.ROUTE, "houkatsu"))
    assert _sample("scrum_routing_outcomes_total", outcome="route") >= routes + 1
    await file_intake(testbot)
    assert _sample("scrum_intakes_total") == intakes + 1
