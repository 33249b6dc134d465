"""The exercise API: FastAPI routers over the exercises, one per resource."""
