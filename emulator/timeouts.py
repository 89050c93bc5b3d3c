"""Connection timeout defaults, at the bottom of the import graph: settings and the protocol both read them."""

# Seconds a connection may take to send a request's headers (new, or idle after a response).
DEFAULT_HEADER_TIMEOUT = 10.0
# How long an idle keep-alive connection stays open (uvicorn's timeout_keep_alive).
DEFAULT_KEEP_ALIVE_TIMEOUT = 5
