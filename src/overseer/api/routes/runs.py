"""(placeholder: filled in by the runs work)"""

from fastapi import APIRouter

router = APIRouter(tags=["runs"])
