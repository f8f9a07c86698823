"""What the tools return, as pydantic models: each tool publishes an exact output schema and answers with structured
content (and the same JSON as text). Tasks reuse the REST API's shapes (``overseer.api.schemas``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from overseer.api.schemas import TaskOut


class ClaimOut(BaseModel):
    claimed: bool = Field(description="Whether the caller now holds a task.")
    task: TaskOut | None = Field(description="The claimed task (null when nothing was ready).")
    detail: str


class ApprovalOut(BaseModel):
    """What ``approve`` did: ``action`` is released, landed or merged when it took effect; anything else is explained in
    ``detail``."""

    id: str
    status: str
    action: str
    detail: str


class QuotaWindow(BaseModel):
    window: str = Field(description="The window's length, such as 5h or 7d.")
    unit: str = Field(description="What it counts: runs, requests, tokens or usd.")
    used: float
    limit: float
    remaining: float
    percent: float
    reserve_percent: float = Field(description="The share kept for emergencies (reviews, escalations).")
    resets_at: str | None


class ProviderQuota(BaseModel):
    provider: str
    can_use: bool = Field(description="Whether one more run or call fits now, outside the emergency reserve.")
    parked_until: str | None
    parked_reason: str | None
    windows: list[QuotaWindow]


class QuotaOut(BaseModel):
    at: str
    providers: list[ProviderQuota]


class ModelOut(BaseModel):
    profile: str = Field(description="The name to pass as ask_model's `model` (or a skill's `model`).")
    harness: str
    provider: str | None
    model: str | None
    direct_model: str | None = Field(description="The model string direct calls (ask_model, skills) go to, when it differs.")
    has_room: bool = Field(description="Whether the provider's quota has room for a call now (and it is not parked).")
    parked_until: str | None


class ModelsOut(BaseModel):
    models: list[ModelOut]


class AnswerOut(BaseModel):
    text: str
    profile: str = Field(description="The profile that answered.")
    provider: str | None
    model: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    tried: list[str] = Field(description="Profiles passed over before this one, each with why.")


class SkillOut(BaseModel):
    markdown: str = Field(description="The skill's answer.")
    skill: str
    profile: str
    provider: str | None
    model: str
    duration_s: float
    tokens_in: int
    tokens_out: int
    cost_usd: float
    tried: list[str]
    session: str | None
    stripped: list[str] = Field(description="Trailing JSON blocks removed from the answer.")


class KnowledgeOut(BaseModel):
    id: str
    title: str
    body: str
    tags: list[str]
    source_run: str | None
    source_task: str | None
    created_at: str | None
    created_by: str
    score: float | None = Field(default=None, description="On search results: higher is more relevant.")


class KnowledgeFound(BaseModel):
    query: str
    count: int
    entries: list[KnowledgeOut]

