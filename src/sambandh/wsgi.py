from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from sambandh.core.memory import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
application = get_wsgi_application()
# Each gunicorn worker imports this module: the framework's objects, loaded, are frozen.
settle()
