"""JavaScript lambdas: sandbox, data access, runtime."""
