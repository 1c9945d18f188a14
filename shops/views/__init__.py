"""Views of the shops app: the public catalogue (public), the shop's dashboard (dashboard)
and the inventory API for tills (api)."""
