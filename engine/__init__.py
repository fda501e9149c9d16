"""Lienzo's style-transfer engine (docs/architecture.md, "The engine").

Importing ``engine`` is cheap: no keras.  The bot imports the queue contract
(``engine.queue``), the settings (``engine.config``), the parameters and the
catalogue from here; ``engine.core.transfer`` loads Keras when a worker or the
command line needs it.
"""
