"""Field types shared by every operation's message schema (stateless validation).

Messages are pydantic models in strict mode: an amount must be a JSON integer (never a float or
a numeric string), unknown fields are refused, and every identifier, date, digest and region
has one accepted spelling.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_GRAMS = 10**15
"""One billion tonnes: far above any real batch, far below the 64-bit limit."""


class Message(BaseModel):
    """Base of every operation body: frozen, strict, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _real_date(value: str) -> str:
    date.fromisoformat(value)
    return value


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")]
# No NUL: PostgreSQL text cannot hold one, and no honest text needs it.
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")]
IsoDate = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_real_date)
]
Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
DecimalText = Annotated[str, StringConstraints(pattern=r"^-?\d{1,18}(\.\d{1,18})?$")]
Grams = Annotated[int, Field(gt=0, le=MAX_GRAMS)]
Fen = Annotated[int, Field(ge=0, le=10**15)]
"""Money in fen (0.01 CNY), an integer."""
PublicKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]
"""An Ed25519 public key, 32 bytes in standard base64."""


class Parameter(Message):
    """A calculation parameter and where its value comes from (e.g. a grid emission factor)."""

    name: Text
    value: DecimalText
    unit: Text
    source: Text


class LotRequest(Message):
    """Credits of one batch to move: a quantity (lowest serials first) or an exact sub-range."""

    batch: Id
    quantity: Grams | None = None
    serial_start: Annotated[int, Field(ge=0)] | None = None
    serial_end: Annotated[int, Field(gt=0)] | None = None

    def model_post_init(self, __context: object) -> None:
        by_quantity = self.quantity is not None
        by_serials = self.serial_start is not None or self.serial_end is not None
        if by_quantity == by_serials:
            raise ValueError("a lot names either a quantity or serial_start and serial_end")
        if by_serials and (
            self.serial_start is None
            or self.serial_end is None
            or self.serial_end <= self.serial_start
        ):
            raise ValueError("serial_end must be greater than serial_start")


Lots = Annotated[list[LotRequest], Field(min_length=1, max_length=1000)]
