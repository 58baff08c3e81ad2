"""`python -m graphgrad ...` is the same as the `graphgrad` command."""

from graphgrad.cli import main

raise SystemExit(main())
