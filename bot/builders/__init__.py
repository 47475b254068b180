"""Block Kit builders: pure functions from domain data to Slack surfaces, tested without mocks."""
