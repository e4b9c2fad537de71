# Plain Python helpers: no ORM here, so they can be unit-tested and reused by
# the websocket listener and the simulator.
from . import call_event, phone, providers, signature, storable
