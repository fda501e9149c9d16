"""What the bot keeps about people, one owner per thing kept (docs/architecture.md,
"Packages and modules"): ``db`` is the one door to SQLite (open, WAL, busy
timeout, transactions, numbered migrations); each other module is one store on
it, or on disk beside it, with its keep, read, delete and purge.

The inbox (``bot.inbox``) and the job table (``bot.jobs.table``) open their
files through the same door; they live with the code they serve.
"""
