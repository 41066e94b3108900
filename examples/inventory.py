"""A tiny inventory module: the demo completes the body of ``total_value``."""

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    quantity: int


def total_value(items: list[Item]) -> float:
    """Return the total value (price times quantity) of all items."""
    
