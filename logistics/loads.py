"""How heavy and how bulky goods are on a courier's bike."""

from decimal import Decimal

# When a shop has not said: what a typical piece weighs and fills.
PIECE_KG = Decimal("0.5")
PIECE_LITRES = Decimal("1")
MEDIUM_LITRES = Decimal("30")
LARGE_LITRES = Decimal("80")


def goods_load(product, quantity) -> tuple[Decimal, Decimal]:
    """(kg, litres) of `quantity` of `product`."""
    quantity = Decimal(str(quantity))
    unit = product.unit
    if unit == "hour":
        return Decimal("0"), Decimal("0")
    if unit == "kg":
        kg = quantity
        litres = (product.volume_litres or Decimal("1")) * quantity
    elif unit == "litre":
        litres = quantity
        kg = (product.weight_kg or Decimal("1")) * quantity
    else:
        kg = (product.weight_kg if product.weight_kg is not None else PIECE_KG) * quantity
        litres = (
            product.volume_litres if product.volume_litres is not None else PIECE_LITRES
        ) * quantity
    return kg, litres


def size_surcharge(collective, litres: Decimal):
    """The collective's surcharge for a ride of this volume (None when it needs none)."""
    if litres > LARGE_LITRES:
        return collective.large_surcharge
    if litres > MEDIUM_LITRES:
        return collective.medium_surcharge
    return None
