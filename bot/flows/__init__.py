"""The engine's screens, one module per part of the conversation.

Each module exports `HANDLERS`, a table from payload head (bot.payloads.Head) to an async
handler `(turn, arg) -> list[Reply]`; bot.engine merges the tables and checks that every
head has exactly one handler.
"""
