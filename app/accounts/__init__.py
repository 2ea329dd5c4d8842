"""Staff accounts: users, the units they belong to, their roles and their API tokens."""
