"""The web app: pages on the API's own origin, in Finnish and English.

Each page is a template (`templates/`) rendered with the chosen language's message catalogue
(`mewet/texts/`); the page's script (`static/`, plain ES modules, nothing loaded from another
origin, no build step) reads and acts through the same JSON and WebSocket API as any client,
so a page never holds a second copy of the rules.
"""
