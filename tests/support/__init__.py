"""What the tests share: the running system, polling, and stand-ins a test drives by hand."""
