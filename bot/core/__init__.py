"""The pure conversation core: messages, dialogue steps, texts. No I/O, no clock."""
