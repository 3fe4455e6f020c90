"""The Activities resource ``/xapi/activities?activityId=`` (Communication 2.5).

Returns the canonical Activity the LRS learned from statements (see :mod:`lrs.learning`), or,
for an Activity it has never seen, ``{"objectType": "Activity", "id": ...}``. Readable with
``all/read`` (and ``all``), ``statements/read``, ``define``, ``profile`` or ``state``: anyone
who may read statements or keep documents about Activities may read their definitions.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from lrs.api.documents import activity_param, check_params
from lrs.auth import require
from lrs.conditional import stamp_body
from lrs.extensions import services

bp = Blueprint("activities", __name__)

READ_SCOPES = ("all/read", "statements/read", "define", "profile", "state")


@bp.get("/xapi/activities")
@require(*READ_SCOPES)
def get_activity() -> Response:
    """The complete Activity object for ``activityId``."""
    check_params({"activityId"})
    activity_id = activity_param()
    activity = services().store.get_activity(activity_id)
    if activity is None:
        activity = {"objectType": "Activity", "id": activity_id}
    return stamp_body(jsonify(activity))
