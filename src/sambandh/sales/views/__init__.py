"""Sales pages and htmx fragments, one module per idea; each has its ``urlpatterns``."""
