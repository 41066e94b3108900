"""A small module."""
import os
import numpy as np
from collections import OrderedDict, defaultdict as dd
from . import sibling
from ..pkg.mod import *

MAX_SIZE = 100
_cache = {}


# Parses headers.
class Parser(Base):
    """Reads headers from bytes."""

    encoding = "utf-8"

    def __init__(self, data: bytes) -> None:
        self.data = data

    @property
    def size(self) -> int:
        return len(self.data)

    def parse(self,
              strict: bool = False) -> "Header":
        """Parse it.

        Returns a Header.
        """
        def helper(x):
            return x
        return helper(self.data)


async def fetch(url):  # trailing comment
    return url


def broken(:
    pass


def after_error():
    return 1
