"""``python -m transship.flows.validate``: see :func:`transship.flows.validate.command.main`."""

from transship.flows.validate.command import main

raise SystemExit(main())
