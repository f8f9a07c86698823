"""(placeholder: filled in by the tasks work)"""

from fastapi import APIRouter

router = APIRouter(tags=["tasks"])
