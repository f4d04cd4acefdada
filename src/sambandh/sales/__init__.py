"""Sales: pipelines and deals, products, price books, quotes and orders, leads, territories, forecasts."""
