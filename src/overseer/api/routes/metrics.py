"""(placeholder: filled in by the metrics work)"""

from fastapi import APIRouter

router = APIRouter(tags=["metrics"])
