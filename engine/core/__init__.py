"""The optimisation core (docs/architecture.md, "The engine"): ``transfer``
(``Engine.stylize``, read top to bottom) and what it is made of - the schedule's
sizes (``scales``), the compiled steps (``steps``), the losses and colour modes,
regions and faces, step accounting (``progress``), VGG19 (``model``) and the one
backend-specific piece (``backend``).  ``transfer``, ``model``, ``steps`` and
``losses`` import Keras; nothing here reads the environment."""
