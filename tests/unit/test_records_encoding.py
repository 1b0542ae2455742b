"""The row store's own DynamoDB encoding gives exactly what boto3's TypeSerializer and TypeDeserializer give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from onboarding.adapters.records import deserialize, serialize

leaves = st.one_of(
    st.text(), st.integers(min_value=-(10**40), max_value=10**40), st.booleans(), st.none(), st.binary(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9),
    st.frozensets(st.text(min_size=1), min_size=1, max_size=3),
)
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(), inner, max_size=4)), max_leaves=12)


def _boto3(item: dict[str, Any]) -> Any:
    try:
        return {k: TypeSerializer().serialize(v) for k, v in item.items()}
    except Exception as error:
        return type(error)


def _ours(item: dict[str, Any]) -> Any:
    try:
        return serialize(item)
    except Exception as error:
        return type(error)


@given(st.dictionaries(st.text(min_size=1), values, max_size=6))
def test_serialize_gives_what_boto3_gives(item: dict[str, Any]) -> None:
    assert _ours(item) == _boto3(item)


@given(st.dictionaries(st.text(min_size=1), values, max_size=6))
def test_deserialize_gives_what_boto3_gives(item: dict[str, Any]) -> None:
    image = _boto3(item)
    if not isinstance(image, dict):
        return  # boto3 cannot encode it either
    expected = {k: TypeDeserializer().deserialize(v) for k, v in image.items()}
    assert deserialize(image) == expected
    assert [type(v) for v in deserialize(image).values()] == [type(v) for v in expected.values()]


@pytest.mark.parametrize("value", [1.5, float("nan"), object()])
def test_what_dynamodb_cannot_store_is_refused_as_boto3_refuses_it(value: Any) -> None:
    assert _ours({"x": value}) == _boto3({"x": value}) is TypeError


def test_a_row_round_trips() -> None:
    item = {"upload_id": "U#3", "row_number": 12, "product_data": {"name": "Lamp", "price": ""},
            "source_cells": ["Lamp", ""], "parse_errors": [{"code": "X", "row": 12}], "blob": Binary(b"\x00"),
            "n": Decimal("1.25")}
    assert serialize(item) == _boto3(item)
    assert deserialize(serialize(item)) == {**item, "row_number": Decimal(12), "n": Decimal("1.25"),
                                            "parse_errors": [{"code": "X", "row": Decimal(12)}]}
