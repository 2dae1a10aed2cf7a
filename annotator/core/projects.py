"""Projects: create, read, list, update. The task kind validates the configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.queue_epoch import queue_moved
from annotator.db.models import REVIEW_POLICIES, Item, Project
from annotator.errors import AlreadyExists, ConfigError, NotFound
from annotator.tasks import registry


@dataclass
class ProjectSpec:
    """Everything a lead sets on a project. Also the shape of `--config project.json`."""

    name: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)
    media_root: str | None = None
    media_store: str | None = None  # s3://bucket/prefix or a shared folder; media are then uploaded there
    overlap: int = 1
    lease_seconds: int = 1800
    offline_lease_seconds: int = 7 * 24 * 3600
    gold_rate: float = 0.0
    min_gold_accuracy: float | None = None
    min_approval_rate: float | None = None
    min_scored_items: int = 10
    review_policy: str = "none"
    review_sample: float = 0.0
    auto_approve_seconds: int = 3 * 24 * 3600
    training_mode: bool = False
    qualification_project: str | None = None
    qualification_min_accuracy: float | None = None
    pixel_limit: int = 178_956_970
    spot_check_fraction: float = 0.05
    instructions: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "the project config") -> "ProjectSpec":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(known))}.")
        for required in ("name", "kind"):
            if required not in data:
                raise ConfigError(f"{source}: the field '{required}' is required.")
        return cls(**data)


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    kind: str
    config: dict[str, Any]
    media_root: str | None
    media_store: str | None
    overlap: int
    lease_seconds: int
    offline_lease_seconds: int
    gold_rate: float
    min_gold_accuracy: float | None
    min_approval_rate: float | None
    min_scored_items: int
    review_policy: str
    review_sample: float
    auto_approve_seconds: int
    training_mode: bool
    qualification_project_id: int | None
    qualification_min_accuracy: float | None
    pixel_limit: int
    spot_check_fraction: float
    instructions: str
    created_at: datetime
    item_count: int = 0


def project_info(project: Project, item_count: int = 0) -> ProjectInfo:
    values = {f.name: getattr(project, f.name) for f in fields(ProjectInfo) if f.name != "item_count"}
    return ProjectInfo(**values, item_count=item_count)


def _validate(spec: ProjectSpec) -> dict[str, Any]:
    kind = registry.get(spec.kind)
    config = kind.validate_config(spec.config)
    if spec.overlap < 1:
        raise ConfigError(f"overlap is {spec.overlap}; each item needs at least one answer.")
    for name in ("gold_rate", "review_sample", "spot_check_fraction"):
        value = getattr(spec, name)
        if not 0 <= value <= 1:
            raise ConfigError(f"{name} is {value}; it is a fraction between 0 and 1.")
    for name in ("min_gold_accuracy", "min_approval_rate", "qualification_min_accuracy"):
        value = getattr(spec, name)
        if value is not None and not 0 <= value <= 1:
            raise ConfigError(f"{name} is {value}; it is a fraction between 0 and 1.")
    if spec.review_policy not in REVIEW_POLICIES:
        raise ConfigError(f"review_policy is {spec.review_policy!r}; it is one of {', '.join(REVIEW_POLICIES)}.")
    if spec.lease_seconds < 10 or spec.offline_lease_seconds < spec.lease_seconds:
        raise ConfigError("lease_seconds must be at least 10, and offline_lease_seconds at least lease_seconds.")
    if spec.pixel_limit < 1:
        raise ConfigError("pixel_limit must be a positive number of pixels.")
    if spec.media_store:
        from annotator.media.store import normalize_url

        spec.media_store = normalize_url(spec.media_store)
    return config


def get_project(session: Session, name_or_id: str | int, *, lock: bool = False) -> Project:
    query = select(Project)
    if isinstance(name_or_id, int) or (isinstance(name_or_id, str) and name_or_id.isdigit()):
        query = query.where((Project.id == int(name_or_id)) | (Project.name == str(name_or_id)))
    else:
        query = query.where(Project.name == name_or_id)
    project = session.scalar(query.with_for_update() if lock else query)
    if project is None:
        raise NotFound(f"There is no project {name_or_id!r}. `annotator project list` shows the projects.")
    return project


def create_project(session: Session, actor: Actor, spec: ProjectSpec) -> ProjectInfo:
    require(actor, "lead", "create projects")
    config = _validate(spec)
    if session.scalar(select(Project.id).where(Project.name == spec.name)) is not None:
        raise AlreadyExists(f"A project named {spec.name!r} already exists.")
    values = asdict(spec)
    qualification = values.pop("qualification_project")
    values["config"] = config
    project = Project(**values)
    if qualification:
        project.qualification_project_id = get_project(session, qualification).id
    session.add(project)
    session.flush()
    audit.record(session, actor, "project.create", "project", project.id, spec=values)
    return project_info(project)


def update_project(session: Session, actor: Actor, name_or_id: str | int, **changes: Any) -> ProjectInfo:
    require(actor, "lead", "edit projects")
    project = get_project(session, name_or_id, lock=True)
    current = {f.name: getattr(project, f.name) for f in fields(ProjectSpec) if f.name != "qualification_project"}
    current["qualification_project"] = None
    spec = ProjectSpec.from_dict({**current, **changes}, source=f"project {project.name}")
    config = _validate(spec)
    if "kind" in changes and changes["kind"] != project.kind:
        raise ConfigError("A project's kind cannot change once it exists; create a new project instead.")
    if "media_store" in changes:
        changes["media_store"] = spec.media_store  # as _validate normalized it
        if changes["media_store"] != project.media_store:
            require(actor, "admin", "change a project's media store (`annotator media migrate` moves its files)")
    before = {k: getattr(project, k) for k in changes if hasattr(project, k)}
    if spec.overlap != project.overlap:
        _shift_open_slots(session, project.id, spec.overlap - project.overlap)
    for key, value in changes.items():
        if key == "qualification_project":
            project.qualification_project_id = get_project(session, value).id if value else None
        else:
            setattr(project, key, config if key == "config" else value)
    audit.record(session, actor, "project.update", "project", project.id, before=before, after=changes)
    return project_info(project)


def _shift_open_slots(session: Session, project_id: int, by: int) -> None:
    """An overlap edit: each ordinary item wants `by` answers more (or fewer) than before, never
    fewer than it has. Gold items and the model's accepted answers hold no slots either way."""
    slots = Item.open_slots + by
    session.execute(update(Item).where(Item.project_id == project_id, ~Item.is_gold, ~Item.done_by_model)
                    .values(open_slots=case((slots < 0, 0), else_=slots)).execution_options(synchronize_session=False))
    queue_moved(session, [project_id])  # items may have opened up behind where claims start


def list_projects(session: Session, actor: Actor) -> list[ProjectInfo]:
    counts = dict(session.execute(select(Item.project_id, func.count()).group_by(Item.project_id)).all())
    return [project_info(p, counts.get(p.id, 0)) for p in session.scalars(select(Project).order_by(Project.name))]


def project_names(session: Session, actor: Actor) -> list[str]:
    """Just the names, for a filter box: no item counts (a scan of every item at scale)."""
    return list(session.scalars(select(Project.name).order_by(Project.name)))
