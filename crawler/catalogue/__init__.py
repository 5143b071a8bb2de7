"""The site catalogue: site entries (`sites.toml`), URL classification and the live layout checks."""
