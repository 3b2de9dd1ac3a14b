"""Routing: normalise → crisis screen → tokenise → expand → score → cues → decide (pure stages)."""
