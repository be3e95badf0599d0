"""Fakes of external services (Alpaca trading API, Slack Web API) that the real SDKs talk to on 127.0.0.1."""
