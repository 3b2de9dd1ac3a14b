"""``python -m bot`` is ``scrum-bot``."""

from bot.cli import main

raise SystemExit(main())
