"""Import every model module so the metadata (migrations, tests) sees all tables."""

from qa_portal.accounts import models as accounts_models  # noqa: F401
from qa_portal.catalogue import models as catalogue_models  # noqa: F401
from qa_portal.core import audit, job_queue, mail  # noqa: F401
from qa_portal.decisions import models as decisions_models  # noqa: F401
from qa_portal.dossiers import models as dossiers_models  # noqa: F401
from qa_portal.notifications import models as notifications_models  # noqa: F401
from qa_portal.reports import models as reports_models  # noqa: F401
from qa_portal.reviews import models as reviews_models  # noqa: F401
