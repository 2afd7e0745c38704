"""``/metadata/*``: series lookup, counting, deletion, keys, tags and the suggest endpoints.

Routes only; the logic is in ``services.metadata`` and ``services.write`` (PUT).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request

from heroic_api.body import read_json
from heroic_api.dependencies import MetadataServiceDep, NowDep, WriteServiceDep
from heroic_api.routing import heroic_router
from heroic_api.schemas import (
    KeySuggestBody,
    MetadataBody,
    TagSuggestBody,
    TagValuesSuggestBody,
    TagValueSuggestBody,
)
from heroic_api.services.write import decode_series

router = heroic_router("metadata")


def _body(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post("/metadata/series", summary="Find series", openapi_extra=_body(MetadataBody))
async def find_series(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.find_series(await read_json(request))


@router.put("/metadata/series", summary="Index a series (metadata and suggest)")
async def put_series(request: Request, service: WriteServiceDep, now: NowDep) -> dict[str, Any]:
    return await service.write_metadata(decode_series(await read_json(request), ""), now)


@router.delete("/metadata/series", summary="Delete series", openapi_extra=_body(MetadataBody))
async def delete_series(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.delete_series(await read_json(request))


@router.post("/metadata/series-count", summary="Count series", openapi_extra=_body(MetadataBody))
async def count_series(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.count_series(await read_json(request))


@router.post("/metadata/keys", summary="Distinct keys", openapi_extra=_body(MetadataBody))
async def find_keys(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.find_keys(await read_json(request))


@router.post("/metadata/tags", summary="Tags and their values", openapi_extra=_body(MetadataBody))
async def find_tags(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.find_tags(await read_json(request))


@router.post(
    "/metadata/key-suggest", summary="Key autocomplete", openapi_extra=_body(KeySuggestBody)
)
async def key_suggest(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.key_suggest(await read_json(request))


@router.post(
    "/metadata/tag-suggest", summary="Tag autocomplete", openapi_extra=_body(TagSuggestBody)
)
async def tag_suggest(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.tag_suggest(await read_json(request))


@router.post(
    "/metadata/tag-value-suggest",
    summary="Values of one tag",
    openapi_extra=_body(TagValueSuggestBody),
)
async def tag_value_suggest(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.tag_value_suggest(await read_json(request))


@router.post(
    "/metadata/tag-values-suggest",
    summary="Values grouped per tag key",
    openapi_extra=_body(TagValuesSuggestBody),
)
async def tag_values_suggest(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.tag_values_suggest(await read_json(request))


@router.post(
    "/metadata/tagkey-count",
    summary="Tag keys with value cardinality",
    openapi_extra=_body(MetadataBody),
)
async def tagkey_count(request: Request, service: MetadataServiceDep) -> dict[str, Any]:
    return await service.tagkey_count(await read_json(request))
