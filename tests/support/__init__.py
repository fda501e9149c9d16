"""Test support code shared by the tests and the benchmarks: the fake Telegram Bot API server."""
