"""Plans over HTTP: a city's workshops over time.

POST   /api/v1/plans                              {title, city?, period, languages?, description?, workshops?}
GET    /api/v1/plans                              the plans you are a member of
GET    /api/v1/plans/{id}
PUT    /api/v1/plans/{id}                         the whole plan object (+ "revision"?, "workshops"?)
DELETE /api/v1/plans/{id}                         owners only; the workshops stay
POST   /api/v1/plans/{id}/workshops               {"workshop": ID, "position"?}: attach (or move)
DELETE /api/v1/plans/{id}/workshops/{workshop_id} detach
"""

from __future__ import annotations

from flask import Response, g, jsonify

from ...services import carry, plans
from . import bp
from .routes import PREFIX, created, facilitator_required, json_body


@bp.post(f"{PREFIX}/plans")
@facilitator_required
def create_plan() -> tuple[Response, int]:
    return created(plans.describe(plans.create_plan(g.user, json_body())))


@bp.get(f"{PREFIX}/plans")
@facilitator_required
def list_plans() -> Response:
    return jsonify([plans.describe(p) for p in plans.list_plans(g.user)])


@bp.get(f"{PREFIX}/plans/<int:plan_id>")
@facilitator_required
def get_plan(plan_id: int) -> Response:
    return jsonify(plans.describe(plans.get_plan(g.user, plan_id)))


@bp.put(f"{PREFIX}/plans/<int:plan_id>")
@facilitator_required
def update_plan(plan_id: int) -> Response:
    return jsonify(plans.describe(plans.update_plan(g.user, plan_id, json_body())))


@bp.delete(f"{PREFIX}/plans/<int:plan_id>")
@facilitator_required
def delete_plan(plan_id: int) -> tuple[str, int]:
    plans.delete_plan(g.user, plan_id)
    return "", 204


@bp.post(f"{PREFIX}/plans/<int:plan_id>/workshops")
@facilitator_required
def attach_workshop(plan_id: int) -> Response:
    data = json_body()
    return jsonify(
        plans.describe(plans.attach_workshop(g.user, plan_id, data.get("workshop"), data.get("position")))
    )


@bp.delete(f"{PREFIX}/plans/<int:plan_id>/workshops/<int:workshop_id>")
@facilitator_required
def detach_workshop(plan_id: int, workshop_id: int) -> Response:
    return jsonify(plans.describe(plans.detach_workshop(g.user, plan_id, workshop_id)))


@bp.post(f"{PREFIX}/plans/<int:plan_id>/carry")
@facilitator_required
def carry_forward(plan_id: int) -> Response:
    return jsonify(carry.carry_forward(g.user, plan_id, json_body()))


@bp.get(f"{PREFIX}/plans/<int:plan_id>/results")
@facilitator_required
def plan_results(plan_id: int) -> Response:
    from flask import request

    from ...services import compare

    return jsonify(compare.plan_results(g.user, plan_id, request.args.get("lang") or None))


@bp.get(f"{PREFIX}/plans/<int:plan_id>/export")
def export_plan(plan_id: int) -> Response:
    """The plan draft (DOCX), or its open data (ZIP) or JSON; a bearer token or the console's session."""
    from flask import request

    from ...export.plan_exports import check_plan_format, render_plan_export
    from ..facilitator.auth import current_user
    from .exports import rendered
    from .routes import bearer_token

    if bearer_token() is None and current_user() is not None:
        user = current_user()
    else:
        return _export_with_token(plan_id)
    fmt = check_plan_format(request.args.get("format"))
    lang = request.args.get("lang") or None
    return rendered(lambda: render_plan_export(user, plan_id, fmt, lang))


@facilitator_required
def _export_with_token(plan_id: int) -> Response:
    from flask import request

    from ...export.plan_exports import check_plan_format, render_plan_export
    from .exports import rendered

    fmt = check_plan_format(request.args.get("format"))
    lang = request.args.get("lang") or None
    return rendered(lambda: render_plan_export(g.user, plan_id, fmt, lang))
