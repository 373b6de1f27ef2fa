"""The versioned public JSON API and its OpenAPI document."""
