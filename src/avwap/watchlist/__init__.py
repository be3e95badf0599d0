"""The watchlist: the candidates artifact a scan writes for a trading day, and its freshness rule."""
