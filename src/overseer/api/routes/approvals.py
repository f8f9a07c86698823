"""(placeholder: filled in by the approvals work)"""

from fastapi import APIRouter

router = APIRouter(tags=["approvals"])
