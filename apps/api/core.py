"""The NinjaAPI instance: /api/v1 on a workspace's subdomain, OpenAPI at
/api/v1/openapi.json, interactive docs at /api/v1/docs."""

from importlib import import_module

from ninja import NinjaAPI

from apps.api.routers import ROUTERS

api = NinjaAPI(
    title="NuBlox SQLx OS API",
    version="1",
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

for prefix, module in ROUTERS:
    api.add_router(prefix, import_module(module).router)
