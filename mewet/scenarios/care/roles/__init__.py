"""One module per care role: its actions and its default policy."""
