"""Every write of the sales app, one module per idea (``deal_create``, ``quote_send``, ...)."""
