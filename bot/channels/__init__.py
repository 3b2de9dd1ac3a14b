"""Channel adapters: console, web try-out page, LINE, Telegram. Thin: translate and render."""
