"""The Ethereum Virtual Machine."""
