"""The JSON API at /api/v1, for other platforms and small scripts.

Bearer tokens (see `app.services.api_tokens`), each with scopes; requests are checked
by the same pydantic schemas that make the OpenAPI document at /api/v1/openapi.json
(spectree), and /api/v1/docs shows that document as a page. Views are thin: the work
is done by the services, exactly as the staff pages do it.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

from app.api import errors, docs  # noqa: E402,F401,I001
from app.api import organisations, activities, activity_sync, signups  # noqa: E402,F401,I001
from app.api import volunteers, tasks  # noqa: E402,F401,I001
from app.api import callbacks, broadcasts, people  # noqa: E402,F401,I001
