"""Strategies emit signals and intents, never orders (Phase S). The control plane decides."""
