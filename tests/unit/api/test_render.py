"""``GET /render/image``: a PNG of the query's groups at the asked size, the threshold drawn in
red, and bad parameters refused with a 400 that names them."""

from __future__ import annotations

import io
import struct

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from matplotlib.image import imread

from heroic_api.main import create_app

START = 1_700_000_000_000
QUERY = f"average(1m) from points({START}, {START + 3_600_000}) where $key = cpu"


@pytest.fixture
def client() -> TestClient:
    with TestClient(create_app()) as client:
        for host, base in (("a", 10.0), ("b", 20.0)):
            points = [[START + i * 60_000, base + i % 7] for i in range(60)]
            body = {"series": {"key": "cpu", "tags": {"host": host}},
                    "data": {"type": "points", "data": points}}  # fmt: skip
            assert client.post("/write", json=body).status_code == 200
        yield client


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _pixels(png: bytes) -> npt.NDArray[np.float32]:
    return np.asarray(imread(io.BytesIO(png), format="png"))[..., :3]


def _count(pixels: npt.NDArray[np.float32], rgb: tuple[float, float, float]) -> int:
    return int(np.all(np.abs(pixels - np.array(rgb)) < 0.1, axis=-1).sum())


RED = (1.0, 0.0, 0.0)
LINE = (0x1F / 255, 0x4F / 255, 0xD8 / 255)


def test_a_query_renders_as_a_png_of_the_asked_size(client: TestClient) -> None:
    response = client.get("/render/image", params={"q": QUERY, "width": 300, "height": 200})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert _size(response.content) == (300, 200)
    pixels = _pixels(response.content)
    assert _count(pixels, LINE) > 100  # the series' lines
    assert _count(pixels, RED) == 0


def test_default_size_is_600_by_400_and_a_threshold_is_a_red_line(client: TestClient) -> None:
    response = client.get("/render/image", params={"q": QUERY, "threshold": "15", "title": "t"})
    assert _size(response.content) == (600, 400)
    assert _count(_pixels(response.content), RED) > 300


def test_a_query_without_data_still_renders(client: TestClient) -> None:
    empty = QUERY.replace("cpu", "nothing")
    response = client.get("/render/image", params={"q": empty})
    assert response.status_code == 200
    assert _count(_pixels(response.content), LINE) == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "'q' must be defined"),
        ({"q": QUERY, "width": "0"}, "width must be between 16 and 4096, got 0"),
        ({"q": QUERY, "height": "99999"}, "height must be between 16 and 4096, got 99999"),
        ({"q": QUERY, "highlight": "{nope"}, "highlight: not JSON"),
        ({"q": QUERY, "highlight": "[1]"}, "highlight: expected a JSON object"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/render/image", params=params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_bad_hql_is_a_parse_error_with_its_position(client: TestClient) -> None:
    response = client.get("/render/image", params={"q": "average(1m) from points(1h) where"})
    assert response.status_code == 400
    assert response.json()["type"] == "parse-error"
