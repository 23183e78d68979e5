"""The `ordersaga` command: one subcommand per process, `dev` for all of them."""
