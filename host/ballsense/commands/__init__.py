"""One module per `ballsense` sub-command. Each has `register(subparsers)`,
which adds its parser and sets `fn` to the function that runs it."""
