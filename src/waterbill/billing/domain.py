"""The utility's vocabulary shared by every area: the two services a household may take."""

from __future__ import annotations

from typing import Literal

Service = Literal["water", "wastewater"]
SERVICES: tuple[Service, ...] = ("water", "wastewater")
