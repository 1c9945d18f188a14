"""Shopping lists: a list written as people write it, matched against the town's shops,
the trip through town (or the delivery) that gets everything on it, and the cart."""
