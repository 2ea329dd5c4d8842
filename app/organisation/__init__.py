"""Who sits where: the territory tree, handling units, request categories, the routing catalogue."""
