"""Lists come a page at a time: `?page=&per_page=`, with the total and the next page's URL."""

from collections.abc import Callable
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import request

from app.api.schemas.common import PageQuery
from app.extensions import db


def page_of(query: sa.Select, params: PageQuery, convert: Callable, rows=None) -> dict:
    """One page of `query`'s rows (or of the list `rows`, filtered in Python), converted."""
    start = (params.page - 1) * params.per_page
    if rows is None:
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
        found = db.session.scalars(query.offset(start).limit(params.per_page)).all()
    else:
        total, found = len(rows), rows[start : start + params.per_page]
    following = None
    if start + params.per_page < total:
        args = request.args.to_dict(flat=False)
        args["page"] = [str(params.page + 1)]
        following = f"{request.base_url}?{urlencode(args, doseq=True)}"
    return {
        "data": [convert(row) for row in found],
        "page": params.page,
        "per_page": params.per_page,
        "total": total,
        "next": following,
    }
