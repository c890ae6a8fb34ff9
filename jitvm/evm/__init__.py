"""The Ethereum Virtual Machine."""

# The fork Ethereum mainnet runs: the default of every command and of jitvm.EVM. Here rather than in
# jitvm.evm.forks so that the command line can name it without loading the opcode tables.
DEFAULT_FORK = "Osaka"
